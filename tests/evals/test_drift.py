"""Drift of helpful answers from the base model's (evals/_drift.py), on a tiny random LLaMA.

python -m pytest tests/evals/test_drift.py -q
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from safetylab.cli.main import main
from safetylab.evals._drift import EMBED_TOKENS, embed, similarities
from safetylab.evals._metrics import bootstrap_ci
from safetylab.evals._suites import get_suite
from safetylab.store import GenerationCache, read_jsonl
from tests.conftest import make_tiny_llama

N = 4  # helpful prompts
TOKENS = 8  # new tokens per answer
DEC = {"max_new_tokens": TOKENS, "do_sample": False}


def save_tiny(path: Path, tokenizer, seed: int) -> Path:
    make_tiny_llama(len(tokenizer), seed=seed).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def save_adapter(path: Path, model_dir: Path, seed: int = 3) -> Path:
    """A LoRA adapter with random (not zero) B matrices, so it changes the answers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(model_dir)
    cfg = LoraConfig(
        r=4,
        lora_alpha=64,
        target_modules=["q_proj", "v_proj", "down_proj"],
        init_lora_weights=False,
    )
    get_peft_model(base, cfg).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tokenizer) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("drift")
    model = save_tiny(root / "base", tokenizer, seed=0)
    return {
        "model": model,
        "adapter": save_adapter(root / "adapter", model),
        "other": save_tiny(root / "other", tokenizer, seed=5),
    }


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _eval(out: Path, *args: str) -> None:
    code = main(
        [
            "eval",
            "--suites",
            "helpful",
            "--n",
            str(N),
            "--max-new-tokens",
            str(TOKENS),
            "--out",
            str(out),
            *args,
        ]
    )
    assert code == 0


def _direct_answers(model_dir: Path, adapter: Path | None = None) -> list[str]:
    """The answers of plain transformers (+ PEFT) models through the hf backend, no eval stage."""
    from transformers import AutoModelForCausalLM

    from safetylab.generate import HFBackend
    from safetylab.models import load_tokenizer

    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter)).eval()
    tok = load_tokenizer(model_dir)
    prompts = [p.text for p in get_suite("helpful").prompts(N)]
    return [t for t, _ in HFBackend(model, tok, "direct").generate(prompts, DEC)]


def _in_prompt_order(rows: list[dict]) -> list[dict]:
    """Rows ordered like the suite's prompts (the log keeps the order they were generated in)."""
    order = {p.id: i for i, p in enumerate(get_suite("helpful").prompts(N))}
    return sorted(rows, key=lambda r: order[r["prompt_id"]])


def _direct_similarities(a: list[str], b: list[str]) -> list[float]:
    """Cosine similarities from a fresh sentence-transformers model reading whole answers."""
    from tests.conftest import sentence_transformer

    st = sentence_transformer(256)
    ea = st.encode(a, convert_to_numpy=True)
    eb = st.encode(b, convert_to_numpy=True)
    ea = ea / np.linalg.norm(ea, axis=1, keepdims=True)
    eb = eb / np.linalg.norm(eb, axis=1, keepdims=True)
    return [float(x) for x in (ea * eb).sum(axis=1)]


def _rows(out: Path) -> dict[tuple[str, str], dict]:
    return {(m["suite"], m["metric"]): m for m in json.loads((out / "metrics.json").read_text())}


def test_drift_from_the_model_without_its_adapter(tiny, cache, tmp_path, tokenizer):
    from safetylab.models import fingerprint

    out = tmp_path / "tuned"
    _eval(out, "--model", str(tiny["model"]), "--adapter", str(tiny["adapter"]))

    gens = _in_prompt_order(read_jsonl(out / "generations.jsonl"))
    base = read_jsonl(out / "base_generations.jsonl")
    assert len(gens) == N and len(base) == N
    base_fp = fingerprint(tiny["model"], tokenizer)
    assert {b["fingerprint"] for b in base} == {base_fp}
    assert {g["fingerprint"] for g in gens} == {
        fingerprint(tiny["model"], tokenizer, tiny["adapter"])
    }
    assert {b["model"] for b in base} == {"base"}

    # The reference answers are the base model's own; the tuned ones are the adapter's.
    by_prompt = {b["prompt_id"]: b["text"] for b in base}
    tuned = [g["text"] for g in gens]
    ref = [by_prompt[g["prompt_id"]] for g in gens]
    assert ref == _direct_answers(tiny["model"])
    assert tuned == _direct_answers(tiny["model"], tiny["adapter"])
    assert sum(a != b for a, b in zip(tuned, ref, strict=True)) >= 1  # the adapter matters

    # Per-answer similarity records, equal to an independent embedding of both answers.
    drift = {d["generation_id"]: d for d in read_jsonl(out / "drift.jsonl")}
    assert len(drift) == N
    sims = _direct_similarities(tuned, ref)
    for g, s in zip(gens, sims, strict=True):
        d = drift[g["id"]]
        assert d["prompt_id"] == g["prompt_id"]
        assert d["base_fingerprint"] == base_fp
        assert d["base_generation_id"] == next(
            b["id"] for b in base if b["prompt_id"] == g["prompt_id"]
        )
        assert d["similarity"] == pytest.approx(s, abs=1e-5)
    assert min(sims) < 0.999  # not a pair of identical answer lists

    # Metrics: mean similarity with its bootstrap interval, and the share below 0.5.
    got = [drift[g["id"]]["similarity"] for g in gens]
    rows = _rows(out)
    sim = rows[("helpful", "similarity_to_base")]
    assert sim["n"] == N
    assert sim["value"] == pytest.approx(float(np.mean(got)), abs=1e-9)
    assert (sim["ci_low"], sim["ci_high"]) == pytest.approx(bootstrap_ci(got, seed=0))
    drifted = rows[("helpful", "drifted_rate")]
    assert drifted["n"] == N
    assert drifted["value"] == sum(s < 0.5 for s in got) / N

    # The base answers sit in the generation cache under the base model's fingerprint.
    db = GenerationCache(cache / "generations.sqlite")
    prompts = get_suite("helpful").prompts(N)
    keys = [GenerationCache.key(base_fp, p.payload(), {**DEC, "dtype": "fp32"}) for p in prompts]
    hit = db.get_many(keys)
    db.close()
    assert [hit[k][0] for k in keys] == [by_prompt[p.id] for p in prompts]

    # An eval of the base model itself reuses them: same generation ids, same texts.
    plain = tmp_path / "plain"
    _eval(plain, "--model", str(tiny["model"]))
    assert sorted(read_jsonl(plain / "generations.jsonl"), key=lambda r: r["id"]) == sorted(
        base, key=lambda r: r["id"]
    )
    assert not (plain / "base_generations.jsonl").exists()  # no adapter, no --base: no drift
    assert ("helpful", "similarity_to_base") not in _rows(plain)

    # A rerun adds nothing and gives the same numbers; a new threshold only changes the rate.
    lines = (out / "drift.jsonl").read_text()
    _eval(
        out,
        "--model",
        str(tiny["model"]),
        "--adapter",
        str(tiny["adapter"]),
        "--drift-threshold",
        "2",
    )
    assert (out / "drift.jsonl").read_text() == lines
    again = _rows(out)
    assert again[("helpful", "similarity_to_base")] == sim
    assert again[("helpful", "drifted_rate")]["value"] == 1.0  # every cosine is below 2


def test_base_option_names_another_reference_and_no_drift_skips_it(
    tiny, cache, tmp_path, tokenizer
):
    from safetylab.models import fingerprint

    out = tmp_path / "other"
    _eval(out, "--model", str(tiny["other"]), "--base", str(tiny["model"]))
    base = read_jsonl(out / "base_generations.jsonl")
    assert {b["fingerprint"] for b in base} == {fingerprint(tiny["model"], tokenizer)}
    gens = _in_prompt_order(read_jsonl(out / "generations.jsonl"))
    by_prompt = {b["prompt_id"]: b["text"] for b in base}
    assert [by_prompt[g["prompt_id"]] for g in gens] == _direct_answers(tiny["model"])
    sims = [d["similarity"] for d in read_jsonl(out / "drift.jsonl")]
    assert _rows(out)[("helpful", "similarity_to_base")]["value"] == pytest.approx(np.mean(sims))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["drift_reference"] == {
        "model": "base",
        "fingerprint": fingerprint(tiny["model"], tokenizer),
    }

    skip = tmp_path / "skip"
    _eval(skip, "--model", str(tiny["model"]), "--adapter", str(tiny["adapter"]), "--no-drift")
    assert not (skip / "base_generations.jsonl").exists()
    assert not (skip / "drift.jsonl").exists()
    assert {k[1] for k in _rows(skip)} == {"refusal_rate"}


def test_base_equal_to_the_model_without_adapter_is_exit_2(tmp_path, capsys):
    args = [
        "eval",
        "--backend",
        "mock",
        "--model",
        "m",
        "--base",
        "m",
        "--out",
        str(tmp_path / "x"),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--base" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_similarity_reads_whole_answers_and_leaves_the_refusal_judges_encoder_alone():
    from safetylab.judges._minilm import SEQ_TOKENS, encode

    recipe = "Mix flour, water, salt and yeast, knead the dough, let it rise, then bake it."
    same = similarities([recipe], [recipe])
    assert same == pytest.approx([1.0], abs=1e-5)
    para = "Combine flour, yeast, salt and water, knead, leave it to rise and bake."
    refusal = "I'm sorry, but I can't help with that."
    s_para, s_ref = similarities([recipe, recipe], [para, refusal])
    assert s_para > 0.7 > s_ref  # a paraphrase stays close; a refusal has drifted away

    # Answers that differ only after the 64th word piece (the refusal judge's window) differ.
    head = "one two three four five six seven eight nine ten " * 10
    a, b = head + "The answer is apples.", head + "The answer is motorcycles."
    assert similarities([a], [b])[0] < 0.999
    # the judge's encoder still reads only its 64-word-piece window: same vector for both
    assert SEQ_TOKENS == 64 and np.abs(encode([a]) - encode([b])).max() < 1e-6
    assert EMBED_TOKENS == 256
    assert embed([]).shape == (0, 384)
