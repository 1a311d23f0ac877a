"""Time `safetylab demo` (= `safetylab study demo`; full and --quick) from a cold model cache.

    python benchmarks/demo_time.py [--only quick|full] [--keep DIR]

Writes benchmarks/results/demo_time.json: wall time of the first run and of a re-run of the
finished study, seconds per cell (cells/*/done.json) and per training run, the headline rates of
every cell with their 95% intervals, the CPU flags that decide the compute dtype and the load
average before and after (figures are only comparable on one machine, measured in one run).
Limit from issue 17: the full demo <= 8 min on 2 cores.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from safetylab.bench import machine, merge_results, time_study


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
        preset = "study-demo-quick" if mode == "quick" else "demo"
        keep = Path(args.keep) / mode if args.keep else None
        results[mode] = time_study(preset, keep=keep)
        results[mode]["limit_seconds"] = 480 if mode == "full" else None
        print(mode, json.dumps(results[mode], indent=1))
    results["machine"] = machine()
    merge_results(args.out, results)


if __name__ == "__main__":
    main()
