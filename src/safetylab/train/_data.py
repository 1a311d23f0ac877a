"""Training data: reading user files and turning examples into (input_ids, labels).

Files are read by the one user-file reader (``data._userfile``), so ``train --data`` takes what
``data show`` takes: ``records.Example`` rows (what ``safetylab data mix`` writes), Alpaca rows
(instruction, input, output; the study's own files) or chats, as JSONL, JSON, CSV or Parquet.

    from safetylab.train import load_examples
    examples = load_examples("runs/demo/mixtures/safety-50.jsonl")
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from safetylab.chat import example_ids
from safetylab.data import Columns, load_user_file
from safetylab.errors import SafetylabError
from safetylab.records import Example

log = logging.getLogger(__name__)

#: The Alpaca-LoRA template the study trained with (``configs/alpaca.json`` of its repository).
ALPACA_PROMPT = (
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:\n"
)
TEMPLATES = ("chat", "alpaca")


def load_examples(
    path: str | Path,
    columns: Columns | None = None,
    *,
    skip_bad_rows: bool = False,
    split: str | None = None,
) -> list[Example]:
    """Training examples from any user file ``safetylab data show`` reads (JSONL, JSON, CSV,
    TSV, Parquet, a saved dataset): Example rows keep their source, strategy and completeness;
    Alpaca rows (instruction/input/output) and chats map as in ``data show``."""
    p = Path(path)
    if not p.exists():
        raise SafetylabError(f"--data {p}: file not found")
    try:
        data = load_user_file(
            p, columns, kind="train", skip_bad_rows=skip_bad_rows, split=split, keep_fields=True
        )
    except SafetylabError as e:
        if str(e).startswith(f"{p}: no usable rows (0 read"):
            raise SafetylabError(
                f"--data {p}: no examples in the file (training data is empty)"
            ) from None
        raise
    if data.n_bad:
        log.warning("%s: %d malformed rows skipped, e.g. %s", p, data.n_bad, data.bad[0])
    return list(data.records)


def alpaca_prompt_ids(tokenizer: Any, prompt: str) -> list[int]:
    """Token ids of the Alpaca prompt (what ``chat.prompt_ids`` gives a template-less model)."""
    text = ALPACA_PROMPT.format(instruction=prompt)
    return list(tokenizer(text, add_special_tokens=True)["input_ids"])


def encode_example(
    tokenizer: Any,
    ex: Example,
    cutoff: int,
    *,
    template: str = "chat",
    train_on_prompt: bool = False,
) -> tuple[list[int], list[int]] | None:
    """(input_ids, labels) of one example; labels are -100 where no loss is taken.

    ``template="chat"`` uses the model's chat template (Alpaca when it has none) and ends the
    answer with the end-of-turn token; ``"alpaca"`` always uses the Alpaca text and ends with
    EOS. ``train_on_prompt`` also puts loss on prompt tokens (the study's setting). None when
    the prompt alone fills the cutoff.
    """
    if template == "chat":
        pair = example_ids(tokenizer, ex.prompt, ex.response, complete=ex.complete, cutoff=cutoff)
    elif template == "alpaca":
        p = alpaca_prompt_ids(tokenizer, ex.prompt)
        r = list(tokenizer(ex.response, add_special_tokens=False)["input_ids"])
        if ex.complete and tokenizer.eos_token_id is not None:
            r.append(int(tokenizer.eos_token_id))
        ids = (p + r)[:cutoff]
        pair = None if len(p) >= len(ids) else (ids, [-100] * len(p) + ids[len(p) :])
    else:
        raise SafetylabError(f"template must be one of {', '.join(TEMPLATES)}, got {template!r}")
    if pair is None or not train_on_prompt:
        return pair
    ids, _ = pair
    return ids, list(ids)


def encode_examples(
    tokenizer: Any,
    examples: list[Example],
    cutoff: int,
    *,
    template: str = "chat",
    train_on_prompt: bool = False,
) -> list[tuple[list[int], list[int]]]:
    """Encode every example; raises when there is nothing to train on, warns about drops."""
    if not examples:
        raise SafetylabError("training data is empty")
    out = []
    for ex in examples:
        pair = encode_example(
            tokenizer, ex, cutoff, template=template, train_on_prompt=train_on_prompt
        )
        if pair is not None:
            out.append(pair)
    if not out:
        raise SafetylabError(f"every example's prompt is longer than the cutoff ({cutoff} tokens)")
    if len(out) < len(examples):
        log.warning(
            "%d of %d examples dropped: prompt longer than the cutoff (%d tokens)",
            len(examples) - len(out),
            len(examples),
            cutoff,
        )
    return out
