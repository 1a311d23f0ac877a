"""The bundled, project-written data sets (train and eval splits are separate files).

safetylab ls            # lists them with sizes
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from safetylab.records import Example, Prompt, SafetyLabel
from safetylab.registry import datasets
from safetylab.store import read_jsonl

T = TypeVar("T")

BUNDLED_DIR = Path(__file__).parent / "bundled"

#: What a data set's records are for: scoring, training, judge validation, or prompts only.
Kind = Literal["eval", "train", "judge", "prompts"]

_FILES = {
    "embodied": (
        "eval/embodied.jsonl",
        "120 robot instructions in 60 safe/unsafe context pairs (eval)",
    ),
    "mcq": (
        "eval/mcq.jsonl",
        "240 multiple-choice questions, 12 subjects, capability retention (eval)",
    ),
    "general": ("train/general.jsonl", "400 general instructions over 19 task types (train)"),
    "safety": ("train/safety.jsonl", "300 harmful requests with refusals that say why (train)"),
    "sensitive-train": (
        "train/sensitive_train.jsonl",
        "60 safe-but-sensitive prompts with answers (train)",
    ),
    "sensitive-more": (
        "train/sensitive_more.jsonl",
        "240 more safe-but-sensitive prompts with answers (train)",
    ),
    "context-pairs": (
        "train/context_pairs.jsonl",
        "160 intent/context minimal pairs, 10 categories (train)",
    ),
    "harmful": ("eval/harmful.jsonl", "120 held-out harmful requests, 12 harm categories (eval)"),
    "sensitive-safe": (
        "eval/sensitive_safe.jsonl",
        "200 safe prompts that look sensitive, 8 XSTest-like types (eval)",
    ),
    "sensitive-unsafe": (
        "eval/sensitive_unsafe.jsonl",
        "120 unsafe contrast twins of sensitive-safe prompts (eval)",
    ),
    "helpful": ("eval/helpful.jsonl", "80 held-out plain instructions (eval)"),
    "dualuse": (
        "eval/dualuse.jsonl",
        "80 professional requests, legitimate and malicious sides (eval)",
    ),
}


class BundledDataset:
    """A bundled JSONL file; the registry holds one per file, called like a public dataset's
    loader: ``datasets.get("bundled/harmful")()`` gives its records."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rel, self.description = _FILES[name]
        self.split = self.rel.split("/")[0]

    @property
    def path(self) -> Path:
        return BUNDLED_DIR / self.rel

    @property
    def kind(self) -> Kind:
        return bundled_kind(self.name)

    def rows(self) -> list[dict[str, Any]]:
        """The file's rows as written (its own column names)."""
        return read_jsonl(self.path)

    def __call__(self, source: str | Path | None = None) -> list[Any]:
        """The rows as records (``source`` is ignored: bundled files ship with safetylab)."""
        return bundled_records(self.name)


for _name, (_rel, _desc) in _FILES.items():
    datasets.register(f"bundled/{_name}", description=_desc)(BundledDataset(_name))


def load_bundled(name: str) -> list[dict[str, Any]]:
    """Rows of a bundled data set by short name (``general``, ``harmful``, ...)."""
    return BundledDataset(name).rows()


def _spread(
    items: list[T], group: Callable[[T], str], ident: Callable[[T], str], n: int | None
) -> list[T]:
    """The one round-robin sampler: up to ``n`` items taken evenly across groups, in id order
    (deterministic); all of them, in their own order, when ``n`` is None or not below their
    number."""
    if n is None or n >= len(items):
        return items
    groups: dict[str, list[T]] = defaultdict(list)
    for r in sorted(items, key=ident):
        groups[group(r)].append(r)
    out: list[T] = []
    i = 0
    while len(out) < n:
        for g in sorted(groups):
            if i < len(groups[g]) and len(out) < n:
                out.append(groups[g][i])
        i += 1
    return out


def round_robin(rows: list[dict[str, Any]], key: str, n: int | None) -> list[dict[str, Any]]:
    """Up to ``n`` rows taken evenly across ``key`` groups, in id order (deterministic)."""
    return _spread(rows, lambda r: r[key], lambda r: r["id"], n)


def bundled_prompts(
    name: str, suite: str, n: int | None = None, group: Callable[[Prompt], str] | None = None
) -> list[Prompt]:
    """An eval file's Prompts (see ``bundled_records``) for ``suite``: up to ``n``, taken evenly
    across categories (or ``group`` of a Prompt) in id order. Consumers need not know the file's
    column names."""
    key = group or (lambda p: p.category)
    picked = _spread(bundled_records(name), key, lambda p: p.source_id, n)
    return [dataclasses.replace(p, suite=suite) for p in picked]


@dataclasses.dataclass(frozen=True)
class MCQuestion:
    """One multiple-choice question of the bundled ``mcq`` set."""

    id: str
    subject: str
    question: str
    choices: tuple[str, ...]
    answer: int  #: index of the right choice


def mcq_questions(n: int | None = None) -> list[MCQuestion]:
    """The ``mcq`` set's questions: up to ``n``, taken evenly across subjects in id order."""
    qs = [
        MCQuestion(r["id"], r["subject"], r["question"], tuple(r["choices"]), int(r["answer"]))
        for r in BundledDataset("mcq").rows()
    ]
    return _spread(qs, lambda q: q.subject, lambda q: q.id, n)


@dataclasses.dataclass(frozen=True)
class PairedPrompt:
    """A bundled prompt and the minimal-pair id it shares with its twin (its own id when it has
    none)."""

    prompt: Prompt
    pair: str


_PAIR_SIDES: tuple[tuple[str, SafetyLabel], ...] = (("legit", "safe"), ("harmful", "unsafe"))


def paired_prompts(short: str) -> list[PairedPrompt]:
    """``sensitive-safe``, ``sensitive-unsafe`` or ``context-pairs`` as paired Prompts, file order
    (a context pair gives its legitimate then its harmful side)."""
    name = f"bundled/{short}"
    if short == "context-pairs":
        return [
            PairedPrompt(Prompt(r[f"{side}_prompt"], name, label, r["category"], r["id"]), r["id"])
            for r in BundledDataset(short).rows()
            for side, label in _PAIR_SIDES
        ]
    if short not in ("sensitive-safe", "sensitive-unsafe"):
        raise ValueError(f"paired_prompts: {short!r} has no minimal pairs")
    rows = BundledDataset(short).rows()
    return [
        PairedPrompt(p, r.get("contrast_id") or r["id"])
        for p, r in zip(bundled_records(short), rows, strict=True)
    ]


def sensitive_pairs(n: int | None = None) -> list[tuple[Prompt, Prompt]]:
    """(safe, unsafe) twins of ``sensitive-safe``/``sensitive-unsafe``: up to ``n`` unsafe sides,
    taken evenly across their types in id order, each with the safe prompt it contrasts."""
    safe = {p.source_id: p for p in bundled_records("sensitive-safe")}
    twin = {r["id"]: r["contrast_of"] for r in BundledDataset("sensitive-unsafe").rows()}
    unsafe = _spread(
        bundled_records("sensitive-unsafe"), lambda p: p.category, lambda p: p.source_id, n
    )
    return [(safe[twin[u.source_id]], u) for u in unsafe]


_BUNDLED_KIND: dict[str, Kind] = {
    "general": "prompts",
    "safety": "train",
    "sensitive-train": "train",
    "sensitive-more": "train",
    "context-pairs": "train",
}


def bundled_kind(short: str) -> Kind:
    return _BUNDLED_KIND.get(short, "eval")


_META_KEYS: tuple[str, ...] = ("topic", "type", "focus", "category")
_CAT_KEYS = ("category", "type", "task_type", "domain", "setting", "subject")
_UNSAFE_SIDES = {"unsafe", "malicious", "harmful"}


def bundled_records(short: str) -> list[Any]:
    """A bundled file as records: Prompts for eval files (and the answerless general set),
    Examples for training files (a context pair gives a helpful and a refusing Example)."""
    name = f"bundled/{short}"
    out: list[Any] = []
    for r in BundledDataset(short).rows():
        if short == "safety":
            out.append(Example(r["prompt"], r["refusal"], name, r["category"], "", "unsafe"))
        elif short in ("sensitive-train", "sensitive-more"):
            out.append(Example(r["prompt"], r["response"], name, r["type"], "", "safe"))
        elif short == "context-pairs":
            cat = r["category"]
            out.append(Example(r["legit_prompt"], r["legit_response"], name, cat, "", "safe"))
            out.append(Example(r["harmful_prompt"], r["refusal"], name, cat, "", "unsafe"))
        else:  # eval files (and general): one Prompt per row
            text = r.get("prompt") or r.get("instruction") or r.get("question") or ""
            if isinstance(r.get("choices"), list):
                text += "".join(f"\n{chr(65 + i)}. {c}" for i, c in enumerate(r["choices"]))
            unsafe = short in ("harmful", "sensitive-unsafe") or r.get("side") in _UNSAFE_SIDES
            cat = next((str(r[k]) for k in _CAT_KEYS if k in r), "")
            label: SafetyLabel = "unsafe" if unsafe else "safe"
            out.append(Prompt(text, name, label, cat, r["id"], focus=r.get("focus", "")))
    return out


def bundled_eval_names() -> list[str]:
    """Every bundled evaluation file, as ``bundled/<name>``."""
    return [e.name for e in datasets if isinstance(e.obj, BundledDataset) and e.obj.split == "eval"]


def bundled_meta(short: str) -> list[dict[str, str]]:
    """Per-record extra fields (topic, type, focus) parallel to ``bundled_records``."""
    out: list[dict[str, str]] = []
    for r in BundledDataset(short).rows():
        m: dict[str, str] = {k: str(r[k]) for k in _META_KEYS if k in r}
        out.extend(
            [{**m, "side": "legit"}, {**m, "side": "harmful"}] if short == "context-pairs" else [m]
        )
    return out
