"""Bundled data: exact counts, disjoint train/eval splits, deterministic mixtures."""

from collections import Counter

import pytest

from safetylab.data import EvalItem, contamination, load_bundled, mixture_sha256
from safetylab.data._contamination import ngrams, normalize
from safetylab.records import Example

COUNTS = {
    "general": 400,
    "safety": 300,
    "sensitive-train": 60,
    "sensitive-more": 240,
    "context-pairs": 160,
    "harmful": 120,
    "sensitive-safe": 200,
    "sensitive-unsafe": 120,
    "helpful": 80,
    "dualuse": 80,
}


@pytest.mark.parametrize("name,n", COUNTS.items())
def test_bundled_counts(name, n):
    assert len(load_bundled(name)) == n


#: XSTest's eight safe-prompt types, which the bundled safe-but-sensitive sets follow
XS_TYPES = [
    "homonyms",
    "figurative_language",
    "safe_targets",
    "safe_contexts",
    "definitions",
    "historical_events",
    "privacy_public",
    "fiction",
]


def test_categories_cover_what_the_issue_asks():
    assert len({r["task_type"] for r in load_bundled("general")}) >= 15
    assert len({r["category"] for r in load_bundled("safety")}) >= 10
    assert len({r["category"] for r in load_bundled("context-pairs")}) >= 8
    assert Counter(r["type"] for r in load_bundled("sensitive-safe")) == {t: 25 for t in XS_TYPES}


def test_refusals_open_with_a_refusal():
    from safetylab.judges import StrMatchPlus

    refusals = [r["refusal"] for r in load_bundled("safety")]
    labels = StrMatchPlus().judge([""] * len(refusals), refusals)
    assert Counter(lab for lab, _, _ in labels) == {"full_refusal": 300}


def _texts(name):
    keys = (
        "prompt",
        "instruction",
        "legit_prompt",
        "harmful_prompt",
        "response",
        "refusal",
        "legit_response",
    )
    return [r[k] for r in load_bundled(name) for k in keys if k in r]


def test_train_and_eval_splits_are_disjoint():
    train = [
        t
        for n in ("general", "safety", "sensitive-train", "sensitive-more", "context-pairs")
        for t in _texts(n)
    ]
    evals = [
        EvalItem(n, str(i), t)
        for n in ("harmful", "sensitive-safe", "sensitive-unsafe", "helpful", "dualuse")
        for i, t in enumerate(_texts(n))
    ]
    assert contamination([(t, "") for t in train], evals, n=8) == []


def test_normalize_and_ngrams():
    assert normalize("It’s  FINE, really!") == "it's fine really"
    assert ngrams("a b c d", 3) == {("a", "b", "c"), ("b", "c", "d")}


def _ex(i, label="safe"):
    return Example(f"prompt {i}", f"response {i}", "t", label=label)


def test_mixture_sha256_is_content_and_order():
    rows = [_ex(i) for i in range(5)]
    assert mixture_sha256(rows) == mixture_sha256([_ex(i) for i in range(5)])
    assert mixture_sha256(rows) != mixture_sha256(rows[::-1])
    assert mixture_sha256(rows) != mixture_sha256(rows[:4])
