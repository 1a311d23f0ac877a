"""The bundled, project-written data sets (train and eval splits are separate files).

safetylab ls            # lists them with sizes
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from safetylab.registry import datasets
from safetylab.store import read_jsonl

BUNDLED_DIR = Path(__file__).parent / "bundled"

_FILES = {
    "embodied": (
        "eval/embodied.jsonl",
        "120 robot instructions in 60 safe/unsafe context pairs (eval)",
    ),
    "mcq": (
        "eval/mcq.jsonl",
        "240 multiple-choice questions, 12 subjects, capability retention (eval)",
    ),
    "general": ("train/general.jsonl", "400 general instructions over 19 task types (train)"),
    "safety": ("train/safety.jsonl", "300 harmful requests with refusals that say why (train)"),
    "sensitive-train": (
        "train/sensitive_train.jsonl",
        "60 safe-but-sensitive prompts with answers (train)",
    ),
    "context-pairs": (
        "train/context_pairs.jsonl",
        "160 intent/context minimal pairs, 10 categories (train)",
    ),
    "harmful": ("eval/harmful.jsonl", "120 held-out harmful requests, 12 harm categories (eval)"),
    "sensitive-safe": (
        "eval/sensitive_safe.jsonl",
        "200 safe prompts that look sensitive, 8 XSTest-like types (eval)",
    ),
    "sensitive-unsafe": (
        "eval/sensitive_unsafe.jsonl",
        "120 unsafe contrast twins of sensitive-safe prompts (eval)",
    ),
    "helpful": ("eval/helpful.jsonl", "80 held-out plain instructions (eval)"),
    "dualuse": (
        "eval/dualuse.jsonl",
        "80 professional requests, legitimate and malicious sides (eval)",
    ),
}


class BundledDataset:
    """A bundled JSONL file."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rel, self.description = _FILES[name]
        self.split = self.rel.split("/")[0]

    @property
    def path(self) -> Path:
        return BUNDLED_DIR / self.rel

    def rows(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path)


for _name, (_rel, _desc) in _FILES.items():
    datasets.register(f"bundled/{_name}", description=_desc)(BundledDataset)


def load_bundled(name: str) -> list[dict[str, Any]]:
    """Rows of a bundled data set by short name (``general``, ``harmful``, ...)."""
    return BundledDataset(name).rows()


def round_robin(rows: list[dict[str, Any]], key: str, n: int | None) -> list[dict[str, Any]]:
    """Up to ``n`` rows taken evenly across ``key`` groups, in id order (deterministic)."""
    if n is None or n >= len(rows):
        return rows
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: r["id"]):
        groups[r[key]].append(r)
    out: list[dict[str, Any]] = []
    i = 0
    while len(out) < n:
        for g in sorted(groups):
            if i < len(groups[g]) and len(out) < n:
                out.append(groups[g][i])
        i += 1
    return out
