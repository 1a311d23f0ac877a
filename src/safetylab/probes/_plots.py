"""Figures for the probe results (matplotlib, Agg backend, PNG).

Each function takes the JSON-ready results the probe stages write and saves one PNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

_STYLES = ("-", "--", ":", "-.")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _models(rows: Sequence[dict[str, Any]]) -> list[str]:
    seen: list[str] = []
    for r in rows:
        if r["model"] not in seen:
            seen.append(r["model"])
    return seen


def plot_probe_accuracy(rows: Sequence[dict[str, Any]], path: str | Path) -> None:
    """Probe accuracy by layer: intent and keyword probes, one line style per checkpoint.

    Left: out-of-fold accuracy on the train split; right: accuracy on the decorrelated pairs.
    """
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    colors = {"intent": "tab:red", "keyword": "tab:blue"}
    for m_i, model in enumerate(_models(rows)):
        for target, color in colors.items():
            sel = sorted(
                (r for r in rows if r["model"] == model and r["target"] == target),
                key=lambda r: r["layer"],
            )
            if not sel:
                continue
            x = [r["layer"] for r in sel]
            for ax, key in zip(axes, ("cv", "dec"), strict=True):
                y = [r[f"{key}_acc"] for r in sel]
                lo = [r[f"{key}_ci"][0] for r in sel]
                hi = [r[f"{key}_ci"][1] for r in sel]
                ls = _STYLES[m_i % len(_STYLES)]
                ax.plot(x, y, ls, color=color, label=f"{target} / {model}")
                ax.fill_between(x, lo, hi, color=color, alpha=0.08)
    axes[0].set_title("cross-validated (train split: keyword ~ intent)")
    axes[1].set_title("decorrelated minimal pairs")
    for ax in axes:
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("layer (0 = embeddings)")
        ax.set_ylim(0.3, 1.02)
    axes[0].set_ylabel("probe accuracy")
    axes[0].legend(fontsize=7, loc="lower right", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_keyword_reliance(
    rows: Sequence[dict[str, Any]],
    path: str | Path,
    model_kri: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Keyword-reliance index of the intent probe by layer; the models' refusal KRI as lines."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    for m_i, model in enumerate(_models(rows)):
        sel = sorted(
            (r for r in rows if r["model"] == model and r["target"] == "intent"),
            key=lambda r: r["layer"],
        )
        if not sel:
            continue
        x = [r["layer"] for r in sel]
        color = f"C{m_i}"
        ax.plot(x, [r["kri"] for r in sel], color=color, label=f"intent probe / {model}")
        ax.fill_between(
            x, [r["kri_ci"][0] for r in sel], [r["kri_ci"][1] for r in sel], color=color, alpha=0.12
        )
        if model_kri and model in model_kri:
            ax.axhline(
                model_kri[model]["kri"], color=color, ls="--", lw=1, label=f"refusals / {model}"
            )
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("layer (0 = embeddings)")
    ax.set_ylabel("KRI = P(d | keyword, harmless) - P(d | no keyword, harmful)", fontsize=8)
    ax.set_title("keyword reliance on decorrelated prompts (+1 keyword only, -1 intent only)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_attention(result: dict[str, Any], path: str | Path) -> None:
    """Attention mass on the focus word by layer (mean over heads), safe vs unsafe per model;
    right: heatmap (layer x head) of last-minus-first checkpoint on safe prompts."""
    plt = _plt()
    models = list(result["models"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [3, 2]})
    ax = axes[0]
    for m_i, model in enumerate(models):
        res = result["models"][model]
        for label, color in (("safe", "tab:green"), ("unsafe", "tab:red")):
            if label not in res:
                continue
            y = res[label]["by_layer"]
            ax.plot(
                range(1, len(y) + 1),
                y,
                _STYLES[m_i % len(_STYLES)],
                color=color,
                label=f"{label} / {model}",
            )
    ax.set_xlabel("decoder layer")
    ax.set_ylabel("attention to focus word (mean over heads)")
    ax.set_title("answer position -> focus word")
    ax.legend(fontsize=7)
    ax2 = axes[1]
    if (
        len(models) >= 2
        and "safe" in result["models"][models[0]]
        and "safe" in result["models"][models[-1]]
    ):
        a = np.asarray(result["models"][models[-1]]["safe"]["by_head"])
        b = np.asarray(result["models"][models[0]]["safe"]["by_head"])
        d = a - b
        v = float(np.abs(d).max()) or 1.0
        im = ax2.imshow(
            d.T,
            aspect="auto",
            cmap="RdBu_r",
            vmin=-v,
            vmax=v,
            origin="lower",
            extent=(0.5, d.shape[0] + 0.5, -0.5, d.shape[1] - 0.5),
        )
        fig.colorbar(im, ax=ax2)
        ax2.set_title(f"safe prompts: {models[-1]} minus {models[0]}")
        ax2.set_xlabel("decoder layer")
        ax2.set_ylabel("head")
    else:
        ax2.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_direction_similarity(result: dict[str, Any], path: str | Path) -> None:
    """Cosine of each checkpoint's refusal direction with the reference checkpoint's, by layer
    (from layer 1: at layer 0 the answer token is the same for every prompt, so the direction is
    zero); right: the cosine matrix at the last layer, where fine-tuning changes the most."""
    plt = _plt()
    cos = np.asarray(result["cosine"]["cos"])  # [L, m, m]
    names = result["cosine"]["names"]
    ref = names.index(result["reference"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    layers = np.arange(1, cos.shape[0])
    for j, name in enumerate(names):
        if j == ref:
            continue
        axes[0].plot(layers, cos[1:, ref, j], marker=".", label=f"{name} vs {names[ref]}")
    axes[0].axvline(result["layer"], color="grey", ls=":", lw=1, label="layer used to steer")
    axes[0].set_xlabel("layer")
    axes[0].set_ylabel("cosine similarity")
    axes[0].set_title("refusal direction across the sweep")
    axes[0].legend(fontsize=7)
    last = cos.shape[0] - 1
    m = cos[last]
    im = axes[1].imshow(m, vmin=-1, vmax=1, cmap="RdBu_r")
    axes[1].set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=7)
    axes[1].set_yticks(range(len(names)), names, fontsize=7)
    for i in range(len(names)):
        for j in range(len(names)):
            color = "white" if abs(m[i, j]) > 0.6 else "black"
            axes[1].text(j, i, f"{m[i, j]:.3f}", ha="center", va="center", fontsize=7, color=color)
    axes[1].set_title(f"layer {last}")
    fig.colorbar(im, ax=axes[1])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
