"""Hardware and model-shape helpers shared by training, generation and probes.

Which compute dtype a device runs fast (bf16 autocast only where the CPU has AMX / AVX512-BF16
or the GPU supports it), and the decoder of a causal LM (its layers, running only some of them).
They sit next to ``models.py`` so that ``generate/`` and ``probes/`` need not import ``train/``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import cache
from typing import Any

#: Environment variable that forces the hardware decision of ``cpu_has_fast_bf16``: ``1`` as
#: if the CPU had AMX / AVX512-BF16, ``0`` as if it had not (tests run both ways on any CPU).
FAST_BF16_ENV = "SAFETYLAB_FAST_BF16"

#: Compute dtypes a user can ask for: ``auto`` (bf16 autocast where the hardware is fast at
#: it, fp32 elsewhere), ``fp32`` or ``bf16``.
DTYPES = ("auto", "fp32", "bf16")


def cpu_has_fast_bf16() -> bool:
    """True when the CPU has native bf16 matmul (AVX512-BF16 or AMX); elsewhere bf16 is slower.

    ``$SAFETYLAB_FAST_BF16`` (``0`` or ``1``) overrides what /proc/cpuinfo says.
    """
    forced = os.environ.get(FAST_BF16_ENV, "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    if forced:
        from safetylab.errors import SafetylabError

        raise SafetylabError(f"${FAST_BF16_ENV}={forced!r}: must be 0 or 1 (or unset)")
    return _cpuinfo_fast_bf16()


@cache
def cpu_flags() -> tuple[str, ...]:
    """The CPU flags that decide speed here, as /proc/cpuinfo lists them: AVX2, AVX-512,
    AVX512-BF16, AMX (empty where there is no /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return ()
    flags = next(
        (ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), []
    )
    return tuple(
        f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile") if f in flags
    )


def _cpuinfo_fast_bf16() -> bool:
    return bool({"avx512_bf16", "amx_bf16"} & set(cpu_flags()))


def use_bf16(setting: str | bool, device_type: str) -> bool:
    """Resolve a bf16 setting ("auto", "on", "off", "bf16", "fp32" or a bool) for a device."""
    if isinstance(setting, bool):
        return setting
    if setting in ("on", "bf16"):
        return True
    if setting in ("off", "fp32") or os.environ.get("SAFETYLAB_BF16") == "off":
        return False
    if device_type == "cuda":
        import torch

        return bool(torch.cuda.is_bf16_supported())
    return device_type == "cpu" and cpu_has_fast_bf16()


def compute_dtype(setting: str | bool, device_type: str) -> str:
    """The compute dtype (``fp32`` or ``bf16``) a setting gives on a device: the dtype that
    decides which greedy answers come out, so it goes into generation ids and cache keys."""
    if not (isinstance(setting, bool) or setting in ("on", "off")):  # the older bf16 switch
        check_dtype(setting)
    return "bf16" if use_bf16(setting, device_type) else "fp32"


def check_dtype(setting: object, where: str = "dtype") -> None:
    """A one-line error for a dtype setting that is none of auto, fp32, bf16."""
    if isinstance(setting, str) and setting in DTYPES:
        return
    from safetylab.errors import SafetylabError

    raise SafetylabError(f"{where}: must be one of {', '.join(DTYPES)} (got {setting!r})")


def decoder(model: Any) -> Any | None:
    """The inner decoder (with ``.layers`` and ``.norm``) of a causal LM or PEFT wrapper."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    dec = getattr(inner, "model", None)
    if dec is not None and hasattr(dec, "layers") and hasattr(dec, "norm"):
        return dec
    return None


def n_layers(model: Any) -> int:
    dec = decoder(model)
    return len(dec.layers) if dec is not None else 0


@contextlib.contextmanager
def only_layers(model: Any, start: int, stop: int, *, final_norm: bool) -> Iterator[Any]:
    """Temporarily run only decoder layers ``[start, stop)`` (and skip the final norm)."""
    import torch

    dec = decoder(model)
    assert dec is not None, "model has no .model.layers"
    layers, norm = dec.layers, dec.norm
    dec.layers = torch.nn.ModuleList(list(layers)[start:stop])
    if not final_norm:
        dec.norm = torch.nn.Identity()
    try:
        yield dec
    finally:
        dec.layers, dec.norm = layers, norm
