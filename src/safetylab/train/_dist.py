"""Several training processes: accelerate's Accelerator when launched by ``accelerate launch``
(or ``torchrun``) with more than one process, or when ``distributed: on``.

Three set-ups, chosen by the accelerate config (``distributed_type``), same command for all:

* DDP (``MULTI_GPU``): every process holds the whole model, takes its share of each step's
  rows, and gradients are averaged before each optimizer step.
* FSDP (``FSDP`` with ``fsdp_version: 2``): accelerate wraps the model with torch's
  ``fully_shard``, so each process holds only a shard of every weight (LoRA or full
  fine-tuning); decoder layers are the wrap units. FSDP1 (``fsdp_version: 1``) is refused.
* DeepSpeed ZeRO (``DEEPSPEED``, needs ``pip install deepspeed`` and CUDA): accelerate builds the
  engine from the model and optimizer. Gradient accumulation and clipping follow the training
  config (``micro_batch_size``, ``max_grad_norm``). Checkpoints (``save_every``, Ctrl-C,
  ``--resume``) are refused: DeepSpeed's optimizer shards have their own pickled format.

Saved weights (checkpoints and the final adapter or model) are always whole tensors, gathered
from the shards (torch.distributed.checkpoint full state dicts under FSDP,
``accelerator.get_state_dict`` under ZeRO-3) and written by process 0 alone, so a run from any
set-up loads with plain ``from_pretrained``, and a checkpoint resumes on any number of
processes. Each process also writes its own RNG state into a checkpoint (``rng-<rank>``).

Precision: under DDP, bf16 is the training config's autocast (``bf16: auto``) and accelerate's
``mixed_precision`` stays off; under FSDP and DeepSpeed the accelerate config's
``mixed_precision`` applies too (e.g. FSDP gathers weights in bf16, trainable weights and the
optimizer stay fp32).

    accelerate launch --config_file configs/accelerate/cpu-2proc.yaml -m safetylab.cli.main train ...
    accelerate launch --config_file configs/accelerate/cpu-fsdp-2proc.yaml -m safetylab.cli.main train ...
    accelerate launch --config_file configs/accelerate/ddp-gpu.yaml -m safetylab.cli.main train ...
    accelerate launch --config_file configs/accelerate/fsdp-gpu.yaml -m safetylab.cli.main train ...
    accelerate launch --config_file configs/accelerate/deepspeed-zero2.yaml -m safetylab.cli.main train ...

FSDP on CPU: accelerate (1.15) turns FSDP on only for GPU-like devices and silently falls back
to plain CPU data parallelism otherwise, although torch's FSDP2 runs on CPU over gloo. When the
config asks for FSDP and the processes run on CPU, ``start_processes`` sets the accelerator's
state to FSDP itself, so accelerate's own FSDP2 preparation runs there as it does on GPUs (this
is how tests/train/test_fsdp.py checks the sharded path on 2 CPU processes).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from safetylab.errors import SafetylabError

#: accelerate distributed types that safetylab trains with, by our short name
KINDS = {
    "NO": "NO",
    "MULTI_CPU": "DDP",
    "MULTI_GPU": "DDP",
    "FSDP": "FSDP",
    "DEEPSPEED": "DEEPSPEED",
}


@dataclass
class Procs:
    """Where this process stands among the training processes."""

    accelerator: Any  #: accelerate.Accelerator, or None when running alone without it
    rank: int  #: this process's index
    world: int  #: number of processes
    device: Any  #: torch device of this process
    kind: str = "NO"  #: "NO" (one process), "DDP", "FSDP" or "DEEPSPEED"

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def sharded(self) -> bool:
        """True when weights or optimizer state are split across processes (FSDP, DeepSpeed)."""
        return self.kind in ("FSDP", "DEEPSPEED")

    def barrier(self) -> None:
        if self.accelerator is not None:
            self.accelerator.wait_for_everyone()

    def sum(self, values: list[float]) -> list[float]:
        if self.world == 1:
            return values
        import torch

        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        return [float(x) for x in self.accelerator.reduce(t, reduction="sum").tolist()]


def launched_distributed() -> bool:
    """True inside ``accelerate launch`` / ``torchrun`` with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "false").strip().lower() in ("1", "true", "yes")


def requested_kind(env: Mapping[str, str] | None = None) -> str:
    """The sharded set-up the accelerate config asks for ("FSDP", "DEEPSPEED"), else "DDP".

    ``accelerate launch`` passes the config to each process as environment variables
    (``ACCELERATE_USE_FSDP``, ``ACCELERATE_USE_DEEPSPEED``, ``FSDP_*``).
    """
    env = os.environ if env is None else env
    if _flag(env, "ACCELERATE_USE_DEEPSPEED"):
        return "DEEPSPEED"
    if _flag(env, "ACCELERATE_USE_FSDP"):
        return "FSDP"
    return "DDP"


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def check_request(
    cfg: Any, env: Mapping[str, str] | None = None, *, cuda: bool, resume: bool = False
) -> str:
    """Refuse, with one line, a set-up this machine or safetylab cannot run; returns its kind."""
    env = os.environ if env is None else env
    kind = requested_kind(env)
    if kind == "DEEPSPEED":
        if not _installed("deepspeed"):
            raise SafetylabError(
                "accelerate config uses DeepSpeed, which is not installed: pip install deepspeed "
                "(or use configs/accelerate/fsdp-gpu.yaml)"
            )
        if not cuda:
            raise SafetylabError(
                "accelerate config uses DeepSpeed, which needs CUDA GPUs; on CPU use "
                "configs/accelerate/cpu-fsdp-2proc.yaml (FSDP) or cpu-2proc.yaml (DDP)"
            )
        if cfg.save_every or resume:
            raise SafetylabError(
                "checkpoints (save_every, --resume) are not supported under DeepSpeed; "
                "set save_every: 0, or use configs/accelerate/fsdp-gpu.yaml for resumable runs"
            )
    if kind == "FSDP":
        version = env.get("FSDP_VERSION", "1").strip()
        if version != "2":
            raise SafetylabError(
                f"accelerate config uses FSDP version {version}; safetylab supports "
                "fsdp_version: 2 (see configs/accelerate/fsdp-gpu.yaml)"
            )
        if cfg.method == "qlora":
            raise SafetylabError(
                "method: qlora cannot be sharded with FSDP here; use method: lora with FSDP, "
                "or qlora with DDP (configs/accelerate/ddp-gpu.yaml)"
            )
    return kind


def deepspeed_settings(ds_config: dict[str, Any], cfg: Any, rows_per_micro: int) -> dict[str, Any]:
    """The DeepSpeed config values safetylab sets before ``accelerator.prepare``.

    The training loop decides micro-batches and accumulation (it marks the last micro-batch
    of each step), so DeepSpeed accumulates over 1 and never rescales the loss; clipping is
    ``max_grad_norm``; ``train_micro_batch_size_per_gpu`` (bookkeeping only) is filled when
    ``auto``, and accelerate derives ``train_batch_size`` from these.
    """
    out: dict[str, Any] = {
        "gradient_accumulation_steps": 1,
        "gradient_clipping": float(cfg.max_grad_norm),
        "train_batch_size": "auto",
    }
    if ds_config.get("train_micro_batch_size_per_gpu", "auto") == "auto":
        out["train_micro_batch_size_per_gpu"] = int(rows_per_micro)
    return out


def _fsdp_on_cpu(acc: Any) -> None:
    """Turn accelerate's state to FSDP for CPU processes (accelerate only does it on GPUs)."""
    from accelerate.utils import DistributedType, FullyShardedDataParallelPlugin

    state = acc.state
    if state.distributed_type == DistributedType.FSDP:
        return
    if state.distributed_type != DistributedType.MULTI_CPU:
        raise SafetylabError(
            f"accelerate config asks for FSDP but accelerate started "
            f"{state.distributed_type.name}; FSDP on CPU needs num_processes of 2 or more"
        )
    plugin = getattr(state, "fsdp_plugin", None) or FullyShardedDataParallelPlugin()
    if state.mixed_precision != "no":  # what AcceleratorState does for GPUs
        plugin.set_mixed_precision(state.mixed_precision)
    state.fsdp_plugin = plugin  # AcceleratorState keeps one shared dict: visible everywhere
    state.distributed_type = DistributedType.FSDP


def start_processes(cfg: Any, model: Any, *, resume: bool = False) -> Procs:
    want = cfg.distributed == "on" or (cfg.distributed == "auto" and launched_distributed())
    if not want:
        return Procs(None, 0, 1, next(model.parameters()).device)
    import torch
    from accelerate import Accelerator

    cuda = torch.cuda.is_available()
    asked = check_request(cfg, cuda=cuda, resume=resume)
    # DDP: autocast is ours (cfg.bf16), so accelerate's mixed precision stays off. FSDP and
    # DeepSpeed: precision is part of the sharding engine, so the accelerate config's
    # mixed_precision applies (None: read from the config). cpu=True is what makes
    # accelerate use gloo without a GPU.
    acc = Accelerator(mixed_precision="no" if asked == "DDP" else None, cpu=not cuda)
    if asked == "FSDP" and not cuda:
        _fsdp_on_cpu(acc)
    name = acc.distributed_type.name
    kind = KINDS.get(name)
    if kind is None:
        raise SafetylabError(
            f"accelerate config uses {name}; safetylab train supports DDP, FSDP (fsdp_version: 2) "
            "and DeepSpeed: see configs/accelerate/"
        )
    if acc.num_processes == 1:
        kind = "NO" if kind == "DDP" else kind
    return Procs(acc, acc.process_index, acc.num_processes, acc.device, kind)


def prepare(procs: Procs, mod: Any, opt: Any, cfg: Any) -> tuple[Any, Any]:
    """``accelerator.prepare`` of the loss module and optimizer for this set-up."""
    acc = procs.accelerator
    if acc is None:
        return mod, opt
    if procs.kind == "DEEPSPEED":
        ds = acc.state.deepspeed_plugin.deepspeed_config
        ds.update(deepspeed_settings(ds, cfg, cfg.micro_batch_size or cfg.batch_size))
    return acc.prepare(mod, opt)


def _strip(sd: Mapping[str, Any], names: list[str], prefix: str = "model.") -> dict[str, Any]:
    """The entries of ``sd`` for ``names`` (keys of ``sd`` carry the loss module's prefix)."""
    return {n: sd[prefix + n] for n in names}


def zero3(procs: Procs) -> bool:
    """True under DeepSpeed ZeRO stage 3 (parameters are partitioned outside torch's view)."""
    if procs.kind != "DEEPSPEED":
        return False
    return int(procs.accelerator.state.deepspeed_plugin.zero_stage) == 3


def gathered_weights(procs: Procs, mod: Any, named: list[tuple[str, Any]]) -> dict[str, Any]:
    """Whole trainable weights by name, as CPU tensors (a collective call under FSDP and
    ZeRO-3). Process 0 gets them; the others get ``{}``. ``mod`` is the prepared loss module
    (its parameter names are ``model.`` + the names in ``named``).
    """
    names = [n for n, _ in named]
    if procs.kind == "FSDP":
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        # one weight at a time: gathered, moved to process 0's CPU memory; frozen ones skipped
        opts = StateDictOptions(full_state_dict=True, cpu_offload=True, ignore_frozen_params=True)
        sd = get_model_state_dict(mod, options=opts)
        if not sd:  # cpu_offload: only process 0 receives the tensors
            return {}
        return {k: v.detach().cpu() for k, v in _strip(sd, names).items()}
    if zero3(procs):  # ZeRO-2 and below keep whole weights on every process
        sd = procs.accelerator.get_state_dict(mod)
        if not sd:
            return {}
        return {k: v.detach().cpu() for k, v in _strip(sd, names).items()}
    if not procs.main:
        return {}
    return {n: p.detach().cpu() for n, p in named}


def _full(t: Any) -> Any:
    """The whole tensor behind ``t`` (a collective call for a sharded DTensor)."""
    from torch.distributed.tensor import DTensor

    return t.full_tensor() if isinstance(t, DTensor) else t


def gathered_optimizer_state(procs: Procs, opt: Any) -> dict[str, Any]:
    """``opt.state_dict()`` with whole tensors (collective under FSDP); ``{}`` off process 0."""
    sd = opt.state_dict()
    if procs.kind == "FSDP":
        state: dict[int, dict[str, Any]] = {}
        for idx, st in sorted(sd["state"].items()):
            for k, v in st.items():
                whole = _full(v) if hasattr(v, "shape") else v  # every process gathers
                if procs.main:
                    state.setdefault(idx, {})[k] = (
                        whole.detach().cpu() if hasattr(v, "shape") else v
                    )
        sd = {"state": state, "param_groups": sd["param_groups"]}
    return sd if procs.main else {}


def rank_checksums(named: list[tuple[str, Any]], procs: Procs) -> list[str]:
    """sha256 of each process's whole trainable weights (equal when the processes agree).

    Under FSDP every process gathers each weight from the shards first (one at a time), so the
    sums compare what each process would use for the next step.
    """
    import hashlib

    import torch.distributed as td

    h = hashlib.sha256()
    for name, p in sorted(named, key=lambda x: x[0]):
        h.update(name.encode())
        h.update(_full(p.detach()).float().cpu().contiguous().numpy().tobytes())
    out: list[Any] = [None] * procs.world
    td.all_gather_object(out, h.hexdigest())
    return [str(x) for x in out]


def local_numels(named: list[tuple[str, Any]], procs: Procs) -> list[int]:
    """Trainable values each process holds (a whole copy under DDP, a shard under FSDP)."""
    import torch.distributed as td
    from torch.distributed.tensor import DTensor

    mine = sum(int((p.to_local() if isinstance(p, DTensor) else p).numel()) for _, p in named)
    out: list[Any] = [None] * procs.world
    td.all_gather_object(out, mine)
    return [int(x) for x in out]
