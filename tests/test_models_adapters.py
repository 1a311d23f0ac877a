"""Several LoRA adapters on one copy of the base weights, switched per generation."""

from pathlib import Path

import pytest

from safetylab.errors import SafetylabError
from safetylab.generate import HFBackend
from safetylab.models import load_adapters, load_base
from tests.evals.test_drift import save_adapter, save_tiny

PROMPTS = ["Name a fruit", "Why is the sky blue?", "Count to three"]
DEC = {"max_new_tokens": 5, "do_sample": False}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tokenizer) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("adapters")
    base = save_tiny(root / "base", tokenizer, seed=0)
    return {
        "base": base,
        "a": save_adapter(root / "a", base, seed=3),
        "b": save_adapter(root / "b", base, seed=4),
    }


def _answers(lm, fingerprint: str, adapter: str | None = None) -> list[tuple[str, int]]:
    return HFBackend(lm.model, lm.tokenizer, fingerprint, adapter=adapter).generate(PROMPTS, DEC)


def test_adapters_share_one_base_and_answer_as_if_loaded_alone(tiny, fast_bf16):
    """In the compute dtype auto gives (fp32, or bf16 on a fast-bf16 CPU) for every run."""
    tuned, fps = load_adapters(str(tiny["base"]), {"a": tiny["a"], "b": tiny["b"]})
    alone = {k: load_base(str(tiny["base"]), adapter=tiny[k]) for k in ("a", "b")}
    assert fps == {k: alone[k].fingerprint for k in ("a", "b")} and fps["a"] != fps["b"]
    want = {k: _answers(alone[k], fps[k]) for k in ("a", "b")}
    assert want["a"] != want["b"]  # the two adapters really answer differently
    for k in ("b", "a", "b"):  # switching back and forth
        assert _answers(tuned, fps[k], adapter=k) == want[k]
    base = load_base(str(tiny["base"]))
    with tuned.model.disable_adapter():
        assert _answers(tuned, "base") == _answers(base, base.fingerprint)


def test_bad_adapters_are_one_line_errors(tiny, tmp_path):
    with pytest.raises(SafetylabError, match="no adapter_model.safetensors"):
        load_adapters(str(tiny["base"]), {"a": tmp_path})
    with pytest.raises(SafetylabError, match="without '.'"):
        load_adapters(str(tiny["base"]), {"a.1": tiny["a"]})
    with pytest.raises(SafetylabError, match="no adapters"):
        load_adapters(str(tiny["base"]), {})
