"""Metrics with bootstrap intervals."""

from safetylab.evals._metrics import bootstrap_ci, mean_row, rate_row, suite_metrics

__all__ = ["bootstrap_ci", "mean_row", "rate_row", "suite_metrics"]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
