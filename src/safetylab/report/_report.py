"""Write ``report.md`` and a self-contained ``report.html`` (plot embedded, outputs escaped)."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Any

from safetylab.records import Generation, Judgment, MetricRow, Prompt
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
