"""Read labelled or unlabelled answer files (CSV, JSON, JSONL) and normalise refusal labels.

from safetylab.judges._io import normalize_label, read_table
rows = read_table("xstest_v2_completions_gpt4.csv").rows
normalize_label("2_full_refusal")   # -> "full_refusal"

Files are read by the one user-file reader (``data._userfile``, as ``data show`` and ``train``
read them); bad input is reported as one line that names the file and line.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.records import LABELS

log = logging.getLogger(__name__)

FORMATS = (".csv", ".json", ".jsonl")

# Accepted spellings (lower-cased, stripped) -> our label. XSTest writes "1_full_compliance" etc.
_LABEL_ALIASES: dict[str, str] = {}
for _i, _lab in enumerate(LABELS, 1):
    for _alias in (_lab, f"{_i}_{_lab}", _lab.replace("_", " "), str(_i)):
        _LABEL_ALIASES[_alias] = _lab
_LABEL_ALIASES.update(
    {"compliance": "full_compliance", "refusal": "full_refusal", "partial": "partial_refusal"}
)


@dataclass(frozen=True)
class Table:
    """Rows read from one file."""

    path: Path  #: the file read
    columns: list[str]  #: column names in file order (union over rows for JSON/JSONL)
    rows: list[dict[str, Any]]  #: one dict per row, keyed by column name
    where: list[str] = field(default_factory=list)  #: "file:line" of each row, when known

    def column(self, name: str) -> list[str]:
        """The values of one column as text (missing or null cells become ""); a list or an
        object in the column is a SafetylabError naming its row."""
        out = []
        for i, r in enumerate(self.rows):
            v = r.get(name)
            if isinstance(v, (list, dict)):
                at = self.where[i] if i < len(self.where) else f"{self.path}: row {i + 1}"
                raise SafetylabError(f"{at}: column {name!r} is {type(v).__name__}, expected text")
            out.append(_cell_text(v))
        return out

    def require(self, *names: str, option: str = "") -> None:
        """Raise a SafetylabError naming the missing column(s) and the columns found."""
        missing = [n for n in names if n not in self.columns]
        if missing:
            found = ", ".join(self.columns) or "none"
            hint = f" (set {option})" if option else ""
            raise SafetylabError(
                f"{self.path}: no column {', '.join(repr(m) for m in missing)}{hint}; "
                f"columns found: {found}"
            )


def _cell_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return v if isinstance(v, str) else str(v)


def read_table(path: str | Path, *, skip_bad_rows: bool = False) -> Table:
    """Rows of a CSV (header row), JSON (a list of objects) or JSONL (one object a line) file,
    read by the one user-file reader (``data._userfile``): a malformed row (bad JSON, wrong
    field count, bytes that are not UTF-8) is a ``file:line: reason`` error, or with
    ``skip_bad_rows`` skipped, counted and reported in one warning."""
    from safetylab.data import csv_header, iter_rows

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        raise SafetylabError(
            f"{p}: unsupported file type {suffix or '(none)'!r}; use .csv, .json or .jsonl"
        )
    if not p.is_file():
        raise SafetylabError(f"{p}: file not found")
    rows: list[dict[str, Any]] = []
    where: list[str] = []
    bad: list[str] = []
    for raw in iter_rows(p):
        if raw.data is not None:
            rows.append(raw.data)
            where.append(raw.where)
        elif skip_bad_rows:
            bad.append(f"{raw.where}: {raw.error}")
        else:
            raise SafetylabError(f"{raw.where}: {raw.error} (or pass --skip-bad-rows)")
    if bad:
        log.warning("%s: %d malformed row(s) skipped, the first: %s", p, len(bad), bad[0])
    columns = csv_header(p) if suffix == ".csv" else _columns(rows)
    return Table(p, columns, rows, where)


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)


def normalize_label(value: Any, *, where: str = "") -> str:
    """Our label for ``value`` ("2_full_refusal", "full refusal", "refusal", 2 -> "full_refusal")."""
    key = _cell_text(value).strip().lower().replace("-", "_")
    key = " ".join(key.split())
    if key in _LABEL_ALIASES:
        return _LABEL_ALIASES[key]
    if key.replace(" ", "_") in _LABEL_ALIASES:
        return _LABEL_ALIASES[key.replace(" ", "_")]
    if key.endswith(".0") and key[:-2] in _LABEL_ALIASES:  # pandas wrote 2 as 2.0
        return _LABEL_ALIASES[key[:-2]]
    at = f"{where}: " if where else ""
    raise SafetylabError(
        f"{at}unknown label {value!r}; use one of {', '.join(LABELS)} "
        "(or XSTest's 1_full_compliance, 2_full_refusal, 3_partial_refusal)"
    )


def read_labelled(
    path: str | Path,
    prompt_col: str,
    response_col: str,
    label_col: str,
    *,
    skip_bad_rows: bool = False,
) -> tuple[list[str], list[str], list[str]]:
    """(prompts, responses, labels) of a labelled file; labels normalised to ours.

    ``prompt_col`` may be "" for files without prompts (every prompt is then "")."""
    t = read_table(path, skip_bad_rows=skip_bad_rows)
    if response_col == "response" and "response" not in t.columns and "answer" in t.columns:
        response_col = "answer"  # a labels file downloaded from `safetylab view`
    t.require(response_col, option="--response-col")
    t.require(label_col, option="--label-col")
    if prompt_col:
        t.require(prompt_col, option="--prompt-col")
    labels = [
        normalize_label(r.get(label_col), where=f"{at}: column {label_col!r}")
        for at, r in zip(t.where, t.rows, strict=True)
    ]
    prompts = t.column(prompt_col) if prompt_col else [""] * len(t.rows)
    return prompts, t.column(response_col), labels


def write_jsonl_rows(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` as JSONL (UTF-8, one object a line), creating the parent folder."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    tmp.replace(p)
