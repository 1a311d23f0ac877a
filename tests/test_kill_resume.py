"""Kill at any point, re-run, and get the same bytes as a run that was never killed (issue 13).

python -m pytest tests/test_kill_resume.py -q

``kill_and_resume`` is the reusable helper: it runs a command in a subprocess, sends SIGKILL
after a seeded random delay (several seeds), re-runs the command until it exits 0, and returns
the run's files so a test can compare them with an uninterrupted run's, byte for byte.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import torch

from safetylab.cli.main import main
from safetylab.records import Example
from tests.conftest import make_tiny_llama

REPO = Path(__file__).resolve().parents[1]


def run_cli(argv: Sequence[str], env: dict[str, str], timeout: float = 600) -> int:
    """``safetylab ARGV`` in a fresh Python process; its exit code."""
    p = subprocess.run(
        [sys.executable, "-m", "safetylab.cli.main", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if p.returncode not in (0,):
        sys.stderr.write(p.stderr[-2000:])
    return p.returncode


def kill_and_resume(
    argv: Sequence[str],
    env: dict[str, str],
    seed: int,
    *,
    max_delay: float,
    ready: Callable[[], bool] = lambda: True,
    timeout: float = 600,
) -> int:
    """Start ``safetylab ARGV``, SIGKILL it at a random moment (seeded: up to ``max_delay``
    seconds after ``ready()`` first holds, e.g. once the run directory exists), then re-run
    the same command to the end. Returns how many times it was killed (0 when it finished
    before the kill)."""
    rng = random.Random(seed)
    delay = rng.uniform(0.0, max_delay)
    p = subprocess.Popen(
        [sys.executable, "-m", "safetylab.cli.main", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed = 0
    try:
        deadline = time.monotonic() + timeout
        while not ready() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        end = time.monotonic() + delay
        while p.poll() is None and time.monotonic() < end:
            time.sleep(0.005)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed = 1
    finally:
        p.wait(timeout=60)
    assert run_cli(argv, env, timeout) == 0
    return killed


def files_of(folder: Path, skip: Sequence[str] = ()) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), leaving out names in ``skip``."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in skip
    }


def child_env(cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "SAFETYLAB_CACHE": str(cache),
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }


# ---------------------------------------------------------------------------------- eval
#: files that legitimately differ between two runs: timestamps, the lock's holder, and the
#: viewer page (a fresh CSP nonce per write)
VOLATILE = ("manifest.json", ".safetylab-run.lock", "view.html")


def test_a_killed_eval_resumes_to_the_same_bytes(tmp_path):
    argv = ["eval", "--backend", "mock", "--suites", "harm,overrefusal,helpful", "--n", "12"]
    argv += ["--attacks", "fiction", "--judges", "strmatch-plus,strmatch"]
    ref = tmp_path / "ref"
    assert run_cli([*argv, "--out", str(ref)], child_env(tmp_path / "c0")) == 0
    want = files_of(ref, VOLATILE)
    kills = 0
    for seed in range(3):
        out = tmp_path / f"run{seed}"
        # a fresh cache each time, so the rerun really generates what the killed run missed
        env = child_env(tmp_path / f"c{seed + 1}")
        kills += kill_and_resume(
            [*argv, "--out", str(out)],
            env,
            seed,
            max_delay=0.5,
            ready=lambda out=out: (out / "config.resolved.yaml").exists(),
        )
        assert files_of(out, VOLATILE) == want, f"seed {seed}"
    assert kills >= 1  # at least one run was really interrupted


# --------------------------------------------------------------------------------- train
def _examples(n: int, tag: str) -> list[Example]:
    return [
        Example(
            prompt=f"{tag} question {i}: " + "why " * (i % 5),
            response=f"Answer {i} " + "because " * (1 + i % 7),
            source="test",
        )
        for i in range(n)
    ]


@pytest.fixture
def tiny_folder(tokenizer, tmp_path):
    path = tmp_path / "tiny"
    make_tiny_llama(len(tokenizer), seed=11).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


TRAIN_SET = [
    "--config",
    "cpu-lora",
    "--set",
    "lora_layers=2",
    "--set",
    "epochs=3",
    "--set",
    "batch_size=2",
    "--set",
    "save_every=1",
    "--set",
    "val_ratio=0",
    "--set",
    "bf16=off",
    "--device",
    "cpu",
    "--quiet",
]


def test_a_killed_train_resumes_to_the_same_adapter(tiny_folder, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in _examples(8, "k")))
    base = ["train", "--model", str(tiny_folder), "--data", str(data)]
    ref = tmp_path / "ref"
    assert run_cli([*base, "--out", str(ref), *TRAIN_SET], child_env(tmp_path / "c")) == 0
    want = (ref / "adapter_model.safetensors").read_bytes()
    kills = 0
    for seed in range(3):
        out = tmp_path / f"run{seed}"
        argv = [*base, "--out", str(out), *TRAIN_SET, "--resume"]
        kills += kill_and_resume(
            argv,
            child_env(tmp_path / "c"),
            seed,
            max_delay=1.5,
            ready=lambda out=out: (out / "config.yaml").exists(),
        )
        assert (out / "adapter_model.safetensors").read_bytes() == want, f"seed {seed}"
        state = json.loads((out / "train_state.json").read_text())
        assert state["stats"]["steps"] == 12
    assert kills >= 1


# ------------------------------------------------------- frozen-prefix cache across a sweep
def test_training_b_after_a_gives_the_bits_of_b_alone(tokenizer):
    """The frozen-layer cache shared across a sweep must not make a model depend on what
    trained before it in the process (issue 13: a resumed demo differed from an uninterrupted
    one)."""
    from safetylab.train import PrefixCache, TrainConfig, apply_lora, train

    cfg = TrainConfig(
        lora_r=4,
        lora_alpha=8,
        lora_dropout=0.0,
        lr=5e-3,
        batch_size=3,
        bf16="off",
        lora_layers=2,
        epochs=1,
        val_ratio=0.0,
    )
    shared = _examples(6, "s")
    a = _examples(9, "a") + shared
    b = shared + _examples(4, "b")

    def adapter(examples: list[Example], cache: PrefixCache) -> dict[str, torch.Tensor]:
        model = apply_lora(make_tiny_llama(len(tokenizer), seed=5), cfg)
        train(model, tokenizer, examples, cfg, show_progress=False, prefix_cache=cache)
        return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}

    sweep = PrefixCache()
    adapter(a, sweep)
    b_after_a = adapter(b, sweep)
    b_alone = adapter(b, PrefixCache())
    assert b_after_a.keys() == b_alone.keys()
    for name in b_alone:
        assert torch.equal(b_after_a[name], b_alone[name]), name


@pytest.mark.parametrize("bf16", [False, True], ids=["fp32", "bf16"])
def test_an_examples_frozen_states_do_not_depend_on_the_others(tokenizer, bf16):
    from safetylab.train import PrefixCache, encode_examples

    model = make_tiny_llama(len(tokenizer), seed=3)
    data = encode_examples(tokenizer, _examples(20, "p"), 256)
    together, alone = PrefixCache(), PrefixCache()
    together.fill(model, data, 2, bf16, 0, show_progress=False)
    for row in (data[7], data[0]):  # one at a time, in another order
        alone.fill(model, [row], 2, bf16, 0, show_progress=False)
        x = tuple(row[0])
        assert alone.states[x].shape == (len(x), 32)
        assert torch.equal(alone.states[x], together.states[x])


def test_train_out_never_deletes_or_overwrites_a_users_files(tiny_folder, tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in _examples(4, "u")))

    def args(out: Path, *extra: str) -> list[str]:
        return ["train", "--model", str(tiny_folder), "--data", str(data), "--out", str(out),
                "--config", "cpu-lora", "--set", "max_steps=1", "--device", "cpu", "--quiet",
                *extra]  # fmt: skip

    out = tmp_path / "x"
    (out / "checkpoints").mkdir(parents=True)
    (out / "checkpoints" / "mine.bin").write_bytes(b"keep")
    (out / "README.md").write_text("my readme\n")
    assert main(args(out)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not empty and not a safetylab run" in err[0]
    assert (out / "checkpoints" / "mine.bin").read_bytes() == b"keep"
    assert (out / "README.md").read_text() == "my readme\n"
    assert sorted(p.name for p in out.rglob("*")) == ["README.md", "checkpoints", "mine.bin"]

    # inside its own run, a fresh start clears only its own checkpoint folders
    from safetylab.train._checkpoint import clear_checkpoints, latest_checkpoint

    own = tmp_path / "own"
    assert main(args(own)) == 0
    assert json.loads((own / ".safetylab-run.json").read_text())["command"] == "train"
    (own / "checkpoints" / "step-00000001").mkdir(parents=True)
    (own / "checkpoints" / "step-00000001" / "state.json").write_text("{}")
    (own / "checkpoints" / "notes.txt").write_text("mine")
    (own / "checkpoints" / "step-abc").mkdir()
    assert latest_checkpoint(own) is not None
    clear_checkpoints(own)
    assert sorted(p.name for p in (own / "checkpoints").iterdir()) == ["notes.txt", "step-abc"]
    assert main(args(own)) == 2
    assert "already holds a trained model" in capsys.readouterr().err
    ev = tmp_path / "ev"
    assert main(["eval", "--backend", "mock", "--n", "1", "--judges", "strmatch",
                 "--out", str(ev)]) == 0  # fmt: skip
    assert main(args(ev)) == 2
    assert "made by `safetylab eval`, not `safetylab train`" in capsys.readouterr().err
