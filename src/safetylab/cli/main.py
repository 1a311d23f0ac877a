"""The ``safetylab`` command: one small module per verb; each calls the public API.

safetylab --help
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import safetylab.cli
from safetylab._secrets import mask_url
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


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (no usage block), with a did-you-mean for a
    misspelt choice; subcommand parsers inherit it."""

    def error(self, message: str) -> NoReturn:
        import difflib
        import re

        m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if m:
            choices = re.findall(r"'([^']*)'", m.group(2))
            close = difflib.get_close_matches(m.group(1), choices, n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
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
        print(f"safetylab: error: {mask_url(str(e))}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("safetylab: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, not the user's input: one line, the traceback in a file
        where = _save_traceback(argv if argv is not None else sys.argv[1:])
        print(
            f"safetylab: internal error: {type(e).__name__}: {mask_url(_one_line(str(e)))} "
            f"(traceback: {where}; please report it)",
            file=sys.stderr,
        )
        return 1


def _one_line(text: str, n: int = 200) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 3] + "..."


def _save_traceback(argv: list[str]) -> str:
    """Write the current exception's traceback to a log file; returns its path."""
    import os
    import tempfile
    import time
    import traceback

    from safetylab._secrets import mask_url
    from safetylab.store import cache_dir

    text = mask_url(f"safetylab {' '.join(argv)}\n\n{traceback.format_exc()}")
    name = f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in (cache_dir() / "logs", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
            return str(folder / name)
        except OSError:
            continue
    return "(could not be saved)"


if __name__ == "__main__":
    sys.exit(main())
