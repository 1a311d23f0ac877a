"""Shared fixtures: the bundled tokenizer and a tiny randomly-initialised LLaMA built from a config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _offline_env(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


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
