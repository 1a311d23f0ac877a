"""Probes on a tiny random LLaMA and on fixed arrays: hidden states, linear probes, keyword
reliance, refusal direction and steering, attention to focus words, refusal consistency."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

from safetylab.chat import prompt_ids
from safetylab.errors import SafetylabError
from safetylab.probes import (
    HiddenStates,
    ProbeItem,
    ProbeSet,
    cache_key,
    cell_rates,
    checkpoints,
    consistency_summary,
    cosine_matrix,
    cv_predictions,
    focus_attention,
    focus_positions,
    has_keyword,
    hidden_states,
    keyword_reliance,
    linear_probes,
    probe_items,
    refusal_directions,
    refusal_reason,
    steer,
    xstest_items,
)
from tests.conftest import SHARED_DATA

PROMPTS = [
    "How do I bake bread?",
    "Hi",
    "Explain how photosynthesis works in three short sentences, please.",
    "Name a colour.",
]
XSTEST = SHARED_DATA / "exaggerated-safety" / "xstest_prompts.csv"


def _reference(model, tokenizer, prompt):
    """Per-layer states of one prompt from a plain full forward (no batching, no prefix)."""
    ids = torch.tensor([prompt_ids(tokenizer, prompt)])
    with torch.no_grad():
        hs = model.model(input_ids=ids, output_hidden_states=True).hidden_states
    # The last entry has the final norm applied; earlier ones are the raw residual stream.
    return [h[0] for h in hs[:-1]]


# ---------------------------------------------------------------------------------- hidden states
def test_hidden_states_shapes_and_layer_indexing(tiny_model, tokenizer):
    hs = hidden_states(tiny_model, tokenizer, PROMPTS, cache=False)
    assert hs.last.shape == (4, 5, 32) and hs.mean.shape == (4, 5, 32)
    assert hs.layers == (0, 1, 2, 3, 4)
    assert hs.n_tokens == tuple(len(prompt_ids(tokenizer, p)) for p in PROMPTS)
    assert hs.at(2, "last").shape == (4, 32)
    with pytest.raises(SafetylabError, match="layer 7 was not computed"):
        hs.at(7)
    with pytest.raises(SafetylabError, match=r"indices must be in 0\.\.4"):
        hidden_states(tiny_model, tokenizer, PROMPTS, layers=[5], cache=False)


@pytest.mark.parametrize("share_prefix", [True, False])
def test_batched_states_equal_one_prompt_full_forward(tiny_model, tokenizer, share_prefix):
    hs = hidden_states(tiny_model, tokenizer, PROMPTS, cache=False, share_prefix=share_prefix)
    for i, p in enumerate(PROMPTS):
        ref = _reference(tiny_model, tokenizer, p)
        for layer in range(4):  # hidden-state indices 0..3 (index 4 is normed in the reference)
            np.testing.assert_allclose(hs.last[i, layer], ref[layer][-1].numpy(), atol=1e-5)
            np.testing.assert_allclose(hs.mean[i, layer], ref[layer].mean(0).numpy(), atol=1e-5)


def test_deepest_layer_only_and_determinism(tiny_model, tokenizer):
    full = hidden_states(tiny_model, tokenizer, PROMPTS, cache=False)
    part = hidden_states(tiny_model, tokenizer, PROMPTS, layers=[1, 2], cache=False)
    again = hidden_states(tiny_model, tokenizer, PROMPTS, layers=[1, 2], cache=False)
    assert part.layers == (1, 2)
    np.testing.assert_allclose(part.last, full.last[:, 1:3], atol=1e-6)
    assert np.array_equal(part.last, again.last) and np.array_equal(part.mean, again.mean)


def test_small_batches_give_the_same_states(tiny_model, tokenizer):
    big = hidden_states(tiny_model, tokenizer, PROMPTS, cache=False)
    small = hidden_states(tiny_model, tokenizer, PROMPTS, cache=False, max_batch=1)
    np.testing.assert_allclose(big.last, small.last, atol=1e-5)
    np.testing.assert_allclose(big.mean, small.mean, atol=1e-5)


def test_disk_cache_keyed_by_fingerprint_and_token_ids(tiny_model, tokenizer, tmp_path):
    assert cache_key([1, 2, 3]) == hashlib.sha256(b"[1, 2, 3]").hexdigest()
    first = hidden_states(
        tiny_model, tokenizer, PROMPTS, fingerprint="fp1", layers=[0, 2], cache_root=tmp_path
    )
    files = sorted((tmp_path / "hidden" / "fp1").rglob("*.npy"))
    keys = {cache_key(prompt_ids(tokenizer, p)) for p in PROMPTS}
    assert {f.stem for f in files} == keys
    arr = np.load(files[0])
    assert arr.dtype == np.float16 and arr.shape == (2, 3, 32)  # (last, mean) x layers 0..2
    # A shallower request is served from disk: the model is not called.
    calls = []
    h = tiny_model.model.layers[0].register_forward_hook(lambda *a: calls.append(1))
    try:
        again = hidden_states(
            tiny_model, tokenizer, PROMPTS, fingerprint="fp1", layers=[1], cache_root=tmp_path
        )
        assert calls == []
        # A deeper request than the files hold recomputes (and rewrites them).
        deeper = hidden_states(
            tiny_model, tokenizer, PROMPTS, fingerprint="fp1", layers=[3], cache_root=tmp_path
        )
        assert calls
    finally:
        h.remove()
    fresh = hidden_states(tiny_model, tokenizer, PROMPTS, layers=[1, 3], cache=False)
    np.testing.assert_allclose(again.last[:, 0], fresh.last[:, 0], rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(deeper.last[:, 0], fresh.last[:, 1], rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(first.last[:, 1], full_layer(tiny_model, tokenizer, 2), atol=2e-3)
    # Another fingerprint has its own files.
    hidden_states(tiny_model, tokenizer, PROMPTS[:1], fingerprint="fp2", cache_root=tmp_path)
    assert len(list((tmp_path / "hidden" / "fp2").rglob("*.npy"))) == 1


def full_layer(model, tokenizer, layer):
    return hidden_states(model, tokenizer, PROMPTS, layers=[layer], cache=False).last[:, 0]


# ----------------------------------------------------------------------------------- linear probes
def test_probe_recovers_a_planted_linear_signal_and_not_noise():
    rng = np.random.default_rng(0)
    y = np.arange(200) % 2
    u = rng.normal(size=64)
    u /= np.linalg.norm(u)
    x = rng.normal(size=(200, 64)) + np.outer(3.0 * (2 * y - 1), u)  # planted along u
    acc = float((cv_predictions(x, y, folds=5, seed=0, c=1.0) == y).mean())
    assert acc >= 0.95
    noise = rng.integers(0, 2, size=200)
    acc_noise = float((cv_predictions(x, noise, folds=5, seed=0) == noise).mean())
    assert acc_noise < 0.65


def test_probe_reads_a_planted_token_through_the_tiny_model(tiny_model, tokenizer):
    """Give one token a large embedding along a direction; probes on its prompts find it."""
    tid = tokenizer("zebra", add_special_tokens=False)["input_ids"][0]
    g = torch.Generator().manual_seed(1)
    direction = torch.randn(32, generator=g)
    with torch.no_grad():
        tiny_model.model.embed_tokens.weight[tid] += 3.0 * direction / direction.norm()
    words = [
        "apple",
        "river",
        "stone",
        "cloud",
        "music",
        "paper",
        "green",
        "table",
        "light",
        "train",
    ]
    with_z = [f"Tell me about the {w} and the zebra." for w in words]
    without = [f"Tell me about the {w} and the horse." for w in words]
    hs = hidden_states(tiny_model, tokenizer, with_z + without, cache=False)
    items = tuple(
        ProbeItem(t, int(i < 10), 0, "test", "train") for i, t in enumerate(with_z + without)
    )
    rows = linear_probes(
        ProbeSet(hs, items), None, None, targets=["intent"], pool="mean", folds=5, c=1.0
    )
    assert [r.layer for r in rows] == [0, 1, 2, 3, 4]
    assert rows[0].cv_acc == 1.0 and rows[1].cv_acc == 1.0
    assert all(r.n_train == 20 and r.n_heldout == 0 and r.dec_acc != r.dec_acc for r in rows)


def test_keyword_reliance_index_exact_values():
    # Four cells (keyword, intent): (1,0) x2, (0,1) x2, (1,1) x2, (0,0) x2.
    k = [1, 1, 0, 0, 1, 1, 0, 0]
    y = [0, 0, 1, 1, 1, 1, 0, 0]
    assert keyword_reliance(k, k, y)[0] == 1.0  # decisions follow the keyword
    assert keyword_reliance(y, k, y)[0] == -1.0  # decisions follow intent
    assert keyword_reliance([0] * 8, k, y)[0] == 0.0  # constant decisions: no reliance
    assert keyword_reliance([1] * 8, k, y)[0] == 0.0
    kri, (lo, hi) = keyword_reliance([1, 0, 0, 0, 1, 1, 0, 0], k, y)
    assert kri == 0.5 and lo <= kri <= hi  # p(1,0) = 0.5, p(0,1) = 0
    # Equal to twice the cell-balanced accuracy difference acc(keyword) - acc(intent).
    d = np.array([1, 0, 1, 0, 1, 0, 0, 1])
    cells = [(a, b) for a in (0, 1) for b in (0, 1)]
    kk, yy = np.array(k), np.array(y)
    acc_k = np.mean([np.mean(d[(kk == a) & (yy == b)] == a) for a, b in cells])
    acc_y = np.mean([np.mean(d[(kk == a) & (yy == b)] == b) for a, b in cells])
    assert keyword_reliance(d, k, y)[0] == pytest.approx(2 * (acc_k - acc_y))
    assert cell_rates(d, k, y)["keyword=1,intent=0"] == {"rate": 0.5, "n": 2}
    assert np.isnan(keyword_reliance([1, 0], [1, 1], [0, 1])[0])  # no (0, 1) cell
    with pytest.raises(SafetylabError, match="differ in length"):
        keyword_reliance([1], [1, 0], [1, 0])


@pytest.mark.parametrize("encoded,kri,dec_acc", [("keyword", 1.0, 0.5), ("intent", -1.0, 1.0)])
def test_linear_probes_kri_follows_what_the_states_encode(encoded, kri, dec_acc):
    """States that encode only the keyword (or only intent) give KRI +1 (or -1) on pairs where
    keyword and intent are independent."""
    rng = np.random.default_rng(0)

    def states(labels):
        x = rng.normal(size=(len(labels), 2, 8)).astype(np.float32)
        col = 0 if encoded == "keyword" else 1
        x[:, 1, 0] += 8 * labels[:, col]  # layer 1 carries one feature; layer 0 is noise
        return HiddenStates(x, x, (0, 1), "fp", (5,) * len(labels))

    tr_lab = np.array([[i % 2, i % 2] for i in range(40)])  # (keyword, intent) go together
    de_lab = np.array([[i % 2, (i // 2) % 2] for i in range(20)])  # all four cells
    tr = tuple(ProbeItem(f"t{i}", int(y), int(k), "s", "train") for i, (k, y) in enumerate(tr_lab))
    de = tuple(
        ProbeItem(f"d{i}", int(y), int(k), "s", "decorrelated") for i, (k, y) in enumerate(de_lab)
    )
    rows = linear_probes(
        ProbeSet(states(tr_lab), tr), None, ProbeSet(states(de_lab), de), model="m"
    )
    assert [(r.target, r.layer) for r in rows] == [
        ("intent", 0),
        ("intent", 1),
        ("keyword", 0),
        ("keyword", 1),
    ]
    r1 = rows[1]
    assert r1.cv_acc == 1.0 and r1.n_train == 40 and r1.n_dec == 20 and r1.model == "m"
    assert r1.kri == kri and r1.dec_acc == dec_acc
    assert r1.cells["keyword=1,intent=0"]["rate"] == (1.0 if encoded == "keyword" else 0.0)
    assert r1.kri_ci[0] <= r1.kri <= r1.kri_ci[1]


# ------------------------------------------------------------------------------------------- items
def test_probe_items_splits_and_labels():
    tr = probe_items("train")
    assert len(tr) == 700 and sum(it.intent for it in tr) == 300
    assert {it.source for it in tr} == {"bundled/safety", "bundled/general"}
    he = probe_items("heldout")
    assert len(he) == 200 and sum(it.intent for it in he) == 120
    assert not {it.text for it in tr} & {it.text for it in he}
    de = probe_items("decorrelated")
    assert len(de) == 640 and sum(it.intent for it in de) == 120 + 160
    ss = [it for it in de if it.source == "bundled/sensitive-safe"]
    assert all(it.keyword == 1 and it.intent == 0 and it.focus for it in ss)
    sub = probe_items("train", n_per_class=5, seed=3)
    assert [it.intent for it in sub].count(1) == 5 and len(sub) == 10
    assert sub == probe_items("train", n_per_class=5, seed=3)
    with pytest.raises(SafetylabError, match="split 'test'"):
        probe_items("test")


def test_keyword_matching_rules():
    assert has_keyword("How can I kill a Python process?")  # lexicon term
    assert has_keyword("What's the process for terminating a contract?", "terminate")
    assert has_keyword("He was shooting hoops.", "shoot")
    assert not has_keyword("What's the process for terminating a contract?")
    assert not has_keyword("Bake a loaf of bread.")


@pytest.mark.skipif(not XSTEST.exists(), reason=f"XSTest prompts not found at {XSTEST}")
def test_xstest_items_and_contrast_pairs():
    items = xstest_items(XSTEST)
    assert len(items) == 450 and sum(it.intent for it in items) == 200
    by_pair: dict[str, list[ProbeItem]] = {}
    for it in items:
        by_pair.setdefault(it.pair, []).append(it)
    twins = [v for v in by_pair.values() if len(v) == 2]
    assert len(twins) == 150  # 6 types with one-to-one contrasts x 25
    assert all(sorted(it.intent for it in v) == [0, 1] for v in twins)


def test_xstest_bad_file(tmp_path):
    with pytest.raises(SafetylabError, match="file not found"):
        xstest_items(tmp_path / "nope.csv")
    bad = tmp_path / "x.csv"
    bad.write_text("id,prompt\n1,hi\n", encoding="utf-8")
    with pytest.raises(SafetylabError, match=r"x\.csv:1: expected columns"):
        xstest_items(bad)


# --------------------------------------------------------------------------------------- direction
def _hs(arr):
    return HiddenStates(arr, arr, tuple(range(arr.shape[1])), "fp", (3,) * arr.shape[0])


def test_refusal_direction_is_the_difference_of_means_and_cosines():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    b = np.ones((3, 3, 4), dtype=np.float32)
    d = refusal_directions(_hs(a), _hs(b))
    np.testing.assert_array_equal(d, a.mean(0) - 1.0)
    cos = cosine_matrix({"x": d, "y": 2 * d, "z": -d})
    assert cos["names"] == ["x", "y", "z"] and cos["layers"] == 3
    m = np.asarray(cos["cos"])
    np.testing.assert_allclose(m[:, 0, 1], 1.0, atol=1e-6)
    np.testing.assert_allclose(m[:, 0, 2], -1.0, atol=1e-6)


def test_ablation_removes_the_direction_at_every_layer(tiny_model, tokenizer):
    r = np.random.default_rng(0).normal(size=32).astype(np.float32)
    before = hidden_states(tiny_model, tokenizer, PROMPTS, cache=False)
    ru = r / np.linalg.norm(r)
    assert np.abs(before.last @ ru).max() > 1e-3
    with steer(tiny_model, r, mode="ablate"):
        after = hidden_states(tiny_model, tokenizer, PROMPTS, cache=False)
    assert np.abs(after.last @ ru).max() < 1e-5 and np.abs(after.mean @ ru).max() < 1e-5
    # Hooks are gone after the block.
    again = hidden_states(tiny_model, tokenizer, PROMPTS, cache=False)
    np.testing.assert_array_equal(again.last, before.last)
    assert all(not m._forward_hooks for m in tiny_model.modules())


def test_addition_shifts_one_layer_by_alpha_times_direction(tiny_model, tokenizer):
    r = np.random.default_rng(1).normal(size=32).astype(np.float32)
    before = hidden_states(tiny_model, tokenizer, PROMPTS, cache=False)
    with steer(tiny_model, r, mode="add", layer=2, alpha=0.5):
        after = hidden_states(tiny_model, tokenizer, PROMPTS, cache=False)
    np.testing.assert_allclose(
        after.last[:, 2] - before.last[:, 2], np.tile(0.5 * r, (4, 1)), atol=1e-5
    )
    np.testing.assert_array_equal(after.last[:, :2], before.last[:, :2])
    with (
        pytest.raises(SafetylabError, match="addition needs a decoder layer"),
        steer(tiny_model, r, mode="add", layer=9),
    ):
        pass
    with (
        pytest.raises(SafetylabError, match="expected 'ablate' or 'add'"),
        steer(tiny_model, r, mode="flip"),
    ):
        pass


# --------------------------------------------------------------------------------------- attention
def test_focus_positions_point_at_the_focus_word(tokenizer):
    ids = prompt_ids(tokenizer, "What's the command to kill a frozen job?")
    pos = focus_positions(tokenizer, "What's the command to kill a frozen job?", "kill")
    assert pos is not None and tokenizer.decode([ids[p] for p in pos]).strip() == "kill"
    pos2 = focus_positions(tokenizer, "How do I terminate a C program?", "terminate")
    assert pos2 is not None
    assert focus_positions(tokenizer, "Bake bread.", "kill") is None
    assert focus_positions(tokenizer, "Bake bread.", "") is None


def test_focus_attention_shape_range_and_restores_attention(tiny_model, tokenizer):
    items = [
        ProbeItem("How do I kill a Python process?", 0, 1, "t", "decorrelated", focus="kill"),
        ProbeItem("How do I kill my neighbour?", 1, 1, "t", "decorrelated", focus="kill"),
        ProbeItem("Bake bread.", 0, 0, "t", "decorrelated", focus="kill"),
    ]
    impl = tiny_model.config._attn_implementation
    att, kept = focus_attention(tiny_model, tokenizer, items, batch_size=2)
    assert kept == [0, 1] and att.shape == (2, 4, 4)
    assert (att >= 0).all() and (att <= 1.0 + 1e-6).all()
    assert tiny_model.config._attn_implementation == impl
    one, _ = focus_attention(tiny_model, tokenizer, items[:1], batch_size=1)
    np.testing.assert_allclose(one[0], att[0], atol=1e-6)


# ------------------------------------------------------------------------------------- consistency
def test_refusal_reason_labels():
    assert (
        refusal_reason("I can't help; poisoning someone is murder.", "dangerous_chemicals")
        == "match"
    )
    assert refusal_reason("I can't help with hacking an account.", "violence") == "other"
    assert refusal_reason("I cannot help with that; it is illegal.", "drugs") == "generic"
    assert refusal_reason("I'm sorry, I can't help with that.", "violence") == "none"


def test_bundled_refusals_mostly_state_their_category():
    from safetylab.data import load_bundled

    rows = load_bundled("safety")
    s = consistency_summary([(r["refusal"], r["category"]) for r in rows])
    assert s["n_refusals"] == 300
    assert s["match_share"] >= 0.9 and s["none_share"] == 0.0
    assert s["generic_refusal_share"] == pytest.approx(s["generic_share"] + s["none_share"])
    assert set(s["by_category"]) == {r["category"] for r in rows}
    empty = consistency_summary([])
    assert empty["n_refusals"] == 0


# ----------------------------------------------------------------------------------- stages and CLI
def test_checkpoints_from_a_run_dir(tmp_path):
    run = tmp_path / "run"
    for n in ("safety-64", "safety-8", "safety-0"):
        (run / "models" / n).mkdir(parents=True)
        (run / "models" / n / "adapter_model.safetensors").write_bytes(b"x")
    (run / "config.resolved.yaml").write_text("model: some/model\n", encoding="utf-8")
    cks = checkpoints(run)
    assert [c.name for c in cks] == ["base", "safety-0", "safety-8", "safety-64"]
    assert {c.model for c in cks} == {"some/model"} and cks[0].adapter is None
    assert [c.name for c in checkpoints(run, include_base=False)][0] == "safety-0"
    with pytest.raises(SafetylabError, match="no adapters under"):
        checkpoints(tmp_path)
    with pytest.raises(SafetylabError, match="--run .*: not a folder"):
        checkpoints(tmp_path / "missing")


def test_cli_rejects_bad_pool(capsys):
    from safetylab.cli.main import main

    assert main(["probe", "linear", "--pool", "max"]) == 2
    assert "--pool must be one of last, mean, got 'max'" in capsys.readouterr().err


def test_stages_end_to_end_on_the_tiny_model(tiny_model, tokenizer, tmp_path, monkeypatch):
    """linear + direction + refusals + attention with a fake loader (tiny random model)."""
    from safetylab.models import LoadedModel
    from safetylab.probes import Checkpoint, ProbeConfig, _run, run_stages
    from tests.conftest import make_tiny_llama

    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    models = {"base": tiny_model, "tuned": make_tiny_llama(len(tokenizer), seed=1)}  # differ
    monkeypatch.setattr(
        _run, "_load", lambda ck: LoadedModel(models[ck.name], tokenizer, f"fp-{ck.name}", "")
    )
    cks = [Checkpoint("base", "tiny"), Checkpoint("tuned", "tiny", "adapter")]
    cfg = ProbeConfig(
        n_train=6,
        n_heldout=4,
        n_dec=6,
        folds=2,
        n_attention=3,
        n_direction=4,
        n_generate=2,
        max_new_tokens=3,
        batch_size=4,
        direction_layer=2,
    )
    out = tmp_path / "probes"
    res = run_stages(["all"], cks, out, cfg)
    assert set(res) == {"linear", "attention", "direction", "refusals"}
    lin = json.loads((out / "linear.json").read_text())
    assert len(lin["results"]) == 2 * 2 * 5  # checkpoints x targets x layers
    assert lin["n_items"] == {"train": 12, "heldout": 8, "decorrelated": 12}
    d = json.loads((out / "direction.json").read_text())
    assert d["layer"] == 2 and d["reference"] == "tuned"
    assert set(d["intervention"]["conditions"]) == {"baseline", "ablate", "add"}
    assert np.load(out / "directions" / "base.npy").shape == (5, 32)
    # Different weights: the reported cosine is the saved directions' cosine at the layer.
    base_d, tuned_d = (np.load(out / "directions" / f"{n}.npy")[2] for n in ("base", "tuned"))
    cos = float(base_d @ tuned_d / np.linalg.norm(base_d) / np.linalg.norm(tuned_d))
    assert d["cosine_with_reference_at_layer"]["tuned"] == pytest.approx(1.0, abs=1e-5)
    assert d["cosine_with_reference_at_layer"]["base"] == pytest.approx(cos, abs=1e-5)
    assert abs(cos) < 0.9  # unrelated random models: far from the trivial 1.0
    ref = json.loads((out / "refusals.json").read_text())
    assert set(ref["models"]) == {"base", "tuned"} and ref["n_harm"] == 2
    for png in ("probe_accuracy", "keyword_reliance", "attention_focus", "direction_similarity"):
        assert (out / f"{png}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    gens = [json.loads(x) for x in (out / "generations.jsonl").read_text().splitlines()]
    assert {g["model"] for g in gens} >= {"tuned", "tuned+ablate", "tuned+add", "base"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["stages"]) == {"linear", "attention", "direction", "refusals"}
    assert manifest["stages"]["linear"]["model_fingerprints"] == {
        "base": "fp-base",
        "tuned": "fp-tuned",
    }
