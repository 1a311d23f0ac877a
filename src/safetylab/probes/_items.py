"""Prompt sets for the probes, each prompt labelled with intent and with keyword presence.

Three splits:

* ``train``: bundled train prompts where keyword and intent mostly go together: harmful requests
  (``bundled/safety``) and plain instructions (``bundled/general``).
* ``heldout``: bundled eval prompts of the same two kinds (``harmful``, ``helpful``); no overlap.
* ``decorrelated``: minimal pairs where the keyword no longer tells the intent: the bundled
  sensitive-safe prompts and their sensitive-unsafe twins, both sides of the context pairs, and
  XSTest's safe prompts and contrasts (read from a local copy when one is given).

    from safetylab.probes import probe_items
    items = probe_items("decorrelated", xstest="../shared/data/exaggerated-safety/xstest_prompts.csv")

A prompt has a *sensitive keyword* when it contains a term of the bundled lexicon
(``attacks/lexicon.json``: 118 violence/crime/weapon/drug terms) or its own ``focus`` word (the
word its data set marks as the sensitive-looking one), as a whole word with an optional
``s/es/ed/d/ing`` ending.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from safetylab.data import bundled_records, paired_prompts
from safetylab.errors import SafetylabError
from safetylab.records import content_id

SPLITS = ("train", "heldout", "decorrelated")


@dataclass(frozen=True)
class ProbeItem:
    """One prompt with the two labels the probes separate."""

    text: str  #: the user turn
    intent: int  #: 1 = harmful request, 0 = harmless
    keyword: int  #: 1 = a sensitive keyword (lexicon term or the item's focus word) appears
    source: str  #: data set, e.g. "bundled/safety", "xstest"
    split: str  #: "train", "heldout" or "decorrelated"
    category: str = ""  #: harm category, task type or XSTest type
    focus: str = ""  #: the sensitive-looking word, when the data set marks one
    pair: str = ""  #: minimal-pair id shared by the two sides (decorrelated split)

    @property
    def id(self) -> str:
        """Content hash of source and text."""
        return content_id(self.source, self.text)


def _term_regex(term: str) -> str:
    t = re.escape(term.lower())
    stem = re.escape(term.lower()[:-1]) if term.lower().endswith("e") else None
    alts = [rf"{t}(?:s|es|ed|d|ing)?"]
    if stem:
        alts.append(rf"{stem}ing")
    return r"\b(?:" + "|".join(alts) + r")\b"


@lru_cache(maxsize=1)
def _lexicon_pattern() -> re.Pattern[str]:
    from safetylab.attacks import load_lexicon

    terms = sorted(load_lexicon(), key=lambda k: (-len(k), k))
    return re.compile("|".join(_term_regex(t) for t in terms), re.IGNORECASE)


def has_keyword(text: str, focus: str = "") -> bool:
    """True when ``text`` contains a lexicon term or the ``focus`` word (whole word, inflected)."""
    if focus and re.search(_term_regex(focus), text, re.IGNORECASE):
        return True
    return bool(_lexicon_pattern().search(text))


def _item(
    text: str,
    intent: int,
    source: str,
    split: str,
    category: str = "",
    focus: str = "",
    pair: str = "",
) -> ProbeItem:
    return ProbeItem(
        text=text,
        intent=intent,
        keyword=int(has_keyword(text, focus)),
        source=source,
        split=split,
        category=category,
        focus=focus,
        pair=pair,
    )


def _bundled_split(split: str) -> list[ProbeItem]:
    if split == "train":
        harm = [(e.prompt, e.category) for e in bundled_records("safety")]
        harmless, src = bundled_records("general"), ("bundled/safety", "bundled/general")
    else:
        harm = [(p.text, p.category) for p in bundled_records("harmful")]
        harmless, src = bundled_records("helpful"), ("bundled/harmful", "bundled/helpful")
    out = [_item(text, 1, src[0], split, cat) for text, cat in harm]
    out += [_item(p.text, 0, src[1], split, p.category) for p in harmless]
    return out


def _decorrelated_bundled() -> list[ProbeItem]:
    return [
        _item(
            pp.prompt.text,
            int(pp.prompt.label == "unsafe"),
            f"bundled/{short}",
            "decorrelated",
            pp.prompt.category,
            pp.prompt.focus,
            pp.pair,
        )
        for short in ("sensitive-safe", "sensitive-unsafe", "context-pairs")
        for pp in paired_prompts(short)
    ]


def xstest_items(path: str | Path) -> list[ProbeItem]:
    """XSTest v2 prompts (safe and ``contrast_*``) as decorrelated items.

    Contrast rows follow their safe block in the file (row ``i`` of a contrast block pairs with
    row ``i`` of the safe block of the same type); types without a one-to-one twin keep their own id.
    """
    p = Path(path)
    if not p.is_file():
        raise SafetylabError(f"--xstest {path}: file not found (xstest_prompts.csv)")
    with open(p, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    need = {"id", "prompt", "type", "label", "focus"}
    if not rows or not need <= set(rows[0]):
        raise SafetylabError(f"{path}:1: expected columns {sorted(need)}")
    by_type: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_type.setdefault(r["type"], []).append(r)
    out: list[ProbeItem] = []
    for r in rows:
        label = r["label"].strip()
        if label not in ("safe", "unsafe"):
            raise SafetylabError(f"{path}: row id {r['id']}: label {label!r} is not safe/unsafe")
        pair = f"xstest-{r['id']}"
        t = r["type"]
        if t.startswith("contrast_") and t[len("contrast_") :] in by_type:
            safe_rows = by_type[t[len("contrast_") :]]
            k = by_type[t].index(r)
            if len(safe_rows) == len(by_type[t]):
                pair = f"xstest-{safe_rows[k]['id']}"
        intent = int(label == "unsafe")
        out.append(_item(r["prompt"], intent, "xstest", "decorrelated", t, r["focus"] or "", pair))
    return out


def probe_items(
    split: str,
    *,
    xstest: str | Path | None = None,
    n_per_class: int | None = None,
    seed: int = 0,
) -> list[ProbeItem]:
    """Items of one split, optionally subsampled to about ``n_per_class`` per intent.

    The decorrelated split adds XSTest when ``xstest`` names its prompts CSV, and is subsampled
    evenly over its four (keyword, intent) cells (``n_per_class / 2`` each, rounded up, as far as
    a cell has items), so that the keyword-reliance index rests on both conflict cells.
    """
    if split not in SPLITS:
        raise SafetylabError(f"split {split!r}: expected one of {', '.join(SPLITS)}")
    if split == "decorrelated":
        items = _decorrelated_bundled() + (xstest_items(xstest) if xstest else [])
        n_cell = None if n_per_class is None else -(-n_per_class // 2)
        return subsample(items, n_cell, seed, by=("intent", "keyword"))
    return subsample(_bundled_split(split), n_per_class, seed)


def subsample(
    items: Sequence[ProbeItem],
    n_per_class: int | None,
    seed: int = 0,
    by: Sequence[str] = ("intent",),
) -> list[ProbeItem]:
    """Up to ``n_per_class`` items per class of the ``by`` labels, by a seeded shuffle; order kept."""
    if n_per_class is None:
        return list(items)
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, it in enumerate(items):
        groups.setdefault(tuple(getattr(it, b) for b in by), []).append(i)
    keep: set[int] = set()
    for key, idx in sorted(groups.items()):
        tag = ":".join(map(str, key))
        random.Random(f"{seed}:{tag}").shuffle(idx)
        keep.update(idx[:n_per_class])
    return [it for i, it in enumerate(items) if i in keep]
