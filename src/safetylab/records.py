"""Frozen record types that flow between stages; the only things stages pass to each other.

Ids are content hashes (``content_id``), which makes caching, resume and dedup trivial.
Stages emit new records; they never mutate old ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

Label = Literal["full_compliance", "full_refusal", "partial_refusal"]
LABELS: tuple[str, ...] = ("full_compliance", "full_refusal", "partial_refusal")
SafetyLabel = Literal["safe", "unsafe"]
COMPLY = "full_compliance"


def refused(label: str) -> bool:
    """The one refusal rule: every label but ``full_compliance`` counts as a refusal (a partial
    refusal too), as XSTest scores it. Metrics, agreement, compare and probes all use this."""
    return label != COMPLY


def content_id(*parts: Any, n: int = 16) -> str:
    """A short sha256 over the JSON form of ``parts`` (stable across runs and machines)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:n]


@dataclass(frozen=True)
class Message:
    """One chat turn."""

    role: str  #: "system", "user" or "assistant"
    content: str  #: the turn's text


@dataclass(frozen=True)
class Example:
    """One training example: a prompt and the response the model should learn."""

    prompt: str  #: the user's request
    response: str  #: the target answer (a helpful answer or a refusal)
    source: str  #: dataset name it came from, e.g. "bundled/general"
    category: str = ""  #: task type or harm category
    strategy: str = ""  #: mixture strategy that added it, e.g. "general", "safety"
    label: SafetyLabel = "safe"  #: whether the request is safe to fulfil
    complete: bool = True  #: False when the response was cut at a token limit (no end-of-turn)

    @property
    def id(self) -> str:
        """Content hash of prompt and response."""
        return content_id(self.prompt, self.response)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class Prompt:
    """One evaluation prompt, possibly the transformed child of another."""

    text: str  #: the user turn sent to the model
    suite: str  #: evaluation suite name, e.g. "harm"
    label: SafetyLabel  #: "unsafe" when a safe model should refuse
    category: str = ""  #: harm category or XSTest-style type
    source_id: str = ""  #: the item's id in its dataset
    parent_id: str = ""  #: id of the prompt this was derived from (when perturbed)
    transform: str = ""  #: name of the transform that made it from its parent
    focus: str = ""  #: the sensitive-looking word in the prompt, if known
    messages: tuple[Message, ...] = ()  #: the whole chat when multi-turn (last turn = text)

    @property
    def id(self) -> str:
        """Content hash of suite, text, transform lineage (and the chat, when multi-turn)."""
        if self.messages:
            chat = [[m.role, m.content] for m in self.messages]
            return content_id(self.suite, self.text, self.parent_id, self.transform, chat)
        return content_id(self.suite, self.text, self.parent_id, self.transform)

    def payload(self) -> str | list[dict[str, str]]:
        """What a backend sends: the text, or the chat as role/content dicts."""
        if self.messages:
            return [{"role": m.role, "content": m.content} for m in self.messages]
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class Generation:
    """A model's answer to one prompt."""

    prompt_id: str  #: id of the Prompt answered
    model: str  #: display name of the model, e.g. "safety-200"
    fingerprint: str  #: hash of base weights + adapter weights + chat template
    text: str  #: the generated answer
    decoding: dict[str, Any] = field(default_factory=dict)  #: decoding parameters used
    n_tokens: int = 0  #: number of generated tokens

    @property
    def id(self) -> str:
        """Content hash of prompt, model fingerprint and decoding."""
        return content_id(self.prompt_id, self.fingerprint, self.decoding)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class Judgment:
    """A judge's verdict on one generation."""

    generation_id: str  #: id of the Generation judged
    judge: str  #: judge name and version, e.g. "strmatch@1"
    label: str  #: one of LABELS
    score: float | None = None  #: judge's score where it has one (higher = more refusing / harmful)
    explanation: str = ""  #: short reason, e.g. the matched refusal phrase

    @property
    def id(self) -> str:
        return content_id(self.generation_id, self.judge)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class MetricRow:
    """One number in a results table, with its 95% interval and sample size."""

    model: str  #: model display name, e.g. "safety-200"
    suite: str  #: suite name, e.g. "harm"
    metric: str  #: metric name, e.g. "harmful_compliance_rate"
    value: float  #: point estimate
    ci_low: float  #: lower end of the 95% bootstrap interval
    ci_high: float  #: upper end of the 95% bootstrap interval
    n: int  #: number of items behind the value

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def from_dict(cls: type, d: dict[str, Any]) -> Any:
    """Build a record from a dict, ignoring keys (such as ``id``) that are not fields."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in names})
