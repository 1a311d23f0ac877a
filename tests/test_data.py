"""Bundled data: exact counts, disjoint train/eval splits, deterministic mixtures."""

from collections import Counter

import pytest

from safetylab.data import balanced_mixture, find_contamination, load_bundled, mixture_sha256
from safetylab.data._contamination import ngrams, normalize
from safetylab.records import Example

COUNTS = {
    "general": 400,
    "safety": 300,
    "sensitive-train": 60,
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


def test_categories_cover_what_the_issue_asks():
    assert len({r["task_type"] for r in load_bundled("general")}) >= 15
    assert len({r["category"] for r in load_bundled("safety")}) >= 10
    assert len({r["category"] for r in load_bundled("context-pairs")}) >= 8
    assert Counter(r["type"] for r in load_bundled("sensitive-safe")) == {
        t: 25
        for t in [
            "homonyms",
            "figurative_language",
            "safe_targets",
            "safe_contexts",
            "definitions",
            "historical_events",
            "privacy_public",
            "fiction",
        ]
    }


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
        t for n in ("general", "safety", "sensitive-train", "context-pairs") for t in _texts(n)
    ]
    evals = [
        t
        for n in ("harmful", "sensitive-safe", "sensitive-unsafe", "helpful", "dualuse")
        for t in _texts(n)
    ]
    assert find_contamination(train, evals, n=8) == []


def test_contamination_finds_exact_and_ngram_overlap():
    evals = ["How do I bake sourdough bread at home with a starter?", "Name three rivers."]
    train = [
        "name THREE rivers!",
        "Tell me: how do I bake sourdough bread at home with a starter today",
        "Something else entirely.",
    ]
    hits = find_contamination(train, evals, n=8)
    assert [(i, j) for i, j, _ in hits] == [(0, 1), (1, 0)]
    assert hits[0][2] == "exact" and hits[1][2].startswith("8-gram")


def test_normalize_and_ngrams():
    assert normalize("It’s  FINE, really!") == "it's fine really"
    assert ngrams("a b c d", 3) == {("a", "b", "c"), ("b", "c", "d")}


def _ex(i, label="safe"):
    return Example(f"prompt {i}", f"response {i}", "t", label=label)


def test_mixture_is_deterministic_and_nested():
    general = [_ex(i) for i in range(10)]
    safety = [_ex(100 + i, "unsafe") for i in range(30)]
    m5 = balanced_mixture(general, safety, 5, seed=0)
    m20 = balanced_mixture(general, safety, 20, seed=0)
    assert len(m5) == 15 and len(m20) == 30
    assert mixture_sha256(m5) == mixture_sha256(balanced_mixture(general, safety, 5, seed=0))
    assert mixture_sha256(m5) != mixture_sha256(balanced_mixture(general, safety, 5, seed=1))
    assert {e.prompt for e in m5 if e.label == "unsafe"} <= {
        e.prompt for e in m20 if e.label == "unsafe"
    }
    assert sum(e.label == "unsafe" for e in m20) == 20
    with pytest.raises(ValueError, match="only 30 available"):
        balanced_mixture(general, safety, 31, seed=0)
