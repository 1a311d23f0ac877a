"""Mixture strategies: safety-only, balanced, context-aware and multi-task, with format and
refusal-style variants; deduplicated, decontaminated, deterministic for a seed, with a data card.

safetylab data mix mix-context-aware --out runs/mix/context.jsonl
safetylab data mix src/safetylab/configs/mix-paper-grid.yaml --out mix.jsonl --source DIR

- safety-only (SIT): safety demonstrations only.
- balanced: general instructions + N safety demonstrations (N a count, a fraction of the
  mixture such as 0.03, or a grid of either; one file per grid value, ``FILE.n100.jsonl``).
- context-aware: minimal pairs (legitimate side -> helpful answer, harmful side -> refusal;
  ``n`` counts pairs) plus safe-but-sensitive prompts with answers; general/safety optional.
- multi-task: the response task plus auxiliary tasks made from the same rows: ``classify``
  (safe/unsafe and category) and ``explain`` (why a request is harmful or fine), each with its
  share of the mixture.

Variants: ``format`` rephrases safety prompts as questions or instructions; ``refusal_style``
makes refusals ``terse`` (first sentence) or ``reasoned`` (reason and a safe alternative).
Dedup and the contamination check run over the candidate pools before sampling, so every grid
mixture gets exactly its counts and the safety rows are nested across N.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetylab.data._bundled import BundledDataset, bundled_meta, bundled_records
from safetylab.data._card import build_card, jsonl_bytes, removed_list
from safetylab.data._dedup import contamination, dedup, eval_items
from safetylab.data._public import (
    is_available,
    load_public_with_files,
    public_spec,
)
from safetylab.data._recipe import ROLES, MixConfig, SourceSpec
from safetylab.data._styles import as_instruction, as_question, aux_examples, restyle_refusal
from safetylab.data._userfile import load_user_file, sha256_path
from safetylab.errors import SafetylabError
from safetylab.records import Example

_DEFAULT_LABEL = {"general": "safe", "safety": "unsafe", "sensitive": "safe", "context": "safe"}
_BUNDLED_LABELS = {
    "safety": "unsafe: every item (project-written harmful requests with refusals)",
    "sensitive-train": "safe: every item (project-written sensitive-sounding prompts with answers)",
    "sensitive-more": "safe: every item (project-written sensitive-sounding prompts with answers)",
    "context-pairs": "per pair: the legitimate side safe (helpful answer), the harmful side "
    "unsafe (refusal); project-written",
}


# ---------------------------------------------------------------- sources


@dataclass
class Pool:
    """The candidate rows of one role, before filtering and sampling."""

    role: str
    spec: SourceSpec
    rows: list[Example]
    meta: list[dict[str, str]]
    info: dict[str, Any]


def load_role(role: str, spec: SourceSpec, source: str | None) -> Pool:
    """A role's rows as Examples (strategy = role); answerless sets are refused by name."""
    info: dict[str, Any] = {"role": role, "name": spec.display()}
    if len(spec.names()) > 1:
        return _joined_pool(role, spec, source)
    if spec.file is not None:
        if role == "context" and not spec.label_col:
            raise SafetylabError(f"{role}: a user file for context pairs needs label_col")
        data = load_user_file(
            spec.file, spec.columns(), kind="train", skip_bad_rows=spec.skip_bad_rows,
            default_label=_DEFAULT_LABEL[role], source=f"file:{Path(spec.file).name}", split=spec.split,
        )  # fmt: skip
        rows = data.records
        meta: list[dict[str, str]] = [{} for _ in rows]
        info.update(files=[{"path": data.path, "sha256": data.sha256}], bad_rows=data.n_bad)
    else:
        name = spec.names()[0]
        if name.startswith("bundled/"):
            from safetylab.registry import datasets

            datasets.get(name)
            short = name.split("/", 1)[1]
            rows, meta = bundled_records(short), bundled_meta(short)
            path = BundledDataset(short).path
            info["files"] = [{"path": f"bundled/{path.name}", "sha256": sha256_path(path)}]
            info["labels"] = _BUNDLED_LABELS.get(short, "set per item by the bundled file")
            if short == "context-pairs":
                meta = [{**m, "pair": str(i // 2)} for i, m in enumerate(meta)]
        else:
            spec_ = public_spec(name)
            try:
                rows, files = load_public_with_files(spec_.name, source)
            except SafetylabError as e:
                raise SafetylabError(f"{role}: {e}") from None
            meta = [{} for _ in rows]
            info["labels"] = spec_.labels  # what the label means and its known noise
            info["files"] = [
                {"path": str(f.path), "sha256": f.sha256, "pinned": f.pinned} for f in files
            ]
        if rows and not isinstance(rows[0], Example):
            raise SafetylabError(
                f"{role}: dataset {name!r} has no answers (prompts only); use a dataset or file "
                "with answers, e.g. alpaca-cleaned or {file: ..., output_col: ...}"
            )
    rows = [dataclasses.replace(r, strategy=role) for r in rows]
    info["n_loaded"] = len(rows)
    return Pool(role, spec, rows, meta, info)


def _joined_pool(role: str, spec: SourceSpec, source: str | None) -> Pool:
    """Several datasets read as one pool, in the order given (``n`` draws from all of them).
    Context pairs keep apart: a pair id is prefixed by its dataset's position."""
    parts = [
        load_role(role, dataclasses.replace(spec, dataset=name), source) for name in spec.names()
    ]
    rows = [r for p in parts for r in p.rows]
    meta = [
        {**m, "pair": f"{k}:{m['pair']}"} if "pair" in m else m
        for k, p in enumerate(parts)
        for m in p.meta
    ]
    info: dict[str, Any] = {
        "role": role,
        "name": spec.display(),
        "files": [f for p in parts for f in p.info.get("files", [])],
        "labels": "; ".join(dict.fromkeys(str(p.info.get("labels", "")) for p in parts)),
        "n_loaded": len(rows),
    }
    return Pool(role, spec, rows, meta, info)


# ---------------------------------------------------------------- build


@dataclass
class Mixture:
    """One built mixture and its data card."""

    name: str  #: the mixture's name (with the grid value when there is a grid)
    tag: str  #: file-name suffix for grid members ("n100", "f0.03"), "" otherwise
    examples: list[Example]  #: the rows, in final (seeded) order
    card: dict[str, Any]  #: the data card
    data: bytes = b""  #: the JSONL file's bytes (as written by ``write_mixture``)


def _apply_variants(pools: dict[str, Pool], cfg: MixConfig) -> dict[str, Any]:
    """Format and refusal-style variants, in place; returns what changed (for the card)."""
    done: dict[str, Any] = {"format": cfg.format, "refusal_style": cfg.refusal_style}
    if "safety" in pools and cfg.format != "as-is":
        rng = random.Random(f"{cfg.seed}:format")
        n_changed = 0
        rows = []
        for r in pools["safety"].rows:
            want = cfg.format if cfg.format != "mixed" else rng.choice(("question", "instruction"))
            p = as_question(r.prompt) if want == "question" else as_instruction(r.prompt)
            n_changed += p != r.prompt
            rows.append(dataclasses.replace(r, prompt=p))
        pools["safety"].rows = rows
        done["format_rephrased"] = n_changed
    if cfg.refusal_style != "as-is":
        n_changed = n_refusals = 0
        for role in ("safety", "context"):
            if role not in pools:
                continue
            rows = []
            for r in pools[role].rows:
                resp = r.response
                if r.label == "unsafe":
                    resp = restyle_refusal(r.response, cfg.refusal_style, r.category)
                    n_refusals += 1
                n_changed += resp != r.response
                rows.append(dataclasses.replace(r, response=resp))
            pools[role].rows = rows
        done["refusals_restyled"] = n_changed
        done["refusals_in_pools"] = n_refusals
        if cfg.refusal_style == "reasoned":
            done["refusals_restyled_note"] = (
                f"{n_changed} of {n_refusals} refusals got a reason added; the other "
                f"{n_refusals - n_changed} already stated one"
            )
    return done


def _grid(cfg: MixConfig) -> list[Any]:
    if cfg.safety is None:
        return [None]
    if cfg.n_safety is None:
        return ["all"]
    return list(cfg.n_safety) if isinstance(cfg.n_safety, list) else [cfg.n_safety]


def _tag(v: Any, grid: bool) -> str:
    if not grid or v in (None, "all"):
        return ""
    return f"f{v}" if isinstance(v, float) else f"n{v}"


def _sample_groups(
    idx: list[int], meta: list[dict[str, str]], n: int | None, rng: random.Random
) -> list[int]:
    """Up to ``n`` groups (context pairs stay together; other rows are their own group)."""
    groups: dict[str, list[int]] = {}
    for i in idx:
        groups.setdefault(meta[i].get("pair", f"row{i}"), []).append(i)
    keys = list(groups)
    rng.shuffle(keys)
    if n is not None:
        if n > len(keys):
            return []
        keys = keys[:n]
    return [i for k in keys for i in groups[k]]


def _check_sources(cfg: MixConfig, source: str | None) -> None:
    """Fail before any work when a public source is missing, naming every missing one."""
    missing = []
    for role in ROLES:
        spec = getattr(cfg, role)
        for dataset in spec.names() if spec is not None else []:
            if dataset.startswith("bundled/"):
                continue
            name = public_spec(dataset).name
            if not is_available(name, source):
                where = f"under --source {source}" if source else "in the cache"
                missing.append(f"{role} source {name!r} is not {where}")
    if missing:
        hint = (
            "run `safetylab data fetch NAME` (needs network), pass --source DIR, or use {file: ...}"
        )
        raise SafetylabError(f"{'; '.join(missing)}: {hint}")


def build_mixtures(cfg: MixConfig, *, source: str | None = None) -> list[Mixture]:
    """Build every mixture of ``cfg`` (one per n_safety grid value); deterministic for the seed."""
    src = source or cfg.source
    _check_sources(cfg, src)
    evals, checked, skipped = eval_items(cfg.eval, src)
    pools = {r: load_role(r, getattr(cfg, r), src) for r in ROLES if getattr(cfg, r) is not None}
    variants = _apply_variants(pools, cfg)

    rows: list[Example] = []
    metas: list[dict[str, str]] = []
    for p in pools.values():
        rows += p.rows
        metas += p.meta
    d = dedup([r.prompt for r in rows], [r.label for r in rows], threshold=cfg.dedup_threshold)
    hits = contamination([(rows[i].prompt, rows[i].response) for i in d.keep], evals, n=cfg.ngram)
    bad = {d.keep[h.index]: h for h in hits}
    clean = [i for i in d.keep if i not in bad]

    def row_note(i: int) -> dict[str, Any]:
        return {"role": rows[i].strategy, "source": rows[i].source, "prompt": rows[i].prompt[:120]}

    dedup_card = {
        "method": "normalised prompt; exact, then MinHash/LSH near-duplicates (char 5-gram "
        "shingles, 120 hashes, 20 bands x 6 rows, exact Jaccard check); labels must agree",
        "scope": "candidate pools before sampling",
        "threshold": cfg.dedup_threshold,
        "n_in": len(rows),
        "n_exact": d.n_exact,
        "n_near": d.n_near,
        "removed": removed_list(
            [
                {
                    **row_note(r.index),
                    "duplicate_of": rows[int(r.match)].prompt[:120],
                    "reason": r.reason,
                }
                for r in d.removed
            ]
        ),
    }
    by_suite = Counter(h.suite for h in hits)
    contam_card = {
        "method": f"normalised prompt equal to an eval prompt, or a shared word {cfg.ngram}-gram (prompt or response)",
        "scope": "candidate pools after dedup, before sampling",
        "suites_checked": checked,
        "suites_skipped": skipped,
        "n_eval_prompts": len(evals),
        "n_removed": len(hits),
        "removed_by_suite": dict(sorted(by_suite.items())),
        "removed": [
            {**row_note(i), "matched": h.match, "reason": h.reason} for i, h in sorted(bad.items())
        ],
    }

    by_role = {r: [i for i in clean if rows[i].strategy == r] for r in pools}
    chosen: dict[str, list[int]] = {}
    for role, idx in by_role.items():
        rng = random.Random(f"{cfg.seed}:{role}")
        n = None if role == "safety" else pools[role].spec.n
        pick = _sample_groups(idx, metas, n, rng)
        if n is not None and not pick and n > 0:
            lost = pools[role].info["n_loaded"] - len(idx)
            raise SafetylabError(
                f"{role}: asked for {n} from {pools[role].spec.display()}, only {len(idx)} left "
                f"({lost} removed as duplicates or contaminated)"
            )
        chosen[role] = pick

    out = []
    base = [i for r in ROLES if r != "safety" for i in chosen.get(r, [])]
    for v in _grid(cfg):
        safety = chosen.get("safety", [])
        n_s = len(safety) if v in (None, "all") else v
        if isinstance(v, float):
            n_s = round(v * len(base) / (1 - v)) if base else round(v * len(safety))
        if n_s > len(safety):
            lost = pools["safety"].info["n_loaded"] - len(safety)
            raise SafetylabError(
                f"n_safety {v}: needs {n_s} safety rows, {pools['safety'].spec.display()} has "
                f"{len(safety)} left ({lost} removed as duplicates or contaminated)"
            )
        take = base + safety[:n_s]
        mix = [rows[i] for i in take]
        tag = _tag(v, isinstance(cfg.n_safety, list))
        if cfg.strategy == "multi-task":
            mix += aux_examples([(rows[i], metas[i]) for i in take], cfg.tasks, cfg.seed, tag)
        random.Random(f"{cfg.seed}:order:{tag}").shuffle(mix)
        used = Counter(rows[i].strategy for i in take)
        sources = [
            {**p.info, "n_after_filters": len(by_role[r]), "n_used": used.get(r, 0)}
            for r, p in pools.items()
        ]
        name = f"{cfg.name or 'mixture'}{'.' + tag if tag else ''}"
        data = jsonl_bytes(mix)
        card = build_card(
            mix, name=name, strategy=cfg.strategy, seed=cfg.seed, config=cfg.to_dict(),
            sources=sources, dedup=dedup_card, contamination=contam_card,
            variants={**variants, "n_safety": n_s, "tasks": cfg.tasks}, file_bytes=data,
        )  # fmt: skip
        out.append(Mixture(name, tag, mix, card, data))
    return out


def output_path(out: str | Path, tag: str) -> Path:
    """``FILE`` for a single mixture; ``FILE`` with ``.TAG`` before the suffix for a grid."""
    p = Path(out)
    if not tag:
        return p
    return p.with_name(f"{p.stem}.{tag}{p.suffix}" if p.suffix else f"{p.name}.{tag}")
