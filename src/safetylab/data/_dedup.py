"""Exact and near-duplicate removal (MinHash + LSH, sub-quadratic) and contamination filtering.

from safetylab.data import dedup, contamination
kept = dedup(prompts, labels, threshold=0.8).keep

Duplicates are judged on the normalised prompt (lower-case, punctuation dropped, see
``normalize``). Exact: equal normalised text. Near: character 5-gram shingles, MinHash
signatures of 120 hash functions, LSH with 20 bands of 6 rows (a pair at Jaccard 0.8 becomes a
candidate with probability 0.998, one at 0.4 with 0.08), candidates filtered on the signature
estimate (>= threshold - 0.2) and then verified by their exact Jaccard similarity.
Two prompts only count as duplicates when their safe/unsafe labels agree: a safe request and
its unsafe minimal-pair twin look alike on purpose. The first occurrence is kept.

Contamination: a training example whose normalised prompt equals an evaluation prompt, or whose
prompt or response shares a word n-gram (default 8) with one, is contaminated (reported with the suite and item id of the match). ``eval_items`` gathers the
evaluation prompts of a run: bundled eval files, public eval sets, registered suites, files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.data._bundled import bundled_eval_names, bundled_records
from safetylab.data._contamination import normalize
from safetylab.data._public import (
    PUBLIC,
    is_available,
    load_public_with_files,
)
from safetylab.data._public_readers import LabelledCompletion
from safetylab.data._userfile import Columns, load_user_file
from safetylab.errors import SafetylabError
from safetylab.records import Example, Prompt

_P = np.uint64(1099511628211)  # FNV prime, the base of the rolling shingle hash
_RNG_SEED = 0x5AFE  # fixed: dedup results do not depend on the mixture's seed


@dataclass(frozen=True)
class Removed:
    """One row dropped by dedup or the contamination check."""

    index: int  #: position in the input
    match: str  #: what it matched: input index of the kept duplicate, or "suite/item id"
    reason: str  #: "exact", "near (jaccard 0.86)", "exact match" or "8-gram '...'"
    suite: str = ""  #: the evaluation suite matched (contamination only)


@dataclass
class DedupResult:
    """Which rows survive dedup, and why the others were dropped."""

    keep: list[int]  #: surviving input positions, in input order
    removed: list[Removed] = field(default_factory=list)  #: dropped rows, in input order
    n_exact: int = 0  #: dropped as exact duplicates (after normalisation)
    n_near: int = 0  #: dropped as near duplicates


def _shingles(norm: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling hashes of every k-byte window of each text; returns (hashes, segment starts).

    Texts shorter than k are padded with spaces so that every text has at least one shingle.
    """
    enc = [(t if len(t) >= k else t.ljust(k)).encode("utf-8") for t in norm]
    lens = np.fromiter((len(b) for b in enc), dtype=np.int64, count=len(enc))
    offsets = np.zeros(len(enc), dtype=np.int64)
    np.cumsum(lens[:-1], out=offsets[1:])
    buf = np.frombuffer(b"".join(enc), dtype=np.uint8).astype(np.uint64)
    n_win = len(buf) - k + 1
    h = np.zeros(n_win, dtype=np.uint64)
    for j in range(k):
        h = h * _P + buf[j : j + n_win]
    counts = lens - k + 1
    doc = np.repeat(np.arange(len(enc)), counts)
    seg = np.zeros(len(enc), dtype=np.int64)
    np.cumsum(counts[:-1], out=seg[1:])
    starts = offsets[doc] + (np.arange(len(doc)) - seg[doc])
    return h[starts], seg


def minhash(hashes: np.ndarray, seg: np.ndarray, num_perm: int) -> np.ndarray:
    """(n_docs, num_perm) MinHash signatures (multiply-shift hashing, 32-bit values)."""
    rng = np.random.default_rng(_RNG_SEED)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    sig = np.empty((len(seg), num_perm), dtype=np.uint32)
    shift = np.uint64(32)
    buf = np.empty_like(hashes)
    for i in range(num_perm):  # in place: no temporaries per hash function
        np.multiply(hashes, a[i], out=buf)
        np.add(buf, b[i], out=buf)
        np.right_shift(buf, shift, out=buf)
        sig[:, i] = np.minimum.reduceat(buf, seg)
    return sig


def dedup(
    texts: Sequence[str],
    labels: Sequence[str] | None = None,
    *,
    threshold: float | None = 0.8,
    shingle: int = 5,
    num_perm: int = 120,
    bands: int = 20,
) -> DedupResult:
    """Drop exact and near duplicates of ``texts`` (keeping the first); see the module doc.

    ``threshold=None`` removes exact duplicates only.
    """
    n = len(texts)
    labs = list(labels) if labels is not None else [""] * n
    norm = [normalize(t) for t in texts]
    res = DedupResult(keep=[])
    seen: dict[tuple[str, str], int] = {}
    alive = np.ones(n, dtype=bool)
    for i, (t, lab) in enumerate(zip(norm, labs, strict=True)):
        j = seen.setdefault((lab, t), i)
        if j != i:
            alive[i] = False
            res.removed.append(Removed(i, str(j), "exact"))
            res.n_exact += 1
    if n and threshold is not None:
        _near(norm, labs, alive, res, threshold, shingle, num_perm, bands)
    res.removed.sort(key=lambda r: r.index)
    res.keep = [int(i) for i in np.flatnonzero(alive)]
    return res


def _candidate_pairs(sig: np.ndarray, labs: np.ndarray, bands: int) -> np.ndarray:
    """(m, 2) pairs (earlier, later) that share a band key and a label (LSH)."""
    rows = sig.shape[1] // bands
    mix = np.random.default_rng(_RNG_SEED + 1).integers(1, 2**63, size=rows, dtype=np.uint64)
    found: list[np.ndarray] = []
    for b in range(bands):
        band = sig[:, b * rows : (b + 1) * rows].astype(np.uint64)
        key = (band * mix).sum(axis=1) + labs * np.uint64(0x9E37)
        order = np.argsort(key, kind="stable")
        ks = key[order]
        cut = np.flatnonzero(ks[1:] != ks[:-1]) + 1
        starts = np.concatenate([[0], cut])
        ends = np.concatenate([cut, [len(ks)]])
        size = ends - starts
        two = starts[size == 2]  # most groups are pairs: vectorised
        found.append(np.sort(np.stack([order[two], order[two + 1]], axis=1), axis=1))
        for g in np.flatnonzero(size > 2):
            mem = np.sort(order[starts[g] : ends[g]])
            i, j = np.triu_indices(len(mem), k=1)
            found.append(np.stack([mem[i], mem[j]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    allp = np.concatenate(found).astype(np.int64)
    code = np.unique(allp[:, 0] * len(sig) + allp[:, 1])  # one int per pair: fast unique
    return np.stack([code // len(sig), code % len(sig)], axis=1)


def _near(
    norm: list[str],
    labs: list[str],
    alive: np.ndarray,
    res: DedupResult,
    threshold: float,
    shingle: int,
    num_perm: int,
    bands: int,
) -> None:
    idx = np.flatnonzero(alive)
    if len(idx) < 2:
        return
    hashes, seg = _shingles([norm[i] for i in idx], shingle)
    sig = minhash(hashes, seg, num_perm)
    codes = {lab: c for c, lab in enumerate(sorted(set(labs)))}
    lab_arr = np.array([codes[labs[i]] for i in idx], dtype=np.uint64)
    pairs = _candidate_pairs(sig, lab_arr, bands)
    keep = []  # cheap filter on the signature estimate (in chunks), then the exact Jaccard
    for c in range(0, len(pairs), 8192):
        p = pairs[c : c + 8192]
        est = (sig[p[:, 0]] == sig[p[:, 1]]).mean(axis=1)
        keep.append(p[est >= threshold - 0.2])
    pairs = np.concatenate(keep) if keep else pairs
    ends = np.append(seg[1:], len(hashes))
    sets: dict[int, set[int]] = {}

    def shingle_set(k: int) -> set[int]:
        if k not in sets:
            sets[k] = set(hashes[seg[k] : ends[k]].tolist())
        return sets[k]

    similar: dict[int, list[tuple[int, float]]] = {}
    for a, b in pairs.tolist():
        s1, s2 = shingle_set(a), shingle_set(b)
        inter = len(s1 & s2)
        jac = inter / (len(s1) + len(s2) - inter)
        if jac >= threshold:
            similar.setdefault(b, []).append((a, jac))
    for k in sorted(similar):
        i = int(idx[k])
        for c, jac in sorted(similar[k]):
            if alive[idx[c]]:
                alive[i] = False
                res.removed.append(Removed(i, str(int(idx[c])), f"near (jaccard {jac:.2f})"))
                res.n_near += 1
                break


@dataclass(frozen=True)
class EvalItem:
    """One evaluation prompt that training data must not contain."""

    suite: str  #: suite or dataset name
    id: str  #: the item's id in its suite
    text: str  #: the prompt text


def contamination(
    train: Sequence[tuple[str, str]], evals: Sequence[EvalItem], n: int = 8
) -> list[Removed]:
    """Training (prompt, response) pairs that contain an evaluation prompt: the normalised
    prompt equals one, or the prompt or response shares a word ``n``-gram with one."""
    exact: dict[str, int] = {}
    grams: dict[tuple[str, ...], int] = {}
    for j, e in enumerate(evals):
        t = normalize(e.text)
        exact.setdefault(t, j)
        w = t.split()
        for i in range(len(w) - n + 1):
            grams.setdefault(tuple(w[i : i + n]), j)
    starts = {g[0] for g in grams}
    out = []
    for i, (prompt, response) in enumerate(train):
        p = normalize(prompt)
        if p in exact:
            e = evals[exact[p]]
            out.append(Removed(i, f"{e.suite}/{e.id}", "exact match", e.suite))
            continue
        hit = _first_gram(p.split(), grams, starts, n)
        if hit is None and response:
            hit = _first_gram(normalize(response).split(), grams, starts, n)
        if hit is not None:
            e = evals[grams[hit]]
            out.append(Removed(i, f"{e.suite}/{e.id}", f"{n}-gram {' '.join(hit)!r}", e.suite))
    return out


def _first_gram(
    w: list[str], grams: dict[tuple[str, ...], int], starts: set[str], n: int
) -> tuple[str, ...] | None:
    for i in range(len(w) - n + 1):
        if w[i] in starts:
            g = tuple(w[i : i + n])
            if g in grams:
                return g
    return None


# ---------------------------------------------------------------- which evaluation prompts


def _prompts_of(records: list[Any]) -> list[Prompt]:
    return [
        r.prompt if isinstance(r, LabelledCompletion) else r
        for r in records
        if not isinstance(r, Example)
    ]


def eval_items(
    spec: Any, source: str | None
) -> tuple[list[EvalItem], dict[str, int], dict[str, str]]:
    """Evaluation prompts to check against: (items, prompts per suite, suites skipped + why).

    ``all`` = ``[bundled, public, suites]``: every bundled eval file, every public evaluation
    set available locally and every registered suite. Sets named through ``public``/``suites``
    that cannot be read are listed as skipped; sets named one by one must be readable.
    """
    from safetylab.registry import load_plugins

    load_plugins()
    names: list[Any] = []
    lenient: set[str] = set()
    if spec == "all":
        names = bundled_eval_names() + _public_eval_names() + _suite_names()
        lenient.update(names)
    else:
        for n in spec:
            if n == "bundled":
                names += bundled_eval_names()
            elif n in ("public", "suites"):
                lenient.update(_KEYWORD_NAMES[n]())
                names += _KEYWORD_NAMES[n]()
            else:
                names.append(n)
    items: list[EvalItem] = []
    checked: dict[str, int] = {}
    skipped: dict[str, str] = {}
    for n in names:
        if isinstance(n, dict):
            file = n.get("file")
            odd = [k for k in n if k != "file" and not (k.endswith("_col") and k[:-4] in _COLS)]
            if not file or odd:
                raise SafetylabError(f"eval: {n!r} needs a file and only *_col options")
            cols = Columns(**{k[:-4]: v for k, v in n.items() if k.endswith("_col")})
            prompts: list[Prompt] = load_user_file(file, cols, kind="eval").records
            label = f"file:{Path(file).name}"
        else:
            label = str(n)
            try:
                prompts = _suite_prompts(label, source, label in lenient)
            except _Skip as e:
                skipped[label] = str(e)
                continue
        checked[label] = len(prompts)
        items += [EvalItem(label, p.source_id or p.id, p.text) for p in prompts]
    return items, checked, skipped


class _Skip(Exception):
    pass


def _public_eval_names() -> list[str]:
    return [n for n, s in PUBLIC.items() if s.kind == "eval" and not s.view_of]


def _suite_names() -> list[str]:
    from safetylab.registry import suites

    return [e.name for e in suites]


_COLS = ("instruction", "input", "output", "messages", "label", "category")
_KEYWORD_NAMES = {"public": _public_eval_names, "suites": _suite_names}


def _suite_prompts(name: str, source: str | None, lenient: bool) -> list[Prompt]:
    from safetylab.registry import suites

    if name.startswith("bundled/"):
        return _prompts_of(bundled_records(name.split("/", 1)[1]))
    if name in PUBLIC or name.lower() in {k.lower() for k in PUBLIC}:
        if lenient and not is_available(name, source):
            raise _Skip("not available locally (fetch it or pass --source)")
        return _prompts_of(load_public_with_files(name, source)[0])
    if name in suites:
        try:
            return list(suites.get(name).prompts())
        except (SafetylabError, TypeError, AttributeError) as e:
            if lenient:
                raise _Skip(f"could not list its prompts ({e})") from None
            raise SafetylabError(
                f"eval: suite {name!r}: could not list its prompts ({e})"
            ) from None
    try:
        return _prompts_of(load_public_with_files(name, source)[0])  # aliases, did-you-mean
    except SafetylabError as e:
        raise SafetylabError(f"eval: {e}") from None
