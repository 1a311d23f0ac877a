"""The whole study loop on the real bundled model (SmolLM2-135M) at a tiny size."""

import json

import pytest
from safetensors.torch import load_file

from safetylab.pipeline import EvalSpec, GeneralSpec, StudyConfig, run_demo, run_study


def tiny_config() -> StudyConfig:
    return StudyConfig(
        name="tiny",
        general=GeneralSpec(n=8, distill_max_new_tokens=16),
        strategies={"safety-only": {}, "context-aware": {"sizes": [16]}},
        sizes=[0, 16],
        train={"preset": "cpu-lora", "lora_layers": 4, "epochs": 1, "batch_size": 8,
               "val_ratio": 0.0},
        eval=EvalSpec(n={"harm": 4, "overrefusal": 4, "helpful": 2},
                      judges=["refusal", "strmatch"], max_new_tokens=8, keyword_check=False),
    )  # fmt: skip


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.slow
def test_study_end_to_end_and_resume(tmp_path, monkeypatch):
    out = tmp_path / "run"
    res = run_study(tiny_config(), out)
    assert not res.failed and len(res.ran) == 3
    for name in ["config.resolved.yaml", "cells.json", "prompts.jsonl", "metrics.json",
                 "answers.csv", "report.md", "report.html"]:  # fmt: skip
        assert (out / name).exists(), name
    rows = json.loads((out / "metrics.json").read_text())
    # N = 0 is shown under the strategies whose sizes include it (context-aware: only 16)
    assert list(dict.fromkeys(r["model"] for r in rows)) == [
        "safety-only-0", "safety-only-16", "context-aware-16"
    ]  # fmt: skip
    harm = [r for r in rows if r["suite"] == "harm"]
    assert len(harm) == 3 and all(r["n"] == 4 for r in harm)
    cells = {c.label: out / "cells" / c.id for c in res.cells}
    assert len(_lines(cells["safety-only-16"] / "generations.jsonl")) == 10
    assert len(_lines(cells["safety-only-16"] / "judgments.jsonl")) == 20  # two judges
    assert len(_lines(cells["safety-only-16"] / "mixture.jsonl")) == 8 + 16

    # LoRA learned something (lora_B starts at zero), only the top 4 layers' adapter tensors
    weights = load_file(str(cells["safety-only-16"] / "adapter" / "adapter_model.safetensors"))
    assert weights and all("lora_" in k for k in weights)
    assert any(v.abs().sum() > 0 for k, v in weights.items() if "lora_B" in k)
    assert {k.split(".layers.")[1].split(".")[0] for k in weights} == {"26", "27", "28", "29"}

    # models/<cell> links every adapter, so `safetylab probe --run DIR` finds them
    from safetylab.probes import checkpoints

    names = [c.name for c in checkpoints(out)]
    assert names == ["base", "base-0", "context-aware-16", "safety-only-16"]

    # re-running: nothing retrained or regenerated, same numbers
    state = cells["safety-only-16"] / "adapter" / "train_state.json"
    mtime = state.stat().st_mtime_ns
    before = (out / "metrics.json").read_bytes()
    res2 = run_study(tiny_config(), out)
    assert res2.ran == [] and state.stat().st_mtime_ns == mtime
    assert (out / "metrics.json").read_bytes() == before
    assert [r.to_dict() for r in run_demo(tiny_config(), out)] == [
        {k: r[k] for k in ("model", "suite", "metric", "value", "ci_low", "ci_high", "n")}
        for r in rows
    ]
