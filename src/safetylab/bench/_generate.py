"""Generation throughput: batched ``hf`` vs one prompt at a time vs the study's 4-beam search.

    safetylab bench generate [--n 64] [--batch-size 64] [--max-new-tokens 64] [--out benchmarks/results/generate_speed.json]

Counts non-padding output tokens (up to and including end-of-turn) per second, on the same
model and prompts in the same run, and how many batched greedy answers are token-identical to
one-at-a-time greedy answers. Batched runs the ``hf`` backend (our greedy loop, which drops
finished rows); one-at-a-time runs ``model.generate`` per prompt, as a plain transformers user
(and the study) would; our loop at batch size 1 is reported too, to separate batching from the
loop. The last line printed is the batched / one-at-a-time ratio.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from safetylab.chat import end_of_turn_id, prompt_ids


def bench_prompts(n: int) -> list[str]:
    """``n`` bundled prompts, half helpful and half harmful, spread over their categories."""
    from safetylab.data import bundled_prompts

    half = n // 2
    helpful = bundled_prompts("helpful", "bench", n - half)
    return [p.text for p in helpful + bundled_prompts("harmful", "bench", half)]


def load_average() -> float:
    """1-minute load average (timings on a shared machine mean little without it)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return -1.0


def _one(model: Any, tok: Any, prompt: str, max_new: int, beams: int) -> list[int]:
    import torch

    ids = torch.tensor([prompt_ids(tok, prompt)])
    eot = end_of_turn_id(tok)
    kw: dict[str, Any] = {
        "max_new_tokens": max_new,
        "do_sample": False,
        "eos_token_id": eot,
        "pad_token_id": tok.pad_token_id,
        "temperature": None,
        "top_p": None,
        "top_k": None,
    }
    if beams > 1:
        kw["num_beams"] = beams
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), **kw)
    new = out[0, ids.shape[1] :].tolist()
    return new[: new.index(eot) + 1] if eot in new else new


def bench_generate(
    model_name: str = "smollm2-135m-instruct",
    n: int = 64,
    max_new_tokens: int = 64,
    batch_size: int = 64,
    beams: int = 4,
    out: str | Path | None = None,
) -> dict[str, Any]:
    """Run the three settings and return (and optionally write) the figures."""
    from safetylab.generate import HFBackend
    from safetylab.models import load_base

    lm = load_base(model_name)
    tok = lm.tokenizer
    prompts = bench_prompts(n)
    dec = {"max_new_tokens": max_new_tokens, "do_sample": False}
    be = HFBackend(lm.model, tok, lm.fingerprint, batch_size)
    be.generate(prompts[:2], dec)  # warm-up
    load_start = load_average()
    t = time.perf_counter()
    batched = be.generate(prompts, dec)
    t_batched = time.perf_counter() - t
    tok_batched = sum(k for _, k in batched)

    t = time.perf_counter()
    single = [_one(lm.model, tok, p, max_new_tokens, 1) for p in prompts]
    t_single = time.perf_counter() - t
    tok_single = sum(len(s) for s in single)
    eot = end_of_turn_id(tok)
    identical = sum(
        tok.decode([x for x in s if x != eot], skip_special_tokens=True).strip() == b[0]
        for s, b in zip(single, batched, strict=True)
    )

    # our own greedy loop, one prompt at a time: how much of the gain is batching alone
    one = HFBackend(lm.model, tok, lm.fingerprint, 1)
    t = time.perf_counter()
    single_loop = one.generate(prompts, dec)
    t_single_loop = time.perf_counter() - t
    tok_single_loop = sum(k for _, k in single_loop)

    t = time.perf_counter()
    beam = [_one(lm.model, tok, p, max_new_tokens, beams) for p in prompts]
    t_beam = time.perf_counter() - t
    tok_beam = sum(len(s) for s in beam)

    res = {
        "model": model_name,
        "prompts": n,
        "max_new_tokens": max_new_tokens,
        "batch_size": batch_size,
        "batched_tokens_per_s": round(tok_batched / t_batched, 1),
        "single_greedy_tokens_per_s": round(tok_single / t_single, 1),
        "single_greedy_own_loop_tokens_per_s": round(tok_single_loop / t_single_loop, 1),
        f"single_beam{beams}_tokens_per_s": round(tok_beam / t_beam, 1),
        "seconds": {
            "batched": round(t_batched, 1),
            "single": round(t_single, 1),
            "single_own_loop": round(t_single_loop, 1),
            "beam": round(t_beam, 1),
        },
        "identical_batched_vs_single": f"{identical}/{n}",
        "ratio_batched_over_single": round((tok_batched / t_batched) / (tok_single / t_single), 2),
        "ratio_batched_over_single_own_loop": round(
            (tok_batched / t_batched) / (tok_single_loop / t_single_loop), 2
        ),
        "ratio_batched_over_beam": round((tok_batched / t_batched) / (tok_beam / t_beam), 2),
        "load_average_start_end": [load_start, load_average()],
    }
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(res, indent=2) + "\n")
    return res
