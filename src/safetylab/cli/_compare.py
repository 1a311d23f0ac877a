"""``safetylab compare RUN_A RUN_B``: paired differences on shared prompts, McNemar's test."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="paired differences between two runs (McNemar's test per suite and transform)",
        description="Compare two eval runs on the prompts they share.",
    )
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument("--judge", default=None, help="judge name@version (default: each run's first)")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.set_defaults(func=run)


def outcomes(run: Path, judge: str | None) -> tuple[dict[str, bool], dict[str, str]]:
    """Per prompt id: the suite's outcome (harm: complied; others: refused), and group names."""
    from safetylab.errors import SafetylabError
    from safetylab.store import read_jsonl

    for f in ("prompts.jsonl", "generations.jsonl", "judgments.jsonl"):
        if not (run / f).exists():
            raise SafetylabError(f"{run}: no {f}; is it a finished run directory?")
    prompts = {p["id"]: p for p in read_jsonl(run / "prompts.jsonl")}
    gen = {g["id"]: g["prompt_id"] for g in read_jsonl(run / "generations.jsonl")}
    js = read_jsonl(run / "judgments.jsonl")
    judge = judge or (js[0]["judge"] if js else None)
    out: dict[str, bool] = {}
    group: dict[str, str] = {}
    for j in js:
        if j["judge"] != judge or j["generation_id"] not in gen:
            continue
        pid = gen[j["generation_id"]]
        p = prompts[pid]
        key = p["suite"] + (f"@{p['transform']}" if p.get("transform") else "")
        out[pid] = (
            j["label"] == "full_compliance"
            if p["suite"] == "harm"
            else j["label"] != "full_compliance"
        )
        group[pid] = key
    return out, group


def run(args: argparse.Namespace) -> int:
    from safetylab.errors import SafetylabError
    from safetylab.evals._stats import paired_difference

    a, ga = outcomes(Path(args.run_a), args.judge)
    b, _ = outcomes(Path(args.run_b), args.judge)
    shared = sorted(set(a) & set(b))
    if not shared:
        raise SafetylabError("the two runs share no judged prompts (same suites, same prompts?)")
    groups: dict[str, list[str]] = defaultdict(list)
    for pid in shared:
        groups[ga[pid]].append(pid)
    result = {}
    print(f"{'suite':<28} {'n':>5} {'A':>7} {'B':>7} {'B-A':>7} {'p (McNemar)':>12}")
    for g in sorted(groups):
        ids = groups[g]
        d = paired_difference([a[i] for i in ids], [b[i] for i in ids])
        result[g] = d
        print(
            f"{g:<28} {d['n']:>5} {d['rate_a']:>7.3f} {d['rate_b']:>7.3f} {d['diff']:>+7.3f} {d['p_value']:>12.4f}"
        )
    print("(harm: harmful-compliance rate; other suites: refusal rate)")
    if args.json:
        print(json.dumps(result))
    return 0
