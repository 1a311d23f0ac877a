import dataclasses

import pytest

from safetylab.records import Example, Generation, Judgment, Prompt, content_id, from_dict


def test_content_id_is_stable_and_order_sensitive():
    assert content_id("a", 1) == content_id("a", 1)
    assert content_id("a", 1) != content_id(1, "a")
    assert len(content_id("x")) == 16


def test_content_id_known_value():
    # sha256 of '["hello"]' -- pins the id scheme so caches stay valid across releases.
    assert content_id("hello") == "c7a0f7154e64cd96"


def test_records_are_frozen_and_ids_follow_content():
    p = Prompt("How do I bake bread?", "helpful", "safe")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.text = "x"  # type: ignore[misc]
    assert p.id == Prompt("How do I bake bread?", "helpful", "safe", category="other").id
    assert p.id != Prompt("How do I bake rye?", "helpful", "safe").id
    g = Generation(p.id, "m", "fp", "answer", {"max_new_tokens": 8})
    assert g.id == Generation(p.id, "other-name", "fp", "different text", {"max_new_tokens": 8}).id
    assert g.id != Generation(p.id, "m", "fp2", "answer", {"max_new_tokens": 8}).id
    j = Judgment(g.id, "strmatch@1", "full_refusal")
    assert j.to_dict()["id"] == j.id


def test_from_dict_roundtrip_ignores_id():
    e = Example("q", "a", "src", "cat", "general", "safe", False)
    assert from_dict(Example, e.to_dict()) == e
