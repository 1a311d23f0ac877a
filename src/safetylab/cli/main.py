"""The ``safetylab`` command: one small module per verb; each calls the public API.

    safetylab --help
"""

from __future__ import annotations

import argparse
import logging
import sys

from safetylab.cli import _demo, _ls
from safetylab.errors import SafetylabError

VERBS = [_demo, _ls]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="safetylab",
        description="Safety-tune language models and measure what the tuning costs.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    for mod in VERBS:
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
