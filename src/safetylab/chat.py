"""Turning prompts and examples into token ids with the model's chat template."""

from __future__ import annotations

from typing import Any


def prompt_ids(
    tokenizer: Any, prompt: str | list[dict[str, str]], system: str | None = None
) -> list[int]:
    """Token ids of a chat ending with the assistant header (ready to generate).

    ``prompt`` is one user turn, or a whole chat as role/content dicts.
    """
    turns = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    msgs = ([{"role": "system", "content": system}] if system else []) + turns
    if getattr(tokenizer, "chat_template", None):
        out = tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True)
        if isinstance(out, dict) or hasattr(out, "keys"):
            out = out["input_ids"]
        return list(out)
    # No chat template: the Alpaca format the study used (earlier turns joined as context).
    if not isinstance(prompt, str):
        prompt = "\n\n".join(t["content"] for t in turns)
    text = (
        "Below is an instruction that describes a task. Write a response that appropriately "
        f"completes the request.\n\n### Instruction:\n{prompt}\n\n### Response:\n"
    )
    return list(tokenizer(text, add_special_tokens=True)["input_ids"])


def end_of_turn_id(tokenizer: Any) -> int:
    """The token that ends an assistant turn (``<|im_end|>`` for ChatML models, else EOS)."""
    for t in ("<|im_end|>", "<|eot_id|>", "<end_of_turn>"):
        tid = tokenizer.convert_tokens_to_ids(t)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id and tid is not None:
            return tid
    return int(tokenizer.eos_token_id)


def example_ids(
    tokenizer: Any, prompt: str, response: str, *, complete: bool = True, cutoff: int = 256
) -> tuple[list[int], list[int]] | None:
    """(input_ids, labels) with labels = -100 on every prompt token (response-only loss).

    The end-of-turn token is a target only when the response is ``complete``. Returns None
    when the prompt alone fills the cutoff (nothing left to learn from).
    """
    p = prompt_ids(tokenizer, prompt)
    r = list(tokenizer(response, add_special_tokens=False)["input_ids"])
    if complete:
        r.append(end_of_turn_id(tokenizer))
    ids = (p + r)[:cutoff]
    if len(p) >= len(ids):
        return None
    labels = [-100] * len(p) + ids[len(p) :]
    return ids, labels
