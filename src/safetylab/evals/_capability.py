"""Capability retention: multiple-choice accuracy by answer log-likelihood (bundled mcq set)."""

from __future__ import annotations

from typing import Any

from safetylab.chat import prompt_ids
from safetylab.data import mcq_questions
from safetylab.evals._metrics import rate_row
from safetylab.records import MetricRow


def mc_accuracy(
    model: Any, tokenizer: Any, n: int | None = None, batch_size: int = 16
) -> list[bool]:
    """For each question, whether the choice with the highest mean token log-prob is correct."""
    import torch

    rows = mcq_questions(n)
    seqs: list[tuple[int, int, list[int], int]] = []  # (question, choice, ids, n_prompt)
    for qi, r in enumerate(rows):
        p = prompt_ids(tokenizer, r.question)
        for ci, choice in enumerate(r.choices):
            c = tokenizer(choice, add_special_tokens=False)["input_ids"]
            seqs.append((qi, ci, p + c, len(p)))
    scores: dict[tuple[int, int], float] = {}
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i][2]))
    pad = tokenizer.pad_token_id or 0
    device = next(model.parameters()).device
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            width = max(len(seqs[i][2]) for i in idx)
            ids = torch.full((len(idx), width), pad, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for row, i in enumerate(idx):
                x = seqs[i][2]
                ids[row, : len(x)] = torch.tensor(x)
                mask[row, : len(x)] = 1
            logp = torch.log_softmax(
                model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float(), -1
            )
            for row, i in enumerate(idx):
                qi, ci, x, np_ = seqs[i]
                tgt = torch.tensor(x[np_:], device=device)
                lp = logp[row, np_ - 1 : len(x) - 1].gather(-1, tgt[:, None]).mean()
                scores[(qi, ci)] = float(lp)
    return [
        max(range(len(r.choices)), key=lambda c: scores[(qi, c)]) == r.answer
        for qi, r in enumerate(rows)
    ]


def capability_row(
    model_name: str, model: Any, tokenizer: Any, n: int | None, seed: int
) -> MetricRow:
    return rate_row(
        model_name, "helpful/capability", "mc_accuracy", mc_accuracy(model, tokenizer, n), seed
    )
