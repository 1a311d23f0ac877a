"""Time hidden-state extraction for 1,000 bundled prompts on the bundled model (issue 7).

    python benchmarks/probe_hidden.py [--max-layer 8] [--threads N] [--n 1000]

Goal: < 60 s on a 2-core CPU. Only the prompt forward runs (no generation, no lm_head), in
length-sorted right-padded batches, up to ``--max-layer`` (the probes need no deeper: the
harmful-vs-harmless probe is checked at that layer below), with the chat-template prefix run
once. Cold (no disk cache) and warm (served from the cache) runs are timed; the machine's load
average is recorded because the machine may be shared. Writes benchmarks/results/probe_hidden.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="number of prompts")
    ap.add_argument("--max-layer", type=int, default=8, help="deepest hidden-state index")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch default)")
    ap.add_argument(
        "--no-share-prefix", action="store_true", help="run the template prefix per prompt"
    )
    ap.add_argument("--out", default="benchmarks/results/probe_hidden.json")
    args = ap.parse_args()

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import numpy as np
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from safetylab.models import load_base
    from safetylab.probes import cv_predictions, hidden_states, probe_items

    items = probe_items("train") + probe_items("heldout") + probe_items("decorrelated")
    items = items[: args.n]
    texts = [it.text for it in items]
    intent = np.array([it.intent for it in items])
    lm = load_base("smollm2-135m-instruct")
    layers = list(range(args.max_layer + 1))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        c0 = time.process_time()
        hs = hidden_states(
            lm.model,
            lm.tokenizer,
            texts,
            fingerprint=lm.fingerprint,
            layers=layers,
            cache_root=tmp,
            share_prefix=not args.no_share_prefix,
        )
        cold = time.perf_counter() - t0
        cold_cpu = time.process_time() - c0
        t0 = time.perf_counter()
        hidden_states(
            lm.model, lm.tokenizer, texts, fingerprint=lm.fingerprint, layers=layers, cache_root=tmp
        )
        warm = time.perf_counter() - t0
    load_after = os.getloadavg()
    n_tok = int(sum(hs.n_tokens))
    acc = {}
    for pool in ("last", "mean"):
        x = hs.at(args.max_layer, pool)
        acc[pool] = round(float((cv_predictions(x, intent, folds=5, c=0.1) == intent).mean()), 4)
    result = {
        "n_prompts": len(texts),
        "harmful": int(intent.sum()),
        "prompt_tokens": n_tok,
        "layers": f"0..{args.max_layer} of {len(lm.model.model.layers)}",
        "share_prefix": not args.no_share_prefix,
        "torch_threads": torch.get_num_threads(),
        "cold_seconds": round(cold, 2),
        "cold_cpu_seconds": round(cold_cpu, 2),
        "warm_seconds_from_disk_cache": round(warm, 2),
        "prompts_per_second": round(len(texts) / cold, 1),
        "prompt_tokens_per_second": round(n_tok / cold, 1),
        "goal_seconds": 60,
        "intent_probe_cv_accuracy_at_max_layer": acc,
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    print(json.dumps(result, indent=2))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
