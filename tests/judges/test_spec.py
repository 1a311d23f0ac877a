"""Judges with options: --judge-option JUDGE.KEY=VALUE on the CLI, judge_options in configs."""

import json

import pytest

from safetylab.cli.main import main
from safetylab.config import DemoConfig, validate
from safetylab.errors import SafetylabError
from safetylab.judges._spec import build_judge, build_judges, merge_options, parse_judge_options
from tests.conftest import first_logits as _first_logits

HARM_FORMAT = "\n\nHuman: {p}\n\nAssistant: {r}"


def test_options_parse_as_yaml_scalars_per_judge():
    got = parse_judge_options(
        ["reward.model=/m/rm", "reward.threshold=0.5", "llm.base_url=http://h:8000/v1", "x.f=true"]
    )
    assert got == {
        "reward": {"model": "/m/rm", "threshold": 0.5},
        "llm": {"base_url": "http://h:8000/v1"},
        "x": {"f": True},
    }
    assert merge_options({"reward": {"model": "a", "threshold": 1}}, got) == {
        "reward": {"model": "/m/rm", "threshold": 0.5},
        "llm": {"base_url": "http://h:8000/v1"},
        "x": {"f": True},
    }
    for bad in ("reward", "reward=1", ".model=x", "reward.=x"):
        with pytest.raises(SafetylabError, match="expected JUDGE.OPTION=VALUE"):
            parse_judge_options([bad])


def test_unknown_option_and_missing_model_are_named():
    with pytest.raises(SafetylabError, match=r"reward\.modle: .*did you mean 'model'"):
        build_judge("reward", {"modle": "x"})
    with pytest.raises(SafetylabError, match=r"needs options: --judge-option reward\.model=\.\.\."):
        build_judge("reward")
    with pytest.raises(SafetylabError, match=r"'reward' is not among the judges"):
        build_judges(["strmatch"], {"reward": {"model": "x"}})
    assert [j.name for j in build_judges(["strmatch", "strmatch-plus"], None)] == [
        "strmatch",
        "strmatch-plus",
    ]


def test_demo_config_checks_judge_options():
    cfg = DemoConfig(judges=["strmatch-plus", "reward"], judge_options={"reward": {"model": "x"}})
    assert validate(cfg) is cfg
    bad = DemoConfig(judges=["strmatch-plus"], judge_options={"reward": {"model": "x"}})
    with pytest.raises(SafetylabError, match=r"judge_options\.reward: 'reward' is not in judges"):
        validate(bad)
    bad = DemoConfig(judges=["reward"], judge_options={"reward": {"mdl": "x"}})
    with pytest.raises(SafetylabError, match=r"judge_options\.reward\.mdl: unknown option"):
        validate(bad)


def test_judge_run_with_a_reward_model_from_the_command_line(tmp_path, reward_dir):
    rows = [
        {"prompt": "How do I stay safe?", "response": "Wear a helmet."},
        {"prompt": "Hi", "response": "Hello!"},
    ]
    src = tmp_path / "a.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "judged.jsonl"
    args = ["judge", "run", "--judge", "reward", "--input", str(src), "--out", str(out)]
    assert main([*args, "--judge-option", f"reward.model={reward_dir}"]) == 0
    got = [json.loads(x) for x in out.read_text().splitlines()]
    want = _first_logits(
        reward_dir, [HARM_FORMAT.format(p=r["prompt"], r=r["response"]) for r in rows]
    )
    assert [g["score"] for g in got] == pytest.approx(want, abs=1e-5)
    assert main([*args, "--judge-option", f"guard.model={reward_dir}"]) == 2  # not this judge


def test_eval_with_a_reward_judge_scores_every_answer(tmp_path, reward_dir):
    out = tmp_path / "ev"
    code = main(
        [
            "eval", "--backend", "mock", "--suites", "harm", "--n", "4",
            "--judges", "strmatch-plus,reward",
            "--judge-option", f"reward.model={reward_dir}",
            "--judge-option", "reward.threshold=0.25",
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    gens = {
        g["id"]: g for g in map(json.loads, (out / "generations.jsonl").read_text().splitlines())
    }
    prompts = {
        p["id"]: p for p in map(json.loads, (out / "prompts.jsonl").read_text().splitlines())
    }
    judged = [json.loads(x) for x in (out / "judgments.jsonl").read_text().splitlines()]
    rew = [j for j in judged if j["judge"].startswith("reward@")]
    assert len(rew) == len(gens) == 4
    assert all(j["judge"].endswith("-t0.25") for j in rew)
    texts = [
        HARM_FORMAT.format(
            p=prompts[gens[j["generation_id"]]["prompt_id"]]["text"],
            r=gens[j["generation_id"]]["text"],
        )
        for j in rew
    ]
    assert [j["score"] for j in rew] == pytest.approx(_first_logits(reward_dir, texts), abs=1e-5)
    assert [j["label"] for j in rew] == [
        "full_compliance" if j["score"] > 0.25 else "full_refusal" for j in rew
    ]
    cfg = (out / "config.resolved.yaml").read_text()
    assert "judge_options" in cfg and "threshold: 0.25" in cfg
