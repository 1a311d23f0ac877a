"""``safetylab bench``: speed benchmarks; each subcommand lives in its own pair of functions.

safetylab bench train --examples 96 --batch-size 16 --out benchmarks/results/train_speed.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "bench",
        help="speed benchmarks (train: safetylab's loop vs the study's recipe)",
        description="Speed benchmarks on this machine.",
    )
    kinds = p.add_subparsers(dest="bench", metavar="KIND", required=True)
    _add_train(kinds)
    _add_generate(kinds)


def _add_generate(kinds: Any) -> None:
    g = kinds.add_parser(
        "generate",
        help="output tokens/s: batched hf vs one prompt at a time vs the study's 4-beam search",
        description=(
            "Generate answers to the same bundled prompts three ways on the same model: batched "
            "greedy (safetylab), one prompt at a time greedy, and the study's 4-beam search one "
            "at a time. Prints the batched / one-at-a-time ratio last."
        ),
    )
    g.add_argument("--model", default="smollm2-135m-instruct", help="base model (default: bundled)")
    g.add_argument("--n", type=int, default=64, help="prompts (half helpful, half harmful)")
    g.add_argument("--max-new-tokens", type=int, default=64)
    g.add_argument("--batch-size", type=int, default=64)
    g.add_argument("--beams", type=int, default=4)
    g.add_argument("--out", default=None, help="also write the results as JSON here")
    g.set_defaults(func=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    from safetylab.bench import bench_generate

    res = bench_generate(
        args.model, args.n, args.max_new_tokens, args.batch_size, args.beams, args.out
    )
    for k, v in res.items():
        print(f"{k}: {v}")
    print(f"ratio batched / one-at-a-time greedy: {res['ratio_batched_over_single']}")
    return 0


def _add_train(kinds: Any) -> None:
    t = kinds.add_parser(
        "train",
        help="tokens/s of safetylab's training loop vs the study's recipe, and MFU",
        description=(
            "Train the study's LoRA twice on the same examples of a fixed 1,000-example bundled "
            "mixture: (a) safetylab's loop, (b) the study's recipe (padded to the cutoff, loss "
            "on prompt tokens, full logits, fp32 on CPU). Prints the tokens/s ratio (a)/(b) last."
        ),
    )
    t.add_argument("--model", default="smollm2-135m-instruct", help="base model (default: bundled)")
    t.add_argument("--examples", type=int, default=936, help="training examples (default 936)")
    t.add_argument("--val-examples", type=int, default=64, help="held-out slice (default 64)")
    t.add_argument("--batch-size", type=int, default=128, help="examples per step (default 128)")
    t.add_argument("--micro-batch-size", type=int, default=8, help="(a) rows per forward pass")
    t.add_argument(
        "--study-micro-batch-size", type=int, default=4, help="(b) rows per forward pass (study: 4)"
    )
    t.add_argument("--epochs", type=float, default=1.0, help="passes over the examples")
    t.add_argument("--max-steps", type=int, default=0, help="stop both runs after N steps")
    t.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)"
    )
    t.add_argument("--out", default=None, help="also write the results as JSON here")
    t.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    import os
    import sys

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from safetylab.bench import run_train_bench

    res = run_train_bench(
        args.model,
        examples=args.examples,
        val_examples=args.val_examples,
        batch_size=args.batch_size,
        micro_batch_size=args.micro_batch_size,
        study_micro_batch_size=args.study_micro_batch_size,
        max_steps=args.max_steps,
        epochs=args.epochs,
        threads=args.threads,
        progress=sys.stderr.isatty(),
    )
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    a, b = res["runs"]["a_safetylab"], res["runs"]["b_study"]
    print(
        f"{res['examples']} examples, {res['steps']} steps of {res['batch_size']}; "
        f"matmul GFLOP/s fp32 {res['matmul_gflops']['fp32']}, bf16 {res['matmul_gflops']['bf16']}"
    )
    print(f"val loss (response tokens): before {res['val_loss_before']}")
    for name, r in (("(a) safetylab", a), ("(b) study", b)):
        print(
            f"{name:<14} {r['tokens_per_s']:>8} tokens/s  {r['seconds']:>7}s  "
            f"val loss {r['val_loss']}  MFU {r['mfu_vs_fp32_matmul']:.1%} of the fp32 peak "
            f"({r['mfu_vs_bf16_matmul']:.1f}x the bf16 peak), HFU {r['hfu_vs_fp32_matmul']:.1%}"
        )
    print(f"goal (a)/(b) >= 2.0 at <= val loss: {'met' if res['goal']['met'] else 'NOT met'}")
    print(f"speedup (a)/(b): {res['ratio']:.2f}x")
    return 0
