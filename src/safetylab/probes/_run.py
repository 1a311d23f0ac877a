"""The probe stages behind ``safetylab probe``: linear probes, attention, refusal direction, refusals.

    safetylab probe linear --run runs/q1            # base model + every adapter in runs/q1/models
    safetylab probe all --run runs/q1 --xstest ../shared/data/exaggerated-safety/xstest_prompts.csv

Each stage writes JSON into the output folder (default ``<run>/probes``) and one PNG figure:
``linear.json`` + ``probe_accuracy.png`` + ``keyword_reliance.png``, ``attention.json`` +
``attention_focus.png``, ``direction.json`` + ``directions/<checkpoint>.npy`` +
``direction_similarity.png``, ``refusals.json``; generations and judgments go to
``generations.jsonl`` / ``judgments.jsonl`` (resumable, cached like the demo's).

Every stage that loads weights records which layers each checkpoint changed against the base
(``layers_changed``, see ``probes/_layers.py``): results on hidden states a checkpoint cannot
have changed are flagged ``unchanged_from_base`` (they equal the base's by construction), and
the refusal direction's layer is chosen among the states the checkpoints can change.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from annotated_types import Ge

from safetylab.config import Count, Positive, PositiveFloat
from safetylab.errors import SafetylabError
from safetylab.evals import bootstrap_ci
from safetylab.probes._attention import focus_attention
from safetylab.probes._hidden import HiddenStates, hidden_states, n_hidden
from safetylab.probes._items import ProbeItem, has_keyword, probe_items, subsample
from safetylab.probes._layers import ChangeTracker
from safetylab.probes._linear import (
    TARGETS,
    ProbeResult,
    ProbeSet,
    best_layer,
    linear_probes,
)
from safetylab.registry import probes
from safetylab.store import RunDir, write_json

STAGES = ("linear", "attention", "direction", "refusals")
Pooling = Literal["last", "mean"]


@dataclass
class ProbeConfig:
    """Probe settings (field comments double as CLI help)."""

    n_train: Positive = 100  #: train-split prompts per class (harmful / harmless) for the probes
    n_heldout: Positive = 60  #: held-out prompts per class
    n_dec: Positive = 150  #: decorrelated prompts per class (minimal pairs)
    xstest: str | None = None  #: XSTest prompts CSV added to the decorrelated set
    pool: Pooling = "last"  #: "last" (answer position) or "mean" (over prompt tokens)
    layer_step: Positive = 1  #: probe every k-th layer (the last layer is always included)
    max_layer: Count | None = None  #: deepest hidden-state index to compute (default: all)
    folds: Annotated[int, Ge(2)] = 5  #: cross-validation folds
    c: PositiveFloat = 0.1  #: inverse L2 strength of the logistic regression
    n_attention: Positive = 40  #: prompts per class (safe/unsafe) with a focus word, for attention
    n_direction: Positive = 64  #: train-split prompts per class for the refusal direction
    direction_layer: Count | None = None  #: hidden-state index of the direction (default: auto)
    n_generate: Positive = 24  #: prompts per class and suite whose answers are generated and judged
    max_new_tokens: Positive = 32  #: tokens generated per answer
    alpha: float = 1.0  #: scale of the direction added in the "add" intervention
    steer: str = ""  #: checkpoint to intervene on (default: the last one)
    batch_size: Positive = 32  #: generation batch size
    seed: int = 0  #: prompt sampling, folds and bootstrap


@dataclass(frozen=True)
class Checkpoint:
    """A model to probe: the base model, optionally with a LoRA adapter."""

    name: str  #: display name, e.g. "base" or "safety-64"
    model: str  #: base model: bundled name, Hugging Face id or local folder
    adapter: str | None = None  #: LoRA adapter folder, or None for the base model


def _sort_key(name: str) -> tuple[int, str]:
    m = re.search(r"(\d+)$", name)
    return (int(m.group(1)) if m else -1, name)


def checkpoints(
    run: str | Path | None = None,
    *,
    model: str | None = None,
    adapters: Sequence[str] = (),
    include_base: bool = True,
) -> list[Checkpoint]:
    """The base model, then the adapters of a demo run (``models/*``, by N) and any others."""
    base = model
    found: list[Checkpoint] = []
    if run is not None:
        rd = Path(run)
        if not rd.is_dir():
            raise SafetylabError(f"--run {run}: not a folder")
        cfg_file = rd / "config.resolved.yaml"
        if base is None and cfg_file.exists():
            base = (yaml.safe_load(cfg_file.read_text(encoding="utf-8")) or {}).get("model")
        mdir = rd / "models"
        dirs = (
            [d for d in mdir.iterdir() if (d / "adapter_model.safetensors").exists()]
            if mdir.is_dir()
            else []
        )
        if not dirs:
            raise SafetylabError(
                f"--run {run}: no adapters under {mdir} (run `safetylab demo` first)"
            )
        for d in sorted(dirs, key=lambda d: _sort_key(d.name)):
            found.append(Checkpoint(d.name, "", str(d)))
    base = base or "smollm2-135m-instruct"
    for a in adapters:
        if not (Path(a) / "adapter_model.safetensors").exists():
            raise SafetylabError(f"--adapter {a}: no adapter_model.safetensors in that folder")
        found.append(Checkpoint(Path(a).name, "", a))
    out = [Checkpoint("base", base)] if include_base else []
    out += [dataclasses.replace(c, model=base) for c in found]
    if not out:
        raise SafetylabError("nothing to probe: give --run, --adapter or keep the base model")
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise SafetylabError(f"checkpoint names must differ: {names}")
    return out


def _load(ck: Checkpoint) -> Any:
    from safetylab.models import load_base

    return load_base(ck.model, adapter=ck.adapter)


def _layers(n_hid: int, cfg: ProbeConfig) -> list[int]:
    deepest = n_hid - 1 if cfg.max_layer is None else min(cfg.max_layer, n_hid - 1)
    if deepest < 0 or cfg.layer_step < 1:
        raise SafetylabError("--max-layer must be >= 0 and --layer-step >= 1")
    out = list(range(0, deepest + 1, cfg.layer_step))
    if out[-1] != deepest:
        out.append(deepest)
    return out


def _states(lm: Any, items: Sequence[ProbeItem], layers: Sequence[int] | None) -> HiddenStates:
    return hidden_states(
        lm.model, lm.tokenizer, [it.text for it in items], fingerprint=lm.fingerprint, layers=layers
    )


def _open(out: str | Path, cfg: ProbeConfig, ckpts: Sequence[Checkpoint], force: bool) -> RunDir:
    conf = {"probe": asdict(cfg), "checkpoints": [asdict(c) for c in ckpts]}
    return RunDir(out, conf, force=force, command="probe")


def _manifest(run: RunDir, stage: str, fingerprints: dict[str, str]) -> None:
    """Write the manifest (last), keeping what earlier stages recorded in this folder."""
    import json
    import time

    f = run.file("manifest.json")
    stages: dict[str, Any] = {}
    if f.exists():
        try:
            stages = dict(json.loads(f.read_text(encoding="utf-8")).get("stages", {}))
        except (ValueError, AttributeError):
            stages = {}
    stages[stage] = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model_fingerprints": fingerprints,
    }
    run.write_manifest({"stages": stages})


def _ci(values: Sequence[float] | np.ndarray, seed: int) -> list[float]:
    lo, hi = bootstrap_ci(np.asarray(values, dtype=float), seed=seed)
    return [lo, hi]


# ---------------------------------------------------------------------------------------- linear
@probes.register("linear", description="linear probes per layer: intent vs keyword, with KRI")
def probe_linear(
    ckpts: Sequence[Checkpoint], out: str | Path, cfg: ProbeConfig, *, force: bool = False
) -> dict[str, Any]:
    """Intent and keyword probes per layer for every checkpoint; writes ``linear.json``."""
    from safetylab.probes._plots import plot_keyword_reliance, plot_probe_accuracy

    run = _open(out, cfg, ckpts, force)
    tr = probe_items("train", n_per_class=cfg.n_train, seed=cfg.seed)
    he = probe_items("heldout", n_per_class=cfg.n_heldout, seed=cfg.seed)
    de = probe_items("decorrelated", xstest=cfg.xstest, n_per_class=cfg.n_dec, seed=cfg.seed)
    rows: list[dict[str, Any]] = []
    best: dict[str, dict[str, Any]] = {}
    best_moving: dict[str, dict[str, Any]] = {}
    fps: dict[str, str] = {}
    tracker = ChangeTracker()
    for ck in ckpts:
        lm = _load(ck)
        fps[ck.name] = lm.fingerprint
        tracker.add(ck.name, lm.model, ck.adapter is None)
        layers = _layers(n_hidden(lm.model), cfg)
        sets = [ProbeSet(_states(lm, s, layers), tuple(s)) for s in (tr, he, de)]
        res = linear_probes(
            *sets, model=ck.name, pool=cfg.pool, folds=cfg.folds, seed=cfg.seed, c=cfg.c
        )

        def flagged(r: ProbeResult, name: str = ck.name) -> dict[str, Any]:
            return {**r.to_dict(), "unchanged_from_base": tracker.unchanged(name, r.layer)}

        rows += [flagged(r) for r in res]
        best[ck.name] = {t: flagged(best_layer(res, t)) for t in TARGETS}
        moving = [r for r in res if not tracker.unchanged(ck.name, r.layer)]
        if ck.name != tracker.reference and moving:
            best_moving[ck.name] = {
                t: flagged(best_layer(moving, t))
                for t in TARGETS
                if any(r.target == t for r in moving)
            }
        del lm
    agree = float(np.mean([it.intent == it.keyword for it in tr]))
    result = {
        "fingerprints": fps,
        "n_items": {"train": len(tr), "heldout": len(he), "decorrelated": len(de)},
        "train_keyword_intent_agreement": agree,
        "decorrelated_cells": _cells(de),
        "layers_changed": tracker.to_dict(),
        "best": best,
        "best_among_changed_layers": best_moving,
        "results": rows,
    }
    write_json(run.file("linear.json"), result)
    plot_probe_accuracy(rows, run.file("probe_accuracy.png"))
    plot_keyword_reliance(rows, run.file("keyword_reliance.png"), _model_kri(run))
    _manifest(run, "linear", fps)
    return result


def _cells(items: Sequence[ProbeItem]) -> dict[str, int]:
    out: dict[str, int] = {}
    for it in items:
        k = f"intent={it.intent},keyword={it.keyword}"
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items()))


def _model_kri(run: RunDir) -> dict[str, dict[str, Any]] | None:
    f = run.file("refusals.json")
    if not f.exists():
        return None
    import json

    data = json.loads(f.read_text(encoding="utf-8"))
    return {m: v["decorrelated"] for m, v in data.get("models", {}).items()}


# ------------------------------------------------------------------------------------- attention
@probes.register("attention", description="attention from the answer position to focus words")
def probe_attention(
    ckpts: Sequence[Checkpoint], out: str | Path, cfg: ProbeConfig, *, force: bool = False
) -> dict[str, Any]:
    """Attention to the focus word per layer and head, safe vs unsafe, per checkpoint."""
    from safetylab.probes._plots import plot_attention

    run = _open(out, cfg, ckpts, force)
    pool = [
        it
        for it in probe_items("decorrelated", xstest=cfg.xstest)
        if it.focus and has_keyword(it.text, it.focus)
    ]
    pool = [it for it in pool if re.search(r"\w", it.focus)]
    items = subsample(pool, cfg.n_attention, cfg.seed)
    result: dict[str, Any] = {"n_items": len(items), "models": {}, "fingerprints": {}}
    tracker = ChangeTracker()
    for ck in ckpts:
        lm = _load(ck)
        result["fingerprints"][ck.name] = lm.fingerprint
        tracker.add(ck.name, lm.model, ck.adapter is None)
        att, kept = focus_attention(lm.model, lm.tokenizer, items)
        res: dict[str, Any] = {
            # decoder layers whose attention equals the base's by construction
            "unchanged_layers": [
                j for j in range(att.shape[1]) if tracker.attention_unchanged(ck.name, j)
            ]
        }
        for label, intent in (("safe", 0), ("unsafe", 1)):
            sel = [i for i, k in enumerate(kept) if items[k].intent == intent]
            if not sel:
                continue
            a = att[sel]  # [n, L, H]
            head_mean = a.mean(axis=2)  # [n, L]
            res[label] = {
                "n": len(sel),
                "by_layer": head_mean.mean(axis=0).round(6).tolist(),
                "by_layer_ci": [_ci(head_mean[:, j], cfg.seed) for j in range(a.shape[1])],
                "by_head": a.mean(axis=0).round(6).tolist(),
                "max_head_by_layer": a.mean(axis=0).max(axis=1).round(6).tolist(),
            }
        if "safe" in res and "unsafe" in res:
            res["unsafe_minus_safe_by_layer"] = (
                (np.asarray(res["unsafe"]["by_layer"]) - np.asarray(res["safe"]["by_layer"]))
                .round(6)
                .tolist()
            )
        result["models"][ck.name] = res
        del lm
    result["layers_changed"] = tracker.to_dict()
    write_json(run.file("attention.json"), result)
    plot_attention(result, run.file("attention_focus.png"))
    _manifest(run, "attention", result["fingerprints"])
    return result


def run_stages(
    stages: Sequence[str],
    ckpts: Sequence[Checkpoint],
    out: str | Path,
    cfg: ProbeConfig,
    *,
    force: bool = False,
) -> dict[str, Any]:
    """Run the named probe stages in order (``all`` = linear, attention, direction, refusals)."""
    names = list(STAGES) if list(stages) == ["all"] else list(stages)
    results = {}
    for s in names:
        results[s] = probes.get(s)(ckpts, out, cfg, force=force)
        force = False  # the config was (re)written by the first stage
    return results
