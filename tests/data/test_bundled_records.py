"""Consumers of the bundled files (probes, capability, pairs/dual-use suites, train bench) take
records from data/_bundled.py; the items they produce equal what reading the files' columns
directly gives (the reference below is written from the files, independently of the package)."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from typing import Any

import pytest

from safetylab.bench._train import bench_mixture
from safetylab.data import BUNDLED_DIR, mcq_questions
from safetylab.evals import get_suite
from safetylab.probes import probe_items
from safetylab.records import Example


def _rows(rel: str) -> list[dict[str, Any]]:
    with open(BUNDLED_DIR / rel, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _even(rows: list[dict[str, Any]], key: Any, n: int | None) -> list[dict[str, Any]]:
    """Up to n rows, round-robin over sorted groups, each group in id order."""
    if n is None or n >= len(rows):
        return rows
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: r["id"]):
        groups[key(r)].append(r)
    out: list[dict[str, Any]] = []
    for i in range(max(len(g) for g in groups.values())):
        out += [groups[g][i] for g in sorted(groups) if i < len(groups[g])]
    return out[:n]


SIZES = [None, 1, 7, 24]


@pytest.mark.parametrize("n", [None, 5, 24, 100])
def test_mcq_questions_are_the_files_rows_taken_evenly_by_subject(n):
    want = _even(_rows("eval/mcq.jsonl"), lambda r: r["subject"], n)
    got = [(q.id, q.subject, q.question, list(q.choices), q.answer) for q in mcq_questions(n)]
    assert got == [(r["id"], r["subject"], r["question"], r["choices"], r["answer"]) for r in want]
    assert len({q.subject for q in mcq_questions(24)}) == 12


@pytest.mark.parametrize("n", SIZES)
def test_pairs_suite_gives_each_unsafe_twin_after_its_safe_one(n):
    safe = {r["id"]: r for r in _rows("eval/sensitive_safe.jsonl")}
    want = []
    for u in _even(_rows("eval/sensitive_unsafe.jsonl"), lambda r: r["type"], n):
        s = safe[u["contrast_of"]]
        want += [
            (s["prompt"], "safe", f"pair:{s['id']}", s["id"], s["focus"]),
            (u["prompt"], "unsafe", f"pair:{s['id']}", u["id"], u["focus"]),
        ]
    got = get_suite("pairs").prompts(n)
    assert [(p.text, p.label, p.category, p.source_id, p.focus) for p in got] == want
    assert {p.suite for p in got} == {"pairs"} and len(got) == 2 * (n or 120)


@pytest.mark.parametrize("n", SIZES)
def test_dualuse_suite_is_taken_evenly_by_domain_and_side(n):
    want = _even(_rows("eval/dualuse.jsonl"), lambda r: f"{r['domain']}:{r['side']}", n)
    got = get_suite("dualuse").prompts(n)
    assert [(p.text, p.category, p.source_id, p.suite, p.focus) for p in got] == [
        (r["prompt"], r["domain"], r["id"], "dualuse", "") for r in want
    ]
    assert [p.label for p in got] == [
        "safe" if r["side"] == "legitimate" else "unsafe" for r in want
    ]


def _probe_reference(split: str) -> list[tuple[str, int, str, str, str, str]]:
    """(text, intent, source, category, focus, pair) as the files' columns give them."""
    if split != "decorrelated":
        harm, plain = (
            ("train/safety", "train/general")
            if split == "train"
            else (
                "eval/harmful",
                "eval/helpful",
            )
        )
        names = (
            ("bundled/safety", "bundled/general")
            if split == "train"
            else (
                "bundled/harmful",
                "bundled/helpful",
            )
        )
        out = [(r["prompt"], 1, names[0], r["category"], "", "") for r in _rows(f"{harm}.jsonl")]
        return out + [
            (r["instruction"], 0, names[1], r["task_type"], "", "") for r in _rows(f"{plain}.jsonl")
        ]
    out = [
        (
            r["prompt"],
            0,
            "bundled/sensitive-safe",
            r["type"],
            r["focus"],
            r.get("contrast_id") or r["id"],
        )
        for r in _rows("eval/sensitive_safe.jsonl")
    ]
    out += [
        (r["prompt"], 1, "bundled/sensitive-unsafe", r["type"], r["focus"], r["id"])
        for r in _rows("eval/sensitive_unsafe.jsonl")
    ]
    return out + [
        (r[f"{side}_prompt"], intent, "bundled/context-pairs", r["category"], "", r["id"])
        for r in _rows("train/context_pairs.jsonl")
        for side, intent in (("legit", 0), ("harmful", 1))
    ]


@pytest.mark.parametrize("split", ["train", "heldout", "decorrelated"])
def test_probe_items_are_the_files_rows_in_file_order(split):
    got = probe_items(split)
    assert [(i.text, i.intent, i.source, i.category, i.focus, i.pair) for i in got] == (
        _probe_reference(split)
    )
    assert {i.split for i in got} == {split}
    assert len(got) == {"train": 700, "heldout": 200, "decorrelated": 640}[split]


@pytest.mark.parametrize(("split", "n", "seed"), [("heldout", 10, 3), ("decorrelated", 37, 1)])
def test_probe_subsample_picks_the_same_texts_from_the_records(split, n, seed):
    """The seeded subsample depends only on the items' order and labels, which are unchanged."""
    ref = _probe_reference(split)
    got = probe_items(split, n_per_class=n, seed=seed)
    pos = {t[0]: k for k, t in enumerate(ref)}
    assert [pos[i.text] for i in got] == sorted(pos[i.text] for i in got)
    assert len(got) == (2 * n if split == "heldout" else 76)


def test_bench_mixture_is_the_four_training_files_in_a_seeded_order():
    want: list[tuple[str, Example | None]] = [
        (r["instruction"], None) for r in _rows("train/general.jsonl")
    ]
    want += [
        (
            "",
            Example(r["prompt"], r["refusal"], "bundled/safety", r["category"], "safety", "unsafe"),
        )
        for r in _rows("train/safety.jsonl")
    ]
    want += [
        ("", Example(r["prompt"], r["response"], "bundled/sensitive-train", r["type"], "sensitive"))
        for r in _rows("train/sensitive_train.jsonl")
    ]
    for r in _rows("train/context_pairs.jsonl")[:120]:
        src, cat = "bundled/context-pairs", r["category"]
        want.append(("", Example(r["legit_prompt"], r["legit_response"], src, cat, "context")))
        want.append(("", Example(r["harmful_prompt"], r["refusal"], src, cat, "context", "unsafe")))
    random.Random(0).shuffle(want)
    assert bench_mixture() == want
