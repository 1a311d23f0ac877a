"""Mixtures: general instructions plus N safety demonstrations (the study's ablation)."""

from __future__ import annotations

import hashlib
import json
import random

from safetylab.records import Example


def balanced_mixture(
    general: list[Example], safety: list[Example], n_safety: int, seed: int
) -> list[Example]:
    """All ``general`` examples plus the first ``n_safety`` of a seeded shuffle of ``safety``.

    The safety rows are nested across N (the N=50 rows are part of the N=200 mixture), as in
    the study's data files; the final order is a seeded shuffle.
    """
    if n_safety > len(safety):
        raise ValueError(f"asked for {n_safety} safety examples, only {len(safety)} available")
    pool = list(safety)
    random.Random(seed).shuffle(pool)
    rows = list(general) + pool[:n_safety]
    random.Random(seed + n_safety).shuffle(rows)
    return rows


def mixture_sha256(rows: list[Example]) -> str:
    """sha256 of the mixture's content, in order."""
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps([r.prompt, r.response, r.complete], ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()
