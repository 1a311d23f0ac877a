"""Attention from the answer position (last prompt token) to the focus word, per layer and head.

    from safetylab.probes import focus_attention
    att = focus_attention(lm.model, lm.tokenizer, items)   # [n_items, n_layers, n_heads]

For each prompt, the focus word (``ProbeItem.focus``: XSTest's ``focus`` column, the bundled
sets' ``focus`` field) is located in the chat-formatted prompt (whole word, optional inflection;
items whose focus word does not occur are skipped) and mapped to the tokens that overlap it.
The value is the attention mass the last prompt token puts on those tokens (summed over them),
per layer and head, with eager attention (the attention weights are read by forward hooks on
each layer's self-attention; the model's attention implementation is restored afterwards).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from safetylab.chat import prompt_ids
from safetylab.errors import SafetylabError
from safetylab.hardware import decoder
from safetylab.probes._items import ProbeItem, _term_regex


def focus_positions(
    tokenizer: Any, text: str, focus: str, system: str | None = None
) -> list[int] | None:
    """Token positions (in ``prompt_ids(tokenizer, text, system)``) of the focus word, or None."""
    if not focus:
        return None
    m = re.search(_term_regex(focus), text, re.IGNORECASE)
    if m is None:
        return None
    ids = prompt_ids(tokenizer, text, system)
    msgs = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": text}
    ]
    rendered = (
        tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
        if getattr(tokenizer, "chat_template", None)
        else None
    )
    if isinstance(rendered, str):
        enc = tokenizer(rendered, add_special_tokens=False, return_offsets_mapping=True)
        if list(enc["input_ids"]) == ids:
            base = rendered.rfind(text)
            if base >= 0:
                lo, hi = base + m.start(), base + m.end()
                pos = [i for i, (a, b) in enumerate(enc["offset_mapping"]) if a < hi and b > lo]
                return pos or None
    # Fallback: find the word's tokens as a subsequence of the prompt ids.
    word = text[m.start() : m.end()]
    for variant in (" " + word, word):
        sub = list(tokenizer(variant, add_special_tokens=False)["input_ids"])
        for i in range(len(ids) - len(sub), -1, -1):
            if sub and ids[i : i + len(sub)] == sub:
                return list(range(i, i + len(sub)))
    return None


@contextlib.contextmanager
def eager_attention(model: Any) -> Iterator[None]:
    """Temporarily switch the model to eager attention (so attention weights are returned)."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    old = getattr(inner.config, "_attn_implementation", None)
    if old != "eager":
        if hasattr(inner, "set_attn_implementation"):
            inner.set_attn_implementation("eager")
        else:
            inner.config._attn_implementation = "eager"
    try:
        yield
    finally:
        if old is not None and old != "eager":
            if hasattr(inner, "set_attn_implementation"):
                inner.set_attn_implementation(old)
            else:
                inner.config._attn_implementation = old


def focus_attention(
    model: Any,
    tokenizer: Any,
    items: Sequence[ProbeItem],
    *,
    system: str | None = None,
    batch_size: int = 16,
) -> tuple[np.ndarray, list[int]]:
    """Attention mass from the last prompt token to the focus tokens.

    Returns ``(att, kept)``: ``att[i, l, h]`` for layer ``l`` (0-based decoder layer) and head
    ``h`` of item ``kept[i]``; items without a locatable focus word are left out.
    """
    import torch

    dec = decoder(model)
    if dec is None:
        raise SafetylabError("model has no .model.layers (a LLaMA-style decoder is expected)")
    rows: list[tuple[int, list[int], list[int]]] = []
    for i, it in enumerate(items):
        pos = focus_positions(tokenizer, it.text, it.focus, system)
        if pos:
            rows.append((i, prompt_ids(tokenizer, it.text, system), pos))
    n_layers = len(dec.layers)
    if not rows:
        return np.zeros((0, n_layers, 0), dtype=np.float32), []
    captured: dict[int, Any] = {}

    def hook(idx: int) -> Any:
        def fn(_mod: Any, _inp: Any, out: Any) -> None:
            w = out[1] if isinstance(out, tuple) and len(out) > 1 else None
            if w is None:
                raise SafetylabError("attention weights unavailable (eager attention needed)")
            captured[idx] = w.detach().float()

        return fn

    handles = [layer.self_attn.register_forward_hook(hook(j)) for j, layer in enumerate(dec.layers)]
    out: list[np.ndarray] = []
    device = next(model.parameters()).device
    order = sorted(range(len(rows)), key=lambda r: -len(rows[r][1]))
    result: list[np.ndarray | None] = [None] * len(rows)
    try:
        with torch.inference_mode(), eager_attention(model):
            for s in range(0, len(order), batch_size):
                batch = order[s : s + batch_size]
                width = max(len(rows[r][1]) for r in batch)
                ids = torch.zeros((len(batch), width), dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for b, r in enumerate(batch):
                    seq = rows[r][1]
                    ids[b, : len(seq)] = torch.tensor(seq)
                    mask[b, : len(seq)] = 1
                captured.clear()
                dec(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False)
                for b, r in enumerate(batch):
                    last = len(rows[r][1]) - 1
                    where = torch.tensor(rows[r][2])
                    per = np.stack(
                        [
                            captured[j][b, :, last, :][:, where].sum(-1).cpu().numpy()
                            for j in range(n_layers)
                        ]
                    )
                    result[r] = per
    finally:
        for hd in handles:
            hd.remove()
    out = [a for a in result if a is not None]
    return np.stack(out).astype(np.float32), [r[0] for r in rows]
