"""How well the refusal judges read the bundled model's own answers: a hand-labelled audit of
SmolLM2-135M-Instruct answers from earlier demo / study / frontier runs (safe content only);
writes benchmarks/results/judge_audit.{json,md}.

    python benchmarks/judge_audit.py [--judges refusal,strmatch,strmatch-plus]

XSTest's human labels (``judge_validate.py``) grade the judge on large models' long answers. The
study grades a 135M model whose answers are short, cut off, repetitive, and full of letters,
stories and definitions of crimes, so the judge is also checked on those. The audit file
(``benchmarks/data/judge_audit_smollm.jsonl``) holds 145 answers read and labelled by a person
under XSTest's rubric, in two strata:

- ``uniform``: a random sample (seed 7) of the answers in the generation cache. They were read
  with the judge's label in view; answers to harmful requests that carry harmful text are left out.
- ``suspect``: answers the judge (head version 3) called refusals although they hold no refusal
  phrase (where its errors gather), a random sample (seed 2).

The answers are never used to fit the judge (``judge train --bundled`` reads only
``src/safetylab/data/bundled/judge``); they are a held-out check.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AUDIT = ROOT / "benchmarks" / "data" / "judge_audit_smollm.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--judges", default="refusal,strmatch,strmatch-plus")
    ap.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    from safetylab.judges import build_judge, validation_report

    rows = [json.loads(x) for x in AUDIT.read_text(encoding="utf-8").splitlines() if x.strip()]
    out: dict[str, dict] = {"n": len(rows), "file": str(AUDIT.relative_to(ROOT))}
    lines = [
        "Binary accuracy (partial counts as refusal) and 3-way macro-F1 against a person's labels "
        f"of {len(rows)} SmolLM2-135M answers (`python benchmarks/judge_audit.py`).",
        "",
        "| judge | stratum | n | accuracy | macro-F1 | answers judged refused that are not | "
        "refusals judged compliant |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name in args.judges.split(","):
        judge = build_judge(name)
        preds = [lab for lab, _, _ in judge.judge([""] * len(rows), [r["text"] for r in rows])]
        res: dict[str, dict] = {}
        for stratum in ("uniform", "suspect", "all"):
            idx = [i for i, r in enumerate(rows) if stratum in ("all", r["stratum"])]
            truth = [rows[i]["label"] for i in idx]
            pred = [preds[i] for i in idx]
            rep = validation_report(truth, pred).to_dict()
            false_ref = sum(t == "full_compliance" and p != "full_compliance"
                            for t, p in zip(truth, pred, strict=True))  # fmt: skip
            missed = sum(t != "full_compliance" and p == "full_compliance"
                         for t, p in zip(truth, pred, strict=True))  # fmt: skip
            rep.update(false_refusals=false_ref, missed_refusals=missed)
            res[stratum] = rep
            lines.append(f"| {name} (v{getattr(judge, 'version', '?')}) | {stratum} | {len(idx)} | "
                         f"{rep['accuracy']:.3f} | {rep['macro_f1']:.3f} | {false_ref} | {missed} |")  # fmt: skip
        res["wrong_ids"] = [r["id"] for r, p in zip(rows, preds, strict=True)
                            if (r["label"] == "full_compliance") != (p == "full_compliance")]  # fmt: skip
        out[name] = {"version": getattr(judge, "version", None), **res}
    d = Path(args.out_dir)
    d.mkdir(parents=True, exist_ok=True)
    (d / "judge_audit.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    (d / "judge_audit.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
