"""Training configs in YAML: every ``TrainConfig`` field, checked up front.

    safetylab train --model smollm2 --data mix.jsonl --out runs/a --config paper-lora
    safetylab train ... --config my.yaml --set lr=1e-4 --set epochs=1

``--config`` takes a file or a shipped preset name (``paper-lora``, ``cpu-lora``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from safetylab._yaml import PRESETS_DIR, read_yaml_marks
from safetylab.errors import SafetylabError
from safetylab.train._batching import BATCHING
from safetylab.train._data import TEMPLATES


@dataclass
class TrainConfig:
    """Fine-tuning settings (field comments double as CLI help)."""

    lora_r: int = 16  #: LoRA rank
    lora_alpha: int = 32  #: LoRA scaling numerator (scale = alpha / r)
    lora_dropout: float = 0.05  #: dropout on the LoRA input
    target_modules: list[str] = field(
        default_factory=lambda: [
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        ]
    )  #: module names to adapt
    lr: float = 1e-3  #: peak learning rate
    epochs: float = 2.0  #: passes over the data (fractions allowed)
    batch_size: int = 8  #: examples per optimizer step
    cutoff: int = 256  #: maximum tokens per example (prompt + response)
    warmup_ratio: float = 0.05  #: share of steps with linear warmup
    schedule: str = "cosine"  #: "cosine", "linear" or "constant" after warmup
    weight_decay: float = 0.0  #: AdamW weight decay
    max_grad_norm: float = 1.0  #: gradient clipping
    lora_layers: int = 0  #: adapt only the top K decoder layers (0 = all layers)
    bf16: str = (
        "auto"  #: bf16 autocast: "auto" (only where the hardware is fast at it), "on", "off"
    )
    seed: int = 0  #: data order and LoRA init
    method: str = "lora"  #: "lora", "qlora" (4-bit base; CUDA + bitsandbytes) or "full"
    template: str = "chat"  #: prompt format: "chat" (the model's own) or "alpaca" (the study's)
    train_on_prompt: bool = False  #: also take loss on prompt tokens (the study's script did)
    batching: str = "length"  #: "length" (length-grouped), "packed" or "padded" (to the cutoff)
    micro_batch_size: int = 0  #: rows per forward pass (0 = batch_size); gradients accumulate
    warmup_steps: int = 0  #: linear warmup steps (overrides warmup_ratio when > 0)
    max_steps: int = 0  #: stop after this many optimizer steps (0 = all epochs); schedule spans it
    val_ratio: float = 0.0  #: share of the examples held out for validation loss (0 = none)
    eval_every: int = 0  #: validation loss every K steps (0 = only at the end)
    save_every: int = 0  #: checkpoint every K steps (0 = only on Ctrl-C, where enabled)
    keep_checkpoints: int = 2  #: how many recent checkpoints to keep
    log_every: int = 1  #: write a metrics.jsonl row every K steps
    tensorboard: bool = False  #: also log to TensorBoard (needs the tensorboard package)
    gradient_checkpointing: bool = False  #: recompute activations in backward (less memory)
    distributed: str = "auto"  #: accelerate: "auto" (when launched with >1 process), "on", "off"


TRAIN_PRESETS = ("paper-lora", "cpu-lora")

_CHOICES: dict[str, tuple[str, ...]] = {
    "method": ("lora", "qlora", "full"),
    "template": TEMPLATES,
    "batching": BATCHING,
    "schedule": ("cosine", "linear", "constant"),
    "bf16": ("auto", "on", "off"),
    "distributed": ("auto", "on", "off"),
}
_POSITIVE = ("lora_r", "lora_alpha", "batch_size", "cutoff", "keep_checkpoints", "log_every")
_NON_NEGATIVE = (
    "micro_batch_size",
    "warmup_steps",
    "max_steps",
    "eval_every",
    "save_every",
    "lora_layers",
    "weight_decay",
    "max_grad_norm",
)


def check_config(cfg: TrainConfig, where: str = "train config") -> TrainConfig:
    """Check values; raises SafetylabError naming the option to fix."""
    for name, choices in _CHOICES.items():
        if getattr(cfg, name) not in choices:
            raise SafetylabError(
                f"{where}: {name} must be one of {', '.join(choices)}, got {getattr(cfg, name)!r}"
            )
    for name in _POSITIVE:
        if getattr(cfg, name) <= 0:
            raise SafetylabError(f"{where}: {name} must be > 0, got {getattr(cfg, name)!r}")
    for name in _NON_NEGATIVE:
        if getattr(cfg, name) < 0:
            raise SafetylabError(f"{where}: {name} must be >= 0, got {getattr(cfg, name)!r}")
    if cfg.lr <= 0 or cfg.epochs <= 0:
        raise SafetylabError(f"{where}: lr and epochs must be > 0")
    for name in ("lora_dropout", "warmup_ratio", "val_ratio"):
        if not 0 <= getattr(cfg, name) < 1:
            raise SafetylabError(f"{where}: {name} must be in [0, 1), got {getattr(cfg, name)!r}")
    if cfg.micro_batch_size > cfg.batch_size:
        raise SafetylabError(
            f"{where}: micro_batch_size ({cfg.micro_batch_size}) must be <= batch_size "
            f"({cfg.batch_size})"
        )
    if not cfg.target_modules:
        raise SafetylabError(f"{where}: target_modules is empty (names, or [all-linear])")
    return cfg


def train_config_from_dict(
    data: dict[str, Any],
    where: str = "train config",
    marks: dict[tuple[str | int, ...], tuple[int, int]] | None = None,
) -> TrainConfig:
    """A checked TrainConfig from a mapping (types coerced by the one config builder, e.g.
    ``lr: 3e-4``; NaN/inf refused); unknown keys get a did-you-mean hint."""
    from safetylab._build import build_config

    return check_config(build_config(TrainConfig, data, where, marks=marks), where)


def _resolve(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists() and str(path) in TRAIN_PRESETS:
        return PRESETS_DIR / f"{path}.yaml"
    if not p.exists():
        raise SafetylabError(
            f"--config {path}: file not found (shipped presets: {', '.join(TRAIN_PRESETS)})"
        )
    return p


def load_train_config(
    path: str | Path | None = None, overrides: list[str] | None = None
) -> TrainConfig:
    """TrainConfig from a YAML file or preset name, then ``KEY=VALUE`` overrides (YAML values)."""
    data: dict[str, Any] = {}
    marks: dict[tuple[str | int, ...], tuple[int, int]] = {}
    where = "train config"
    if path is not None:
        p = _resolve(path)
        where = str(p)
        file_data, marks = read_yaml_marks(p, "training options")
        data.update(file_data)
    sets: dict[str, Any] = {}
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise SafetylabError(f"--set {item!r}: expected KEY=VALUE, e.g. --set lr=1e-4")
        try:
            sets[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise SafetylabError(f"--set {item!r}: value is not valid YAML") from None
    if sets:  # the --set values alone first, so an error names --set rather than the file
        from safetylab._build import build_config

        build_config(TrainConfig, sets, "--set")
        data.update(sets)
        marks = {k: v for k, v in marks.items() if k[0] not in sets}
        where = f"{where} (with --set)"
    return train_config_from_dict(data, where, marks)


def dump_train_config(cfg: TrainConfig) -> str:
    """YAML text of every field (what ``--config`` reads back)."""
    return yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False)
