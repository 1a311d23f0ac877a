"""FSDP2 on two CPU processes (gloo), started by ``accelerate launch`` with the shipped config:
weights really are sharded, the processes agree on the gathered weights, the run matches one
process on the same batches, and its checkpoints and adapter hold whole tensors that load back
(also across process counts). Plus the set-up checks (FSDP version, DeepSpeed) without
launching anything."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from safetylab.errors import SafetylabError
from tests.train.test_dist import EXAMPLES, SETTINGS, _free_port, setup_run

ROOT = Path(__file__).resolve().parents[2]
ACCEL_FSDP = ROOT / "configs" / "accelerate" / "cpu-fsdp-2proc.yaml"
N_LORA = 4 * (3 * 4 * 32 + 16 * 4)  # layers x (q: A 4x32 + B 32x4, v: A 4x32 + B 16x4)


_setup = setup_run


def _launch(model_dir: Path, data: Path, cfg_file: Path, out: Path, *extra: str):
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    cmd = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--config_file", str(ACCEL_FSDP), "--main_process_port", str(_free_port()),
        "-m", "safetylab.cli.main", "train", "--model", str(model_dir), "--data", str(data),
        "--out", str(out), "--config", str(cfg_file), "--quiet", *extra,
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "on 2 processes" in proc.stdout
    return json.loads((out / "train_state.json").read_text())["stats"]


def _sha(weights: dict[str, torch.Tensor]) -> str:
    """The checksum ``rank_checksums`` takes of each process's gathered weights."""
    h = hashlib.sha256()
    for name in sorted(weights):
        h.update(name.encode())
        h.update(weights[name].detach().float().contiguous().numpy().tobytes())
    return h.hexdigest()


def test_fsdp_lora_two_processes_shard_agree_and_save_whole_weights(
    tokenizer, tmp_path, one_torch_thread
):
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from safetylab.train import TrainConfig, apply_lora, train

    model_dir, data, cfg_file = _setup(tokenizer, tmp_path, SETTINGS)
    out = tmp_path / "fsdp"
    stats = _launch(model_dir, data, cfg_file, out)
    assert stats["parallelism"] == "FSDP" and stats["processes"] == 2 and stats["steps"] == 4
    # each process holds its own half of the LoRA weights, not a whole copy (DDP would: N, N)
    assert stats["trainable_numel_per_process"] == [N_LORA // 2, N_LORA // 2]
    a, b = stats["rank_checksums"]
    assert a == b  # both processes gather the same whole weights

    # The adapter holds whole tensors; loaded back it is exactly what each process gathered.
    saved = load_file(str(out / "adapter_model.safetensors"))
    assert len(saved) == 16 and sum(t.numel() for t in saved.values()) == N_LORA
    loaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(model_dir), out)
    lora = {n: p for n, p in loaded.named_parameters() if "lora_" in n}
    assert len(lora) == 16 and _sha(lora) == a

    # One process, same batches: the same losses and adapter.
    # (one torch thread, as in the launched processes: the one_torch_thread fixture)
    cfg = TrainConfig(**{**SETTINGS, "micro_batch_size": 0, "save_every": 0})
    model = apply_lora(AutoModelForCausalLM.from_pretrained(model_dir), cfg)
    single = train(model, tokenizer, EXAMPLES, cfg, show_progress=False)
    assert single["losses"] == pytest.approx(stats["losses"], abs=1e-4)
    assert single["val_loss"] == pytest.approx(stats["val_loss"], abs=1e-4)
    mine = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
    assert set(lora) == set(mine)
    for name, w in lora.items():
        torch.testing.assert_close(w.detach(), mine[name], rtol=0, atol=1e-5)
    base = AutoModelForCausalLM.from_pretrained(model_dir).state_dict()
    merged = loaded.merge_and_unload().state_dict()
    changed = {k for k in base if not torch.equal(base[k], merged[k])}
    assert changed and all(".q_proj." in k or ".v_proj." in k for k in changed)

    # The FSDP checkpoint (whole tensors, written by process 0) resumes in one process and
    # ends where the two processes ended.
    ckpt = out / "checkpoints" / "step-00000002"
    files = sorted(p.name for p in ckpt.iterdir())
    assert files == [
        "optimizer.json", "optimizer.safetensors", "rng-0.json", "rng-0.safetensors",
        "rng-1.json", "rng-1.safetensors", "state.json", "trainable.safetensors",
    ]  # fmt: skip
    shapes = {k: tuple(v.shape) for k, v in load_file(str(ckpt / "trainable.safetensors")).items()}
    assert shapes == {k: tuple(v.shape) for k, v in mine.items()}
    again = tmp_path / "again"
    shutil.copytree(out, again)
    (again / "train_state.json").unlink()
    cfg = TrainConfig(**SETTINGS)  # the run's own config (micro-batches of 1, as launched)
    model = apply_lora(AutoModelForCausalLM.from_pretrained(model_dir), cfg)
    resumed = train(model, tokenizer, EXAMPLES, cfg, again, show_progress=False, resume=True)
    assert resumed["resumed_from_step"] == 2
    assert resumed["losses"][:2] == stats["losses"][:2]
    for name, p in model.named_parameters():
        if p.requires_grad:
            torch.testing.assert_close(p.detach(), lora[name].detach(), rtol=0, atol=1e-5)


def test_fsdp_full_finetune_resumes_a_one_process_checkpoint(tokenizer, tmp_path, one_torch_thread):
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from safetylab.train import TrainConfig, train

    settings = {**SETTINGS, "method": "full", "lr": 0.001, "val_ratio": 0.0}
    model_dir, data, cfg_file = _setup(tokenizer, tmp_path, settings)
    # One process, with a checkpoint at step 2 (written by the ordinary single-process path).
    # (one torch thread, as in the launched processes: the one_torch_thread fixture)
    cfg = TrainConfig(**settings)
    one = tmp_path / "one"
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    for p in model.parameters():
        p.requires_grad_(True)
    single = train(model, tokenizer, EXAMPLES, cfg, one, show_progress=False)
    ref = {n: p.detach() for n, p in model.named_parameters()}
    n_all = sum(p.numel() for p in ref.values())

    # Two FSDP processes pick it up at step 2: each loads its shard of every weight and of the
    # optimizer state, trains steps 3-4, and process 0 writes the whole model.
    out = tmp_path / "fsdp"
    shutil.copytree(one, out)
    (out / "train_state.json").unlink()
    (out / "model.safetensors").unlink()
    stats = _launch(model_dir, data, cfg_file, out, "--resume")
    assert stats["parallelism"] == "FSDP" and stats["resumed_from_step"] == 2
    assert stats["losses"][:2] == pytest.approx(single["losses"][:2], abs=0)
    assert stats["losses"] == pytest.approx(single["losses"], abs=1e-4)
    held = stats["trainable_numel_per_process"]
    assert sum(held) == n_all and max(held) < n_all  # sharded, every weight trainable
    assert stats["rank_checksums"][0] == stats["rank_checksums"][1]

    saved = load_file(str(out / "model.safetensors"))
    assert {k: tuple(v.shape) for k, v in saved.items()} == {
        k: tuple(v.shape) for k, v in ref.items()
    }
    reloaded = dict(AutoModelForCausalLM.from_pretrained(out).named_parameters())
    base = dict(AutoModelForCausalLM.from_pretrained(model_dir).named_parameters())
    for name, w in ref.items():
        torch.testing.assert_close(reloaded[name].detach(), w, rtol=0, atol=1e-5)
        assert not torch.equal(w, base[name].detach()), name  # full fine-tuning moved it


# --- set-up checks (no processes started) ---------------------------------------------------


def _cfg(**kw):
    return SimpleNamespace(**{"save_every": 0, "method": "lora", "max_grad_norm": 1.0, **kw})


def test_requested_kind_reads_the_launch_environment():
    from safetylab.train._dist import requested_kind

    assert requested_kind({}) == "DDP"
    assert requested_kind({"ACCELERATE_USE_FSDP": "true"}) == "FSDP"
    assert requested_kind({"ACCELERATE_USE_FSDP": "false"}) == "DDP"
    assert requested_kind({"ACCELERATE_USE_DEEPSPEED": "True"}) == "DEEPSPEED"


def test_fsdp_version_1_and_qlora_are_refused():
    from safetylab.train._dist import check_request

    fsdp = {"ACCELERATE_USE_FSDP": "true", "FSDP_VERSION": "2"}
    assert check_request(_cfg(), fsdp, cuda=False) == "FSDP"
    with pytest.raises(SafetylabError, match="FSDP version 1; .*fsdp_version: 2"):
        check_request(_cfg(), {**fsdp, "FSDP_VERSION": "1"}, cuda=True)
    with pytest.raises(SafetylabError, match="qlora cannot be sharded"):
        check_request(_cfg(method="qlora"), fsdp, cuda=True)


def test_deepspeed_missing_package_cpu_and_checkpoints_are_refused(monkeypatch):
    from safetylab.train import _dist

    ds = {"ACCELERATE_USE_DEEPSPEED": "true"}
    monkeypatch.setattr(_dist, "_installed", lambda name: name != "deepspeed")
    with pytest.raises(SafetylabError) as e:
        _dist.check_request(_cfg(), ds, cuda=True)
    assert "pip install deepspeed" in str(e.value) and "\n" not in str(e.value)

    monkeypatch.setattr(_dist, "_installed", lambda name: True)
    assert _dist.check_request(_cfg(), ds, cuda=True) == "DEEPSPEED"
    with pytest.raises(SafetylabError, match="needs CUDA GPUs"):
        _dist.check_request(_cfg(), ds, cuda=False)
    with pytest.raises(SafetylabError, match="not supported under DeepSpeed"):
        _dist.check_request(_cfg(save_every=20), ds, cuda=True)
    with pytest.raises(SafetylabError, match="not supported under DeepSpeed"):
        _dist.check_request(_cfg(), ds, cuda=True, resume=True)


def test_deepspeed_settings_follow_the_training_config():
    from safetylab.train._dist import deepspeed_settings

    auto = {"train_micro_batch_size_per_gpu": "auto", "gradient_accumulation_steps": 4}
    assert deepspeed_settings(auto, _cfg(max_grad_norm=0.5), 2) == {
        "gradient_accumulation_steps": 1,
        "gradient_clipping": 0.5,
        "train_batch_size": "auto",
        "train_micro_batch_size_per_gpu": 2,
    }
    fixed = {"train_micro_batch_size_per_gpu": 8}
    assert "train_micro_batch_size_per_gpu" not in deepspeed_settings(fixed, _cfg(), 2)


def _launch_env(name: str) -> dict[str, str]:
    """The environment ``accelerate launch --config_file configs/accelerate/<name>.yaml`` gives
    each process (accelerate's own launcher code; nothing is started)."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_deepspeed_cmd_env, prepare_multi_gpu_env

    path = ROOT / "configs" / "accelerate" / f"{name}.yaml"
    args = launch_command_parser().parse_args(["--config_file", str(path), "x.py"])
    args, defaults, _ = _validate_launch_command(args)
    if args.use_deepspeed:
        args.deepspeed_fields_from_accelerate_config = ",".join(defaults.deepspeed_config)
        env = prepare_deepspeed_cmd_env(args)[1]
    else:
        env = prepare_multi_gpu_env(args)
    return {k: v for k, v in env.items() if k.startswith(("ACCELERATE_", "FSDP_"))}


@pytest.mark.parametrize(
    ("name", "kind", "mixed"),
    [
        ("cpu-2proc", "DDP", "no"),
        ("ddp-gpu", "DDP", "no"),
        ("ddp-multinode", "DDP", "no"),
        ("cpu-fsdp-2proc", "FSDP", "no"),
        ("fsdp-gpu", "FSDP", "bf16"),
        ("deepspeed-zero2", "DEEPSPEED", "bf16"),
    ],
)
def test_shipped_accelerate_configs_ask_for_what_train_supports(name, kind, mixed, monkeypatch):
    from safetylab.train import _dist

    env = _launch_env(name)
    assert env["ACCELERATE_MIXED_PRECISION"] == mixed
    monkeypatch.setattr(_dist, "_installed", lambda name: True)
    assert _dist.check_request(_cfg(), env, cuda=True) == kind
    if kind == "FSDP":
        assert env["FSDP_TRANSFORMER_CLS_TO_WRAP"] == "LlamaDecoderLayer"
        assert env["FSDP_AUTO_WRAP_POLICY"] == "TRANSFORMER_BASED_WRAP"


def test_deepspeed_config_from_the_shipped_yaml_gets_the_loop_settings(monkeypatch):
    """accelerate's DeepSpeed plugin (no deepspeed needed to build its config) from the
    shipped ZeRO-2 yaml, then the values safetylab sets before ``accelerator.prepare``."""
    from accelerate.utils import DeepSpeedPlugin

    from safetylab.train._dist import deepspeed_settings

    for k, v in _launch_env("deepspeed-zero2").items():
        monkeypatch.setenv(k, v)
    ds = DeepSpeedPlugin().deepspeed_config
    assert ds["zero_optimization"]["stage"] == 2
    assert ds["train_micro_batch_size_per_gpu"] == "auto"
    ds.update(deepspeed_settings(ds, _cfg(max_grad_norm=0.3), 4))
    assert ds["train_micro_batch_size_per_gpu"] == 4 and ds["gradient_accumulation_steps"] == 1
    assert ds["gradient_clipping"] == 0.3 and ds["train_batch_size"] == "auto"


def test_cli_without_deepspeed_fails_with_one_line(tmp_path, capsys, monkeypatch, tokenizer):
    """A DeepSpeed accelerate config on a machine without deepspeed: exit 2, one line."""
    from safetylab.cli.main import main
    from safetylab.train import _dist

    monkeypatch.setattr(_dist, "_installed", lambda name: name != "deepspeed")
    model_dir, data, cfg_file = _setup(tokenizer, tmp_path, {**SETTINGS, "save_every": 0})
    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "true")
    args = ["train", "--model", str(model_dir), "--data", str(data), "--out"]
    args += [str(tmp_path / "ds"), "--config", str(cfg_file), "--set", "distributed=on"]
    assert main([*args, "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()  # also holds weight-loading bars
    assert [x for x in err if "safetylab" in x or "Error" in x] == [
        "safetylab: error: accelerate config uses DeepSpeed, which is not installed: "
        "pip install deepspeed (or use configs/accelerate/fsdp-gpu.yaml)"
    ]
    assert err[-1].startswith("safetylab: error:")
    assert not (tmp_path / "ds" / "train_state.json").exists()
