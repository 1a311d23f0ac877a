"""Metrics with bootstrap intervals."""

from safetylab.evals._capability import capability_row
from safetylab.evals._metrics import bootstrap_ci, mean_row, rate_row, suite_metrics
from safetylab.evals._run import EvalConfig, build_prompts, compute_eval_metrics, run_eval
from safetylab.evals._stage import StageResult, generate_and_judge, labels_of
from safetylab.evals._stats import paired_difference
from safetylab.evals._suites import get_suite

__all__ = [
    "EvalConfig",
    "StageResult",
    "bootstrap_ci",
    "build_prompts",
    "capability_row",
    "compute_eval_metrics",
    "generate_and_judge",
    "get_suite",
    "labels_of",
    "mean_row",
    "paired_difference",
    "rate_row",
    "run_eval",
    "suite_metrics",
]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
