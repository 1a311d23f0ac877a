"""load_run / export / view.html / --serve path checks, on fixture run dirs written without a model."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pandas as pd
import pytest

import safetylab
from safetylab.cli.main import main
from safetylab.errors import SafetylabError
from safetylab.report import load_runs, write_view
from safetylab.report._serve import resolve_request
from tests.report.view_fixtures import XSS_IMG, XSS_SCRIPT, fixture_prompts, write_run

MODELS = {"safety-0": 0, "safety-50": 50, "safety-100": 100}


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    write_run(tmp_path / "demo", MODELS, fixture_prompts())
    return tmp_path / "demo"


def test_load_run_demo_columns_and_values(demo_dir: Path) -> None:
    df = safetylab.load_run(demo_dir)
    prompts = fixture_prompts()
    assert len(df) == 3 * len(prompts) == 48
    assert list(df.columns[:15]) == [
        "run", "model", "cell", "strategy", "N", "seed", "suite", "category", "transform",
        "prompt_label", "prompt", "answer", "prompt_id", "parent_id", "generation_id",
    ]  # fmt: skip
    # judges in the order the run used them (primary first), version dropped
    assert list(df.columns[15:]) == [
        "label_strmatch", "score_strmatch", "label_refusal", "score_refusal"
    ]  # fmt: skip
    assert df.groupby("model")["N"].first().to_dict() == {
        "safety-0": 0.0, "safety-100": 100.0, "safety-50": 50.0
    }  # fmt: skip
    assert set(df["run"]) == {"demo"} and set(df["seed"]) == {3.0}
    assert df["transform"].value_counts().to_dict() == {"": 30, "fiction": 18}
    row = df[(df["model"] == "safety-50") & (df["prompt_id"] == prompts[1].id)].iloc[0]
    assert row["transform"] == "fiction" and row["parent_id"] == prompts[0].id
    assert row["answer"] == "Sure, here is an answer from safety-50 to #1."
    assert row["score_strmatch"] == 0.5 and math.isnan(row["score_refusal"])


def test_load_run_eval_dir_tolerates_missing_optional_files(tmp_path: Path) -> None:
    run = tmp_path / "eval-150"
    write_run(run, {"safety-150": 0}, fixture_prompts(2, 1, ()), config={"n": 40, "seed": 7})
    (run / "mixtures.json").unlink()
    (run / "metrics.json").unlink()
    df = safetylab.load_run(run)
    assert len(df) == 3
    assert set(df["N"]) == {150.0}  # from the model name; eval's n (prompts per suite) ignored
    assert set(df["seed"]) == {7.0} and set(df["strategy"]) == {"safety"}
    (run / "config.resolved.yaml").unlink()
    (run / "judgments.jsonl").unlink()
    df = safetylab.load_run(run)
    assert len(df) == 3 and math.isnan(df["seed"].iloc[0])
    assert [c for c in df.columns if c.startswith("label_")] == []


def _study(tmp_path: Path) -> Path:
    """A study dir as `safetylab study` writes it: cells/<id>/ with cell.json, and top-level
    metrics.json rows named <strategy>-<N> with strategy, n_safety, seed and cell fields."""
    study = tmp_path / "study"
    metrics = []
    for strategy, n, seed in (
        ("base", 0, 1),
        ("safety-only", 100, 1),
        ("context-aware", 100, 1),
    ):
        cid = f"c{strategy[:3]}{n}"
        cell = study / "cells" / cid
        info = {"model": "tiny", "strategy": strategy, "n": n, "seed": seed, "id": cid}
        write_run(cell, {f"{strategy}-{n}": n}, fixture_prompts(3, 2, ()), config={"cell": info})
        (cell / "mixtures.json").unlink()
        (cell / "cell.json").write_text(json.dumps(info))
        for shown in ("safety-only", "context-aware") if n == 0 else (strategy,):
            for r in json.loads((cell / "metrics.json").read_text()):
                metrics.append(
                    {**r, "model": f"{shown}-{n}", "strategy": shown, "n_safety": n,
                     "seed": seed, "base_model": "tiny", "cell": cid}
                )  # fmt: skip
    (study / "metrics.json").write_text(json.dumps(metrics))
    return study


def test_load_run_study_reads_every_cell(tmp_path: Path) -> None:
    df = safetylab.load_run(_study(tmp_path))
    assert len(df) == 3 * 5
    got = df.groupby("cell")[["strategy", "N", "seed", "model", "run"]].first()
    assert got.loc["ccon100"].tolist() == [
        "context-aware",
        100.0,
        1.0,
        "context-aware-100",
        "study",
    ]
    assert got.loc["cbas0"].tolist() == ["base", 0.0, 1.0, "base-0", "study"]


def test_view_of_study_cells_is_one_study(tmp_path: Path) -> None:
    """What `safetylab study` calls: write_view(<finished cell dirs>, <study>/view.html)."""
    study = _study(tmp_path)
    cells = sorted((study / "cells").iterdir())[:2]  # two finished cells: cbas0, ccon100
    page = write_view(cells, study / "view.html")
    data = json.loads(
        re.search(r'id="data">(.*?)</script>', page.read_text(), re.S).group(1)  # type: ignore[union-attr]
    )
    assert data["runs"] == ["study"] and data["models"] == ["base-0", "context-aware-100"]
    figs = json.loads(re.search(r'id="figs">(.*?)</script>', page.read_text(), re.S).group(1))  # type: ignore[union-attr]
    # the Pareto plot has one point per shown cell (the N = 0 cell once per strategy)
    points = figs["pareto"]["data"][1]["text"]
    assert sorted(points) == ["context-aware-0", "context-aware-100", "safety-only-0"]
    # the trade-off curve of context-aware runs over N = 0 and N = 100
    curves = {t["name"]: t["x"] for t in figs["tradeoff"]["data"]}
    assert curves["harmful prompts: compliance · context-aware"] == [0, 100]


def test_load_run_study_from_answers_table_only(tmp_path: Path) -> None:
    study = tmp_path / "s"
    study.mkdir()
    pd.DataFrame(
        {"cell": ["a", "b"], "strategy": ["balanced", "balanced"], "N": [0, 300], "seed": [0, 0],
         "suite": ["harm", "harm"], "prompt": ["p", "p"], "answer": ["x", "y"],
         "label_refusal": ["full_refusal", "full_compliance"]}
    ).to_csv(study / "answers.csv", index=False)  # fmt: skip
    df = safetylab.load_run(study)
    assert df["model"].tolist() == ["balanced-0", "balanced-300"]
    assert df["label_refusal"].tolist() == ["full_refusal", "full_compliance"]
    assert df["category"].tolist() == ["", ""]  # missing optional column


def test_load_run_rejects_non_run_dir(tmp_path: Path) -> None:
    with pytest.raises(SafetylabError, match="not a run directory"):
        safetylab.load_run(tmp_path)
    with pytest.raises(SafetylabError, match="no such run directory"):
        safetylab.load_run(tmp_path / "nope")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_round_trips_and_never_overwrites(
    demo_dir: Path, tmp_path: Path, fmt: str, capsys
) -> None:
    out = tmp_path / f"answers.{fmt}"
    assert main(["export", str(demo_dir), "--format", fmt, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"48 answers -> {out}"
    back = {
        "parquet": pd.read_parquet,
        "csv": lambda p: pd.read_csv(p, keep_default_na=False),
        "jsonl": lambda p: pd.read_json(p, lines=True),
    }[fmt](out)
    want = safetylab.load_run(demo_dir)
    assert back["answer"].tolist() == want["answer"].tolist()
    assert back["label_refusal"].tolist() == want["label_refusal"].tolist()
    before = out.read_bytes()
    assert main(["export", str(demo_dir), "--format", fmt, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"safetylab: error: --out {out}: file exists; choose another name (never overwritten)"
    )
    assert out.read_bytes() == before
    assert not list(tmp_path.glob("*.tmp"))


def test_view_page_is_self_contained_and_escapes_model_text(tmp_path: Path, capsys) -> None:
    run = tmp_path / "demo"
    write_run(
        run,
        MODELS,
        fixture_prompts(),
        overrides={("safety-0", 0): XSS_SCRIPT, ("safety-0", 2): XSS_IMG},
    )
    assert main(["view", str(run)]) == 0
    page = run / "view.html"
    assert capsys.readouterr().out.strip() == str(page)
    text = page.read_text("utf-8")
    assert "<script>alert" not in text and "<img src=x" not in text
    # the data blob holds the answers escaped for <script>, and reads back exactly
    blob = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S)
    assert blob is not None
    data = json.loads(blob.group(1))
    assert XSS_SCRIPT in data["a_text"] and XSS_IMG in data["a_text"]
    assert len(data["a_text"]) == 48 and data["judges"] == ["strmatch", "refusal"]
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?:", text)  # offline
    assert (
        "innerHTML" not in (Path(safetylab.__file__).parent / "report/assets/view.js").read_text()
    )
    nonce = re.search(r"'nonce-([0-9a-f]+)'", text).group(1)
    scripts = re.findall(r"<script(?![^>]*application/json)([^>]*)>", text)
    assert scripts and all(f'nonce="{nonce}"' in s for s in scripts)


def test_view_several_runs_and_out(tmp_path: Path) -> None:
    a, b = tmp_path / "x" / "eval", tmp_path / "y" / "eval"
    write_run(a, {"safety-0": 0}, fixture_prompts(2, 1))
    write_run(b, {"safety-150": 150}, fixture_prompts(2, 1))
    out = write_view([a, b], tmp_path / "both.html")
    assert out == tmp_path / "both.html" and not (a / "view.html").exists()
    df = load_runs([a, b])
    assert sorted(df["run"].unique()) == ["x/eval", "y/eval"]
    assert len(df) == 10


def test_view_refuses_missing_dir(tmp_path: Path, capsys) -> None:
    assert main(["view", str(tmp_path / "missing")]) == 2
    assert "no such run directory" in capsys.readouterr().err


def test_serve_path_checks(tmp_path: Path) -> None:
    run = tmp_path / "demo"
    write_run(run, {"safety-0": 0}, fixture_prompts(1, 1, ()))
    page = write_view([run])
    secret = tmp_path / "secret.txt"
    secret.write_text("no")
    os.symlink(secret, run / "report.md")  # a symlink out of the run dir
    runs = {"demo": run}
    assert resolve_request("/", page, runs) == (200, page)
    assert resolve_request("/view.html", page, runs) == (200, page)
    assert resolve_request("/demo/metrics.json", page, runs) == (
        200,
        (run / "metrics.json").resolve(),
    )
    for bad in ("/../secret.txt", "/demo/../../secret.txt", "/%2e%2e/secret.txt",
                "/demo/%2e%2e/%2e%2e/secret.txt", "//etc/passwd", "/demo/..%2fsecret.txt"):  # fmt: skip
        assert resolve_request(bad, page, runs)[0] == 403, bad
    assert resolve_request("/demo/report.md", page, runs)[0] == 403  # symlink out
    for missing in ("/etc/passwd", "/demo/generations.jsonl", "/other/view.html", "/demo/x/y"):
        assert resolve_request(missing, page, runs)[0] == 404, missing


def test_judge_validate_reads_a_view_labels_file(demo_dir: Path, tmp_path: Path, capsys) -> None:
    df = safetylab.load_run(demo_dir).head(4)
    rows = [
        {"prompt": r.prompt, "answer": r.answer, "label": r.label_strmatch,
         "generation_id": r.generation_id, "prompt_id": r.prompt_id}
        for r in df.itertuples()
    ]  # fmt: skip
    f = tmp_path / "labels.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["judge", "validate", "--judge", "strmatch", "--labels", str(f), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rep["n"] == 4


def test_serve_binds_localhost_refuses_outside_paths_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    import http.client
    import signal
    import subprocess
    import sys

    run = tmp_path / "demo"
    write_run(run, {"safety-0": 0}, fixture_prompts(1, 1, ()))
    (tmp_path / "secret.txt").write_text("no")
    proc = subprocess.Popen(
        [sys.executable, "-m", "safetylab.cli.main", "view", str(run), "--serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == str(run / "view.html")
        line = proc.stdout.readline()
        m = re.match(r"serving on http://127\.0\.0\.1:(\d+)/", line)
        assert m, line
        conn = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=30)

        def get(path: str) -> tuple[int, bytes]:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read()

        status, body = get("/")
        assert status == 200 and body == (run / "view.html").read_bytes()
        assert get("/demo/metrics.json") == (200, (run / "metrics.json").read_bytes())
        assert get("/../secret.txt")[0] == 403
        assert get("/demo/%2e%2e/secret.txt")[0] == 403
        assert get("/demo/prompts.jsonl")[0] == 404
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip().endswith("stopped")


def test_eval_writes_its_view_page(tmp_path: Path, monkeypatch) -> None:
    from safetylab.evals._run import EvalConfig, build_prompts, run_eval

    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    cfg = EvalConfig(backend="mock", suites=["harm", "overrefusal"], n=3, attacks=["fiction"])
    run_eval(cfg, tmp_path / "eval")
    text = (tmp_path / "eval" / "view.html").read_text("utf-8")
    data = json.loads(re.search(r'id="data">(.*?)</script>', text, re.S).group(1))  # type: ignore[union-attr]
    df = safetylab.load_run(tmp_path / "eval")
    assert len(data["a_text"]) == len(df) == len(build_prompts(cfg))
    assert data["a_id"] == df["generation_id"].tolist()
    assert "fiction" in data["transforms"]


def test_view_of_a_bare_run_dir(tmp_path: Path) -> None:
    """Only generations.jsonl: the page still lists the answers (no metrics, no judges)."""
    run = tmp_path / "bare"
    write_run(run, {"m": 0}, fixture_prompts(1, 1, ()))
    for f in ("prompts.jsonl", "judgments.jsonl", "metrics.json", "mixtures.json"):
        (run / f).unlink()
    text = write_view(run).read_text("utf-8")
    data = json.loads(re.search(r'id="data">(.*?)</script>', text, re.S).group(1))  # type: ignore[union-attr]
    assert len(data["a_text"]) == 2 and data["judges"] == [] and data["labels"] == []
    assert "No metrics.json found." in text


def test_view_never_overwrites_a_file_it_did_not_write(tmp_path: Path, capsys) -> None:
    run = tmp_path / "demo"
    write_run(run, {"safety-0": 0}, fixture_prompts(1, 1, ()))
    mine = tmp_path / "notes.html"
    mine.write_text("my notes")
    assert main(["view", str(run), "--out", str(mine)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"safetylab: error: {mine}: exists and is not a page written by safetylab view; "
        "not overwritten (choose another --out)"
    )
    assert mine.read_text() == "my notes" and not (run / "view.html").exists()
    assert main(["view", str(run)]) == 0  # its own page is rewritten on the next call
    first = (run / "view.html").stat().st_mtime_ns
    assert main(["view", str(run)]) == 0
    assert (run / "view.html").stat().st_mtime_ns >= first


def test_view_of_one_study_cell_uses_the_study_metrics(tmp_path: Path) -> None:
    study = _study(tmp_path)
    page = write_view([study / "cells" / "ccon100"], study / "view.html")
    data = json.loads(re.search(r'id="data">(.*?)</script>', page.read_text(), re.S).group(1))  # type: ignore[union-attr]
    assert data["runs"] == ["study"] and data["models"] == ["context-aware-100"]
    assert "context-aware-100" in page.read_text() and "safety-only-100" not in page.read_text()


def test_load_run_reads_the_study_answers_table(tmp_path: Path) -> None:
    """`safetylab study`'s answers.csv: cell = label, cell_id = id, judge columns name@version."""
    study = tmp_path / "s"
    study.mkdir()
    pd.DataFrame(
        {"cell": ["base-0", "safety-only-40"], "strategy": ["base", "safety-only"], "N": [0, 40],
         "seed": [0, 0], "base_model": ["tiny", "tiny"], "cell_id": ["f4c0", "b5e2"],
         "suite": ["harm", "harm"], "category": ["drugs", "drugs"], "transform": ["", ""],
         "prompt": ["p", "p"], "answer": ["Sure.", "No."],
         "strmatch-plus@2": ["full_compliance", "full_refusal"],
         "strmatch@1": ["full_compliance", "full_compliance"]}
    ).to_csv(study / "answers.csv", index=False)  # fmt: skip
    df = safetylab.load_run(study)
    assert df[["model", "cell", "N"]].values.tolist() == [
        ["base-0", "f4c0", 0.0],
        ["safety-only-40", "b5e2", 40.0],
    ]
    assert df["label_strmatch-plus"].tolist() == ["full_compliance", "full_refusal"]
    assert df["label_strmatch"].tolist() == ["full_compliance", "full_compliance"]
