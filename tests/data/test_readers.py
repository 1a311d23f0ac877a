"""The one user-file reader (``data._userfile``): every command that takes a user's file reads
it the same way (formats, column flags, BOM, non-UTF-8 bytes, ``file:line: reason`` errors)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safetylab.cli.main import main
from safetylab.data import load_user_file
from safetylab.errors import SafetylabError
from safetylab.records import Example
from safetylab.train import load_examples
from tests.conftest import make_tiny_llama


def _write_csv(path: Path, header: list[str], rows: list[tuple[str, ...]], bom: bool = False):
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode())
    return path


# ------------------------------------------------------------------ formats and encodings


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
def test_bom_is_accepted_by_data_reader_and_training_reader(tmp_path, suffix):
    p = tmp_path / f"bom{suffix}"
    rows = [{"instruction": "Say hi.", "output": "Hi."}, {"instruction": "Add 1+1.", "output": "2"}]
    if suffix == ".jsonl":
        p.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\n" for r in rows).encode())
    elif suffix == ".json":
        p.write_bytes(b"\xef\xbb\xbf" + json.dumps(rows).encode())
    else:
        _write_csv(p, ["instruction", "output"], [tuple(r.values()) for r in rows], bom=True)
    got = [(e.prompt, e.response) for e in load_examples(p)]
    assert got == [("Say hi.", "Hi."), ("Add 1+1.", "2")]
    assert [(e.prompt, e.response) for e in load_user_file(p).records] == got


@pytest.mark.parametrize(
    ("name", "data", "line"),
    [
        (
            "l1.jsonl",
            b'{"prompt": "a", "response": "b"}\n{"prompt": "caf\xe9", "response": "b"}\n',
            2,
        ),
        ("l1.csv", b"prompt,response\np1,r1\np2,Caf\xe9 au lait\np3,r3\n", 3),
        (
            "l1.json",
            b'[{"prompt": "a", "response": "b"},\n {"prompt": "\xff", "response": "b"}]',
            2,
        ),
    ],
)
def test_non_utf8_row_is_one_line_error_or_skipped_and_counted(tmp_path, name, data, line):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(SafetylabError, match=rf"^{p}:{line}: not valid UTF-8 \(byte 0x(e9|ff)\)"):
        load_examples(p)
    got = load_user_file(p, skip_bad_rows=True, kind="train")
    assert (got.n_bad, len(got.records)) == (1, got.n_rows - 1)
    assert got.bad[0].startswith(f"{p}:{line}: not valid UTF-8")


def test_non_utf8_header_is_a_one_line_error(tmp_path):
    p = tmp_path / "h.csv"
    p.write_bytes(b"pr\xe9mpt,response\na,b\n")
    with pytest.raises(SafetylabError, match=rf"^{p}:1: header row not valid UTF-8"):
        load_user_file(p, skip_bad_rows=True)


def test_mixture_rows_read_back_as_written(tmp_path):
    exs = [
        Example("p1", "r1", "bundled/x", "cat", "general", "safe", True),
        Example("p2", "r2", "bundled/y", "weapons", "safety", "unsafe", False),
    ]
    p = tmp_path / "mix.jsonl"
    p.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in exs))
    assert load_examples(p) == exs


def test_training_reader_takes_the_column_flags(tmp_path):
    p = _write_csv(tmp_path / "qa.csv", ["q", "a", "kind"], [("Q1?", "A1.", "math")])
    with pytest.raises(SafetylabError, match="cannot find the request column"):
        load_examples(p)
    from safetylab.data import Columns

    (ex,) = load_examples(p, Columns(instruction="q", output="a", category="kind"))
    assert (ex.prompt, ex.response, ex.category, ex.source) == ("Q1?", "A1.", "math", "file:qa.csv")


# ------------------------------------------------------------------ train --data x.csv


def test_train_takes_a_csv_with_column_flags(tokenizer, tmp_path):
    model_dir = tmp_path / "tiny"
    make_tiny_llama(len(tokenizer), seed=3, layers=2).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    data = _write_csv(
        tmp_path / "x.csv",
        ["question", "answer"],
        [(f"Name colour {i}.", f"Colour {i} is teal.") for i in range(4)],
        bom=True,
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "lora_r: 2\nlora_alpha: 4\ntarget_modules: [q_proj]\nbatch_size: 2\nmax_steps: 1\n"
        "val_ratio: 0\nsave_every: 0\nbf16: off\nlr: 3e-4\n"
    )
    out = tmp_path / "run"
    argv = ["train", "--model", str(model_dir), "--data", str(data), "--out", str(out)]
    argv += ["--config", str(cfg), "--device", "cpu", "--quiet"]
    argv += ["--instruction-col", "question", "--output-col", "answer"]
    assert main(argv) == 0
    state = json.loads((out / "train_state.json").read_text())
    assert state["stats"]["steps"] == 1
    assert (out / "adapter_model.safetensors").is_file()


# ------------------------------------------------------------------ properties

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() != "")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_text, _text), min_size=1, max_size=6),
    fmt=st.sampled_from(["jsonl", "csv", "json"]),
)
def test_rows_written_then_read_are_the_same_rows(tmp_path, rows, fmt):
    p = tmp_path / f"rt.{fmt}"
    dicts = [{"instruction": a, "output": b} for a, b in rows]
    if fmt == "jsonl":
        p.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dicts), "utf-8")
    elif fmt == "json":
        p.write_text(json.dumps(dicts, ensure_ascii=False), "utf-8")
    else:
        _write_csv(p, ["instruction", "output"], rows)
    got = load_user_file(p, kind="train")
    assert [(e.prompt, e.response) for e in got.records] == rows


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=200),
    fmt=st.sampled_from(["jsonl", "csv", "json", "tsv"]),
    skip=st.booleans(),
)
def test_random_bytes_give_rows_or_a_safetylab_error(tmp_path, data, fmt, skip):
    p = tmp_path / f"r.{fmt}"
    p.write_bytes(data)
    try:
        got = load_user_file(p, skip_bad_rows=skip)
    except SafetylabError as e:
        assert "\n" not in str(e) and str(p) in str(e)
    else:
        assert got.records and got.n_rows >= len(got.records)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=200), fmt=st.sampled_from(["jsonl", "csv", "json"]), skip=st.booleans()
)
def test_random_bytes_give_a_judge_table_or_a_safetylab_error(tmp_path, data, fmt, skip):
    from safetylab.judges import read_table

    p = tmp_path / f"j.{fmt}"
    p.write_bytes(data)
    try:
        t = read_table(p, skip_bad_rows=skip)
    except SafetylabError as e:
        assert "\n" not in str(e) and str(p) in str(e)
    else:
        assert len(t.where) == len(t.rows)
        for c in t.columns:
            try:
                t.column(c)
            except SafetylabError as e:
                assert str(e).startswith(f"{p}:")


def test_an_unreadable_file_is_one_line(tmp_path, monkeypatch):
    p = tmp_path / "locked.jsonl"
    p.write_text('{"prompt": "a", "response": "b"}\n')

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(SafetylabError, match=rf"^{p}: cannot read \(Permission denied\)$"):
        load_user_file(p)
