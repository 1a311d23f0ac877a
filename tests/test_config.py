"""The one typed config builder (``safetylab.config.build_config``): every config coerces and
refuses values the same way, with ``file:line:column: option: reason`` errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safetylab.config import (
    DemoConfig,
    build_config,
    defaults,
    field_help,
    load_config,
    load_config_file,
)
from safetylab.data import parse_mix_config
from safetylab.errors import SafetylabError
from safetylab.evals._run import EvalConfig
from safetylab.probes import ProbeConfig
from safetylab.train import TrainConfig, load_train_config


def test_lr_written_3e_4_is_a_float_in_every_config(tmp_path):
    # YAML 1.1 reads 3e-4 (no dot) as a string; every config now coerces it the same way
    demo = tmp_path / "demo.yaml"
    demo.write_text("train:\n  lr: 3e-4\n")
    assert load_config(demo).train.lr == 3e-4
    train = tmp_path / "train.yaml"
    train.write_text("lr: 3e-4\n")
    assert load_train_config(train).lr == 3e-4
    assert build_config(EvalConfig, {"top_p": "5e-1"}).top_p == 0.5
    assert build_config(ProbeConfig, {"c": "3e-4"}).c == 3e-4
    mix = parse_mix_config(
        {"strategy": "safety-only", "safety": "bundled/safety", "dedup_threshold": "5e-1"}
    )
    assert mix.dedup_threshold == 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train:\n  lr: .nan\n", "c.yaml:2:3: train.lr: must be a finite number"),
        ("train:\n  epochs: .inf\n", "c.yaml:2:3: train.epochs: must be a finite number"),
        ("train:\n  lr: .inf\n", "c.yaml:2:3: train.lr: must be a finite number"),
        ("seed: abc\n", "c.yaml:1:1: seed: must be an integer, got 'abc'"),
        ("seed: true\n", "c.yaml:1:1: seed: must be a number, got True"),
        ("grid: [0, x]\n", "c.yaml:1:11: grid.1: must be an integer, got 'x'"),
        ("eval:\n  harm: -1\n", "c.yaml:2:3: eval.harm: must be >= 0, got -1"),
        ("gird: [0]\n", "c.yaml:1:1: gird: unknown option 'gird'; did you mean 'grid'?"),
        ("train:\n  lrr: 1\n", "c.yaml:2:3: train.lrr: unknown option 'lrr'; did you mean 'lr'?"),
        ("train: 3\n", "c.yaml:1:1: train: expected a mapping of options, got int"),
        ("n_general: 0\n", "c.yaml: n_general must be > 0"),
    ],
)
def test_demo_config_errors_name_file_line_column_and_option(tmp_path, text, message):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(SafetylabError) as e:
        load_config(p)
    assert str(e.value) == f"{tmp_path}/{message}" or str(e.value).startswith(
        f"{tmp_path}/{message}"
    )
    assert "\n" not in str(e.value)


def test_yaml_one_one_quirks_are_undone_before_typing(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text("bf16: off\ntarget_modules: all-linear\n")  # a boolean and a bare name
    cfg = load_config_file(TrainConfig, p)
    assert cfg.bf16 == "off" and cfg.target_modules == ["all-linear"]


def test_flags_name_the_command_line_option():
    with pytest.raises(SafetylabError, match=r"^--max-new-tokens must be > 0, got 0$"):
        build_config(EvalConfig, {"max_new_tokens": 0}, flags=True)
    with pytest.raises(SafetylabError, match=r"^--n must be >= 0, got -1$"):
        build_config(EvalConfig, {"n": -1}, flags=True)


def test_defaults_and_help_come_from_the_config_class():
    d = defaults(EvalConfig)
    assert d["n"] == 40 and d["suites"] == ["harm", "overrefusal", "helpful"]
    from safetylab.cli.main import build_parser

    args = build_parser().parse_args(["eval", "--out", "x"])
    assert (args.n, args.batch_size, args.seed) == (d["n"], d["batch_size"], d["seed"])
    assert args.suites == ",".join(d["suites"]) and args.judges == ",".join(d["judges"])
    helps = field_help(ProbeConfig)
    assert helps["folds"] == "cross-validation folds"
    assert set(helps) == set(defaults(ProbeConfig))  # every field documented


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cls=st.sampled_from([DemoConfig, TrainConfig, EvalConfig, ProbeConfig]),
    data=st.data(),
)
def test_random_mappings_give_a_config_or_a_one_line_error(cls, data):
    names = sorted(defaults(cls))
    keys = st.sampled_from(names) | st.text(max_size=8)
    mapping = data.draw(st.dictionaries(keys, _values, max_size=4))
    try:
        cfg = build_config(cls, mapping, "c.yaml")
    except SafetylabError as e:
        assert "\n" not in str(e) and str(e).startswith("c.yaml")
    else:
        assert isinstance(cfg, cls)
        for name in names:  # nothing non-finite got through
            v = getattr(cfg, name)
            assert not (isinstance(v, float) and not math.isfinite(v))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train:\n  batching: pack\n", "train: batching must be one of length, padded, packed"),
        ("train:\n  lr: -1\n", "train: lr and epochs must be > 0"),
        ("train:\n  bf16: maybe\n", "train: bf16 must be one of auto, on, off"),
        ("train:\n  micro_batch_size: 64\n", "train: micro_batch_size (64) must be <= batch_size"),
    ],
)
def test_demo_config_checks_its_training_options_as_train_does(tmp_path, text, message):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(SafetylabError, match=r"^" + str(p).replace(".", r"\.")) as e:
        load_config(p)
    assert message in str(e.value)
