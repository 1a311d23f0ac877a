"""``safetylab ls``: list registered plugins (backends, judges, suites, datasets)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("ls", help="list registered plugins", description="List registered plugins.")
    p.add_argument("family", nargs="?", default=None, help="backends, judges, suites or datasets")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from safetylab.registry import ALL, load_plugins

    load_plugins()
    fams = [args.family] if args.family else list(ALL)
    for fam in fams:
        if fam not in ALL:
            from safetylab.errors import SafetylabError

            raise SafetylabError(f"unknown family {fam!r} (known: {', '.join(ALL)})")
        print(f"{fam}:")
        for e in ALL[fam]:
            print(f"  {e.name:<28} {e.description}")
    return 0
