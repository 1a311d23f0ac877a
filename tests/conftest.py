"""Shared fixtures: the bundled tokenizer and a tiny randomly-initialised LLaMA built from a config."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _offline_env(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# The compute dtype changes greedy answers, and "auto" picks bf16 autocast on CPUs with AMX /
# AVX512-BF16 only, so the suite fixes the hardware decision: as if the CPU had no fast bf16,
# on every machine. `SAFETYLAB_FAST_BF16=1 make test` runs it as an AMX machine would; tests
# whose answers depend on the dtype take the `fast_bf16` fixture and run both ways.
os.environ.setdefault("SAFETYLAB_FAST_BF16", "0")


@pytest.fixture(params=[False, True], ids=["no-fast-bf16", "fast-bf16"])
def fast_bf16(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Runs the test twice: on a CPU without and with fast bf16 (forced through
    $SAFETYLAB_FAST_BF16), so dtype "auto" means fp32, then bf16 autocast."""
    monkeypatch.setenv("SAFETYLAB_FAST_BF16", "1" if request.param else "0")
    return bool(request.param)


@pytest.fixture(autouse=True)
def _torch_threads_restored(request: pytest.FixtureRequest):
    """A test that changes torch's thread count must give it back (later tests, and their
    timings and numerics, would silently run on one thread); the count is restored and the
    test fails."""
    import sys

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    yield
    torch = sys.modules.get("torch")
    if before is not None and torch is not None and torch.get_num_threads() != before:
        after = torch.get_num_threads()
        torch.set_num_threads(before)
        pytest.fail(f"{request.node.nodeid} left torch at {after} threads (was {before})")


@pytest.fixture
def one_torch_thread():
    """The test runs on one torch thread (bitwise-comparable with a one-thread subprocess);
    the thread count is given back afterwards."""
    with torch_threads(1):
        yield


@contextlib.contextmanager
def torch_threads(n: int):
    """Run a block with ``n`` torch threads, then give the old count back."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="session")
def bundled_path() -> Path:
    """Folder of the bundled model converted to safetensors (converted once per machine)."""
    from safetylab.models import resolve_model_path

    return resolve_model_path("smollm2-135m-instruct")


@pytest.fixture(scope="session")
def tokenizer(bundled_path: Path):
    from safetylab.models import load_tokenizer

    return load_tokenizer(bundled_path)


def make_tiny_llama(vocab_size: int, seed: int = 0, layers: int = 4):
    """A 4-layer LLaMA with hidden size 32 and random weights (no download)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(cfg)
    model.eval()
    return model


@pytest.fixture
def tiny_model(tokenizer):
    return make_tiny_llama(len(tokenizer))


def save_tiny_classifier(path: Path, tokenizer, num_labels: int, seed: int) -> Path:
    """A tiny random LlamaForSequenceClassification saved with the bundled tokenizer."""
    import torch
    from transformers import LlamaConfig, LlamaForSequenceClassification

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        num_labels=num_labels,
        pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForSequenceClassification(cfg).save_pretrained(path)  # model.safetensors
    tokenizer.save_pretrained(path)
    return path


def first_logits(path: Path, texts: list[str]) -> list[float]:
    """Reference: each text alone (no padding) through plain transformers; the first logit."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    out = []
    for t in texts:
        enc = tok(t, truncation=True, max_length=512, return_tensors="pt")
        with torch.inference_mode():
            out.append(float(model(**enc).logits[0, 0]))
    return out


@pytest.fixture(scope="session")
def reward_dir(tmp_path_factory, tokenizer) -> Path:
    """A tiny random sequence classifier with 2 labels."""
    return save_tiny_classifier(tmp_path_factory.mktemp("reward"), tokenizer, 2, 0)


def sentence_transformer(max_tokens: int):
    """all-MiniLM-L6-v2 through sentence-transformers: the reference the plain-torch encoder
    (safetylab.judges._minilm.MiniLM) is checked against."""
    from sentence_transformers import SentenceTransformer

    from safetylab.judges._minilm import embedder_folder

    model = SentenceTransformer(str(embedder_folder()), device="cpu")
    model.max_seq_length = max_tokens
    return model
