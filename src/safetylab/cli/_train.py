"""``safetylab train`` and ``safetylab merge``: fine-tune a model on a mixture, merge an adapter.

safetylab train --model smollm2 --data mix.jsonl --out runs/adapter --config cpu-lora
safetylab train --model smollm2 --data mix.jsonl --out runs/adapter --config cpu-lora --resume
safetylab train ... --config paper-lora --set epochs=1 --set val_ratio=0.05
accelerate launch --config_file configs/accelerate/ddp-gpu.yaml -m safetylab.cli.main train ...
safetylab merge --model smollm2 --adapter runs/adapter --out runs/merged
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="fine-tune a model on a mixture (LoRA, QLoRA or full; resumable)",
        description=(
            "Fine-tune --model on --data (JSONL of Examples, or Alpaca rows) into --out. "
            "Ctrl-C saves a checkpoint; --resume continues from the last one. Run it under "
            "`accelerate launch` for several GPUs or machines."
        ),
    )
    p.add_argument("--model", required=True, help="base model: bundled name, HF id or local folder")
    p.add_argument("--data", required=True, help="training data: JSONL of Examples or Alpaca rows")
    p.add_argument(
        "--out", required=True, help="output folder (adapter or model, metrics, checkpoints)"
    )
    p.add_argument(
        "--config",
        default=None,
        help="YAML of TrainConfig options, or a preset: paper-lora, cpu-lora",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one option, e.g. --set lr=1e-4 (repeatable)",
    )
    p.add_argument("--val-data", default=None, help="held-out examples for validation loss")
    from safetylab.cli._data import add_file_options

    add_file_options(p, "--data/--val-data: ")
    p.add_argument(
        "--resume", action="store_true", help="continue from the last checkpoint in --out"
    )
    p.add_argument("--device", default="auto", help="auto (GPU when present), cpu or cuda[:N]")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)

    m = sub.add_parser(
        "merge",
        help="merge a LoRA adapter into its base model (safetensors)",
        description="Write base + adapter as one plain model folder (safetensors + tokenizer).",
    )
    m.add_argument("--model", required=True, help="base model the adapter was trained on")
    m.add_argument("--adapter", required=True, help="adapter folder written by `safetylab train`")
    m.add_argument("--out", required=True, help="output folder (must be new or empty)")
    m.add_argument(
        "--force", action="store_true", help="merge even if the base fingerprint differs"
    )
    m.set_defaults(func=run_merge)


def _check_out(out: Path, resume: bool) -> bool:
    """False when ``out`` already holds a finished run (resume: nothing to do).

    ``out`` must be new, empty, or a ``safetylab train`` output (its marker; a marker-less
    folder with ``train_state.json`` or a checkpoint was made by an older safetylab)."""
    from safetylab.errors import SafetylabError
    from safetylab.store import check_owner
    from safetylab.train import latest_checkpoint

    legacy = out.is_dir() and (
        (out / "train_state.json").is_file() or latest_checkpoint(out) is not None
    )
    check_owner(out, "train", adopt=legacy)
    done = (out / "train_state.json").is_file()
    if done and not resume:
        raise SafetylabError(f"--out {out}: already holds a trained model; choose another --out")
    if done:
        return False
    found = latest_checkpoint(out)
    if found is not None and not resume:
        raise SafetylabError(
            f"--out {out}: has a checkpoint ({found.name}); pass --resume to continue, "
            "or choose another --out"
        )
    return True


def run(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from safetylab.errors import SafetylabError
    from safetylab.store import LOCK, DirLock, sha256_file, write_marker, write_text
    from safetylab.train import (
        TrainingInterrupted,
        dump_train_config,
        launched_distributed,
        load_examples,
        load_for_training,
        load_train_config,
        train,
    )

    main_proc = int(os.environ.get("RANK", "0")) == 0
    cfg = load_train_config(args.config, args.set)
    out = Path(args.out)
    if not _check_out(out, args.resume):
        if main_proc:
            print(f"{out}: already trained; nothing to do")
        return 0
    from safetylab.cli._data import file_columns

    cols, skip, split = file_columns(args), args.skip_bad_rows, args.split
    examples = load_examples(args.data, cols, skip_bad_rows=skip, split=split)
    val = None
    if args.val_data:
        val = load_examples(args.val_data, cols, skip_bad_rows=skip, split=split)
    lm = load_for_training(args.model, cfg, device=args.device)
    lock = DirLock(out / LOCK, "safetylab train")
    if main_proc:  # everything is checked: take the folder (one writer), then write into it
        _check_out(out, args.resume)
        out.mkdir(parents=True, exist_ok=True)
        if not lock.acquire():
            raise SafetylabError(lock.busy_message())
        _check_out(out, args.resume)  # again, now that no other writer can change it
        write_marker(out, "train")
        write_text(out / "config.yaml", dump_train_config(cfg))
    meta = {
        "base_model": args.model,
        "base_fingerprint": lm.fingerprint,
        "data_path": str(args.data),
        "data_file_sha256": sha256_file(args.data),
    }
    try:
        stats = train(
            lm.model,
            lm.tokenizer,
            examples,
            cfg,
            out,
            desc=f"train {out.name}",
            metadata=meta,
            show_progress=not args.quiet and sys.stderr.isatty(),
            val_examples=val,
            resume=args.resume,
            save_on_interrupt=True,
        )
    except TrainingInterrupted as e:
        if main_proc:
            print(
                f"safetylab: interrupted at step {e.step}; checkpoint {e.checkpoint}; "
                "continue with the same command plus --resume",
                file=sys.stderr,
            )
        return 130
    if not main_proc:
        return 0
    if cfg.method == "full":
        lm.tokenizer.save_pretrained(str(out))
    val_txt = f", val loss {stats['val_loss']:.3f}" if "val_loss" in stats else ""
    procs = f" on {stats['processes']} processes" if launched_distributed() else ""
    print(
        f"trained {stats['steps']} steps{procs}: loss {stats['loss_first']:.3f} -> "
        f"{stats['loss_last']:.3f}{val_txt}, {stats['tokens_per_s']} tokens/s"
    )
    print(f"saved: {out}  (train_state.json, metrics.jsonl)")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from safetylab.train import merge_adapter

    info = merge_adapter(args.model, args.adapter, args.out, force=args.force)
    print(json.dumps(info, indent=2))
    print(f"merged model: {args.out}")
    return 0
