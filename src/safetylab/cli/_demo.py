"""``safetylab demo``: an alias of ``safetylab study demo`` (same outputs, same table)."""

from __future__ import annotations

import argparse
from typing import Any


def preset_sizes(preset: str) -> str:
    """``N = 0, 100``: the size grid of a shipped study preset, read from its YAML file so the
    help never disagrees with the config."""
    from safetylab._yaml import read_yaml_mapping
    from safetylab.config import PRESETS_DIR

    sizes = read_yaml_mapping(PRESETS_DIR / f"{preset}.yaml").get("sizes") or []
    return "N = " + ", ".join(str(n) for n in sizes)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="the safety-data study in miniature (= safetylab study demo)",
        description="Run (or resume) the demo study on the bundled model: safety-only over "
        f"{preset_sizes('study-demo')} and context-aware at the top N.",
    )
    p.add_argument("--out", default=None, help="study directory (default runs/demo)")
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smaller grid for a first look ({preset_sizes('study-demo-quick')})",
    )
    p.add_argument("--config", default=None, help="a study YAML instead of the preset")
    p.add_argument("--source", default=None, help="folder with local copies of public datasets")
    p.add_argument("--model", default=None, help="base model: bundled name, HF id or local folder")
    p.add_argument("--force", action="store_true", help="reuse a study dir made by another config")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from safetylab.cli import _study

    preset = "study-demo-quick" if args.quick else "demo"
    ns = argparse.Namespace(
        config=args.config or preset,
        out=args.out or ("runs/demo-quick" if args.quick else "runs/demo"),
        shard=None,
        source=args.source,
        model=args.model,
        force=args.force,
        status=None,
    )
    return _study.run(ns)
