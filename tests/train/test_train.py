"""Training on a tiny random LLaMA: masking, which weights change, loss, prefix caching."""

import pytest
import torch

from safetylab.chat import end_of_turn_id, example_ids, prompt_ids
from safetylab.errors import SafetylabError
from safetylab.records import Example
from safetylab.train import TrainConfig, apply_lora, train
from safetylab.train._batching import length_grouped_batches


def test_response_only_masking_token_by_token(tokenizer):
    ids, labels = example_ids(tokenizer, "Name a colour.", "Blue.", complete=True)
    p = prompt_ids(tokenizer, "Name a colour.")
    r = tokenizer("Blue.", add_special_tokens=False)["input_ids"]
    assert ids == p + r + [end_of_turn_id(tokenizer)]
    assert labels[: len(p)] == [-100] * len(p)
    assert labels[len(p) :] == r + [end_of_turn_id(tokenizer)]
    # An answer cut at a token limit gets no end-of-turn target.
    ids2, labels2 = example_ids(tokenizer, "Name a colour.", "Blue.", complete=False)
    assert ids2 == p + r and labels2[-1] == r[-1]


def test_cutoff_and_prompt_too_long(tokenizer):
    p = prompt_ids(tokenizer, "Name a colour.")
    ids, labels = example_ids(tokenizer, "Name a colour.", "word " * 100, cutoff=len(p) + 5)
    assert len(ids) == len(p) + 5 and sum(x != -100 for x in labels) == 5
    assert example_ids(tokenizer, "Name a colour.", "Blue", cutoff=len(p)) is None


def test_length_grouped_batches_cover_everything_once():
    import random

    lengths = [5, 50, 6, 51, 7, 52, 8, 53]
    batches = length_grouped_batches(lengths, 2, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(8))
    for b in batches:  # similar lengths share a batch
        assert max(lengths[i] for i in b) - min(lengths[i] for i in b) <= 1


EXAMPLES = [
    Example(f"What is the code word number {i}?", f"The code word is zebra{i}.", "t")
    for i in range(8)
]


def test_lora_changes_adapters_only_and_loss_goes_down(tiny_model, tokenizer):
    cfg = TrainConfig(
        lora_r=8, lora_alpha=16, lora_dropout=0.0, lr=2e-2, epochs=12, batch_size=4, bf16="off"
    )
    before = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    model = apply_lora(tiny_model, cfg)
    stats = train(model, tokenizer, EXAMPLES, cfg, show_progress=False)
    assert stats["steps"] == 24
    # random 32-wide model, 49k vocab: LoRA moves the loss, it cannot memorise outright
    assert stats["loss_last"] < stats["loss_first"] - 0.3
    changed_lora, changed_base = 0, []
    for name, p in model.named_parameters():
        if "lora_" in name:
            changed_lora += int("lora_B" in name and p.abs().sum() > 0)
        else:
            key = name.replace("base_model.model.", "").replace(".base_layer", "")
            if not torch.equal(p.detach(), before[key]):
                changed_base.append(name)
    assert changed_lora == 4 * 7  # every lora_B of every layer and target moved off zero
    assert changed_base == []


def test_top_layer_lora_with_prefix_cache_matches_full_forward(tokenizer):
    from tests.conftest import make_tiny_llama

    losses = []
    for lora_layers in (2, 0):
        model = make_tiny_llama(len(tokenizer), seed=1)
        cfg = TrainConfig(lora_layers=2, lora_dropout=0.0, epochs=1, batch_size=8, bf16="off")
        model = apply_lora(model, cfg)
        run_cfg = TrainConfig(
            lora_layers=lora_layers, lora_dropout=0.0, epochs=1, batch_size=8, bf16="off"
        )
        losses.append(train(model, tokenizer, EXAMPLES, run_cfg, show_progress=False)["loss_first"])
        adapted = {
            n.split(".layers.")[1].split(".")[0]
            for n, _ in model.named_parameters()
            if "lora_" in n
        }
        assert adapted == {"2", "3"}
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_saved_adapter_and_state(tiny_model, tokenizer, tmp_path):
    cfg = TrainConfig(epochs=1, batch_size=4, bf16="off")
    model = apply_lora(tiny_model, cfg)
    train(
        model,
        tokenizer,
        EXAMPLES,
        cfg,
        tmp_path / "a",
        metadata={"mixture_sha256": "abc"},
        show_progress=False,
    )
    import json

    state = json.loads((tmp_path / "a" / "train_state.json").read_text())
    assert state["mixture_sha256"] == "abc" and state["stats"]["steps"] == 2
    assert (tmp_path / "a" / "adapter_model.safetensors").exists()


def test_errors_name_the_problem(tiny_model, tokenizer):
    with pytest.raises(SafetylabError, match="not in the model; linear modules are: .*q_proj"):
        apply_lora(tiny_model, TrainConfig(target_modules=["query_key_value"]))
    model = apply_lora(tiny_model, TrainConfig())
    with pytest.raises(SafetylabError, match="training data is empty"):
        train(model, tokenizer, [], TrainConfig(), show_progress=False)
    with pytest.raises(SafetylabError, match="longer than the cutoff"):
        train(model, tokenizer, EXAMPLES, TrainConfig(cutoff=4), show_progress=False)
