"""Training beyond the basics, on the tiny random LLaMA: full fine-tuning, prompt-included loss
and the Alpaca template, packing without leakage, gradient accumulation, checkpoints and exact
resume, validation and metrics, configs, the train/merge CLI, and errors that name the fix."""

from __future__ import annotations

import json
import signal

import pytest
import torch

from safetylab.chat import example_ids, prompt_ids
from safetylab.cli.main import main
from safetylab.errors import SafetylabError
from safetylab.records import Example
from safetylab.train import (
    TrainConfig,
    TrainingInterrupted,
    apply_lora,
    encode_example,
    load_examples,
    load_train_config,
    train,
)
from safetylab.train._batching import collate, layout_step, make_plan, pack_rows
from safetylab.train._data import ALPACA_PROMPT, alpaca_prompt_ids
from safetylab.train._loop import _loss_module
from tests.conftest import make_tiny_llama

EXAMPLES = [
    Example(f"What is the code word number {i}?", f"The code word is zebra{i}." + " ok" * i, "t")
    for i in range(8)
]


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models run far faster on one thread, above all on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _cfg(**kw) -> TrainConfig:
    base = dict(lora_r=8, lora_alpha=16, lora_dropout=0.0, lr=5e-3, batch_size=4, bf16="off")
    base.update(kw)
    return TrainConfig(**base)


def _lora_state(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


# --- data, templates, masking -------------------------------------------------------------


def test_prompt_included_loss_and_alpaca_template_exact(tokenizer):
    ex = Example("Name a colour.", "Blue.", "t")
    ids, labels = encode_example(tokenizer, ex, 256, train_on_prompt=True)
    ref_ids, ref_labels = example_ids(tokenizer, "Name a colour.", "Blue.")
    assert ids == ref_ids and labels == ids  # every token is a target
    assert ref_labels != labels  # ... while the default masks the prompt

    p = tokenizer(ALPACA_PROMPT.format(instruction="Name a colour."))["input_ids"]
    r = tokenizer("Blue.", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    ids, labels = encode_example(tokenizer, ex, 256, template="alpaca")
    assert ids == p + r
    assert labels == [-100] * len(p) + r
    assert "### Instruction:\nName a colour.\n\n### Response:\n" in tokenizer.decode(ids)
    ids2, labels2 = encode_example(tokenizer, ex, 256, template="alpaca", train_on_prompt=True)
    assert ids2 == ids and labels2 == ids


def test_alpaca_prompt_matches_chat_fallback_for_template_less_models(tokenizer):
    template = tokenizer.chat_template
    tokenizer.chat_template = None
    try:
        assert alpaca_prompt_ids(tokenizer, "Say hi.") == prompt_ids(tokenizer, "Say hi.")
    finally:
        tokenizer.chat_template = template


def test_load_examples_reads_mixtures_and_alpaca_rows(tmp_path):
    mix = tmp_path / "mix.jsonl"
    rows = [
        Example("p1", "r1", "bundled/x", "cat", "general").to_dict(),
        {"prompt": "p2", "response": "r2"},
    ]
    mix.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = load_examples(mix)
    assert [(e.prompt, e.response, e.category) for e in got] == [
        ("p1", "r1", "cat"),
        ("p2", "r2", ""),
    ]
    alp = tmp_path / "study.json"
    alp.write_text(
        json.dumps(
            [
                {"instruction": "Do X", "input": "", "output": "No."},
                {"instruction": "Sum", "input": "1 2", "output": "3"},
            ]
        )
    )
    got = load_examples(alp)
    assert [(e.prompt, e.response) for e in got] == [("Do X", "No."), ("Sum\n\n1 2", "3")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "response": "b"}\n{"text": "c"}\n')
    with pytest.raises(SafetylabError, match=r"bad.jsonl:2: missing field 'prompt'"):
        load_examples(bad)
    bad.write_text('{"prompt": "a", "response": "b"}\n{oops\n')
    with pytest.raises(SafetylabError, match=r"bad.jsonl:2: not valid JSON"):
        load_examples(bad)
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(SafetylabError, match="training data is empty"):
        load_examples(tmp_path / "empty.jsonl")


# --- configs ------------------------------------------------------------------------------


def test_presets_set_every_option_and_the_paper_recipe():
    import dataclasses

    import yaml

    from safetylab.train._config import PRESETS_DIR

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    for name in ("paper-lora", "cpu-lora"):
        keys = set(yaml.safe_load((PRESETS_DIR / f"{name}.yaml").read_text()))
        assert keys == fields, name
    paper = load_train_config("paper-lora")
    assert (paper.lora_r, paper.lora_alpha, paper.lora_dropout) == (8, 16, 0.05)
    assert paper.target_modules == ["q_proj", "v_proj"]
    assert (paper.lr, paper.epochs, paper.cutoff, paper.batch_size) == (3e-4, 3, 256, 128)
    assert paper.template == "alpaca" and paper.train_on_prompt is True
    cpu = load_train_config("cpu-lora", ["lr=3e-4", "target_modules=all-linear"])
    assert cpu.lr == 3e-4 and cpu.target_modules == ["all-linear"] and cpu.lora_layers == 4


@pytest.mark.parametrize(
    "text,sets,message",
    [
        ("epoch: 2\n", [], "unknown option 'epoch'; did you mean 'epochs'?"),
        ("batching: pack\n", [], "batching must be one of length, padded, packed, got 'pack'"),
        ("lora_r: 8.5\n", [], "c.yaml:1:1: lora_r: must be an integer, got 8.5"),
        ("lr: .nan\n", [], "c.yaml:1:1: lr: must be a finite number (not NaN"),
        ("seed: abc\n", [], "c.yaml:1:1: seed: must be an integer, got 'abc'"),
        ("", ["epochs=.inf"], "--set: epochs: must be a finite number"),
        ("lr: [1\n", [], "c.yaml:2:1: not valid YAML"),
        ("", ["lr"], "--set 'lr': expected KEY=VALUE"),
        ("", ["micro_batch_size=16"], "micro_batch_size (16) must be <= batch_size (8)"),
    ],
)
def test_bad_train_config_names_the_option(tmp_path, text, sets, message):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(SafetylabError) as e:
        load_train_config(p, sets)
    assert message in str(e.value) and "\n" not in str(e.value)


# --- batching and packing -----------------------------------------------------------------


def test_plans_cover_each_epoch_once_and_max_steps_spans_epochs():
    lengths = [5, 9, 7, 30, 12, 3, 8, 20, 11, 6]
    for mode in ("length", "padded", "packed"):
        plan = make_plan(lengths, 4, 2, mode, seed=3)
        assert len(plan) == 6
        assert sorted(i for b in plan[:3] for i in b) == list(range(10))
        assert make_plan(lengths, 4, 2, mode, seed=3) == plan  # seeded
    assert len(make_plan(lengths, 4, 1, "length", 0, max_steps=7)) == 7
    rows = pack_rows(list(range(10)), lengths, 32)
    assert sorted(i for r in rows for i in r) == list(range(10))
    assert all(sum(lengths[i] for i in r) <= 32 for r in rows) and len(rows) == 4
    # Two processes split a step's rows; both run the same number of micro-batches.
    a = layout_step(list(range(5)), lengths, "length", 2, 32, world=2, rank=0)
    b = layout_step(list(range(5)), lengths, "length", 2, 32, world=2, rank=1)
    assert len(a) == len(b) == 2 and b[-1] == []
    assert sorted(i for mb in a + b for r in mb for i in r) == list(range(5))


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_packing_does_not_let_examples_attend_to_each_other(tokenizer, attn):
    model = make_tiny_llama(len(tokenizer), seed=2)
    model.config._attn_implementation = attn
    data = [encode_example(tokenizer, e, 256) for e in EXAMPLES[:3]]
    a, b, c = data

    def hidden(rows, packed, d=data):
        batch = collate(d, rows, 0, packed=packed)
        with torch.no_grad():
            out = model.model(
                input_ids=batch.ids,
                attention_mask=batch.attention_mask,
                position_ids=batch.position_ids,
                use_cache=False,
            )
        return out.last_hidden_state, batch

    alone, _ = hidden([[1]], packed=False)
    packed, batch = hidden([[0, 1, 2]], packed=True)
    n0, n1 = len(a[0]), len(b[0])
    assert batch.position_ids[0, n0].item() == 0 and batch.labels[0, n0].item() == -100
    torch.testing.assert_close(packed[0, n0 : n0 + n1], alone[0, :n1], rtol=1e-5, atol=1e-5)
    # Changing the example packed before B changes nothing in B.
    other = [([t + 1 for t in a[0]], a[1]), b, c]
    packed2, _ = hidden([[0, 1, 2]], packed=True, d=other)
    assert not torch.allclose(packed2[0, :n0], packed[0, :n0])
    torch.testing.assert_close(packed2[0, n0 : n0 + n1], packed[0, n0 : n0 + n1], rtol=0, atol=1e-6)
    # Loss over the packed row equals the sum over the examples alone.
    mod = _loss_module(model, 4)
    loss_packed = mod(batch.ids, batch.labels, None, batch.position_ids, None, 0)
    single = [collate(data, [[i]], 0, packed=False) for i in range(3)]
    loss_alone = sum(mod(s.ids, s.labels, s.attention_mask, None, None, 0) for s in single)
    assert batch.targets == sum(s.targets for s in single)
    torch.testing.assert_close(loss_packed, loss_alone, rtol=1e-5, atol=1e-5)


def test_packed_and_length_batching_give_the_same_first_loss(tokenizer):
    losses = []
    for mode in ("packed", "length", "padded"):
        model = apply_lora(make_tiny_llama(len(tokenizer), seed=1), _cfg())
        cfg = _cfg(batching=mode, batch_size=8, max_steps=1, cutoff=64)
        losses.append(train(model, tokenizer, EXAMPLES, cfg, show_progress=False)["loss_first"])
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    assert losses[2] == pytest.approx(losses[1], rel=1e-5)


# --- accumulation, full fine-tuning ---------------------------------------------------------


@pytest.mark.parametrize("batching", ["length", "packed"])
def test_gradient_accumulation_2x4_equals_1x8(tokenizer, batching):
    updates = []
    for micro in (4, 8):
        model = apply_lora(make_tiny_llama(len(tokenizer), seed=1), _cfg())
        before = _lora_state(model)
        cfg = _cfg(batch_size=8, micro_batch_size=micro, max_steps=1, batching=batching)
        if batching == "packed":
            cfg.cutoff = 40  # several rows, so 4-row micro-batches really split the step
        train(model, tokenizer, EXAMPLES, cfg, show_progress=False)
        after = _lora_state(model)
        updates.append({k: after[k] - before[k] for k in before})
    moved = 0
    for k in updates[0]:
        torch.testing.assert_close(updates[0][k], updates[1][k], rtol=0, atol=1e-5)
        moved += int(updates[1][k].abs().max() > 1e-4)
    assert moved == 4 * 7  # every lora_B moved


def test_full_fine_tuning_changes_base_weights_and_loss_goes_down(tokenizer):
    model = make_tiny_llama(len(tokenizer), seed=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = _cfg(method="full", lr=3e-2, epochs=10, batch_size=4, lora_layers=2)
    stats = train(model, tokenizer, EXAMPLES, cfg, show_progress=False)
    assert stats["loss_last"] < 0.5 * stats["loss_first"]
    after = model.state_dict()
    for key in (
        "model.layers.0.self_attn.q_proj.weight",
        "model.layers.3.mlp.down_proj.weight",
        "model.embed_tokens.weight",
        "model.norm.weight",
    ):
        assert not torch.equal(before[key], after[key]), key


def test_warmup_steps_and_schedules():
    from safetylab.train._loop import lr_at as _lr_at

    cfg = TrainConfig(lr=1.0, warmup_steps=4, schedule="linear")
    assert [_lr_at(s, 12, cfg) for s in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert _lr_at(11, 12, cfg) == pytest.approx(1 - 7 / 8)
    cfg = TrainConfig(lr=1.0, warmup_ratio=0.0, schedule="cosine")
    assert _lr_at(0, 10, cfg) == 1.0 and _lr_at(9, 10, cfg) < 0.05


# --- checkpoints, resume, validation, metrics ----------------------------------------------


def _run(tokenizer, out, cfg, *, resume=False, interrupt_at=None):
    model = apply_lora(make_tiny_llama(len(tokenizer), seed=5), cfg)

    def on_step(step, row):
        if step == interrupt_at:
            signal.raise_signal(signal.SIGINT)  # what Ctrl-C does

    stats = train(
        model,
        tokenizer,
        EXAMPLES,
        cfg,
        out,
        show_progress=False,
        resume=resume,
        save_on_interrupt=True,
        on_step=on_step,
    )
    return model, stats


def test_interrupted_then_resumed_run_reproduces_the_uninterrupted_run(tokenizer, tmp_path):
    cfg = _cfg(
        lora_dropout=0.1,
        epochs=3,
        batch_size=4,
        micro_batch_size=2,
        val_ratio=0.25,
        eval_every=2,
        lr=3e-3,
    )
    ref, ref_stats = _run(tokenizer, tmp_path / "ref", cfg)
    assert ref_stats["steps"] == 6 and ref_stats["val_examples"] == 2
    with pytest.raises(TrainingInterrupted) as e:
        _run(tokenizer, tmp_path / "cut", cfg, interrupt_at=3)
    assert e.value.step == 3 and e.value.checkpoint.name == "step-00000003"
    assert (e.value.checkpoint / "state.json").is_file()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    resumed, stats = _run(tokenizer, tmp_path / "cut", cfg, resume=True)
    assert stats["resumed_from_step"] == 3 and stats["losses"] == ref_stats["losses"]
    a, b = _lora_state(ref), _lora_state(resumed)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6)
    assert stats["val_loss"] == pytest.approx(ref_stats["val_loss"], abs=1e-6)
    rows = [json.loads(x) for x in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "loss" in r] == [1, 2, 3, 4, 5, 6]
    assert [r["step"] for r in rows if "val_loss" in r] == [2, 4, 6]
    assert set(rows[0]) >= {"loss", "lr", "grad_norm", "tokens_per_s", "eta_s", "epoch"}
    state = json.loads((tmp_path / "cut" / "train_state.json").read_text())
    assert state["data_sha256"] and state["config"]["lora_dropout"] == 0.1


def test_periodic_checkpoints_keep_the_last_k_and_resume_checks_config(tokenizer, tmp_path):
    cfg = _cfg(epochs=3, save_every=2, keep_checkpoints=2)
    _run(tokenizer, tmp_path / "a", cfg)
    names = sorted(p.name for p in (tmp_path / "a" / "checkpoints").iterdir())
    assert names == ["step-00000002", "step-00000004"]
    files = sorted(p.name for p in (tmp_path / "a" / "checkpoints" / names[-1]).iterdir())
    assert files == [
        "optimizer.json",
        "optimizer.safetensors",
        "rng-0.json",
        "rng-0.safetensors",
        "state.json",
        "trainable.safetensors",
    ]
    with pytest.raises(SafetylabError, match="was made with lr=0.005, the config now has lr=0.001"):
        _run(tokenizer, tmp_path / "a", _cfg(epochs=3, save_every=2, lr=1e-3), resume=True)


def test_nan_loss_and_qlora_without_gpu_are_clear_errors(tokenizer):
    model = apply_lora(make_tiny_llama(len(tokenizer)), _cfg())
    with torch.no_grad():
        model.base_model.model.model.norm.weight.fill_(float("nan"))
    with pytest.raises(SafetylabError, match=r"loss is nan at step 0; lower lr \(now 0.005\)"):
        train(model, tokenizer, EXAMPLES, _cfg(), show_progress=False)
    from safetylab.train._setup import _load_4bit

    with pytest.raises(SafetylabError, match="method: qlora needs a CUDA GPU"):
        _load_4bit("unused", "cpu", _cfg(method="qlora"))


# --- CLI: train, resume, merge --------------------------------------------------------------


@pytest.fixture
def tiny_folder(tokenizer, tmp_path):
    path = tmp_path / "tiny"
    make_tiny_llama(len(tokenizer), seed=7).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_cli_train_resume_and_merge(tiny_folder, tmp_path, capsys):
    data = tmp_path / "mix.jsonl"
    data.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in EXAMPLES))
    out = tmp_path / "adapter"
    args = [
        "train",
        "--model",
        str(tiny_folder),
        "--data",
        str(data),
        "--out",
        str(out),
        "--config",
        "cpu-lora",
        "--set",
        "epochs=2",
        "--set",
        "lora_layers=2",
        "--set",
        "val_ratio=0.25",
        "--quiet",
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "trained 2 steps" in text and "val loss" in text
    state = json.loads((out / "train_state.json").read_text())
    assert state["base_fingerprint"] and state["data_file_sha256"] and state["data_sha256"]
    assert state["config"]["lora_layers"] == 2 and (out / "config.yaml").is_file()
    assert main(args) == 2
    assert "already holds a trained model" in capsys.readouterr().err
    assert main([*args, "--resume"]) == 0
    assert "already trained; nothing to do" in capsys.readouterr().out

    merged = tmp_path / "merged"
    assert (
        main(["merge", "--model", str(tiny_folder), "--adapter", str(out), "--out", str(merged)])
        == 0
    )
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    peft_model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(tiny_folder), out
    ).eval()
    plain = AutoModelForCausalLM.from_pretrained(merged).eval()
    ids = torch.tensor([[1, 5, 9, 200, 31, 7]])
    with torch.no_grad():
        want, got = peft_model(ids).logits, plain(ids).logits
    assert not any("lora" in n for n, _ in plain.named_parameters())
    assert (merged / "model.safetensors").is_file() and (merged / "merge_info.json").is_file()
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    ref = AutoModelForCausalLM.from_pretrained(tiny_folder).eval()
    with torch.no_grad():
        assert not torch.allclose(ref(ids).logits, want)  # the adapter did change the model


def test_cli_errors_are_one_line(tiny_folder, tmp_path, capsys):
    data = tmp_path / "mix.jsonl"
    data.write_text(json.dumps(EXAMPLES[0].to_dict()) + "\n")
    base = ["train", "--model", str(tiny_folder), "--data", str(data), "--out", str(tmp_path / "o")]
    cases = [
        (["--set", "target_modules=[qkv]"], "linear modules are: down_proj, gate_proj"),
        (["--set", "cutoff=4"], "longer than the cutoff (4 tokens)"),
        (["--config", "nope"], "--config nope: file not found (shipped presets: paper-lora"),
    ]
    for extra, message in cases:
        assert main(base + extra) == 2
        last = capsys.readouterr().err.strip().splitlines()[-1]  # after any loading bars
        assert last.startswith("safetylab: error: ") and message in last
    assert (
        main(
            [
                "merge",
                "--model",
                str(tiny_folder),
                "--adapter",
                str(tiny_folder),
                "--out",
                str(tmp_path / "m"),
            ]
        )
        == 2
    )
    assert "no adapter_config.json" in capsys.readouterr().err


# --- the speed benchmark's pieces -------------------------------------------------------------


def test_bench_mixture_and_study_baseline_match_the_library(tokenizer):
    from collections import Counter

    from safetylab.bench._train import _study_run, bench_mixture, flops_per_token

    rows = bench_mixture()
    assert len(rows) == 1000 and bench_mixture() == rows  # fixed, seeded order
    kinds = Counter("general" if ex is None else ex.strategy for _, ex in rows)
    assert kinds == {"general": 400, "safety": 300, "sensitive": 60, "context": 240}
    # The study's loop (HF forward + full logits, padded) gives the library's loss and update.
    cfg = _cfg(
        batching="padded",
        train_on_prompt=True,
        template="alpaca",
        cutoff=48,
        batch_size=8,
        micro_batch_size=4,
        max_steps=1,
    )
    ours = apply_lora(make_tiny_llama(len(tokenizer), seed=3), cfg)
    stats = train(ours, tokenizer, EXAMPLES, cfg, show_progress=False)
    theirs = apply_lora(make_tiny_llama(len(tokenizer), seed=3), cfg)
    data = [
        encode_example(tokenizer, e, 48, template="alpaca", train_on_prompt=True) for e in EXAMPLES
    ]
    plan = make_plan([len(x) for x, _ in data], 8, 1, "padded", cfg.seed, 1)
    base = _study_run(theirs, data, plan, cfg)
    assert base["losses"][0] == pytest.approx(stats["losses"][0], rel=1e-5)
    assert base["tokens"] == stats["tokens"] == sum(len(x) for x, _ in data)
    a, b = _lora_state(ours), _lora_state(theirs)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6)
    tiny = make_tiny_llama(len(tokenizer))
    # 4 layers x (4 attention + 3 MLP projections) x 4, tied lm_head x 4, causal attention x 3.
    layers = 4 * (2 * 32 * 32 + 2 * 32 * 16 + 3 * 32 * 64)
    attn = 2 * 2 * 4 * 4 * 8 * 10.0 / 2
    assert flops_per_token(tiny, 10.0) == 4 * layers + 4 * len(tokenizer) * 32 + 3 * attn
    assert flops_per_token(tiny, 10.0, 0.5) == 4 * layers + 2 * len(tokenizer) * 32 + 3 * attn


def test_tensorboard_without_the_package_names_the_install(tokenizer, tmp_path):
    import importlib.util

    if importlib.util.find_spec("tensorboard") is not None:
        pytest.skip("tensorboard is installed here")
    model = apply_lora(make_tiny_llama(len(tokenizer)), _cfg())
    with pytest.raises(SafetylabError, match=r"pip install tensorboard"):
        train(model, tokenizer, EXAMPLES, _cfg(tensorboard=True), tmp_path, show_progress=False)


def test_all_linear_targets_and_gradient_checkpointing(tokenizer):
    model = apply_lora(make_tiny_llama(len(tokenizer)), _cfg(target_modules=["all-linear"]))
    adapted = {n.split(".lora_")[0] for n, _ in model.named_parameters() if "lora_A" in n}
    assert len(adapted) == 4 * 7 and not any("lm_head" in n for n in adapted)
    losses = []
    for ckpt in (False, True):
        m = apply_lora(make_tiny_llama(len(tokenizer), seed=1), _cfg())
        cfg = _cfg(batch_size=8, max_steps=2, gradient_checkpointing=ckpt)
        losses.append(train(m, tokenizer, EXAMPLES, cfg, show_progress=False)["losses"])
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_cli_lists_train_merge_and_bench(capsys):
    with pytest.raises(SystemExit) as e:
        main(["bench", "train", "--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    assert "--examples" in text and "--max-steps" in text and "--threads" in text
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(v in out for v in ("train", "merge", "bench"))
