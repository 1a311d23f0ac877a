"""Several training processes: accelerate's Accelerator when launched by ``accelerate launch``
(or ``torchrun``) with more than one process, or when ``distributed: on``.

Data parallel (DDP) only: every process holds the whole model, takes its share of each step's
rows, and gradients are averaged before each optimizer step. Sharded set-ups (FSDP, DeepSpeed)
are refused with a clear error: saving and resuming them needs gathered state dicts.

    accelerate launch --config_file configs/accelerate/cpu-2proc.yaml -m safetylab.cli.main train ...
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from safetylab.errors import SafetylabError


@dataclass
class Procs:
    """Where this process stands among the training processes."""

    accelerator: Any  #: accelerate.Accelerator, or None when running alone without it
    rank: int  #: this process's index
    world: int  #: number of processes
    device: Any  #: torch device of this process

    @property
    def main(self) -> bool:
        return self.rank == 0

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


def start_processes(cfg: Any, model: Any) -> Procs:
    want = cfg.distributed == "on" or (cfg.distributed == "auto" and launched_distributed())
    if not want:
        return Procs(None, 0, 1, next(model.parameters()).device)
    import torch
    from accelerate import Accelerator

    # autocast is ours (cfg.bf16); cpu=True is what makes accelerate use gloo without a GPU
    acc = Accelerator(mixed_precision="no", cpu=not torch.cuda.is_available())
    kind = acc.distributed_type.name
    if kind in ("FSDP", "DEEPSPEED", "MEGATRON_LM", "XLA"):
        raise SafetylabError(
            f"accelerate config uses {kind}; safetylab train supports data parallelism (DDP) "
            "only: use configs/accelerate/ddp-gpu.yaml, or method: qlora for a model too big "
            "for one GPU"
        )
    return Procs(acc, acc.process_index, acc.num_processes, acc.device)


def rank_checksums(named: list[tuple[str, Any]], procs: Procs) -> list[str]:
    """sha256 of each process's trainable weights (equal when the processes stayed in sync)."""
    import hashlib

    import torch.distributed as td

    h = hashlib.sha256()
    for name, p in named:
        h.update(name.encode())
        h.update(p.detach().float().cpu().contiguous().numpy().tobytes())
    out: list[Any] = [None] * procs.world
    td.all_gather_object(out, h.hexdigest())
    return [str(x) for x in out]
