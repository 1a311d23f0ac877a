"""The probe stages that generate: the refusal direction (with its ablation/addition check) and
the models' refusals (keyword reliance and reason consistency).

    safetylab probe direction --run runs/q1
    safetylab probe refusals --run runs/q1

Answers are judged with the validated ``refusal`` judge; a refusal is any label but full compliance.
Generations go to ``generations.jsonl`` / ``judgments.jsonl`` in the output folder and to the
shared generation cache; a steered model's fingerprint carries the direction's hash, the layer
and alpha, so its answers never mix with the plain model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.errors import SafetylabError
from safetylab.probes import _run
from safetylab.probes._consistency import consistency_summary
from safetylab.probes._direction import (
    cosine_matrix,
    direction_hash,
    refusal_directions,
    select_layer,
    separation,
    steer,
)
from safetylab.probes._hidden import n_hidden
from safetylab.probes._items import probe_items
from safetylab.probes._layers import ChangeTracker
from safetylab.probes._linear import cell_rates, constant_value, keyword_reliance
from safetylab.probes._run import (
    Checkpoint,
    ProbeConfig,
    _ci,
    _manifest,
    _model_kri,
    _open,
    _states,
)
from safetylab.records import Prompt, refused
from safetylab.registry import probes
from safetylab.store import GenerationCache, RunDir, cache_dir, write_json


# ------------------------------------------------------------------------------------- direction
def _refused(
    lm: Any,
    name: str,
    fingerprint: str,
    prompts: Sequence[Prompt],
    cfg: ProbeConfig,
    run: RunDir,
) -> tuple[list[str], list[bool]]:
    """(answers, refused) with the refusal judge; a refusal = anything but full compliance."""
    from safetylab.evals import generate_and_judge
    from safetylab.generate import HFBackend
    from safetylab.judges import RefusalJudge

    backend = HFBackend(lm.model, lm.tokenizer, fingerprint, cfg.batch_size)
    decoding = {"max_new_tokens": cfg.max_new_tokens, "do_sample": False}
    cache = GenerationCache(cache_dir() / "generations.sqlite")
    try:  # the pipeline's one generate -> judge stage
        res = generate_and_judge(
            backend, name, list(prompts), decoding, [RefusalJudge()], run, cache=cache
        )
    finally:
        cache.close()
    return [g.text for g in res.gens], [refused(j.label) for j in res.judged[res.primary]]


def _suite_prompts(cfg: ProbeConfig) -> dict[str, list[Prompt]]:
    """``harm``: bundled held-out harmful requests; ``xsafe``: bundled safe-but-sensitive prompts
    (both balanced over categories, ``n_generate`` each)."""
    from safetylab.data import bundled_prompts

    return {
        "harm": bundled_prompts("harmful", "probe-harm", cfg.n_generate),
        "xsafe": bundled_prompts("sensitive-safe", "probe-xsafe", cfg.n_generate),
    }


def _rate(hits: Sequence[bool], seed: int) -> dict[str, Any]:
    x = np.asarray(hits, dtype=float)
    return {
        "rate": float(x.mean()) if x.size else float("nan"),
        "ci": _ci(x, seed),
        "n": int(x.size),
    }


@probes.register(
    "direction", description="refusal direction: sweep similarity and ablation/addition"
)
def probe_direction(
    ckpts: Sequence[Checkpoint], out: str | Path, cfg: ProbeConfig, *, force: bool = False
) -> dict[str, Any]:
    """Difference-of-means directions per checkpoint, their cosine across the sweep, and the
    change in refusal rate when the direction is ablated or added in one checkpoint."""
    from safetylab.probes._plots import plot_direction_similarity

    run = _open(out, cfg, ckpts, force)
    target = cfg.steer or ckpts[-1].name
    if target not in {c.name for c in ckpts}:
        raise SafetylabError(f"--steer {target}: not one of {[c.name for c in ckpts]}")
    tr = probe_items("train", n_per_class=cfg.n_direction, seed=cfg.seed)
    he = probe_items("heldout", n_per_class=cfg.n_heldout, seed=cfg.seed)
    harm_tr = [it for it in tr if it.intent == 1]
    safe_tr = [it for it in tr if it.intent == 0]
    harm_he = [it for it in he if it.intent == 1]
    safe_he = [it for it in he if it.intent == 0]
    ddir = run.file("directions")
    ddir.mkdir(exist_ok=True)
    dirs: dict[str, np.ndarray] = {}
    seps: dict[str, list[float]] = {}
    norms: dict[str, list[float]] = {}
    fps: dict[str, str] = {}
    tracker = ChangeTracker()
    kept: Any = None  # the target checkpoint, intervened on once every checkpoint is seen
    held: tuple[Any, Any] | None = None
    n_hid = 0
    for ck in ckpts:
        lm = _run._load(ck)  # one loader to patch in tests
        fps[ck.name] = lm.fingerprint
        tracker.add(ck.name, lm.model, ck.adapter is None)
        n_hid = n_hidden(lm.model)
        layers = list(range(n_hid))
        d = refusal_directions(_states(lm, harm_tr, layers), _states(lm, safe_tr, layers))
        dirs[ck.name] = d
        np.save(ddir / f"{ck.name}.npy", d)
        hh, hs = _states(lm, harm_he, layers), _states(lm, safe_he, layers)
        seps[ck.name] = [round(separation(d[i], hh.last[:, i], hs.last[:, i]), 4) for i in layers]
        norms[ck.name] = [round(float(np.linalg.norm(d[i])), 4) for i in layers]
        if ck.name == target:
            kept, held = lm, (hh, hs)
        del lm
    assert held is not None
    layer, rule = _direction_layer(cfg, dirs[target], *held, tracker.moved_from(), n_hid)
    steer_result = _intervene(kept, target, dirs[target][layer], layer, cfg, run)
    del kept
    cos = cosine_matrix(dirs)
    same = [n for n in dirs if n == tracker.reference or tracker.unchanged(n, layer)]
    result = {
        "reference": target,
        "layer": int(layer),
        "layer_rule": rule,
        "layers_changed": tracker.to_dict(),
        "unchanged_at_layer": same if len(same) > 1 else [],
        "fingerprints": fps,
        "n_prompts": {"direction_per_class": len(harm_tr), "heldout_per_class": len(harm_he)},
        "norm_by_layer": norms,
        "separation_by_layer": seps,
        "cosine": cos,
        "cosine_with_reference_at_layer": {
            n: cos["cos"][layer][cos["names"].index(target)][j] for j, n in enumerate(cos["names"])
        },
        "intervention": steer_result,
    }
    write_json(run.file("direction.json"), result)
    plot_direction_similarity(result, run.file("direction_similarity.png"))
    _manifest(run, "direction", fps)
    return result


def _direction_layer(
    cfg: ProbeConfig, d: np.ndarray, hh: Any, hs: Any, moved: int | None, n_hid: int
) -> tuple[int, str]:
    """(layer, why): the given ``--direction-layer``, or the best-separating hidden state among
    those the checkpoints can change (``moved`` and deeper), preferring 0.2-0.8 of the depth."""
    top = n_hid - 1
    if cfg.direction_layer is not None:
        layer = cfg.direction_layer
        if not 1 <= layer < n_hid:
            raise SafetylabError(f"--direction-layer {layer}: expected 1..{top}")
        rule = "given"
        if moved is None or layer < moved:
            rule += (
                f"; hidden state {layer} is unchanged by every checkpoint, so its direction and "
                "cosine are the base's by construction"
            )
        return layer, rule
    window = "max Cohen's d of held-out projections"
    if moved is None:
        layer = select_layer(d, hh, hs, max_frac=0.8)
        return layer, (
            f"{window}, layers 0.2-0.8 of depth; no checkpoint changes any probed layer, so "
            "every checkpoint's direction equals the base's by construction"
        )
    allowed = list(range(max(moved, 1), n_hid))
    try:
        layer = select_layer(d, hh, hs, max_frac=0.8, allowed=allowed)
        return (
            layer,
            f"{window} among the states the checkpoints change ({moved}-{top}), within 0.2-0.8 of depth",
        )
    except SafetylabError:
        layer = select_layer(d, hh, hs, min_frac=0.0, max_frac=1.0, allowed=allowed)
        return layer, (
            f"{window} among the states the checkpoints change ({moved}-{top}); the usual "
            "0.2-0.8 depth window holds none of them (states below are the base's by construction)"
        )


def _intervene(
    lm: Any, name: str, direction: np.ndarray, layer: int, cfg: ProbeConfig, run: RunDir
) -> dict[str, Any]:
    """Refusal rates on harm and xsafe prompts: as is, direction ablated, direction added."""
    suites = _suite_prompts(cfg)
    h = direction_hash(direction)
    out: dict[str, Any] = {
        "checkpoint": name,
        "layer": layer,
        "alpha": cfg.alpha,
        "direction_sha": h,
        "conditions": {},
    }
    for cond in ("baseline", "ablate", "add"):
        fp = (
            lm.fingerprint
            if cond == "baseline"
            else f"{lm.fingerprint}|{cond}:{h}:L{layer}:a{cfg.alpha}"
        )
        tag = name if cond == "baseline" else f"{name}+{cond}"
        rates: dict[str, Any] = {}
        for suite, prompts in suites.items():
            if cond == "baseline":
                _, refused = _refused(lm, tag, fp, prompts, cfg, run)
            else:
                with steer(lm.model, direction, mode=cond, layer=layer, alpha=cfg.alpha):
                    _, refused = _refused(lm, tag, fp, prompts, cfg, run)
            rates[suite] = _rate(refused, cfg.seed)
            rates[suite]["refused"] = [int(x) for x in refused]
        out["conditions"][cond] = rates
    base = out["conditions"]["baseline"]
    for cond in ("ablate", "add"):
        for suite in suites:
            a = np.asarray(out["conditions"][cond][suite].pop("refused"), dtype=float)
            b = np.asarray(base[suite]["refused"], dtype=float)
            out["conditions"][cond][suite]["change"] = float(a.mean() - b.mean())
            out["conditions"][cond][suite]["change_ci"] = _ci(a - b, cfg.seed)
    for suite in suites:
        base[suite].pop("refused")
    return out


# -------------------------------------------------------------------------------------- refusals
@probes.register("refusals", description="model refusals: keyword reliance and reason consistency")
def probe_refusals(
    ckpts: Sequence[Checkpoint], out: str | Path, cfg: ProbeConfig, *, force: bool = False
) -> dict[str, Any]:
    """Per checkpoint: refusals on decorrelated pairs (their KRI) and on harmful requests (does
    the stated reason match the harm category?)."""
    from safetylab.data import bundled_records
    from safetylab.probes._plots import plot_keyword_reliance

    run = _open(out, cfg, ckpts, force)
    de = probe_items("decorrelated", xstest=cfg.xstest, n_per_class=cfg.n_generate, seed=cfg.seed)
    de_prompts = [
        Prompt(
            it.text,
            "probe-decorrelated",
            "unsafe" if it.intent else "safe",
            it.category,
            it.id,
            focus=it.focus,
        )
        for it in de
    ]
    harm = _suite_prompts(cfg)["harm"]
    cat_of = {p.source_id: p.category for p in bundled_records("harmful")}
    result: dict[str, Any] = {
        "fingerprints": {},
        "models": {},
        "n_decorrelated": len(de),
        "n_harm": len(harm),
    }
    for ck in ckpts:
        lm = _run._load(ck)  # one loader to patch in tests
        result["fingerprints"][ck.name] = lm.fingerprint
        _, ref_de = _refused(lm, ck.name, lm.fingerprint, de_prompts, cfg, run)
        texts, ref_h = _refused(lm, ck.name, lm.fingerprint, harm, cfg, run)
        kk = [it.keyword for it in de]
        yy = [it.intent for it in de]
        const = constant_value([int(x) for x in ref_de])
        kri, kri_ci = (
            keyword_reliance([int(x) for x in ref_de], kk, yy, cfg.seed)
            if const is None
            else (float("nan"), (float("nan"), float("nan")))
        )
        cells = cell_rates([int(x) for x in ref_de], kk, yy)
        refusals = [
            (t, cat_of[p.source_id]) for t, p, r in zip(texts, harm, ref_h, strict=True) if r
        ]
        result["models"][ck.name] = {
            "decorrelated": {
                "kri": kri,
                "kri_ci": list(kri_ci),
                "constant": None
                if const is None
                else f"constant (refused {'all' if const else 'none'} of {len(ref_de)})",
                "refusal_safe": _rate(
                    [r for r, y in zip(ref_de, yy, strict=True) if y == 0], cfg.seed
                ),
                "refusal_unsafe": _rate(
                    [r for r, y in zip(ref_de, yy, strict=True) if y == 1], cfg.seed
                ),
                "refusal_by_cell": cells,
            },
            "harm": {
                "refusal": _rate(ref_h, cfg.seed),
                "consistency": consistency_summary(refusals, cfg.seed),
            },
        }
        del lm
    write_json(run.file("refusals.json"), result)
    lin = run.file("linear.json")
    if lin.exists():
        import json

        rows = json.loads(lin.read_text(encoding="utf-8"))["results"]
        plot_keyword_reliance(rows, run.file("keyword_reliance.png"), _model_kri(run))
    _manifest(run, "refusals", result["fingerprints"])
    return result
