"""Per-layer hidden states of chat prompts (last prompt token and mean over prompt tokens), cached.

Only the prompt forward runs (no generation, no lm_head), only up to the deepest layer asked
for, in length-sorted, right-padded batches. The chat-template prefix shared by all prompts
(SmolLM2's default system turn is about half of a short prompt) runs once; its key/value cache
is reused by every batch, which gives the same states as running each prompt whole.

    from safetylab.probes import hidden_states
    hs = hidden_states(lm.model, lm.tokenizer, ["How do I bake bread?"], fingerprint=lm.fingerprint)
    hs.last.shape   # (1, n_layers + 1, d): index 0 = embeddings, i = output of decoder layer i

Cache: ``$SAFETYLAB_CACHE/hidden/<fingerprint>/<key[:2]>/<key>.npy`` with ``key`` = sha256 of the
prompt's token ids; each file holds float16 ``[2, n_computed_layers + 1, d]`` (last, mean).
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.chat import prompt_ids
from safetylab.errors import SafetylabError
from safetylab.hardware import decoder, only_layers
from safetylab.store import cache_dir


@dataclass(frozen=True)
class HiddenStates:
    """Per-layer summaries of the residual stream (before the final norm) for a list of prompts."""

    last: np.ndarray  #: [n_prompts, n_layers, d] state at the last prompt token (answer position)
    mean: np.ndarray  #: [n_prompts, n_layers, d] mean over every token of the chat-formatted prompt
    layers: tuple[int, ...]  #: hidden-state index per slice: 0 = embeddings, i = after layer i
    fingerprint: str  #: fingerprint of the model the states came from ("" when not given)
    n_tokens: tuple[int, ...]  #: prompt length in tokens, per prompt

    def at(self, layer: int, pool: str = "last") -> np.ndarray:
        """[n_prompts, d] states at hidden-state index ``layer`` ("last" or "mean" pooling)."""
        if layer not in self.layers:
            raise SafetylabError(f"layer {layer} was not computed (have {list(self.layers)})")
        if pool not in ("last", "mean"):
            raise SafetylabError(f"pool {pool!r}: expected 'last' or 'mean'")
        arr = self.last if pool == "last" else self.mean
        return arr[:, self.layers.index(layer)]


def n_hidden(model: Any) -> int:
    """Number of hidden-state indices (decoder layers + 1 for the embeddings)."""
    dec = decoder(model)
    if dec is None:
        raise SafetylabError("model has no .model.layers (a LLaMA-style decoder is expected)")
    return len(dec.layers) + 1


def cache_key(ids: Sequence[int]) -> str:
    """Cache key of one prompt: sha256 of its token ids (template and system prompt included)."""
    return hashlib.sha256(json.dumps(list(ids)).encode()).hexdigest()


def _cache_path(root: Path, fingerprint: str, key: str) -> Path:
    return root / "hidden" / fingerprint / key[:2] / f"{key}.npy"


def _cache_get(root: Path, fingerprint: str, key: str, deepest: int) -> np.ndarray | None:
    p = _cache_path(root, fingerprint, key)
    if not p.exists():
        return None
    try:
        arr = np.load(p, allow_pickle=False)
    except (OSError, ValueError):
        return None  # a file cut short by an interruption: recompute it
    if arr.ndim != 3 or arr.shape[0] != 2 or arr.shape[1] <= deepest:
        return None
    return arr.astype(np.float32)


def _cache_put(root: Path, fingerprint: str, key: str, arr: np.ndarray) -> None:
    p = _cache_path(root, fingerprint, key)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f"{p.name}.{os.getpid()}.tmp.npy")  # unique: processes may share the cache
    np.save(tmp, arr.astype(np.float16), allow_pickle=False)
    tmp.replace(p)


def _common_prefix(seqs: list[list[int]]) -> int:
    """Length of the longest common prefix, leaving at least one token in every sequence."""
    if not seqs:
        return 0
    n = min(len(s) for s in seqs) - 1
    first = seqs[0]
    for i in range(max(n, 0)):
        if any(s[i] != first[i] for s in seqs):
            return i
    return max(n, 0)


def length_batches(lengths: list[int], batch_tokens: int, max_batch: int) -> list[list[int]]:
    """Indices grouped by length (longest first) so that ``width * rows <= batch_tokens``."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        width = lengths[cur[0]] if cur else lengths[i]
        if cur and (len(cur) + 1 > max_batch or width * (len(cur) + 1) > batch_tokens):
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    return batches


def _cache_kwarg(dec: Any) -> str:
    params = inspect.signature(dec.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


class _Recorder:
    """Forward hooks that reduce each layer's output to (last token, sum over real tokens)."""

    def __init__(self, dec: Any, deepest: int) -> None:
        self.handles = [dec.embed_tokens.register_forward_hook(self._hook(0))]
        for i, layer in enumerate(list(dec.layers)[:deepest]):
            self.handles.append(layer.register_forward_hook(self._hook(i + 1)))
        self.last_idx: Any = None  # [B] position of each row's last real token
        self.mask: Any = None  # [B, W, 1] float mask of real tokens
        self.last: dict[int, Any] = {}
        self.sums: dict[int, Any] = {}

    def _hook(self, index: int) -> Any:
        def hook(_mod: Any, _inp: Any, out: Any) -> None:
            h = out[0] if isinstance(out, tuple) else out
            h = h.float()
            import torch

            rows = torch.arange(h.shape[0], device=h.device)
            self.last[index] = h[rows, self.last_idx]
            self.sums[index] = (h * self.mask).sum(dim=1)

        return hook

    def remove(self) -> None:
        for hd in self.handles:
            hd.remove()


def hidden_states(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    fingerprint: str | None = None,
    layers: Sequence[int] | None = None,
    system: str | None = None,
    cache: bool = True,
    cache_root: str | Path | None = None,
    batch_tokens: int = 4096,
    max_batch: int = 64,
    share_prefix: bool = True,
    progress: bool = False,
) -> HiddenStates:
    """Hidden states of ``prompts`` (chat-formatted) at hidden-state indices ``layers``.

    ``layers`` default to all (0 = embeddings ... n = last decoder layer, before the final norm);
    only layers up to ``max(layers)`` run. With a ``fingerprint`` and ``cache`` on, states are
    read from and written to the disk cache (float16). ``share_prefix`` runs the token prefix
    common to all prompts once and reuses its key/value cache.
    """
    dec = decoder(model)
    if dec is None:
        raise SafetylabError("model has no .model.layers (a LLaMA-style decoder is expected)")
    total = len(dec.layers) + 1
    want = sorted(set(range(total) if layers is None else layers))
    if not want or want[0] < 0 or want[-1] >= total:
        raise SafetylabError(f"--layers {list(layers or [])}: indices must be in 0..{total - 1}")
    deepest = want[-1]
    encoded = [prompt_ids(tokenizer, p, system) for p in prompts]
    keys = [cache_key(ids) for ids in encoded]
    root = Path(cache_root) if cache_root is not None else cache_dir()
    use_cache = cache and bool(fingerprint)
    found: dict[int, np.ndarray] = {}
    if use_cache:
        assert fingerprint is not None
        for i, k in enumerate(keys):
            arr = _cache_get(root, fingerprint, k, deepest)
            if arr is not None:
                found[i] = arr[:, : deepest + 1]
    todo = [i for i in range(len(prompts)) if i not in found]
    computed = (
        _forward(
            model,
            dec,
            [encoded[i] for i in todo],
            deepest,
            batch_tokens,
            max_batch,
            share_prefix,
            progress,
        )
        if todo
        else []
    )
    for i, arr in zip(todo, computed, strict=True):
        found[i] = arr
        if use_cache:
            assert fingerprint is not None
            _cache_put(root, fingerprint, keys[i], arr)
    d = int(dec.embed_tokens.weight.shape[1])
    last = np.zeros((len(prompts), len(want), d), dtype=np.float32)
    mean = np.zeros_like(last)
    for i in range(len(prompts)):
        last[i] = found[i][0, want]
        mean[i] = found[i][1, want]
    return HiddenStates(last, mean, tuple(want), fingerprint or "", tuple(map(len, encoded)))


def _forward(
    model: Any,
    dec: Any,
    encoded: list[list[int]],
    deepest: int,
    batch_tokens: int,
    max_batch: int,
    share_prefix: bool,
    progress: bool,
) -> list[np.ndarray]:
    """[2, deepest + 1, d] float32 (last, mean) per sequence."""
    import torch

    device = next(model.parameters()).device
    pad = 0
    n_pre = _common_prefix(encoded) if share_prefix else 0
    kw = _cache_kwarg(dec)
    out: list[np.ndarray | None] = [None] * len(encoded)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(encoded), desc="hidden states", unit="prompt", leave=False)
    rec = _Recorder(dec, deepest)
    try:
        with torch.inference_mode(), only_layers(model, 0, deepest, final_norm=False):
            pre_cache = None
            pre_sums: dict[int, Any] = {}
            if n_pre:
                ids = torch.tensor([encoded[0][:n_pre]], device=device)
                rec.last_idx = torch.tensor([n_pre - 1], device=device)
                rec.mask = torch.ones((1, n_pre, 1), device=device)
                res = dec(input_ids=ids, use_cache=True)
                pre_cache = getattr(res, kw, None) or getattr(res, "past_key_values", None)
                pre_sums = {k: v[0] for k, v in rec.sums.items()}
            suffixes = [s[n_pre:] for s in encoded]
            for batch in length_batches([len(s) for s in suffixes], batch_tokens, max_batch):
                width = max(len(suffixes[i]) for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    ids[row, : len(suffixes[i])] = torch.tensor(suffixes[i])
                    mask[row, : len(suffixes[i])] = 1
                rec.last_idx = mask.sum(1).to(device) - 1
                rec.mask = mask.to(device, torch.float32)[:, :, None]
                kwargs: dict[str, Any] = {}
                full_mask = mask
                if pre_cache is not None:
                    c = copy.deepcopy(pre_cache)
                    c.batch_repeat_interleave(len(batch))
                    kwargs = {kw: c, "use_cache": True}
                    full_mask = torch.cat(
                        [torch.ones((len(batch), n_pre), dtype=torch.long), mask], dim=1
                    )
                else:
                    kwargs = {"use_cache": False}
                dec(input_ids=ids.to(device), attention_mask=full_mask.to(device), **kwargs)
                for row, i in enumerate(batch):
                    n = len(suffixes[i])
                    arr = np.zeros((2, deepest + 1, rec.last[0].shape[-1]), dtype=np.float32)
                    for layer in range(deepest + 1):
                        arr[0, layer] = rec.last[layer][row].cpu().numpy()
                        s = rec.sums[layer][row]
                        if n_pre:
                            s = s + pre_sums[layer]
                        arr[1, layer] = (s / (n + n_pre)).cpu().numpy()
                    out[i] = arr
                if bar is not None:
                    bar.update(len(batch))
    finally:
        rec.remove()
        if bar is not None:
            bar.close()
    return [a for a in out if a is not None]
