"""Read any run directory (demo, eval, study) into one tidy table: one row per answer.

import safetylab
df = safetylab.load_run("runs/demo")          # run, model, cell, strategy, N, seed, suite, ...
df[df["label_strmatch-plus"] == "full_refusal"]

A study directory (``cells/<cell id>/`` run dirs) gives one row per answer of every cell.
Optional files and columns (mixtures.json, config keys, scores) may be missing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from safetylab.errors import SafetylabError
from safetylab.store import read_jsonl

#: Fixed columns of ``load_run``'s table, in order; then ``label_<judge>`` / ``score_<judge>``.
COLUMNS = [
    "run",
    "model",
    "cell",
    "strategy",
    "N",
    "seed",
    "suite",
    "category",
    "transform",
    "prompt_label",
    "prompt",
    "answer",
    "prompt_id",
    "parent_id",
    "generation_id",
]
_ANSWER_TABLES = ("answers.parquet", "answers.csv", "answers.jsonl")
_N_KEYS = ("N", "n_safety")
_MODEL_N = re.compile(r"^(?P<strategy>.*?)-(?P<n>\d+)$")


def judge_columns(df: pd.DataFrame) -> list[str]:
    """Judge names that have a ``label_<judge>`` column, in column order."""
    return [c[len("label_") :] for c in df.columns if c.startswith("label_")]


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        obj = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return {}
    return obj if isinstance(obj, dict) else {}


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SafetylabError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None


def _find(meta: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The first of ``keys`` at the top level of ``meta`` or one level down (e.g. ``cell:``)."""
    for k in keys:
        if k in meta and not isinstance(meta[k], dict | list):
            return meta[k]
    for v in meta.values():
        if isinstance(v, dict):
            for k in keys:
                if k in v and not isinstance(v[k], dict | list):
                    return v[k]
    return None


def _num(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    return x


def is_run_dir(path: Path) -> bool:
    return (path / "generations.jsonl").is_file()


def _judge_name(full: str, all_names: set[str]) -> str:
    """``strmatch-plus@1`` -> ``strmatch-plus`` unless two versions of one judge are present."""
    short = full.split("@", 1)[0]
    same = [n for n in all_names if n.split("@", 1)[0] == short]
    return short if len(same) == 1 else full


def _load_dir(
    path: Path, run: str, cell: str = "", meta: dict[str, Any] | None = None
) -> pd.DataFrame:
    """One run directory (demo or eval or one study cell) as a table."""
    prompts = (
        {p["id"]: p for p in read_jsonl(path / "prompts.jsonl")}
        if (path / "prompts.jsonl").is_file()
        else {}
    )
    gens = read_jsonl(path / "generations.jsonl")
    judg = read_jsonl(path / "judgments.jsonl") if (path / "judgments.jsonl").is_file() else []
    cfg = _read_yaml(path / "config.resolved.yaml")
    cell_json = _read_json(path / "cell.json") if cell else None  # a study cell: model, strategy, n
    if isinstance(cell_json, dict) and "n" in cell_json:
        cell_json = {**cell_json, "N": cell_json["n"]}
    meta = {**cfg, **(cell_json if isinstance(cell_json, dict) else {}), **(meta or {})}
    mix = _read_json(path / "mixtures.json") or {}
    seed = _num(_find(meta, ("seed",)))
    strategy = _find(meta, ("strategy",))
    n_cfg = _num(_find(meta, _N_KEYS))
    names = {str(j.get("judge", "")) for j in judg}
    by_gen: dict[str, dict[str, Any]] = {}
    for j in judg:
        col = _judge_name(str(j.get("judge", "")), names)
        d = by_gen.setdefault(str(j.get("generation_id", "")), {})
        d[f"label_{col}"] = j.get("label") or ""
        d[f"score_{col}"] = _num(j.get("score"))
    rows = []
    for g in gens:
        p = prompts.get(g.get("prompt_id", ""), {})
        model = str(g.get("model", ""))
        m = _MODEL_N.match(model)
        n = _num(mix[model].get("n_safety")) if isinstance(mix.get(model), dict) else n_cfg
        if math.isnan(n) and m:
            n = float(m.group("n"))
        strat = strategy if strategy is not None else (m.group("strategy") if m else "")
        rows.append(
            {
                "run": run,
                "model": model,
                "cell": cell,
                "strategy": str(strat),
                "N": n,
                "seed": seed,
                "suite": p.get("suite", ""),
                "category": p.get("category", ""),
                "transform": p.get("transform", ""),
                "prompt_label": p.get("label", ""),
                "prompt": p.get("text", ""),
                "answer": g.get("text", ""),
                "prompt_id": g.get("prompt_id", ""),
                "parent_id": p.get("parent_id", ""),
                "generation_id": g.get("id", ""),
                **by_gen.get(str(g.get("id", "")), {}),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS) if not rows else pd.DataFrame(rows)


def _load_answer_table(path: Path, run: str) -> pd.DataFrame:
    """A study's tidy answers table (used when its cells hold no run files)."""
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    elif path.suffix == ".csv":
        df = pd.read_csv(path, keep_default_na=False)
    else:
        df = pd.DataFrame(read_jsonl(path))
    df = df.rename(columns={"response": "answer", "text": "prompt", "n": "N", "n_safety": "N"})
    if "cell_id" in df.columns:  # `safetylab study`'s table: cell = the label, cell_id = the id
        if "model" not in df.columns:
            df["model"] = df["cell"]
        df["cell"] = df["cell_id"]
    judges = {c: c.split("@", 1)[0] for c in df.columns if "@" in c}  # "strmatch@1": labels
    if len(set(judges.values())) < len(judges):
        judges = {c: c for c in judges}
    df = df.rename(columns={c: f"label_{j}" for c, j in judges.items()})
    df["run"] = run
    if "model" not in df.columns and {"strategy", "N"} <= set(df.columns):
        df["model"] = df["strategy"].astype(str) + "-" + df["N"].astype(str)
    return df


def study_of(dirs: Sequence[Path]) -> Path | None:
    """The study folder when every one of ``dirs`` is a cell of it (``<study>/cells/<id>``)."""
    parents = {d.resolve().parent for d in dirs}
    if len(parents) != 1 or (p := parents.pop()).name != "cells":
        return None
    study = p.parent
    marks = ("metrics.json", "cells.json", "config.resolved.yaml")
    return study if any((study / m).is_file() for m in marks) else None


def load_cells(study: Path, cells: Sequence[Path], run: str | None = None) -> pd.DataFrame:
    """The answers of some cells of a study, as ``load_run`` gives a whole study's."""
    name = run or study.resolve().name
    frames = [_load_dir(c, name, cell=c.name) for c in cells]
    return _normalise(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def _study_cells(path: Path) -> list[Path]:
    cells = path / "cells"
    if not cells.is_dir():
        return []
    return sorted(c for c in cells.iterdir() if c.is_dir() and is_run_dir(c))


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = math.nan if c in ("N", "seed") else ""
    for c in ("N", "seed"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    judges = [c for c in df.columns if c.startswith("label_")]
    for c in judges:
        df[c] = df[c].fillna("").astype(str)
        s = "score_" + c[len("label_") :]
        df[s] = pd.to_numeric(df[s], errors="coerce") if s in df.columns else math.nan
    text = [c for c in COLUMNS if c not in ("N", "seed")]
    df[text] = df[text].fillna("").astype(str)
    rest = [c for c in df.columns if c not in COLUMNS]
    lab = [x for c in rest if c.startswith("label_") for x in (c, "score_" + c[len("label_") :])]
    other = [c for c in rest if c not in lab]
    return df[COLUMNS + lab + other].reset_index(drop=True)


def load_run(path: str | Path, *, run: str | None = None) -> pd.DataFrame:
    """One row per answer of a demo, eval or study directory.

    Columns: run, model, cell, strategy, N, seed, suite, category, transform, prompt_label,
    prompt, answer, prompt_id, parent_id, generation_id, then ``label_<judge>`` and
    ``score_<judge>`` for each judge (the version is dropped unless two versions are present).
    """
    p = Path(path)
    if not p.is_dir():
        raise SafetylabError(f"{p}: no such run directory")
    name = run or p.resolve().name
    if is_run_dir(p):
        df = _load_dir(p, name)
    elif cells := _study_cells(p):
        return load_cells(p, cells, name)
    elif tables := [p / t for t in _ANSWER_TABLES if (p / t).is_file()]:
        df = _load_answer_table(tables[0], name)
    else:
        raise SafetylabError(
            f"{p}: not a run directory (no generations.jsonl, cells/ or answers table)"
        )
    return _normalise(df)


def run_names(paths: list[Path]) -> list[str]:
    """Distinct display names for run dirs: the folder name, its parent added on a clash."""
    names = [p.resolve().name for p in paths]
    out = []
    for p, n in zip(paths, names, strict=True):
        if names.count(n) > 1:
            n = f"{p.resolve().parent.name}/{n}"
        out.append(n)
    if len(set(out)) != len(out):
        out = [str(p) for p in paths]
    return out


def load_runs(paths: Sequence[str | Path]) -> pd.DataFrame:
    """``load_run`` over several directories, concatenated (judge columns unioned)."""
    ps = [Path(p) for p in paths]
    frames = [load_run(p, run=n) for p, n in zip(ps, run_names(ps), strict=True)]
    return (
        _normalise(pd.concat(frames, ignore_index=True)) if frames else _normalise(pd.DataFrame())
    )


def load_metrics(path: str | Path, *, run: str | None = None) -> pd.DataFrame:
    """The metric rows of a run or study directory (model, suite, metric, value, ci_low,
    ci_high, n, plus any extra fields such as seed), with a ``run`` column."""
    p = Path(path)
    name = run or p.resolve().name
    files = [p / "metrics.json"] if (p / "metrics.json").is_file() else []
    if not files:
        files = [c / "metrics.json" for c in _study_cells(p) if (c / "metrics.json").is_file()]
    rows: list[dict[str, Any]] = []
    for f in files:
        obj = _read_json(f)
        if isinstance(obj, dict):  # {"rows": [...]} wrappers
            obj = next((v for v in obj.values() if isinstance(v, list)), [])
        if not isinstance(obj, list):
            raise SafetylabError(f"{f}: expected a JSON list of metric rows")
        rows += [r for r in obj if isinstance(r, dict) and {"model", "suite", "metric"} <= set(r)]
    df = pd.DataFrame(rows)
    for c, default in (("value", math.nan), ("ci_low", math.nan), ("ci_high", math.nan), ("n", 0)):
        if c not in df.columns:
            df[c] = default
    for c in ("model", "suite", "metric"):
        if c not in df.columns:
            df[c] = ""
    df["run"] = name
    return df
