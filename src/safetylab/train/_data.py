"""Training data: reading mixtures (JSONL/JSON) and turning examples into (input_ids, labels).

Rows are either ``records.Example`` dicts (what ``safetylab data mix`` writes: prompt,
response, ...) or Alpaca-style rows (instruction, input, output; the study's own files).

    from safetylab.train import load_examples
    examples = load_examples("runs/demo/mixtures/safety-50.jsonl")
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from safetylab.chat import example_ids
from safetylab.errors import SafetylabError
from safetylab.records import Example

log = logging.getLogger(__name__)

#: The Alpaca-LoRA template the study trained with (``configs/alpaca.json`` of its repository).
ALPACA_PROMPT = (
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:\n"
)
TEMPLATES = ("chat", "alpaca")


def _row_to_example(row: dict[str, Any], where: str) -> Example:
    if "prompt" in row and "response" in row:
        prompt, response = row["prompt"], row["response"]
        extra = {k: row[k] for k in ("category", "strategy", "label", "complete") if k in row}
        source = row.get("source", "file")
    elif "instruction" in row and "output" in row:
        prompt, response = row["instruction"], row["output"]
        if str(row.get("input") or "").strip():
            prompt = f"{prompt}\n\n{row['input']}"  # the input follows the instruction
        extra = {}
        source = row.get("source", "alpaca")
    else:
        raise SafetylabError(
            f"{where}: expected prompt/response (an Example) or instruction/output (Alpaca) "
            f"fields, got {sorted(row)[:8]}"
        )
    if not isinstance(prompt, str) or not isinstance(response, str):
        raise SafetylabError(f"{where}: prompt and response must be strings")
    if extra.get("label", "safe") not in ("safe", "unsafe"):
        raise SafetylabError(f"{where}: label must be 'safe' or 'unsafe', got {extra['label']!r}")
    return Example(prompt, response, str(source), **extra)


def load_examples(path: str | Path) -> list[Example]:
    """Examples from a JSONL file (one object a line) or a JSON list (the study's format)."""
    p = Path(path)
    if not p.is_file():
        raise SafetylabError(f"--data {p}: file not found")
    text = p.read_text(encoding="utf-8")
    rows: list[tuple[str, Any]] = []
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SafetylabError(f"{p}:{e.lineno}:{e.colno}: not valid JSON ({e.msg})") from None
        rows = [(f"{p}: item {i}", r) for i, r in enumerate(data)]
    else:
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append((f"{p}:{lineno}", json.loads(line)))
            except json.JSONDecodeError as e:
                raise SafetylabError(f"{p}:{lineno}:{e.colno}: not valid JSON ({e.msg})") from None
    out = []
    for where, row in rows:
        if not isinstance(row, dict):
            raise SafetylabError(f"{where}: expected a JSON object")
        out.append(_row_to_example(row, where))
    if not out:
        raise SafetylabError(f"--data {p}: no examples in the file (training data is empty)")
    return out


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
