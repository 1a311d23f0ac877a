"""``safetylab eval``: evaluate one model on suites, transforms and judges."""

from __future__ import annotations

import argparse
from typing import Any


def _csv(s: str) -> list[str]:
    return [x.strip() for x in s.split(",") if x.strip()]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate a model: harm, over-refusal, pairs, helpful, dual use, physical; attacks",
        description="Evaluate a model on suites (bundled; public sets with --source).",
    )
    p.add_argument("--model", default="smollm2-135m-instruct", help="bundled name, HF id or folder")
    p.add_argument("--adapter", default=None, help="LoRA adapter folder (applied unmerged)")
    p.add_argument(
        "--suites", default="harm,overrefusal,helpful", help="comma-separated suite names"
    )
    p.add_argument(
        "--judges", default="strmatch-plus", help="comma-separated; the first drives metrics"
    )
    p.add_argument(
        "--attacks", default="", help="comma-separated transforms (see `safetylab attack list`)"
    )
    p.add_argument("--n", type=int, default=40, help="prompts per suite and source (0 = all)")
    p.add_argument("--source", default=None, help="folder with local copies of public datasets")
    p.add_argument(
        "--mc", type=int, default=0, help="multiple-choice capability questions (helpful)"
    )
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--backend", default="hf", help="hf or mock")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument(
        "--force", action="store_true", help="reuse a run directory made by another config"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from safetylab.evals._run import EvalConfig, run_eval

    cfg = EvalConfig(
        model=args.model,
        adapter=args.adapter,
        suites=_csv(args.suites),
        judges=_csv(args.judges),
        n=args.n or None,
        source=args.source,
        attacks=_csv(args.attacks),
        mc=args.mc,
        max_new_tokens=args.max_new_tokens,
        batch_size=args.batch_size,
        backend=args.backend,
        seed=args.seed,
    )
    rows = run_eval(cfg, args.out, force=args.force)
    for r in rows:
        if "/" not in r.suite:
            print(
                f"{r.suite:<28} {r.metric:<26} {r.value:6.3f}  [{r.ci_low:.3f}, {r.ci_high:.3f}]  n={r.n}"
            )
    print(f"\nmetrics: {args.out}/metrics.json")
    return 0
