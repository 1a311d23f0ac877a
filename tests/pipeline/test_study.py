"""safetylab study on the mock backend: cell identity, resume, shards, failures, status, report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from safetylab.errors import SafetylabError
from safetylab.pipeline import Study, load_study, parse_shard, parse_study, run_study, study_status
from safetylab.pipeline._cell import enumerate_cells

MOCK = """\
name: mock
models: [smollm2-135m-instruct]
general: {dataset: bundled/general, n: 12, distill: true, distill_max_new_tokens: 12}
strategies:
  safety-only: {}
  context-aware: {pair_share: 0.5, sensitive_share: 0.25, sizes: [16]}
sizes: [0, 8, 16]
seeds: [0]
train: {preset: cpu-lora, epochs: 1}
eval:
  suites: [harm, overrefusal, helpful]
  n: {harm: 6, overrefusal: 6, helpful: 4}
  attacks: {harm: [fiction]}
  judges: [strmatch-plus, strmatch]
  max_new_tokens: 12
backend: mock
"""


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))


def write_cfg(tmp_path: Path, text: str = MOCK, name: str = "mock.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def ids(text: str, tmp_path: Path) -> dict[str, str]:
    cfg = parse_study(__import__("yaml").safe_load(text), "x.yaml", text)
    return {c.label: c.id for c in enumerate_cells(cfg, "prompts", "data")}


def test_cell_identity_changes_exactly_with_result_changing_settings(tmp_path):
    base = ids(MOCK, tmp_path)
    assert list(base) == ["base-0", "safety-only-8", "safety-only-16", "context-aware-16"]
    assert len(set(base.values())) == 4
    # not result-changing: the study's name; adding a size or a strategy keeps the other cells
    assert ids(MOCK.replace("name: mock", "name: other"), tmp_path) == base
    more = ids(MOCK.replace("sizes: [0, 8, 16]", "sizes: [0, 8, 16, 32]"), tmp_path)
    assert {k: more[k] for k in base} == base and "safety-only-32" in more
    # a strategy knob changes that strategy's cells only (N = 0 is shared and knob-free)
    knob = ids(MOCK.replace("sensitive_share: 0.25", "sensitive_share: 0.5"), tmp_path)
    assert knob["context-aware-16"] != base["context-aware-16"]
    assert {k: knob[k] for k in ("base-0", "safety-only-8", "safety-only-16")} == {
        k: base[k] for k in ("base-0", "safety-only-8", "safety-only-16")
    }
    # everything else that changes results changes every cell
    for old, new in [
        ("seeds: [0]", "seeds: [1]"),
        ("epochs: 1}", "epochs: 2}"),
        ("max_new_tokens: 12\n", "max_new_tokens: 16\n"),
        ("judges: [strmatch-plus, strmatch]", "judges: [strmatch, strmatch-plus]"),
        ("n: 12, distill", "n: 13, distill"),
        ("models: [smollm2-135m-instruct]", "models: [other-model]"),
    ]:
        changed = ids(MOCK.replace(old, new), tmp_path)
        assert set(changed.values()).isdisjoint(base.values()), new
    # the evaluation prompts and the data version are part of the id
    cfg = load_study(write_cfg(tmp_path))
    a = {c.id for c in enumerate_cells(cfg, "p1", "d")}
    assert a.isdisjoint({c.id for c in enumerate_cells(cfg, "p2", "d")})
    assert a.isdisjoint({c.id for c in enumerate_cells(cfg, "p1", "d2")})


def test_output_dir_and_shard_do_not_change_cell_ids(tmp_path):
    cfg = load_study(write_cfg(tmp_path))
    a = Study(cfg, tmp_path / "a")
    b = Study(cfg, tmp_path / "b")
    assert [c.id for c in a.cells] == [c.id for c in b.cells]
    assert json.loads((tmp_path / "a" / "cells.json").read_text()) == [c.to_dict() for c in b.cells]
    assert parse_shard("2/8") == (2, 8) and parse_shard(None) == (1, 1)
    for bad in ("0/2", "3/2", "x"):
        with pytest.raises(SafetylabError, match="--shard"):
            parse_shard(bad)


def _jsonl_ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_run_resume_and_report_numbers_equal_metrics(tmp_path):
    cfg = load_study(write_cfg(tmp_path))
    out = tmp_path / "s"
    res = run_study(cfg, out)
    assert not res.failed and len(res.ran) == 4
    rows = json.loads((out / "metrics.json").read_text())
    models = list(dict.fromkeys(r["model"] for r in rows))
    # N = 0 is run once and shown under every strategy that has N = 0 in its sizes
    assert models == ["safety-only-0", "safety-only-8", "safety-only-16", "context-aware-16"]
    harm = {r["model"]: r for r in rows if r["suite"] == "harm" and r["metric"].startswith("harm")}
    assert all(r["n"] == 6 and r["seed"] == 0 for r in harm.values())
    assert harm["safety-only-16"]["strategy"] == "safety-only"
    assert harm["safety-only-16"]["n_safety"] == 16
    assert harm["safety-only-16"]["base_model"] == "smollm2-135m-instruct"
    assert {r["suite"] for r in rows} >= {"harm", "overrefusal", "helpful", "harm@fiction"}
    # the mixtures: 12 general rows (distilled) + N safety-related rows, nested counts
    for c in res.cells:
        mix = (out / "cells" / c.id / "mixture.jsonl").read_text().splitlines()
        assert len(mix) == 12 + c.n
    answers = (out / "answers.csv").read_text().splitlines()
    n_prompts = len((out / "prompts.jsonl").read_text().splitlines())
    assert len(answers) == 1 + 4 * n_prompts
    assert answers[0].endswith("strmatch-plus@2,strmatch@1")
    # the same table as parquet, types kept (N and seed are integers there)
    import pandas as pd

    pq = pd.read_parquet(out / "answers.parquet")
    csv = pd.read_csv(out / "answers.csv", keep_default_na=False)
    assert len(pq) == 4 * n_prompts and list(pq.columns) == list(csv.columns)
    assert pq["N"].dtype.kind == "i" and sorted(set(pq["N"])) == [0, 8, 16]
    assert pq["answer"].tolist() == csv["answer"].astype(str).tolist()
    assert set(pq["source"]) == {"bundled"}

    # every number of the headline table is the metrics.json number
    md = (out / "report.md").read_text()
    table = [line for line in md.splitlines() if re.match(r"\| [a-z-]+ \| \d+ \|", line)]
    assert len(table) == 4
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        r = {(x["suite"], x["metric"]): x for x in rows if x["model"] == f"{cells[0]}-{cells[1]}"}
        for text, key in zip(
            cells[2:],
            [("harm", "harmful_compliance_rate"), ("overrefusal", "refusal_rate"),
             ("helpful", "refusal_rate")],
            strict=True,
        ):  # fmt: skip
            m = r[key]
            assert text == (
                f"{m['value']:.0%} [{m['ci_low']:.0%}, {m['ci_high']:.0%}] (n={m['n']})"
            )
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "What this run shows" in html
    assert "&lt;" not in md  # markdown is not escaped; html is
    before = (out / "metrics.json").read_bytes()
    gen_lines = {c.id: _jsonl_ids(out / "cells" / c.id / "generations.jsonl") for c in res.cells}

    # a finished study: nothing redone, same bytes
    res2 = run_study(cfg, out)
    assert res2.ran == [] and (out / "metrics.json").read_bytes() == before
    assert {c.id: _jsonl_ids(out / "cells" / c.id / "generations.jsonl") for c in res.cells} == (
        gen_lines
    )


def test_a_new_judge_version_rejudges_finished_cells_from_their_answers(tmp_path, monkeypatch):
    from safetylab.judges import _strmatch
    from safetylab.pipeline import _cell

    cfg = load_study(write_cfg(tmp_path))
    out = tmp_path / "s"
    res = run_study(cfg, out)
    assert len(res.ran) == 4
    gens = {c.id: (out / "cells" / c.id / "generations.jsonl").read_bytes() for c in res.cells}
    done = json.loads((out / "cells" / res.cells[0].id / "done.json").read_text())
    assert done["judges"] == ["strmatch-plus@2", "strmatch@1"]
    # the judge's training data is not cell data: changing it keeps every cell id
    data0 = _cell.data_sha256()
    real = _cell.Path.read_bytes
    monkeypatch.setattr(_cell.Path, "read_bytes",
                        lambda self: b"changed" if "judge" in self.parts else real(self))  # fmt: skip
    assert _cell.data_sha256() == data0
    monkeypatch.undo()
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))

    assert "Headline judge: `strmatch-plus@2`" in (out / "report.md").read_text()
    # a new release of a judge: the same cells, judged again, nothing generated again; while
    # only one of two workers has re-run, the report says the versions differ
    monkeypatch.setattr(_strmatch.StrMatchPlus, "version", "2.1")
    run_study(load_study(write_cfg(tmp_path)), out, shard=(1, 2))
    assert ("different versions of it (strmatch-plus@2: 2 cells, strmatch-plus@2.1: 2 cells)"
            in (out / "report.md").read_text())  # fmt: skip
    res2 = run_study(load_study(write_cfg(tmp_path)), out)
    assert [c.id for c in res2.cells] == [c.id for c in res.cells]
    assert len(res2.ran) == 2  # the other worker's two cells
    for c in res.cells:
        d = out / "cells" / c.id
        assert (d / "generations.jsonl").read_bytes() == gens[c.id]
        assert json.loads((d / "done.json").read_text())["judges"] == [
            "strmatch-plus@2.1", "strmatch@1"
        ]  # fmt: skip
    assert "strmatch-plus@2.1" in (out / "answers.csv").read_text().splitlines()[0]
    assert "Headline judge: `strmatch-plus@2.1` (second" in (out / "report.md").read_text()
    # and once judged, a finished study again does nothing
    assert run_study(load_study(write_cfg(tmp_path)), out).ran == []


def test_kill_mid_cell_resumes_without_loss_or_duplicates(tmp_path, monkeypatch):
    from safetylab.generate import MockBackend

    cfg = load_study(write_cfg(tmp_path))
    clean = run_study(cfg, tmp_path / "clean")
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache2"))
    real = MockBackend.generate
    calls = {"n": 0}

    def dying(self, prompts, decoding, on_batch=None):
        def hook(idx, answers):
            calls["n"] += 1
            if on_batch is not None:
                on_batch(idx, answers)
            if calls["n"] == 40:  # mid-way through the second cell's answers
                raise KeyboardInterrupt

        return real(self, prompts, decoding, hook)

    monkeypatch.setattr(MockBackend, "generate", dying)
    out = tmp_path / "s"
    with pytest.raises(KeyboardInterrupt):
        run_study(cfg, out)
    states = [(out / "cells" / c.id / "done.json").exists() for c in clean.cells]
    assert states[0] and not all(states)
    monkeypatch.setattr(MockBackend, "generate", real)
    res = run_study(cfg, out)
    assert not res.failed
    for c in clean.cells:
        for f in ("generations.jsonl", "judgments.jsonl"):
            got = _jsonl_ids(out / "cells" / c.id / f)
            assert len(got) == len(set(got)), f  # nothing written twice
            assert sorted(got) == sorted(_jsonl_ids(tmp_path / "clean" / "cells" / c.id / f))
    assert (out / "metrics.json").read_bytes() == (tmp_path / "clean" / "metrics.json").read_bytes()


def _cli(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    return subprocess.Popen(
        [sys.executable, "-m", "safetylab.cli.main", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_shard_workers_equal_one_process(tmp_path):
    cfg_path = write_cfg(tmp_path)
    one = _cli("study", str(cfg_path), "--out", str(tmp_path / "one"), cwd=tmp_path)
    assert one.wait(timeout=300) == 0, one.stderr.read()  # type: ignore[union-attr]
    workers = [
        _cli("study", str(cfg_path), "--out", str(tmp_path / "two"), "--shard", f"{i}/2",
             cwd=tmp_path)
        for i in (1, 2)
    ]  # fmt: skip
    for w in workers:
        assert w.wait(timeout=300) == 0, w.stderr.read()  # type: ignore[union-attr]
    one_m = (tmp_path / "one" / "metrics.json").read_bytes()
    assert (tmp_path / "two" / "metrics.json").read_bytes() == one_m
    # each cell ran once, in exactly one worker
    cells = json.loads((tmp_path / "two" / "cells.json").read_text())
    for c in cells:
        gens = _jsonl_ids(tmp_path / "two" / "cells" / c["id"] / "generations.jsonl")
        assert len(gens) == len(set(gens))
    status = study_status(tmp_path / "two")
    assert status.splitlines()[-1] == "4 done, 0 running, 0 failed, 0 pending of 4"


def test_failed_cell_is_recorded_others_go_on_and_status(tmp_path, monkeypatch, capsys):
    from safetylab.cli.main import main
    from safetylab.pipeline import _sweep as sweep

    cfg_path = write_cfg(tmp_path)
    real = sweep.Study.run_cell

    def flaky(self, cell, run):
        if cell.label == "safety-only-8":
            raise RuntimeError("out of memory (simulated)")
        return real(self, cell, run)

    monkeypatch.setattr(sweep.Study, "run_cell", flaky)
    out = tmp_path / "s"
    assert main(["study", str(cfg_path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "failed cells:" in err and "safety-only-8@" in err and "out of memory" in err
    assert main(["study", "--status", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    state = {line.split()[0]: line.split()[2] for line in lines[1:-1]}
    assert state == {
        "base-0": "done",
        "safety-only-8": "failed",
        "safety-only-16": "done",
        "context-aware-16": "done",
    }
    assert lines[-1].startswith("3 done, 0 running, 1 failed, 0 pending of 4")
    models = {r["model"] for r in json.loads((out / "metrics.json").read_text())}
    assert "safety-only-8" not in models and "safety-only-16" in models
    assert "failed: safety-only-8" in (out / "report.md").read_text()
    # the next run retries the failed cell only
    monkeypatch.setattr(sweep.Study, "run_cell", real)
    assert main(["study", str(cfg_path), "--out", str(out)]) == 0
    capsys.readouterr()
    main(["study", "--status", str(out)])
    assert capsys.readouterr().out.splitlines()[-1].startswith("4 done, 0 running, 0 failed")


def test_status_pending_before_any_run_and_not_a_study(tmp_path):
    cfg = load_study(write_cfg(tmp_path))
    Study(cfg, tmp_path / "s")
    text = study_status(tmp_path / "s")
    assert text.splitlines()[-1] == "0 done, 0 running, 0 failed, 4 pending of 4"
    with pytest.raises(SafetylabError, match="not a study directory"):
        study_status(tmp_path)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (MOCK.replace("safety-only: {}", "safty-only: {}"),
         r"mock.yaml:5:3: strategies.safty-only: unknown strategy 'safty-only'; did you mean "
         r"'safety-only'\?"),
        (MOCK.replace("seeds: [0]", "sedes: [0]"),
         r"mock.yaml:8:1: sedes: unknown option 'sedes'; did you mean 'seeds'\?"),
        (MOCK.replace("judges: [strmatch-plus, strmatch]", "judges: [strmatch-plus, refusl]"),
         r"mock.yaml:14:27: eval.judges.refusl: unknown judge 'refusl'; did you mean 'refusal'\?"),
        (MOCK.replace("sizes: [0, 8, 16]", "sizes: [0, -8, 16]"),
         r"mock.yaml:7:12: sizes.1: expected an integer >= 0, got -8"),
        (MOCK.replace("sensitive_share: 0.25", "sensitve_share: 0.25"),
         r"mock.yaml:6:36: strategies.context-aware.sensitve_share: unknown knob "
         r"'sensitve_share'; did you mean 'sensitive_share'\?"),
        (MOCK.replace("attacks: {harm: [fiction]}", "attacks: {harm: [fictin]}"),
         r"mock.yaml:13:20: eval.attacks.harm.fictin: unknown attack 'fictin'; did you mean "
         r"'fiction'\?"),
        (MOCK.replace("epochs: 1}", "epoch: 1}"),
         r"mock.yaml:9:8: train: (epoch: )?unknown option 'epoch'; did you mean 'epochs'\?"),
        (MOCK.replace("backend: mock", "backend: vlm"),
         r"mock.yaml:16:10: backend: unknown backend 'vlm'; did you mean 'vllm'\?"),
        (MOCK + "probes: [linear, atention]\n",
         r"mock.yaml:17:18: probes.atention: unknown probe 'atention'; did you mean 'attention'\?"),
        (MOCK + "  bad: [\n", r"mock.yaml:\d+:\d+: not valid YAML"),
    ],
)  # fmt: skip
def test_config_errors_name_file_line_column(tmp_path, text, want):
    with pytest.raises(SafetylabError, match=want):
        load_study(write_cfg(tmp_path, text))


def test_presets_load_and_unknown_preset(tmp_path):
    for name in ("demo", "cpu", "paper", "frontier", "study-demo-quick"):
        cfg = load_study(name)
        assert cfg.eval.judges[0] == "refusal"
    cpu = load_study("cpu")
    assert list(cpu.strategies) == ["safety-only", "balanced", "context-aware", "multi-task"]
    assert len(cpu.sizes) >= 4 and cpu.models == ["smollm2-135m-instruct"]
    demo = load_study("demo")
    assert demo.strategies["context-aware"]["sizes"] == [max(demo.sizes)]
    paper = load_study("paper")
    assert paper.sizes == [0, 100, 300, 500, 1000, 1500, 2000] and paper.general.n == 20000
    # frontier: the searched mixture, every pair and both safe-but-sensitive sets (60 + 240)
    from safetylab.pipeline._cell import _shares, strategy_knobs

    frontier = load_study("frontier")
    knobs = strategy_knobs(frontier, "context-aware")
    assert _shares(knobs, max(frontier.sizes)) == {"safety": 40, "sensitive": 300, "context": 160}
    assert knobs["sensitive"] == ["bundled/sensitive-train", "bundled/sensitive-more"]
    with pytest.raises(SafetylabError, match="did you mean 'demo'"):
        load_study("dmeo")


def test_paper_prints_gpu_hours_estimate():
    from safetylab.cli._study import gpu_hours

    h = gpu_hours(load_study("paper"))
    # 7 cells x (20,000 general + N) examples x 3 epochs x 0.02 h per 1,000
    assert h == pytest.approx(0.02 * 3 * (7 * 20000 + 5400) / 1000)
    assert gpu_hours(load_study("demo")) is None


def test_demo_alias_prints_the_study_table(tmp_path, capsys):
    from safetylab.cli.main import main

    cfg_path = write_cfg(tmp_path)
    assert main(["study", str(cfg_path), "--out", str(tmp_path / "a")]) == 0
    a = capsys.readouterr().out
    assert main(["demo", "--config", str(cfg_path), "--out", str(tmp_path / "b")]) == 0
    b = capsys.readouterr().out
    assert a.replace(str(tmp_path / "a"), "X") == b.replace(str(tmp_path / "b"), "X")
    assert "| safety-only | 16 |" in a
    assert (tmp_path / "a" / "metrics.json").read_bytes() == (
        tmp_path / "b" / "metrics.json"
    ).read_bytes()


def test_xstest_safe_prompts_all_evaluated_with_source(tmp_path):
    from tests.conftest import SHARED_DATA

    if not (SHARED_DATA / "exaggerated-safety" / "xstest_prompts.csv").exists():
        pytest.skip("no shared data")
    text = MOCK.replace("context-aware: {pair_share: 0.5, sensitive_share: 0.25, sizes: [16]}", "")
    text = text.replace("sizes: [0, 8, 16]", "sizes: [0]")
    cfg = load_study(write_cfg(tmp_path, text))
    res = run_study(cfg, tmp_path / "s", source=str(SHARED_DATA))
    rows = json.loads((tmp_path / "s" / "metrics.json").read_text())
    xs = [r for r in rows if r["suite"] == "overrefusal/xstest"]
    assert [(r["model"], r["metric"], r["n"]) for r in xs] == [
        ("safety-only-0", "refusal_rate", 250)
    ]
    # the answers table says where each prompt comes from
    import pandas as pd

    src = pd.read_parquet(tmp_path / "s" / "answers.parquet")["source"].value_counts().to_dict()
    assert src["xstest"] == 250 and src["bundled"] >= 16
    # the prompt set is part of the cell's identity: with --source the cells are new ones
    assert res.cells[0].id != Study(cfg, tmp_path / "t").cells[0].id


def _row(strategy, n, seed, suite, metric, value, lo=0.0, hi=1.0, k=40):
    return {"model": f"{strategy}-{n}", "suite": suite, "metric": metric, "value": value,
            "ci_low": lo, "ci_high": hi, "n": k, "strategy": strategy, "n_safety": n,
            "seed": seed, "base_model": "m", "cell": "x"}  # fmt: skip


def test_study_points_across_seeds_pareto_and_findings():
    from scipy import stats

    from safetylab.report._report import findings, pareto_front, study_points

    rows = []
    for seed, (h, s) in enumerate([(0.04, 0.50), (0.06, 0.70)]):
        rows += [_row("safety-only", 150, seed, "harm", "harmful_compliance_rate", h),
                 _row("safety-only", 150, seed, "overrefusal", "refusal_rate", s),
                 _row("safety-only", 150, seed, "helpful", "refusal_rate", 0.2)]  # fmt: skip
    rows += [_row("context-aware", 150, 0, "harm", "harmful_compliance_rate", 0.05),
             _row("context-aware", 150, 0, "overrefusal", "refusal_rate", 0.10, 0.02, 0.2),
             _row("context-aware", 150, 0, "helpful", "refusal_rate", 0.04)]  # fmt: skip
    pts = study_points(rows)
    v, lo, hi, n, k = pts[("safety-only", 150)]["harmful"]
    half = stats.t.ppf(0.975, 1) * 0.01414213562373095 / 2**0.5  # sd of (0.04, 0.06)
    assert (round(v, 6), k, n) == (0.05, 2, 80)
    assert lo == pytest.approx(0.05 - half) and hi == pytest.approx(0.05 + half)
    # one seed: the cell's own bootstrap interval
    assert pts[("context-aware", 150)]["safe"] == (0.10, 0.02, 0.2, 40, 1)
    assert pareto_front([(0.5, 0.1), (0.2, 0.3), (0.6, 0.2), (0.2, 0.4)]) == [1, 0]
    text = findings(pts, ["safety-only", "context-aware"])
    assert text[-2] == (
        "At harmful compliance <= 5%: context-aware N=150 refuses 10% of safe prompts and 4% of "
        "plain ones; safety-only N=150 refuses 60% of safe prompts and 20% of plain ones."
    )
    assert text[-1].endswith("reached by: context-aware-150.")
    # not reached: the report names the cell nearest the goal and how far it falls short
    pts[("context-aware", 150)]["safe"] = (0.30, 0.2, 0.4, 40, 1)
    assert findings(pts, ["safety-only", "context-aware"])[-1].endswith(
        "reached by: no cell; closest: context-aware-150 (harmful compliance 5%, safe-prompt "
        "refusal 30%, plain-prompt refusal 4%), 20% short on its worst axis."
    )


def test_vllm_cells_share_one_engine_per_base_model(tmp_path, monkeypatch):
    import types
    from collections import namedtuple

    from safetylab import generate
    from safetylab.pipeline import _sweep as sweep

    built = []

    class FakeVLLM:
        def __init__(self, model, *, adapter=None, batch_size=512, **kw):
            built.append((model, str(adapter)))
            self.tokenizer = "tok"
            self.lora = ("adapter", 1, str(adapter))
            self.fingerprint = f"fp:{adapter}:vllm"

    req = types.ModuleType("vllm.lora.request")
    req.LoRARequest = namedtuple("LoRARequest", "name id path")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", types.ModuleType("vllm"))
    monkeypatch.setitem(sys.modules, "vllm.lora", types.ModuleType("vllm.lora"))
    monkeypatch.setitem(sys.modules, "vllm.lora.request", req)
    monkeypatch.setattr(generate, "VLLMBackend", FakeVLLM)
    monkeypatch.setattr(sweep, "_vllm_fingerprint", lambda m, t, a: f"fp:{a}:vllm")
    cfg = load_study(write_cfg(tmp_path, MOCK.replace("backend: mock", "backend: vllm")))
    study = Study(cfg, tmp_path / "s")
    a = study.backend("m", Path("/x/a"), "safety-only-8", "id-a")
    b = study.backend("m", Path("/x/b"), "safety-only-16", "id-b")
    a2 = study.backend("m", Path("/x/a"), "safety-only-8", "id-a")
    assert built == [("m", "/x/a")]  # one engine
    assert a.lora == ("adapter", 1, "/x/a") and b.lora == ("safety-only-16", 2, "/x/b")
    assert a2.lora == a.lora and b.fingerprint == "fp:/x/b:vllm" != a.fingerprint


def test_vllm_missing_gives_install_hint_and_writes_nothing(tmp_path, capsys):
    import importlib.util

    from safetylab.cli.main import main

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed")
    cfg_path = write_cfg(tmp_path, MOCK.replace("backend: mock", "backend: vllm"))
    assert main(["study", str(cfg_path), "--out", str(tmp_path / "s")]) == 2
    assert "pip install 'safetylab[vllm]'" in capsys.readouterr().err
    args = ["eval", "--backend", "vllm", "--suites", "harm", "--out", str(tmp_path / "e")]
    assert main(args) == 2
    assert "pip install 'safetylab[vllm]'" in capsys.readouterr().err
    assert not (tmp_path / "s").exists() and not (tmp_path / "e").exists()


def test_a_killed_study_resumes_to_the_same_bytes(tmp_path):
    from tests.test_kill_resume import child_env, files_of, kill_and_resume, run_cli

    cfg_path = write_cfg(tmp_path)
    argv = ["study", str(cfg_path)]
    # timestamps, lock holders, the viewer page (fresh nonce), a cell's seconds
    volatile = ("manifest.json", ".safetylab-run.lock", "view.html", "done.json")
    ref = tmp_path / "ref"
    assert run_cli([*argv, "--out", str(ref)], child_env(tmp_path / "c0")) == 0

    def files(out: Path) -> dict[str, bytes]:  # data cards name the study dir's own files
        return {k: v.replace(str(out).encode(), b"OUT") for k, v in files_of(out, volatile).items()}

    want = files(ref)
    kills = 0
    for seed in range(2):
        out = tmp_path / f"run{seed}"
        kills += kill_and_resume(
            [*argv, "--out", str(out)],
            child_env(tmp_path / f"c{seed + 1}"),
            seed,
            max_delay=4.0,
            ready=lambda out=out: (out / "cells.json").exists(),
        )
        got = files(out)
        assert sorted(got) == sorted(want), f"seed {seed}"
        assert got == want, f"seed {seed}"
    assert kills >= 1


def test_hf_study_on_a_tiny_random_llama_trains_generates_and_resumes(tokenizer, tmp_path):
    from tests.conftest import make_tiny_llama

    model = tmp_path / "tiny"
    make_tiny_llama(len(tokenizer), seed=3).save_pretrained(model)
    tokenizer.save_pretrained(model)
    general = tmp_path / "general.jsonl"  # a random model's distilled answers would be empty
    general.write_text(
        "".join(
            json.dumps({"q": f"Name a color number {i}.", "a": f"Blue, number {i}."}) + "\n"
            for i in range(6)
        )
    )
    text = f"""\
models: [{model}]
general: {{file: {general}, instruction_col: q, output_col: a, distill: false}}
strategies:
  safety-only: {{}}
  context-aware: {{sizes: [8]}}
sizes: [0, 8]
seeds: [0]
train: {{preset: cpu-lora, lora_layers: 2, epochs: 1, batch_size: 4, val_ratio: 0.0, bf16: 'off'}}
eval:
  suites: [harm, overrefusal, helpful]
  n: {{harm: 2, overrefusal: 2, helpful: 2}}
  judges: [strmatch]
  max_new_tokens: 4
  keyword_check: false
  mc: 4
backend: hf
"""
    cfg = load_study(write_cfg(tmp_path, text))
    out = tmp_path / "s"
    res = run_study(cfg, out)
    assert not res.failed and len(res.ran) == 3
    for c in res.cells:
        d = out / "cells" / c.id
        assert (d / "adapter" / "adapter_model.safetensors").exists()
        assert len(_jsonl_ids(d / "generations.jsonl")) == 6
        state = json.loads((d / "adapter" / "train_state.json").read_text())
        assert state["cell"] == c.id
    rows = json.loads((out / "metrics.json").read_text())
    cap = [r for r in rows if r["metric"] == "mc_accuracy"]
    assert [(r["model"], r["n"]) for r in cap] == [
        ("safety-only-0", 4), ("safety-only-8", 4), ("context-aware-8", 4)
    ]  # fmt: skip
    # three different adapters: three fingerprints in the cells' manifests
    fps = {json.loads((out / "cells" / c.id / "manifest.json").read_text())["fingerprint"]
           for c in res.cells}  # fmt: skip
    assert len(fps) == 3
    assert sorted(p.name for p in (out / "models").iterdir()) == [
        "base-0", "context-aware-8", "safety-only-8"
    ]  # fmt: skip
    mtimes = {c.id: (out / "cells" / c.id / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns
              for c in res.cells}  # fmt: skip
    before = (out / "metrics.json").read_bytes()
    assert run_study(cfg, out).ran == []
    assert (out / "metrics.json").read_bytes() == before
    assert mtimes == {
        c.id: (out / "cells" / c.id / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns
        for c in res.cells
    }
    # a new judge version: every cell judged again, with no training and no capability scoring
    import safetylab.evals
    from safetylab.judges import _strmatch

    def no_scoring(*a, **k):
        raise AssertionError("capability scored again")

    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(_strmatch.StrMatch, "version", "1.1")
        mp.setattr(safetylab.evals, "capability_row", no_scoring)
        res3 = run_study(load_study(write_cfg(tmp_path, text)), out)
    finally:
        mp.undo()
    assert not res3.failed and len(res3.ran) == 3
    rows3 = json.loads((out / "metrics.json").read_text())
    assert [r for r in rows3 if r["metric"] == "mc_accuracy"] == cap
    assert mtimes == {
        c.id: (out / "cells" / c.id / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns
        for c in res.cells
    }
