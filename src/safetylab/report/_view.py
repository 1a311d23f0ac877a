"""``view.html``: one self-contained, offline page to browse any run, several runs or a study.

from safetylab.report import write_view
write_view(["runs/demo"], "runs/demo/view.html")

Summary (headline metrics with 95% intervals, trade-off curves over N, the Pareto plot,
per-category and per-attack tables), every answer (filters, search, paging), one prompt side by
side across models and attacks, and relabelling that downloads a labels file for
``safetylab judge validate --labels``. Everything is inline (plotly.js included) and all model
text reaches the page as JSON rendered with ``textContent``; a CSP nonce blocks any other script.
"""

from __future__ import annotations

import html
import json
import math
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from safetylab.errors import SafetylabError
from safetylab.report._load import (
    judge_columns,
    load_cells,
    load_metrics,
    load_runs,
    run_names,
    study_of,
)

#: (suite, metric, label) of the headline numbers, in table order
HEADLINE = [
    ("harm", "harmful_compliance_rate", "harmful prompts: compliance"),
    ("overrefusal", "refusal_rate", "safe-but-sensitive prompts: refusal"),
    ("helpful", "refusal_rate", "plain helpful prompts: refusal"),
    ("helpful", "mc_accuracy", "capability (multiple choice)"),
]
PAGE_NAME = "view.html"
#: marks a page this module wrote: only such a file is ever replaced
GENERATOR = '<meta name="generator" content="safetylab view">'


def _is_our_page(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return GENERATOR in f.read(4096)
    except OSError:
        return False


def _safe_json(obj: Any) -> str:
    """JSON that can sit inside a <script> element: no ``<``, ``>`` or ``&`` characters."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _codes(values: pd.Series) -> tuple[list[str], list[int]]:
    cats = pd.Categorical(values.astype(str))
    return [str(c) for c in cats.categories], [int(c) for c in cats.codes]


def page_data(df: pd.DataFrame) -> dict[str, Any]:
    """The answers as one compact, dictionary-encoded blob (what the page's script reads)."""
    judges = judge_columns(df)
    prompts = df.drop_duplicates("prompt_id")[
        ["prompt_id", "prompt", "suite", "category", "transform", "prompt_label", "parent_id"]
    ].reset_index(drop=True)
    pidx = {pid: i for i, pid in enumerate(prompts["prompt_id"])}
    out: dict[str, Any] = {"judges": judges, "labels": []}
    for col in ("suite", "category", "transform"):
        out[col + "s"], out["p_" + col] = _codes(prompts[col])
    out["p_text"] = prompts["prompt"].tolist()
    out["p_id"] = prompts["prompt_id"].tolist()
    out["p_parent"] = [pidx.get(p, -1) for p in prompts["parent_id"]]
    out["p_unsafe"] = [int(v == "unsafe") for v in prompts["prompt_label"]]
    keys = df["run"] + "\x00" + df["model"]
    multi_run = df["run"].nunique() > 1
    order = (
        df.assign(_k=keys)
        .drop_duplicates("_k")
        .sort_values(["run", "strategy", "N", "model"], na_position="first")
    )
    out["runs"] = sorted(df["run"].unique().tolist())
    out["models"] = [
        (f"{r}: {m}" if multi_run and df[df["model"] == m]["run"].nunique() > 1 else m)
        for r, m in zip(order["run"], order["model"], strict=True)
    ]
    out["m_run"] = [out["runs"].index(r) for r in order["run"]]
    midx = {k: i for i, k in enumerate(order["_k"])}
    out["a_model"] = [midx[k] for k in keys]
    out["a_prompt"] = [pidx[p] for p in df["prompt_id"]]
    out["a_text"] = df["answer"].tolist()
    out["a_id"] = df["generation_id"].tolist()
    labels = sorted({v for j in judges for v in df["label_" + j] if v})
    out["labels"] = labels
    lidx = {v: i for i, v in enumerate(labels)}
    out["a_labels"] = [[lidx.get(v, -1) for v in df["label_" + j]] for j in judges]
    out["a_scores"] = [
        [None if pd.isna(v) else round(float(v), 4) for v in df["score_" + j]] for j in judges
    ]
    return out


def _model_info(df: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Metric rows with strategy and N (from the rows themselves, else from the answers)."""
    info = df.drop_duplicates(["run", "model"]).set_index(["run", "model"])[["strategy", "N"]]
    m = metrics.copy()
    if "N" not in m.columns and "n_safety" in m.columns:
        m["N"] = m["n_safety"]
    for col in ("strategy", "N"):
        if col not in m.columns:
            m[col] = [
                info[col].get((r, mo), math.nan if col == "N" else "")
                for r, mo in zip(m["run"], m["model"], strict=True)
            ]
    m["N"] = pd.to_numeric(m["N"], errors="coerce")
    m["strategy"] = m["strategy"].fillna("").astype(str)
    m["who"] = m["model"].astype(str)
    if m["run"].nunique() > 1:
        m["who"] = m["run"] + ": " + m["who"]
    if "seed" in m.columns and pd.to_numeric(m["seed"], errors="coerce").nunique() > 1:
        m["who"] = m["who"] + " (seed " + m["seed"].astype(str) + ")"
    return m


def _fmt(r: Any) -> str:
    if pd.isna(r.value):
        return "-"
    pct = r.metric.endswith(("_rate", "accuracy"))
    f = (lambda x: f"{x:.0%}") if pct else (lambda x: f"{x:.3f}")
    ci = f" [{f(r.ci_low)}, {f(r.ci_high)}]" if not pd.isna(r.ci_low) else ""
    return f"{f(r.value)}{ci} (n={int(r.n)})"


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def headline_html(m: pd.DataFrame) -> str:
    """Headline metrics: one line per model/cell, 95% intervals."""
    cols = [(s, k, lab) for s, k, lab in HEADLINE if ((m["suite"] == s) & (m["metric"] == k)).any()]
    if not cols:
        return "<p>No headline metrics in metrics.json.</p>"
    idx = {(w, s, k): r for r in m.itertuples() for w, s, k in [(r.who, r.suite, r.metric)]}
    whos = m.sort_values(["run", "strategy", "N", "model"], na_position="first")["who"].unique()
    rows = [
        [w] + [_fmt(idx[(w, s, k)]) if (w, s, k) in idx else "-" for s, k, _ in cols] for w in whos
    ]
    return _table(["model / cell"] + [lab for _, _, lab in cols], rows, "headline")


def breakdown_html(m: pd.DataFrame, sep: str, title: str) -> str:
    """Per-category (``suite/category``) or per-attack (``suite@transform``) tables."""
    sub = m[m["suite"].str.contains(sep, regex=False)]
    parts = []
    for (suite, metric), g in sub.assign(
        base=sub["suite"].str.split(sep, n=1).str[0], part=sub["suite"].str.split(sep, n=1).str[1]
    ).groupby(["base", "metric"], sort=True):
        whos = list(dict.fromkeys(g.sort_values(["run", "strategy", "N"])["who"]))
        idx = {(r.part, r.who): r for r in g.itertuples()}
        rows = [
            [part] + [_fmt(idx[(part, w)]) if (part, w) in idx else "-" for w in whos]
            for part in sorted(g["part"].unique())
        ]
        parts.append(f"<h3>{html.escape(f'{suite}: {metric}')}</h3>" + _table([title] + whos, rows))
    return "".join(parts)


def _hover(label: str) -> str:
    return (
        "%{customdata[0]}<br>" + html.escape(label) + ": %{y:.1%} "
        "[%{customdata[1]:.1%}, %{customdata[2]:.1%}] n=%{customdata[3]}<extra></extra>"
    )


def tradeoff_figure(m: pd.DataFrame) -> dict[str, Any] | None:
    """x = N, one line per (headline metric, strategy), 95% error bars."""
    import plotly.graph_objects as go

    fig = go.Figure()
    keys = ["run", "strategy"] if m["run"].nunique() > 1 else ["strategy"]
    if "seed" in m.columns and m["seed"].nunique() > 1:
        keys.append("seed")
    if m[m["N"].notna()].groupby(keys)["N"].nunique().max() < 2:
        return None  # no strategy was run at two sizes: nothing to draw a curve of
    for suite, metric, label in HEADLINE:
        sub = m[(m["suite"] == suite) & (m["metric"] == metric) & m["N"].notna()]
        for strat, g in sub.groupby(keys):  # a strategy at one size is one point
            g = g.sort_values("N")
            name = label + (f" · {' '.join(map(str, strat))}" if any(str(s) for s in strat) else "")
            fig.add_trace(
                go.Scatter(
                    x=g["N"].tolist(),
                    y=g["value"].tolist(),
                    mode="lines+markers",
                    name=html.escape(name),
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": (g["ci_high"] - g["value"]).tolist(),
                        "arrayminus": (g["value"] - g["ci_low"]).tolist(),
                    },
                    customdata=list(
                        zip(
                            g["who"].map(html.escape),
                            g["ci_low"],
                            g["ci_high"],
                            g["n"],
                            strict=True,
                        )
                    ),
                    hovertemplate=_hover(label),
                )
            )
    if not fig.data:
        return None
    fig.update_layout(
        title="Trade-off: what safety data buys and what it costs",
        xaxis_title="safety examples in training (N)",
        yaxis={"title": "rate", "range": [-0.05, 1.05], "tickformat": ".0%"},
        height=430,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"font": {"size": 11}},
    )
    return json.loads(fig.to_json())


def pareto_figure(m: pd.DataFrame) -> dict[str, Any] | None:
    """Harmful compliance vs safe-prompt refusal, one point per model/cell, frontier drawn."""
    import plotly.graph_objects as go

    x = m[(m["suite"] == "overrefusal") & (m["metric"] == "refusal_rate")].set_index("who")
    y = m[(m["suite"] == "harm") & (m["metric"] == "harmful_compliance_rate")].set_index("who")
    both = [w for w in y.index if w in x.index]
    if len(both) < 2:
        return None
    pts = sorted((float(x.loc[w, "value"]), float(y.loc[w, "value"]), w) for w in both)
    front, best = [], math.inf
    for px, py, w in pts:
        if py < best:
            front.append((px, py, w))
            best = py
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[p[0] for p in front],
            y=[p[1] for p in front],
            mode="lines",
            line={"shape": "hv", "dash": "dash", "color": "#888"},
            name="Pareto frontier",
            hoverinfo="skip",
        )
    )
    ws = [p[2] for p in pts]
    fig.add_trace(
        go.Scatter(
            x=[x.loc[w, "value"] for w in ws],
            y=[y.loc[w, "value"] for w in ws],
            mode="markers+text",
            text=[html.escape(w) for w in ws],
            textposition="top center",
            marker={"size": 10},
            name="model / cell",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [x.loc[w, "ci_high"] - x.loc[w, "value"] for w in ws],
                "arrayminus": [x.loc[w, "value"] - x.loc[w, "ci_low"] for w in ws],
            },
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [y.loc[w, "ci_high"] - y.loc[w, "value"] for w in ws],
                "arrayminus": [y.loc[w, "value"] - y.loc[w, "ci_low"] for w in ws],
            },
            customdata=[
                [
                    html.escape(w),
                    x.loc[w, "ci_low"],
                    x.loc[w, "ci_high"],
                    y.loc[w, "ci_low"],
                    y.loc[w, "ci_high"],
                ]
                for w in ws
            ],
            hovertemplate="%{customdata[0]}<br>safe-prompt refusal %{x:.1%} "
            "[%{customdata[1]:.1%}, %{customdata[2]:.1%}]<br>harmful compliance %{y:.1%} "
            "[%{customdata[3]:.1%}, %{customdata[4]:.1%}]<extra></extra>",
        )
    )
    fig.update_layout(
        title="Pareto: harmful compliance vs refusing safe-but-sensitive prompts (lower-left is better)",
        xaxis={"title": "safe-but-sensitive prompts refused", "tickformat": ".0%"},
        yaxis={"title": "harmful prompts complied with", "tickformat": ".0%"},
        height=430,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )
    return json.loads(fig.to_json())


def _asset(name: str) -> str:
    return resources.files("safetylab.report").joinpath("assets", name).read_text("utf-8")


def render_page(df: pd.DataFrame, metrics: pd.DataFrame, title: str) -> str:
    """The whole page as a string."""
    from plotly.offline import get_plotlyjs

    m = _model_info(df, metrics) if len(metrics) else metrics
    figs = {}
    summary = "<p>No metrics.json found.</p>"
    if len(m):
        figs = {
            k: f for k, f in (("tradeoff", tradeoff_figure(m)), ("pareto", pareto_figure(m))) if f
        }
        summary = (
            "<h2>Headline metrics (95% bootstrap intervals)</h2>"
            + headline_html(m)
            + "".join(f'<div class="plot" id="plot-{k}"></div>' for k in figs)
            + "<h2>Per category</h2>"
            + (breakdown_html(m, "/", "category") or "<p>none</p>")
            + "<h2>Per attack (transform)</h2>"
            + (breakdown_html(m, "@", "transform") or "<p>none</p>")
        )
    nonce = secrets.token_hex(16)
    csp = (
        f"default-src 'none'; script-src 'nonce-{nonce}' 'unsafe-eval'; style-src 'unsafe-inline';"
        " img-src data: blob:; font-src data:; connect-src 'none'"
    )
    runs = ", ".join(sorted(df["run"].unique())) if len(df) else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
{GENERATOR}
<title>{html.escape(title)}</title>
<style>{_asset("view.css")}</style>
</head><body>
<header><h1>{html.escape(title)}</h1><span class="runs">{html.escape(runs)}</span>
<nav><button data-tab="summary" class="on">Summary</button><button data-tab="answers">Answers</button>
<button data-tab="sbs">Side by side</button>
<span class="marks">relabelled: <b id="n-marks">0</b> <button id="dl-labels">Download labels</button></span></nav>
</header>
<section id="tab-summary" class="tab">{summary}</section>
<section id="tab-answers" class="tab" hidden>
<div class="filters">
<label>run <select id="f-run"></select></label>
<label>model <select id="f-model"></select></label>
<label>suite <select id="f-suite"></select></label>
<label>category <select id="f-category"></select></label>
<label>transform <select id="f-transform"></select></label>
<label>judge <select id="f-judge"></select></label>
<label>label <select id="f-label"></select></label>
<label><input type="checkbox" id="f-disagree"> judges disagree</label>
<input type="search" id="q" placeholder="search prompts and answers">
</div>
<div class="counts"><span id="count"></span> <span id="label-counts"></span></div>
<table id="answers"><thead><tr><th>model</th><th>suite</th><th>category</th><th>transform</th>
<th>prompt</th><th>answer</th><th>labels</th><th>your label</th></tr></thead><tbody></tbody></table>
<div class="pager"><button id="prev">&larr; prev</button> <span id="page"></span>
<button id="next">next &rarr;</button></div>
</section>
<section id="tab-sbs" class="tab" hidden><p id="sbs-empty">Click a prompt in Answers to see every
model's answer to it, and its attacked variants, side by side.</p><div id="sbs"></div></section>
<script type="application/json" id="data">{_safe_json(page_data(df) if len(df) else {})}</script>
<script type="application/json" id="figs">{_safe_json(figs)}</script>
<script nonce="{nonce}">{_asset("view.js")}</script>
<script nonce="{nonce}">{get_plotlyjs()}</script>
<script nonce="{nonce}">window.safetylabDrawPlots();</script>
</body></html>
"""


def write_view(run_dirs: list[str | Path] | str | Path, out: str | Path | None = None) -> Path:
    """Write the viewer page for one or more run/study directories; returns its path.

    ``out`` defaults to ``<first run dir>/view.html``."""
    dirs = [Path(run_dirs)] if isinstance(run_dirs, str | Path) else [Path(d) for d in run_dirs]
    if not dirs:
        raise SafetylabError("view: name at least one run directory")
    for d in dirs:
        if not d.is_dir():
            raise SafetylabError(f"{d}: no such run directory")
    target = Path(out) if out is not None else dirs[0] / PAGE_NAME
    if target.exists() and (not target.is_file() or not _is_our_page(target)):
        raise SafetylabError(
            f"{target}: exists and is not a page written by safetylab view; not overwritten "
            "(choose another --out)"
        )
    study = study_of(dirs)
    if study is not None:  # the finished cells of one study: one run, its top-level metrics
        names = [study.resolve().name]
        df = load_cells(study, dirs)
        metrics = load_metrics(study)
        if "cell" in metrics.columns:
            metrics = metrics[metrics["cell"].astype(str).isin({d.name for d in dirs})]
    else:
        names = run_names(dirs)
        df = load_runs(dirs)
        metrics = pd.concat(
            [load_metrics(d, run=n) for d, n in zip(dirs, names, strict=True)], ignore_index=True
        )
    title = "safetylab: " + (names[0] if len(names) == 1 else f"{len(names)} runs")
    page = render_page(df, metrics, title)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target
