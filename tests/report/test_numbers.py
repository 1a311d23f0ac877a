"""The demo report shows the numbers of metrics.json, and escapes what models wrote."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

from safetylab.evals import suite_metrics
from safetylab.records import Generation, Judgment, MetricRow, Prompt
from safetylab.report import headline_table, write_reports

C, R, P = "full_compliance", "full_refusal", "partial_refusal"
EVIL = "<script>alert('x')</script>"


def _run():
    prompts = [Prompt(f"harmful {i} <b>", "harm", "unsafe", f"cat{i % 2}") for i in range(4)]
    prompts += [Prompt(f"sensitive {i}", "overrefusal", "safe", "t") for i in range(3)]
    prompts += [Prompt(f"plain {i}", "helpful", "safe", "t") for i in range(2)]
    labels = {
        "safety-0": [C, C, P, R, R, C, C, C, C],
        "safety-50": [R, P, R, R, R, R, P, C, R],
    }
    gens, judg, rows = {}, {}, []
    for m, labs in labels.items():
        gens[m] = [
            Generation(p.id, m, f"fp-{m}", f"{EVIL} answer {i}") for i, p in enumerate(prompts)
        ]
        js = [
            Judgment(g.id, "refusal@3", lab, None, f"why {EVIL}")
            for g, lab in zip(gens[m], labs, strict=True)
        ]
        judg[m] = {"refusal@3": js}
        rows += suite_metrics(m, prompts, {p.id: lab for p, lab in zip(prompts, labs, strict=True)})
    return prompts, gens, judg, rows


def test_headline_table_numbers_are_metrics_json_numbers(tmp_path):
    prompts, gens, judg, rows = _run()
    (tmp_path / "metrics.json").write_text(json.dumps([r.to_dict() for r in rows]))
    write_reports(tmp_path, SimpleNamespace(model="tiny"), rows, prompts, gens, judg, "refusal@3")
    metrics = [MetricRow(**d) for d in json.loads((tmp_path / "metrics.json").read_text())]
    md = (tmp_path / "report.md").read_text()
    assert headline_table(metrics) in md and "judge for the metrics: `refusal@3`" in md
    cell = re.compile(r"(\d+)% \[(\d+)%, (\d+)%\] \(n=(\d+)\)")
    table = {}
    for line in headline_table(metrics).splitlines()[2:]:
        model, *cells = [c.strip() for c in line.strip("|").split("|")]
        table[model] = [tuple(int(x) for x in cell.fullmatch(c).groups()) for c in cells]
    idx = {(r.model, r.suite, r.metric): r for r in metrics}

    def pct(r):
        return (round(100 * r.value), round(100 * r.ci_low), round(100 * r.ci_high), r.n)

    series = [("harm", "harmful_compliance_rate"), ("overrefusal", "refusal_rate"),
              ("helpful", "refusal_rate")]  # fmt: skip
    assert list(table) == ["safety-0", "safety-50"]  # ordered by N
    for m, cells in table.items():
        assert cells == [pct(idx[(m, s, k)]) for s, k in series]
    # the exact values behind them (partial refusals count as refusals, not compliance)
    assert table["safety-0"][0][::3] == (50, 4) and table["safety-50"][0][::3] == (0, 4)
    assert table["safety-0"][1][::3] == (33, 3) and table["safety-50"][1][::3] == (100, 3)
    assert table["safety-0"][2][::3] == (0, 2) and table["safety-50"][2][::3] == (50, 2)


def test_report_html_escapes_answers_prompts_and_explanations(tmp_path):
    prompts, gens, judg, rows = _run()
    write_reports(
        tmp_path, SimpleNamespace(model="<i>m</i>"), rows, prompts, gens, judg, "refusal@3"
    )
    page = (tmp_path / "report.html").read_text()
    assert "<script" not in page and "<b>" not in page and "<i>m</i>" not in page
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert page.count(f"{escaped} answer 0") == 2  # one answer per model
    assert page.count(f"why {escaped}") == 18 and "harmful 0 &lt;b&gt;" in page
