"""Mixture configs: unknown or unused options are one-line errors with file:line and a
did-you-mean; shipped config comments and the demo's help agree with what the code does.

python -m pytest tests/data/test_mix_config.py -q
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safetylab.cli.main import main
from safetylab.config import PRESETS_DIR
from safetylab.data import load_dataset, load_mix_config, parse_mix_config
from safetylab.errors import SafetylabError


def _yaml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mix.yaml"
    p.write_text(text)
    return p


def _error(path: Path) -> str:
    with pytest.raises(SafetylabError) as e:
        load_mix_config(path)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_safety_n_is_an_error_pointing_at_n_safety(tmp_path):
    p = _yaml(
        tmp_path, "strategy: safety-only\nseed: 0\nsafety: {dataset: bundled/safety, n: 10}\n"
    )
    assert _error(p) == (
        f"{p}:3: safety: option 'n' is not used (the number of safety rows is the top-level "
        "n_safety); did you mean 'n_safety: 10'?"
    )
    # The block style points at the key's own line.
    p = _yaml(tmp_path, "strategy: safety-only\nsafety:\n  dataset: bundled/safety\n  n: 10\n")
    assert _error(p).startswith(f"{p}:4: safety: option 'n' is not used")


def test_cli_data_mix_refuses_safety_n_and_writes_nothing(tmp_path, capsys):
    p = _yaml(tmp_path, "strategy: safety-only\nsafety: {dataset: bundled/safety, n: 10}\n")
    out = tmp_path / "mix.jsonl"
    assert main(["data", "mix", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{p}:2" in err and "n_safety: 10" in err
    assert not out.exists()


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("strategy: safety-only\nn_safty: 3\n", 2, "unknown option 'n_safty'; did you mean 'n_safety'?"),
        ("strategy: safety-only\nsafety:\n  dataset: bundled/safety\n  label_colum: x\n", 4,
         "safety: unknown option 'label_colum'; did you mean 'label_col'?"),
        ("strategy: safety-only\nsafety: {dataset: bundled/safety, output_col: refusal}\n", 2,
         "safety: option 'output_col' is not used with dataset 'bundled/safety' (it applies to "
         "file sources only)"),
        ("strategy: context-aware\nsafety: null\nformat: question\n", 3,
         "format 'question' is not used: it rephrases safety prompts and there is no safety source"),
        ("strategy: balanced\ngeneral: {dataset: bundled/general}\nsafety: bundled/safety\n"
         "strategy2: x\n", 4, "unknown option 'strategy2'; did you mean 'strategy'?"),
        ("strategy: balanse\n", 1, "unknown strategy 'balanse'; did you mean 'balanced'?"),
    ],
)  # fmt: skip
def test_unknown_and_unused_options_name_file_and_line(tmp_path, text, line, message):
    p = _yaml(tmp_path, text)
    assert _error(p).startswith(f"{p}:{line}: {message}")


def test_refusal_style_without_refusals_is_an_error():
    cfg = {"strategy": "context-aware", "context": None, "sensitive": "bundled/sensitive-train"}
    with pytest.raises(SafetylabError):
        parse_mix_config({**cfg, "refusal_style": "terse"})


def test_every_shipped_mix_preset_still_parses():
    for p in sorted(PRESETS_DIR.glob("mix-*.yaml")):
        load_mix_config(p)


def test_pairs_suite_is_not_the_training_pairs_and_is_contamination_checked():
    """mix-context-aware's comment: the pairs suite evaluates on held-out eval files, which
    the mixture's contamination check covers; no training pair is a pairs-suite prompt."""
    from safetylab.data._dedup import eval_items
    from safetylab.evals._suites import _pairs_bundled

    pairs_suite = {p.text for p in _pairs_bundled(None)}
    train = {e.prompt for e in load_dataset("bundled/context-pairs")}
    assert len(pairs_suite) > 0 and len(train) > 0
    assert pairs_suite.isdisjoint(train)
    for preset in ("mix-context-aware", "mix-multitask"):
        cfg = load_mix_config(preset)
        text = (PRESETS_DIR / f"{preset}.yaml").read_text()
        assert "evaluates on these same training pairs" not in text
        _, checked, _ = eval_items(cfg.eval, None)
        assert {"bundled/sensitive-safe", "bundled/sensitive-unsafe"} <= set(checked)


def test_demo_help_reads_the_grid_from_the_preset_files(capsys):
    import yaml

    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    quick = yaml.safe_load((PRESETS_DIR / "study-demo-quick.yaml").read_text())["sizes"]
    full = yaml.safe_load((PRESETS_DIR / "study-demo.yaml").read_text())["sizes"]
    assert quick == [0, 100] and full == [0, 50, 150]
    assert "smaller grid for a first look (N = 0, 100)" in out
    assert "safety-only over N = 0, 50, 150" in out
    assert "64" not in out


def test_cli_data_mix_says_how_many_refusals_the_style_changed(tmp_path, capsys):
    p = tmp_path / "r.yaml"
    p.write_text("strategy: safety-only\nrefusal_style: reasoned\neval: []\n")
    assert main(["data", "mix", str(p), "--out", str(tmp_path / "r.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "refusal_style reasoned (pools): 1 of 300 refusals changed" in out
    p.write_text("strategy: safety-only\nrefusal_style: terse\nformat: question\neval: []\n")
    assert main(["data", "mix", str(p), "--out", str(tmp_path / "t.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "refusal_style terse (pools): 300 of 300 refusals changed" in out
    assert "format question (pools): " in out


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("strategy: context-aware\nsafety: null\nn_safety: 5\n", 3,
         "n_safety given without a safety source"),
        ("strategy: safety-only\nseed: 1\ntasks: {response: 0.5, classify: 0.5}\n", 3,
         "auxiliary tasks (classify, explain) go with strategy multi-task"),
        ("strategy: safety-only\nn_safety: [10, 10]\n", 2, "n_safety grid has repeated values"),
        ("strategy: safety-only\n\nngram: 2\n", 3, "ngram must be an integer >= 3"),
    ],
)  # fmt: skip
def test_cross_option_errors_name_the_line(tmp_path, text, line, message):
    p = _yaml(tmp_path, text)
    assert _error(p).startswith(f"{p}:{line}: {message}")
