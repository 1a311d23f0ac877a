"""Any user file as training examples or evaluation prompts.

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

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from safetylab.errors import SafetylabError
from safetylab.records import Example, Prompt

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


@dataclass(frozen=True)
class RawRow:
    """One row as read from a file, or the reason it could not be read."""

    where: str  #: "file:line" or "file: row N"
    data: dict[str, Any] | None  #: the row's fields; None when malformed
    error: str = ""  #: why the row is malformed


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


def file_format(path: Path) -> str:
    """The format of ``path`` from its suffix (or ``hf-disk`` for a saved dataset folder)."""
    if path.is_dir():
        if any(
            (path / n).exists() for n in ("dataset_info.json", "state.json", "dataset_dict.json")
        ):
            return "hf-disk"
        raise SafetylabError(f"{path}: a folder that is not a saved Hugging Face dataset")
    suffix = path.suffix.lower()
    fmt = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv"}
    fmt.update({".parquet": "parquet", ".pq": "parquet"})
    if suffix not in fmt:
        raise SafetylabError(
            f"{path}: cannot tell the format from {suffix!r} "
            "(use .json, .jsonl, .csv, .tsv, .parquet or a saved datasets folder)"
        )
    return fmt[suffix]


def sha256_path(path: Path) -> str:
    """sha256 of a file, or of a folder's files (names and bytes, in sorted order)."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        if path.is_dir():
            h.update(str(p.relative_to(path)).encode() + b"\0")
        with open(p, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- readers (one per format)


_BOM = b"\xef\xbb\xbf"
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


def _decode(data: bytes) -> str:
    """UTF-8 text (a leading BOM dropped); bytes that are not UTF-8 become lone surrogates,
    which mark the rows that hold them as malformed (see ``_utf8_error``)."""
    return data.removeprefix(_BOM).decode("utf-8", errors="surrogateescape")


def _utf8_error(text: str) -> str:
    """Why ``text`` (from ``_decode``) is malformed, or "" when it is valid UTF-8."""
    m = _NOT_UTF8.search(text)
    if m is None:
        return ""
    return f"not valid UTF-8 (byte 0x{ord(m.group()) - 0xDC00:02x})"


def _iter_jsonl(path: Path) -> Iterator[RawRow]:
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            line = _decode(raw) if lineno == 1 else raw.decode("utf-8", "surrogateescape")
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            bad = _utf8_error(line)
            if bad:
                yield RawRow(where, None, bad)
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield RawRow(where, None, f"not valid JSON ({e.msg})")
                continue
            if isinstance(obj, dict):
                yield RawRow(where, obj)
            else:
                yield RawRow(where, None, f"expected a JSON object, got {type(obj).__name__}")


def _iter_json(path: Path) -> Iterator[RawRow]:
    text = _decode(path.read_bytes())
    dec = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos == len(text):
        raise SafetylabError(f"{path}:1: empty file (expected a JSON list of objects)")
    if text.startswith("{", pos):
        m = _NOT_UTF8.search(text)
        if m is not None:
            raise SafetylabError(f"{path}:{_line_of(text, m.start())}: {_utf8_error(text)}")
        yield from _iter_json_dict(path, _json_loads(path, text))
        return
    if not text.startswith("[", pos):
        raise SafetylabError(f"{path}:1: expected a JSON list of objects")
    pos = _skip_ws(text, pos + 1)
    line, line_pos = 1, 0
    first = True
    while True:
        if text.startswith("]", pos):
            return
        if not first:
            if not text.startswith(",", pos):
                raise SafetylabError(f"{path}:{_line_of(text, pos)}: expected ',' or ']'")
            pos = _skip_ws(text, pos + 1)
        first = False
        line += text.count("\n", line_pos, pos)
        line_pos = pos
        try:
            obj, end = dec.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise SafetylabError(
                f"{path}:{e.lineno}: not valid JSON ({e.msg}); a broken JSON list cannot be "
                "skipped: fix it or use JSONL"
            ) from None
        where = f"{path}:{line}"
        why = _utf8_error(text[pos:end])
        if why:
            yield RawRow(where, None, why)
        elif isinstance(obj, dict):
            yield RawRow(where, obj)
        else:
            yield RawRow(where, None, f"expected a JSON object, got {type(obj).__name__}")
        pos = _skip_ws(text, end)


def _iter_json_dict(path: Path, obj: dict[str, Any]) -> Iterator[RawRow]:
    """A dict of equal-length columns (empty lists ignored), or a dict with one list of rows."""
    lists = {k: v for k, v in obj.items() if isinstance(v, list) and v}
    if len(lists) == 1 and all(isinstance(x, dict) for x in next(iter(lists.values()))):
        rows = next(iter(lists.values()))
        for i, r in enumerate(rows, 1):
            yield RawRow(f"{path}: row {i}", r)
        return
    lengths = {len(v) for v in lists.values()}
    if not lists or len(lengths) != 1:
        raise SafetylabError(
            f"{path}: expected a list of objects or a dict of equal-length columns"
        )
    n = lengths.pop()
    for i in range(n):
        yield RawRow(f"{path}: row {i + 1}", {k: v[i] for k, v in lists.items()})


def _json_loads(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SafetylabError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _iter_csv(path: Path, delimiter: str = ",") -> Iterator[RawRow]:
    reader = csv.reader(io.StringIO(_decode(path.read_bytes()), newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise SafetylabError(f"{path}:1: empty file (expected a header row)")
        bad = _utf8_error(delimiter.join(header))
        if bad:
            raise SafetylabError(f"{path}:1: header row {bad}")
        dup = {h for h in header if header.count(h) > 1}
        if dup:
            raise SafetylabError(f"{path}:1: repeated column name(s) {sorted(dup)}")
        prev = reader.line_num
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if not row:
                continue
            where = f"{path}:{start}"
            bad = _utf8_error(delimiter.join(row))
            if bad:
                yield RawRow(where, None, bad)
            elif len(row) != len(header):
                yield RawRow(where, None, f"expected {len(header)} fields, got {len(row)}")
            else:
                yield RawRow(where, dict(zip(header, row, strict=True)))
    except csv.Error as e:
        raise SafetylabError(f"{path}:{reader.line_num}: unreadable CSV ({e})") from None


def csv_header(path: Path, delimiter: str = ",") -> list[str]:
    """The header row of a CSV/TSV file ([] when empty)."""
    reader = csv.reader(io.StringIO(_decode(path.read_bytes()), newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
    except csv.Error as e:
        raise SafetylabError(f"{path}:1: unreadable CSV ({e})") from None
    bad = _utf8_error(delimiter.join(header))
    if bad:
        raise SafetylabError(f"{path}:1: header row {bad}")
    return header


def _iter_parquet(path: Path) -> Iterator[RawRow]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as e:  # pyarrow raises several types for a bad file
        raise SafetylabError(f"{path}: not a readable Parquet file ({type(e).__name__})") from None
    for i, row in enumerate(table.to_pylist(), 1):
        yield RawRow(f"{path}: row {i}", row)


def _load_hf(path: Path, split: str | None) -> Any:
    from datasets import DatasetDict, load_from_disk

    try:
        ds = load_from_disk(str(path))
    except Exception as e:
        raise SafetylabError(f"{path}: not a readable saved dataset ({type(e).__name__})") from None
    if isinstance(ds, DatasetDict):
        names = list(ds)
        pick = split or ("train" if "train" in ds else (names[0] if len(names) == 1 else None))
        if pick not in ds:
            raise SafetylabError(f"{path}: choose a split with --split (have: {', '.join(names)})")
        ds = ds[pick]
    elif split:
        raise SafetylabError(f"{path}: --split {split!r} given, but the dataset has no splits")
    return ds


def _iter_hf(path: Path, split: str | None) -> Iterator[RawRow]:
    for i, row in enumerate(_load_hf(path, split), 1):
        yield RawRow(f"{path}: row {i}", dict(row))


def iter_rows(
    path: str | Path, fmt: str | None = None, split: str | None = None
) -> Iterator[RawRow]:
    """Rows of a data file with where they are; structural errors come as RawRow.error."""
    p = Path(path)
    if not p.exists():
        raise SafetylabError(f"{p}: file not found")
    fmt = fmt or file_format(p)
    if fmt == "jsonl":
        return _iter_jsonl(p)
    if fmt == "json":
        return _iter_json(p)
    if fmt in ("csv", "tsv"):
        return _iter_csv(p, "\t" if fmt == "tsv" else ",")
    if fmt == "parquet":
        return _iter_parquet(p)
    return _iter_hf(p, split)


def _schema(path: Path, fmt: str, split: str | None) -> list[str] | None:
    """Column names when the format has a fixed schema (CSV, Parquet, saved dataset)."""
    if fmt in ("csv", "tsv"):
        return csv_header(path, "\t" if fmt == "tsv" else ",")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception:
            return None  # the reader reports the unreadable file
    if fmt == "hf-disk":
        return list(_load_hf(path, split).column_names)
    return None


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
    schema = _schema(p, fmt, split)
    rows = iter_rows(p, fmt, split)
    cols: dict[str, str] | None = None
    if schema is not None:
        cols = _resolve_columns(p, columns or Columns(), schema, fixed=True)
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
