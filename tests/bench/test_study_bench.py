"""The study benchmark's check and machine record (benchmarks/study_time.py writes them)."""

from __future__ import annotations

from pathlib import Path

from safetylab.bench import machine
from safetylab.bench._study import halving_check, headline
from safetylab.hardware import cpu_flags


def _row(model: str, suite: str, metric: str, value: float) -> dict:
    return {"model": model, "suite": suite, "metric": metric, "value": value,
            "ci_low": value - 0.1, "ci_high": value + 0.1, "n": 40}  # fmt: skip


def test_halving_check_per_strategy_at_its_largest_n():
    harm = "harmful_compliance_rate"
    rows = [
        _row("safety-only-0", "harm", harm, 0.9), _row("safety-only-50", "harm", harm, 0.5),
        _row("safety-only-150", "harm", harm, 0.45),  # exactly half: holds
        _row("balanced-0", "harm", harm, 0.9), _row("balanced-150", "harm", harm, 0.46),
        _row("context-aware-150", "harm", harm, 0.0),  # no N = 0 row: not judged
        _row("safety-only-150", "overrefusal", "refusal_rate", 0.9),  # other suites ignored
    ]  # fmt: skip
    got = halving_check(rows)
    assert got["per_strategy"] == {
        "balanced": {"n0": 0.9, "n150": 0.46, "holds": False},
        "safety-only": {"n0": 0.9, "n150": 0.45, "holds": True},
    }
    assert got["holds"] is False
    assert halving_check(rows[:3])["holds"] is True
    assert halving_check([])["holds"] is False  # nothing to check is not a pass


def test_headline_formats_the_three_rates_with_intervals():
    rows = [_row("safety-only-0", "harm", "harmful_compliance_rate", 0.5),
            _row("safety-only-0", "helpful", "refusal_rate", 0.25),
            _row("safety-only-0", "harm", "refusal_rate", 0.5)]  # fmt: skip
    assert headline(rows) == {"safety-only-0": {
        "harmful_compliance": "0.500 [0.400, 0.600] n=40",
        "plain_prompt_refusal": "0.250 [0.150, 0.350] n=40",
    }}  # fmt: skip


def test_machine_records_the_cpu_flags_from_cpuinfo():
    flags = cpu_flags()
    assert set(flags) <= {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}
    assert machine()["cpu_flags"] == list(flags)
    text = Path("/proc/cpuinfo").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("flags"))
    assert ("avx2" in flags) == ("avx2" in line.split(":", 1)[1].split())
