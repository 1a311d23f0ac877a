"""The loss the training loop minimises: one micro-batch's sum of token losses, through the
decoder layers from ``start`` up (the lower ones come from a PrefixCache), and the mean token
loss over held-out data (validation), in one process or all processes together.
"""

from __future__ import annotations

import math
from typing import Any

from safetylab.hardware import n_layers as _n_layers
from safetylab.hardware import only_layers
from safetylab.train._batching import collate
from safetylab.train._config import TrainConfig
from safetylab.train._dist import Procs


def token_loss_sum(model: Any, hidden: Any, labels: Any) -> Any:
    """Sum of next-token cross-entropy over positions with a target (lm_head only there)."""
    import torch

    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    shift = labels[:, 1:]
    keep = shift != -100
    logits = inner.lm_head(hidden[:, :-1][keep])
    return torch.nn.functional.cross_entropy(logits.float(), shift[keep], reduction="sum")


def _loss_module(model: Any, n_layers: int) -> Any:
    import torch

    class LossModule(torch.nn.Module):
        """One micro-batch -> sum of token losses (runs decoder layers ``start`` and up)."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(
            self, ids: Any, labels: Any, mask: Any, pos: Any, hidden: Any, start: int
        ) -> Any:
            with only_layers(self.model, start, n_layers, final_norm=True) as dec:
                # use_cache=False: no KV cache in training, and with a cache transformers
                # would not build the per-example (block-diagonal) mask from position ids.
                kw = {"attention_mask": mask, "position_ids": pos, "use_cache": False}
                if hidden is not None:
                    out = dec(inputs_embeds=hidden, **kw)
                else:
                    out = dec(input_ids=ids, **kw)
            return token_loss_sum(self.model, out.last_hidden_state, labels)

    return LossModule()


def _prefix_hidden(cache: Any, data: list[Any], rows: list[list[int]], width: int) -> Any:
    import torch

    first = cache.states[tuple(data[rows[0][0]][0])]
    hidden = torch.zeros((len(rows), width, first.shape[-1]), dtype=first.dtype)
    for r, row in enumerate(rows):
        at = 0
        for i in row:
            h = cache.states[tuple(data[i][0])]
            hidden[r, at : at + h.shape[0]] = h
            at += h.shape[0]
    return hidden


def _forward(
    mod: Any, data: Any, rows: Any, pad: int, cfg: Any, dev: Any, bf16: bool, cache: Any, split: int
) -> tuple[Any, Any]:
    """(loss sum, Batch) of one micro-batch on this process."""
    import torch

    packed = cfg.batching == "packed"
    b = collate(
        data, rows, pad, packed=packed, width=cfg.cutoff if cfg.batching == "padded" else None
    )
    hidden = _prefix_hidden(cache, data, rows, b.ids.shape[1]).to(dev) if split else None

    def _on(x: Any) -> Any:
        return None if x is None else x.to(dev)

    with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
        loss = mod(
            _on(b.ids), _on(b.labels), _on(b.attention_mask), _on(b.position_ids), hidden, split
        )
    return loss, b


def evaluate_loss(
    mod: Any, data: list[Any], cfg: Any, procs: Procs, pad: int, bf16: bool
) -> tuple[float, int]:
    """Mean token loss over ``data`` (all processes together) and its number of targets."""
    import torch

    rows_per = cfg.micro_batch_size or cfg.batch_size
    order = sorted(range(len(data)), key=lambda i: len(data[i][0]))
    mine = order[procs.rank :: procs.world]
    n_micro = math.ceil(math.ceil(len(data) / procs.world) / rows_per)
    total, n = 0.0, 0
    was_training = mod.training
    mod.eval()
    with torch.no_grad():
        for k in range(n_micro):
            chunk = mine[k * rows_per : (k + 1) * rows_per]
            rows = [[i] for i in (chunk or order[:1])]  # a dummy pass keeps processes in step
            loss, b = _forward(mod, data, rows, pad, cfg, procs.device, bf16, None, 0)
            if chunk:
                total += float(loss)
                n += b.targets
    if was_training:
        mod.train()
    total, nf = procs.sum([total, float(n)])
    return (total / nf if nf else float("nan")), int(nf)


def validation_loss(model: Any, data: list[Any], cfg: TrainConfig) -> float:
    """Mean token loss of ``model`` over encoded ``data`` in this one process (no autocast)."""
    mod = _loss_module(model, _n_layers(model))
    procs = Procs(None, 0, 1, next(model.parameters()).device)
    return evaluate_loss(mod, data, cfg, procs, 0, False)[0]
