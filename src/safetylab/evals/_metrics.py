"""Rates and means with 95% bootstrap intervals."""

from __future__ import annotations

import numpy as np

from safetylab.records import MetricRow, Prompt


def bootstrap_ci(
    values: list[float] | np.ndarray, *, n_boot: int = 2000, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (deterministic for a seed)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def mean_row(
    model: str, suite: str, metric: str, values: list[float] | np.ndarray, seed: int = 0
) -> MetricRow:
    """A MetricRow for the mean of ``values``, with its 95% bootstrap interval and n."""
    x = np.asarray(values, dtype=float)
    lo, hi = bootstrap_ci(x, seed=seed)
    return MetricRow(
        model, suite, metric, float(x.mean()) if x.size else float("nan"), lo, hi, int(x.size)
    )


def rate_row(model: str, suite: str, metric: str, hits: list[bool], seed: int = 0) -> MetricRow:
    """A MetricRow for the share of True in ``hits``, with its interval."""
    return mean_row(model, suite, metric, np.asarray(hits, dtype=float), seed)


def suite_metrics(
    model: str,
    prompts: list[Prompt],
    labels: dict[str, str],
    seed: int = 0,
    suites: list[str] | tuple[str, ...] | None = None,
) -> list[MetricRow]:
    """Every suite's metric rows for one model: the one path from judge labels to the numbers.

    ``labels`` maps prompt id -> the metric-driving judge's label; prompts without a label
    (not judged, or the judge could not decide) are left out of every rate and its n.
    Only untransformed prompts count here (transforms have their own rows in ``eval``).
    ``suites`` fixes the order (default: the order suites first appear in ``prompts``).
    The study (and demo) and ``safetylab eval`` both reach it through ``compute_eval_metrics``.
    """
    from safetylab.evals._suites import get_suite

    plain = [p for p in prompts if not p.transform]
    names = list(suites) if suites is not None else list(dict.fromkeys(p.suite for p in plain))
    rows: list[MetricRow] = []
    for name in names:
        ps = [p for p in plain if p.suite == name]
        if ps:
            rows += get_suite(name).metrics(model, ps, labels, seed)
    return rows
