"""The command line: verbs, plugin listing, and one-line errors with exit code 2."""

import subprocess
import sys

import pytest

from safetylab.cli.main import main


def test_help_lists_the_verbs(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "ls" in out


def test_ls_lists_plugins(capsys):
    assert main(["ls", "judges"]) == 0
    out = capsys.readouterr().out
    assert "strmatch " in out and "strmatch-plus" in out


def _bad_config(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "eval: {judges: [strmatchplus]}\n",
            "c.yaml:1:17: eval.judges.strmatchplus: unknown judge 'strmatchplus'; did you mean "
            "'strmatch-plus'?",
        ),
        ("sizs: [0, 5]\n", "c.yaml:1:1: sizs: unknown option 'sizs'; did you mean 'sizes'?"),
        ("sizes: [0, -5]\n", "c.yaml:1:12: sizes.1: expected an integer >= 0, got -5"),
        ("sizes: [0, 5\nseeds: [1]\n", "c.yaml:2:6: not valid YAML"),
        ("train: {lr: 0.1, epoch: 2}\n", "unknown option 'epoch'; did you mean 'epochs'?"),
    ],
)
def test_bad_config_is_one_line_and_exit_2(tmp_path, capsys, text, message):
    code = main(
        ["demo", "--config", str(_bad_config(tmp_path, text)), "--out", str(tmp_path / "r")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_missing_model_folder_is_exit_2(tmp_path, capsys):
    code = main(
        ["demo", "--quick", "--model", str(tmp_path / "nope.gguf"), "--out", str(tmp_path / "r")]
    )
    assert code == 2
    assert "--model" in capsys.readouterr().err


def test_console_script_runs():
    out = subprocess.run(
        [sys.executable, "-m", "safetylab.cli.main", "ls", "suites"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "harm" in out.stdout
