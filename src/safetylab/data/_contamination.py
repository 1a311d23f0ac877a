"""Contamination checks: exact (normalised) matches and shared word 8-grams."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9']+")


def normalize(text: str) -> str:
    """Lower-case, NFKC, punctuation dropped, whitespace collapsed."""
    t = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    return " ".join(_WORD.findall(t))


def ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    w = normalize(text).split()
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def find_contamination(
    train_texts: Iterable[str], eval_texts: Iterable[str], n: int = 8
) -> list[tuple[int, int, str]]:
    """(train index, eval index, reason) for every train text that matches an eval text exactly
    (after normalisation) or shares a word ``n``-gram with it."""
    eval_list = list(eval_texts)
    exact = {normalize(t): j for j, t in enumerate(eval_list)}
    gram_owner: dict[tuple[str, ...], int] = {}
    for j, t in enumerate(eval_list):
        for g in ngrams(t, n):
            gram_owner.setdefault(g, j)
    hits: list[tuple[int, int, str]] = []
    for i, t in enumerate(train_texts):
        k = normalize(t)
        if k in exact:
            hits.append((i, exact[k], "exact"))
            continue
        for g in ngrams(t, n):
            if g in gram_owner:
                hits.append((i, gram_owner[g], f"{n}-gram {' '.join(g)!r}"))
                break
    return hits
