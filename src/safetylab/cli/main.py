"""The ``safetylab`` command: one small module per verb; each calls the public API.

safetylab --help
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from types import ModuleType

import safetylab.cli
from safetylab.errors import SafetylabError


def verbs() -> list[ModuleType]:
    """Every ``safetylab.cli._<verb>`` module (each defines ``add_parser`` and ``run``)."""
    mods = []
    for info in sorted(pkgutil.iter_modules(safetylab.cli.__path__), key=lambda i: i.name):
        if info.name.startswith("_") and not info.name.startswith("__"):
            mod = importlib.import_module(f"safetylab.cli.{info.name}")
            if hasattr(mod, "add_parser"):
                mods.append(mod)
    return mods


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="safetylab",
        description="Safety-tune language models and measure what the tuning costs.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    for mod in verbs():
        mod.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(message)s",
    )
    for noisy in ("httpx", "urllib3", "transformers", "peft", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        return int(args.func(args) or 0)
    except SafetylabError as e:
        print(f"safetylab: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("safetylab: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
