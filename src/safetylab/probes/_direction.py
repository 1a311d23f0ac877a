"""The refusal direction: difference of means, its similarity across checkpoints, and steering.

    from safetylab.probes import refusal_directions, steer
    dirs = refusal_directions(harm_states, harmless_states)        # [n_layers, d], one per layer
    with steer(model, dirs[layer], mode="ablate"):                 # or mode="add"
        ...generate...

Direction at hidden-state index ``l``: ``mean(h_l | harmful) - mean(h_l | harmless)`` at the last
prompt token (Arditi et al. 2024). *Ablation* removes the component along the unit direction
``r`` from the residual stream everywhere: forward hooks on the embeddings and on every decoder
layer's output apply ``h <- h - (h . r) r`` at every position and generation step. *Addition*
adds ``alpha * direction`` (its raw length) to the output of decoder layer ``l`` only.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from safetylab.errors import SafetylabError
from safetylab.hardware import decoder
from safetylab.probes._hidden import HiddenStates


def refusal_directions(
    harmful: HiddenStates, harmless: HiddenStates, pool: str = "last"
) -> np.ndarray:
    """[n_layers, d] difference of means (harmful minus harmless), per computed layer."""
    if harmful.layers != harmless.layers:
        raise SafetylabError("harmful and harmless states must cover the same layers")
    if not len(harmful.n_tokens) or not len(harmless.n_tokens):
        raise SafetylabError("refusal direction needs harmful and harmless prompts")
    h = harmful.last if pool == "last" else harmful.mean
    s = harmless.last if pool == "last" else harmless.mean
    return (h.mean(axis=0) - s.mean(axis=0)).astype(np.float32)


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` scaled to unit length along its last axis (zero vectors stay zero)."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(n > 0, v / np.where(n > 0, n, 1), 0.0)


def cosine_matrix(dirs: dict[str, np.ndarray]) -> dict[str, Any]:
    """Cosine similarity between the checkpoints' directions, per layer.

    Returns ``{"names": [...], "layers": n, "cos": [[[...]]]}`` with ``cos[l][i][j]``.
    """
    names = list(dirs)
    if not names:
        raise SafetylabError("no directions to compare")
    stack = np.stack([unit(dirs[n]) for n in names])  # [m, L, d]
    cos = np.einsum("ild,jld->lij", stack, stack)
    return {"names": names, "layers": int(stack.shape[1]), "cos": np.round(cos, 6).tolist()}


def separation(direction: np.ndarray, harmful: np.ndarray, harmless: np.ndarray) -> float:
    """Cohen's d of the projections of two sets of states on a direction (higher = cleaner)."""
    r = unit(direction)
    a, b = harmful @ r, harmless @ r
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2) if len(a) > 1 and len(b) > 1 else 0.0
    return float((a.mean() - b.mean()) / pooled) if pooled > 0 else 0.0


def select_layer(
    dirs: np.ndarray,
    harmful: HiddenStates,
    harmless: HiddenStates,
    *,
    min_frac: float = 0.2,
    max_frac: float = 1.0,
    allowed: Sequence[int] | None = None,
) -> int:
    """Hidden-state index whose direction separates held-out harmful/harmless best (Cohen's d),
    among layers between ``min_frac`` and ``max_frac`` of the depth and, when given, in
    ``allowed`` (e.g. the states a checkpoint's adapters can change); ties: shallowest."""
    n = max(harmful.layers)
    cands = [
        i
        for i, x in enumerate(harmful.layers)
        if min_frac * n <= x <= max_frac * n and x > 0 and (allowed is None or x in allowed)
    ]
    if not cands:
        raise SafetylabError("no candidate layers for the refusal direction")
    scores = [separation(dirs[i], harmful.last[:, i], harmless.last[:, i]) for i in cands]
    best = max(range(len(cands)), key=lambda j: (round(scores[j], 6), -cands[j]))
    return int(harmful.layers[cands[best]])


def direction_hash(direction: np.ndarray) -> str:
    """Short content hash of a direction (enters the fingerprint of a steered model)."""
    return hashlib.sha256(np.asarray(direction, dtype=np.float32).tobytes()).hexdigest()[:12]


@contextlib.contextmanager
def steer(
    model: Any,
    direction: np.ndarray,
    *,
    mode: str = "ablate",
    layer: int | None = None,
    alpha: float = 1.0,
    layers: Sequence[int] | None = None,
) -> Iterator[None]:
    """Temporarily ablate (``mode="ablate"``) or add (``mode="add"``) a direction.

    Ablate: project the unit direction out of the embeddings and of the output of every decoder
    layer (or of hidden-state indices ``layers``). Add: ``alpha * direction`` is added to the
    output of decoder layer ``layer`` (hidden-state index, 1-based).
    """
    import torch

    dec = decoder(model)
    if dec is None:
        raise SafetylabError("model has no .model.layers (a LLaMA-style decoder is expected)")
    n = len(dec.layers)
    vec = torch.tensor(np.asarray(direction, dtype=np.float32))
    if vec.ndim != 1 or vec.shape[0] != dec.embed_tokens.weight.shape[1]:
        raise SafetylabError(
            f"direction has shape {tuple(vec.shape)}; expected ({dec.embed_tokens.weight.shape[1]},)"
        )
    r = vec / vec.norm().clamp_min(1e-12)
    handles: list[Any] = []

    def edit(fn: Any) -> Any:
        def hook(_mod: Any, _inp: Any, out: Any) -> Any:
            if isinstance(out, tuple):
                return (fn(out[0]), *out[1:])
            return fn(out)

        return hook

    def ablate(h: Any) -> Any:
        rr = r.to(h.device, h.dtype)
        return h - (h @ rr)[..., None] * rr

    if mode == "ablate":
        idx = range(n + 1) if layers is None else layers
        for i in idx:
            if not 0 <= i <= n:
                raise SafetylabError(f"layer {i} out of range 0..{n}")
            mod = dec.embed_tokens if i == 0 else dec.layers[i - 1]
            handles.append(mod.register_forward_hook(edit(ablate)))
    elif mode == "add":
        if layer is None or not 1 <= layer <= n:
            raise SafetylabError(f"--layer {layer}: addition needs a decoder layer in 1..{n}")

        def add(h: Any) -> Any:
            return h + alpha * vec.to(h.device, h.dtype)

        handles.append(dec.layers[layer - 1].register_forward_hook(edit(add)))
    else:
        raise SafetylabError(f"steering mode {mode!r}: expected 'ablate' or 'add'")
    try:
        yield
    finally:
        for hd in handles:
            hd.remove()
