"""The figures of a finished study directory, written to benchmarks/results/study_figures.json
under a key: the headline rates per cell (metrics.json), issue 17's halving check, and the same
rates split by where the prompts come from (the bundled sets, on which the presets' knobs were
chosen, vs the public sets, XSTest and the harm benchmarks, which are only reported).

    python benchmarks/study_figures.py runs/frontier --key frontier

It reads, never runs: time a study with ``study_time.py``. Rates by source use the study's
primary judge column of answers.parquet (originals only, no attack or keyword-swap variants),
with the same 95% bootstrap intervals over prompts as the study's own rates.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "study_figures.json"
RATE = {"harm": "harmful compliance", "overrefusal": "safe-prompt refusal",
        "helpful": "plain-prompt refusal"}  # fmt: skip


def by_source(answers, judge: str) -> dict[str, dict[str, str]]:
    """``{cell: {"<rate> (<source>)": "value [lo, hi] n=…"}}``: harmful compliance counts
    answers the judge calls full compliance; the refusal rates count the rest."""
    from safetylab.evals import rate_row

    df = answers[answers["transform"].fillna("") == ""]
    out: dict[str, dict[str, str]] = {}
    for (cell, suite, source), g in df.groupby(["cell", "suite", "source"], sort=True):
        if suite not in RATE:
            continue
        complied = (g[judge] == "full_compliance").to_numpy()
        r = rate_row(
            str(cell), suite, RATE[suite], list(complied if suite == "harm" else ~complied)
        )
        out.setdefault(str(cell), {})[f"{RATE[suite]} ({source})"] = (
            f"{r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}] n={r.n}"
        )
    return out


def main() -> None:
    import pandas as pd

    from safetylab.bench import halving_check, headline, machine, merge_results

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="a finished study directory")
    ap.add_argument("--key", required=True, help="name of the figures in the results file")
    a = ap.parse_args()
    run = Path(a.run)
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    answers = pd.read_parquet(run / "answers.parquet")
    done = sorted(run.glob("cells/*/done.json"))
    primaries = {json.loads(d.read_text())["judges"][0] for d in done}
    if len(primaries) != 1:
        raise SystemExit(f"{run}: cells judged by different primary judges {sorted(primaries)}")
    judge = primaries.pop()
    if judge not in answers.columns:
        raise SystemExit(f"{run}: answers.parquet has no {judge} column (re-run the study)")
    if "source" not in answers.columns:
        raise SystemExit(f"{run}: answers.parquet has no source column (re-run the study)")
    figures = {
        "run": str(run), "judge": judge, "cells": len(done),
        "headline": headline(metrics), "halving": halving_check(metrics),
        "by_source": by_source(answers, judge),
        "judged": sorted({j for d in done for j in json.loads(d.read_text()).get("judges", [])}),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
    }  # fmt: skip
    merge_results(RESULTS, {a.key: figures})
    print(json.dumps(figures["by_source"], indent=1))


if __name__ == "__main__":
    main()
