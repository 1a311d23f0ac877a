"""Argument parsing that several verbs share: the verb's parser and the run directories it reads
(``compare``, ``export``, ``view``). Not a verb itself (no ``add_parser``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

RUN_DIRS_HELP = "demo, eval or study directories"


def verb_parser(
    sub: Any, name: str, help: str, description: str, run: Callable[[argparse.Namespace], int]
) -> argparse.ArgumentParser:
    """The subcommand ``name`` (``--help`` shows ``description``) whose work is ``run``."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help, description=description)
    p.set_defaults(func=run)
    return p


def add_run_args(p: argparse.ArgumentParser, out_help: str, out_required: bool = False) -> None:
    """The run directories read (``RUN ...``, at least one) and ``--out``, where to write."""
    p.add_argument("runs", nargs="+", metavar="RUN", help=RUN_DIRS_HELP)
    p.add_argument("--out", required=out_required, default=None, help=out_help)
