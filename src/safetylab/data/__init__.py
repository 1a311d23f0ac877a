"""Datasets (bundled, project-written), mixtures and contamination checks."""

from safetylab.data._bundled import BUNDLED_DIR, bundled_prompts, load_bundled
from safetylab.data._contamination import find_contamination, normalize
from safetylab.data._mix import balanced_mixture, mixture_sha256

__all__ = [
    "BUNDLED_DIR",
    "balanced_mixture",
    "bundled_prompts",
    "find_contamination",
    "load_bundled",
    "mixture_sha256",
    "normalize",
]
