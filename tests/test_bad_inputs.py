"""The bad-input corpus (``tests/bad_inputs/``) against every command that reads a user file or
config (issue 13): each case exits 2 with one line on stderr that names the file (and line) or
the option, and writes nothing. Run in-process through ``safetylab.cli.main.main``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safetylab.cli.main import main

BAD = Path(__file__).parent / "bad_inputs"
GOOD_ROWS = '{"prompt": "Name a colour.", "response": "Teal."}\n'

#: data file -> what the error must name ("file:line:" where the line is known)
FILES = {
    "empty.jsonl": "empty.jsonl",
    "empty.csv": "empty.csv",
    "empty.json": "empty.json:1:",
    "blank_lines.jsonl": "blank_lines.jsonl",
    "header_only.csv": "header_only.csv",
    "truncated.jsonl": "truncated.jsonl:2:",
    "truncated.json": "truncated.json:2:",
    "latin1.csv": "latin1.csv:3: not valid UTF-8",
    "latin1.jsonl": "latin1.jsonl:2: not valid UTF-8",
    "latin1_header.csv": "latin1_header.csv:1: header row not valid UTF-8",
    "wrong_types.jsonl": "wrong_types.jsonl:2:",
    "not_objects.jsonl": "not_objects.jsonl:2:",
    "ragged.csv": "ragged.csv:3:",
    "no_request_column.csv": "no_request_column.csv",
    "not_a_list.json": "not_a_list.json:1:",
    "wrong_suffix.txt": "wrong_suffix.txt",
    "huge_line.csv": "huge_line.csv:2:",
    "deep.jsonl": "deep.jsonl:1: nested too deeply",
}

#: command reading a data file: argv with {f} (the file) and {out} (where it would write)
FILE_COMMANDS = {
    "data show": ["data", "show", "{f}"],
    "train": ["train", "--model", "smollm2-135m-instruct", "--data", "{f}", "--out", "{out}"],
    "judge run": [
        "judge",
        "run",
        "--judge",
        "strmatch",
        "--input",
        "{f}",
        "--out",
        "{out}/j.jsonl",
    ],
    "judge validate": ["judge", "validate", "--judge", "strmatch", "--labels", "{f}"],
    "data mix": ["data", "mix", "{recipe}", "--out", "{out}/mix.jsonl"],
}

#: (command, config file) -> what the error must name
CONFIGS = [
    ("train", "train_lr_nan.yaml", "train_lr_nan.yaml:1:1: lr: must be a finite number"),
    ("train", "train_lr_inf.yaml", "train_lr_inf.yaml:1:1: lr: must be a finite number"),
    ("train", "train_epochs_inf.yaml", "train_epochs_inf.yaml:1:1: epochs: must be a finite"),
    ("train", "train_seed_abc.yaml", "train_seed_abc.yaml:2:1: seed: must be an integer"),
    ("train", "train_typo.yaml", "train_typo.yaml:2:1: epoch: unknown option 'epoch'; did you"),
    ("train", "train_negative.yaml", "train_negative.yaml: batch_size must be > 0"),
    ("train", "train_bool_for_number.yaml", "train_bool_for_number.yaml:1:1: lora_r: must be a"),
    ("train", "broken.yaml", "broken.yaml:"),
    ("train", "not_mapping.yaml", "not_mapping.yaml: expected a mapping"),
    ("train", "latin1.yaml", "latin1.yaml:1: not UTF-8"),
    ("train", "recursive_alias.yaml", "recursive_alias.yaml: a YAML alias (*name) contains itself"),
    ("train", "deep.yaml", "deep.yaml: nested too deeply"),
    ("demo", "recursive_alias.yaml", "recursive_alias.yaml: a YAML alias (*name) contains itself"),
    ("data mix", "deep.yaml", "deep.yaml: nested too deeply"),
    (
        "data mix",
        "mix_dedup_abc.yaml",
        r"mix_dedup_abc.yaml(:3)?: dedup_threshold: must be a number",
    ),
    ("data mix", "mix_seed_abc.yaml", r"mix_seed_abc.yaml(:3)?: seed: must be an integer"),
    ("data mix", "mix_nan.yaml", r"mix_nan.yaml(:3)?: n_safety: must be a finite number"),
    ("data mix", "mix_typo.yaml", "did you mean 'seed'?"),
    ("data mix", "mix_strategy_typo.yaml", "did you mean 'safety-only'?"),
    ("data mix", "broken.yaml", "broken.yaml:"),
    ("data mix", "latin1.yaml", "latin1.yaml:1: not UTF-8"),
    ("demo", "broken.yaml", "broken.yaml:2:7: not valid YAML"),
    ("demo", "not_mapping.yaml", "not_mapping.yaml: expected a mapping"),
    ("demo", "latin1.yaml", "latin1.yaml:1: not UTF-8"),
    ("demo", "train_typo.yaml", "train_typo.yaml:1:1: lr: unknown option"),
]

#: flags with bad values (no file): argv and what the error must name
FLAGS = [
    (["eval", "--backend", "mock", "--n", "-1"], "--n must be >= 0"),
    (["eval", "--backend", "mock", "--batch-size", "0"], "--batch-size must be > 0"),
    (["eval", "--backend", "mock", "--temperature", "nan"], "--temperature must be a finite"),
    (["eval", "--backend", "mock", "--top-p", "1.5"], "--top-p must be in (0, 1]"),
    (["eval", "--backend", "mock", "--max-new-tokens", "0"], "--max-new-tokens must be > 0"),
    (["eval", "--backend", "mock", "--suites", "harmm"], "did you mean 'harm'?"),
    (["eval", "--backend", "mock", "--attacks", "base46"], "did you mean 'base64'?"),
    (["eval", "--backend", "mokc"], "mokc"),
    (["probe", "linear", "--n-train", "abc"], "--n-train must be an integer, got 'abc'"),
    (["probe", "linear", "--folds", "1"], "--folds must be >= 2"),
    (["probe", "linear", "--c", "inf"], "--c must be a finite number"),
    (["probe", "linear", "--pool", "max"], "--pool must be one of last, mean"),
    (["data", "show", "bundled/safty"], "did you mean 'bundled/safety'?"),
    (["data", "show", "missing.jsonl"], "missing.jsonl: file not found"),
    (["train", "--model", "m", "--data", "missing.csv"], "missing.csv: file not found"),
    (["train", "--model", "m", "--data", "{good}", "--set", "lr=.inf"], "--set: lr: must be a"),
    (["train", "--model", "m", "--data", "{good}", "--set", "seed=abc"], "--set: seed: must be"),
    (["attack", "apply", "base46", "--text", "hi"], "did you mean 'base64'?"),
]


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1, cap.err
    assert lines[0].startswith("safetylab: error: "), lines[0]
    assert "Traceback" not in cap.err
    return lines[0]


def _file(tmp_path: Path, name: str) -> Path:
    if name == "huge_line.csv":  # a field over the csv module's 128 KiB limit
        p = tmp_path / name
        p.write_text("prompt,response\nName a colour.," + "teal " * 40_000 + "\n", "utf-8")
        return p
    if name == "deep.jsonl":  # deeper than Python's recursion limit
        p = tmp_path / name
        p.write_text('{"prompt": "x", "response": ' + "[" * 50_000 + "]" * 50_000 + "}\n")
        return p
    return BAD / name


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("command", sorted(FILE_COMMANDS))
def test_bad_data_file_is_one_line_exit_2_nothing_written(
    tmp_path, capsys, monkeypatch, command, name
):
    monkeypatch.chdir(tmp_path)
    f = _file(tmp_path, name)
    out = tmp_path / "out"
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"strategy: safety-only\nsafety: {{file: {f}}}\n", "utf-8")
    argv = [a.format(f=f, out=out, recipe=recipe) for a in FILE_COMMANDS[command]]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(argv) == 2
    line = _one_error_line(capsys)
    if command == "judge validate" and name == "wrong_types.jsonl":
        assert f"{f}: no column 'label'" in line  # the missing label column is found first
    else:
        assert FILES[name] in line
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(("command", "name", "message"), CONFIGS)
def test_bad_config_is_one_line_exit_2_nothing_written(
    tmp_path, capsys, monkeypatch, command, name, message
):
    monkeypatch.chdir(tmp_path)
    good = tmp_path / "good.jsonl"
    good.write_text(GOOD_ROWS, "utf-8")
    out = tmp_path / "out"
    if command == "train":
        argv = ["train", "--model", "m", "--data", str(good), "--out", str(out)]
        argv += ["--config", str(BAD / name)]
    elif command == "demo":
        argv = ["demo", "--config", str(BAD / name), "--out", str(out)]
    else:
        argv = ["data", "mix", str(BAD / name), "--out", str(out / "mix.jsonl")]
    assert main(argv) == 2
    line = _one_error_line(capsys)
    assert message in line or re.search(message, line), line  # regex: line known or not yet
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.jsonl"]


@pytest.mark.parametrize(("argv", "message"), FLAGS)
def test_bad_flag_is_one_line_exit_2_nothing_written(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    good = tmp_path / "good.jsonl"
    good.write_text(GOOD_ROWS, "utf-8")
    out = tmp_path / "out"
    argv = [a.format(good=good) for a in argv]
    if argv[0] in ("eval", "probe", "train"):
        argv += ["--out", str(out)]
    assert main(argv) == 2
    line = _one_error_line(capsys)
    assert message in line
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} <= {"good.jsonl", "cache"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "--n", "abc"], "safetylab eval: error: argument --n: invalid int value: 'abc'"),
        (
            ["data", "shw", "x"],
            "invalid choice: 'shw' (choose from 'list', 'show', 'fetch', 'mix')"
            "; did you mean 'show'?",
        ),
        (["evl"], "did you mean 'eval'?"),
        (["eval", "--dtype", "fp16"], "did you mean 'bf16'?"),
        (["train", "--model", "m"], "the following arguments are required: --data, --out"),
    ],
)
def test_command_line_syntax_errors_are_one_line(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert "--help)" in err and list(tmp_path.iterdir()) == []
