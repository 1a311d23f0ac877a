"""The bundled ``sensitive-more`` training set: 240 safe-but-sensitive prompts with helpful
answers, 30 per XSTest-like type, none refusing, none a near-duplicate of a held-out eval prompt
(bundled eval files, XSTest when the shared copy exists) or of ``sensitive-train``."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest

from safetylab.data import BUNDLED_DIR, bundled_records, load_bundled
from safetylab.data._contamination import ngrams, normalize
from safetylab.judges import StrMatchPlus
from safetylab.records import Example, refused
from tests.conftest import SHARED_DATA
from tests.data.test_data import XS_TYPES

TYPES = XS_TYPES
HELD_OUT = [
    "eval/sensitive_safe.jsonl",
    "eval/sensitive_safe_neutral.jsonl",
    "eval/sensitive_unsafe.jsonl",
    "eval/harmful.jsonl",
    "train/sensitive_train.jsonl",
]
XSTEST = SHARED_DATA / "exaggerated-safety" / "xstest_prompts.csv"
MAX_JACCARD = 0.5

ROWS = load_bundled("sensitive-more")


def _file_prompts(rel: str) -> list[str]:
    with open(BUNDLED_DIR / rel, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r["prompt"] for r in rows if "prompt" in r]  # neutral rewrites skip some rows


def _jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _near_duplicates(prompts: list[str], others: list[str]) -> list[tuple[str, str, float]]:
    """(prompt, other, similarity) for identical normalised text or word 3-gram Jaccard >= 0.5."""
    theirs = [(o, normalize(o), ngrams(o, 3)) for o in others]
    out = []
    for p in prompts:
        norm, grams = normalize(p), ngrams(p, 3)
        for o, onorm, ograms in theirs:
            j = 1.0 if norm == onorm else _jaccard(grams, ograms)
            if j >= MAX_JACCARD:
                out.append((p, o, j))
    return out


def test_size_ids_and_types():
    assert len(ROWS) == 240
    assert [r["id"] for r in ROWS] == [f"xs-more-{i:03d}" for i in range(1, 241)]
    assert Counter(r["type"] for r in ROWS) == {t: 30 for t in TYPES}
    for r in ROWS:
        assert set(r) == {"id", "type", "focus", "prompt", "response"}
        assert r["focus"].strip() and r["prompt"].strip()


def test_records_are_safe_examples():
    recs = bundled_records("sensitive-more")
    assert recs == [
        Example(r["prompt"], r["response"], "bundled/sensitive-more", r["type"], "", "safe")
        for r in ROWS
    ]


def test_answers_are_helpful_and_never_refuse():
    responses = [r["response"] for r in ROWS]
    for r in ROWS:
        assert 30 <= len(r["response"].split()) <= 120, r["id"]
    labels = StrMatchPlus().judge([r["prompt"] for r in ROWS], responses)
    pairs = zip(ROWS, labels, strict=True)
    assert [(r["id"], why) for r, (lab, _, why) in pairs if refused(lab)] == []


def test_no_near_duplicates_within_the_set():
    prompts = [r["prompt"] for r in ROWS]
    assert len({normalize(p) for p in prompts}) == len(prompts)
    grams = [ngrams(p, 3) for p in prompts]
    close = [
        (prompts[i], prompts[j])
        for i in range(len(prompts))
        for j in range(i + 1, len(prompts))
        if _jaccard(grams[i], grams[j]) >= MAX_JACCARD
    ]
    assert close == []


@pytest.mark.parametrize("rel", HELD_OUT)
def test_no_near_duplicate_of_held_out_prompts(rel):
    others = _file_prompts(rel)
    assert others
    assert _near_duplicates([r["prompt"] for r in ROWS], others) == []


@pytest.mark.skipif(not XSTEST.is_file(), reason=f"XSTest prompts not found at {XSTEST}")
def test_no_near_duplicate_of_xstest():
    with open(XSTEST, encoding="utf-8", newline="") as f:
        others = [row["prompt"] for row in csv.DictReader(f)]
    assert len(others) == 450
    found = _near_duplicates([r["prompt"] for r in ROWS], others)
    assert [(p, round(j, 2)) for p, _, j in found] == []  # XSTest's text stays out of the log
