"""Run directories, append-only JSONL files and the SQLite generation cache.

Layout of ``runs/<name>/`` (README, "The run directory"): ``config.resolved.yaml``, ``manifest.json``
(written last), ``examples.jsonl``, ``prompts.jsonl``, ``generations.jsonl``,
``judgments.jsonl``, ``metrics.json``, ``report.md``, ``report.html``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from safetylab._owner import LOCK, MARKER, DirLock, check_owner, read_marker, try_lock
from safetylab._secrets import mask_secrets
from safetylab.errors import SafetylabError

log = logging.getLogger(__name__)

__all__ = [  # run-directory ownership and locks live in _owner.py; import them from here
    "LOCK",
    "MARKER",
    "DirLock",
    "GenerationCache",
    "JsonlLog",
    "RunDir",
    "check_out_file",
    "check_owner",
    "read_marker",
    "try_lock",
]


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
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def write_text(path: str | Path, text: str) -> None:
    """Write text (UTF-8) atomically; see :func:`write_bytes`."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file atomically. The temp file's name is unique to this writer, so processes that
    write the same file at once (ranks of one launch filling a shared cache) never rename one
    another's temp file away; the last rename wins with a whole file."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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


def check_out_file(path: str | Path, *, force: bool = False, opt: str = "--out") -> Path:
    """Refuse (SafetylabError) an output file that is a folder, sits under a file, or exists
    already (unless ``force``: then only that file is replaced). Call before writing anything."""
    p = Path(path)
    if p.is_dir():
        raise SafetylabError(f"{opt} {p}: is a folder; give a file name (e.g. {p / 'out.jsonl'})")
    for parent in p.parents:
        if parent.exists() and not parent.is_dir():
            raise SafetylabError(f"{opt} {p}: {parent} is a file, not a folder")
    if p.exists() and not force:
        raise SafetylabError(
            f"{opt} {p}: exists; choose another name or pass --force to replace it"
        )
    return p


def write_marker(path: str | Path, command: str, config: Any = None) -> None:
    """Mark ``path`` as a run of ``safetylab <command>`` (rewritten only when it changes)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("safetylab")
    except PackageNotFoundError:
        ver = "unknown"
    data = {"tool": "safetylab", "command": command, "version": ver}
    if config is not None:
        blob = yaml.safe_dump(config, sort_keys=True).encode()
        data["config_sha256"] = hashlib.sha256(blob).hexdigest()
    f = Path(path) / MARKER
    old = None
    if f.is_file():
        try:
            old = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
    if old != data:
        write_json(f, data)


class RunDir:
    """A run directory bound to one command and one resolved config, locked while open.

    A folder is taken only when it is new, empty, or a run of the same ``command`` (its
    ``.safetylab-run.json`` marker); a run made by a different config raises unless ``force``
    (which only lets this run rewrite its own files: nothing is deleted). One process at a
    time: a second writer gets an error naming the holder's PID. ``close()`` (or ``with``)
    releases the lock; process exit does too.
    """

    def __init__(
        self,
        path: str | Path,
        config: dict[str, Any],
        *,
        force: bool = False,
        ignore: tuple[str, ...] = (),
        command: str = "run",
    ) -> None:
        """``ignore``: top-level keys that may change between runs in one directory (e.g. the
        judges of an eval run: judgments are keyed by judge version, generations are reused)."""
        self.path = Path(path)
        self.command = command
        config = mask_secrets(config)  # credentials in URLs are never written
        cfg_path = self.path / "config.resolved.yaml"
        text = yaml.safe_dump(config, sort_keys=True)
        new = yaml.safe_load(text)

        def _old() -> Any:
            if not cfg_path.is_file():
                return None
            try:
                return yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError):
                return None

        def _same(old: Any) -> bool:
            return isinstance(old, dict) and {k: v for k, v in old.items() if k not in ignore} == {
                k: v for k, v in new.items() if k not in ignore
            }

        # a marker-less run of this very config was made by an older safetylab: adopt it
        legacy = self.path.is_dir() and _same(_old())
        check_owner(self.path, command, adopt=legacy)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = DirLock(self.path / LOCK, f"safetylab {command}", reentrant=True)
        if not self._lock.acquire():
            raise SafetylabError(self._lock.busy_message())
        try:
            check_owner(self.path, command, adopt=legacy)  # it may have changed while unlocked
            old = _old()
            if cfg_path.exists() and not _same(old) and not force:
                raise SafetylabError(
                    f"{self.path} was made by another config; use a new --out or pass --force"
                )
            write_marker(self.path, command, config)
            if old != new:
                write_text(cfg_path, text)
        except BaseException:
            self._lock.release()
            raise
        self.config = config

    def lock(self) -> DirLock:
        """This run's lock (held since opening); ``with run.lock(): ...`` releases it after."""
        return self._lock

    def close(self) -> None:
        """Release the run's lock."""
        self._lock.release()

    def __enter__(self) -> RunDir:
        return self

    def __exit__(
        self, tp: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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
            **mask_secrets(extra),
        }
        write_json(self.path / "manifest.json", manifest)


def move_aside(path: str | Path, why: str) -> Path:
    """Rename a broken cache file to ``<name>.corrupt-<timestamp>`` and say so in one line."""
    p = Path(path)
    aside = p.with_name(f"{p.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    os.replace(p, aside)
    for side in ("-journal", "-wal", "-shm"):
        extra = p.with_name(p.name + side)
        if extra.exists():
            os.replace(extra, aside.with_name(aside.name + side))
    log.warning("%s: %s; moved it aside to %s and starting a new one", p, why, aside.name)
    return aside


def read_json_cache(path: str | Path) -> Any:
    """A cache file's JSON, or None when absent; a corrupt one is moved aside (None)."""
    p = Path(path)
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        move_aside(p, f"corrupt JSON ({type(e).__name__})")
        return None


class GenerationCache:
    """SQLite cache: (model fingerprint, prompt text, output-changing decoding) -> answer.

    A corrupt file (truncated, garbage) is moved aside and a new cache started.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as e:
            move_aside(self.path, f"not a readable SQLite cache ({e})")
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), timeout=60)
        try:
            db.execute(
                "CREATE TABLE IF NOT EXISTS gen (key TEXT PRIMARY KEY, text TEXT, n_tokens INTEGER)"
            )
            db.commit()
            ok = db.execute("PRAGMA quick_check").fetchone()
            if not ok or ok[0] != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {ok[0] if ok else 'no answer'}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _recover(self, e: sqlite3.DatabaseError) -> None:
        self.db.close()
        move_aside(self.path, f"SQLite error ({e})")
        self.db = self._open()

    @staticmethod
    def key(fingerprint: str, prompt: Any, decoding: dict[str, Any]) -> str:
        blob = json.dumps([fingerprint, prompt, decoding], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, tuple[str, int]]:
        out: dict[str, tuple[str, int]] = {}
        try:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                q = f"SELECT key, text, n_tokens FROM gen WHERE key IN ({marks})"
                for k, t, n in self.db.execute(q, chunk):
                    out[k] = (t, n)
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
                raise
            self._recover(e)
            return {}
        return out

    def put_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        rows = list(items)
        try:
            self.db.executemany("INSERT OR REPLACE INTO gen VALUES (?, ?, ?)", rows)
            self.db.commit()
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
                raise
            self._recover(e)
            self.db.executemany("INSERT OR REPLACE INTO gen VALUES (?, ?, ?)", rows)
            self.db.commit()

    def close(self) -> None:
        self.db.close()


def cache_dir() -> Path:
    """Where safetylab keeps converted models and caches (``$SAFETYLAB_CACHE`` to override)."""
    base = os.environ.get("SAFETYLAB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "safetylab"
    )
    return Path(base)
