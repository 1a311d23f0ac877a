"""Training configs in YAML: every ``TrainConfig`` field, checked up front.

    safetylab train --model smollm2 --data mix.jsonl --out runs/a --config paper-lora
    safetylab train ... --config my.yaml --set lr=1e-4 --set epochs=1

``--config`` takes a file or a shipped preset name (``paper-lora``, ``cpu-lora``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
from pathlib import Path
from typing import Any

import yaml

from safetylab._yaml import read_yaml_mapping
from safetylab.errors import SafetylabError
from safetylab.train._batching import BATCHING
from safetylab.train._data import TEMPLATES
from safetylab.train._lora import TrainConfig

PRESETS_DIR = Path(__file__).resolve().parents[1] / "configs"
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


def _coerce(name: str, ftype: str, value: Any, where: str) -> Any:
    ok: bool
    if ftype == "bool":
        ok = isinstance(value, bool)
    elif ftype == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif ftype == "float":
        if isinstance(value, str):  # YAML 1.1 reads 3e-4 (no dot) as a string
            with contextlib.suppress(ValueError):
                value = float(value)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif ftype == "str":
        if isinstance(value, bool) and "on" in _CHOICES.get(name, ()):
            value = "on" if value else "off"  # YAML 1.1 reads a bare on/off as a boolean
        ok = isinstance(value, str)
    else:  # list[str]; a single string such as "all-linear" is a one-item list
        value = [value] if isinstance(value, str) else value
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if not ok:
        raise SafetylabError(f"{where}: {name} must be {ftype}, got {value!r}")
    return value


def train_config_from_dict(data: dict[str, Any], where: str = "train config") -> TrainConfig:
    """A checked TrainConfig from a mapping; unknown keys get a did-you-mean hint."""
    fields = {f.name: str(f.type) for f in dataclasses.fields(TrainConfig)}
    kwargs: dict[str, Any] = {}
    for k, v in data.items():
        if k not in fields:
            close = difflib.get_close_matches(str(k), list(fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SafetylabError(f"{where}: unknown option {k!r}{hint}")
        kwargs[k] = _coerce(k, fields[k], v, where)
    return check_config(TrainConfig(**kwargs), where)


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
    where = "train config"
    if path is not None:
        p = _resolve(path)
        where = str(p)
        data.update(read_yaml_mapping(p, "training options"))
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise SafetylabError(f"--set {item!r}: expected KEY=VALUE, e.g. --set lr=1e-4")
        try:
            data[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise SafetylabError(f"--set {item!r}: value is not valid YAML") from None
        where = f"{where} (with --set)"
    return train_config_from_dict(data, where)


def dump_train_config(cfg: TrainConfig) -> str:
    """YAML text of every field (what ``--config`` reads back)."""
    return yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False)
