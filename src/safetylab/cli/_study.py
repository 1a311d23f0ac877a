"""``safetylab study``: strategies x sizes -> every suite -> one comparative report.

safetylab study demo                                  # the smallest preset
safetylab study cpu --out runs/cpu                    # all four strategies, bundled model
safetylab study my.yaml --out runs/s --shard 2/8      # one of 8 workers on one study dir
safetylab study paper --source DIR --out runs/paper   # the study's grid, on a GPU
safetylab study --status runs/s                       # done / running / failed / pending
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "study",
        help="run a study: strategies x sizes x seeds -> every suite -> one comparative report",
        description="Run (or resume) a study from a YAML config or a preset "
        "(demo, cpu, paper, frontier); --status DIR shows a study's grid.",
    )
    p.add_argument("config", nargs="?", default=None, help="YAML file or preset name")
    p.add_argument("--out", default=None, help="study directory (default runs/study-<name>)")
    p.add_argument("--shard", default=None, help="i/k: run every k-th cell starting at the i-th")
    p.add_argument("--source", default=None, help="folder with local copies of public datasets")
    p.add_argument("--model", default=None, help="base model instead of the config's models")
    p.add_argument("--force", action="store_true", help="reuse a study dir made by another config")
    p.add_argument("--status", metavar="DIR", default=None, help="show a study's grid and exit")
    p.set_defaults(func=run)


def gpu_hours(cfg: Any) -> float | None:
    """A rough estimate: training examples over all cells x epochs x the config's hours per
    1,000 examples (``gpu_hours_per_1k_examples``), or None when the config has no rate."""
    from safetylab.pipeline import BASE, strategy_sizes, train_config

    rate = cfg.gpu_hours_per_1k_examples
    if not rate:
        return None
    general = cfg.general.n or 0
    epochs = train_config(cfg).epochs
    total = 0
    for _ in cfg.models:
        for _ in cfg.seeds:
            sizes = {(BASE, 0)} if 0 in cfg.sizes else set()
            for s in cfg.strategies:
                sizes |= {(s, n) for n in strategy_sizes(cfg, s) if n}
            total += sum(general + n for _, n in sizes)
    return float(rate) * total * epochs / 1000


def run(args: argparse.Namespace) -> int:
    import os
    import sys

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from safetylab.errors import SafetylabError
    from safetylab.pipeline import parse_shard, run_study, study_status

    if args.status:
        if args.config:
            raise SafetylabError("--status DIR takes no config")
        print(study_status(args.status))
        return 0
    if not args.config:
        raise SafetylabError("give a config file or a preset (demo, cpu, paper, frontier)")
    from safetylab.pipeline import load_study

    shard = parse_shard(args.shard)
    cfg = load_study(args.config)
    if getattr(args, "model", None):
        cfg.models = [args.model]
    out = args.out or f"runs/study-{cfg.name}"
    hours = gpu_hours(cfg)
    if hours is not None:
        print(f"estimate: about {hours:.1f} GPU-hours of training for the whole grid "
              f"({cfg.gpu_hours_per_1k_examples} h per 1,000 examples per epoch)", file=sys.stderr)  # fmt: skip
    res = run_study(cfg, out, shard=shard, source=args.source, force=args.force)
    print_summary(res.rows, out)
    if res.failed:
        print("failed cells:", file=sys.stderr)
        for k, v in res.failed.items():
            print(f"  {k}: {v}", file=sys.stderr)
        return 1
    return 0


def print_summary(rows: list[dict[str, Any]], out: str) -> None:
    from safetylab.report import study_points, study_table

    strategies = list(dict.fromkeys(r["strategy"] for r in rows))
    print()
    print(study_table(study_points(rows), strategies))
    print(f"\nreport: {out}/report.html  (also report.md, metrics.json, answers.csv/.parquet)")
