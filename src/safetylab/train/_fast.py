"""Speed-ups for training on small machines.

Frozen-prefix caching: when only the top K decoder layers are adapted, the hidden states
entering layer ``L = n_layers - K`` never change during training, so they are computed once per
example (shared by every epoch and every model of a sweep that trains on the same rows) and
each step runs only the top K layers. Logits are computed only where there is a target.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import cache
from typing import Any


@cache
def cpu_has_fast_bf16() -> bool:
    """True when the CPU has native bf16 matmul (AVX512-BF16 or AMX); elsewhere bf16 is slower."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def use_bf16(setting: str | bool, device_type: str) -> bool:
    """Resolve a bf16 setting ("auto", "on", "off" or a bool) for a device."""
    if isinstance(setting, bool):
        return setting
    if setting == "on":
        return True
    if setting == "off" or os.environ.get("SAFETYLAB_BF16") == "off":
        return False
    if device_type == "cuda":
        import torch

        return bool(torch.cuda.is_bf16_supported())
    return device_type == "cpu" and cpu_has_fast_bf16()


def _decoder(model: Any) -> Any | None:
    """The inner decoder (with ``.layers`` and ``.norm``) of a causal LM or PEFT wrapper."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    dec = getattr(inner, "model", None)
    if dec is not None and hasattr(dec, "layers") and hasattr(dec, "norm"):
        return dec
    return None


def n_layers(model: Any) -> int:
    dec = _decoder(model)
    return len(dec.layers) if dec is not None else 0


@contextlib.contextmanager
def only_layers(model: Any, start: int, stop: int, *, final_norm: bool) -> Iterator[Any]:
    """Temporarily run only decoder layers ``[start, stop)`` (and skip the final norm)."""
    import torch

    dec = _decoder(model)
    assert dec is not None, "model has no .model.layers"
    layers, norm = dec.layers, dec.norm
    dec.layers = torch.nn.ModuleList(list(layers)[start:stop])
    if not final_norm:
        dec.norm = torch.nn.Identity()
    try:
        yield dec
    finally:
        dec.layers, dec.norm = layers, norm


def prefix_states(
    model: Any, batches: list[tuple[Any, Any]], split: int, bf16: bool, progress: Any = None
) -> list[Any]:
    """Hidden states entering layer ``split`` for each (ids, mask) batch (right-padded)."""
    import torch

    out = []
    device = next(model.parameters()).device
    with (
        torch.inference_mode(),
        torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16),
        only_layers(model, 0, split, final_norm=False) as dec,
    ):
        for ids, mask in batches:
            h = dec(
                input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False
            ).last_hidden_state
            out.append(h.float().cpu())
            if progress is not None:
                progress.update(int(ids.shape[0]))
    return out


def response_loss(model: Any, hidden: Any, labels: Any) -> Any:
    """Mean next-token cross-entropy over positions with a target (lm_head only there)."""
    import torch

    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    shift = labels[:, 1:]
    keep = shift != -100
    logits = inner.lm_head(hidden[:, :-1][keep])
    return torch.nn.functional.cross_entropy(logits.float(), shift[keep])
