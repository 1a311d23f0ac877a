"""Answer quality of helpful answers by a reward model (``--reward-model``), on a tiny random
sequence classifier saved to disk.

python -m pytest tests/evals/test_reward.py -q
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from safetylab.cli.main import main
from safetylab.evals._metrics import bootstrap_ci
from safetylab.store import read_jsonl
from tests.conftest import first_logits, save_tiny_classifier

N = 5


@pytest.fixture(scope="module")
def reward_dir(tmp_path_factory, tokenizer) -> Path:
    """A tiny random sequence classifier with one output (a reward model's shape)."""
    path = save_tiny_classifier(tmp_path_factory.mktemp("rm"), tokenizer, 1, 1)
    assert (path / "model.safetensors").exists()
    return path


_logits = first_logits


def test_reward_model_scores_each_helpful_answer(reward_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    args = ["eval", "--backend", "mock", "--suites", "harm,helpful", "--n", str(N)]
    assert main([*args, "--reward-model", str(reward_dir), "--out", str(out)]) == 0

    prompts = {p["id"]: p for p in read_jsonl(out / "prompts.jsonl")}
    gens = {g["id"]: g for g in read_jsonl(out / "generations.jsonl")}
    scored = [j for j in read_jsonl(out / "judgments.jsonl") if j["judge"].startswith("reward@")]
    # Only the helpful suite's answers are scored, each once.
    assert len(scored) == N
    assert {prompts[gens[j["generation_id"]]["prompt_id"]]["suite"] for j in scored} == {"helpful"}

    # Per-answer score = the first logit on the study's input format, negated by the judge
    # (higher = worse); the reported quality is the logit itself.
    texts = []
    for j in scored:
        g = gens[j["generation_id"]]
        texts.append(f"\n\nHuman: {prompts[g['prompt_id']]['text']}\n\nAssistant: {g['text']}")
    ref = _logits(reward_dir, texts)
    assert [j["score"] for j in scored] == pytest.approx([-x for x in ref], abs=1e-5)
    assert len({round(x, 6) for x in ref}) == N  # distinct answers, distinct scores

    rows = {(m["suite"], m["metric"]): m for m in json.loads((out / "metrics.json").read_text())}
    row = rows[("helpful", "reward_score")]
    assert row["n"] == N
    assert row["value"] == pytest.approx(float(np.mean(ref)), abs=1e-5)
    lo, hi = bootstrap_ci([-j["score"] for j in scored], seed=0)
    assert (row["ci_low"], row["ci_high"]) == (lo, hi)
    assert ("harm", "reward_score") not in rows
    manifest = json.loads((out / "manifest.json").read_text())
    assert scored[0]["judge"] in manifest["judges"]

    # A rerun into the same folder re-scores nothing and reports the same row.
    before = (out / "judgments.jsonl").read_text()
    assert main([*args, "--reward-model", str(reward_dir), "--out", str(out)]) == 0
    assert (out / "judgments.jsonl").read_text() == before
    again = {(m["suite"], m["metric"]): m for m in json.loads((out / "metrics.json").read_text())}
    assert again[("helpful", "reward_score")] == row


def test_reward_model_without_safetensors_is_one_line_naming_the_option(
    tmp_path, reward_dir, capsys
):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text((reward_dir / "config.json").read_text())
    (bad / "pytorch_model.bin").write_bytes(b"never unpickled")
    args = ["eval", "--backend", "mock", "--suites", "helpful", "--n", "2"]
    assert main([*args, "--reward-model", str(bad), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "--reward-model" in err and "safetensors" in err
    assert not (tmp_path / "x").exists()  # checked before anything is generated


def test_reward_judge_refuses_a_causal_lm_whose_head_would_be_random(tmp_path, tokenizer):
    """A causal LM loaded as a sequence classifier gets a random ``score`` head (transformers
    only warns); the judge must refuse it in one line, naming the missing head."""
    from safetylab.errors import SafetylabError
    from safetylab.judges._reward import RewardJudge
    from tests.conftest import make_tiny_llama

    lm = tmp_path / "lm"
    make_tiny_llama(len(tokenizer), layers=2).save_pretrained(lm)
    tokenizer.save_pretrained(lm)
    assert (lm / "model.safetensors").exists()
    with pytest.raises(SafetylabError) as e:
        RewardJudge(str(lm), device="cpu")
    msg = str(e.value)
    assert "\n" not in msg
    assert "score.weight" in msg and "sequence classification" in msg and str(lm) in msg


def test_reward_judge_accepts_a_trained_sequence_classifier(reward_dir):
    from safetylab.judges._reward import RewardJudge
    from safetylab.registry import judges, load_plugins

    j = RewardJudge(str(reward_dir), device="cpu")
    prompt, answer = "How do I bake bread?", "Mix flour, water, yeast and salt."
    ((label, score, _),) = j.judge([prompt], [answer])
    ref = _logits(reward_dir, [f"\n\nHuman: {prompt}\n\nAssistant: {answer}"])[0]
    assert score == pytest.approx(ref, abs=1e-5)
    assert label == ("full_compliance" if ref > 0 else "full_refusal")
    load_plugins()
    (desc,) = [e.description for e in judges if e.name == "reward"]
    assert "trained HF sequence-classification" in desc and "causal LM" in desc
