"""Speed-ups for training on small machines.

Frozen-prefix caching: when only the top K decoder layers are adapted, the hidden states
entering layer ``L = n_layers - K`` never change during training, so they are computed once per
example (shared by every epoch and every model of a sweep that trains on the same rows) and
each step runs only the top K layers. Logits are computed only where there is a target.
"""

from __future__ import annotations

from typing import Any

from safetylab.hardware import only_layers


def prefix_states(
    model: Any, batches: list[tuple[Any, Any]], split: int, bf16: bool, progress: Any = None
) -> list[Any]:
    """Hidden states entering layer ``split`` for each (ids, mask) batch (right-padded)."""
    import torch

    out = []
    device = next(model.parameters()).device
    with (
        torch.inference_mode(),
        torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16),
        only_layers(model, 0, split, final_norm=False) as dec,
    ):
        for ids, mask in batches:
            h = dec(
                input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False
            ).last_hidden_state
            out.append(h.float().cpu())
            if progress is not None:
                progress.update(int(ids.shape[0]))
    return out


class PrefixCache:
    """Hidden states entering the first adapted layer, per tokenized example (see above).

    Shared by the models of a sweep: rows common to several mixtures are computed once. Each
    example runs alone (a batch of one, no padding), so its states are a function of its own
    tokens only, never of which other examples were computed before or beside it: a model
    trained after others in one process gets the bits it gets when trained alone (a resumed
    sweep equals an uninterrupted one).
    """

    def __init__(self) -> None:
        self.states: dict[tuple[int, ...], Any] = {}

    def fill(
        self,
        model: Any,
        data: list[tuple[list[int], list[int]]],
        split: int,
        bf16: bool,
        pad: int,
        batch_size: int = 16,
        show_progress: bool = True,
    ) -> None:
        """Compute the missing examples' states (``pad`` and ``batch_size`` are kept for
        compatibility; examples are never padded or batched together)."""
        import torch

        todo = sorted({tuple(x) for x, _ in data if tuple(x) not in self.states})
        batches = [
            (torch.tensor([x], dtype=torch.long), torch.ones((1, len(x)), dtype=torch.long))
            for x in todo
        ]
        from tqdm.auto import tqdm

        bar = tqdm(
            total=len(todo),
            desc="frozen layers (once)",
            unit="ex",
            disable=not (todo and show_progress),
            leave=False,
        )
        states = prefix_states(model, batches, split, bf16, bar)
        bar.close()
        for x, h in zip(todo, states, strict=True):
            self.states[x] = h[0].clone()
