"""Never lose a user's files, never run twice, never show a traceback (issue 13).

python -m pytest tests/test_reliability.py -q

Ownership and locks of run directories, validation before writing, output files that exist or
are folders, corrupt caches, internal errors, bounded network waits and masked credentials.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from safetylab.cli.main import main
from safetylab.errors import SafetylabError
from safetylab.store import (
    LOCK,
    MARKER,
    GenerationCache,
    RunDir,
    check_out_file,
    read_json_cache,
    try_lock,
)
from tests._stub_openai import FakeOpenAIServer, Reply, completion, openai_eval_args, user_text

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _eval(out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--backend",
        "mock",
        "--n",
        "2",
        "--judges",
        "strmatch",
        "--out",
        str(out),
        *extra,
    ]


# ------------------------------------------------------------------------------ ownership
def test_a_users_folder_is_never_written(tmp_path, cache, capsys):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "report.md").write_text("my notes\n")
    (user / "generations.jsonl").write_text('{"id": "x"}\n')
    before = _snapshot(user)
    assert main(_eval(user)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--out {user}: not empty and not a safetylab run" in err[0]
    assert _snapshot(user) == before  # nothing written, nothing deleted
    assert main(_eval(tmp_path / "new")) == 0  # an empty or new folder is fine
    assert json.loads((tmp_path / "new" / MARKER).read_text())["command"] == "eval"


def test_a_run_of_another_command_is_refused_even_with_force(tmp_path):
    RunDir(tmp_path / "r", {"a": 1}, command="probe").close()
    for force in (False, True):
        with pytest.raises(SafetylabError, match="made by `safetylab probe`, not `safetylab eval`"):
            RunDir(tmp_path / "r", {"a": 1}, command="eval", force=force)


def test_an_older_run_without_marker_is_adopted_only_for_its_own_config(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "config.resolved.yaml").write_text("a: 1\n")
    (old / "generations.jsonl").write_text("")
    with pytest.raises(SafetylabError, match="a run made by an older safetylab or by other"):
        RunDir(old, {"a": 2}, command="eval", force=True)
    assert not (old / MARKER).exists()
    RunDir(old, {"a": 1}, command="eval").close()
    assert json.loads((old / MARKER).read_text())["command"] == "eval"


def test_an_output_path_that_is_a_file_or_under_a_file(tmp_path):
    f = tmp_path / "f.txt"
    f.write_text("x")
    with pytest.raises(SafetylabError, match="is a file, not a folder"):
        RunDir(f, {}, command="eval")
    with pytest.raises(SafetylabError, match="is a file, not a folder"):
        check_out_file(f / "out.jsonl")
    with pytest.raises(SafetylabError, match="is a folder"):
        check_out_file(tmp_path)
    with pytest.raises(SafetylabError, match="exists; choose another name or pass --force"):
        check_out_file(f)
    assert check_out_file(f, force=True) == f


# ------------------------------------------------------------------ validate before writing
@pytest.mark.parametrize(
    "bad",
    [["--attacks", "typo"], ["--backend", "mocck"], ["--suites", "harmm"], ["--judges", "nope"]],
)
def test_a_typo_writes_nothing_and_the_corrected_command_runs(tmp_path, cache, capsys, bad):
    out = tmp_path / "run"
    args = _eval(out)
    i = args.index("--backend")
    args = (
        args[:i] + args[i + 2 :] + (bad if bad[0] == "--backend" else ["--backend", "mock", *bad])
    )
    assert main(args) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not out.exists()
    assert main(_eval(out)) == 0
    assert (out / "metrics.json").is_file()


# ----------------------------------------------------------------------------- output files
def test_data_mix_refuses_an_existing_file_and_a_folder(tmp_path, capsys):
    out = tmp_path / "m.jsonl"
    out.write_text("mine\n")
    assert main(["data", "mix", "mix-context-aware", "--out", str(out)]) == 2
    assert out.read_text() == "mine\n"
    assert "exists; choose another name or pass --force" in capsys.readouterr().err
    folder = tmp_path / "folder"
    folder.mkdir()
    assert main(["data", "mix", "mix-context-aware", "--out", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a folder" in err[0]
    assert list(folder.iterdir()) == [] and not list(tmp_path.glob("*.tmp"))


def test_judge_run_out_onto_a_folder_or_an_existing_file(tmp_path, capsys):
    inp = tmp_path / "a.jsonl"
    inp.write_text(json.dumps({"prompt": "Hi?", "response": "I'm sorry, I can't."}) + "\n")
    base = ["judge", "run", "--judge", "strmatch", "--input", str(inp), "--out"]
    assert main([*base, str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a folder" in err[0]
    out = tmp_path / "j.jsonl"
    assert main([*base, str(out)]) == 0
    first = out.read_bytes()
    assert main([*base, str(out)]) == 2 and out.read_bytes() == first
    assert main([*base, str(out), "--force"]) == 0 and out.read_bytes() == first
    assert main([*base, str(out), "--force", "--timeout", "5"]) == 2
    assert "are for judges that call an endpoint (llm)" in capsys.readouterr().err


# -------------------------------------------------------------------------------- locks
HOLDER = textwrap.dedent(
    """
    import sys, time
    from safetylab.store import RunDir
    run = RunDir(sys.argv[1], {"a": 1}, command="eval")
    print("held", flush=True)
    time.sleep(60)
    """
)


def _holder(path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    p = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    return p


def test_a_second_writer_is_refused_naming_the_pid_and_a_killed_ones_lock_is_taken_over(
    tmp_path, caplog
):
    run = tmp_path / "run"
    p = _holder(run)
    try:
        with pytest.raises(SafetylabError, match=rf"is in use by PID {p.pid} \(safetylab eval"):
            RunDir(run, {"a": 1}, command="eval")
        assert json.loads((run / LOCK).read_text())["pid"] == p.pid
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
    with caplog.at_level(logging.WARNING, logger="safetylab.store"):
        r = RunDir(run, {"a": 1}, command="eval")
    assert f"taking over a stale lock of PID {p.pid}" in caplog.text
    assert json.loads((run / LOCK).read_text())["pid"] == os.getpid()
    r.close()
    assert (run / LOCK).read_text() == ""  # a clean release names nobody


def test_two_evals_into_one_folder_at_once_the_second_exits_2(tmp_path, cache):
    out = tmp_path / "run"
    p = _holder(out)  # holds the run's lock like a running eval
    try:
        code = subprocess.run(
            [sys.executable, "-m", "safetylab.cli.main", *_eval(out)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO / "src")},
            timeout=300,
        )
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
    assert code.returncode == 2
    assert code.stderr.strip().splitlines()[-1].startswith("safetylab: error: ")
    assert f"in use by PID {p.pid}" in code.stderr
    assert not (out / "generations.jsonl").exists()


def test_try_lock_for_workers_sharing_a_directory(tmp_path):
    a = try_lock(tmp_path / "cell-1.lock", "worker a")
    assert a is not None
    assert try_lock(tmp_path / "cell-1.lock", "worker b") is None  # held: take other work
    b = try_lock(tmp_path / "cell-2.lock", "worker b")
    assert b is not None
    a.release()
    again = try_lock(tmp_path / "cell-1.lock", "worker b")
    assert again is not None and again.holder()["what"] == "worker b"  # type: ignore[index]
    again.release()
    b.release()


# ------------------------------------------------------------------------- corrupt caches
def test_a_garbage_generation_cache_is_moved_aside_and_rebuilt(tmp_path, caplog):
    db = tmp_path / "generations.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="safetylab.store"):
        c = GenerationCache(db)
    c.put_many([("k", "answer", 3)])
    assert c.get_many(["k"]) == {"k": ("answer", 3)}
    c.close()
    aside = list(tmp_path.glob("generations.sqlite.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"this is not a database" * 100
    assert caplog.text.count("moved it aside") == 1 and str(db) in caplog.text


def test_a_truncated_generation_cache_is_moved_aside_and_rebuilt(tmp_path, caplog):
    db = tmp_path / "generations.sqlite"
    c = GenerationCache(db)
    c.put_many([(f"k{i}", "x" * 500, i) for i in range(400)])
    c.close()
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])
    with caplog.at_level(logging.WARNING, logger="safetylab.store"):
        c = GenerationCache(db)
        got = c.get_many([f"k{i}" for i in range(400)])
    assert got == {}  # the broken cache is gone: everything is generated again
    c.put_many([("k1", "y", 1)])
    assert c.get_many(["k1"]) == {"k1": ("y", 1)}
    c.close()
    assert len(list(tmp_path.glob("generations.sqlite.corrupt-*"))) == 1
    assert "moved it aside" in caplog.text


def test_a_corrupt_json_cache_is_moved_aside(tmp_path, caplog):
    f = tmp_path / "fp.json"
    f.write_text('{"stamp": [1, 2')
    with caplog.at_level(logging.WARNING, logger="safetylab.store"):
        assert read_json_cache(f) is None
    assert not f.exists() and len(list(tmp_path.glob("fp.json.corrupt-*"))) == 1
    assert "corrupt JSON" in caplog.text
    assert read_json_cache(f) is None  # absent: None, nothing logged


def test_eval_recovers_from_a_corrupt_generation_cache(tmp_path, cache, capsys):
    cache.mkdir(parents=True)
    (cache / "generations.sqlite").write_bytes(b"\x00garbage" * 64)
    assert main(_eval(tmp_path / "run")) == 0
    assert len(list(cache.glob("generations.sqlite.corrupt-*"))) == 1


# -------------------------------------------------------------------------- internal errors
def test_an_internal_error_prints_one_line_and_the_traceback_file(tmp_path, cache, capsys):
    import safetylab.cli._ls as ls

    def boom(args: Any) -> int:
        raise RuntimeError("unexpected\nstate")

    orig = ls.run
    ls.run = boom
    try:
        assert main(["ls", "judges"]) == 1
    finally:
        ls.run = orig
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("safetylab: internal error: RuntimeError: unexpected state")
    log = Path(err[0].split("traceback: ")[1].split(";")[0])
    assert log.parent == cache / "logs"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "in boom" in text


# ------------------------------------------------------------------------------- network
def _remote(url: str, out: Path, *extra: str) -> list[str]:
    judged = ("--judges", "strmatch", "--no-drift")
    return openai_eval_args(url, out, *judged, *extra, model="m", suites="helpful", n=2)


def test_credentials_in_the_base_url_are_sent_but_never_shown_or_saved(tmp_path, cache, capsys):
    seen: list[dict[str, Any]] = []

    def reply(body: dict[str, Any], n: int) -> Reply:
        return 200, completion(f"Sure: {user_text(body)}", 5), {}

    out = tmp_path / "run"
    with FakeOpenAIServer(reply) as srv:
        url = srv.url.replace("http://", "http://alice:s3cr3t-KEY@")
        assert main(_remote(url, out)) == 0
        seen = srv.requests
    assert seen and all(r["auth"] == "Basic YWxpY2U6czNjcjN0LUtFWQ==" for r in seen)
    printed = capsys.readouterr()
    for name, blob in [
        ("stdout", printed.out),
        ("stderr", printed.err),
        *((str(p), p.read_text(encoding="utf-8")) for p in out.rglob("*") if p.is_file()),
    ]:
        assert "s3cr3t" not in blob, name
    assert "http://***@127.0.0.1" in (out / "config.resolved.yaml").read_text()
    rows = [json.loads(x) for x in (out / "generations.jsonl").read_text().splitlines()]
    assert all("***@" in r["fingerprint"] and "s3cr3t" not in r["fingerprint"] for r in rows)
    con = sqlite3.connect(cache / "generations.sqlite")
    assert con.execute("SELECT count(*) FROM gen").fetchone()[0] == len(rows)
    con.close()
    assert main(_remote(url, out)) == 0  # resumes: same masked config


def test_a_hung_server_fails_within_the_bounds_and_says_it_is_retrying(
    tmp_path, cache, capsys, caplog
):
    srv = FakeOpenAIServer()

    def hang(body: dict[str, Any], n: int) -> Reply:
        srv.release.wait(30)  # never answers in time; released when the server stops
        return 200, completion("late"), {}

    srv.reply = hang
    out = tmp_path / "run"
    with srv:
        code = main(
            _remote(
                srv.url,
                out,
                "--timeout",
                "0.3",
                "--retries",
                "2",
                "--max-wait",
                "60",
                "--concurrency",
                "1",
            )
        )
        n_requests = len(srv.requests)
    err = capsys.readouterr().err
    assert code == 2
    assert "retry 1/2" in caplog.text and "retry 2/2" in caplog.text  # progress while retrying
    assert "failed after 3 tries: timed out after 0.3s" in err.strip().splitlines()[-1]
    assert n_requests == 3  # the first prompt, tried 3 times; no new request after it failed


def test_max_wait_cuts_the_retries_short(tmp_path, cache, capsys):
    def busy(body: dict[str, Any], n: int) -> Reply:
        return 503, {"error": "busy"}, {"Retry-After": "5"}

    with FakeOpenAIServer(busy) as srv:
        code = main(
            _remote(
                srv.url,
                tmp_path / "run",
                "--retries",
                "50",
                "--max-wait",
                "1",
                "--concurrency",
                "1",
            )
        )
        n_requests = len(srv.requests)
    assert code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "failed after 1 try: HTTP 503; gave up at --max-wait 1s" in last
    assert n_requests == 1  # the next pause (Retry-After 5 s) would pass the 1 s bound


@pytest.mark.parametrize(
    "flag", [["--timeout", "0"], ["--timeout", "nan"], ["--retries", "-1"], ["--max-wait", "inf"]]
)
def test_network_flags_are_checked_before_anything_is_written(tmp_path, cache, capsys, flag):
    out = tmp_path / "run"
    assert main(_remote("http://127.0.0.1:9/v1", out, *flag)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"safetylab: error: {flag[0]}: must be")
    assert not out.exists()


def test_a_corrupt_fingerprint_sidecar_is_moved_aside_and_recomputed(tmp_path, cache, caplog):
    import torch
    from safetensors.torch import save_file

    from safetylab.models import _weights_hash

    model = tmp_path / "model"
    model.mkdir()
    save_file({"w": torch.arange(6.0)}, str(model / "model.safetensors"))
    digest = _weights_hash(model)
    (side,) = (cache / "fingerprints").glob("*.json")
    side.write_text('{"stamp": [["model.safetensors", 1')
    with caplog.at_level(logging.WARNING, logger="safetylab.store"):
        assert _weights_hash(model) == digest
    assert "corrupt JSON" in caplog.text
    assert len(list(side.parent.glob("*.corrupt-*"))) == 1
    assert json.loads(side.read_text())["sha256"] == digest


def test_judge_train_out_never_overwrites_a_users_folder(tmp_path, capsys):
    labels = tmp_path / "l.jsonl"
    rows = [("I'm sorry, I can't help.", "full_refusal"), ("Sure, here it is.", "full_compliance")]
    labels.write_text(
        "".join(json.dumps({"prompt": "q", "response": r, "label": y}) + "\n" for r, y in rows * 4)
    )
    user = tmp_path / "mine"
    user.mkdir()
    (user / "head.npz").write_bytes(b"mine")
    assert main(["judge", "train", "--labels", str(labels), "--out", str(user)]) == 2
    assert "not empty and not a safetylab run" in capsys.readouterr().err
    assert [p.name for p in user.iterdir()] == ["head.npz"]


def test_a_run_killed_as_it_began_is_still_taken(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK).write_text("")
    (out / (MARKER + ".tmp")).write_text('{"tool": "safet')  # killed mid-write
    RunDir(out, {"a": 1}, command="eval").close()
    assert json.loads((out / MARKER).read_text())["command"] == "eval"
