"""Training checkpoints: trainable weights, optimizer, RNG, step and data order.

Layout of ``<out>/checkpoints/step-00000040/`` (tensors in safetensors, the rest in JSON;
nothing is unpickled on resume)::

    trainable.safetensors   trainable parameters by name (LoRA adapters, or every weight)
    optimizer.safetensors   optimizer state tensors;  optimizer.json: the rest of it
    rng-<rank>.safetensors  torch CPU (and CUDA) generator states; rng-<rank>.json: Python's
    state.json              step, data order (plan), config, data hash, losses so far (last)

A checkpoint folder is complete once ``state.json`` exists (written last, then the folder is
renamed into place), so an interrupted save is never picked up by ``--resume``. Only folders
named ``step-<8 digits>[.tmp]`` are ever read, pruned or removed: anything else a user keeps
under ``checkpoints/`` is left alone.

Weights and optimizer state are whole tensors even under FSDP (gathered from the shards, then
written by process 0 alone; each process writes only its own ``rng-<rank>``), so a checkpoint
resumes on any number of processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError

STATE = "state.json"
_STEP = re.compile(r"step-(\d{8})(\.tmp)?")  # the checkpoint folders this module writes


def _ours(root: Path, *, tmp: bool = False) -> list[Path]:
    """Checkpoint folders under ``root`` (complete ones, plus ``.tmp`` ones when ``tmp``)."""
    if not root.is_dir():
        return []
    out = []
    for p in root.iterdir():
        m = _STEP.fullmatch(p.name)
        if m and p.is_dir() and (tmp or not m.group(2)):
            out.append(p)
    return sorted(out, key=lambda p: (int(p.name[5:13]), p.name))


def checkpoint_dir(out_dir: str | Path) -> Path:
    return Path(out_dir) / "checkpoints"


def latest_checkpoint(out_dir: str | Path) -> Path | None:
    """The complete checkpoint with the highest step, or None."""
    done = [p for p in _ours(checkpoint_dir(out_dir)) if (p / STATE).is_file()]
    return done[-1] if done else None


def clear_checkpoints(out_dir: str | Path) -> None:
    """Remove this module's checkpoint folders under ``out_dir`` (a fresh run starts clean);
    other files under ``checkpoints/`` are kept."""
    root = checkpoint_dir(out_dir)
    for p in _ours(root, tmp=True):
        shutil.rmtree(p, ignore_errors=True)
    with contextlib.suppress(OSError):
        root.rmdir()  # only when nothing else is left in it


def shard_like(full: Any, param: Any) -> Any:
    """``full`` (a whole tensor) laid out like ``param``: its shard when ``param`` is a sharded
    DTensor (FSDP), else ``full`` itself. Each process cuts its own shard (no communication)."""
    from torch.distributed.tensor import DTensor, distribute_tensor

    if not isinstance(param, DTensor):
        return full
    return distribute_tensor(
        full.to(param.device), param.device_mesh, param.placements, src_data_rank=None
    )


def optimizer_parts(sd: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """An optimizer ``state_dict()`` (whole tensors) as safetensors tensors + JSON rest."""
    tensors: dict[str, Any] = {}
    scalars: dict[str, Any] = {}
    for idx, st in sd["state"].items():
        for k, v in st.items():
            if hasattr(v, "shape"):
                tensors[f"{idx}.{k}"] = v.detach().contiguous().cpu()
            else:
                scalars[f"{idx}.{k}"] = v
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _load_optimizer(opt: Any, folder: Path) -> None:
    from safetensors.torch import load_file

    meta = json.loads((folder / "optimizer.json").read_text())
    tensors = load_file(str(folder / "optimizer.safetensors"))
    state: dict[int, dict[str, Any]] = {}
    for key, v in list(tensors.items()) + list(meta["scalars"].items()):
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = v
    groups = meta["param_groups"]
    for g in groups:
        if isinstance(g.get("betas"), list):
            g["betas"] = tuple(g["betas"])
    params = [p for g in opt.param_groups for p in g["params"]]
    for idx, st in state.items():
        p = params[idx] if idx < len(params) else None
        for k, v in st.items():
            if p is not None and hasattr(v, "shape") and tuple(v.shape) == tuple(p.shape):
                st[k] = shard_like(v, p)
    opt.load_state_dict({"state": state, "param_groups": groups})


def save_rng(folder: Path, rank: int) -> None:
    """This process's torch (CPU + CUDA) and Python generator states."""
    import torch
    from safetensors.torch import save_file

    tensors = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda{i}"] = s
    save_file(tensors, str(folder / f"rng-{rank}.safetensors"))
    (folder / f"rng-{rank}.json").write_text(json.dumps({"python": random.getstate()}))


def load_rng(folder: Path, rank: int) -> bool:
    """Restore this process's generators; False when the checkpoint has none for ``rank``."""
    import torch
    from safetensors.torch import load_file

    f = folder / f"rng-{rank}.safetensors"
    if not f.exists():
        return False
    t = load_file(str(f))
    torch.set_rng_state(t["cpu"])
    if torch.cuda.is_available():
        states = [t[k] for k in sorted(t) if k.startswith("cuda")]
        if len(states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(states)
    py = json.loads((folder / f"rng-{rank}.json").read_text())["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    return True


def begin_save(out_dir: str | Path, step: int) -> Path:
    """Create the temporary folder a checkpoint is written into (main process)."""
    tmp = checkpoint_dir(out_dir) / f"step-{step:08d}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def finish_save(
    tmp: Path, trainable: dict[str, Any], optim: dict[str, Any], state: dict[str, Any], keep: int
) -> Path:
    """Write weights, optimizer and ``state.json`` (last), move into place, prune old ones.

    ``trainable`` (name -> tensor) and ``optim`` (an optimizer ``state_dict()``) hold whole
    tensors: under FSDP they are gathered first (``_dist.gathered_weights``,
    ``_dist.gathered_optimizer_state``); only process 0 calls this.
    """
    from safetensors.torch import save_file

    save_file(
        {k: v.detach().contiguous().cpu() for k, v in trainable.items()},
        str(tmp / "trainable.safetensors"),
    )
    tensors, meta = optimizer_parts(optim)
    save_file(tensors, str(tmp / "optimizer.safetensors"))
    (tmp / "optimizer.json").write_text(json.dumps(meta))
    (tmp / STATE).write_text(json.dumps(state))
    final = tmp.with_suffix("")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    done = _ours(final.parent)
    for old in done[: max(0, len(done) - max(1, keep))]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def read_state(folder: Path) -> dict[str, Any]:
    """The checkpoint's ``state.json`` (step, plan, config, data hash, losses so far)."""
    return dict(json.loads((folder / STATE).read_text()))


def load_checkpoint(folder: Path, params: dict[str, Any], opt: Any) -> dict[str, Any]:
    """Load trainable weights and optimizer state in place; returns ``state.json``.

    Every process reads the whole tensors and keeps its own shard under FSDP (``shard_like``).
    """
    import torch
    from safetensors.torch import load_file

    weights = load_file(str(folder / "trainable.safetensors"))
    missing = sorted(set(params) - set(weights))
    if missing or set(weights) - set(params):
        raise SafetylabError(
            f"{folder}: checkpoint weights do not match the model "
            f"(e.g. {(missing or sorted(set(weights) - set(params)))[0]}); "
            "was it made with other target_modules, lora_r or method?"
        )
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(shard_like(weights[name].to(p.dtype), p))
    _load_optimizer(opt, folder)
    return dict(json.loads((folder / STATE).read_text()))
