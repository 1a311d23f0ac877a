"""Any user file as training examples or evaluation prompts: the one reader behind every
command that takes a user's file (``data show``/``mix``, ``train --data``, ``judge`` inputs), so
they accept the same formats, column flags and ``--skip-bad-rows``, with the same errors.
The per-format row readers are in ``data._rows``.

Formats: JSON (a list of objects, or a dict of equal-length columns), JSONL, CSV/TSV, Parquet,
or a Hugging Face ``datasets`` dataset saved with ``save_to_disk``. Rows are in Alpaca format
(instruction / input / output) or chat format (a list of ``{role, content}`` turns), mapped with
column options; unnamed columns are detected from common names.

safetylab data show my.csv --instruction-col question --output-col answer
safetylab data show chats.jsonl --messages-col conversation --skip-bad-rows

A malformed row never crashes a load: it stops with ``file:line: reason`` (lines are 1-based and
a CSV's header is line 1; Parquet and saved datasets say ``row N``), or with
``skip_bad_rows=True`` it is skipped and counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from safetylab.data._rows import (
    RawRow,
    csv_header,
    file_format,
    iter_rows,
    schema,
    sha256_path,
)
from safetylab.errors import SafetylabError
from safetylab.records import Example, Prompt

__all__ = [  # the readers live in data._rows; these names stay importable from here
    "Columns",
    "RawRow",
    "UserData",
    "csv_header",
    "file_format",
    "iter_rows",
    "load_user_file",
    "parse_label",
    "row_to_record",
    "sha256_path",
]

Kind = Literal["auto", "train", "eval"]

_DETECT = {
    "messages": ("messages", "conversations", "conversation", "chat"),
    "instruction": ("instruction", "prompt", "question", "query", "goal"),
    "input": ("input", "context"),
    "output": ("output", "response", "answer", "completion"),
    "label": ("label", "safety_label"),
    "category": ("category", "type", "task_type"),
}
_SAFE = {"safe", "benign", "harmless"}
_UNSAFE = {"unsafe", "harmful", "malicious"}
_ROLES = {"user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant"}
_MAX_REPORTED = 20


@dataclass(frozen=True)
class Columns:
    """Which field of a user file holds what; None means: detect it from common names."""

    instruction: str | None = None  #: the request (Alpaca ``instruction``)
    input: str | None = None  #: extra input appended to the request (Alpaca ``input``)
    output: str | None = None  #: the target answer (Alpaca ``output``)
    messages: str | None = None  #: a chat: list of ``{role, content}`` turns
    label: str | None = None  #: the request's safe/unsafe label
    category: str | None = None  #: task type or harm category


@dataclass
class UserData:
    """Records read from a user file, with what was skipped."""

    path: str  #: the file or folder read
    format: str  #: json, jsonl, csv, tsv, parquet or hf-disk
    records: list[Any]  #: Examples (train) or Prompts (eval)
    n_rows: int  #: rows seen, good and bad
    n_bad: int  #: malformed rows skipped
    bad: list[str] = field(default_factory=list)  #: "where: reason" of the first skipped rows
    columns: dict[str, str] = field(default_factory=dict)  #: the column mapping used
    sha256: str = ""  #: sha256 of the file's bytes (of its data files for a saved dataset)


# ---------------------------------------------------------------- rows -> records

_OPTION = {
    "instruction": "--instruction-col",
    "input": "--input-col",
    "output": "--output-col",
    "messages": "--messages-col",
    "label": "--label-col",
    "category": "--category-col",
}


def _resolve_columns(
    path: Path, cols: Columns, keys: list[str] | None, fixed: bool
) -> dict[str, str]:
    """Map each role to a column: given ones are checked (when the schema is fixed), others
    are detected from common names."""
    given = {k: v for k, v in vars(cols).items() if v}
    if fixed and keys is not None:
        for role, name in given.items():
            if name not in keys:
                raise SafetylabError(
                    f"{_OPTION[role]} {name!r}: no such column in {path} "
                    f"(columns: {', '.join(keys)})"
                )
    out = dict(given)
    if keys is not None:
        for role, names in _DETECT.items():
            if role in out:
                continue
            if role == "messages" and "instruction" in out:
                continue
            if role in ("instruction", "input", "output") and "messages" in out:
                continue
            hit = next((n for n in names if n in keys), None)
            if hit is not None and hit not in out.values():
                out[role] = hit
    if "messages" in out and "instruction" in out:
        if "messages" not in given:
            del out["messages"]
        elif "instruction" not in given:
            del out["instruction"]
        else:
            raise SafetylabError("give --messages-col or --instruction-col, not both")
    if "messages" not in out and "instruction" not in out:
        seen = f" (columns: {', '.join(keys)})" if keys else ""
        raise SafetylabError(
            f"{path}: cannot find the request column{seen}; pass --instruction-col or "
            "--messages-col"
        )
    return out


def parse_label(value: Any) -> str | None:
    """``safe``/``unsafe`` from common spellings; None when the value is not one of them."""
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _SAFE:
            return "safe"
        if v in _UNSAFE:
            return "unsafe"
    return None


def _text(row: dict[str, Any], col: str, *, required: bool) -> str:
    if col not in row or row[col] is None:
        if required:
            raise ValueError(f"missing field {col!r}")
        return ""
    v = row[col]
    if not isinstance(v, str):
        raise ValueError(f"field {col!r} is {type(v).__name__}, expected text")
    if required and not v.strip():
        raise ValueError(f"field {col!r} is empty")
    return v


def _chat(row: dict[str, Any], col: str) -> tuple[str, str | None]:
    """(user turn, assistant turn or None) of a single-turn chat; system turns are dropped."""
    if col not in row or row[col] is None:
        raise ValueError(f"missing field {col!r}")
    turns = row[col]
    if isinstance(turns, str):
        try:
            turns = json.loads(turns)
        except json.JSONDecodeError:
            raise ValueError(f"field {col!r} is text that is not a JSON list of turns") from None
    if not isinstance(turns, list) or not turns:
        raise ValueError(f"field {col!r} is not a non-empty list of turns")
    conv: list[tuple[str, str]] = []
    for k, t in enumerate(turns, 1):
        if not isinstance(t, dict):
            raise ValueError(f"turn {k} is not an object")
        role = t.get("role", t.get("from"))
        content = t.get("content", t.get("value"))
        if role == "system":
            continue
        if role not in _ROLES or not isinstance(content, str):
            raise ValueError(f"turn {k} needs role user/assistant and text content")
        conv.append((_ROLES[role], content))
    roles = [r for r, _ in conv]
    if roles not in (["user"], ["user", "assistant"]):
        n_user = roles.count("user")
        if n_user > 1:
            raise ValueError(f"multi-turn chat ({n_user} user turns); one user turn is supported")
        raise ValueError(f"turns {roles} are not one user turn and one assistant turn")
    if not conv[0][1].strip():
        raise ValueError("the user turn is empty")
    return conv[0][1], (conv[1][1] if len(conv) == 2 else None)


def row_to_record(
    row: dict[str, Any],
    cols: dict[str, str],
    *,
    kind: Kind,
    source: str,
    default_label: str,
    keep_fields: bool = False,
) -> Example | Prompt:
    """One mapped row as an Example (train) or Prompt (eval); ValueError says what is wrong.

    ``keep_fields``: an Example keeps the row's ``source``, ``strategy`` and ``complete``."""
    if "messages" in cols:
        prompt, response = _chat(row, cols["messages"])
    else:
        prompt = _text(row, cols["instruction"], required=True)
        extra = _text(row, cols["input"], required=False) if "input" in cols else ""
        if extra.strip():
            prompt = f"{prompt}\n\n{extra}"
        response = (
            _text(row, cols["output"], required=kind == "train") if "output" in cols else None
        )
    label = default_label
    if "label" in cols and cols["label"] in row:  # a row without the field: default_label
        raw = row.get(cols["label"])
        parsed = parse_label(raw)
        if parsed is None:
            raise ValueError(
                f"label {raw!r} in field {cols['label']!r} is not safe/unsafe "
                "(accepted: safe, benign, harmless, unsafe, harmful, malicious)"
            )
        label = parsed
    category = ""
    if "category" in cols:
        c = row.get(cols["category"])
        category = "" if c is None else str(c)
    want_train = kind == "train" or (kind == "auto" and ("output" in cols or "messages" in cols))
    if want_train:
        if response is None or not response.strip():
            raise ValueError("no answer (output column or assistant turn) for a training example")
        ex = Example(prompt, response, source, category, "", label)  # type: ignore[arg-type]
        return _with_example_fields(row, ex) if keep_fields else ex
    return Prompt(prompt, source, label, category)  # type: ignore[arg-type]


def _with_example_fields(row: dict[str, Any], ex: Example) -> Example:
    """``ex`` with the row's own ``source``, ``strategy`` and ``complete`` (what ``data mix``
    writes), so a mixture read back is the mixture written."""
    kw: dict[str, Any] = {}
    for name in ("source", "strategy"):
        v = row.get(name)
        if v is not None:
            if not isinstance(v, str):
                raise ValueError(f"field {name!r} is {type(v).__name__}, expected text")
            kw[name] = v
    v = row.get("complete")
    if v is not None:
        flag = {"true": True, "false": False, "1": True, "0": False}.get(str(v).strip().lower())
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v not in (0, 1):
            flag = None
        if flag is None:
            raise ValueError(f"field 'complete' is {v!r}, expected true or false")
        kw["complete"] = flag
    return replace(ex, **kw) if kw else ex


def load_user_file(
    path: str | Path,
    columns: Columns | None = None,
    *,
    kind: Kind = "auto",
    skip_bad_rows: bool = False,
    default_label: str = "safe",
    source: str | None = None,
    split: str | None = None,
    keep_fields: bool = False,
) -> UserData:
    """Read a user file as Examples (``kind="train"``) or Prompts (``kind="eval"``).

    ``auto`` gives Examples when an answer column (or chat) is mapped, else Prompts. A bad row
    raises a SafetylabError ``file:line: reason`` unless ``skip_bad_rows`` is set.
    ``keep_fields``: Examples keep the rows' ``source``, ``strategy`` and ``complete`` fields
    (a mixture written by ``data mix`` reads back as written).
    """
    p = Path(path)
    if not p.exists():
        raise SafetylabError(f"{p}: file not found")
    fmt = file_format(p)
    fixed = schema(p, fmt, split)
    rows = iter_rows(p, fmt, split)
    cols: dict[str, str] | None = None
    if fixed is not None:
        cols = _resolve_columns(p, columns or Columns(), fixed, fixed=True)
    name = source or f"file:{p.name}"
    records: list[Any] = []
    bad: list[str] = []
    n_rows = n_bad = 0
    for raw in rows:
        n_rows += 1
        reason = raw.error
        if raw.data is not None:
            if cols is None:
                cols = _resolve_columns(p, columns or Columns(), list(raw.data), fixed=False)
            try:
                records.append(
                    row_to_record(
                        raw.data,
                        cols,
                        kind=kind,
                        source=name,
                        default_label=default_label,
                        keep_fields=keep_fields,
                    )
                )
                continue
            except ValueError as e:
                reason = str(e)
        if not skip_bad_rows:
            raise SafetylabError(f"{raw.where}: {reason} (or pass --skip-bad-rows)")
        n_bad += 1
        if len(bad) < _MAX_REPORTED:
            bad.append(f"{raw.where}: {reason}")
    if not records:
        raise SafetylabError(f"{p}: no usable rows ({n_rows} read, {n_bad} bad)")
    return UserData(str(p), fmt, records, n_rows, n_bad, bad, cols or {}, sha256_path(p))
