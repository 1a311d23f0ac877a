"""A short training loop of our own over transformers + PEFT.

Why not Trainer/SFTTrainer here: on 2 CPU cores the loop below (length-grouped batches, no
padding to the cutoff, bf16 autocast, no gradient checkpointing) is what keeps the demo in
minutes; it is small enough to read in one sitting.

    from safetylab.train import TrainConfig, apply_lora, train
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from safetylab.chat import example_ids
from safetylab.errors import SafetylabError
from safetylab.records import Example
from safetylab.train._fast import n_layers as _n_layers
from safetylab.train._fast import only_layers, prefix_states, response_loss, use_bf16


@dataclass
class TrainConfig:
    """Fine-tuning settings (field comments double as CLI help)."""

    lora_r: int = 16  #: LoRA rank
    lora_alpha: int = 32  #: LoRA scaling numerator (scale = alpha / r)
    lora_dropout: float = 0.05  #: dropout on the LoRA input
    target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
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
    bf16: str = "auto"  #: bf16 autocast: "auto" (only where the hardware is fast at it), "on", "off"
    seed: int = 0  #: data order and LoRA init


def tokenize_examples(tokenizer: Any, examples: list[Example], cutoff: int) -> list[tuple[list[int], list[int]]]:
    """(input_ids, labels) per example; raises if nothing is left to train on."""
    if not examples:
        raise SafetylabError("training data is empty")
    out = []
    for ex in examples:
        pair = example_ids(tokenizer, ex.prompt, ex.response, complete=ex.complete, cutoff=cutoff)
        if pair is not None:
            out.append(pair)
    if not out:
        raise SafetylabError(f"every example's prompt is longer than the cutoff ({cutoff} tokens)")
    return out


def length_grouped_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in a random order."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    idx.sort(key=lambda i: lengths[i])  # stable: ties stay shuffled
    batches = [idx[i : i + batch_size] for i in range(0, len(idx), batch_size)]
    rng.shuffle(batches)
    return batches


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
    targets: Any = "all-linear" if cfg.target_modules == ["all-linear"] else list(cfg.target_modules)
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
    warm = max(1, int(cfg.warmup_ratio * total))
    if step < warm:
        return cfg.lr * (step + 1) / warm
    frac = (step - warm) / max(1, total - warm)
    if cfg.schedule == "cosine":
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * frac))
    if cfg.schedule == "linear":
        return cfg.lr * (1 - frac)
    return cfg.lr


def _pad_batch(
    data: list[tuple[list[int], list[int]]], batch: list[int], pad: int
) -> tuple[Any, Any, Any]:
    import torch

    width = max(len(data[i][0]) for i in batch)
    ids = torch.full((len(batch), width), pad, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, i in enumerate(batch):
        x, y = data[i]
        ids[row, : len(x)] = torch.tensor(x)
        labels[row, : len(y)] = torch.tensor(y)
        mask[row, : len(x)] = 1
    return ids, labels, mask


class PrefixCache:
    """Hidden states entering the first adapted layer, per tokenized example (see _fast.py).

    Shared by the models of a sweep: rows common to several mixtures are computed once.
    """

    def __init__(self) -> None:
        self.states: dict[tuple[int, ...], Any] = {}

    def fill(self, model: Any, data: list[tuple[list[int], list[int]]], split: int, bf16: bool,
             pad: int, batch_size: int = 16) -> None:
        todo = sorted({tuple(x) for x, _ in data if tuple(x) not in self.states}, key=len)
        groups = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
        batches = []
        for g in groups:
            ids, _, mask = _pad_batch([(list(x), list(x)) for x in g], list(range(len(g))), pad)
            batches.append((ids, mask))
        for g, h in zip(groups, prefix_states(model, batches, split, bf16), strict=True):
            for row, x in enumerate(g):
                self.states[x] = h[row, : len(x)].clone()


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
) -> dict[str, Any]:
    """Train the trainable parameters of ``model`` (a PEFT model) on ``examples``.

    With ``cfg.lora_layers = K`` the frozen lower layers run once per example (PrefixCache).
    Saves the adapter and ``train_state.json`` (config, stats, ``metadata``) to ``out_dir``.
    Returns the stats: steps, tokens, losses, tokens/s.
    """
    import torch
    from tqdm.auto import tqdm

    data = tokenize_examples(tokenizer, examples, cfg.cutoff)
    rng = random.Random(cfg.seed)
    lengths = [len(ids) for ids, _ in data]
    n_epochs = math.ceil(cfg.epochs)
    per_epoch = math.ceil(len(data) / cfg.batch_size)
    total = max(1, int(round(cfg.epochs * per_epoch)))
    plan: list[list[int]] = []
    for _ in range(n_epochs):
        plan.extend(length_grouped_batches(lengths, cfg.batch_size, rng))
    plan = plan[:total]

    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise SafetylabError("model has no trainable parameters (apply LoRA first)")
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    device = next(model.parameters()).device
    bf16 = use_bf16(cfg.bf16, device.type)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    n_layers = _n_layers(model)
    split = n_layers - cfg.lora_layers if cfg.lora_layers and cfg.lora_layers < n_layers else 0
    t0 = time.perf_counter()
    if split:
        cache = prefix_cache if prefix_cache is not None else PrefixCache()
        cache.fill(model, data, split, bf16, pad)
    t_prefix = time.perf_counter() - t0
    model.train()
    losses: list[float] = []
    tokens = 0
    bar = tqdm(total=total, desc=desc, unit="step", disable=not show_progress, leave=False)
    for step, batch in enumerate(plan):
        ids, labels, mask = _pad_batch(data, batch, pad)
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, total, cfg)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            if split:
                width = ids.shape[1]
                hidden = torch.zeros((len(batch), width, cache.states[tuple(data[batch[0]][0])].shape[-1]))
                for row, i in enumerate(batch):
                    h = cache.states[tuple(data[i][0])]
                    hidden[row, : h.shape[0]] = h
                with only_layers(model, split, n_layers, final_norm=True) as dec:
                    out_h = dec(
                        inputs_embeds=hidden.to(device), attention_mask=mask.to(device)
                    ).last_hidden_state
            else:
                with only_layers(model, 0, n_layers, final_norm=True) as dec:
                    out_h = dec(
                        input_ids=ids.to(device), attention_mask=mask.to(device)
                    ).last_hidden_state
            loss = response_loss(model, out_h, labels.to(device))
        if not torch.isfinite(loss):
            raise SafetylabError(f"loss is {loss.item()} at step {step}; lower lr (now {cfg.lr})")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(loss.item()))
        tokens += int(mask.sum())
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
        bar.update(1)
    bar.close()
    model.eval()
    elapsed = time.perf_counter() - t0
    stats = {
        "steps": total,
        "examples": len(data),
        "tokens": tokens,
        "seconds": round(elapsed, 2),
        "prefix_seconds": round(t_prefix, 2),
        "tokens_per_s": round(tokens / elapsed, 1) if elapsed > 0 else None,
        "bf16": bf16,
        "loss_first": losses[0],
        "loss_last": sum(losses[-5:]) / len(losses[-5:]),
        "losses": [round(x, 4) for x in losses],
    }
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(out))
        (out / "train_state.json").write_text(
            json.dumps({"config": asdict(cfg), "stats": stats, **(metadata or {})}, indent=2)
        )
    return stats
