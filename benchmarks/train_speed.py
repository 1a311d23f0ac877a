"""Training speed: safetylab's loop vs the study's recipe; writes benchmarks/results/train_speed.json.

    python benchmarks/train_speed.py                                  # full: 936 examples (hours on 2 CPU cores)
    python benchmarks/train_speed.py --examples 64 --val-examples 24 --batch-size 16 --threads 1

Any option of `safetylab bench train` is passed through; the last line printed is the ratio
of tokens/s, (a) safetylab over (b) the study's recipe (goal: >= 2.0 at <= validation loss).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from safetylab.cli.main import main

OUT = Path(__file__).resolve().parent / "results" / "train_speed.json"

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--out" not in args:
        args += ["--out", str(OUT)]
    t = time.perf_counter()
    code = main(["bench", "train", *args])
    print(f"(wall time {time.perf_counter() - t:.0f}s)", file=sys.stderr)
    sys.exit(code)
