"""The whole loop on the real bundled model (SmolLM2-135M) at a tiny size."""

import json

import pytest
from safetensors.torch import load_file

from safetylab.config import DemoConfig, EvalSizes, validate
from safetylab.sweep import run_demo
from safetylab.train import TrainConfig


def tiny_config() -> DemoConfig:
    return validate(
        DemoConfig(
            grid=[0, 16],
            n_general=8,
            distill_max_new_tokens=16,
            eval=EvalSizes(harm=4, overrefusal=4, helpful=2),
            max_new_tokens=8,
            train=TrainConfig(lora_layers=4, epochs=1, batch_size=8),
        )
    )


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.slow
def test_demo_end_to_end_and_resume(tmp_path):
    out = tmp_path / "run"
    rows = run_demo(tiny_config(), out)
    for name in [
        "config.resolved.yaml",
        "manifest.json",
        "examples.jsonl",
        "prompts.jsonl",
        "generations.jsonl",
        "judgments.jsonl",
        "metrics.json",
        "report.md",
        "report.html",
    ]:
        assert (out / name).exists(), name

    assert {r.model for r in rows} == {"safety-0", "safety-16"}
    harm = [r for r in rows if r.suite == "harm"]
    assert len(harm) == 2 and all("compliance" in r.metric and r.n == 4 for r in harm)
    assert len(_lines(out / "prompts.jsonl")) == 10
    assert len(_lines(out / "generations.jsonl")) == 20
    assert len(_lines(out / "judgments.jsonl")) == 40  # two judges
    mix = json.loads((out / "mixtures.json").read_text())
    assert mix["safety-0"]["rows"] == 8 and mix["safety-16"]["rows"] == 24

    # LoRA learned something (lora_B starts at zero), only adapter tensors were saved.
    weights = load_file(str(out / "models" / "safety-16" / "adapter_model.safetensors"))
    assert weights and all("lora_" in k for k in weights)
    assert any(v.abs().sum() > 0 for k, v in weights.items() if "lora_B" in k)
    assert {k.split(".layers.")[1].split(".")[0] for k in weights} == {"26", "27", "28", "29"}

    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "safety-16" in html

    # Re-running resumes: nothing retrained, generated or written twice; same mixtures.
    state = out / "models" / "safety-16" / "train_state.json"
    mtime = state.stat().st_mtime_ns
    gens_before = _lines(out / "generations.jsonl")
    rows2 = run_demo(tiny_config(), out)
    assert state.stat().st_mtime_ns == mtime
    assert _lines(out / "generations.jsonl") == gens_before
    assert len(_lines(out / "judgments.jsonl")) == 40
    assert json.loads((out / "mixtures.json").read_text()) == mix
    assert [r.to_dict() for r in rows2] == [r.to_dict() for r in rows]

    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["model_fingerprints"]) == {"safety-0", "safety-16"}
    assert manifest["judges"] == ["refusal@3", "strmatch@1"]  # the refusal judge drives metrics


@pytest.mark.slow
def test_contaminated_eval_fails_loudly(tmp_path, monkeypatch):
    from safetylab import sweep
    from safetylab.errors import SafetylabError

    real = sweep.eval_prompts

    def leaky(cfg):
        prompts = real(cfg)
        from safetylab.data import load_bundled
        from safetylab.records import Prompt

        leaked = load_bundled("safety")[0]["prompt"]
        return prompts + [Prompt(leaked, "harm", "unsafe", "x", "leak-1")]

    monkeypatch.setattr(sweep, "eval_prompts", leaky)
    with pytest.raises(SafetylabError, match=r"overlap evaluation prompts \(exact\).*leak-1"):
        run_demo(tiny_config(), tmp_path / "run")
