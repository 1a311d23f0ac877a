"""Time `safetylab demo` (= `safetylab study demo`; full and --quick) from a cold model cache.

    python benchmarks/demo_time.py [--only quick|full]

Writes benchmarks/results/demo_time.json: wall time of the first run and of a re-run of the
finished study, seconds per cell (cells/*/done.json) and per training run, the headline rates of
every cell with their 95% intervals, the CPU flags that decide the compute dtype and the load
average before and after (figures are only comparable on one machine, measured in one run).
Limit from issue 17: the full demo <= 8 min on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADLINE = {
    ("harm", "harmful_compliance_rate"): "harmful_compliance",
    ("overrefusal", "refusal_rate"): "safe_prompt_refusal",
    ("helpful", "refusal_rate"): "plain_prompt_refusal",
}


def cpu_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next(
        (ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), []
    )
    wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
    return [f for f in wanted if f in flags]


def headline(metrics: list[dict]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for r in metrics:
        name = HEADLINE.get((r["suite"], r["metric"]))
        if name:
            out.setdefault(r["model"], {})[name] = (
                f"{r['value']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}] n={r['n']}"
            )
    return out


def cell_seconds(run: Path) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for done in sorted(run.glob("cells/*/done.json")):
        d = json.loads(done.read_text())
        cell = d["cell"]
        name = f"{cell['strategy']}-{cell['n']}"
        row = {"cell_seconds": d["seconds"]}
        state = done.parent / "adapter" / "train_state.json"
        if state.exists():
            stats = json.loads(state.read_text()).get("stats", {})
            row["train_seconds"] = stats.get("seconds")
            row["train_bf16"] = stats.get("bf16")
        out[name] = row
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["quick", "full"], default=None)
    ap.add_argument("--out", default="benchmarks/results/demo_time.json")
    ap.add_argument("--keep", default=None, help="copy each finished run to KEEP/<mode>")
    args = ap.parse_args()
    results = {}
    for mode in ("quick", "full"):
        if args.only and mode != args.only:
            continue
        work = Path(tempfile.mkdtemp(prefix=f"demo-{mode}-"))
        # cold: GGUF conversion and distillation included
        env = dict(os.environ, SAFETYLAB_CACHE=str(work / "cache"))
        cmd = [sys.executable, "-m", "safetylab.cli.main", "demo", "--out", str(work / "run")]
        if mode == "quick":
            cmd.append("--quick")
        load_before = os.getloadavg()
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True)
        wall = time.perf_counter() - t
        load_after = os.getloadavg()
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)  # resume: nothing to redo
        rerun = time.perf_counter() - t
        metrics = json.loads((work / "run" / "metrics.json").read_text())
        results[mode] = {
            "wall_seconds": round(wall, 1),
            "rerun_seconds": round(rerun, 1),
            "limit_seconds": 480 if mode == "full" else None,
            "cells": cell_seconds(work / "run"),
            "headline (refusal judge)": headline(metrics),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
        }
        if args.keep:
            shutil.copytree(work / "run", Path(args.keep) / mode, symlinks=True)
        shutil.rmtree(work, ignore_errors=True)
        print(mode, json.dumps(results[mode], indent=1))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(out.read_text()) if out.exists() else {}
    old.update(results)
    old["machine"] = {
        "cpus": os.cpu_count(),
        "cpu_flags": cpu_flags(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    out.write_text(json.dumps(old, indent=2) + "\n")


if __name__ == "__main__":
    main()
