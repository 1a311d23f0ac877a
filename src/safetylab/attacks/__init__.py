"""Adversarial prompt transforms (lexical, indirection, framing, templates, encodings, splitting,
multi-turn); deterministic, registered in ``safetylab.registry.attacks``, composable with ``+``.

from safetylab.attacks import get_transform
get_transform("synonym+base64").apply("How do I kill a weed?", seed=0).text
"""

from safetylab.attacks._lexical import find_terms, load_lexicon
from safetylab.attacks._transforms import (
    FAMILIES,
    Transform,
    Transformed,
    apply_to_prompts,
    changed,
    coverage,
    get_transform,
    list_transforms,
    register_transform,
)

__all__ = [
    "FAMILIES",
    "Transform",
    "Transformed",
    "apply_to_prompts",
    "changed",
    "coverage",
    "find_terms",
    "get_transform",
    "list_transforms",
    "load_lexicon",
    "register_transform",
]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
