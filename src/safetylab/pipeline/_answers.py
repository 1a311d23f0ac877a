"""The tidy per-answer table of a study: one row per (cell, prompt), each judge's label a column,
written as ``answers.csv`` and ``answers.parquet`` (the same rows; parquet keeps the types).

Columns: cell, strategy, N, seed, base_model, cell_id, suite, source (``bundled`` or the public
set a prompt comes from: ``xstest``, ``advbench``, ...), category, transform, prompt, answer,
then one column per judge and version (``refusal@4``, ``strmatch@1``, ...; a cell judged again
by a newer judge version keeps the older column).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safetylab.records import Prompt
from safetylab.store import read_jsonl, write_bytes, write_text


def source_of(p: Prompt) -> str:
    """``bundled`` for the bundled sets' items, else the public set's name (``xstest:…``)."""
    return p.source_id.split(":", 1)[0] if ":" in p.source_id else "bundled"


def answer_rows(prompts: list[Prompt], cells: list[tuple[Any, Path]]) -> list[dict[str, Any]]:
    """Rows for every finished cell (in cell order, then prompt order)."""
    by_id = {p.id: p for p in prompts}
    out: list[dict[str, Any]] = []
    for cell, d in cells:
        gpath, jpath = d / "generations.jsonl", d / "judgments.jsonl"
        if not gpath.exists():
            continue
        labels: dict[str, dict[str, str]] = {}
        if jpath.exists():
            for j in read_jsonl(jpath):
                labels.setdefault(j["generation_id"], {})[j["judge"]] = j["label"]
        gens = {g["prompt_id"]: g for g in read_jsonl(gpath)}
        for p in prompts:
            g = gens.get(p.id)
            if g is None or p.id not in by_id:
                continue
            out.append({"cell": cell.label, "strategy": cell.strategy, "N": cell.n,
                        "seed": cell.seed, "base_model": cell.model, "cell_id": cell.id,
                        "suite": p.suite, "source": source_of(p), "category": p.category,
                        "transform": p.transform,
                        "prompt": p.text, "answer": g["text"],
                        **labels.get(g["id"], {})})  # fmt: skip
    return out


def write_answers(path: Path, prompts: list[Prompt], cells: list[tuple[Any, Path]]) -> int:
    """Write ``answers.csv`` at ``path`` and ``answers.parquet`` beside it; returns the number of
    rows. A study with no finished cell writes an empty CSV and no parquet file."""
    import io

    import pandas as pd

    rows = answer_rows(prompts, cells)
    df = pd.DataFrame(rows)
    write_text(path, df.to_csv(index=False) if rows else "")
    pq = path.with_suffix(".parquet")
    if rows:
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        write_bytes(pq, buf.getvalue())
    else:
        pq.unlink(missing_ok=True)
    return len(rows)
