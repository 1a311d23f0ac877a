"""Re-judging a finished evaluation: ~1,000 prompts, two judges, generations reused.

    python benchmarks/rejudge.py [--source ../shared/data] [--out runs/bench-rejudge]

1. `safetylab eval` of the bundled model on all six suites (bundled + public sets, --n 70:
   1,017 prompts) with the strmatch-plus judge: generates every answer (slow, not the figure);
2. the same run with `--judges strmatch-plus,refusal`: no generation, the refusal judge labels
   every answer (the figure: goal < 30 s);
3. the same again: everything reused.

Writes benchmarks/results/rejudge.json; the last line printed is step 2's seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from safetylab.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "rejudge.json"
SUITES = "harm,overrefusal,pairs,helpful,dualuse,physical"


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _lines(path: Path) -> int:
    return sum(1 for _ in path.open()) if path.exists() else 0


def _step(run: Path, source: str, judges: str, n: int) -> dict[str, float | int]:
    load = _load()
    t = time.perf_counter()
    code = main(
        ["eval", "--suites", SUITES, "--source", source, "--n", str(n), "--judges", judges]
        + ["--out", str(run)]
    )
    seconds = time.perf_counter() - t
    if code != 0:
        sys.exit(code)
    return {
        "seconds": round(seconds, 1),
        "load_average_start": load,
        "generations": _lines(run / "generations.jsonl"),
        "judgments": _lines(run / "judgments.jsonl"),
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(ROOT / "runs" / "bench-rejudge"))
    ap.add_argument("--n", type=int, default=70)
    args = ap.parse_args()
    run = Path(args.out)
    res = {
        "prompts_per_suite_and_source": args.n,
        "generate_and_judge": _step(run, args.source, "strmatch-plus", args.n),
        "rejudge_new_judge": _step(run, args.source, "strmatch-plus,refusal", args.n),
        "rejudge_all_reused": _step(run, args.source, "strmatch-plus,refusal", args.n),
        "goal_seconds": 30,
    }
    res["prompts"] = res["generate_and_judge"]["generations"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
    print(
        f"re-judging {res['prompts']} answers with a new judge: "
        f"{res['rejudge_new_judge']['seconds']} s (goal < 30 s)"
    )
