"""Write ``report.md`` and a self-contained ``report.html`` (plot embedded, outputs escaped)."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Any

from safetylab.records import Generation, Judgment, MetricRow, Prompt, refused
from safetylab.report._findings import findings
from safetylab.store import write_text

SERIES = [
    ("harm", "harmful_compliance_rate", "harmful prompts: compliance"),
    ("overrefusal", "refusal_rate", "safe-but-sensitive prompts: refusal"),
    ("helpful", "refusal_rate", "helpful prompts: refusal"),
]


def _n_of(model: str) -> int:
    m = re.search(r"(\d+)$", model)
    return int(m.group(1)) if m else 0


def headline_table(rows: list[MetricRow]) -> str:
    """Markdown table: one line per model, one column per headline metric (value [95% CI])."""
    models = sorted({r.model for r in rows}, key=_n_of)
    idx = {(r.model, r.suite, r.metric): r for r in rows}
    head = "| model | " + " | ".join(label for _, _, label in SERIES) + " |"
    lines = [head, "|" + "---|" * (len(SERIES) + 1)]
    for m in models:
        cells = []
        for suite, metric, _ in SERIES:
            r = idx.get((m, suite, metric))
            cells.append(f"{r.value:.0%} [{r.ci_low:.0%}, {r.ci_high:.0%}] (n={r.n})" if r else "-")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tradeoff_plot_png(rows: list[MetricRow]) -> bytes:
    """x = number of safety examples; y = the three headline rates with 95% error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for suite, metric, label in SERIES:
        pts = sorted(
            ((_n_of(r.model), r) for r in rows if r.suite == suite and r.metric == metric),
            key=lambda t: t[0],
        )
        if not pts:
            continue
        xs = [x for x, _ in pts]
        ys = [r.value for _, r in pts]
        err = [[r.value - r.ci_low for _, r in pts], [r.ci_high - r.value for _, r in pts]]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=4, label=label)
    ax.set_xlabel("safety examples added to training (N)")
    ax.set_ylabel("rate")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Safety data: what it buys and what it costs")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _detail_rows(
    prompts: list[Prompt],
    gens: dict[str, list[Generation]],
    judg: dict[str, dict[str, list[Judgment]]],
    primary: str,
) -> str:
    by_id = {p.id: p for p in prompts}
    out = []
    for model, glist in gens.items():
        labels = {j.generation_id: j for j in judg[model][primary]}
        for g in glist:
            p = by_id[g.prompt_id]
            j = labels[g.id]
            out.append(
                "<tr>"
                f"<td>{html.escape(model)}</td><td>{html.escape(p.suite)}</td>"
                f"<td>{html.escape(p.category)}</td><td>{html.escape(p.text)}</td>"
                f"<td class='ans'>{html.escape(g.text)}</td>"
                f"<td class='{html.escape(j.label)}'>{html.escape(j.label)}</td>"
                f"<td>{html.escape(j.explanation)}</td></tr>"
            )
    return "\n".join(out)


def _html_table(md: str) -> str:
    lines = [line for line in md.splitlines() if not line.startswith("|---")]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:]
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_reports(
    run_path: Path,
    cfg: Any,
    rows: list[MetricRow],
    prompts: list[Prompt],
    gens: dict[str, list[Generation]],
    judg: dict[str, dict[str, list[Judgment]]],
    primary: str,
) -> None:
    """Write report.md, tradeoff.png and report.html into the run directory."""
    table = headline_table(rows)
    png = tradeoff_plot_png(rows)
    (run_path / "tradeoff.png").write_bytes(png)
    cats = [r for r in rows if r.suite.startswith("harm/")]
    cat_lines = "\n".join(f"| {r.model} | {r.suite[5:]} | {r.value:.0%} | {r.n} |" for r in cats)
    md = f"""# safetylab demo report

Base model: `{cfg.model}`; judge for the metrics: `{primary}`; 95% bootstrap intervals.

{table}

![trade-off](tradeoff.png)

## Harmful compliance by category

| model | category | compliance | n |
|---|---|---|---|
{cat_lines}

Per-answer detail is in `report.html`, `generations.jsonl` and `judgments.jsonl`.
"""
    write_text(run_path / "report.md", md)
    b64 = base64.b64encode(png).decode()
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>safetylab report</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:4px;vertical-align:top}}.ans{{white-space:pre-wrap;max-width:420px}}
.full_compliance{{background:#fde2e2}}.full_refusal{{background:#e2f0fd}}.partial_refusal{{background:#fdf6e2}}</style>
</head><body><h1>safetylab demo report</h1>
<p>Base model: <code>{html.escape(str(cfg.model))}</code>. Judge: <code>{html.escape(primary)}</code>. 95% bootstrap intervals.</p>
{_html_table(table)}
<p><img alt="trade-off plot" src="data:image/png;base64,{b64}"></p>
<h2>Every answer</h2>
<table><thead><tr><th>model</th><th>suite</th><th>category</th><th>prompt</th><th>answer</th><th>label</th><th>why</th></tr></thead>
<tbody>
{_detail_rows(prompts, gens, judg, primary)}
</tbody></table></body></html>
"""
    write_text(run_path / "report.html", page)


# ---------------------------------------------------------------- the study's comparative report

#: (suite, metric, short name, long label) of the four trade-off curves
CURVES = [
    ("harm", "harmful_compliance_rate", "harmful", "harmful prompts: compliance"),
    ("overrefusal", "refusal_rate", "safe", "safe-but-sensitive prompts: refusal"),
    ("helpful", "refusal_rate", "plain", "plain prompts: refusal"),
    ("helpful/capability", "mc_accuracy", "capability", "capability (multiple choice)"),
]
_MARKS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def _t95(k: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, k - 1))


def study_points(rows: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """(strategy, N) -> {short name: (value, lo, hi, n, seeds)}: one seed: its bootstrap
    interval; several: the mean over seeds and a t interval across them."""
    import numpy as np

    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for r in rows:
        for suite, metric, short, _ in CURVES:
            if r["suite"] == suite and r["metric"] == metric:
                groups.setdefault((r["strategy"], int(r["n_safety"]), short), []).append(r)
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for (s, n, short), rs in sorted(groups.items()):
        rs = sorted(rs, key=lambda r: (r["base_model"], r["seed"]))
        vals = np.array([r["value"] for r in rs], dtype=float)
        if len(rs) == 1:
            v = (rs[0]["value"], rs[0]["ci_low"], rs[0]["ci_high"], rs[0]["n"], 1)
        else:
            m = float(vals.mean())
            half = _t95(len(vals)) * float(vals.std(ddof=1)) / len(vals) ** 0.5
            v = (m, m - half, m + half, int(sum(r["n"] for r in rs)), len(rs))
        out.setdefault((s, n), {})[short] = v
    return out


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both axes (lower is better on both),
    sorted by x."""
    idx = []
    for i, (x, y) in enumerate(points):
        if not any(
            (x2 <= x and y2 <= y) and (x2 < x or y2 < y)
            for j, (x2, y2) in enumerate(points)
            if j != i
        ):
            idx.append(i)
    return sorted(idx, key=lambda i: points[i])


def _fmt(v: tuple[Any, ...] | None) -> str:
    if v is None:
        return "-"
    val, lo, hi, n, k = v
    seeds = f", {k} seeds" if k > 1 else ""
    return f"{val:.0%} [{lo:.0%}, {hi:.0%}] (n={n}{seeds})"


def study_table(pts: dict[tuple[str, int], dict[str, Any]], strategies: list[str]) -> str:
    shorts = [c for c in CURVES if any(c[2] in p for p in pts.values())]
    lines = ["| strategy | N | " + " | ".join(c[3] for c in shorts) + " |",
             "|---|---|" + "---|" * len(shorts)]  # fmt: skip
    for (s, n), p in sorted(pts.items(), key=lambda t: (_order(strategies, t[0][0]), t[0][1])):
        lines.append(f"| {s} | {n} | " + " | ".join(_fmt(p.get(c[2])) for c in shorts) + " |")
    return "\n".join(lines)


def _order(strategies: list[str], s: str) -> int:
    return strategies.index(s) if s in strategies else len(strategies)


def study_plots_png(
    pts: dict[tuple[str, int], dict[str, Any]], strategies: list[str]
) -> tuple[bytes, bytes]:
    """The trade-off curves (one panel per metric, x = N) and the Pareto plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shorts = [c for c in CURVES if any(c[2] in p for p in pts.values())]
    fig, axes = plt.subplots(1, len(shorts), figsize=(4 * len(shorts), 3.6), dpi=100, squeeze=False)
    for ax, (_, _, short, label) in zip(axes[0], shorts, strict=True):
        for k, s in enumerate(strategies):
            line = sorted((n, p[short]) for (s2, n), p in pts.items() if s2 == s and short in p)
            if not line:
                continue
            xs = [n for n, _ in line]
            ys = [v[0] for _, v in line]
            err = [[v[0] - v[1] for _, v in line], [v[2] - v[0] for _, v in line]]
            ax.errorbar(xs, ys, yerr=err, marker=_MARKS[k % len(_MARKS)], capsize=3, label=s)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("N (safety examples)")
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    curves = _png(fig, plt)

    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=100)
    allp: list[tuple[float, float]] = []
    for k, s in enumerate(strategies):
        sp = sorted(
            (n, p) for (s2, n), p in pts.items() if s2 == s and "harmful" in p and "safe" in p
        )
        xs = [p["safe"][0] for _, p in sp]
        ys = [p["harmful"][0] for _, p in sp]
        allp += list(zip(xs, ys, strict=True))
        ax.scatter(xs, ys, marker=_MARKS[k % len(_MARKS)], s=50, label=s)
        for (n, _), x, y in zip(sp, xs, ys, strict=True):
            ax.annotate(str(n), (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    front = [allp[i] for i in pareto_front(allp)]
    if front:
        ax.step([x for x, _ in front], [y for _, y in front], where="post", color="k", lw=1,
                alpha=0.6, label="frontier")  # fmt: skip
    ax.set_xlabel("safe-but-sensitive prompts refused")
    ax.set_ylabel("harmful prompts complied with")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("Pareto: lower left is better", fontsize=9)
    fig.tight_layout()
    return curves, _png(fig, plt)


def _png(fig: Any, plt: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def judge_agreement(answers: Any) -> list[tuple[str, str, str, float, int]]:
    """(suite, judge A, judge B, share of answers both call refused / not refused, n)."""
    judges = [c for c in answers.columns if "@" in c]
    out: list[tuple[str, str, str, float, int]] = []
    if len(judges) < 2:
        return out
    a = judges[0]
    for b in judges[1:]:
        for suite, g in answers.groupby("suite", sort=True):
            g = g.dropna(subset=[a, b])
            if len(g):
                agree = (g[a].map(refused) == g[b].map(refused)).mean()
                out.append((str(suite), a, b, float(agree), len(g)))
    return out


def _rows_table(rows: list[dict[str, Any]], pred: Any, head: str) -> str:
    sel = [r for r in rows if pred(r)]
    if not sel:
        return "(none in this run)"
    lines = [
        f"| model | seed | {head} | metric | value | 95% CI | n |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in sel:
        lines.append(f"| {r['model']} | {r['seed']} | {r['suite']} | {r['metric']} | {r['value']:.2f} "
                     f"| [{r['ci_low']:.2f}, {r['ci_high']:.2f}] | {r['n']} |")  # fmt: skip
    return "\n".join(lines)


def write_study_report(path: Path, cfg: Any, rows: list[dict[str, Any]],
                       status: list[dict[str, Any]]) -> None:  # fmt: skip
    """report.md and a self-contained report.html over the study's finished cells."""
    import pandas as pd

    strategies = list(cfg.strategies)
    pts = study_points(rows)
    table = study_table(pts, strategies)
    curves, pareto = study_plots_png(pts, strategies) if pts else (b"", b"")
    if pts:
        (path / "tradeoff.png").write_bytes(curves)
        (path / "pareto.png").write_bytes(pareto)
    ans_path = path / "answers.csv"
    answers = pd.read_csv(ans_path) if ans_path.exists() and ans_path.stat().st_size else None
    agree = judge_agreement(answers) if answers is not None else []
    agree_md = "\n".join(["| suite | judges | agreement (refused vs not) | n |", "|---|---|---|---|"]
                         + [f"| {s} | {a} vs {b} | {v:.0%} | {n} |" for s, a, b, v, n in agree])  # fmt: skip
    failed = [s for s in status if s["state"] == "failed"]
    pending = [s for s in status if s["state"] not in ("done", "failed")]
    sections = [
        ("What this run shows", "\n".join(f"- {x}" for x in findings(pts, strategies))),
        ("Headline", table),
        ("Per harm category", _rows_table(rows, lambda r: r["suite"].startswith("harm/"), "category")),
        ("Per over-refusal prompt type",
         _rows_table(rows, lambda r: r["suite"].startswith("overrefusal/"), "type")),
        ("Attack success per transform", _rows_table(rows, lambda r: "@" in r["suite"], "suite@transform")),
        ("Keyword reliance per cell",
         _rows_table(rows, lambda r: r["metric"] == "keyword_reliance", "suite")),
        ("Judge agreement", agree_md if agree else "(one judge only)"),
    ]  # fmt: skip
    from collections import Counter

    # the headline judge's version in every finished cell (a judge release re-judges a cell
    # when its worker re-runs: until every worker has, versions can differ)
    used = Counter(s["judges"][0] for s in status if s["state"] == "done" and s.get("judges"))
    judge = next(iter(used)) if len(used) == 1 else cfg.eval.judges[0]
    mixed = (f" **The cells were judged by different versions of it "
             f"({', '.join(f'{j}: {k} cells' for j, k in sorted(used.items()))}): re-run every "
             "worker to judge them again.**") if len(used) > 1 else ""  # fmt: skip
    head = (f"Base model(s): {', '.join(cfg.models)}. Headline judge: `{judge}`"
            + (f" (second opinion: {', '.join(cfg.eval.judges[1:])})" if len(cfg.eval.judges) > 1 else "")
            + f". Cells: {sum(s['state'] == 'done' for s in status)} done of {len(status)}"
            + (f", failed: {', '.join(s['cell'] for s in failed)}" if failed else "")
            + (f", not yet run: {len(pending)}" if pending else "") + "." + mixed)  # fmt: skip
    md = [f"# safetylab study: {cfg.name}", "", head, ""]
    for title, body in sections[:2]:
        md += [f"## {title}", "", body, ""]
    if pts:
        md += ["![trade-off curves](tradeoff.png)", "", "![Pareto plot](pareto.png)", ""]
    for title, body in sections[2:]:
        md += [f"## {title}", "", body, ""]
    md += [
        "Every answer with each judge's label: `answers.csv` (and `answers.parquet`); "
        "numbers: `metrics.json`."
    ]
    write_text(path / "report.md", "\n".join(md) + "\n")

    parts = [f"<h1>safetylab study: {html.escape(str(cfg.name))}</h1><p>{html.escape(head)}</p>"]
    for i, (title, text) in enumerate(sections):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        if text.startswith("|"):
            parts.append(_html_table(text))
        elif text.startswith("- "):
            parts.append(
                "<ul>"
                + "".join(f"<li>{html.escape(x[2:])}</li>" for x in text.splitlines())
                + "</ul>"
            )
        else:
            parts.append(f"<p>{html.escape(text)}</p>")
        if i == 1 and pts:
            for png, alt in ((curves, "trade-off curves"), (pareto, "Pareto plot")):
                b64 = base64.b64encode(png).decode()
                parts.append(f'<p><img alt="{alt}" src="data:image/png;base64,{b64}"></p>')
    if answers is not None:
        parts.append("<h2>Every answer</h2>" + _answers_html(answers))
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>safetylab study</title><style>"
            "body{font-family:sans-serif;max-width:1400px;margin:2em auto}table{border-collapse:collapse;"
            "font-size:12px}td,th{border:1px solid #ccc;padding:3px;vertical-align:top}"
            ".ans{white-space:pre-wrap;max-width:420px}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")  # fmt: skip
    write_text(path / "report.html", page)


def _answers_html(df: Any) -> str:
    cols = [
        c for c in ("cell", "seed", "suite", "category", "transform", "prompt", "answer") if c in df
    ]
    cols += [c for c in df.columns if "@" in c]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    rows = []
    for rec in df[cols].astype(object).fillna("").astype(str).itertuples(index=False):
        rows.append("<tr>" + "".join(
            f"<td class='ans'>{html.escape(v)}</td>" if c == "answer" else f"<td>{html.escape(v)}</td>"
            for c, v in zip(cols, rec, strict=True)) + "</tr>")  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
