"""Which layers a checkpoint changed, and what the probe reports do with it: unchanged layers
flagged instead of compared, the refusal direction's layer chosen among the changed ones, and
a constant probe reported as a constant predictor (not as "no keyword reliance").

Tiny random LLaMAs (6 decoder layers, hidden size 32) with LoRA on the top 2 layers.

python -m pytest tests/probes/test_layers.py -q
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from safetylab.probes import Checkpoint, HiddenStates, ProbeConfig, ProbeItem, ProbeSet
from safetylab.probes._layers import (
    ChangeTracker,
    base_signatures,
    layer_change,
    weight_signatures,
)
from safetylab.probes._linear import linear_probes
from tests.conftest import make_tiny_llama

N_LAYERS = 6


def _lora(vocab: int, top: int, trained: bool):
    """A fresh copy of the seed-0 tiny model with LoRA on its top ``top`` decoder layers; with
    ``trained`` the B factors are random (non-zero deltas), else peft's zero init."""
    from safetylab.train import TrainConfig, apply_lora

    model = apply_lora(
        make_tiny_llama(vocab, seed=0, layers=N_LAYERS), TrainConfig(lora_layers=top)
    )
    if trained:
        torch.manual_seed(1)
        for name, p in model.named_parameters():
            if "lora_B" in name:
                torch.nn.init.normal_(p, std=0.5)
    model.eval()
    return model


@pytest.fixture(scope="module")
def models(tokenizer):
    v = len(tokenizer)
    return {
        "base": make_tiny_llama(v, seed=0, layers=N_LAYERS),
        "top2": _lora(v, 2, trained=True),
        "fresh": _lora(v, 2, trained=False),
        "other": make_tiny_llama(v, seed=1, layers=N_LAYERS),
    }


def test_changed_layers_exact(models):
    ref = weight_signatures(models["base"])
    assert base_signatures(models["top2"]) == ref  # the weights under the adapters are the base
    top2 = layer_change(weight_signatures(models["top2"]), ref, N_LAYERS)
    assert (top2.changed_layers, top2.changed_other, top2.moved_from) == ([4, 5], [], 5)
    assert [h for h in range(N_LAYERS + 1) if top2.can_move(h)] == [5, 6]
    assert top2.describe() == "changed decoder layers 4-5 (hidden states 5-6 can differ from base)"
    # An adapter whose deltas are zero (B = 0) changes nothing.
    fresh = layer_change(weight_signatures(models["fresh"]), ref, N_LAYERS)
    assert (fresh.changed_layers, fresh.moved_from) == ([], None)
    assert fresh.describe() == "no weights differ from base: every probed state is unchanged"
    # A different model differs everywhere, embeddings included.
    other = layer_change(weight_signatures(models["other"]), ref, N_LAYERS)
    assert other.changed_layers == list(range(N_LAYERS)) and other.changed_other == ["embed"]
    assert other.moved_from == 0


def test_merged_model_changes_the_same_layers(tokenizer):
    merged = _lora(len(tokenizer), 2, trained=True).merge_and_unload()
    ref = weight_signatures(make_tiny_llama(len(tokenizer), seed=0, layers=N_LAYERS))
    assert layer_change(weight_signatures(merged), ref, N_LAYERS).changed_layers == [4, 5]


def test_tracker_reference_and_unchanged_states(models):
    t = ChangeTracker()
    for name in ("base", "top2", "fresh"):
        t.add(name, models[name], is_base=name == "base")
    assert t.reference == "base" and t.moved_from() == 5
    assert [h for h in range(N_LAYERS + 1) if t.unchanged("top2", h)] == [0, 1, 2, 3, 4]
    assert all(t.unchanged("fresh", h) for h in range(N_LAYERS + 1))
    assert not any(t.unchanged("base", h) for h in range(N_LAYERS + 1))  # the reference itself
    d = t.to_dict()
    assert d["top2"]["changed_layers"] == [4, 5] and d["base"]["reference"] is True
    # Without the bare base, the reference is the base under the first adapter.
    t2 = ChangeTracker()
    t2.add("top2", models["top2"], is_base=False)
    assert t2.changes["top2"].changed_layers == [4, 5] and t2.reference is None


def _fake_loader(monkeypatch, models, tokenizer, tmp_path):
    from safetylab.models import LoadedModel
    from safetylab.probes import _run

    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(
        _run, "_load", lambda ck: LoadedModel(models[ck.name], tokenizer, f"fp-{ck.name}", "")
    )


CKPTS = [Checkpoint("base", "tiny"), Checkpoint("top2", "tiny", "adapter")]


def test_linear_stage_flags_unchanged_layers(models, tokenizer, tmp_path, monkeypatch):
    from safetylab.probes import probe_linear

    _fake_loader(monkeypatch, models, tokenizer, tmp_path)
    cfg = ProbeConfig(n_train=6, n_heldout=4, n_dec=6, folds=2)
    res = probe_linear(CKPTS, tmp_path / "p", cfg)
    saved = json.loads((tmp_path / "p" / "linear.json").read_text())
    assert saved["layers_changed"] == res["layers_changed"]
    assert res["layers_changed"]["top2"]["changed_layers"] == [4, 5]
    assert res["layers_changed"]["top2"]["moved_from"] == 5
    rows = {(r["model"], r["target"], r["layer"]): r for r in res["results"]}
    for target in ("intent", "keyword"):
        flags = [rows[("top2", target, h)]["unchanged_from_base"] for h in range(N_LAYERS + 1)]
        assert flags == [True] * 5 + [False] * 2
        assert not any(rows[("base", target, h)]["unchanged_from_base"] for h in range(7))
        # What the flag promises: the numbers there are the base's, bit for bit.
        for h in range(5):
            a, b = rows[("top2", target, h)], rows[("base", target, h)]
            assert (a["cv_acc"], a["heldout_acc"], a["dec_acc"]) == (
                b["cv_acc"],
                b["heldout_acc"],
                b["dec_acc"],
            )
    moving = res["best_among_changed_layers"]
    assert set(moving) == {"top2"}
    assert {moving["top2"][t]["layer"] for t in ("intent", "keyword")} <= {5, 6}


def test_direction_layer_is_chosen_among_the_changed_layers(
    models, tokenizer, tmp_path, monkeypatch
):
    from safetylab.probes import probe_direction

    _fake_loader(monkeypatch, models, tokenizer, tmp_path)
    cfg = ProbeConfig(n_direction=4, n_heldout=4, n_generate=1, max_new_tokens=2, batch_size=4)
    out = tmp_path / "d"
    res = probe_direction(CKPTS, out, cfg)
    assert res["layer"] in (5, 6)
    assert res["layer_rule"] == (
        "max Cohen's d of held-out projections among the states the checkpoints change (5-6); "
        "the usual 0.2-0.8 depth window holds none of them (states below are the base's by "
        "construction)"
    )
    assert res["layers_changed"]["top2"]["changed_layers"] == [4, 5]
    assert res["unchanged_at_layer"] == []
    base, top2 = (np.load(out / "directions" / f"{n}.npy") for n in ("base", "top2"))
    assert np.array_equal(base[:5], top2[:5])  # below the adapters: identical by construction
    assert not np.array_equal(base[5:], top2[5:])


def _states(x: np.ndarray) -> HiddenStates:
    return HiddenStates(x, x, (0, 1), "fp", (5,) * len(x))


def test_a_constant_probe_is_reported_as_a_constant_predictor():
    """The probe separates intent on train, but every decorrelated item lands on the harmful
    side: accuracy 0.5 and a KRI of 0 by formula, reported as a constant predictor."""
    from safetylab.cli._probe import _summary

    rng = np.random.default_rng(0)
    tr_y = np.array([i % 2 for i in range(40)])
    x_tr = rng.normal(size=(40, 2, 8)).astype(np.float32)
    x_tr[:, 1, 0] += 8 * tr_y
    tr = tuple(ProbeItem(f"t{i}", int(y), int(y), "s", "train") for i, y in enumerate(tr_y))
    de_lab = [(i % 2, (i // 2) % 2) for i in range(16)]  # (keyword, intent), all four cells
    x_de = rng.normal(size=(16, 2, 8)).astype(np.float32)
    x_de[:, 1, 0] += 100.0  # far on the harmful side
    de = tuple(ProbeItem(f"d{i}", y, k, "s", "decorrelated") for i, (k, y) in enumerate(de_lab))
    rows = linear_probes(ProbeSet(_states(x_tr), tr), None, ProbeSet(_states(x_de), de))
    r = next(r for r in rows if r.target == "intent" and r.layer == 1)
    assert r.dec_acc == 0.5 and r.dec_constant == 1 and np.isnan(r.kri)
    assert r.constant_label == "constant predictor (all 16 harmful)"
    varied = next(r for r in rows if r.target == "intent" and r.layer == 0)
    assert varied.dec_constant is None and varied.constant_label == ""

    best = {"intent": r.to_dict(), "keyword": {**varied.to_dict(), "target": "keyword"}}
    res = {"best": {"base": best}, "layers_changed": {}, "best_among_changed_layers": {}}
    text = _summary("linear", res)
    assert "intent probe: layer 1 held-out acc nan, decorrelated acc 0.500, constant " in text
    assert "constant predictor (all 16 harmful)" in text and "KRI +0.000" not in text
    assert "keyword probe: layer 0 " in text  # the keyword probe's accuracies are printed too


def test_summary_says_unchanged_instead_of_repeating_numbers():
    from safetylab.cli._probe import _summary

    def row(layer, acc, unchanged):
        return {
            "layer": layer, "heldout_acc": acc, "dec_acc": 0.625, "kri": 0.25,
            "constant_label": "", "unchanged_from_base": unchanged,
        }  # fmt: skip

    res = {
        "layers_changed": {
            "base": {"reference": True, "summary": "no weights differ from base: ..."},
            "N50": {"reference": False, "summary": "changed decoder layers 20-23 (x)"},
        },
        "best": {
            "base": {"intent": row(9, 0.9, False), "keyword": row(5, 0.8, False)},
            "N50": {"intent": row(22, 0.95, False), "keyword": row(5, 0.8, True)},
        },
        "best_among_changed_layers": {"N50": {"keyword": row(21, 0.7, False)}},
    }
    lines = _summary("linear", res).splitlines()
    assert lines == [
        "[linear]",
        "  base:",
        "    intent probe: layer 9 held-out acc 0.900, decorrelated acc 0.625, KRI +0.250",
        "    keyword probe: layer 5 held-out acc 0.800, decorrelated acc 0.625, KRI +0.250",
        "  N50: changed decoder layers 20-23 (x)",
        "    intent probe: layer 22 held-out acc 0.950, decorrelated acc 0.625, KRI +0.250",
        "    keyword probe: best layer 5 is unchanged from base (same numbers); among changed "
        "layers: layer 21 held-out acc 0.700, decorrelated acc 0.625, KRI +0.250",
    ]


def test_attention_stage_flags_layers_below_the_adapters(models, tokenizer, tmp_path, monkeypatch):
    from safetylab.cli._probe import _summary
    from safetylab.probes import probe_attention

    _fake_loader(monkeypatch, models, tokenizer, tmp_path)
    res = probe_attention(CKPTS, tmp_path / "a", ProbeConfig(n_attention=3))
    assert res["models"]["base"]["unchanged_layers"] == []  # the reference itself
    assert res["models"]["top2"]["unchanged_layers"] == [0, 1, 2, 3]
    assert res["layers_changed"]["top2"]["changed_layers"] == [4, 5]
    top2, base = res["models"]["top2"], res["models"]["base"]
    assert {"safe", "unsafe"} <= set(top2)
    for side in ("safe", "unsafe"):
        a, b = top2[side]["by_head"], base[side]["by_head"]
        assert a[:4] == b[:4]  # what the flag promises: identical below the adapters
        assert a[4:] != b[4:]
    text = _summary("attention", res)
    assert "  top2: mean attention to focus safe " in text
    assert text.count("layers 0-3 unchanged from base") == 1


def test_refusals_summary_reports_a_model_that_refuses_everything_as_constant():
    from safetylab.cli._probe import _summary
    from safetylab.probes._linear import constant_value

    assert (constant_value([1] * 16), constant_value([0, 0]), constant_value([0, 1])) == (
        1,
        0,
        None,
    )
    rate = {"rate": 1.0}
    res = {
        "models": {
            "N150": {
                "decorrelated": {
                    "kri": float("nan"), "constant": "constant (refused all of 16)",
                    "refusal_safe": rate, "refusal_unsafe": rate,
                },
                "harm": {"consistency": {"match_share": 0.5, "generic_refusal_share": 0.25}},
            }
        }
    }  # fmt: skip
    assert _summary("refusals", res).splitlines()[1] == (
        "  N150: constant (refused all of 16); safe 1.00, unsafe 1.00; reasons match 0.50, "
        "generic 0.25"
    )
