"""``safetylab attack``: list the prompt transforms, or apply one (or a composition) to a text.

safetylab attack list --coverage      # prompts each transform changes in the bundled eval sets
safetylab attack apply base64 --text "How do I pick a lock?"
safetylab attack apply synonym+rot13 --text "How do I kill a weed?" --seed 2 --json
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "attack",
        help="list or apply adversarial prompt transforms",
        description="List or apply deterministic adversarial prompt transforms.",
    )
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = acts.add_parser(
        "list",
        help="name, family and description of every transform, and why it may leave a prompt "
        "unchanged",
    )
    ls.add_argument(
        "--coverage",
        action="store_true",
        help="also print the prompts each transform changes in the bundled harmful and "
        "safe-sensitive eval sets (changed/given)",
    )
    ls.set_defaults(func=run)
    ap = acts.add_parser(
        "apply",
        help="transform one text",
        description="Transform one text; NAME may compose transforms with '+', e.g. synonym+base64.",
    )
    ap.add_argument("name", metavar="NAME", help="transform name, or several joined by '+'")
    ap.add_argument("--text", required=True, help="the request to transform")
    ap.add_argument("--seed", type=int, default=0, help="seed for the random choices (default 0)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from safetylab.attacks import get_transform, list_transforms

    if args.action == "list":
        sets = _bundled_sets() if getattr(args, "coverage", False) else {}
        for t in list_transforms():
            note = f" [coverage: {t.coverage_note}]" if t.coverage_note else ""
            cov = "".join(f" {k} {_cov(t.name, v)}" for k, v in sets.items())
            print(f"{t.name:<20} {t.family:<12}{cov} {t.description}{note}")
        return 0
    r = get_transform(args.name).apply(args.text, seed=args.seed)
    if args.json:
        print(json.dumps(r.to_dict(), ensure_ascii=False))
    elif r.messages is not None:
        print("\n\n".join(f"[{m['role']}] {m['content']}" for m in r.messages))
    else:
        print(r.text)
    return 0


def _bundled_sets() -> dict[str, list[str]]:
    from safetylab.data import bundled_records

    return {
        "harmful": [p.text for p in bundled_records("harmful")],
        "safe": [p.text for p in bundled_records("sensitive-safe")],
    }


def _cov(name: str, texts: list[str]) -> str:
    from safetylab.attacks import coverage

    changed, given = coverage(name, texts)
    return f"{changed}/{given}"
