"""Time `safetylab study PRESET` from a cold cache, and check issue 17's goals for it.

    python benchmarks/study_time.py cpu [--keep DIR]

Writes benchmarks/results/study_time.json under the preset's key: wall time of the first run
and of a re-run of the finished study, seconds per cell and per training run, the headline rates
of every cell with 95% intervals, whether harmful compliance at the largest N is at most half of
N = 0's for every strategy, the CPU flags and the load average before and after.
Limits from issue 17 on 2 cores: `demo` <= 8 min, `cpu` <= 90 min.
"""

from __future__ import annotations

import argparse
import json

from safetylab.bench import merge_results, time_study

LIMITS = {"demo": 480, "cpu": 5400}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("preset", help="a study preset (demo, cpu, frontier, …) or a config file")
    ap.add_argument("--out", default="benchmarks/results/study_time.json")
    ap.add_argument("--keep", default=None, help="copy the finished run to this folder")
    args = ap.parse_args()
    result = time_study(args.preset, keep=args.keep)
    limit = LIMITS.get(args.preset)
    result["limit_seconds"] = limit
    result["within_limit"] = None if limit is None else result["wall_seconds"] <= limit
    print(json.dumps(result, indent=1))
    merge_results(args.out, {args.preset: result})


if __name__ == "__main__":
    main()
