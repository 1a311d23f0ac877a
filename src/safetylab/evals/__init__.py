"""Metrics with bootstrap intervals."""

from safetylab.evals._metrics import bootstrap_ci, rate_row

__all__ = ["bootstrap_ci", "rate_row"]
