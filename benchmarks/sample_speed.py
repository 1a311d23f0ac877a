"""Sampled decoding: our loop (one generator per prompt) vs ``model.generate``, same batch.

    python benchmarks/sample_speed.py [--n 64] [--batch-size 64] [--max-new-tokens 64]

Both run the ``hf`` backend on the bundled model and the prompts of ``safetylab bench generate``
with temperature 0.7, top-p 0.9, top-k 50 and seed 1; ``own_loop=False`` sends the batch to
``model.generate``. Reports non-padding output tokens/s, and checks on the first 16 prompts that
each seeded answer is the same generated alone as in the batch (our loop's promise; not
``model.generate``'s). Writes benchmarks/results/sample_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "sample_speed.json"))
    args = ap.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    from safetylab.bench import bench_prompts, load_average
    from safetylab.generate import HFBackend
    from safetylab.models import load_base

    lm = load_base("smollm2-135m-instruct")
    prompts = bench_prompts(args.n)
    dec = {"max_new_tokens": args.max_new_tokens, "do_sample": True, "temperature": 0.7,
           "top_p": 0.9, "top_k": 50, "seed": 1}  # fmt: skip
    ours = HFBackend(lm.model, lm.tokenizer, lm.fingerprint, args.batch_size)
    theirs = HFBackend(lm.model, lm.tokenizer, lm.fingerprint, args.batch_size, own_loop=False)
    ours.generate(prompts[:2], dec)  # warm-up
    res: dict[str, object] = {"decoding": dec, "n": len(prompts), "batch_size": args.batch_size}
    batched: list[tuple[str, int]] = []
    speed: dict[str, float] = {}
    for name, be in (("own_loop", ours), ("model_generate", theirs)):
        load = load_average()
        t = time.perf_counter()
        out = be.generate(prompts, dec)
        dt = time.perf_counter() - t
        tokens = sum(n for _, n in out)
        res[name] = {"tokens": tokens, "seconds": round(dt, 1),
                     "tokens_per_s": round(tokens / dt, 1), "load_avg_1m": load}  # fmt: skip
        speed[name] = tokens / dt
        print(name, res[name], flush=True)
        if name == "own_loop":
            batched = out
    k = min(16, len(prompts))
    alone = [
        HFBackend(lm.model, lm.tokenizer, lm.fingerprint, 1).generate([p], dec)[0]
        for p in prompts[:k]
    ]
    res["same_alone_as_in_batch"] = (
        f"{sum(a == b for a, b in zip(alone, batched, strict=False))}/{k}"
    )
    res["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform()}
    ratio = speed["own_loop"] / speed["model_generate"]
    res["ratio"] = round(ratio, 2)
    Path(args.out).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print("same answer alone as in the batch:", res["same_alone_as_in_batch"])
    print(f"sampled, own loop / model.generate: {ratio:.2f}x")


if __name__ == "__main__":
    main()
