"""Who owns a folder and who is writing into it: run-directory markers and locks.

A run directory is safetylab's only if it carries ``.safetylab-run.json`` (the command and
config that made it); commands write only into a new or empty folder or a run of their own
kind. One writer at a time holds ``.safetylab-run.lock`` (``filelock``; the holder's PID is
written inside). Re-exported by ``safetylab.store``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from filelock import FileLock, Timeout

from safetylab.errors import SafetylabError

log = logging.getLogger("safetylab.store")

MARKER = ".safetylab-run.json"  #: says which command (and config) made a run directory
LOCK = ".safetylab-run.lock"  #: the run's lock; while held it names its holder (PID, host)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


class DirLock:
    """An exclusive, non-blocking lock on one file (``filelock``), its holder named inside.

    While held, the lock file holds JSON ``{"pid", "host", "what", "since"}``, so a second
    writer can say who is busy. The kernel drops the lock of a killed process; the next
    holder then finds a dead PID in the file and says it takes over (a stale lock).
    """

    def __init__(self, path: str | Path, what: str = "", *, reentrant: bool = False) -> None:
        """``reentrant``: other ``DirLock``s on the same path in this process share the hold
        (a run opened twice in one process); otherwise they are refused like other processes."""
        self.path = Path(path)
        self.what = what
        self._held = False
        self._lock = FileLock(
            str(self.path.resolve() if reentrant else self.path),
            thread_local=False,
            is_singleton=reentrant,
        )

    def holder(self) -> dict[str, Any] | None:
        """Who holds (or, after a crash, last held) the lock, from the lock file."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process (or object) holds it."""
        if self._held:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        first = self._lock.lock_counter == 0
        try:
            self._lock.acquire(blocking=False)
        except Timeout:
            return False
        self._held = True
        if first:
            self._claim()
        return True

    def _claim(self) -> None:
        prev = self.holder()
        if (
            prev
            and prev.get("host") == socket.gethostname()
            and isinstance(prev.get("pid"), int)
            and prev["pid"] != os.getpid()
            and not _pid_alive(prev["pid"])
        ):
            log.warning(
                "%s: taking over a stale lock of PID %d (%s), which is no longer running",
                self.path.parent,
                prev["pid"],
                prev.get("what") or "?",
            )
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "what": self.what,
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(json.dumps(me) + "\n")

    def busy_message(self) -> str:
        h = self.holder() or {}
        who = f"PID {h.get('pid', '?')}"
        if h.get("host") and h.get("host") != socket.gethostname():
            who += f" on {h['host']}"
        what = f" ({h['what']}, since {h.get('since', '?')})" if h.get("what") else ""
        return f"{self.path.parent} is in use by {who}{what}; wait for it to finish or use another --out"

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        if self._lock.lock_counter == 1:
            with contextlib.suppress(OSError), open(self.path, "w", encoding="utf-8"):
                pass  # a cleanly released lock names nobody (no false "stale" warning later)
        self._lock.release()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at shutdown the kernel drops the lock anyway
            self.release()

    def __enter__(self) -> DirLock:
        if not self.acquire():
            raise SafetylabError(self.busy_message())
        return self

    def __exit__(
        self, tp: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def try_lock(path: str | Path, what: str = "") -> DirLock | None:
    """The lock on ``path`` (a file; for a folder use ``<folder>/.lock``), or None when another
    process holds it. For workers sharing a directory: take a cell's lock, skip it when None,
    ``release()`` it when the cell is done (the kernel releases it if the worker dies)."""
    lock = DirLock(path, what)
    return lock if lock.acquire() else None


def _is_empty(path: Path) -> bool:
    """Nothing in ``path`` but a lock or a marker write cut short (a run killed as it began)."""
    return all(
        p.name == LOCK or (p.name.startswith(MARKER) and p.name.endswith(".tmp"))
        for p in path.iterdir()
    )


def read_marker(path: str | Path) -> dict[str, Any] | None:
    """The marker of a run directory (which command and config made it), or None."""
    f = Path(path) / MARKER
    if not f.is_file():
        return None
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SafetylabError(f"{f}: unreadable run marker; use a new --out") from None
    if not isinstance(data, dict) or data.get("tool") != "safetylab":
        raise SafetylabError(f"{f}: not a safetylab run marker; use a new --out")
    return data


def check_owner(path: str | Path, command: str, *, adopt: bool = False, opt: str = "--out") -> None:
    """Refuse (SafetylabError) to write into ``path`` unless it is new, empty, or a run that
    ``safetylab <command>`` made (it carries the marker). ``adopt``: a marker-less folder the
    caller recognised as its own older run (made before markers existed) is accepted."""
    p = Path(path)
    if not p.exists():
        return
    if not p.is_dir():
        raise SafetylabError(f"{opt} {p}: is a file, not a folder; choose a folder")
    marker = read_marker(p)
    if marker is None:
        if adopt or _is_empty(p):
            return
        if (p / "config.resolved.yaml").is_file():
            raise SafetylabError(
                f"{opt} {p}: a run made by an older safetylab or by other options (no {MARKER}); "
                "choose another --out"
            )
        raise SafetylabError(
            f"{opt} {p}: not empty and not a safetylab run (no {MARKER}); "
            "safetylab writes only into a new or empty folder: choose another"
        )
    if marker.get("command") != command:
        raise SafetylabError(
            f"{opt} {p}: made by `safetylab {marker.get('command')}`, not `safetylab {command}`; "
            "choose another"
        )
