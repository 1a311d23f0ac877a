"""view.html at scale: page size and time to interactive in headless chromium.

    python benchmarks/view_speed.py [--demo RUN_DIR] [--answers 20000]

Builds a fixture run with --answers answers (10 models, harm prompts with a fiction variant and
safe prompts, ~300-character answers), writes its view.html, and opens it in Debian's chromium
(Playwright) three times: answers interactive = navigation start -> the page's script done
(filters filled, first page of answers drawn); plots drawn = plotly.js parsed and both plots
drawn (the page's last script; everything usable). Also times one filter change and one
search over all answers. Writes benchmarks/results/view_speed.json with the load average: the
machine may be shared, which slows every figure here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.report.view_fixtures import fixture_prompts, write_run  # noqa: E402

from safetylab.report import chromium_launch_options, write_view  # noqa: E402

FILTER_JS = """() => {
  const s = document.getElementById('f-suite');
  s.value = '0';
  const t0 = performance.now();
  s.dispatchEvent(new Event('change'));
  const t1 = performance.now();
  s.value = '';
  document.getElementById('q').value = 'question 17';
  const t2 = performance.now();
  s.dispatchEvent(new Event('change'));
  const t3 = performance.now();
  return [t1 - t0, t3 - t2, document.getElementById('count').textContent];
}"""


def measure(page_path: Path, browser, repeats: int = 3) -> dict:
    tti, plots, filt, search = [], [], [], []
    count = ""
    for _ in range(repeats):
        pg = browser.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        pg.goto(page_path.as_uri(), timeout=120_000)
        pg.wait_for_selector("body[data-ready='1']", timeout=120_000)
        pg.wait_for_selector("body[data-plots-ms]", timeout=120_000)
        tti.append(int(pg.get_attribute("body", "data-ready-ms") or 0))
        plots.append(int(pg.get_attribute("body", "data-plots-ms") or 0))
        f, s, count = pg.evaluate(FILTER_JS)
        filt.append(round(f, 1))
        search.append(round(s, 1))
        pg.close()
        if errors:
            raise SystemExit(f"{page_path}: page error {errors[0]}")
    return {
        "page_bytes": page_path.stat().st_size,
        "answers_interactive_ms": {"median": statistics.median(tti), "runs": tti},
        "plots_drawn_ms": {"median": statistics.median(plots), "runs": plots},
        "filter_change_ms": {"median": statistics.median(filt), "runs": filt},
        "search_all_answers_ms": {"median": statistics.median(search), "runs": search},
        "search_result": count,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", type=int, default=20_000)
    ap.add_argument("--demo", default=None, help="also measure this run dir's page")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/view_speed.json"))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    models = {f"safety-{n}": n for n in range(0, 1000, 100)}
    per_model = args.answers // len(models)
    n_harm = per_model * 7 // 20  # each harm prompt has one fiction variant: 70% harm answers
    prompts = fixture_prompts(n_harm, per_model - 2 * n_harm)
    work = Path(tempfile.mkdtemp(prefix="view-speed-"))
    write_run(work / "big", models, prompts, pad=300)
    t = time.perf_counter()
    big_page = write_view([work / "big"])
    write_s = time.perf_counter() - t
    pages = {"fixture": big_page}
    if args.demo:
        pages["demo"] = write_view([args.demo], work / "demo-view.html")
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (see the load averages)",
        "load_average_1_5_15_before": [round(x, 2) for x in os.getloadavg()],
        "browser": "Debian chromium, headless, via Playwright",
        "fixture": {"answers": per_model * len(models), "models": len(models)},
        "write_view_seconds_fixture": round(write_s, 2),
    }
    with sync_playwright() as pw:
        b = pw.chromium.launch(**chromium_launch_options())
        for name, page in pages.items():
            results[name] = {**results.get(name, {}), **measure(page, b)}
        b.close()
    results["load_average_1_5_15_after"] = [round(x, 2) for x in os.getloadavg()]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
