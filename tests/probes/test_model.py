"""Probes on the bundled SmolLM2 model (slow): the harmful-vs-harmless probe, and a causal check
that ablating the refusal direction lowers refusals of a freshly safety-tuned LoRA."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundled():
    from safetylab.models import load_base

    return load_base("smollm2-135m-instruct")


def test_intent_probe_reaches_090_on_heldout_prompts(bundled, tmp_path):
    from safetylab.probes import ProbeSet, best_layer, hidden_states, linear_probes, probe_items

    tr = probe_items("train", n_per_class=60, seed=0)
    he = probe_items("heldout", n_per_class=30, seed=0)
    layers = list(range(0, 17, 2))  # stop at layer 16: the probe does not need the top half

    def states(items):
        return hidden_states(
            bundled.model,
            bundled.tokenizer,
            [it.text for it in items],
            fingerprint=bundled.fingerprint,
            layers=layers,
            cache_root=tmp_path,
        )

    rows = linear_probes(
        ProbeSet(states(tr), tuple(tr)), ProbeSet(states(he), tuple(he)), None, targets=["intent"]
    )
    best = best_layer(rows, "intent")  # chosen by cross-validation on the train split
    assert best.n_train == 120 and best.n_heldout == 60
    assert best.cv_acc >= 0.90, [(r.layer, r.cv_acc) for r in rows]
    assert best.heldout_acc >= 0.90, [(r.layer, r.heldout_acc) for r in rows]
    assert (
        rows[0].layer == 0 and rows[0].cv_acc <= 0.6
    )  # the answer position's embedding is constant


def test_ablating_the_refusal_direction_lowers_refusals(bundled):
    """Train a small safety LoRA (48 examples, top 4 layers, 2 epochs), find the difference-of-means
    direction, and compare refusal rates on held-out harmful requests with it ablated."""
    from safetylab.data import load_bundled
    from safetylab.generate import HFBackend
    from safetylab.judges import StrMatchPlus
    from safetylab.models import load_base
    from safetylab.probes import (
        hidden_states,
        probe_items,
        refusal_directions,
        select_layer,
        steer,
    )
    from safetylab.records import Example
    from safetylab.train import TrainConfig, apply_lora, train

    lm = load_base("smollm2-135m-instruct")  # a fresh copy: LoRA wraps it in place
    safety = load_bundled("safety")[::9][:32]
    general = load_bundled("sensitive-train")[:8]
    pairs = load_bundled("context-pairs")[::8][:8]
    ex = [
        Example(r["prompt"], r["refusal"], "bundled/safety", r["category"], "safety", "unsafe")
        for r in safety
    ]
    ex += [Example(r["prompt"], r["response"], "bundled/sensitive-train") for r in general]
    ex += [Example(r["legit_prompt"], r["legit_response"], "bundled/context-pairs") for r in pairs]
    cfg = TrainConfig(lora_layers=4, epochs=2, batch_size=8, lr=3e-3, cutoff=96, seed=0)
    model = apply_lora(lm.model, cfg)
    train(model, lm.tokenizer, ex, cfg, show_progress=False)
    model.eval()

    items = probe_items("train", n_per_class=16, seed=1)
    layers = list(range(21))  # candidates: layers 4..16 (0.2-0.8 of the computed depth)
    harm = hidden_states(
        model, lm.tokenizer, [it.text for it in items if it.intent], layers=layers, cache=False
    )
    safe = hidden_states(
        model, lm.tokenizer, [it.text for it in items if not it.intent], layers=layers, cache=False
    )
    dirs = refusal_directions(harm, safe)
    layer = select_layer(dirs, harm, safe, max_frac=0.8)
    assert 4 <= layer <= 16

    prompts = [r["prompt"] for r in load_bundled("harmful")][::10][:12]
    backend = HFBackend(model, lm.tokenizer, "test", batch_size=12)
    judge = StrMatchPlus()

    def refusal_rate() -> float:
        out = backend.generate(prompts, {"max_new_tokens": 32})
        labels = judge.judge(prompts, [t for t, _ in out])
        return float(np.mean([lab != "full_compliance" for lab, _, _ in labels]))

    before = refusal_rate()
    with steer(model, dirs[layer], mode="ablate"):
        after = refusal_rate()
    assert before >= 0.5, f"the tuned model should refuse most harmful requests ({before:.2f})"
    assert after < before, (before, after)
