"""``safetylab export``: every answer of runs or studies as one table (parquet, CSV or JSONL).

safetylab export runs/study --format parquet --out answers.parquet
safetylab export runs/eval-0 runs/eval-150 --format csv --out answers.csv
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from safetylab.cli._args import add_run_args, verb_parser

FORMATS = ("parquet", "csv", "jsonl")


def add_parser(sub: Any) -> None:
    p = verb_parser(
        sub,
        "export",
        help="write every answer of runs/studies as a parquet, CSV or JSONL table",
        description="One row per answer: run, model, cell, strategy, N, seed, suite, category, "
        "transform, prompt, answer, and each judge's label_<judge> and score_<judge>. "
        "Never overwrites an existing file.",
        run=run,
    )
    p.add_argument("--format", choices=FORMATS, default=None, help="default: from --out's suffix")
    add_run_args(p, "file to write (must not exist)", out_required=True)


def export_answers(runs: list[str], out: str | Path, fmt: str | None = None) -> int:
    """Write the answers table of ``runs`` to ``out``; returns the number of rows."""
    from safetylab.errors import SafetylabError
    from safetylab.report import load_runs

    path = Path(out)
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise SafetylabError(f"--out {path}: say --format ({', '.join(FORMATS)})")
    if path.exists():
        raise SafetylabError(f"--out {path}: file exists; choose another name (never overwritten)")
    df = load_runs(list(runs))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "parquet":
        df.to_parquet(tmp, index=False)
    elif fmt == "csv":
        df.to_csv(tmp, index=False)
    else:
        df.to_json(tmp, orient="records", lines=True, force_ascii=False)
    try:
        os.link(tmp, path)  # fails if the file appeared meanwhile: nothing is overwritten
    except FileExistsError:
        raise SafetylabError(f"--out {path}: file exists; choose another name") from None
    finally:
        tmp.unlink()
    return len(df)


def run(args: argparse.Namespace) -> int:
    n = export_answers(args.runs, args.out, args.format)
    print(f"{n} answers -> {args.out}")
    return 0
