"""Data cards: what a mixture holds and how it was made, written next to it as FILE.card.json.

safetylab data mix mix-context-aware --out runs/mix/context.jsonl  # + context.jsonl.card.json

A card records counts by source, strategy, category and safe/unsafe label, a token-length
histogram (whitespace-separated words of prompt + response, not model tokens), the sha256 of the
content and of the file, what the safe/unsafe label means (and, per public source, its known
noise), what dedup removed, what the contamination check removed (every row,
with the evaluation item it matched) and against which suites, and the resolved config.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safetylab.records import Example


def mixture_sha256(rows: Sequence[Example]) -> str:
    """sha256 of a mixture's content (prompt, response, complete), in order."""
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps([r.prompt, r.response, r.complete], ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


HIST_EDGES = (0, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
LABEL_MEANING = (
    "label is the request's: unsafe = a harmful request (its answer should refuse or "
    "redirect), safe = a request to help with; each source's own meaning and known noise are "
    "in sources[].labels"
)
_MAX_LISTED = 50


def token_lengths(rows: Sequence[Example]) -> list[int]:
    """Whitespace tokens of prompt + response (a model-free proxy for length)."""
    return [len(r.prompt.split()) + len(r.response.split()) for r in rows]


def histogram(lengths: Sequence[int], edges: Sequence[int] = HIST_EDGES) -> list[dict[str, Any]]:
    """Counts per bin ``[lo, hi)``; the last bin is open-ended."""
    out = []
    for k, lo in enumerate(edges):
        hi = edges[k + 1] if k + 1 < len(edges) else None
        n = sum(1 for x in lengths if x >= lo and (hi is None or x < hi))
        out.append({"bin": f"{lo}-{hi - 1}" if hi is not None else f"{lo}+", "count": n})
    return out


def length_stats(lengths: Sequence[int]) -> dict[str, Any]:
    if not lengths:
        return {"unit": "whitespace words of prompt + response", "n": 0}
    return {
        "unit": "whitespace words of prompt + response (not model tokens)",
        "n": len(lengths),
        "min": min(lengths),
        "mean": round(statistics.fmean(lengths), 2),
        "median": statistics.median(lengths),
        "max": max(lengths),
        "histogram": histogram(lengths),
    }


_FIELDS = tuple(f.name for f in dataclasses.fields(Example))


def jsonl_bytes(rows: Sequence[Example]) -> bytes:
    """The mixture file's exact bytes: ``Example.to_dict()`` per line (built without the slow
    recursive ``asdict``)."""
    return "".join(
        json.dumps({"id": r.id, **{f: getattr(r, f) for f in _FIELDS}}, ensure_ascii=False) + "\n"
        for r in rows
    ).encode()


def _counts(values: Sequence[str]) -> dict[str, int]:
    return dict(sorted(Counter(v or "(none)" for v in values).items()))


def build_card(
    rows: Sequence[Example],
    *,
    name: str,
    strategy: str,
    seed: int,
    config: dict[str, Any],
    sources: list[dict[str, Any]],
    dedup: dict[str, Any],
    contamination: dict[str, Any],
    variants: dict[str, Any],
    notes: list[str] | None = None,
    file_bytes: bytes | None = None,
) -> dict[str, Any]:
    """The card of one mixture (a JSON-ready dict); ``file_bytes`` saves re-encoding rows."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("safetylab")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        ver = "unknown"
    return {
        "name": name,
        "made_by": f"safetylab {ver}",
        "strategy": strategy,
        "seed": seed,
        "n_examples": len(rows),
        "sha256": {
            "content": mixture_sha256(list(rows)),
            "file": hashlib.sha256(
                file_bytes if file_bytes is not None else jsonl_bytes(rows)
            ).hexdigest(),
        },
        "counts": {
            "by_source": _counts([r.source for r in rows]),
            "by_strategy": _counts([r.strategy for r in rows]),
            "by_category": _counts([r.category for r in rows]),
            "by_label": _counts([r.label for r in rows]),
        },
        "label_meaning": LABEL_MEANING,
        "tokens": length_stats(token_lengths(rows)),
        "sources": sources,
        "variants": variants,
        "dedup": dedup,
        "contamination": contamination,
        "notes": notes or [],
        "config": config,
    }


def removed_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    """At most 50 removed rows listed, with the total."""
    return {"n": len(items), "listed": items[:_MAX_LISTED]}


def write_mixture(
    rows: Sequence[Example], card: dict[str, Any], out: str | Path, data: bytes | None = None
) -> Path:
    """Write ``out`` (JSONL of Examples) and ``out.card.json``; returns the card's path."""
    from safetylab.store import write_json

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = data if data is not None else jsonl_bytes(rows)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    card_path = card_path_for(path)
    write_json(card_path, card)
    return card_path


def card_path_for(path: str | Path) -> Path:
    """``FILE.card.json`` next to ``FILE``."""
    p = Path(path)
    return p.with_name(p.name + ".card.json")
