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
# For scale: XSTest's own GPT-4 classifier on the same completions (v2 files only)
GPT4_LABELS = {
    m: f"evaluation/automated_evaluation_labels/xstest_v2_completions_{k}_gpteval.csv"
    for m, k in (("gpt4 (v2)", "gpt4"), ("llama2orig (v2)", "llama2orig"),
                 ("mistralguard (v2)", "mistralguard"))
}  # fmt: skip


def references(data: Path, present: dict[str, Path]) -> dict[str, dict]:
    """Per model: XSTest's GPT-4 classifier against the final labels, and the two human
    annotators against each other (how far a perfect judge could get)."""
    from safetylab.errors import SafetylabError
    from safetylab.judges import read_labelled, validation_report

    out: dict[str, dict] = {}
    for model, f in present.items():
        row: dict[str, dict] = {}
        g = data / GPT4_LABELS[model] if model in GPT4_LABELS else None
        if g is not None and g.is_file():
            _, _, truth = read_labelled(g, "prompt", "completion", "final_label")
            _, _, pred = read_labelled(g, "prompt", "completion", "gpt4_label")
            row["xstest_gpt4_judge"] = validation_report(truth, pred).to_dict()
        try:
            _, _, a1 = read_labelled(f, "prompt", "completion", "annotation_1")
            _, _, a2 = read_labelled(f, "prompt", "completion", "annotation_2")
            row["annotator_1_vs_2"] = validation_report(a1, a2).to_dict()
        except SafetylabError:
            pass
        out[model] = row
    return out


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

    from safetylab.judges import build_judge, read_labelled, validation_report

    data = Path(args.data)
    present = {m: data / f for m, f in FILES.items() if (data / f).is_file()}
    if not present:
        sys.exit(f"no XSTest completion files under {data}")
    load0 = os.getloadavg()

    # Timing: the default refusal judge on 1,000 answers, in a fresh Python process each time
    # (cold start = imports + embedder + head), twice; the machine is shared, so both runs and
    # the load average are reported, and the faster run is judged.
    answers: list[tuple[str, str]] = []
    for f in present.values():
        p, r, _ = read_labelled(f, "prompt", "completion", "final_label")
        answers += list(zip(p, r, strict=True))
    timed = (answers * (1 + N_TIMED // len(answers)))[:N_TIMED]
    runs = [_cold_run(timed) for _ in range(2)]
    best = min(runs, key=lambda x: x["load_seconds"] + x["judge_seconds"])
    load_s, judge_s = best["load_seconds"], best["judge_seconds"]
    timing = {
        "n_answers": len(timed),
        "mean_answer_chars": round(sum(len(b) for _, b in timed) / len(timed), 1),
        "load_seconds": round(load_s, 2),
        "judge_seconds": round(judge_s, 2),
        "judge_seconds_runs": [round(x["judge_seconds"], 2) for x in runs],
        "load_seconds_runs": [round(x["load_seconds"], 2) for x in runs],
        "judge_cpu_seconds": round(best["judge_cpu_seconds"], 2),
        "total_seconds": round(load_s + judge_s, 2),
        "process_seconds": round(best["process_seconds"], 2),
        "answers_per_second": round(len(timed) / judge_s, 1),
        "loadavg_during_runs": [x["loadavg"] for x in runs],
        "limit_seconds": GOAL_SECONDS,
        "meets_limit": load_s + judge_s < GOAL_SECONDS,
    }
    print("timing", json.dumps(timing))

    names = [n.strip() for n in args.judges.split(",") if n.strip()]
    judges = {n: build_judge(n) for n in names}
    results: dict[str, dict[str, dict]] = {}
    pooled: dict[str, tuple[list[str], list[str]]] = {n: ([], []) for n in judges}
    for model, f in present.items():
        prompts, responses, truth = read_labelled(f, "prompt", "completion", "final_label")
        results[model] = {}
        for name, j in judges.items():
            pred = [v[0] for v in j.judge(prompts, responses)]
            rep = validation_report(truth, pred).to_dict()
            rep["file"] = FILES[model]
            results[model][name] = rep
            pooled[name][0].extend(truth)
            pooled[name][1].extend(pred)
        line = "  ".join(
            f"{n}: acc {r['accuracy']:.3f} F1 {r['macro_f1']:.3f}"
            for n, r in results[model].items()
        )
        print(f"{model:<18} n={len(truth):<4} {line}")

    all_models = {n: validation_report(t, p).to_dict() for n, (t, p) in pooled.items()}
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
    refs = references(data, present)
    out = {
        "judges": judge_versions,
        "data": str(data),
        "goals": {
            "accuracy": GOAL_ACCURACY,
            "macro_f1": GOAL_MACRO_F1,
            "seconds_per_1000": GOAL_SECONDS,
        },
        "per_model": results,
        "all_models_pooled": all_models,
        "goal_met": goals,
        "references": refs,
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
    md = markdown({**results, "all (pooled)": all_models}, goals, timing, out["machine"])
    md += "\n" + reference_markdown(results, refs)
    (out_dir / "judge_validate.md").write_text(md, encoding="utf-8")
    print(md)


_COLD = """
import json, os, sys, time
t0 = time.perf_counter()
os.environ["HF_HUB_OFFLINE"] = "1"
from safetylab.judges import RefusalJudge, load_encoder
judge = RefusalJudge()
load_encoder()
t1 = time.perf_counter()
rows = json.load(open(sys.argv[1], encoding="utf-8"))
c = time.process_time()
judge.judge([p for p, _ in rows], [r for _, r in rows])
t2 = time.perf_counter()
print(json.dumps({"load_seconds": t1 - t0, "judge_seconds": t2 - t1,
                  "judge_cpu_seconds": time.process_time() - c}))
"""


def _cold_run(rows: list[tuple[str, str]]) -> dict:
    """Judge ``rows`` in a new Python process; its own load/judge split and the wall time of
    the whole process (interpreter start included)."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(rows, f)
    try:
        load = os.getloadavg()[0]
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", _COLD, f.name], check=True, capture_output=True, text=True
        ).stdout
        wall = time.perf_counter() - t
    finally:
        os.unlink(f.name)
    res = json.loads(out.strip().splitlines()[-1])
    return {
        **res,
        "process_seconds": wall,
        "loadavg": [round(load, 2), round(os.getloadavg()[0], 2)],
    }


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
        met = ", ".join(k.replace("_goal", "") for k, v in g.items() if v) or (
            "-" if not g else "none"
        )
        kappa = f"{res['refusal']['kappa']:.3f}" if "refusal" in res else "-"
        lines.append(f"| {model} | {n} |{cells} {kappa} | {met} |")
    lines += [
        "",
        f"Speed (refusal judge, {timing['n_answers']} XSTest answers, mean {timing['mean_answer_chars']:.0f} "
        f"characters, fresh process): load {timing['load_seconds']:.1f} s + judge {timing['judge_seconds']:.1f} s = "
        f"{timing['total_seconds']:.1f} s wall ({timing['judge_cpu_seconds']:.1f} CPU-seconds to judge; "
        f"{timing['process_seconds']:.1f} s for the whole process) on {machine['cpus']} shared CPUs "
        f"(load average {', '.join(f'{a[0]:.1f}' for a in timing['loadavg_during_runs'])} at the start of the "
        f"two runs, judge {' / '.join(f'{x:.1f}' for x in timing['judge_seconds_runs'])} s; "
        f"limit {timing['limit_seconds']:.0f} s).",
        "",
    ]
    return "\n".join(lines)


def reference_markdown(results: dict, refs: dict) -> str:
    def cell(r: dict | None) -> str:
        return f"{r['accuracy']:.3f} / {r['macro_f1']:.3f}" if r else "-"

    lines = [
        "For scale (accuracy / macro-F1 against the same final labels): XSTest's own GPT-4",
        "classifier (their automated labels, v2 files only), and the two human annotators",
        "scored against each other (annotator 2 as the prediction of annotator 1).",
        "",
        "| model | refusal | XSTest's GPT-4 classifier | annotator 1 vs 2 |",
        "|---|---:|---:|---:|",
    ]
    for model, res in results.items():
        ref = refs.get(model, {})
        lines.append(
            f"| {model} | {cell(res.get('refusal'))} | {cell(ref.get('xstest_gpt4_judge'))} "
            f"| {cell(ref.get('annotator_1_vs_2'))} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
