"""Time `safetylab demo` (full and --quick) from a cold model cache; writes benchmarks/results/demo_time.json.

    python benchmarks/demo_time.py [--only quick|full]

Limits from issue 2: full demo <= 20 min, --quick <= 6 min, on a 2-core CPU machine.
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["quick", "full"], default=None)
    ap.add_argument("--out", default="benchmarks/results/demo_time.json")
    args = ap.parse_args()
    results = {}
    for mode in ("quick", "full"):
        if args.only and mode != args.only:
            continue
        work = Path(tempfile.mkdtemp(prefix=f"demo-{mode}-"))
        env = dict(
            os.environ, SAFETYLAB_CACHE=str(work / "cache")
        )  # cold: convert + distill included
        cmd = [sys.executable, "-m", "safetylab.cli.main", "demo", "--out", str(work / "run")]
        if mode == "quick":
            cmd.append("--quick")
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True)
        wall = time.perf_counter() - t
        stages = json.loads((work / "run" / "timings.json").read_text())
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)  # resume: nothing to redo
        rerun = time.perf_counter() - t
        metrics = json.loads((work / "run" / "metrics.json").read_text())
        harm = {r["model"]: r["value"] for r in metrics if r["suite"] == "harm"}
        results[mode] = {
            "wall_seconds": round(wall, 1),
            "rerun_seconds": round(rerun, 1),
            "limit_seconds": 360 if mode == "quick" else 1200,
            "stage_seconds_first_run": stages,
            "harmful_compliance": harm,
        }
        shutil.rmtree(work, ignore_errors=True)
        print(mode, json.dumps(results[mode]))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(out.read_text()) if out.exists() else {}
    old.update(results)
    old["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    out.write_text(json.dumps(old, indent=2) + "\n")


if __name__ == "__main__":
    main()
