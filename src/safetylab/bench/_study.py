"""Time a study preset end to end (``benchmarks/study_time.py``, ``benchmarks/demo_time.py``).

A cold run (fresh model and generation cache: GGUF conversion and distillation included), then a
re-run of the finished study (nothing to redo), the seconds of every cell and training run, the
headline rates with their 95% intervals, the issue's checks, the CPU flags that decide the
compute dtype and the load average before and after: figures compare only within one machine.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from safetylab.hardware import cpu_flags

HEADLINE = {
    ("harm", "harmful_compliance_rate"): "harmful_compliance",
    ("overrefusal", "refusal_rate"): "safe_prompt_refusal",
    ("helpful", "refusal_rate"): "plain_prompt_refusal",
}


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu_flags": list(cpu_flags()),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def headline(metrics: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """``{cell: {rate name: "value [lo, hi] n=…"}}`` for the three headline rates."""
    out: dict[str, dict[str, str]] = {}
    for r in metrics:
        name = HEADLINE.get((r["suite"], r["metric"]))
        if name:
            out.setdefault(r["model"], {})[name] = (
                f"{r['value']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}] n={r['n']}"
            )
    return out


def cell_seconds(run: Path) -> dict[str, dict[str, Any]]:
    """Seconds per finished cell (and its training run, with the dtype it trained in)."""
    out: dict[str, dict[str, Any]] = {}
    for done in sorted(run.glob("cells/*/done.json")):
        d = json.loads(done.read_text())
        cell = d["cell"]
        row: dict[str, Any] = {"cell_seconds": d["seconds"]}
        state = done.parent / "adapter" / "train_state.json"
        if state.exists():
            stats = json.loads(state.read_text()).get("stats", {})
            row["train_seconds"] = stats.get("seconds")
            row["train_bf16"] = stats.get("bf16")
        out[f"{cell['strategy']}-{cell['n']}"] = row
    return out


def halving_check(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """Issue 17's check on a grid: for every strategy, harmful compliance at its largest N is at
    most half of N = 0's. Returns per-strategy figures and ``holds``."""
    harm = {
        r["model"]: r["value"]
        for r in metrics
        if r["suite"] == "harm" and r["metric"] == "harmful_compliance_rate"
    }
    by_strategy: dict[str, dict[int, float]] = {}
    for model, value in harm.items():
        strategy, _, n = model.rpartition("-")
        if strategy and n.isdigit():
            by_strategy.setdefault(strategy, {})[int(n)] = value
    rows: dict[str, Any] = {}
    for strategy, curve in sorted(by_strategy.items()):
        if 0 not in curve or len(curve) < 2:
            continue
        top = max(curve)
        rows[strategy] = {
            "n0": curve[0],
            f"n{top}": curve[top],
            "holds": curve[top] <= 0.5 * curve[0],
        }
    return {"per_strategy": rows, "holds": bool(rows) and all(r["holds"] for r in rows.values())}


def time_study(preset: str, keep: str | Path | None = None) -> dict[str, Any]:
    """Run ``safetylab study PRESET`` cold, then again finished; return the figures."""
    work = Path(tempfile.mkdtemp(prefix=f"study-{preset}-"))
    env = dict(os.environ, SAFETYLAB_CACHE=str(work / "cache"))
    cmd = [sys.executable, "-m", "safetylab.cli.main", "study", preset, "--out", str(work / "run")]
    load_before = os.getloadavg()
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    wall = time.perf_counter() - t
    load_after = os.getloadavg()
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)  # resume: nothing to redo
    rerun = time.perf_counter() - t
    metrics = json.loads((work / "run" / "metrics.json").read_text())
    result = {
        "command": f"safetylab study {preset}",
        "wall_seconds": round(wall, 1),
        "rerun_seconds": round(rerun, 1),
        "cells": cell_seconds(work / "run"),
        "headline (refusal judge)": headline(metrics),
        "harm_halves_by_largest_n": halving_check(metrics),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "machine": machine(),
    }
    if keep:
        shutil.copytree(work / "run", Path(keep), symlinks=True)
    shutil.rmtree(work, ignore_errors=True)
    return result


def merge_results(path: str | Path, results: dict[str, Any]) -> None:
    """Update a results file's keys (other presets' figures stay)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(out.read_text()) if out.exists() else {}
    old.update(results)
    out.write_text(json.dumps(old, indent=2) + "\n")
