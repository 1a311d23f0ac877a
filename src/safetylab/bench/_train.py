"""Training speed: safetylab's loop against the study's recipe as its script ran it.

    safetylab bench train --examples 96 --batch-size 16      # a few minutes on 2 CPU cores
    python benchmarks/train_speed.py --examples 96           # same, writes the results JSON

Both runs train the same LoRA (the study's: r=8, alpha=16, dropout 0.05 on q/v, lr 3e-4,
Alpaca template, cutoff 256) from the same initial weights on the same examples, for the same
number of optimizer steps, and are scored on the same held-out slice (loss on response tokens):

(a) safetylab: length-grouped batches (no padding to the cutoff), loss on response tokens with
    lm_head only at those positions, bf16 autocast only where the hardware is fast at it.
(b) the study: random order, every row padded to the cutoff, loss on prompt tokens too, full
    logits (a plain ``model(...)`` forward), fp32 on CPU.

Throughput is non-padding tokens trained per second. Model FLOPs utilisation is against this
machine's fp32 and bf16 matmul throughput, measured in the same run.

The fixed 1,000-example mixture (seeded order) comes from the bundled training files: 400
general instructions answered by the base model itself (greedy distillation, cached), 300
harmful requests with refusals, 60 safe-but-sensitive prompts with answers and 120
intent/context pairs (both sides). Its last ``val_examples`` rows are held out.
"""

from __future__ import annotations

import os
import platform
import random
import time
from typing import Any

from safetylab.records import Example

MIX_SIZE = 1000
DISTILL_TOKENS = 96  #: token limit of the base model's distilled general answers


def bench_mixture() -> list[tuple[str, Example | None]]:
    """The fixed 1,000 rows, seeded order; general rows are (instruction, None) until distilled."""
    import dataclasses

    from safetylab.data import bundled_records

    def tagged(short: str, strategy: str) -> list[Example]:
        return [dataclasses.replace(e, strategy=strategy) for e in bundled_records(short)]

    rows: list[tuple[str, Example | None]] = [(p.text, None) for p in bundled_records("general")]
    rows += [("", e) for e in tagged("safety", "safety")]
    rows += [("", e) for e in tagged("sensitive-train", "sensitive")]
    rows += [("", e) for e in tagged("context-pairs", "context")[:240]]  # first 120 pairs
    assert len(rows) == MIX_SIZE, len(rows)
    random.Random(0).shuffle(rows)
    return rows


def _distill(rows: list[tuple[str, Example | None]], base: Any) -> list[Example]:
    """Fill in the general rows with the base model's own greedy answers (cached on disk)."""
    from safetylab.generate import HFBackend, generate_for
    from safetylab.records import Prompt
    from safetylab.store import GenerationCache, JsonlLog, cache_dir

    todo = [Prompt(text, "distill", "safe") for text, ex in rows if ex is None]
    dec = {"max_new_tokens": DISTILL_TOKENS, "do_sample": False}
    cache = GenerationCache(cache_dir() / "generations.sqlite")
    log = JsonlLog(cache_dir() / "bench" / "distill-general.jsonl")
    backend = HFBackend(base.model, base.tokenizer, base.fingerprint, batch_size=64)
    gens = {
        p.text: g
        for p, g in zip(todo, generate_for(backend, "base", todo, dec, log, cache), strict=True)
    }
    cache.close()
    out = []
    for text, ex in rows:
        if ex is None:
            g = gens[text]
            ex = Example(
                text, g.text, "bundled/general", "", "general", "safe", g.n_tokens < DISTILL_TOKENS
            )
        out.append(ex)
    return out


def matmul_gflops(dtype: str, seconds: float = 2.0) -> float:
    """Best throughput (GFLOP/s) of matmuls in ``dtype`` on this machine, best of 3 tries:
    fp32 on a square 1024 matmul and on the model's MLP shape (2048 x 576 x 1536); other
    dtypes (slow on CPUs without bf16 units) on a square 512 one."""
    import torch

    shapes = [(1024, 1024, 1024), (2048, 576, 1536)] if dtype == "float32" else [(512, 512, 512)]
    best = 0.0
    for m, k, n in shapes:
        a = torch.randn(m, k).to(getattr(torch, dtype))
        b = torch.randn(k, n).to(getattr(torch, dtype))
        torch.matmul(a, b)
        for _ in range(3):
            reps, t = 0, time.perf_counter()
            while time.perf_counter() - t < seconds / (3 * len(shapes)):
                torch.matmul(a, b)
                reps += 1
            best = max(best, 2 * m * k * n * reps / (time.perf_counter() - t) / 1e9)
    return round(best, 1)


def flops_per_token(model: Any, mean_len: float, head_share: float = 1.0) -> float:
    """Training FLOPs per token for LoRA on a frozen base: forward + activation gradients, i.e.
    4 x the matmul parameters (lm_head on ``head_share`` of the tokens) + 3 x the forward
    FLOPs of causal attention over ``mean_len`` tokens (no weight gradients: frozen)."""
    cfg = model.config
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    layers = sum(
        p.numel()
        for n, p in inner.named_parameters()
        if p.ndim == 2 and "lora_" not in n and "embed_tokens" not in n and "lm_head" not in n
    )
    head = cfg.vocab_size * cfg.hidden_size
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    attn = 2 * 2 * cfg.num_hidden_layers * cfg.num_attention_heads * head_dim * mean_len / 2
    return 4 * layers + 4 * head * head_share + 3 * attn


def _study_run(model: Any, data: list[Any], plan: list[list[int]], cfg: Any) -> dict[str, Any]:
    """(b): the study's loop as its script ran it (HF forward with full logits, padded, fp32;
    loss normalised over the accumulated batch as HF Trainer does)."""
    import torch

    from safetylab.train import collate, example_targets, lr_at

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    targets = example_targets(data)
    micro = cfg.micro_batch_size or cfg.batch_size
    model.train()
    tokens, losses, t0 = 0, [], time.perf_counter()
    for step, batch in enumerate(plan):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, len(plan), cfg)
        n_targets, total = sum(targets[i] for i in batch), 0.0
        for k in range(0, len(batch), micro):
            b = collate(
                data, [[i] for i in batch[k : k + micro]], 0, packed=False, width=cfg.cutoff
            )
            # What HF Trainer does: the model's own loss over full logits, summed and divided
            # by the loss positions of the whole accumulated batch.
            out = model(
                input_ids=b.ids,
                attention_mask=b.attention_mask,
                labels=b.labels,
                num_items_in_batch=n_targets,
                use_cache=False,  # the study's script sets model.config.use_cache = False
            )
            out.loss.backward()
            loss = out.loss * n_targets
            total += float(loss.detach())
            tokens += b.tokens
        torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(total / n_targets)
    model.eval()
    seconds = time.perf_counter() - t0
    return {
        "tokens": tokens,
        "seconds": round(seconds, 2),
        "tokens_per_s": round(tokens / seconds, 1),
        "losses": [round(x, 4) for x in losses],
    }


def _val_loss(model: Any, tokenizer: Any, val: list[Example], cfg: Any) -> float:
    """Mean loss on response tokens of ``val`` (Alpaca template, fp32), for both runs."""
    from safetylab.train import encode_examples, validation_loss

    data = encode_examples(tokenizer, val, cfg.cutoff, template="alpaca")
    return round(validation_loss(model, data, cfg), 5)


def run_train_bench(
    model_name: str = "smollm2-135m-instruct",
    *,
    examples: int = MIX_SIZE - 64,
    val_examples: int = 64,
    batch_size: int = 128,
    micro_batch_size: int = 8,
    study_micro_batch_size: int = 4,
    max_steps: int = 0,
    epochs: float = 1.0,
    threads: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Run (a) and (b) and return the results (see the module docstring).

    ``threads``: torch CPU threads for everything (0 = torch's default).
    """
    import torch

    if threads > 0:
        torch.set_num_threads(threads)

    from safetylab.errors import SafetylabError
    from safetylab.hardware import use_bf16
    from safetylab.models import load_base
    from safetylab.train import TrainConfig, apply_lora, encode_examples, make_plan, train

    if not 0 < examples <= MIX_SIZE - val_examples or val_examples <= 0:
        raise SafetylabError(
            f"--examples must be in 1..{MIX_SIZE - val_examples} (the rest is the held-out slice)"
        )
    rows = bench_mixture()
    picked = rows[:examples] + rows[MIX_SIZE - val_examples :]
    t = time.perf_counter()
    base = load_base(model_name)
    mix = _distill(picked, base)
    distill_s = round(time.perf_counter() - t, 1)
    train_ex, val = mix[:examples], mix[examples:]
    paper: dict[str, Any] = {
        "lora_r": 8,
        "lora_alpha": 16,
        "lora_dropout": 0.05,
        "target_modules": ["q_proj", "v_proj"],
        "lr": 3e-4,
        "cutoff": 256,
        "template": "alpaca",
        "schedule": "linear",
        "warmup_ratio": 0.05,
        "batch_size": batch_size,
        "epochs": epochs,
        "max_steps": max_steps,
    }
    cfg_a = TrainConfig(
        **paper, batching="length", micro_batch_size=min(micro_batch_size, batch_size), bf16="auto"
    )
    cfg_b = TrainConfig(
        **paper,
        batching="padded",
        micro_batch_size=min(study_micro_batch_size, batch_size),
        train_on_prompt=True,
        bf16="off",
    )
    # Measured before, between and after the runs: the best is the machine's (shared) peak.
    fp32 = [matmul_gflops("float32")]
    peak = {"fp32": 0.0, "bf16": matmul_gflops("bfloat16")}
    out: dict[str, Any] = {}
    val_before = None
    for name, cfg in (("b_study", cfg_b), ("a_safetylab", cfg_a)):
        model = apply_lora(load_base(model_name).model, cfg)
        if val_before is None:
            val_before = _val_loss(model, base.tokenizer, val, cfg)
        if name == "a_safetylab":
            stats = train(
                model, base.tokenizer, train_ex, cfg, desc="(a) safetylab", show_progress=progress
            )
            stats = {k: stats[k] for k in ("tokens", "seconds", "tokens_per_s", "losses", "bf16")}
        else:
            data = encode_examples(
                base.tokenizer, train_ex, cfg.cutoff, template="alpaca", train_on_prompt=True
            )
            plan = make_plan(
                [len(x) for x, _ in data],
                cfg.batch_size,
                cfg.epochs,
                "padded",
                cfg.seed,
                cfg.max_steps,
            )
            stats = _study_run(model, data, plan, cfg)
            stats["bf16"] = False
        stats["steps"] = len(stats["losses"])
        stats["val_loss"] = _val_loss(model, base.tokenizer, val, cfg)
        stats["micro_batch_size"] = cfg.micro_batch_size
        out[name] = stats
        del model
        fp32.append(matmul_gflops("float32"))
    peak["fp32"] = max(fp32)
    enc = encode_examples(base.tokenizer, train_ex, 256, template="alpaca")
    mean_len = sum(len(x) for x, _ in enc) / len(enc)
    share = sum(sum(t != -100 for t in y[1:]) for _, y in enc) / sum(len(x) for x, _ in enc)
    # MFU: the same model FLOPs per real token for both runs (full logits, no padding);
    # HFU: what each run executes per real token (a: logits at targets; b: padded rows).
    fpt = flops_per_token(base.model, mean_len)
    executed = {
        "a_safetylab": flops_per_token(base.model, mean_len, share),
        "b_study": 256 / mean_len * flops_per_token(base.model, 256),
    }
    for name, stats in out.items():
        achieved = fpt * stats["tokens_per_s"] / 1e9
        stats["model_gflops_per_s"] = round(achieved, 2)
        stats["mfu_vs_fp32_matmul"] = round(achieved / peak["fp32"], 4)
        stats["mfu_vs_bf16_matmul"] = round(achieved / peak["bf16"], 4)
        stats["executed_gflops_per_token"] = round(executed[name] / 1e9, 4)
        stats["hfu_vs_fp32_matmul"] = round(
            executed[name] * stats["tokens_per_s"] / 1e9 / peak["fp32"], 4
        )
    a, b = out["a_safetylab"], out["b_study"]
    ratio = a["tokens_per_s"] / b["tokens_per_s"]
    return {
        "model": model_name,
        "examples": examples,
        "val_examples": val_examples,
        "steps": a["steps"],
        "batch_size": batch_size,
        "epochs": epochs,
        "max_steps": max_steps,
        "mixture": "fixed 1,000 bundled rows (seed 0): 400 general answered by the base model (greedy, <= 96 tokens, cached), 300 refusals, 60 sensitive-safe answers, 240 context-pair rows; last val_examples held out",
        "distill_seconds": distill_s,
        "val_loss_before": val_before,
        "matmul_gflops": peak,
        "matmul_gflops_fp32_measurements": fp32,
        "bf16_autocast_used": use_bf16("auto", "cpu"),
        "model_flops_per_token": round(fpt),
        "mean_example_tokens": round(mean_len, 1),
        "response_target_share": round(share, 3),
        "runs": out,
        "ratio": round(ratio, 3),
        "goal": {
            "ratio_at_least": 2.0,
            "met": ratio >= 2.0 and a["val_loss"] <= b["val_loss"] + 1e-6,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "torch": torch.__version__,
        },
        "_note": (
            "mfu: model FLOPs per real token (LoRA on a frozen base: 4 x matmul params incl. "
            "lm_head + 3 x causal attention) x tokens/s over the best measured fp32 (or bf16) "
            "matmul GFLOP/s; hfu: FLOPs each run executes per real token (padding, logits "
            "only at targets) x tokens/s over the same fp32 peak"
        ),
    }
