"""LoRA set-up: wrap a model with fresh adapters on the chosen modules and top-K layers.

The settings are ``TrainConfig`` (``_config.py``); the loop that trains them is ``_loop.py``.

    from safetylab.train import TrainConfig, apply_lora, train
"""

from __future__ import annotations

from typing import Any

from safetylab.errors import SafetylabError
from safetylab.hardware import n_layers as _n_layers
from safetylab.train._config import TrainConfig


def apply_lora(model: Any, cfg: TrainConfig) -> Any:
    """Wrap ``model`` with fresh LoRA adapters; lists the available modules if a target is absent."""
    import torch
    from peft import LoraConfig, get_peft_model

    names = {n.split(".")[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    missing = [t for t in cfg.target_modules if t not in names and t != "all-linear"]
    if missing:
        raise SafetylabError(
            f"target_modules {missing} not in the model; linear modules are: {', '.join(sorted(names))}"
        )
    torch.manual_seed(cfg.seed)
    n_layers = _n_layers(model)
    layers = (
        list(range(n_layers - cfg.lora_layers, n_layers))
        if cfg.lora_layers and n_layers and cfg.lora_layers < n_layers
        else None
    )
    targets: Any = (
        "all-linear" if cfg.target_modules == ["all-linear"] else list(cfg.target_modules)
    )
    lcfg = LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=targets,
        layers_to_transform=layers,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lcfg)
