"""Evaluation suites, transforms in eval runs, paired statistics and `safetylab compare`."""

import json
from collections import Counter

import pytest

from safetylab.cli.main import main
from safetylab.evals._run import EvalConfig, build_prompts, compute_eval_metrics
from safetylab.evals._stats import mcnemar, paired_difference
from safetylab.evals._suites import get_suite, pair_outcomes
from safetylab.records import Prompt

ALL = ["harm", "overrefusal", "pairs", "helpful", "dualuse", "physical"]


def test_mcnemar_exact_values():
    assert mcnemar(0, 0) == 1.0
    assert mcnemar(0, 6) == pytest.approx(2 / 64)  # two-sided exact binomial
    assert mcnemar(3, 3) == 1.0
    d = paired_difference([True, True, False, False], [True, False, True, True])
    assert (d["only_a"], d["only_b"], d["diff"]) == (1, 2, 0.25)


def test_pair_outcomes_cover_the_four_cases():
    ps, lab = [], {}
    cases = {
        "a": ("full_compliance", "full_refusal"),
        "b": ("full_refusal", "partial_refusal"),
        "c": ("full_compliance", "full_compliance"),
        "d": ("full_refusal", "full_compliance"),
    }
    for k, (ls, lu) in cases.items():
        s = Prompt(f"safe {k}", "pairs", "safe", f"pair:{k}")
        u = Prompt(f"unsafe {k}", "pairs", "unsafe", f"pair:{k}")
        ps += [s, u]
        lab[s.id], lab[u.id] = ls, lu
    assert pair_outcomes(ps, lab) == ["right", "over", "under", "inverted"]


def test_suites_yield_balanced_labelled_prompts():
    c = Counter(p.label for p in get_suite("pairs").prompts(8))
    assert c == {"safe": 8, "unsafe": 8}  # 8 held-out twins (context pairs are training data)
    phys = get_suite("physical").prompts(10)
    assert Counter(p.label for p in phys) == {"safe": 5, "unsafe": 5}
    du = get_suite("dualuse").prompts(8)
    assert Counter(p.label for p in du) == {"safe": 4, "unsafe": 4}
    assert {p.category for p in du} == {"medical", "legal", "security", "chemistry"}


def test_transforms_and_keyword_swap_keep_lineage():
    cfg = EvalConfig(suites=["harm", "overrefusal"], n=4, attacks=["rot13"])
    ps = build_prompts(cfg)
    c = Counter((p.suite, p.transform) for p in ps)
    assert c[("harm", "")] == 4 and c[("harm", "rot13")] == 4 and c[("overrefusal", "rot13")] == 4
    parents = {p.id for p in ps if not p.transform}
    assert all(p.parent_id in parents for p in ps if p.transform)
    assert c[("overrefusal", "keyword-swap")] >= 1


def test_metrics_from_labels():
    cfg = EvalConfig(suites=["harm"], attacks=["rot13"], n=4)
    ps = build_prompts(cfg)
    lab = {p.id: ("full_compliance" if p.transform else "full_refusal") for p in ps}
    rows = {(r.suite, r.metric): r for r in compute_eval_metrics(cfg, ps, lab, "m")}
    assert rows[("harm", "harmful_compliance_rate")].value == 0.0
    assert rows[("harm@rot13", "attack_success_rate")].value == 1.0
    assert rows[("harm@rot13", "attack_success_rate")].n == 4


def _eval(tmp_path, name, extra=()):
    out = tmp_path / name
    code = main(
        [
            "eval",
            "--backend",
            "mock",
            "--suites",
            ",".join(ALL),
            "--n",
            "6",
            "--attacks",
            "fiction",
            "--out",
            str(out),
            *extra,
        ]
    )
    assert code == 0
    return out


def test_eval_run_resumes_and_compare_is_paired(tmp_path, capsys):
    out = _eval(tmp_path, "a")
    lines = (out / "generations.jsonl").read_text().splitlines()
    _eval(tmp_path, "a")
    assert (out / "generations.jsonl").read_text().splitlines() == lines
    metrics = json.loads((out / "metrics.json").read_text())
    suites = {m["suite"] for m in metrics}
    assert {"harm", "overrefusal", "pairs", "helpful", "harm@fiction"} <= suites
    assert all(
        {"model", "suite", "metric", "value", "ci_low", "ci_high", "n"} <= set(m) for m in metrics
    )
    capsys.readouterr()
    assert main(["compare", str(out), str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["harm"]["diff"] == 0 and result["harm"]["p_value"] == 1.0


def test_unknown_suite_is_exit_2(tmp_path, capsys):
    assert (
        main(["eval", "--backend", "mock", "--suites", "harmm", "--out", str(tmp_path / "x")]) == 2
    )
    assert "did you mean 'harm'" in capsys.readouterr().err


def test_rejudging_a_finished_run_reuses_generations(tmp_path):
    out = _eval(tmp_path, "a")
    gens = (out / "generations.jsonl").read_text()
    _eval(tmp_path, "a", ["--judges", "strmatch,strmatch-plus"])
    assert (out / "generations.jsonl").read_text() == gens
    judges = {json.loads(x)["judge"] for x in (out / "judgments.jsonl").read_text().splitlines()}
    assert judges == {"refusal@4", "strmatch@1", "strmatch-plus@2"}  # defaults, then the two


def test_run_dirs_made_before_the_helpful_options_still_resume(tmp_path):
    import yaml

    out = _eval(tmp_path, "a")
    cfg_path = out / "config.resolved.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    new = ["base_url", "api_key_env", "concurrency", "base", "drift", "drift_threshold"]
    new += ["reward_model", "lm_eval", "lm_eval_limit", "lm_eval_include"]
    assert set(new) <= set(cfg)
    cfg_path.write_text(yaml.safe_dump({k: v for k, v in cfg.items() if k not in new}))
    gens = (out / "generations.jsonl").read_text()
    _eval(tmp_path, "a")  # an older config (no such keys) is the same run
    assert (out / "generations.jsonl").read_text() == gens
    assert main(["eval", "--backend", "mock", "--n", "5", "--out", str(out)]) == 2  # not this one


def test_keyword_reliance_is_a_paired_difference_with_an_interval(tmp_path):
    out = _eval(tmp_path, "kw")
    rows = {(m["suite"], m["metric"]): m for m in json.loads((out / "metrics.json").read_text())}
    kr = rows[("overrefusal", "keyword_reliance")]
    with_kw = rows[("overrefusal/with-keyword", "refusal_rate")]
    swapped = rows[("overrefusal/keyword-swapped", "refusal_rate")]
    children = [
        p
        for p in map(json.loads, (out / "prompts.jsonl").read_text().splitlines())
        if p.get("transform") == "keyword-swap"
    ]
    assert kr["n"] == swapped["n"] == with_kw["n"] == len(children) > 0
    assert kr["value"] == pytest.approx(with_kw["value"] - swapped["value"])
    assert kr["ci_low"] <= kr["value"] <= kr["ci_high"]  # finite: nan would fail both


def test_sampled_eval_records_its_settings_and_is_another_run_than_greedy(tmp_path, capsys):
    out = _eval(tmp_path, "s", ["--temperature", "0.7", "--top-p", "0.9", "--top-k", "20"])
    gens = [json.loads(x) for x in (out / "generations.jsonl").read_text().splitlines()]
    sampled = {"max_new_tokens": 64, "do_sample": True, "temperature": 0.7, "top_p": 0.9,
               "top_k": 20, "seed": 0}  # fmt: skip
    assert gens and all(g["decoding"] == sampled for g in gens)
    cfg = (out / "config.resolved.yaml").read_text()
    assert "temperature: 0.7" in cfg and "top_k: 20" in cfg
    greedy = _eval(tmp_path, "g")
    assert "temperature" not in (greedy / "config.resolved.yaml").read_text()
    first = json.loads((greedy / "generations.jsonl").read_text().splitlines()[0])
    assert first["decoding"] == {"max_new_tokens": 64, "do_sample": False}
    capsys.readouterr()
    assert main(["eval", "--backend", "mock", "--n", "6", "--out", str(out)]) == 2  # greedy here
    assert "made by another config" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--temperature", "-1"], "--temperature must be >= 0"),
        (["--temperature", "1", "--top-p", "0"], "--top-p must be in (0, 1]"),
        (["--temperature", "1", "--top-k", "-5"], "--top-k must be >= 0"),
    ],
)
def test_bad_sampling_flags_are_one_line_errors(tmp_path, capsys, flags, message):
    code = main(["eval", "--backend", "mock", "--n", "2", "--out", str(tmp_path / "x"), *flags])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x" / "generations.jsonl").exists()


def test_an_interrupted_eval_resumes_to_the_same_files_as_an_uninterrupted_one(
    tmp_path, monkeypatch
):
    """The backend dies after 7 answers; the rerun generates only the rest, and every file the
    run writes is byte for byte the one of a run that was never interrupted."""
    from safetylab.evals import _backends
    from safetylab.evals._run import run_eval
    from safetylab.generate import MockBackend

    class Dies(MockBackend):
        def generate(self, prompts, decoding, on_batch=None):
            def save(idx, answers):
                if self.calls > 7:
                    raise RuntimeError("killed")
                if on_batch is not None:
                    on_batch(idx, answers)

            return super().generate(prompts, decoding, save)

    used: list[MockBackend] = []

    def backend(kind):
        def make(cfg):
            used.append(kind())
            return used[-1], None

        return make

    cfg = EvalConfig(backend="mock", suites=ALL, n=4, attacks=["fiction"])
    n_prompts = len(build_prompts(cfg))
    monkeypatch.setattr(_backends, "main_backend", backend(Dies))
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache-cut"))
    with pytest.raises(RuntimeError, match="killed"):
        run_eval(cfg, tmp_path / "cut")
    assert len((tmp_path / "cut" / "generations.jsonl").read_text().splitlines()) == 7
    assert not (tmp_path / "cut" / "metrics.json").exists()
    monkeypatch.setattr(_backends, "main_backend", backend(MockBackend))
    rows = run_eval(cfg, tmp_path / "cut")
    assert used[-1].calls == n_prompts - 7  # only what was missing was generated
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache-full"))
    assert [r.to_dict() for r in run_eval(cfg, tmp_path / "full")] == [r.to_dict() for r in rows]
    assert used[-1].calls == n_prompts
    for f in ("prompts", "generations", "judgments"):
        name = f"{f}.jsonl"
        assert (tmp_path / "cut" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()
    for name in ("metrics.json", "report.md", "config.resolved.yaml"):
        assert (tmp_path / "cut" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()
