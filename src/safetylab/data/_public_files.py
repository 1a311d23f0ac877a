"""Files of the public datasets: where each sits in a copy of its repository, finding it on
disk, and fetching it from its pinned URL with a sha256 check (used by ``_public``)."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from safetylab.errors import SafetylabError
from safetylab.store import cache_dir


@dataclass(frozen=True)
class Loc:
    """Where a file sits in a copy of its repository."""

    repo: str  #: the repository's folder name, e.g. "llm-attacks"
    path: str  #: path inside the repository, e.g. "data/advbench/harmful_behaviors.csv"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: its pinned URL and checksum, and the layouts it is read from."""

    key: str  #: the file's role for the parser, e.g. "data", "dev"
    url: str  #: pinned raw URL (a commit in the path where one is known)
    sha256: str | None  #: expected sha256 of the bytes; None: recorded on first fetch
    at: Loc  #: the layout of the URL's repository (also where the cache keeps it)
    alt: tuple[Loc, ...] = ()  #: other layouts (same format) accepted under --source


@dataclass(frozen=True)
class ResolvedFile:
    """A dataset file found on disk."""

    key: str  #: the file's role
    path: Path  #: where it was found
    sha256: str  #: sha256 of its bytes
    pinned: bool | None  #: matches the pinned sha256 (None: nothing pinned)


def data_cache() -> Path:
    """Where fetched public datasets are kept."""
    return cache_dir() / "data"


def _candidates(root: Path, f: RemoteFile) -> list[Path]:
    out = []
    for loc in (f.at, *f.alt):
        for p in (root / loc.path, root / loc.repo / loc.path):
            if p.is_file() and p not in out:
                out.append(p)
    return out


def _pinned_sha(f: RemoteFile, root: Path) -> str | None:
    """The pinned sha256, or the one recorded on first fetch of an unpinned file."""
    if f.sha256:
        return f.sha256
    side = root / f.at.repo / (f.at.path + ".sha256")
    return side.read_text().strip() if side.exists() else None


def _download(url: str, timeout: float = 60.0) -> bytes:
    """Bytes at ``url`` (https or file://); a failure raises a one-line SafetylabError."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (pinned URLs)
            data: bytes = r.read()
            return data
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise SafetylabError(
            f"cannot download {url} ({reason}); offline? pass --source DIR with a local copy"
        ) from None


def fetch_file(
    f: RemoteFile,
    root: Path,
    *,
    downloader: Callable[[str], bytes] | None = None,
    trust_unpinned: bool = False,
) -> Path:
    """Download one file, check its sha256 and store it under ``root``; returns its path."""
    dest = root / f.at.repo / f.at.path
    data = (downloader or _download)(f.url)
    got = hashlib.sha256(data).hexdigest()
    pin = _pinned_sha(f, root)
    if pin is None and not trust_unpinned:
        raise SafetylabError(
            f"{f.url} has no pinned sha256; pass --trust-unpinned to record {got[:12]} on first use"
        )
    if pin is not None and got != pin:
        raise SafetylabError(
            f"checksum mismatch for {f.url}: expected sha256 {pin[:12]}..., got {got[:12]}... "
            "(not saved)"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    if pin is None:
        (root / f.at.repo / (f.at.path + ".sha256")).write_text(got + "\n")
    return dest
