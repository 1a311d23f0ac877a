"""Which layers a checkpoint changed: its effective weights per decoder layer against the base's.

    from safetylab.probes._layers import weight_signatures, layer_change
    ref = weight_signatures(base_model)                   # or base_signatures(peft_model)
    ch = layer_change(weight_signatures(tuned_model), ref)
    ch.changed_layers, ch.moved_from                       # [20, 21, 22, 23], 21

A LoRA checkpoint only changes the layers its adapters sit on (the demo adapts the top 4), so
every hidden state below them is identical to the base model's: probes there give the same
numbers for every checkpoint, and a refusal direction there has cosine 1.0 across the sweep by
construction. The probe stages use this to flag such comparisons as "unchanged" instead of
repeating them, and to pick the refusal direction's layer among the states that could move.

A layer is *changed* when any of its effective parameters differs bit for bit from the base:
for a PEFT model the effective weight of a LoRA-wrapped module is ``base + delta`` (peft's own
``get_delta_weight``, so a fresh adapter with B = 0 changes nothing), and ``modules_to_save``
copies count with their trained values; a merged or fully fine-tuned model is compared as is.
Hidden-state index ``h`` (0 = embeddings, ``i`` = output of decoder layer ``i``, before the
final norm) can differ from the base's only when the embeddings or a decoder layer ``< h``
(0-based) changed; the final norm and the LM head change answers but no probed state.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

_LAYER = re.compile(r"(?:^|\.)layers\.(\d+)\.")


def _normalise(name: str) -> str | None:
    """A parameter's name in the plain model (None for LoRA factors and saved originals)."""
    if ".lora_" in name or name.startswith("lora_") or ".original_module." in name:
        return None
    name = name.removeprefix("base_model.model.")
    name = name.replace(".base_layer.", ".")
    name = re.sub(r"\.modules_to_save\.[^.]+\.", ".", name)
    return name


def _group(name: str) -> str:
    m = _LAYER.search(name)
    if m:
        return m.group(1)
    if "embed_tokens" in name or "wte" in name or "embed_positions" in name:
        return "embed"
    if "lm_head" in name:
        return "head"
    return "norm"


def _tensors(model: Any, effective: bool) -> dict[str, Any]:
    """Plain-model parameter name -> tensor: the effective weights (adapters applied) or the
    base weights under them (``effective=False``)."""
    out: dict[str, Any] = {}
    for name, p in model.named_parameters():
        key = _normalise(name)
        if key is None:
            continue
        if not effective and ".modules_to_save." in name:
            continue  # the trained copy; its original_module is the base
        out[key] = p.detach()
    if not effective:
        for name, p in model.named_parameters():
            if ".original_module." in name:
                key = _normalise(name.replace(".original_module.", "."))
                if key is not None:
                    out[key] = p.detach()
        return out
    try:
        from peft.tuners.lora import LoraLayer
    except ImportError:  # pragma: no cover - peft is a dependency
        return out
    for name, mod in model.named_modules():
        if not isinstance(mod, LoraLayer) or getattr(mod, "merged", False):
            continue
        if getattr(mod, "disable_adapters", False):
            continue
        key = _normalise(f"{name}.weight")
        base = out.get(key) if key else None
        if base is None:
            continue
        w = base
        for a in mod.active_adapters:
            if a in getattr(mod, "lora_A", {}):
                w = w + mod.get_delta_weight(a).to(w.dtype)  # type: ignore[attr-defined]
        out[str(key)] = w
    return out


def _signatures(tensors: dict[str, Any]) -> dict[str, str]:
    hashes: dict[str, Any] = {}
    for key in sorted(tensors):
        h = hashes.setdefault(_group(key), hashlib.sha256())
        t = tensors[key].float().contiguous().cpu()
        h.update(key.encode())
        h.update(t.numpy().tobytes())
    return {g: h.hexdigest() for g, h in hashes.items()}


def weight_signatures(model: Any) -> dict[str, str]:
    """sha256 of the effective weights per group: decoder layer index ("0", "1", ...),
    "embed", "norm", "head"."""
    import torch

    with torch.no_grad():
        return _signatures(_tensors(model, effective=True))


def base_signatures(model: Any) -> dict[str, str]:
    """``weight_signatures`` of the base weights under a PEFT model's adapters (the model
    itself when it has none)."""
    import torch

    with torch.no_grad():
        return _signatures(_tensors(model, effective=False))


@dataclass(frozen=True)
class LayerChange:
    """What a checkpoint changed relative to the base model."""

    n_layers: int  #: decoder layers of the model
    changed_layers: list[int] = field(default_factory=list)  #: 0-based decoder layers that differ
    changed_other: list[str] = field(default_factory=list)  #: "embed", "norm", "head" if changed

    @property
    def moved_from(self) -> int | None:
        """First hidden-state index that can differ from the base's (None: no probed state can)."""
        if "embed" in self.changed_other:
            return 0
        return min(self.changed_layers) + 1 if self.changed_layers else None

    def can_move(self, h: int) -> bool:
        """Whether hidden-state index ``h`` can differ from the base model's."""
        m = self.moved_from
        return m is not None and h >= m

    def describe(self) -> str:
        """``decoder layers 20-23 (hidden states 21-24 can differ from base)``, or why none."""
        parts = []
        if self.changed_layers:
            parts.append(f"decoder layers {_ranges(self.changed_layers)}")
        parts += [str(x) for x in self.changed_other]
        if not parts:
            return "no weights differ from base: every probed state is unchanged"
        m = self.moved_from
        states = (
            f"hidden states {m}-{self.n_layers} can differ from base"
            if m is not None
            else "no probed hidden state can differ from base"
        )
        return f"changed {', '.join(parts)} ({states})"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "moved_from": self.moved_from}


def _ranges(xs: list[int]) -> str:
    out: list[str] = []
    start = prev = xs[0]
    for x in [*xs[1:], None]:
        if x is not None and x == prev + 1:
            prev = x
            continue
        out.append(f"{start}-{prev}" if prev != start else f"{start}")
        if x is not None:
            start = prev = x
    return ", ".join(out)


def layer_change(sig: dict[str, str], ref: dict[str, str], n_layers: int) -> LayerChange:
    """Groups whose signature differs from the reference (the base model's)."""
    diff = [g for g in sorted(set(sig) | set(ref)) if sig.get(g) != ref.get(g)]
    layers = sorted(int(g) for g in diff if g.isdigit())
    other: list[str] = [g for g in ("embed", "norm", "head") if g in diff]
    return LayerChange(n_layers, layers, other)


class ChangeTracker:
    """The layer changes of checkpoints loaded one after another, against the base model.

    The reference is the first checkpoint when it is the bare base (no adapter), else the base
    weights under the first checkpoint's adapters."""

    def __init__(self) -> None:
        self.ref: dict[str, str] | None = None
        self.changes: dict[str, LayerChange] = {}
        self.reference: str | None = None  #: name of the checkpoint that is the base itself

    def add(self, name: str, model: Any, is_base: bool) -> LayerChange:
        from safetylab.probes._hidden import n_hidden

        sig = weight_signatures(model)
        if self.ref is None:
            self.ref = sig if is_base else base_signatures(model)
        ch = layer_change(sig, self.ref, n_hidden(model) - 1)
        self.changes[name] = ch
        if is_base and self.reference is None and not (ch.changed_layers or ch.changed_other):
            self.reference = name
        return ch

    def unchanged(self, name: str, h: int) -> bool:
        """Whether checkpoint ``name``'s hidden state ``h`` equals the base's by construction
        (never true of the base itself: it is the reference, not a comparison)."""
        return name != self.reference and not self.changes[name].can_move(h)

    def attention_unchanged(self, name: str, j: int) -> bool:
        """Whether decoder layer ``j``'s (0-based) attention pattern equals the base's by
        construction: its input state and its own weights are both unchanged."""
        if name == self.reference:
            return False
        ch = self.changes[name]
        return self.unchanged(name, j) and j not in ch.changed_layers

    def moved_from(self) -> int | None:
        """First hidden-state index that any non-base checkpoint can change (None: none can)."""
        ms = [c.moved_from for n, c in self.changes.items() if n != self.reference]
        vals = [m for m in ms if m is not None]
        return min(vals) if vals else None

    def to_dict(self) -> dict[str, Any]:
        return {
            n: {**c.to_dict(), "summary": c.describe(), "reference": n == self.reference}
            for n, c in self.changes.items()
        }
