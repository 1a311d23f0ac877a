"""Run directories, append-only JSONL files and the SQLite generation cache.

Layout of ``runs/<name>/`` (see DESIGN.md): ``config.resolved.yaml``, ``manifest.json``
(written last), ``examples.jsonl``, ``prompts.jsonl``, ``generations.jsonl``,
``judgments.jsonl``, ``metrics.json``, ``report.md``, ``report.html``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sqlite3
import subprocess
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from safetylab.errors import SafetylabError


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL file; a bad line raises a SafetylabError naming file and line."""
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise SafetylabError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise SafetylabError(f"{path}:{lineno}: expected a JSON object per line")
            rows.append(obj)
    return rows


class JsonlLog:
    """An append-only JSONL file of records keyed by ``id``; appending a known id is a no-op.

    A line cut short by an interruption (no trailing newline, invalid JSON) is dropped on open,
    so a resumed stage redoes only that record.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._ids: set[str] = set()
        self._rows: list[dict[str, Any]] = []
        if self.path.exists():
            good: list[str] = []
            n_lines = 0
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    n_lines += 1
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if not line.endswith("\n") or obj.get("id") in self._ids:
                        continue
                    self._ids.add(obj["id"])
                    self._rows.append(obj)
                    good.append(line)
            if len(good) != n_lines:
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text("".join(good), encoding="utf-8")
                os.replace(tmp, self.path)

    def __contains__(self, rid: object) -> bool:
        return rid in self._ids

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self) -> list[dict[str, Any]]:
        return list(self._rows)

    def append(self, rows: Iterable[dict[str, Any]]) -> int:
        """Append rows whose id is new; returns how many were written."""
        new = [r for r in rows if r["id"] not in self._ids]
        if not new:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            for r in new:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
                self._ids.add(r["id"])
                self._rows.append(r)
            f.flush()
            os.fsync(f.fileno())
        return len(new)


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_text(path: str | Path, text: str) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def git_sha() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict[str, str]:
    """Versions of the libraries that change results."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("safetylab", "torch", "transformers", "peft", "accelerate", "numpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


class RunDir:
    """A run directory bound to one resolved config.

    Opening a directory made by a different config raises, unless ``force`` is set.
    """

    def __init__(
        self,
        path: str | Path,
        config: dict[str, Any],
        *,
        force: bool = False,
        ignore: tuple[str, ...] = (),
    ) -> None:
        """``ignore``: top-level keys that may change between runs in one directory (e.g. the
        judges of an eval run: judgments are keyed by judge version, generations are reused)."""
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        cfg_path = self.path / "config.resolved.yaml"
        text = yaml.safe_dump(config, sort_keys=True)
        new = yaml.safe_load(text)
        old: Any = None
        if cfg_path.exists():
            try:
                old = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
            except yaml.YAMLError:
                old = None
            same = isinstance(old, dict) and {k: v for k, v in old.items() if k not in ignore} == {
                k: v for k, v in new.items() if k not in ignore
            }
            if not same and not force:
                raise SafetylabError(
                    f"{self.path} was made by another config; use a new --out or pass --force"
                )
        if old != new:
            write_text(cfg_path, text)
        self.config = config

    def file(self, name: str) -> Path:
        return self.path / name

    def log(self, name: str) -> JsonlLog:
        return JsonlLog(self.path / name)

    def write_manifest(self, extra: dict[str, Any]) -> None:
        """Provenance, written last: versions, git sha, fingerprints, hashes."""
        manifest = {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "git_sha": git_sha(),
            "versions": versions(),
            "config_sha256": hashlib.sha256(
                yaml.safe_dump(self.config, sort_keys=True).encode()
            ).hexdigest(),
            **extra,
        }
        write_json(self.path / "manifest.json", manifest)


class GenerationCache:
    """SQLite cache: (model fingerprint, prompt text, output-changing decoding) -> answer."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path))
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS gen (key TEXT PRIMARY KEY, text TEXT, n_tokens INTEGER)"
        )
        self.db.commit()

    @staticmethod
    def key(fingerprint: str, prompt: Any, decoding: dict[str, Any]) -> str:
        blob = json.dumps([fingerprint, prompt, decoding], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, tuple[str, int]]:
        out: dict[str, tuple[str, int]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = f"SELECT key, text, n_tokens FROM gen WHERE key IN ({','.join('?' * len(chunk))})"
            for k, t, n in self.db.execute(q, chunk):
                out[k] = (t, n)
        return out

    def put_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO gen VALUES (?, ?, ?)", list(items))
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def iter_batches(seq: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def cache_dir() -> Path:
    """Where safetylab keeps converted models and caches (``$SAFETYLAB_CACHE`` to override)."""
    base = os.environ.get("SAFETYLAB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "safetylab"
    )
    return Path(base)
