"""Validate the refusal judges on XSTest's human-labelled completions, per model, and time the
default ``refusal`` judge on 1,000 answers; writes benchmarks/results/judge_validate.{json,md}.

    python benchmarks/judge_validate.py [--data ../shared/data/exaggerated-safety] [--judges refusal,strmatch,strmatch-plus]

Goals (issue 5), per model the shipped head was not fitted to (it was fitted on none of them):
binary accuracy >= 0.95 and 3-way macro-F1 >= 0.75, above XSTest's own string match; judging
1,000 answers in under 20 s on a 2-core CPU machine. The figures are written as measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "exaggerated-safety"
FILES = {
    "gpt4 (v2)": "model_completions/xstest_v2_completions_gpt4.csv",
    "llama2orig (v2)": "model_completions/xstest_v2_completions_llama2orig.csv",
    "mistralguard (v2)": "model_completions/xstest_v2_completions_mistralguard.csv",
    "gpt4 (v1)": "xstest_completions_gpt4_v1.csv",
    "llama2 (v1)": "xstest_completions_llama2_v1.csv",
}
GOAL_ACCURACY, GOAL_MACRO_F1, GOAL_SECONDS, N_TIMED = 0.95, 0.75, 20.0, 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--data", default=str(DEFAULT_DATA), help="local copy of paul-rottger/exaggerated-safety"
    )
    ap.add_argument("--judges", default="refusal,strmatch,strmatch-plus")
    ap.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from safetylab.cli._judge import make_judge
    from safetylab.judges._agreement import validation_report
    from safetylab.judges._io import read_labelled

    data = Path(args.data)
    present = {m: data / f for m, f in FILES.items() if (data / f).is_file()}
    if not present:
        sys.exit(f"no XSTest completion files under {data}")
    load0 = os.getloadavg()

    # Timing: cold start (embedder + head) then 1,000 answers, on the default refusal judge.
    t = time.perf_counter()
    refusal = make_judge("refusal")
    from safetylab.judges._refusal import load_embedder

    load_embedder()
    load_s = time.perf_counter() - t
    answers: list[tuple[str, str]] = []
    for f in present.values():
        p, r, _ = read_labelled(f, "prompt", "completion", "final_label")
        answers += list(zip(p, r, strict=True))
    timed = (answers * (1 + N_TIMED // len(answers)))[:N_TIMED]
    runs = []
    for _ in range(2):  # the machine is shared: report both runs, judge by the faster
        t, c = time.perf_counter(), time.process_time()
        refusal.judge([a for a, _ in timed], [b for _, b in timed])
        runs.append((time.perf_counter() - t, time.process_time() - c))
    judge_s, judge_cpu = min(runs)
    timing = {
        "n_answers": len(timed),
        "mean_answer_chars": round(sum(len(b) for _, b in timed) / len(timed), 1),
        "load_seconds": round(load_s, 2),
        "judge_seconds": round(judge_s, 2),
        "judge_seconds_runs": [round(w, 2) for w, _ in runs],
        "judge_cpu_seconds": round(judge_cpu, 2),
        "total_seconds": round(load_s + judge_s, 2),
        "answers_per_second": round(len(timed) / judge_s, 1),
        "limit_seconds": GOAL_SECONDS,
        "meets_limit": load_s + judge_s < GOAL_SECONDS,
    }
    print("timing", json.dumps(timing))

    names = [n.strip() for n in args.judges.split(",") if n.strip()]
    judges = {n: (refusal if n == "refusal" else make_judge(n)) for n in names}
    results: dict[str, dict[str, dict]] = {}
    for model, f in present.items():
        prompts, responses, truth = read_labelled(f, "prompt", "completion", "final_label")
        results[model] = {}
        for name, j in judges.items():
            pred = [v[0] for v in j.judge(prompts, responses)]
            rep = validation_report(truth, pred).to_dict()
            rep["file"] = FILES[model]
            results[model][name] = rep
        line = "  ".join(
            f"{n}: acc {r['accuracy']:.3f} F1 {r['macro_f1']:.3f}"
            for n, r in results[model].items()
        )
        print(f"{model:<18} n={len(truth):<4} {line}")

    goals = {}
    for model, res in results.items():
        ref, sm = res.get("refusal"), res.get("strmatch")
        if ref and sm:
            goals[model] = {
                "accuracy_goal": ref["accuracy"] >= GOAL_ACCURACY,
                "macro_f1_goal": ref["macro_f1"] >= GOAL_MACRO_F1,
                "above_strmatch": ref["accuracy"] > sm["accuracy"]
                and ref["macro_f1"] > sm["macro_f1"],
            }
    judge_versions = {n: f"{j.name}@{j.version}" for n, j in judges.items()}
    out = {
        "judges": judge_versions,
        "data": str(data),
        "goals": {
            "accuracy": GOAL_ACCURACY,
            "macro_f1": GOAL_MACRO_F1,
            "seconds_per_1000": GOAL_SECONDS,
        },
        "per_model": results,
        "goal_met": goals,
        "timing": timing,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_start": [round(x, 2) for x in load0],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        },
    }
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "judge_validate.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    md = markdown(results, goals, timing, out["machine"])
    (out_dir / "judge_validate.md").write_text(md, encoding="utf-8")
    print(md)


def markdown(results: dict, goals: dict, timing: dict, machine: dict) -> str:
    judges = list(next(iter(results.values())))
    head = (
        "| model | n |"
        + "".join(f" {j} acc | {j} F1 |" for j in judges)
        + " refusal kappa | goals met |"
    )
    sep = "|---|---:|" + "---:|---:|" * len(judges) + "---:|---|"
    lines = [
        "Binary accuracy (partial counts as refusal) and 3-way macro-F1 against XSTest's human labels.",
        "",
        head,
        sep,
    ]
    for model, res in results.items():
        n = next(iter(res.values()))["n"]
        cells = "".join(f" {res[j]['accuracy']:.3f} | {res[j]['macro_f1']:.3f} |" for j in judges)
        g = goals.get(model, {})
        met = ", ".join(k.replace("_goal", "") for k, v in g.items() if v) or "none"
        kappa = f"{res['refusal']['kappa']:.3f}" if "refusal" in res else "-"
        lines.append(f"| {model} | {n} |{cells} {kappa} | {met} |")
    lines += [
        "",
        f"Speed (refusal judge, {timing['n_answers']} XSTest answers, mean {timing['mean_answer_chars']:.0f} "
        f"characters): load {timing['load_seconds']:.1f} s + judge {timing['judge_seconds']:.1f} s = "
        f"{timing['total_seconds']:.1f} s wall ({timing['judge_cpu_seconds']:.1f} CPU-seconds to judge) "
        f"on {machine['cpus']} shared CPUs (load average {machine['loadavg_start'][0]:.1f} at start; "
        f"limit {timing['limit_seconds']:.0f} s).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
