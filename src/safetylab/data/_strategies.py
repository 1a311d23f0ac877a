"""Mixture strategies: safety-only, balanced, context-aware and multi-task, with format and
refusal-style variants; deduplicated, decontaminated, deterministic for a seed, with a data card.

safetylab data mix mix-context-aware --out runs/mix/context.jsonl
safetylab data mix src/safetylab/configs/mix-paper-grid.yaml --out mix.jsonl --source DIR

- safety-only (SIT): safety demonstrations only.
- balanced: general instructions + N safety demonstrations (N a count, a fraction of the
  mixture such as 0.03, or a grid of either; one file per grid value, ``FILE.n100.jsonl``).
- context-aware: minimal pairs (legitimate side -> helpful answer, harmful side -> refusal;
  ``n`` counts pairs) plus safe-but-sensitive prompts with answers; general/safety optional.
- multi-task: the response task plus auxiliary tasks made from the same rows: ``classify``
  (safe/unsafe and category) and ``explain`` (why a request is harmful or fine), each with its
  share of the mixture.

Variants: ``format`` rephrases safety prompts as questions or instructions; ``refusal_style``
makes refusals ``terse`` (first sentence) or ``reasoned`` (reason and a safe alternative).
Dedup and the contamination check run over the candidate pools before sampling, so every grid
mixture gets exactly its counts and the safety rows are nested across N.
"""

from __future__ import annotations

import dataclasses
import difflib
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetylab._build import Share, build_config
from safetylab._yaml import PRESETS_DIR, read_yaml_mapping
from safetylab.data._bundled import BundledDataset, bundled_meta, bundled_records
from safetylab.data._card import build_card, jsonl_bytes, removed_list
from safetylab.data._dedup import contamination, dedup, eval_items
from safetylab.data._public import (
    is_available,
    load_public_with_files,
    public_spec,
)
from safetylab.data._userfile import Columns, load_user_file, sha256_path
from safetylab.errors import SafetylabError
from safetylab.records import Example

STRATEGIES = ("safety-only", "balanced", "context-aware", "multi-task")
ROLES = ("context", "sensitive", "safety", "general")  # also the dedup keep-first priority
FORMATS = ("as-is", "question", "instruction", "mixed")
REFUSAL_STYLES = ("as-is", "terse", "reasoned")
TASKS = ("response", "classify", "explain")
_DEFAULT_LABEL = {"general": "safe", "safety": "unsafe", "sensitive": "safe", "context": "safe"}
_BUNDLED_LABELS = {
    "safety": "unsafe: every item (project-written harmful requests with refusals)",
    "sensitive-train": "safe: every item (project-written sensitive-sounding prompts with answers)",
    "context-pairs": "per pair: the legitimate side safe (helpful answer), the harmful side "
    "unsafe (refusal); project-written",
}
_DEFAULTS = {
    "safety-only": {"safety": "bundled/safety"},
    "context-aware": {"context": "bundled/context-pairs", "sensitive": "bundled/sensitive-train"},
}


@dataclass
class SourceSpec:
    """One input of a mixture: a registered dataset or a user file."""

    dataset: str | None = None  #: dataset name, e.g. "stl-safety", "bundled/safety"
    file: str | None = None  #: user file: JSON, JSONL, CSV, Parquet or a saved dataset folder
    n: int | None = None  #: rows to draw (pairs for context); default all
    instruction_col: str | None = None  #: user file: request column
    input_col: str | None = None  #: user file: extra input column
    output_col: str | None = None  #: user file: answer column
    messages_col: str | None = None  #: user file: chat column
    label_col: str | None = None  #: user file: safe/unsafe column
    category_col: str | None = None  #: user file: category column
    split: str | None = None  #: saved dataset: split to read
    skip_bad_rows: bool = False  #: user file: skip (and count) malformed rows

    def columns(self) -> Columns:
        return Columns(
            self.instruction_col, self.input_col, self.output_col,
            self.messages_col, self.label_col, self.category_col,
        )  # fmt: skip

    def display(self) -> str:
        return self.dataset or f"file:{self.file}"


@dataclass
class MixConfig:
    """A mixture recipe (YAML); see the module doc for the strategies."""

    strategy: str = "balanced"  #: safety-only, balanced, context-aware or multi-task
    seed: int = 0  #: sampling, variants and order
    general: SourceSpec | None = None  #: general instructions with answers
    safety: SourceSpec | None = None  #: harmful requests with refusals
    n_safety: Any = None  #: count, fraction of the mixture (0<f<1), or a grid list; default all
    context: SourceSpec | None = None  #: minimal pairs, both sides (context-aware)
    sensitive: SourceSpec | None = None  #: safe-but-sensitive prompts with answers
    tasks: dict[str, float] = field(default_factory=lambda: {"response": 1.0})  #: task shares
    format: str = "as-is"  #: safety prompts as-is, as question, as instruction, or mixed
    refusal_style: str = "as-is"  #: refusals as-is, terse, or reasoned
    eval: Any = "all"  #: suites checked for contamination: "all" or a list of names/files
    dedup_threshold: Share | None = 0.8  #: near-duplicate Jaccard threshold (null: exact only)
    ngram: int = 8  #: word n-gram length of the contamination check
    source: str | None = None  #: folder of local copies of public datasets (like --source)
    name: str = ""  #: mixture name in the card (default: the config file's stem)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------- config


_FILE_ONLY = (
    "instruction_col", "input_col", "output_col", "messages_col", "label_col", "category_col",
    "split", "skip_bad_rows",
)  # fmt: skip
Where = Callable[..., str]


def key_lines(path: str | Path) -> dict[tuple[str, ...], int]:
    """1-based line of every mapping key of a YAML file, by key path (for error messages)."""
    import yaml

    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return {}
    out: dict[tuple[str, ...], int] = {}

    def walk(node: Any, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    out[prefix + (k.value,)] = k.start_mark.line + 1
                    walk(v, prefix + (k.value,))

    walk(root, ())
    return out


def _locator(where: str, lines: dict[tuple[str, ...], int] | None) -> Where:
    """``at(*keys)`` -> ``where:LINE`` when the key's line is known, else ``where``."""

    def at(*keys: str) -> str:
        for n in range(len(keys), 0, -1):
            if lines and keys[:n] in lines:
                return f"{where}:{lines[keys[:n]]}"
        return where

    return at


def _build_source(role: str, v: Any, at: Where) -> SourceSpec | None:
    if v is None:
        return None
    if isinstance(v, str):
        v = {"dataset": v}
    if not isinstance(v, dict):
        raise SafetylabError(f"{at(role)}: {role}: expected a dataset name or a mapping")
    names = [f.name for f in dataclasses.fields(SourceSpec)]
    for k in v:
        if k not in names:
            close = difflib.get_close_matches(k, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SafetylabError(f"{at(role, k)}: {role}: unknown option {k!r}{hint}")
    spec = SourceSpec(**v)
    if (spec.dataset is None) == (spec.file is None):
        raise SafetylabError(f"{at(role)}: {role}: give exactly one of dataset or file")
    if spec.n is not None and (
        isinstance(spec.n, bool) or not isinstance(spec.n, int) or spec.n < 0
    ):
        raise SafetylabError(f"{at(role, 'n')}: {role}: n must be a count >= 0")
    if spec.dataset is not None:
        for k in _FILE_ONLY:
            if k in v and v[k] not in (None, False):
                raise SafetylabError(
                    f"{at(role, k)}: {role}: option {k!r} is not used with dataset "
                    f"{spec.dataset!r} (it applies to file sources only)"
                )
    if role == "safety" and spec.n is not None:
        raise SafetylabError(
            f"{at(role, 'n')}: safety: option 'n' is not used (the number of safety rows is "
            f"the top-level n_safety); did you mean 'n_safety: {spec.n}'?"
        )
    return spec


def parse_mix_config(
    data: dict[str, Any],
    where: str = "config",
    lines: dict[tuple[str, ...], int] | None = None,
) -> MixConfig:
    """A validated MixConfig from a dict; errors name the option to fix (and its line when
    ``lines`` maps key paths to lines, see ``key_lines``). Unknown options and options the
    recipe would not use are errors, never silently ignored."""
    at = _locator(where, lines)
    names = [f.name for f in dataclasses.fields(MixConfig)]
    for k in data:
        if k not in names:
            close = difflib.get_close_matches(k, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SafetylabError(f"{at(k)}: unknown option {k!r}{hint}")
    kw = dict(data)
    strategy = kw.get("strategy", "balanced")
    if strategy not in STRATEGIES:
        close = difflib.get_close_matches(str(strategy), STRATEGIES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SafetylabError(
            f"{at('strategy')}: unknown strategy {strategy!r}{hint} (known: {', '.join(STRATEGIES)})"
        )
    for role, default in _DEFAULTS.get(strategy, {}).items():
        kw.setdefault(role, default)
    for role in ROLES:
        kw[role] = _build_source(role, kw.get(role), at)
    marks = {k: (line, 0) for k, line in (lines or {}).items()}  # types: the one builder
    cfg = build_config(MixConfig, kw, where, marks=marks)
    _validate(cfg, where, at)
    if cfg.format != "as-is" and cfg.safety is None:
        raise SafetylabError(
            f"{at('format')}: format {cfg.format!r} is not used: it rephrases safety prompts "
            "and there is no safety source"
        )
    if cfg.refusal_style != "as-is" and cfg.safety is None and cfg.context is None:
        raise SafetylabError(
            f"{at('refusal_style')}: refusal_style {cfg.refusal_style!r} is not used: no safety "
            "or context source has refusals"
        )
    return cfg


def _validate(cfg: MixConfig, where: str, at: Where | None = None) -> None:
    """Cross-option checks; ``at(key)`` adds the key's line where known."""
    at = at or (lambda *_: where)
    has = {r: getattr(cfg, r) is not None for r in ROLES}
    if cfg.strategy == "safety-only" and (has["general"] or has["context"] or has["sensitive"]):
        raise SafetylabError(f"{at('strategy')}: safety-only takes only a safety source")
    if cfg.strategy in ("safety-only", "balanced") and not has["safety"]:
        raise SafetylabError(f"{at('strategy')}: strategy {cfg.strategy} needs a safety source")
    if cfg.strategy == "balanced" and not has["general"]:
        raise SafetylabError(f"{at('strategy')}: strategy balanced needs a general source")
    if cfg.strategy == "context-aware" and not has["context"]:
        raise SafetylabError(f"{at('strategy')}: strategy context-aware needs a context source")
    if not any(has.values()):
        raise SafetylabError(f"{at('strategy')}: no sources (general, safety, context, sensitive)")
    if cfg.n_safety is not None:
        if not has["safety"]:
            raise SafetylabError(f"{at('n_safety')}: n_safety given without a safety source")
        for v in cfg.n_safety if isinstance(cfg.n_safety, list) else [cfg.n_safety]:
            _check_n(v, at("n_safety"))
        if isinstance(cfg.n_safety, list) and len(set(map(str, cfg.n_safety))) != len(cfg.n_safety):
            raise SafetylabError(f"{at('n_safety')}: n_safety grid has repeated values")
    if cfg.format not in FORMATS:
        raise SafetylabError(f"{at('format')}: format must be one of {', '.join(FORMATS)}")
    if cfg.refusal_style not in REFUSAL_STYLES:
        raise SafetylabError(
            f"{at('refusal_style')}: refusal_style must be one of {', '.join(REFUSAL_STYLES)}"
        )
    tasks = cfg.tasks
    if not isinstance(tasks, dict) or any(t not in TASKS for t in tasks):
        raise SafetylabError(f"{at('tasks')}: tasks must map {', '.join(TASKS)} to shares")
    if any(isinstance(v, bool) or not isinstance(v, int | float) or v <= 0 for v in tasks.values()):
        raise SafetylabError(f"{at('tasks')}: task shares must be numbers > 0")
    if "response" not in tasks or abs(sum(tasks.values()) - 1.0) > 1e-6:
        raise SafetylabError(f"{at('tasks')}: tasks need a response share and must sum to 1")
    if (cfg.strategy == "multi-task") != (len(tasks) > 1):
        raise SafetylabError(
            f"{at('tasks')}: auxiliary tasks (classify, explain) go with strategy multi-task, which needs one"
        )
    if cfg.dedup_threshold is not None and not 0 < cfg.dedup_threshold <= 1:
        raise SafetylabError(f"{at('dedup_threshold')}: dedup_threshold must be in (0, 1] or null")
    if isinstance(cfg.ngram, bool) or not isinstance(cfg.ngram, int) or cfg.ngram < 3:
        raise SafetylabError(f"{at('ngram')}: ngram must be an integer >= 3")
    if not (cfg.eval == "all" or isinstance(cfg.eval, list)):
        raise SafetylabError(
            f"{at('eval')}: eval must be 'all' or a list of suites, datasets or files"
        )


def _check_n(v: Any, where: str) -> None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise SafetylabError(f"{where}: n_safety {v!r} is not a count or a fraction")
    if isinstance(v, int) and v < 0:
        raise SafetylabError(f"{where}: n_safety {v} must be >= 0")
    if isinstance(v, float) and not 0 < v < 1:
        raise SafetylabError(
            f"{where}: n_safety {v} must be a fraction in (0, 1) or an integer count"
        )


def load_mix_config(path: str | Path) -> MixConfig:
    """A MixConfig from a YAML file or a shipped preset name (``mix-context-aware``, ...)."""

    p = Path(path)
    if not p.exists():
        preset = PRESETS_DIR / (p.name if p.suffix == ".yaml" else f"{p.name}.yaml")
        if p.parent == Path(".") and preset.exists():
            p = preset
        else:
            names = sorted(x.stem for x in PRESETS_DIR.glob("mix-*.yaml"))
            raise SafetylabError(f"{p}: no such file or preset (presets: {', '.join(names)})")
    data = read_yaml_mapping(p, "mixture options")
    data.setdefault("name", p.stem)
    return parse_mix_config(data, str(p), key_lines(p))


# ---------------------------------------------------------------- variants and auxiliary tasks

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


# ---------------------------------------------------------------- sources


@dataclass
class Pool:
    """The candidate rows of one role, before filtering and sampling."""

    role: str
    spec: SourceSpec
    rows: list[Example]
    meta: list[dict[str, str]]
    info: dict[str, Any]


def load_role(role: str, spec: SourceSpec, source: str | None) -> Pool:
    """A role's rows as Examples (strategy = role); answerless sets are refused by name."""
    info: dict[str, Any] = {"role": role, "name": spec.display()}
    if spec.file is not None:
        if role == "context" and not spec.label_col:
            raise SafetylabError(f"{role}: a user file for context pairs needs label_col")
        data = load_user_file(
            spec.file, spec.columns(), kind="train", skip_bad_rows=spec.skip_bad_rows,
            default_label=_DEFAULT_LABEL[role], source=f"file:{Path(spec.file).name}", split=spec.split,
        )  # fmt: skip
        rows = data.records
        meta: list[dict[str, str]] = [{} for _ in rows]
        info.update(files=[{"path": data.path, "sha256": data.sha256}], bad_rows=data.n_bad)
    else:
        name = spec.dataset or ""
        if name.startswith("bundled/"):
            from safetylab.registry import datasets

            datasets.get(name)
            short = name.split("/", 1)[1]
            rows, meta = bundled_records(short), bundled_meta(short)
            path = BundledDataset(short).path
            info["files"] = [{"path": f"bundled/{path.name}", "sha256": sha256_path(path)}]
            info["labels"] = _BUNDLED_LABELS.get(short, "set per item by the bundled file")
            if short == "context-pairs":
                meta = [{**m, "pair": str(i // 2)} for i, m in enumerate(meta)]
        else:
            spec_ = public_spec(name)
            try:
                rows, files = load_public_with_files(spec_.name, source)
            except SafetylabError as e:
                raise SafetylabError(f"{role}: {e}") from None
            meta = [{} for _ in rows]
            info["labels"] = spec_.labels  # what the label means and its known noise
            info["files"] = [
                {"path": str(f.path), "sha256": f.sha256, "pinned": f.pinned} for f in files
            ]
        if rows and not isinstance(rows[0], Example):
            raise SafetylabError(
                f"{role}: dataset {name!r} has no answers (prompts only); use a dataset or file "
                "with answers, e.g. alpaca-cleaned or {file: ..., output_col: ...}"
            )
    rows = [dataclasses.replace(r, strategy=role) for r in rows]
    info["n_loaded"] = len(rows)
    return Pool(role, spec, rows, meta, info)


# ---------------------------------------------------------------- build


@dataclass
class Mixture:
    """One built mixture and its data card."""

    name: str  #: the mixture's name (with the grid value when there is a grid)
    tag: str  #: file-name suffix for grid members ("n100", "f0.03"), "" otherwise
    examples: list[Example]  #: the rows, in final (seeded) order
    card: dict[str, Any]  #: the data card
    data: bytes = b""  #: the JSONL file's bytes (as written by ``write_mixture``)


def _apply_variants(pools: dict[str, Pool], cfg: MixConfig) -> dict[str, Any]:
    """Format and refusal-style variants, in place; returns what changed (for the card)."""
    done: dict[str, Any] = {"format": cfg.format, "refusal_style": cfg.refusal_style}
    if "safety" in pools and cfg.format != "as-is":
        rng = random.Random(f"{cfg.seed}:format")
        n_changed = 0
        rows = []
        for r in pools["safety"].rows:
            want = cfg.format if cfg.format != "mixed" else rng.choice(("question", "instruction"))
            p = as_question(r.prompt) if want == "question" else as_instruction(r.prompt)
            n_changed += p != r.prompt
            rows.append(dataclasses.replace(r, prompt=p))
        pools["safety"].rows = rows
        done["format_rephrased"] = n_changed
    if cfg.refusal_style != "as-is":
        n_changed = n_refusals = 0
        for role in ("safety", "context"):
            if role not in pools:
                continue
            rows = []
            for r in pools[role].rows:
                resp = r.response
                if r.label == "unsafe":
                    resp = restyle_refusal(r.response, cfg.refusal_style, r.category)
                    n_refusals += 1
                n_changed += resp != r.response
                rows.append(dataclasses.replace(r, response=resp))
            pools[role].rows = rows
        done["refusals_restyled"] = n_changed
        done["refusals_in_pools"] = n_refusals
        if cfg.refusal_style == "reasoned":
            done["refusals_restyled_note"] = (
                f"{n_changed} of {n_refusals} refusals got a reason added; the other "
                f"{n_refusals - n_changed} already stated one"
            )
    return done


def _grid(cfg: MixConfig) -> list[Any]:
    if cfg.safety is None:
        return [None]
    if cfg.n_safety is None:
        return ["all"]
    return list(cfg.n_safety) if isinstance(cfg.n_safety, list) else [cfg.n_safety]


def _tag(v: Any, grid: bool) -> str:
    if not grid or v in (None, "all"):
        return ""
    return f"f{v}" if isinstance(v, float) else f"n{v}"


def _sample_groups(
    idx: list[int], meta: list[dict[str, str]], n: int | None, rng: random.Random
) -> list[int]:
    """Up to ``n`` groups (context pairs stay together; other rows are their own group)."""
    groups: dict[str, list[int]] = {}
    for i in idx:
        groups.setdefault(meta[i].get("pair", f"row{i}"), []).append(i)
    keys = list(groups)
    rng.shuffle(keys)
    if n is not None:
        if n > len(keys):
            return []
        keys = keys[:n]
    return [i for k in keys for i in groups[k]]


def _check_sources(cfg: MixConfig, source: str | None) -> None:
    """Fail before any work when a public source is missing, naming every missing one."""
    missing = []
    for role in ROLES:
        spec = getattr(cfg, role)
        if spec is None or spec.dataset is None or spec.dataset.startswith("bundled/"):
            continue
        name = public_spec(spec.dataset).name
        if not is_available(name, source):
            where = f"under --source {source}" if source else "in the cache"
            missing.append(f"{role} source {name!r} is not {where}")
    if missing:
        hint = (
            "run `safetylab data fetch NAME` (needs network), pass --source DIR, or use {file: ...}"
        )
        raise SafetylabError(f"{'; '.join(missing)}: {hint}")


def build_mixtures(cfg: MixConfig, *, source: str | None = None) -> list[Mixture]:
    """Build every mixture of ``cfg`` (one per n_safety grid value); deterministic for the seed."""
    src = source or cfg.source
    _check_sources(cfg, src)
    evals, checked, skipped = eval_items(cfg.eval, src)
    pools = {r: load_role(r, getattr(cfg, r), src) for r in ROLES if getattr(cfg, r) is not None}
    variants = _apply_variants(pools, cfg)

    rows: list[Example] = []
    metas: list[dict[str, str]] = []
    for p in pools.values():
        rows += p.rows
        metas += p.meta
    d = dedup([r.prompt for r in rows], [r.label for r in rows], threshold=cfg.dedup_threshold)
    hits = contamination([(rows[i].prompt, rows[i].response) for i in d.keep], evals, n=cfg.ngram)
    bad = {d.keep[h.index]: h for h in hits}
    clean = [i for i in d.keep if i not in bad]

    def row_note(i: int) -> dict[str, Any]:
        return {"role": rows[i].strategy, "source": rows[i].source, "prompt": rows[i].prompt[:120]}

    dedup_card = {
        "method": "normalised prompt; exact, then MinHash/LSH near-duplicates (char 5-gram "
        "shingles, 120 hashes, 20 bands x 6 rows, exact Jaccard check); labels must agree",
        "scope": "candidate pools before sampling",
        "threshold": cfg.dedup_threshold,
        "n_in": len(rows),
        "n_exact": d.n_exact,
        "n_near": d.n_near,
        "removed": removed_list(
            [
                {
                    **row_note(r.index),
                    "duplicate_of": rows[int(r.match)].prompt[:120],
                    "reason": r.reason,
                }
                for r in d.removed
            ]
        ),
    }
    by_suite = Counter(h.suite for h in hits)
    contam_card = {
        "method": f"normalised prompt equal to an eval prompt, or a shared word {cfg.ngram}-gram (prompt or response)",
        "scope": "candidate pools after dedup, before sampling",
        "suites_checked": checked,
        "suites_skipped": skipped,
        "n_eval_prompts": len(evals),
        "n_removed": len(hits),
        "removed_by_suite": dict(sorted(by_suite.items())),
        "removed": [
            {**row_note(i), "matched": h.match, "reason": h.reason} for i, h in sorted(bad.items())
        ],
    }

    by_role = {r: [i for i in clean if rows[i].strategy == r] for r in pools}
    chosen: dict[str, list[int]] = {}
    for role, idx in by_role.items():
        rng = random.Random(f"{cfg.seed}:{role}")
        n = None if role == "safety" else pools[role].spec.n
        pick = _sample_groups(idx, metas, n, rng)
        if n is not None and not pick and n > 0:
            lost = pools[role].info["n_loaded"] - len(idx)
            raise SafetylabError(
                f"{role}: asked for {n} from {pools[role].spec.display()}, only {len(idx)} left "
                f"({lost} removed as duplicates or contaminated)"
            )
        chosen[role] = pick

    out = []
    base = [i for r in ROLES if r != "safety" for i in chosen.get(r, [])]
    for v in _grid(cfg):
        safety = chosen.get("safety", [])
        n_s = len(safety) if v in (None, "all") else v
        if isinstance(v, float):
            n_s = round(v * len(base) / (1 - v)) if base else round(v * len(safety))
        if n_s > len(safety):
            lost = pools["safety"].info["n_loaded"] - len(safety)
            raise SafetylabError(
                f"n_safety {v}: needs {n_s} safety rows, {pools['safety'].spec.display()} has "
                f"{len(safety)} left ({lost} removed as duplicates or contaminated)"
            )
        take = base + safety[:n_s]
        mix = [rows[i] for i in take]
        tag = _tag(v, isinstance(cfg.n_safety, list))
        if cfg.strategy == "multi-task":
            mix += aux_examples([(rows[i], metas[i]) for i in take], cfg.tasks, cfg.seed, tag)
        random.Random(f"{cfg.seed}:order:{tag}").shuffle(mix)
        used = Counter(rows[i].strategy for i in take)
        sources = [
            {**p.info, "n_after_filters": len(by_role[r]), "n_used": used.get(r, 0)}
            for r, p in pools.items()
        ]
        name = f"{cfg.name or 'mixture'}{'.' + tag if tag else ''}"
        data = jsonl_bytes(mix)
        card = build_card(
            mix, name=name, strategy=cfg.strategy, seed=cfg.seed, config=cfg.to_dict(),
            sources=sources, dedup=dedup_card, contamination=contam_card,
            variants={**variants, "n_safety": n_s, "tasks": cfg.tasks}, file_bytes=data,
        )  # fmt: skip
        out.append(Mixture(name, tag, mix, card, data))
    return out


def output_path(out: str | Path, tag: str) -> Path:
    """``FILE`` for a single mixture; ``FILE`` with ``.TAG`` before the suffix for a grid."""
    p = Path(out)
    if not tag:
        return p
    return p.with_name(f"{p.stem}.{tag}{p.suffix}" if p.suffix else f"{p.name}.{tag}")
