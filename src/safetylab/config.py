"""Run configs: YAML presets validated up front; the resolved copy is saved in the run directory.

safetylab demo --config src/safetylab/configs/demo.yaml
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetylab._build import (
    Count,
    Fraction,
    NonNegativeFloat,
    Positive,
    PositiveFloat,
    Share,
    build_config,
    defaults,
    field_help,
    load_config_file,
)
from safetylab._yaml import PRESETS_DIR
from safetylab.errors import SafetylabError
from safetylab.train import TrainConfig, check_config

__all__ = [
    "Count",
    "DemoConfig",
    "EvalSizes",
    "Fraction",
    "NonNegativeFloat",
    "Positive",
    "PositiveFloat",
    "Share",
    "build_config",
    "defaults",
    "field_help",
    "load_config",
    "load_config_file",
    "validate",
]


@dataclass
class EvalSizes:
    """How many prompts of each bundled suite to evaluate (balanced over categories)."""

    harm: Count = 40  #: held-out harmful requests
    overrefusal: Count = 40  #: safe prompts that look sensitive
    helpful: Count = 24  #: plain instructions


@dataclass
class DemoConfig:
    """The paper's ablation in miniature: general + N safety examples, one LoRA model per N."""

    model: str = "smollm2-135m-instruct"  #: base model: bundled name, HF id or local folder
    grid: list[int] = field(default_factory=lambda: [0, 50, 150])  #: safety-example counts N
    n_general: int = 100  #: general instructions in every mixture
    distill_max_new_tokens: int = 48  #: token limit of the base model's distilled answers
    eval: EvalSizes = field(default_factory=EvalSizes)  #: evaluation sizes per suite
    max_new_tokens: int = 32  #: token limit of evaluation answers (greedy)
    gen_batch_size: int = 64  #: prompts per generation batch
    dtype: str = "auto"  #: generation compute dtype: auto, fp32 or bf16 (answers differ)
    judges: list[str] = field(
        default_factory=lambda: ["refusal", "strmatch"]
    )  #: first one drives the metrics (the validated refusal judge); strmatch: second opinion
    judge_options: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  #: options by judge name, e.g. {"reward": {"model": DIR}}
    train: TrainConfig = field(default_factory=TrainConfig)  #: fine-tuning settings
    seed: int = 0  #: mixtures, data order, LoRA init, bootstrap

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        if d.get("dtype") == "auto":  # recorded only when forced: older run dirs stay resumable
            del d["dtype"]
        return d


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    """Kept for callers of the old name: ``build_config`` without file positions."""
    return build_config(cls, data, where)


def validate(cfg: DemoConfig, where: str = "config") -> DemoConfig:
    """Check values and plugin names; raises SafetylabError naming the option to fix."""
    from safetylab.judges import judge_parameters
    from safetylab.registry import judges, load_plugins

    load_plugins()
    if not cfg.grid or any((not isinstance(n, int)) or n < 0 for n in cfg.grid):
        raise SafetylabError(f"{where}: grid must be a list of counts >= 0, got {cfg.grid!r}")
    if len(set(cfg.grid)) != len(cfg.grid):
        raise SafetylabError(f"{where}: grid has repeated values {cfg.grid!r}")
    for j in cfg.judges:
        judges.get(j)
    if not isinstance(cfg.judge_options, dict):
        raise SafetylabError(f"{where}: judge_options must be a mapping of judge name -> options")
    for j, opts in cfg.judge_options.items():
        if j not in cfg.judges:
            raise SafetylabError(f"{where}: judge_options.{j}: {j!r} is not in judges")
        if not isinstance(opts, dict):
            raise SafetylabError(f"{where}: judge_options.{j} must be a mapping of options")
        known = judge_parameters(judges.get(j))
        for k in opts:
            if k not in known:
                raise SafetylabError(
                    f"{where}: judge_options.{j}.{k}: unknown option; known: {', '.join(known)}"
                )
    for name in ("n_general", "max_new_tokens", "gen_batch_size", "distill_max_new_tokens"):
        if int(getattr(cfg, name)) <= 0:
            raise SafetylabError(f"{where}: {name} must be > 0")
    check_config(cfg.train, f"{where}: train")  # every training check, as `train` makes them
    from safetylab.hardware import check_dtype

    check_dtype(cfg.dtype, f"{where}: dtype")
    return cfg


def load_config(path: str | Path | None = None, preset: str | None = None) -> DemoConfig:
    """A DemoConfig from a YAML file or a shipped preset name (``demo``, ``demo-quick``)."""
    if path is None:
        path = PRESETS_DIR / f"{preset or 'demo'}.yaml"
        if not Path(path).exists():
            names = sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))
            raise SafetylabError(f"unknown preset {preset!r} (known: {', '.join(names)})")
    p = Path(path)
    if not p.exists():
        raise SafetylabError(f"--config {p}: file not found")
    return validate(load_config_file(DemoConfig, p, "demo options"), str(p))
