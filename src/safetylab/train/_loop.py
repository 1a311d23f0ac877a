"""The training loop behind ``train(...)``: micro-batches with gradient accumulation, packing,
checkpoints and resume, validation, metrics, and several processes under ``accelerate launch``.

A step's loss is the sum of token losses divided by the number of loss positions in the whole
step (over every micro-batch and every process), so ``batch_size=8`` in one pass, in 2
micro-batches of 4, or on 2 processes gives the same update.

The same loop runs data parallel (DDP), sharded (FSDP2) or under DeepSpeed ZeRO, as the
accelerate config says (see ``_dist.py``): the loss module (``_loss.py``) and optimizer go through
``accelerator.prepare``, gradients through ``accelerator.backward``, and saved weights are
gathered whole before process 0 writes them.

    accelerate launch --config_file configs/accelerate/ddp-gpu.yaml -m safetylab.cli.main \\
        train --model M --data mix.jsonl --out runs/adapter --config paper-lora.yaml
    accelerate launch --config_file configs/accelerate/fsdp-gpu.yaml -m safetylab.cli.main \\
        train --model M --data mix.jsonl --out runs/adapter --config paper-lora.yaml
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.hardware import n_layers as _n_layers
from safetylab.hardware import use_bf16
from safetylab.records import Example
from safetylab.train import _checkpoint as ckpt
from safetylab.train._batching import example_targets, layout_step, make_plan
from safetylab.train._config import TrainConfig, check_config
from safetylab.train._data import encode_examples
from safetylab.train._dist import (
    gathered_optimizer_state,
    gathered_weights,
    local_numels,
    prepare,
    rank_checksums,
    start_processes,
    zero3,
)
from safetylab.train._fast import PrefixCache
from safetylab.train._loss import _forward, _loss_module, evaluate_loss
from safetylab.train._loss import validation_loss as validation_loss  # re-exported
from safetylab.train._metrics import MetricsLog

log = logging.getLogger(__name__)

#: Settings that may change between an interrupted run and its resumption.
RESUMABLE_CHANGES = frozenset(
    {"save_every", "keep_checkpoints", "log_every", "tensorboard", "eval_every", "distributed"}
)


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training: a checkpoint was saved (``checkpoint``) before stopping."""

    def __init__(self, step: int, checkpoint: Path | None) -> None:
        super().__init__(f"interrupted at step {step}")
        self.step = step
        self.checkpoint = checkpoint


def _split_val(
    examples: list[Example], ratio: float, seed: int
) -> tuple[list[Example], list[Example]]:
    n_val = max(1, int(round(ratio * len(examples))))
    if n_val >= len(examples):
        raise SafetylabError(
            f"val_ratio {ratio} leaves no training examples out of {len(examples)}"
        )
    held = set(random.Random(seed + 7919).sample(range(len(examples)), n_val))
    train = [e for i, e in enumerate(examples) if i not in held]
    return train, [e for i, e in enumerate(examples) if i in held]


def _check_resume(
    state: dict[str, Any], cfg: Any, sha: str, meta: dict[str, Any], where: Path
) -> None:
    old, new = state["config"], asdict(cfg)
    diff = [k for k in new if k not in RESUMABLE_CHANGES and old.get(k) != new[k]]
    if diff:
        k = diff[0]
        raise SafetylabError(
            f"--resume: {where} was made with {k}={old.get(k)!r}, the config now has "
            f"{k}={new[k]!r}; use the same config or a new --out"
        )
    if state.get("data_sha256") != sha:
        raise SafetylabError(f"--resume: {where} was trained on other data (data hash differs)")
    fp_old, fp_new = state.get("base_fingerprint"), meta.get("base_fingerprint")
    if fp_old and fp_new and fp_old != fp_new:
        raise SafetylabError(f"--resume: {where} was trained from another base model")


def lr_at(step: int, total: int, cfg: TrainConfig) -> float:
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
    import torch
    from tqdm.auto import tqdm

    from safetylab.data import mixture_sha256

    check_config(cfg)
    meta = dict(metadata or {})
    sha = mixture_sha256(examples)
    if val_examples is None and cfg.val_ratio > 0 and examples:
        examples, val_examples = _split_val(examples, cfg.val_ratio, cfg.seed)
    enc: dict[str, Any] = {"template": cfg.template, "train_on_prompt": cfg.train_on_prompt}
    data = encode_examples(tokenizer, examples, cfg.cutoff, **enc)
    val = encode_examples(tokenizer, val_examples, cfg.cutoff, **enc) if val_examples else []
    lengths = [len(x) for x, _ in data]
    targets = example_targets(data)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise SafetylabError("model has no trainable parameters (apply LoRA first)")
    procs = start_processes(cfg, model, resume=resume)
    dev = procs.device
    if next(model.parameters()).device != dev and not getattr(model, "is_loaded_in_4bit", False):
        model.to(dev)
    if cfg.gradient_checkpointing:
        inner = model.get_base_model() if hasattr(model, "get_base_model") else model
        inner.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    params = [p for _, p in named]
    opt: Any = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    bf16 = use_bf16(cfg.bf16, dev.type)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    n_layers = _n_layers(model)
    split = (
        n_layers - cfg.lora_layers if 0 < cfg.lora_layers < n_layers and cfg.method != "full" else 0
    )
    found = ckpt.latest_checkpoint(out_dir) if resume and out_dir is not None else None
    if found is not None:
        _check_resume(ckpt.read_state(found), cfg, sha, meta, found)
    elif out_dir is not None and procs.main:
        ckpt.clear_checkpoints(out_dir)  # a fresh run never mixes with an old run's checkpoints
    t0 = time.perf_counter()
    cache = None
    if split:
        cache = prefix_cache if prefix_cache is not None else PrefixCache()
        cache.fill(model, data, split, bf16, pad, show_progress=show_progress and procs.main)
    t_prefix = time.perf_counter() - t0
    mod = _loss_module(model, n_layers)
    mod, opt = prepare(procs, mod, opt, cfg)
    if procs.kind == "FSDP":
        # fully_shard swapped every parameter for a sharded DTensor (same names, in place)
        fresh = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if [n for n, _ in fresh] != [n for n, _ in named]:
            raise SafetylabError("FSDP changed the model's trainable parameter names")
        named, params = fresh, [p for _, p in fresh]

    plan = make_plan(lengths, cfg.batch_size, cfg.epochs, cfg.batching, cfg.seed, cfg.max_steps)
    start, losses, tokens, prev_s, vals = 0, [], 0, 0.0, []
    if found is not None:
        state = ckpt.load_checkpoint(found, dict(named), opt)
        plan, start, losses = state["plan"], state["step"], state["losses"]
        tokens, prev_s, vals = state["tokens"], state["seconds"], state.get("val", [])
        if not ckpt.load_rng(found, procs.rank):
            log.warning(
                "%s has no RNG state for process %d; dropout will differ", found, procs.rank
            )
        if procs.main:
            log.info("resuming from %s (step %d of %d)", found, start, len(plan))
    total = len(plan)
    metrics = MetricsLog(
        out_dir,
        enabled=procs.main,
        tensorboard=cfg.tensorboard,
        resume_step=start if found is not None else None,
    )
    rows_per = cfg.micro_batch_size or cfg.batch_size
    stop = {"flag": False}
    prev_handler: Any = None
    if (
        save_on_interrupt
        and out_dir is not None
        and threading.current_thread() is threading.main_thread()
    ):

        def _on_sigint(signum: int, frame: Any) -> None:
            stop["flag"] = True
            signal.signal(signal.SIGINT, prev_handler)  # a second Ctrl-C stops at once

        prev_handler = signal.signal(signal.SIGINT, _on_sigint)

    def state_now(step: int) -> dict[str, Any]:
        return {
            "step": step,
            "plan": plan,
            "config": asdict(cfg),
            "data_sha256": sha,
            "base_fingerprint": meta.get("base_fingerprint"),
            "losses": losses,
            "tokens": tokens,
            "seconds": prev_s + time.perf_counter() - t0,
            "val": vals,
            "world_size": procs.world,
        }

    def save(step: int) -> Path | None:
        if out_dir is None:
            return None
        if procs.kind == "DEEPSPEED":  # only Ctrl-C gets here: check_request refuses the rest
            raise SafetylabError(
                f"interrupted at step {step}; DeepSpeed runs keep no checkpoints, so this run "
                "cannot be resumed"
            )
        tmp = ckpt.checkpoint_dir(out_dir) / f"step-{step:08d}.tmp"
        if procs.main:
            ckpt.begin_save(out_dir, step)
        procs.barrier()
        ckpt.save_rng(tmp, procs.rank)
        procs.barrier()
        weights = gathered_weights(procs, mod, named)  # every process takes part under FSDP
        optim = gathered_optimizer_state(procs, opt)
        final = None
        if procs.main:
            final = ckpt.finish_save(tmp, weights, optim, state_now(step), cfg.keep_checkpoints)
        procs.barrier()
        return final or tmp.with_suffix("")

    def validate(step: int) -> None:
        loss, n = evaluate_loss(mod, val, cfg, procs, pad, bf16)
        vals.append({"step": step, "val_loss": loss, "val_tokens": n})
        metrics.log(vals[-1])

    bar = tqdm(
        total=total,
        initial=start,
        desc=desc,
        unit="step",
        leave=False,
        disable=not (show_progress and procs.main),
    )
    mod.train()
    t_loop = time.perf_counter()
    session_tokens = 0
    try:
        for step in range(start, total):
            lr = lr_at(step, total, cfg)
            for g in opt.param_groups:
                g["lr"] = lr
            micro = layout_step(
                plan[step], lengths, cfg.batching, rows_per, cfg.cutoff, procs.world, procs.rank
            )
            step_targets = max(1, sum(targets[i] for i in plan[step]))
            loss_sum, tok = 0.0, 0
            for k, rows in enumerate(micro):
                last = k == len(micro) - 1
                sync: Any = contextlib.nullcontext()
                if procs.kind == "DEEPSPEED":
                    # the engine reduces gradients and steps after the last micro-batch only
                    procs.accelerator.sync_gradients = last
                elif procs.accelerator is not None and not last:
                    sync = procs.accelerator.no_sync(mod)
                with sync:
                    loss, b = _forward(
                        mod, data, rows or [plan[step][:1]], pad, cfg, dev, bf16, cache, split
                    )
                    scaled = loss * (procs.world / step_targets) * (1.0 if rows else 0.0)
                    if procs.accelerator is not None:
                        procs.accelerator.backward(scaled)
                    else:
                        scaled.backward()
                if rows:
                    loss_sum += float(loss.detach())
                    tok += b.tokens
            loss_sum, tok_f = procs.sum([loss_sum, float(tok)])
            step_loss = loss_sum / step_targets
            if not math.isfinite(step_loss):
                raise SafetylabError(
                    f"loss is {step_loss} at step {step}; lower lr (now {cfg.lr}) or set bf16: off"
                )
            max_norm = cfg.max_grad_norm if cfg.max_grad_norm > 0 else float("inf")
            if procs.accelerator is not None:
                gnorm = procs.accelerator.clip_grad_norm_(params, max_norm)
                gnorm = float("nan") if gnorm is None else gnorm  # DeepSpeed: engine's norm
            else:
                gnorm = torch.nn.utils.clip_grad_norm_(params, max_norm)
            opt.step()
            opt.zero_grad(set_to_none=True)
            losses.append(step_loss)
            tokens += int(tok_f)
            session_tokens += int(tok_f)
            done = step + 1
            spent = time.perf_counter() - t_loop
            row = {
                "step": done,
                "epoch": round(done * cfg.batch_size / len(data), 4),
                "loss": round(step_loss, 6),
                "lr": lr,
                "grad_norm": round(float(gnorm), 6),
                "tokens": tokens,
                "tokens_per_s": round(session_tokens / max(spent, 1e-9), 1),
                "elapsed_s": round(prev_s + time.perf_counter() - t0, 2),
                "eta_s": round(spent / (done - start) * (total - done), 1),
            }
            if done % max(1, cfg.log_every) == 0 or done == total:
                metrics.log(row)
            bar.set_postfix(loss=f"{step_loss:.3f}", lr=f"{lr:.1e}")
            bar.update(1)
            if val and cfg.eval_every and done % cfg.eval_every == 0 and done < total:
                validate(done)
            if on_step is not None:
                on_step(done, row)
            flag = procs.sum([1.0 if stop["flag"] else 0.0])[0] > 0
            if flag:
                path = save(done)
                raise TrainingInterrupted(done, path)
            if cfg.save_every and done % cfg.save_every == 0 and done < total:
                save(done)
    finally:
        bar.close()
        metrics.close()
        if prev_handler is not None:
            signal.signal(signal.SIGINT, prev_handler)
    if val:
        validate(total)
    if cfg.gradient_checkpointing:
        inner.gradient_checkpointing_disable()
    model.eval()
    elapsed = prev_s + time.perf_counter() - t0
    stats: dict[str, Any] = {
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
        "resumed_from_step": start if found is not None else None,
        "processes": procs.world,
        "parallelism": procs.kind,
    }
    if vals:
        stats["val_loss"] = vals[-1]["val_loss"]
        stats["val_examples"] = len(val)
    if procs.world > 1 and not zero3(procs):
        stats["rank_checksums"] = rank_checksums(named, procs)
        stats["trainable_numel_per_process"] = local_numels(named, procs)
    # sharded: gather whole weights first (every process takes part), process 0 writes them
    whole = gathered_weights(procs, mod, named) if procs.sharded and out_dir is not None else None
    if out_dir is not None and procs.main:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        if whole is not None:
            model.save_pretrained(str(out), state_dict=whole)
        else:
            model.save_pretrained(str(out))
        from safetylab.store import write_json

        write_json(
            out / "train_state.json",
            {"config": asdict(cfg), "stats": stats, "data_sha256": sha, **meta},
        )
    procs.barrier()
    return stats
