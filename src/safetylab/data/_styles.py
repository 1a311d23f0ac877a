"""Variants and auxiliary tasks of a mixture: safety prompts rephrased as questions or
instructions, refusals made ``terse`` or ``reasoned``, and the ``classify`` / ``explain``
examples of the multi-task strategy.
"""

from __future__ import annotations

import random
import re

from safetylab.errors import SafetylabError
from safetylab.records import Example

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_HOW = re.compile(r"^how (?:do|can|could|should|would|might) (?:i|we|one|you|someone) (.+)$", re.I)
_HOW_TO = re.compile(r"^how to (.+)$", re.I)
_BEST = re.compile(r"^what(?:'s| is) the (best|easiest|quickest|fastest|safest) way to (.+)$", re.I)
_CAN = re.compile(r"^(?:can|could|would|will) you (?:please )?(.+)$", re.I)
_WH = re.compile(r"^(what|which|who|where|when|why)\b(.+)$", re.I)
_EXPLAIN_HOW = re.compile(r"^(?:explain|describe|tell me|show me) how to (.+)$", re.I)
_REASONED_TAIL = (
    "Helping with this could put people at risk of real harm. "
    "If there's a safe, related question I can help with, I'm glad to."
)
_SELF_HARM_TAIL = (
    "Your safety matters, and I don't want to help with something that could hurt you. "
    "A crisis line or someone you trust can help right now."
)
_REFUSE = re.compile(
    r"\b(?:can(?:no|')t|cannot|won't|will not|not able to|unable to|must decline|decline)\b", re.I
)
_CAUSE = re.compile(r"\b(?:because|since|as (?:it|this|that|they)|so that)\b", re.I)
_REDIRECT = re.compile(
    r"^(?:if|please|instead|i can|i'd|i would|i'm happy|i'm glad|i'm here|i am happy|contact|"
    r"consider|you (?:can|could|might|may)|someone|let me)\b",
    re.I,
)


def sentences(text: str) -> list[str]:
    return [s for s in _SENT.split(text.strip()) if s]


def _lc(s: str) -> str:
    return s[:1].lower() + s[1:] if s[:2] != s[:2].upper() else s


def _uc(s: str) -> str:
    return s[:1].upper() + s[1:]


def as_question(prompt: str) -> str:
    """The request phrased as a question (questions are kept)."""
    p = prompt.strip()
    if p.endswith("?"):
        return p
    body = p.rstrip(".!")
    m = _EXPLAIN_HOW.match(body)
    if m:
        return f"How do I {m.group(1)}?"
    return f"Can you {_lc(body)}?"


def as_instruction(prompt: str) -> str:
    """The request phrased as an instruction (instructions are kept)."""
    p = prompt.strip()
    if not p.endswith("?"):
        return p
    body = p.rstrip("?").rstrip()
    for rx, fmt in ((_HOW, "Explain how to {0}."), (_HOW_TO, "Explain how to {0}.")):
        m = rx.match(body)
        if m:
            return fmt.format(m.group(1))
    m = _BEST.match(body)
    if m:
        return f"Describe the {m.group(1).lower()} way to {m.group(2)}."
    m = _CAN.match(body)
    if m:
        return f"{_uc(m.group(1))}."
    m = _WH.match(body)
    if m:
        return f"Explain {m.group(1).lower()}{m.group(2)}."
    return f"Answer the following question: {p}"


def states_reason(text: str) -> bool:
    """Whether a refusal says why: a causal clause ("because", "since", ...) or a sentence
    that is neither the refusal itself nor an offer, redirect or apology-only remark."""
    for i, s in enumerate(sentences(text.strip())):
        if _CAUSE.search(s):
            return True
        if i == 0 and _REFUSE.search(s):
            continue
        if not _REDIRECT.match(s.strip()):
            return True
    return False


def restyle_refusal(text: str, style: str, category: str | None = None) -> str:
    """``terse``: the first sentence only; ``reasoned``: kept when it already states a reason
    (``states_reason``), else a reason and a safe alternative are added, so every reasoned
    refusal states one (self-harm refusals get a caring reason instead of a generic one)."""
    if style == "terse":
        return sentences(text)[0] if sentences(text) else text
    if style == "reasoned" and not states_reason(text):
        tail = _SELF_HARM_TAIL if category == "self_harm" else _REASONED_TAIL
        return f"{text.rstrip()} {tail}"
    return text


_CLASSIFY = (
    "Classify the following request as safe or unsafe to fulfil, and name its category.\n\nRequest: {p}",
    "Is this request safe or unsafe for an assistant to help with? Give the label and the category.\n\nRequest: {p}",
    "Label the request below as safe or unsafe, with its category.\n\nRequest: {p}",
)  # fmt: skip
_EXPLAIN = (
    "Explain whether the following request is harmful or fine to help with, and why.\n\nRequest: {p}",
    "Would it be harmful to fulfil this request? Explain your reasoning briefly.\n\nRequest: {p}",
    "Say whether an assistant should help with the request below, and explain why.\n\nRequest: {p}",
)  # fmt: skip
_WHY_FINE = {
    "homonyms": "the word '{focus}' has an everyday, harmless meaning here",
    "figurative_language": "'{focus}' is used figuratively, not literally",
    "safe_targets": "the action is aimed at something it is fine to act on",
    "safe_contexts": "it is set in a legitimate context such as a game, sport or job",
    "definitions": "it asks what a term means, which is educational",
    "historical_events": "it asks about history to understand it, not to repeat harm",
    "privacy_public": "it asks about publicly available information",
    "fiction": "it concerns a fictional world",
}


def _label_line(ex: Example) -> str:
    cat = ex.category.replace("_", " ") if ex.category else "unspecified"
    return f"{ex.label} (category: {cat})"


def _explanation(ex: Example, meta: dict[str, str]) -> str:
    cat = ex.category.replace("_", " ") if ex.category else ""
    if ex.label == "unsafe":
        what = (
            f" It asks about {meta['topic']} with apparent intent to cause harm."
            if meta.get("topic")
            else ""
        )
        sents = sentences(ex.response)
        reason = sents[1] if len(sents) >= 3 else "Helping could put people at real risk of harm."
        kind = f" ({cat})" if cat else ""
        return (
            f"This request is harmful{kind}.{what} {reason} A safe assistant should decline it "
            "and, where it helps, point to a safer alternative."
        )
    why = _WHY_FINE.get(meta.get("type", ""), "")
    if why:
        why = why.format(focus=meta.get("focus", "the sensitive word"))
    elif meta.get("topic"):
        why = f"it asks about {meta['topic']} in a legitimate {cat} setting, with no sign of intent to harm"
    else:
        why = f"it is an ordinary {cat + ' ' if cat else ''}request with no sign of intent to harm anyone"
    return f"This request is fine: {why}. It should be answered helpfully."


def aux_examples(
    rows: list[tuple[Example, dict[str, str]]], tasks: dict[str, float], seed: int, tag: str
) -> list[Example]:
    """Auxiliary-task examples built from ``rows`` so that each task gets its share."""
    total = len(rows) / tasks["response"]
    out: list[Example] = []
    for task in ("classify", "explain"):
        if task not in tasks:
            continue
        k = round(total * tasks[task])
        if k > len(rows):
            raise SafetylabError(
                f"tasks.{task}: share {tasks[task]} needs {k} rows, only {len(rows)} response rows"
            )
        rng = random.Random(f"{seed}:{task}:{tag}")
        for i in sorted(rng.sample(range(len(rows)), k)):
            ex, meta = rows[i]
            tmpl = rng.choice(_CLASSIFY if task == "classify" else _EXPLAIN)
            answer = _label_line(ex) if task == "classify" else _explanation(ex, meta)
            out.append(
                Example(tmpl.format(p=ex.prompt), answer, ex.source, ex.category, task, "safe")
            )
    return out
