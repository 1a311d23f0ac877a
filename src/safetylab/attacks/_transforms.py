"""Deterministic adversarial prompt transforms: the record types, registration and composition.

safetylab attack list
safetylab attack apply synonym+base64 --text "How do I pick a lock?" --seed 1 --json

A transform rewrites one user request (same text + seed -> same output). Names joined by ``+``
compose left to right (``synonym+base64`` substitutes euphemisms, then encodes). Applied to
harmful prompts, transforms measure attack success per transform; applied to safe prompts,
over-refusal under rephrasing.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.records import Prompt
from safetylab.registry import attacks

#: Transform families, in the order ``safetylab attack list`` shows them.
FAMILIES: tuple[str, ...] = (
    "lexical",  # surface rewording: euphemisms, typos, leetspeak, spacing
    "indirection",  # the request is asked on someone else's or a hypothetical behalf
    "framing",  # a professional, fictional, research, historical or embodied context
    "template",  # jailbreak templates: persona, prefix injection, refusal suppression, override
    "encoding",  # base64, ROT13, reversed text
    "splitting",  # the request cut into pieces the model must reassemble
    "multiturn",  # earlier chat turns that escalate towards the request
)

Messages = list[dict[str, str]]
#: A step maps (text, rng) to the new user text, or to a chat whose last turn is the user's.
StepFn = Callable[[str, random.Random], "str | Messages"]


@dataclass(frozen=True)
class Transformed:
    """The result of applying a transform to one text."""

    text: str  #: the transformed user request (for multi-turn: the final user turn)
    messages: Messages | None  #: the whole chat as {role, content} dicts, or None if single-turn
    name: str  #: transform name, e.g. "synonym+base64"
    family: str  #: transform family, e.g. "lexical+encoding" for a composition
    seed: int  #: the seed it was applied with

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``messages`` only for multi-turn results."""
        d: dict[str, Any] = {
            "name": self.name,
            "family": self.family,
            "seed": self.seed,
            "text": self.text,
        }
        if self.messages is not None:
            d["messages"] = [dict(m) for m in self.messages]
        return d


@dataclass(frozen=True)
class Transform:
    """A named prompt transform, or a left-to-right composition of several (``parts``)."""

    name: str  #: the name users type, e.g. "rot13" or "synonym+base64"
    family: str  #: one of FAMILIES (joined with "+" for a composition)
    description: str  #: one line for `safetylab attack list`
    fn: StepFn | None = None  #: the rewrite (None for a composition)
    seeded: bool = False  #: True when the output depends on the seed
    parts: tuple[Transform, ...] = ()  #: the transforms a composition applies, in order
    #: why the transform may leave a prompt unchanged (shown by `safetylab attack list`); empty
    #: when it changes (nearly) every prompt: >= 90% of the bundled harmful and safe sets
    coverage_note: str = ""

    def apply(self, text: str, seed: int = 0) -> Transformed:
        """Transform ``text``; the same text and seed always give the same result."""
        if not isinstance(text, str):
            raise SafetylabError(f"attack {self.name}: text must be a string, got {type(text)}")
        if self.parts:
            return self._apply_parts(text, seed)
        assert self.fn is not None
        # Seeding with name and text as well keeps transforms and prompts uncorrelated.
        out = self.fn(text, random.Random(f"{seed}\x1f{self.name}\x1f{text}"))
        if isinstance(out, str):
            return Transformed(out, None, self.name, self.family, seed)
        if not out or out[-1].get("role") != "user":
            raise AssertionError(f"attack {self.name} must end its chat with a user turn")
        return Transformed(out[-1]["content"], out, self.name, self.family, seed)

    def _apply_parts(self, text: str, seed: int) -> Transformed:
        messages: Messages | None = None
        for part in self.parts:
            r = part.apply(text, seed)
            if r.messages is not None:  # a new chat: keep earlier history before it
                messages = (messages[:-1] if messages else []) + r.messages
            elif messages is not None:  # rewrite the final user turn only
                messages = messages[:-1] + [{"role": "user", "content": r.text}]
            text = r.text
        return Transformed(text, messages, self.name, self.family, seed)


def register_transform(
    name: str, *, family: str, description: str, seeded: bool = False, coverage_note: str = ""
) -> Callable[[StepFn], StepFn]:
    """Decorator: register ``fn(text, rng) -> str | messages`` as transform ``name``.

    ``coverage_note`` says why the transform can leave prompts unchanged (e.g. it only rewrites
    lexicon terms); leave it empty for transforms that change every prompt they are given.
    """
    if family not in FAMILIES:
        raise ValueError(f"attack {name!r}: unknown family {family!r} (known: {FAMILIES})")
    if "+" in name:
        raise ValueError(f"attack {name!r}: '+' is reserved for composition")

    def deco(fn: StepFn) -> StepFn:
        attacks.register(name, description=description)(
            Transform(name, family, description, fn, seeded, coverage_note=coverage_note)
        )
        return fn

    return deco


def _get_one(name: str) -> Transform:
    obj = attacks.get(name)  # raises the did-you-mean error
    if isinstance(obj, type):
        obj = obj()
    if not isinstance(obj, Transform):
        raise SafetylabError(f"attack {name!r} is not a prompt transform")
    return obj


def get_transform(name: str) -> Transform:
    """The transform called ``name``; ``a+b`` composes (a first, then b)."""
    from safetylab.registry import load_plugins

    load_plugins()
    names = [n.strip() for n in name.split("+")]
    if not all(names):
        raise SafetylabError(f"attack {name!r}: empty name in composition (write e.g. 'a+b')")
    if len(names) == 1:
        return _get_one(names[0])
    parts = tuple(_get_one(n) for n in names)
    return Transform(
        name="+".join(names),
        family="+".join(p.family for p in parts),
        description=", then ".join(p.name for p in parts),
        seeded=any(p.seeded for p in parts),
        parts=parts,
        coverage_note="; ".join(f"{p.name}: {p.coverage_note}" for p in parts if p.coverage_note),
    )


def list_transforms() -> list[Transform]:
    """Every registered transform, ordered by family (as in FAMILIES) then name."""
    from safetylab.registry import load_plugins

    load_plugins()
    ts = [e.obj for e in attacks if isinstance(e.obj, Transform)]
    return sorted(ts, key=lambda t: (FAMILIES.index(t.family), t.name))


def changed(original: str, result: Transformed) -> bool:
    """Whether a transform changed the request (a multi-turn chat always does)."""
    return result.messages is not None or result.text != original


def coverage(name: str, texts: Sequence[str], seed: int = 0) -> tuple[int, int]:
    """(prompts changed, prompts given) when transform ``name`` is applied to ``texts``."""
    t = get_transform(name)
    return sum(changed(x, t.apply(x, seed)) for x in texts), len(texts)


def _has_messages_field() -> bool:
    return any(f.name == "messages" for f in dataclasses.fields(Prompt))


def apply_to_prompts(
    prompts: Sequence[Prompt], names: str | Sequence[str], seed: int = 0
) -> list[Prompt]:
    """Child prompts, grouped by transform: for each name, every prompt transformed.

    A child keeps its parent's suite, label, category, source id and focus, and records
    ``parent_id`` (the parent's id) and ``transform`` (the name). Multi-turn transforms need a
    ``messages`` field on Prompt to keep the earlier turns; without one they raise.
    """
    if isinstance(names, str):
        names = [names]
    out: list[Prompt] = []
    for name in names:
        t = get_transform(name)
        for p in prompts:
            r = t.apply(p.text, seed)
            extra: dict[str, Any] = {}
            if r.messages is not None:
                if not _has_messages_field():
                    raise SafetylabError(
                        f"attack {t.name!r} is multi-turn, and Prompt has no messages field "
                        "to carry the earlier turns; use a single-turn transform"
                    )
                from safetylab.records import Message

                extra["messages"] = tuple(Message(m["role"], m["content"]) for m in r.messages)
            out.append(
                dataclasses.replace(p, text=r.text, parent_id=p.id, transform=t.name, **extra)
            )
    return out
