"""Paired statistics on matched binary outcomes: McNemar's exact test and a paired bootstrap
interval of the rate difference."""

from __future__ import annotations

import math


def mcnemar(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts.

    ``b`` = pairs where only A had the outcome, ``c`` = pairs where only B had it.
    """
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_difference(
    a: list[bool], b: list[bool], *, seed: int = 0, n_boot: int = 2000
) -> dict[str, float | int]:
    """Rate difference (B - A) on paired outcomes, with McNemar's p-value and a 95% paired
    bootstrap interval (prompts resampled with replacement, both runs' outcomes kept together:
    the percentile interval of the mean per-prompt difference, deterministic for a seed)."""
    from safetylab.evals._metrics import bootstrap_ci

    if len(a) != len(b):
        raise ValueError("paired outcomes must have the same length")
    lo, hi = bootstrap_ci(
        [float(y) - float(x) for x, y in zip(a, b, strict=True)], n_boot=n_boot, seed=seed
    )
    only_a = sum(x and not y for x, y in zip(a, b, strict=True))
    only_b = sum(y and not x for x, y in zip(a, b, strict=True))
    n = len(a)
    return {
        "n": n,
        "rate_a": sum(a) / n if n else float("nan"),
        "rate_b": sum(b) / n if n else float("nan"),
        "diff": (sum(b) - sum(a)) / n if n else float("nan"),
        "only_a": only_a,
        "only_b": only_b,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": mcnemar(only_a, only_b),
    }
