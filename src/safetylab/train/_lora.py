"""Fine-tuning settings, LoRA set-up and ``train``: a short training loop of our own over
transformers + PEFT (the loop itself is in ``_loop.py``).

Why not Trainer/SFTTrainer here: on 2 CPU cores our loop (length-grouped batches, no padding
to the cutoff, lm_head only where there is a target, bf16 autocast only where it is fast,
frozen lower layers run once) is what keeps the demo in minutes; it is small enough to read.

    from safetylab.train import TrainConfig, apply_lora, train
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.records import Example
from safetylab.train._batching import length_grouped_batches  # noqa: F401  (re-exported)
from safetylab.train._data import encode_examples
from safetylab.train._fast import n_layers as _n_layers
from safetylab.train._fast import prefix_states


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


def tokenize_examples(
    tokenizer: Any,
    examples: list[Example],
    cutoff: int,
    *,
    template: str = "chat",
    train_on_prompt: bool = False,
) -> list[tuple[list[int], list[int]]]:
    """(input_ids, labels) per example; raises if nothing is left to train on."""
    return encode_examples(
        tokenizer, examples, cutoff, template=template, train_on_prompt=train_on_prompt
    )


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


def _lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    """Learning rate of (0-based) ``step``: linear warmup, then the schedule."""
    warm = cfg.warmup_steps if cfg.warmup_steps > 0 else max(1, int(cfg.warmup_ratio * total))
    if step < warm:
        return cfg.lr * (step + 1) / warm
    frac = (step - warm) / max(1, total - warm)
    if cfg.schedule == "cosine":
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * frac))
    if cfg.schedule == "linear":
        return cfg.lr * (1 - frac)
    return cfg.lr


class PrefixCache:
    """Hidden states entering the first adapted layer, per tokenized example (see _fast.py).

    Shared by the models of a sweep: rows common to several mixtures are computed once. Each
    example runs alone (a batch of one, no padding), so its states are a function of its own
    tokens only, never of which other examples were computed before or beside it: a model
    trained after others in one process gets the bits it gets when trained alone (a resumed
    sweep equals an uninterrupted one).
    """

    def __init__(self) -> None:
        self.states: dict[tuple[int, ...], Any] = {}

    def fill(
        self,
        model: Any,
        data: list[tuple[list[int], list[int]]],
        split: int,
        bf16: bool,
        pad: int,
        batch_size: int = 16,
        show_progress: bool = True,
    ) -> None:
        """Compute the missing examples' states (``pad`` and ``batch_size`` are kept for
        compatibility; examples are never padded or batched together)."""
        import torch

        todo = sorted({tuple(x) for x, _ in data if tuple(x) not in self.states})
        batches = [
            (torch.tensor([x], dtype=torch.long), torch.ones((1, len(x)), dtype=torch.long))
            for x in todo
        ]
        from tqdm.auto import tqdm

        bar = tqdm(
            total=len(todo),
            desc="frozen layers (once)",
            unit="ex",
            disable=not (todo and show_progress),
            leave=False,
        )
        states = prefix_states(model, batches, split, bf16, bar)
        bar.close()
        for x, h in zip(todo, states, strict=True):
            self.states[x] = h[0].clone()


def train(
    model: Any,
    tokenizer: Any,
    examples: list[Example],
    cfg: TrainConfig,
    out_dir: str | Path | None = None,
    *,
    desc: str = "train",
    metadata: dict[str, Any] | None = None,
    show_progress: bool = True,
    prefix_cache: PrefixCache | None = None,
    val_examples: list[Example] | None = None,
    resume: bool = False,
    save_on_interrupt: bool = False,
    on_step: Callable[[int, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train the trainable parameters of ``model`` (a PEFT model, or a plain one for full
    fine-tuning) on ``examples``.

    With ``cfg.lora_layers = K`` the frozen lower layers run once per example (PrefixCache).
    Saves the adapter (or model) and ``train_state.json`` (config, stats, data hash,
    ``metadata``) to ``out_dir``, with ``metrics.jsonl`` and checkpoints (``cfg.save_every``;
    on Ctrl-C when ``save_on_interrupt``, which then raises ``TrainingInterrupted``).
    ``resume`` continues from the last checkpoint in ``out_dir`` with the same data order.
    Validation loss is on ``val_examples`` or a ``cfg.val_ratio`` slice held out of
    ``examples``. ``on_step(step, metrics_row)`` is called after every optimizer step.
    Returns the stats: steps, tokens, losses, tokens/s, val_loss.
    """
    from safetylab.train._loop import run_training

    return run_training(
        model,
        tokenizer,
        examples,
        cfg,
        out_dir,
        desc=desc,
        metadata=metadata,
        show_progress=show_progress,
        prefix_cache=prefix_cache,
        val_examples=val_examples,
        resume=resume,
        save_on_interrupt=save_on_interrupt,
        on_step=on_step,
    )
