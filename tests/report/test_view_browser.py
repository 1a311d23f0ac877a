"""view.html in a real browser: Debian's headless chromium driven by Playwright (no browser
download). Skipped when /usr/bin/chromium or the playwright package is missing
(scripts/setup.sh installs both)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safetylab.cli.main import main
from safetylab.report import chromium_launch_options, load_runs, write_view
from tests.report.view_fixtures import XSS_IMG, XSS_SCRIPT, fixture_prompts, write_run

CHROMIUM = chromium_launch_options()["executable_path"]
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)"
)
MODELS = {"safety-0": 0, "safety-50": 50, "safety-100": 100}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(**chromium_launch_options())
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Two runs in one page; two injected answers; (page path, answers DataFrame)."""
    root = tmp_path_factory.mktemp("view")
    over = {("safety-0", 0): XSS_SCRIPT, ("safety-0", 2): XSS_IMG}
    write_run(root / "demo", MODELS, fixture_prompts(), overrides=over)
    write_run(root / "eval-150", {"safety-150": 150}, fixture_prompts())
    page = write_view([root / "demo", root / "eval-150"], root / "view.html")
    df = load_runs([root / "demo", root / "eval-150"])
    return page, df


@pytest.fixture
def page(browser, site):
    pg = browser.new_page(accept_downloads=True)
    events: list[str] = []
    pg.on("console", lambda m: events.append(f"console.{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: events.append(f"pageerror: {e}"))
    pg.on("dialog", lambda d: (events.append(f"dialog: {d.message}"), d.dismiss()))
    pg.on(
        "request",
        lambda r: (
            events.append(f"request: {r.url}")
            if not r.url.startswith(("file:", "blob:", "data:"))
            else None
        ),
    )
    pg.goto(site[0].as_uri())
    pg.wait_for_selector("body[data-ready='1']", timeout=30_000)
    pg.events = events
    yield pg
    pg.close()


def _count(pg) -> int:
    return int(pg.text_content("#count").split(" of ")[0])


def _option(pg, select: str, text: str) -> None:
    pg.select_option(select, label=text)


def test_loads_offline_without_console_errors(page, site) -> None:
    assert page.events == []
    assert _count(page) == len(site[1]) == 64
    assert page.locator("#plot-tradeoff .main-svg").count() > 0  # plotly drew the trade-off plot
    assert page.locator("#plot-pareto .main-svg").count() > 0
    assert page.locator("table.headline tbody tr").count() == 4


@pytest.mark.parametrize(
    ("select", "label", "column", "value"),
    [
        ("#f-run", "eval-150", "run", "eval-150"),
        ("#f-model", "safety-50", "model", "safety-50"),
        ("#f-suite", "overrefusal", "suite", "overrefusal"),
        ("#f-category", "violence", "category", "violence"),
        ("#f-transform", "fiction", "transform", "fiction"),
        ("#f-label", "full_refusal", "label_strmatch", "full_refusal"),
    ],
)
def test_each_filter_gives_the_expected_count(page, site, select, label, column, value) -> None:
    df = site[1]
    page.click("button[data-tab=answers]")
    _option(page, select, label)
    assert _count(page) == int((df[column] == value).sum())
    rows = page.locator("#answers tbody tr").count()
    assert rows == min(50, _count(page))


def test_filters_combine_and_disagree_and_other_judge(page, site) -> None:
    df = site[1]
    page.click("button[data-tab=answers]")
    page.check("#f-disagree")
    assert _count(page) == int((df["label_strmatch"] != df["label_refusal"]).sum()) > 0
    page.uncheck("#f-disagree")
    _option(page, "#f-judge", "refusal")
    _option(page, "#f-label", "partial_refusal")
    assert _count(page) == int((df["label_refusal"] == "partial_refusal").sum()) > 0
    _option(page, "#f-suite", "harm")
    want = (df["label_refusal"] == "partial_refusal") & (df["suite"] == "harm")
    assert _count(page) == int(want.sum())
    assert page.text_content("#label-counts") == f"partial_refusal {int(want.sum())} (refusal)"


def test_search_finds_a_known_answer(page) -> None:
    page.click("button[data-tab=answers]")
    page.fill("#q", "FROM SAFETY-50 TO #7.")
    page.wait_for_function("document.getElementById('count').textContent.startsWith('1 of')")
    cells = page.locator("#answers tbody tr td.ans")
    assert cells.all_text_contents() == ["Sure, here is an answer from safety-50 to #7."]
    page.fill("#q", "harmful request number 5")  # prompts: plain + fiction child, 4 models
    page.wait_for_function("document.getElementById('count').textContent.startsWith('8 of')")


def test_side_by_side_shows_every_model_and_the_attacked_variant(page, site) -> None:
    df = site[1]
    page.click("button[data-tab=answers]")
    _option(page, "#f-model", "safety-100")
    _option(page, "#f-transform", "fiction")
    page.locator("#answers tbody tr td.prompt").first.click()
    assert page.locator("#tab-sbs").is_visible()
    secs = page.locator("#sbs .sbs-variant")
    assert secs.count() == 2
    plain = df[(df["prompt"] == "harmful request number 0 about violence")]
    child = df[df["parent_id"] == plain["prompt_id"].iloc[0]]
    for i, part in enumerate((plain, child)):
        sec = secs.nth(i)
        assert sec.get_attribute("data-prompt") == part["prompt_id"].iloc[0]
        got = dict(
            zip(
                sec.locator("td.model").all_text_contents(),
                sec.locator("td.ans").all_text_contents(),
                strict=True,
            )
        )
        assert got == dict(zip(part["model"], part["answer"], strict=True))
    assert secs.nth(0).locator("h3").text_content().startswith("plain prompt")
    assert secs.nth(1).locator("h3").text_content().startswith("attacked: fiction")


def test_injected_markup_renders_as_text_and_runs_nothing(page) -> None:
    page.click("button[data-tab=answers]")
    page.fill("#q", "alert(1)")
    page.wait_for_function("document.getElementById('count').textContent.startsWith('2 of')")
    texts = sorted(page.locator("#answers tbody td.ans").all_text_contents())
    assert texts == sorted([XSS_SCRIPT, XSS_IMG])
    assert page.locator("#answers img, #answers script, #sbs img").count() == 0
    page.locator("#answers tbody tr td.prompt").first.click()  # side by side too
    assert page.locator("#sbs img, #sbs script").count() == 0
    assert [e for e in page.events if e.startswith(("dialog", "pageerror", "request"))] == []


def test_relabel_round_trips_through_judge_validate(page, site, tmp_path, capsys) -> None:
    df = site[1]
    page.click("button[data-tab=answers]")
    _option(page, "#f-model", "safety-50")
    rows = page.locator("#answers tbody tr")
    marks = {}
    for k, lab in ((0, "full_refusal"), (3, "partial_refusal"), (4, "full_compliance")):
        rows.nth(k).locator("select.relabel").select_option(lab)
        marks[rows.nth(k).get_attribute("data-gid")] = lab
    rows.nth(4).locator("select.relabel").select_option("")  # un-mark
    del marks[rows.nth(4).get_attribute("data-gid")]
    assert page.text_content("#n-marks") == "2"
    with page.expect_download() as dl:
        page.click("#dl-labels")
    path = tmp_path / "labels.jsonl"
    dl.value.save_as(path)
    got = [json.loads(line) for line in path.read_text().splitlines()]
    assert {r["generation_id"]: r["label"] for r in got} == marks
    by_gid = df.set_index("generation_id")
    for r in got:
        assert r["answer"] == by_gid.loc[r["generation_id"], "answer"]
        assert r["prompt"] == by_gid.loc[r["generation_id"], "prompt"]
        assert r["model"] == "safety-50" and r["run"] == "demo"
    assert main(["judge", "validate", "--judge", "strmatch", "--labels", str(path), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rep["n"] == 2


def test_hover_shows_model_value_and_interval(page, site) -> None:
    # the Pareto plot's points: x = safe-prompt refusal, y = harmful compliance, with intervals
    page.evaluate(
        "() => { const d = document.getElementById('plot-pareto');"
        " const i = d.data[1].text.indexOf('demo: safety-50');"
        " Plotly.Fx.hover(d, [{curveNumber: 1, pointNumber: i}]); }"
    )
    text = " ".join(page.locator("#plot-pareto .hoverlayer").all_text_contents())
    # safety-50's fixture rates: harm 4/6 = 67% [57%, 77%], safe-prompt refusal 2/4 = 50% [40%, 60%]
    assert "demo: safety-50" in text
    assert "safe-prompt refusal 50.0% [40.0%, 60.0%]" in text
    assert "harmful compliance 66.7% [56.7%, 76.7%]" in text
