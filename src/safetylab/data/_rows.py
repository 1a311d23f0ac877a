"""Rows of a user's data file, one reader per format, each row with where it is.

JSON (a list of objects, or a dict of equal-length columns), JSONL, CSV/TSV, Parquet, or a
Hugging Face ``datasets`` dataset saved with ``save_to_disk``. A row that cannot be read comes
back as a ``RawRow`` with the reason (``file:line``; lines are 1-based and a CSV's header is
line 1; Parquet and saved datasets say ``row N``), so the caller decides whether to stop or
skip. Text is UTF-8 with or without a BOM; a row holding other bytes is malformed, never a
crash. ``data._userfile`` maps these rows to records; ``judges`` read answer files with them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError


@dataclass(frozen=True)
class RawRow:
    """One row as read from a file, or the reason it could not be read."""

    where: str  #: "file:line" or "file: row N"
    data: dict[str, Any] | None  #: the row's fields; None when malformed
    error: str = ""  #: why the row is malformed


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
_TOO_DEEP = "nested too deeply to be a row of data"
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
            except RecursionError:
                yield RawRow(where, None, _TOO_DEEP)
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
        except RecursionError:
            raise SafetylabError(f"{path}:{_line_of(text, pos)}: {_TOO_DEEP}") from None
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
    except RecursionError:
        raise SafetylabError(f"{path}: {_TOO_DEEP}") from None
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
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SafetylabError(f"{path}: cannot read ({e.strerror or type(e).__name__})") from None
    reader = csv.reader(io.StringIO(_decode(data), newline=""), delimiter=delimiter)
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
        rows = _iter_jsonl(p)
    elif fmt == "json":
        rows = _iter_json(p)
    elif fmt in ("csv", "tsv"):
        rows = _iter_csv(p, "\t" if fmt == "tsv" else ",")
    elif fmt == "parquet":
        rows = _iter_parquet(p)
    else:
        rows = _iter_hf(p, split)
    return _readable(p, rows)


def _readable(path: Path, rows: Iterator[RawRow]) -> Iterator[RawRow]:
    """``rows``, with an unreadable file (permissions, a folder, an I/O error) as one line."""
    try:
        yield from rows
    except OSError as e:
        raise SafetylabError(f"{path}: cannot read ({e.strerror or type(e).__name__})") from None


def schema(path: Path, fmt: str, split: str | None) -> list[str] | None:
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
