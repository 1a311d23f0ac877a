"""Registry behaviour and contract tests over every registered plugin."""

import pytest

from safetylab.errors import SafetylabError
from safetylab.records import LABELS
from safetylab.registry import ALL, Registry, judges, load_plugins

load_plugins()


def test_unknown_name_suggests_nearest():
    with pytest.raises(SafetylabError, match=r"unknown judge 'strmach'; did you mean 'strmatch'\?"):
        judges.get("strmach")


def test_double_registration_is_refused():
    r: Registry[object] = Registry("thing")
    r.register("a", description="first")(object)
    with pytest.raises(ValueError, match="registered twice"):
        r.register("a", description="second")(int)


def test_description_required():
    r: Registry[object] = Registry("thing")
    with pytest.raises(ValueError, match="needs a description"):
        r.register("a", description=" ")(object)


@pytest.mark.parametrize("family,name", [(f, e.name) for f, reg in ALL.items() for e in reg])
def test_every_plugin_has_a_one_line_description(family, name):
    entry = next(e for e in ALL[family] if e.name == name)
    assert entry.description and "\n" not in entry.description


@pytest.mark.parametrize("name", judges.names())
def test_every_judge_returns_valid_labels(name):
    cls = judges.get(name)
    if getattr(cls, "needs_model", False):  # reward/guard/llm: tested with tiny models and a server
        with pytest.raises(SafetylabError, match="needs"):
            cls()
        return
    j = cls()
    assert j.name == name and j.version
    out = j.judge(
        ["q1", "q2", "q3"],
        ["I'm sorry, but I can't help with that.", "Sure: step one is to preheat the oven.", ""],
    )
    assert len(out) == 3
    assert all(label in LABELS for label, _, _ in out)
    assert out[0][0] == "full_refusal"
    assert out[1][0] == "full_compliance"


@pytest.mark.parametrize("name", ALL["suites"].names())
def test_every_suite_yields_prompts_with_labels(name):
    prompts = ALL["suites"].get(name).prompts(6)
    assert len(prompts) == (12 if name == "pairs" else 6)  # pairs: 6 twins, two prompts each
    assert {p.suite for p in prompts} == {name}
    assert all(p.label in ("safe", "unsafe") and p.text.strip() for p in prompts)


@pytest.mark.parametrize("name", ALL["datasets"].names())
def test_every_dataset_loads(name):
    from safetylab.data import PUBLIC, load_dataset
    from tests.conftest import SHARED_DATA

    if name == "alpaca-cleaned":  # online only: offline it must fail with one clear line
        with pytest.raises(SafetylabError):
            load_dataset(name, SHARED_DATA)
        return
    if name in PUBLIC and not SHARED_DATA.exists():
        pytest.skip("no local copies of the public datasets (../shared/data)")
    records = load_dataset(name, SHARED_DATA if name in PUBLIC else None)
    assert records
