"""One typed builder for every config dataclass (demo, train, eval, mixture, probe, study).

    from safetylab.config import build_config, load_config_file
    cfg = build_config(EvalConfig, {"n": "40", "seed": 0}, "eval options")
    cfg = load_config_file(DemoConfig, "my.yaml", "demo options")

Values are validated and coerced by pydantic (lax mode) from the dataclass annotations, so
``lr: 3e-4`` (a string to YAML 1.1) becomes a float everywhere, a number given for a text
option becomes text (``name: 2024``), ``seed: abc`` is refused, NaN and infinity are refused
for every float (and anywhere in an untyped option), and constraints written into the annotations
(``Count``, ``Positive``, ``Fraction`` below) hold. Unknown keys get a did-you-mean hint. Every
error is one line: ``file:line:column: option: reason`` (or ``--option: reason`` for flags).
Checks across fields stay in each config's own ``validate``/``check`` function.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

from annotated_types import Ge, Gt, Le, Lt

from safetylab._yaml import read_yaml_marks
from safetylab.errors import SafetylabError

T = TypeVar("T")

#: An integer >= 0 (a size or count where 0 means none or all).
Count = Annotated[int, Ge(0)]
#: An integer > 0.
Positive = Annotated[int, Gt(0)]
#: A float > 0.
PositiveFloat = Annotated[float, Gt(0)]
#: A float >= 0.
NonNegativeFloat = Annotated[float, Ge(0)]
#: A float in (0, 1].
Share = Annotated[float, Gt(0), Le(1)]
#: A float in [0, 1).
Fraction = Annotated[float, Ge(0), Lt(1)]

Loc = tuple[str | int, ...]


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _strip(tp: Any) -> tuple[Any, bool]:
    """(the type without Annotated and Optional, whether None is allowed)."""
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            inner, _ = _strip(args[0])
            return inner, True
    return tp, False


@functools.cache
def _adapter(cls: type) -> Any:
    from pydantic import ConfigDict, TypeAdapter

    seen: set[type] = set()

    def configure(c: type) -> None:
        if c in seen or not dataclasses.is_dataclass(c):
            return
        seen.add(c)
        c.__pydantic_config__ = ConfigDict(  # type: ignore[attr-defined]
            allow_inf_nan=False, extra="forbid", coerce_numbers_to_str=True
        )
        for tp in _hints(c).values():
            inner, _ = _strip(tp)
            if isinstance(inner, type):
                configure(inner)

    configure(cls)
    return TypeAdapter(cls)


def _did_you_mean(key: Any, known: list[str]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Error(Exception):
    def __init__(self, loc: Loc, reason: str) -> None:
        super().__init__(reason)
        self.loc, self.reason = loc, reason


def _prepare(cls: type, data: Any, loc: Loc) -> dict[str, Any]:
    """Unknown keys refused (did-you-mean); YAML 1.1 quirks undone before pydantic sees them:
    a bare on/off (a boolean to YAML) for a text option is "on"/"off" again, one name for a
    list of names is a one-item list; a boolean is refused where a number is expected."""
    if not isinstance(data, Mapping):
        raise _Error(loc, f"expected a mapping of options, got {type(data).__name__}")
    hints = _hints(cls)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in hints:
            hint = _did_you_mean(key, list(hints))
            raise _Error((*loc, str(key)), f"unknown option {str(key)!r}{hint}")
        tp, _ = _strip(hints[key])
        here = (*loc, key)
        bad = _not_finite(value)
        if bad is not None:
            raise _Error((*here, *bad[0]), f"{_REASONS['finite_number']}, got {bad[1]!r}")
        if tp in (int, float) and isinstance(value, bool):
            raise _Error(here, f"must be a number, got {value!r}")
        if tp is not Any and isinstance(tp, type) and isinstance(value, tp):
            pass  # already built (e.g. a mixture's SourceSpec)
        elif dataclasses.is_dataclass(tp) and isinstance(tp, type) and value is not None:
            value = _prepare(tp, value, here)
        elif tp is str and isinstance(value, bool):
            value = "on" if value else "off"
        elif typing.get_origin(tp) is list and isinstance(value, str):
            (item,) = typing.get_args(tp) or (Any,)
            if _strip(item)[0] is str:
                value = [value]
        out[key] = value
    return out


def _not_finite(value: Any) -> tuple[Loc, float] | None:
    """Where a NaN or infinity sits in ``value`` (also in untyped options), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return (), value
    items: Any = ()
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for k, v in items:
        found = _not_finite(v)
        if found is not None:
            return (k, *found[0]), found[1]
    return None


def _dotted(loc: Loc) -> str:
    """``train.lr``; a key that would not read plainly (newline, blank) is quoted."""
    parts = [str(x) for x in loc]
    return ".".join(p if p.isprintable() and p.strip() == p and p else repr(p) for p in parts)


def _message(
    where: str, loc: Loc, reason: str, marks: Mapping[Any, tuple[int, int]] | None, flags: bool
) -> str:
    if flags and loc:
        return f"--{str(loc[0]).replace('_', '-')} {reason}"
    mark = ""
    for n in range(len(loc), 0, -1):  # the deepest located part of the option
        if marks and loc[:n] in marks:
            line, col = marks[loc[:n]]
            mark = f":{line}:{col}" if col else f":{line}"
            break
    option = f" {_dotted(loc)}:" if loc else ""
    return f"{where}{mark}:{option} {reason}"


_REASONS = {
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "int_type": "must be an integer",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number (not NaN or infinity)",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "dataclass_type": "must be a mapping of options",
}


def _metadata(cls: type, loc: Loc) -> list[Any]:
    """The Annotated constraints of the option at ``loc`` (list indices skipped)."""
    tp: Any = cls
    for key in loc:
        inner, _ = _strip(tp)
        if isinstance(key, int):
            args = typing.get_args(inner)
            tp = args[0] if args else Any
        elif dataclasses.is_dataclass(inner) and isinstance(inner, type):
            tp = _hints(inner).get(key, Any)
        else:
            return []
    meta: list[Any] = []
    while True:
        if typing.get_origin(tp) is Annotated:
            meta += list(tp.__metadata__)
            tp = typing.get_args(tp)[0]
            continue
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return meta


def _bounds(meta: list[Any]) -> str:
    """``must be >= 0`` / ``must be in (0, 1]`` from annotated_types constraints."""
    lo = hi = ""
    for m in meta:
        if isinstance(m, Ge):
            lo = f"[{m.ge}"
        elif isinstance(m, Gt):
            lo = f"({m.gt}"
        elif isinstance(m, Le):
            hi = f"{m.le}]"
        elif isinstance(m, Lt):
            hi = f"{m.lt})"
    if lo and hi:
        return f"must be in {lo}, {hi}"
    if lo:
        return f"must be {'>=' if lo[0] == '[' else '>'} {lo[1:]}"
    return f"must be {'<=' if hi.endswith(']') else '<'} {hi[:-1]}"


_BOUND_ERRORS = ("greater_than_equal", "greater_than", "less_than", "less_than_equal")


def _reason(err: Mapping[str, Any], meta: list[Any]) -> str:
    kind = err["type"]
    if kind in ("missing_argument", "missing"):
        return "missing"
    if kind in _REASONS:
        msg = _REASONS[kind]
    elif kind in _BOUND_ERRORS and meta:
        msg = _bounds(meta)
    elif kind == "literal_error":
        expected = str((err.get("ctx") or {}).get("expected", ""))
        msg = "must be one of " + expected.replace("'", "").replace(" or ", ", ")
    else:
        msg = str(err["msg"])
        msg = msg[:1].lower() + msg[1:]
    shown = repr(err.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{msg}, got {shown}"


def build_config(
    cls: type[T],
    data: Mapping[str, Any],
    where: str = "config",
    *,
    marks: Mapping[Any, tuple[int, int]] | None = None,
    flags: bool = False,
) -> T:
    """A ``cls`` (a dataclass) from ``data``, types coerced or refused with one-line errors.

    ``where`` names the source (a file path, "--set", ...); ``marks`` maps an option's path
    to its (line, column) in that file (``read_yaml_marks``); ``flags`` names options as
    command-line flags (``--max-new-tokens``) instead.
    """
    from pydantic import ValidationError

    try:
        prepared = _prepare(cls, data, ())
    except _Error as e:
        raise SafetylabError(_message(where, e.loc, e.reason, marks, flags)) from None
    try:
        return typing.cast(T, _adapter(typing.cast(Any, cls)).validate_python(prepared))
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        reason = _reason(err, _metadata(cls, loc))
        raise SafetylabError(_message(where, loc, reason, marks, flags)) from None


def load_config_file(
    cls: type[T], path: str | Path, what: str = "options", defaults: Mapping[str, Any] = {}
) -> T:
    """A ``cls`` from a YAML file (``defaults`` fill keys the file lacks); errors name
    ``file:line:column: option``."""
    data, marks = read_yaml_marks(path, what)
    return build_config(cls, {**defaults, **data}, str(path), marks=marks)


def defaults(cls: type) -> dict[str, Any]:
    """Each field's default (default factories called): what argparse options show."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


@functools.cache
def field_help(cls: type) -> dict[str, str]:
    """The ``#:`` comment of each field (what the docs and ``--help`` show), read with the
    standard library's tokenizer rather than by guessing at the source text."""
    import inspect
    import io
    import tokenize

    out: dict[str, str] = {}
    names = {f.name for f in dataclasses.fields(cls)}
    current: str | None = None
    depth = 0
    src = inspect.getsource(cls)
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif tok.type == tokenize.NAME and depth == 0 and tok.start[1] == 4 and tok.string in names:
            current = tok.string
        elif tok.type == tokenize.COMMENT and tok.string.startswith("#:") and current:
            out.setdefault(current, tok.string[2:].strip())
    return out
