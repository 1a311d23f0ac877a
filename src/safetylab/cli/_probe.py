"""``safetylab probe``: look inside base and safety-tuned checkpoints.

safetylab probe linear --run runs/q1                # intent vs keyword probes, keyword reliance
safetylab probe attention --run runs/q1             # attention to focus words
safetylab probe direction --run runs/q1             # refusal direction, sweep cosine, ablation
safetylab probe refusals --run runs/q1              # model refusals: KRI, reason consistency
safetylab probe all --run runs/q1 --xstest ../shared/data/exaggerated-safety/xstest_prompts.csv

Results go to ``<run>/probes`` (or --out) as JSON, with PNG figures for the report.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

_HELP = {
    "linear": "linear probes per layer (intent, keyword), CV accuracy and keyword reliance",
    "attention": "attention from the answer position to focus words, per layer and head",
    "direction": "refusal direction per checkpoint, cosine across the sweep, ablate/add",
    "refusals": "generate and judge: refusal keyword reliance and reason consistency",
    "all": "every stage above, in order",
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "probe",
        help="look inside checkpoints: probes, attention, refusal direction, refusals",
        description="Probe a base model and its safety-tuned adapters (e.g. a demo run).",
    )
    stages = p.add_subparsers(dest="stage", metavar="STAGE", required=True)
    from safetylab.config import defaults, field_help
    from safetylab.probes import ProbeConfig

    helps, default = field_help(ProbeConfig), defaults(ProbeConfig)
    for name, text in _HELP.items():
        sp = stages.add_parser(name, help=text, description=text)
        sp.add_argument("--run", default=None, help="demo run directory (adapters in models/*)")
        sp.add_argument("--model", default=None, help="base model (default: the run's, or bundled)")
        sp.add_argument(
            "--adapter", action="append", default=[], help="extra LoRA adapter folder (repeatable)"
        )
        sp.add_argument("--no-base", action="store_true", help="leave out the bare base model")
        sp.add_argument("--out", default=None, help="output folder (default <run>/probes)")
        sp.add_argument("--force", action="store_true", help="reuse a folder made by other options")
        for f in dataclasses.fields(ProbeConfig):  # typed and checked by build_config
            flag = "--" + f.name.replace("_", "-")
            shown = "" if default[f.name] in (None, "") else f" (default: {default[f.name]})"
            text = helps.get(f.name, "") + shown
            sp.add_argument(flag, default=None, help=text.replace("%", "%%"))
        sp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from safetylab.config import build_config
    from safetylab.errors import SafetylabError
    from safetylab.probes import ProbeConfig, checkpoints, run_stages

    over = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(ProbeConfig)
        if getattr(args, f.name, None) is not None
    }
    cfg = build_config(ProbeConfig, over, flags=True)
    if cfg.xstest and not Path(cfg.xstest).is_file():
        raise SafetylabError(f"--xstest {cfg.xstest}: file not found")
    ckpts = checkpoints(
        args.run, model=args.model, adapters=args.adapter, include_base=not args.no_base
    )
    out = args.out or (str(Path(args.run) / "probes") if args.run else "runs/probes")
    results = run_stages([args.stage], ckpts, out, cfg, force=args.force)
    for stage, res in results.items():
        print(_summary(stage, res))
    print(f"\nresults: {out}/")
    return 0


def _summary(stage: str, res: dict[str, Any]) -> str:
    lines = [f"[{stage}]"]
    if stage == "linear":
        changed = res.get("layers_changed", {})
        for model, best in res["best"].items():
            ch = changed.get(model, {})
            if ch and not ch.get("reference"):
                lines.append(f"  {model}: {ch['summary']}")
            else:
                lines.append(f"  {model}:")
            moving = res.get("best_among_changed_layers", {}).get(model, {})
            for target in ("intent", "keyword"):
                b = best[target]
                if b.get("unchanged_from_base"):
                    text = f"best layer {b['layer']} is unchanged from base (same numbers)"
                    if target in moving:
                        text += f"; among changed layers: {_probe_numbers(moving[target])}"
                else:
                    text = _probe_numbers(b)
                lines.append(f"    {target} probe: {text}")
    elif stage == "attention":
        for model, r in res["models"].items():
            if "safe" in r and "unsafe" in r:
                s, u = r["safe"]["by_layer"], r["unsafe"]["by_layer"]
                same = r.get("unchanged_layers", [])
                note = f"; layers {_span(same)} unchanged from base" if same else ""
                lines.append(
                    f"  {model}: mean attention to focus safe {sum(s) / len(s):.4f}, "
                    f"unsafe {sum(u) / len(u):.4f}{note}"
                )
    elif stage == "direction":
        iv = res["intervention"]
        lines.append(
            f"  layer {res['layer']} ({res['layer_rule']}), intervention on {iv['checkpoint']}"
        )
        for model, ch in res.get("layers_changed", {}).items():
            if not ch.get("reference"):
                lines.append(f"  {model}: {ch['summary']}")
        if res.get("unchanged_at_layer"):
            names = ", ".join(res["unchanged_at_layer"])
            lines.append(
                f"  unchanged at layer {res['layer']}: {names} (cosine 1.0 by construction)"
            )
        for cond, rates in iv["conditions"].items():
            parts = [f"{s} {v['rate']:.2f}" for s, v in rates.items()]
            lines.append(f"  {cond:<9} refusal: " + ", ".join(parts))
    elif stage == "refusals":
        for model, r in res["models"].items():
            d, c = r["decorrelated"], r["harm"]["consistency"]
            kri = d.get("constant") or f"refusal KRI {d['kri']:+.3f}"
            lines.append(
                f"  {model}: {kri}; safe {d['refusal_safe']['rate']:.2f}, "
                f"unsafe {d['refusal_unsafe']['rate']:.2f}; reasons match "
                f"{c['match_share']:.2f}, generic {c['generic_refusal_share']:.2f}"
            )
    return "\n".join(lines)


def _probe_numbers(b: dict[str, Any]) -> str:
    """``layer 9 held-out acc 0.950, decorrelated acc 0.562, KRI +0.125`` (or the constant
    predictor's label instead of a KRI that would read as "no keyword reliance")."""
    kri = b.get("constant_label") or f"KRI {b['kri']:+.3f}"
    return (
        f"layer {b['layer']} held-out acc {b['heldout_acc']:.3f}, decorrelated acc "
        f"{b['dec_acc']:.3f}, {kri}"
    )


def _span(layers: list[int]) -> str:
    """``0-19`` for a contiguous run, else the list."""
    if layers == list(range(layers[0], layers[-1] + 1)):
        return f"{layers[0]}-{layers[-1]}" if len(layers) > 1 else str(layers[0])
    return ", ".join(map(str, layers))
