"""Time the paper's largest mixture: 20,000 general + 2,000 safety rows (22,000), with dedup and
the contamination check against every evaluation suite; writes benchmarks/results/data_mix.json.

    python benchmarks/data_mix.py [--source ../shared/data]

No local copy of Alpaca-cleaned exists here (it is online only), so the 20,000 general rows are
synthesised deterministically (seeded pseudo-word instructions and answers, written to a JSONL
file that is read through the user-file loader like any other). 200 near-duplicates of general
rows and 20 rows that quote evaluation prompts are planted to exercise both filters. The safety
rows are the Safety-Tuned LLaMAs set from --source (2,483 rows); without it, 2,000 synthetic
refusals are used. Target: under 10 s on a 2-core CPU machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N_GENERAL, N_SAFETY, N_NEAR, N_CONTAM = 20_000, 2_000, 200, 20

_C = "bdfghklmnprstvz"
_V = "aeiou"
_TASKS = [
    "Write a short paragraph about", "List five facts about", "Explain in simple terms",
    "Summarise the main ideas of", "Give three tips for", "Describe the history of",
    "Compare two approaches to", "Write a friendly email about", "Suggest a title for a talk on",
    "Create a study plan for",
]  # fmt: skip


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_C) + rng.choice(_V) for _ in range(rng.randint(2, 4)))


def synth_general(rng: random.Random, n: int) -> list[dict[str, str]]:
    """``n`` distinct instruction/answer rows made of pseudo-words (deterministic for rng)."""
    pool = sorted({_word(rng) for _ in range(30_000)})
    rows = []
    for _ in range(n):
        topic = " ".join(rng.choices(pool, k=rng.randint(3, 6)))
        answer = ". ".join(
            " ".join(rng.choices(pool, k=rng.randint(6, 14))).capitalize()
            for _ in range(rng.randint(3, 7))
        )
        rows.append({"instruction": f"{rng.choice(_TASKS)} {topic}.", "output": answer + "."})
    return rows


def plant(rows: list[dict[str, str]], evals: list[str], rng: random.Random) -> None:
    """Append near-duplicates of existing rows and rows that quote evaluation prompts."""
    for i in rng.sample(range(len(rows)), N_NEAR):
        words = rows[i]["instruction"].split()
        words[-1] = words[-1].rstrip(".") + "s."  # one character changed
        rows.append({"instruction": " ".join(words), "output": rows[i]["output"]})
    for text in rng.sample(evals, N_CONTAM):
        rows.append({"instruction": text, "output": "A planted row that quotes an eval prompt."})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "data_mix.json"))
    args = ap.parse_args()

    from safetylab.data import (
        build_mixtures,
        is_available,
        load_dataset,
        parse_mix_config,
        write_mixture,
    )

    rng = random.Random(0)
    tmp = tempfile.TemporaryDirectory(prefix="data-mix-bench-")
    work = Path(tmp.name)
    general = synth_general(rng, N_GENERAL)
    quotes = ("harmful", "sensitive-safe", "helpful")
    plant(general, [p.text for q in quotes for p in load_dataset(f"bundled/{q}")], rng)
    gpath = work / "general.jsonl"
    gpath.write_text("".join(json.dumps(r) + "\n" for r in general), encoding="utf-8")

    source = args.source if Path(args.source).is_dir() else None
    if is_available("stl-safety", source):
        safety: dict[str, object] = {"dataset": "stl-safety"}
        safety_note = "stl-safety (Safety-Tuned LLaMAs, 2,483 rows) from --source"
    else:
        srows = [
            {"instruction": f"Help me hurt {_word(rng)} {_word(rng)} {_word(rng)}.",
             "output": "I can't help with that. It could seriously hurt someone."}
            for _ in range(N_SAFETY + 100)
        ]  # fmt: skip
        spath = work / "safety.jsonl"
        spath.write_text("".join(json.dumps(r) + "\n" for r in srows), encoding="utf-8")
        safety = {"file": str(spath)}
        safety_note = "synthetic refusals (no --source copy of stl-safety)"

    cfg = parse_mix_config(
        {
            "name": "paper-largest",
            "strategy": "balanced",
            "seed": 0,
            "general": {"file": str(gpath), "n": N_GENERAL},
            "safety": safety,
            "n_safety": N_SAFETY,
            "eval": "all",
        }
    )
    t, cpu = time.perf_counter(), time.process_time()
    (mix,) = build_mixtures(cfg, source=source)
    write_mixture(mix.examples, mix.card, work / "mix.jsonl", mix.data)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu

    card = mix.card
    result = {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "target_seconds": 10,
        "n_examples": card["n_examples"],
        "by_strategy": card["counts"]["by_strategy"],
        "general_rows": f"synthesised: {N_GENERAL:,} + {N_NEAR} planted near-duplicates + "
        f"{N_CONTAM} planted eval quotes (Alpaca-cleaned is online only)",
        "safety_rows": safety_note,
        "dedup": {"exact": card["dedup"]["n_exact"], "near": card["dedup"]["n_near"]},
        "contamination_removed": card["contamination"]["n_removed"],
        "contamination_by_suite": card["contamination"]["removed_by_suite"],
        "eval_suites_checked": len(card["contamination"]["suites_checked"]),
        "eval_prompts_checked": card["contamination"]["n_eval_prompts"],
        "sha256_file": card["sha256"]["file"],
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_1min": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
        },
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{seconds:.2f} s ({cpu:.2f} s CPU) for {card['n_examples']:,} rows -> {args.out}")
    print(json.dumps(result, indent=2))
    tmp.cleanup()


if __name__ == "__main__":
    main()
