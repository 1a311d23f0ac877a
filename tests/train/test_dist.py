"""Two training processes (gloo on CPU) started by ``accelerate launch`` with the shipped config:
both end with identical adapters, equal to one process training on the same batches."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from safetylab.records import Example
from tests.conftest import make_tiny_llama

ROOT = Path(__file__).resolve().parents[2]
ACCEL_CPU = ROOT / "configs" / "accelerate" / "cpu-2proc.yaml"

EXAMPLES = [
    Example(f"Give me code word {i}.", f"Code word {i} is heron" + " and more" * (i % 3), "t")
    for i in range(8)
]
SETTINGS = {
    "lora_r": 4,
    "lora_alpha": 8,
    "lora_dropout": 0.0,
    "target_modules": ["q_proj", "v_proj"],
    "lr": 0.005,
    "epochs": 2,
    "batch_size": 4,
    "micro_batch_size": 1,
    "bf16": "off",
    "save_every": 2,
    "val_ratio": 0.25,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def setup_run(tokenizer, tmp_path: Path, settings: dict) -> tuple[Path, Path, Path]:
    """A tiny model folder, the examples as a mixture file and a config file with settings."""
    model_dir = tmp_path / "tiny"
    make_tiny_llama(len(tokenizer), seed=11).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    data = tmp_path / "mix.jsonl"
    data.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in EXAMPLES))
    cfg_file = tmp_path / "cfg.yaml"
    cfg_file.write_text("".join(f"{k}: {v}\n" for k, v in settings.items()))
    return model_dir, data, cfg_file


def test_two_processes_stay_in_sync_and_match_one_process(tokenizer, tmp_path, one_torch_thread):
    from safetensors.torch import load_file

    from safetylab.train import TrainConfig, apply_lora, train

    model_dir, data, cfg_file = setup_run(tokenizer, tmp_path, SETTINGS)
    out = tmp_path / "dist"
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    cmd = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--config_file", str(ACCEL_CPU), "--main_process_port", str(_free_port()),
        "-m", "safetylab.cli.main", "train", "--model", str(model_dir), "--data", str(data),
        "--out", str(out), "--config", str(cfg_file), "--quiet",
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "on 2 processes" in proc.stdout
    stats = json.loads((out / "train_state.json").read_text())["stats"]
    assert stats["processes"] == 2 and stats["steps"] == 4
    a, b = stats["rank_checksums"]
    assert a == b  # both processes hold the same adapter weights
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step-00000002"]
    ckpt_files = {p.name for p in (out / "checkpoints" / "step-00000002").iterdir()}
    assert {"rng-0.safetensors", "rng-1.safetensors", "state.json"} <= ckpt_files

    # One process, same batches (no accumulation split): the same adapter.
    # (one torch thread, as in the launched processes: the one_torch_thread fixture)
    cfg = TrainConfig(**{**SETTINGS, "micro_batch_size": 0, "save_every": 0})
    from transformers import AutoModelForCausalLM

    model = apply_lora(AutoModelForCausalLM.from_pretrained(model_dir), cfg)
    single = train(model, tokenizer, EXAMPLES, cfg, show_progress=False)
    assert single["losses"] == pytest.approx(stats["losses"], abs=1e-4)
    assert stats["val_examples"] == 2 and single["val_loss"] == pytest.approx(
        stats["val_loss"], abs=1e-4
    )
    dist = load_file(str(out / "adapter_model.safetensors"))
    mine = {
        n.replace(".default", ""): p.detach()
        for n, p in model.named_parameters()
        if p.requires_grad
    }
    assert len(dist) == len(mine) == 4 * 2 * 2  # layers x (q, v) x (A, B)
    for name, w in dist.items():
        torch.testing.assert_close(w, mine[name], rtol=0, atol=1e-5)
