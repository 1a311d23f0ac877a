"""Metrics with bootstrap intervals."""

from safetylab.evals._metrics import bootstrap_ci, mean_row, rate_row, suite_metrics
from safetylab.evals._run import EvalConfig, run_eval
from safetylab.evals._stats import paired_difference

__all__ = [
    "EvalConfig",
    "bootstrap_ci",
    "mean_row",
    "paired_difference",
    "rate_row",
    "run_eval",
    "suite_metrics",
]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
