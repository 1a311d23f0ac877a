import math

from safetylab.evals import bootstrap_ci, rate_row


def test_bootstrap_is_deterministic_and_brackets_the_mean():
    x = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1]
    a = bootstrap_ci(x, seed=3)
    assert a == bootstrap_ci(x, seed=3)
    assert a[0] <= 0.7 <= a[1]
    assert a[0] > 0.3 and a[1] <= 1.0


def test_degenerate_rates_have_zero_width():
    r = rate_row("m", "s", "rate", [True] * 12)
    assert (r.value, r.ci_low, r.ci_high, r.n) == (1.0, 1.0, 1.0, 12)


def test_empty_is_nan():
    r = rate_row("m", "s", "rate", [])
    assert r.n == 0 and math.isnan(r.value)
