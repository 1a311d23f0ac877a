"""`safetylab compare` on two hand-made runs with a known difference: exact differences, McNemar's
p and the paired bootstrap interval, legitimate and malicious sides apart."""

from __future__ import annotations

import json

import pytest

from safetylab.cli.main import main
from safetylab.evals import bootstrap_ci
from safetylab.records import Generation, Judgment, Prompt

C, R, P = "full_compliance", "full_refusal", "partial_refusal"

HARM = [Prompt(f"harmful request {i}", "harm", "unsafe", "c") for i in range(10)]
LEGIT = [Prompt(f"legitimate request {i}", "dualuse", "safe", "medical") for i in range(4)]
MAL = [Prompt(f"malicious request {i}", "dualuse", "unsafe", "medical") for i in range(4)]
OVER = [Prompt(f"safe but sensitive {i}", "overrefusal", "safe", "t") for i in range(4)]
PROMPTS = HARM + LEGIT + MAL + OVER

#: the metric-driving judge's labels per run; "" = undecided (left out)
LABELS = {
    # harm: B complies with 6 of the 10 that A refused (A: partial refusals count as refusals)
    "a": [R] * 5 + [P] * 5 + [C, P, R, R] + [C, C, C, C] + [C, C, C, C],
    "b": [C] * 6 + [R] * 4 + [R, R, R, C] + [R, R, R, R] + [R, R, C, ""],
}


def _write_run(path, name, labels, primary="refusal@3", only=None):
    path.mkdir()
    ps = PROMPTS if only is None else PROMPTS[:only]
    gens = [Generation(p.id, name, f"fp-{name}", f"answer {i}") for i, p in enumerate(ps)]
    judg = [Judgment(g.id, "refusal@3", lab) for g, lab in zip(gens, labels, strict=False)]
    judg += [Judgment(g.id, "strmatch@1", C) for g in gens]  # a second opinion
    for f, rows in (("prompts", ps), ("generations", gens), ("judgments", judg)):
        (path / f"{f}.jsonl").write_text("".join(json.dumps(r.to_dict()) + "\n" for r in rows))
    judges = [primary] + [j for j in ("refusal@3", "strmatch@1") if j != primary]
    (path / "manifest.json").write_text(json.dumps({"judges": judges}))
    return path


@pytest.fixture
def runs(tmp_path):
    a = _write_run(tmp_path / "a", "a", LABELS["a"])
    b = _write_run(tmp_path / "b", "b", LABELS["b"])
    return a, b


def _compare(capsys, *args):
    capsys.readouterr()
    assert main(["compare", *map(str, args), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1]), out


def test_compare_two_runs_with_a_known_difference(runs, capsys):
    res, lines = _compare(capsys, *runs)
    assert set(res) == {"harm", "dualuse/legitimate", "dualuse/malicious", "overrefusal"}
    h = res["harm"]
    assert h["metric"] == "harmful_compliance_rate"
    assert (h["n"], h["rate_a"], h["rate_b"], h["only_a"], h["only_b"]) == (10, 0.0, 0.6, 0, 6)
    assert h["diff"] == pytest.approx(0.6)
    assert h["p_value"] == pytest.approx(2 / 2**6)  # exact McNemar: 6 discordant, all one way
    # the paired bootstrap: prompts resampled, per-prompt differences B - A kept together
    assert (h["ci_low"], h["ci_high"]) == bootstrap_ci([1.0] * 6 + [0.0] * 4, seed=0)
    assert 0.2 <= h["ci_low"] < 0.6 < h["ci_high"] <= 0.9

    # dual-use: right and wrong refusals are not merged. Merged, B "refuses more" (0.375 ->
    # 0.875); split, B answers fewer legitimate requests AND complies with fewer malicious ones.
    leg, mal = res["dualuse/legitimate"], res["dualuse/malicious"]
    assert leg["metric"] == "helpful_answer_rate" and mal["metric"] == "harmful_compliance_rate"
    assert (leg["n"], leg["rate_a"], leg["rate_b"], leg["diff"]) == (4, 0.25, 0.25, 0.0)
    assert (leg["only_a"], leg["only_b"], leg["p_value"]) == (1, 1, 1.0)
    assert (mal["n"], mal["rate_a"], mal["rate_b"], mal["diff"]) == (4, 1.0, 0.0, -1.0)
    assert mal["p_value"] == pytest.approx(2 / 2**4)
    assert (mal["ci_low"], mal["ci_high"]) == (-1.0, -1.0)  # every resample: all four flipped

    # the undecided answer in B is left out: 3 shared judged prompts, not 4
    o = res["overrefusal"]
    assert (o["n"], o["rate_a"], o["rate_b"], o["only_a"], o["only_b"]) == (3, 0.0, 2 / 3, 0, 2)
    assert o["p_value"] == pytest.approx(0.5)
    row = next(x for x in lines if x.startswith("harm "))
    assert f"[{h['ci_low']:+.3f}, {h['ci_high']:+.3f}]" in row and "0.0312" in row


def test_compare_is_symmetric_and_a_run_against_itself_is_zero(runs, capsys):
    ab, _ = _compare(capsys, *runs)
    ba, _ = _compare(capsys, runs[1], runs[0])
    for g in ab:
        assert ba[g]["diff"] == pytest.approx(-ab[g]["diff"])
        assert ba[g]["p_value"] == ab[g]["p_value"]
        assert ba[g]["ci_low"] == pytest.approx(-ab[g]["ci_high"])
    same, _ = _compare(capsys, runs[0], runs[0])
    assert all(d["diff"] == 0 and d["p_value"] == 1.0 for d in same.values())


def test_compare_uses_the_metric_driving_judge_or_the_one_asked_for(runs, capsys):
    res, _ = _compare(capsys, *runs, "--judge", "strmatch@1")  # labels everything compliance
    assert res["harm"]["rate_a"] == res["harm"]["rate_b"] == 1.0
    assert res["overrefusal"]["n"] == 4


def test_compare_only_counts_shared_prompts(tmp_path, capsys):
    a = _write_run(tmp_path / "a", "a", LABELS["a"], only=10)  # the harm prompts only
    b = _write_run(tmp_path / "b", "b", LABELS["b"])
    res, _ = _compare(capsys, a, b)
    assert set(res) == {"harm"} and res["harm"]["n"] == 10


def test_runs_judged_by_different_primary_judges_are_a_one_line_error(tmp_path, capsys):
    a = _write_run(tmp_path / "a", "a", LABELS["a"])
    b = _write_run(tmp_path / "b", "b", LABELS["b"], primary="strmatch@1")
    capsys.readouterr()
    assert main(["compare", str(a), str(b)]) == 2
    err = capsys.readouterr().err.strip()
    assert "different judges (refusal@3 vs strmatch@1)" in err and "--judge" in err
    assert len(err.splitlines()) == 1
    assert main(["compare", str(a), str(b), "--judge", "llm@1"]) == 2
    assert "no judgments by llm@1" in capsys.readouterr().err
