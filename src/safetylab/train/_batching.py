"""Data order and batch layout: which examples make each optimizer step, and how they are laid
out in rows and micro-batches.

- ``length``: batches of similar length (little padding), batches in random order.
- ``padded``: random order, every row padded to the cutoff (what the study's script ran).
- ``packed``: random order; a step's examples are packed into rows of ``cutoff`` tokens, each
  example with its own positions (0, 1, ...), so attention never crosses examples (the
  model builds a block-diagonal causal mask from the position ids).

The plan (steps of example indices) is the "data order" saved in checkpoints; the layout of
a step into rows and micro-batches is derived from it deterministically.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

BATCHING = ("length", "padded", "packed")


def length_grouped_batches(
    lengths: list[int], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Batches of similar length (little padding), in a random order."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    idx.sort(key=lambda i: lengths[i])  # stable: ties stay shuffled
    batches = [idx[i : i + batch_size] for i in range(0, len(idx), batch_size)]
    rng.shuffle(batches)
    return batches


def total_steps(n_examples: int, batch_size: int, epochs: float, max_steps: int = 0) -> int:
    """Optimizer steps of a run: ``max_steps`` when set, else ``epochs`` passes."""
    if max_steps > 0:
        return max_steps
    per_epoch = math.ceil(n_examples / batch_size)
    return max(1, int(round(epochs * per_epoch)))


def make_plan(
    lengths: list[int],
    batch_size: int,
    epochs: float,
    batching: str,
    seed: int,
    max_steps: int = 0,
) -> list[list[int]]:
    """The example indices of every optimizer step, epoch after epoch (seeded)."""
    rng = random.Random(seed)
    total = total_steps(len(lengths), batch_size, epochs, max_steps)
    per_epoch = math.ceil(len(lengths) / batch_size)
    n_epochs = max(math.ceil(epochs), math.ceil(total / per_epoch))
    plan: list[list[int]] = []
    for _ in range(n_epochs):
        if batching == "length":
            plan.extend(length_grouped_batches(lengths, batch_size, rng))
        else:
            idx = list(range(len(lengths)))
            rng.shuffle(idx)
            plan.extend(idx[i : i + batch_size] for i in range(0, len(idx), batch_size))
    return plan[:total]


def pack_rows(examples: list[int], lengths: list[int], capacity: int) -> list[list[int]]:
    """First-fit-decreasing packing of whole examples into rows of at most ``capacity`` tokens."""
    rows: list[list[int]] = []
    free: list[int] = []
    for i in sorted(examples, key=lambda i: -lengths[i]):
        for r, space in enumerate(free):
            if lengths[i] <= space:
                rows[r].append(i)
                free[r] -= lengths[i]
                break
        else:
            rows.append([i])
            free.append(capacity - lengths[i])
    return rows


def layout_step(
    step: list[int],
    lengths: list[int],
    batching: str,
    rows_per_micro: int,
    capacity: int,
    world: int = 1,
    rank: int = 0,
) -> list[list[list[int]]]:
    """This rank's micro-batches (lists of rows; a row is a list of example indices).

    Rows are dealt to ranks round-robin after sorting by length; every rank gets the same
    number of micro-batches (an empty one means: run a zero-weight dummy pass for DDP).
    """
    rows = pack_rows(step, lengths, capacity) if batching == "packed" else [[i] for i in step]
    if world > 1:
        rows = sorted(rows, key=lambda r: -sum(lengths[i] for i in r))
    mine = rows[rank::world]
    n_micro = max(math.ceil(len(rows[r::world]) / rows_per_micro) for r in range(world))
    micro = [mine[k * rows_per_micro : (k + 1) * rows_per_micro] for k in range(n_micro)]
    return micro


@dataclass
class Batch:
    """Tensors of one micro-batch (right-padded)."""

    ids: Any  #: (rows, width) token ids
    labels: Any  #: (rows, width) targets, -100 where no loss is taken
    attention_mask: Any | None  #: (rows, width) 1 on real tokens; None when packed
    position_ids: Any | None  #: (rows, width) positions restarting per example when packed
    tokens: int  #: real (non-padding) tokens
    targets: int  #: positions with a loss target (after the shift)


def collate(
    data: list[tuple[list[int], list[int]]],
    rows: list[list[int]],
    pad: int,
    *,
    packed: bool,
    width: int | None = None,
) -> Batch:
    """Build the tensors of a micro-batch; ``width`` pads every row to that length."""
    import torch

    lens = [sum(len(data[i][0]) for i in r) for r in rows]
    w = max(lens) if width is None else max(width, max(lens))
    ids = torch.full((len(rows), w), pad, dtype=torch.long)
    labels = torch.full((len(rows), w), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), w), dtype=torch.long)
    pos = torch.zeros((len(rows), w), dtype=torch.long)
    for row, r in enumerate(rows):
        at = 0
        for i in r:
            x, y = data[i]
            n = len(x)
            ids[row, at : at + n] = torch.tensor(x)
            labels[row, at : at + n] = torch.tensor(y)
            labels[row, at] = -100  # nothing predicts an example's first token
            pos[row, at : at + n] = torch.arange(n)
            at += n
        mask[row, :at] = 1
        pos[row, at:] = torch.arange(w - at)  # padding is a segment of its own
    targets = int((labels[:, 1:] != -100).sum())
    return Batch(
        ids=ids,
        labels=labels,
        attention_mask=None if packed else mask,
        position_ids=pos if packed else None,
        tokens=int(mask.sum()),
        targets=targets,
    )


def example_targets(data: list[tuple[list[int], list[int]]]) -> list[int]:
    """Loss positions per example (labels after the shift), for normalising a step's loss."""
    return [sum(t != -100 for t in y[1:]) for _, y in data]
