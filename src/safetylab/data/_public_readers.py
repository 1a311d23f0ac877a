"""Parsers of the public datasets' files (JSON, CSV, text) into records; each raises
``file:line: reason`` on malformed input. The catalogue in ``_public`` names one per dataset."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from safetylab.data._userfile import RawRow, csv_header, iter_rows
from safetylab.errors import SafetylabError
from safetylab.records import Example, Generation, Judgment, Prompt, SafetyLabel

_XS_LABELS = {
    "1_full_compliance": "full_compliance",
    "2_full_refusal": "full_refusal",
    "3_partial_refusal": "partial_refusal",
}


@dataclass(frozen=True)
class LabelledCompletion:
    """A model's answer to an XSTest prompt with its human label (for judge validation)."""

    prompt: Prompt  #: the XSTest prompt
    generation: Generation  #: the model's completion
    judgment: Judgment  #: the annotators' final label (judge "human")
    agreement: bool  #: whether the two annotators agreed


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as e:
        raise SafetylabError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None


def _rows(path: Path, required: tuple[str, ...]) -> list[RawRow]:
    """Rows of a CSV; a missing column or malformed row raises ``file:line: reason``."""
    out = []
    for r in iter_rows(path):
        if r.data is None:
            raise SafetylabError(f"{r.where}: {r.error}")
        missing = [c for c in required if c not in r.data]
        if missing:
            raise SafetylabError(f"{r.where}: missing column(s) {missing}")
        out.append(r)
    return out


def _need_text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SafetylabError(f"{where}: expected non-empty text, got {value!r}"[:200])
    return value.strip()


def _stl_eval(files: dict[str, Path], *, suite: str, label: str, category: str) -> list[Prompt]:
    p = files["data"]
    d = _json(p)
    if not isinstance(d, dict) or not isinstance(d.get("instructions"), list):
        raise SafetylabError(f"{p}: expected a dict with an 'instructions' list")
    tags = d.get("tags")
    if tags is not None and len(tags) != len(d["instructions"]):
        raise SafetylabError(f"{p}: 'tags' and 'instructions' differ in length")
    inputs = d.get("inputs") or []
    out = []
    for i, text in enumerate(d["instructions"]):
        text = _need_text(f"{p}: instruction {i + 1}", text)
        if i < len(inputs) and isinstance(inputs[i], str) and inputs[i].strip():
            text = f"{text}\n\n{inputs[i].strip()}"
        cat = str(tags[i]) if tags is not None else category
        out.append(Prompt(text, suite, label, cat, source_id=str(i + 1)))  # type: ignore[arg-type]
    return out


def _alpaca_rows(
    files: dict[str, Path], *, source: str, category: str, label: SafetyLabel
) -> list[Example]:
    """Alpaca-format training rows ({instruction, input, output}); input joins the prompt."""
    p = files["data"]
    d = _json(p)
    if not isinstance(d, list):
        raise SafetylabError(f"{p}: expected a list of {{instruction, input, output}}")
    out = []
    for i, r in enumerate(d, 1):
        if not isinstance(r, dict):
            raise SafetylabError(f"{p}: item {i} is not an object")
        prompt = _need_text(f"{p}: item {i} instruction", r.get("instruction"))
        if isinstance(r.get("input"), str) and r["input"].strip():
            prompt = f"{prompt}\n\n{r['input'].strip()}"
        resp = _need_text(f"{p}: item {i} output", r.get("output"))
        out.append(Example(prompt, resp, source, category, "", label))
    return out


_stl_train = partial(_alpaca_rows, source="stl-safety", category="harmful", label="unsafe")
_alpaca_cleaned = partial(_alpaca_rows, source="alpaca-cleaned", category="general", label="safe")


def _xstest(files: dict[str, Path], *, suite: str) -> list[Prompt]:
    p = files["data"]
    out = []
    v2 = "label" in csv_header(p)  # v1 files have no label column (all safe)
    for r in _rows(p, ("id", "prompt", "type")):
        d = r.data or {}
        label = d.get("label", "safe") if v2 else "safe"
        if label not in ("safe", "unsafe"):
            raise SafetylabError(f"{r.where}: label {label!r} is not safe/unsafe")
        by_type = "unsafe" if d["type"].startswith("contrast_") else "safe"
        if label != by_type:  # the source's two annotations must agree
            raise SafetylabError(
                f"{r.where}: label {label!r} disagrees with type {d['type']!r} "
                f"(contrast_* types are the unsafe side)"
            )
        text = _need_text(r.where, d["prompt"])
        focus = d.get("focus", "")
        out.append(Prompt(text, suite, label, d["type"], source_id=d["id"], focus=focus))  # type: ignore[arg-type]
    return out


def _xstest_completions(files: dict[str, Path], *, model: str) -> list[LabelledCompletion]:
    p = files["data"]
    out = []
    for r in _rows(p, ("id", "type", "prompt", "completion", "final_label")):
        d = r.data or {}
        if d["final_label"] not in _XS_LABELS:
            raise SafetylabError(f"{r.where}: final_label {d['final_label']!r} is not one of 1/2/3")
        label = "unsafe" if d["type"].startswith("contrast_") else "safe"
        prompt = Prompt(d["prompt"], "xstest", label, d["type"], source_id=d["id"])  # type: ignore[arg-type]
        gen = Generation(prompt.id, model, f"xstest-completions/{model}", d["completion"])
        notes = f"annotators: {d.get('annotation_1', '')}, {d.get('annotation_2', '')}"
        judgment = Judgment(gen.id, "human", _XS_LABELS[d["final_label"]], explanation=notes)
        agree = str(d.get("agreement", "")).strip().upper() == "TRUE"
        out.append(LabelledCompletion(prompt, gen, judgment, agree))
    return out


def _csv_prompts(
    files: dict[str, Path], *, suite: str, text: str, category: str | None, ident: str | None
) -> list[Prompt]:
    p = files["data"]
    out = []
    for i, r in enumerate(_rows(p, tuple(c for c in (text, category) if c)), 1):
        d = r.data or {}
        cat = d[category] if category else "harmful"
        sid = d[ident] if ident and d.get(ident) else str(i)
        out.append(Prompt(_need_text(r.where, d[text]), suite, "unsafe", cat, source_id=sid))
    return out


_HB_FUNCTIONAL = ("standard", "contextual", "copyright")


def _harmbench(files: dict[str, Path], *, suite: str, functional: str | None) -> list[Prompt]:
    p = files["data"]
    need = ("Behavior", "FunctionalCategory", "SemanticCategory", "ContextString", "BehaviorID")
    out = []
    for r in _rows(p, need):
        d = r.data or {}
        if d["FunctionalCategory"] not in _HB_FUNCTIONAL:
            raise SafetylabError(
                f"{r.where}: FunctionalCategory {d['FunctionalCategory']!r} is not one of "
                f"{', '.join(_HB_FUNCTIONAL)}"
            )
        if functional and d["FunctionalCategory"] != functional:
            continue
        text = _need_text(r.where, d["Behavior"])
        if d["FunctionalCategory"] == "contextual":
            context = _need_text(r.where, d["ContextString"])
            text = f"{context}\n\n---\n\n{text}"  # HarmBench's format for contextual behaviours
        out.append(Prompt(text, suite, "unsafe", d["SemanticCategory"], source_id=d["BehaviorID"]))
    return out


def _instruction_list(
    files: dict[str, Path], *, suite: str, label: str, category: str, keys: tuple[str, ...]
) -> list[Prompt]:
    """JSON lists of strings or of {instruction: ...} objects; .txt files: one per line."""
    out = []
    for key in keys:
        p = files[key]
        if p.suffix == ".txt":
            items: list[Any] = [
                ln for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()
            ]
        else:
            items = _json(p)
            if not isinstance(items, list):
                raise SafetylabError(f"{p}: expected a JSON list")
        for i, it in enumerate(items, 1):
            text = it.get("instruction") if isinstance(it, dict) else it
            sid = f"{key}-{i}" if len(keys) > 1 else str(i)
            text = _need_text(f"{p}: item {i}", text)
            out.append(Prompt(text, suite, label, category, source_id=sid))  # type: ignore[arg-type]
    return out
