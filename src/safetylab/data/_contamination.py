"""Text normalisation for the dedup and contamination checks (``data/_dedup.py``): lower case,
NFKC, punctuation dropped; word n-grams."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9']+")


def normalize(text: str) -> str:
    """Lower-case, NFKC, punctuation dropped, whitespace collapsed."""
    t = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    return " ".join(_WORD.findall(t))


def ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    w = normalize(text).split()
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}
