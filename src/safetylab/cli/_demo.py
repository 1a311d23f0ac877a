"""``safetylab demo``: the paper's ablation in miniature on the bundled model."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="run the safety-data ablation end to end (mixtures, LoRA, generate, judge, report)",
        description="Run (or resume) the safety-data ablation on the bundled model.",
    )
    p.add_argument(
        "--out", default=None, help="run directory (default runs/demo or runs/demo-quick)"
    )
    p.add_argument("--quick", action="store_true", help="smaller grid for a first look (N = 0, 64)")
    p.add_argument("--config", default=None, help="YAML config (default: the shipped preset)")
    p.add_argument("--model", default=None, help="base model: bundled name, HF id or local folder")
    p.add_argument(
        "--force", action="store_true", help="reuse a run directory made by another config"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from safetylab.config import load_config, validate
    from safetylab.report import headline_table
    from safetylab.sweep import run_demo

    preset = "demo-quick" if args.quick else "demo"
    cfg = load_config(args.config, preset=None if args.config else preset)
    if args.model:
        cfg.model = args.model
        validate(cfg)
    out = args.out or f"runs/{preset}"
    rows = run_demo(cfg, out, force=args.force)
    print()
    print(headline_table(rows))
    print(f"\nreport: {out}/report.html  (also report.md, metrics.json)")
    return 0
