"""Judges built from names plus options, the same way from the CLI and from YAML configs.

    safetylab eval ... --judges strmatch-plus,reward --judge-option reward.model=DIR
    safetylab judge run --judge llm --judge-option llm.base_url=http://127.0.0.1:8000/v1 \\
        --judge-option llm.model=judge-model --judge-option llm.template=strongreject ...

In a config file::

    judges: [strmatch-plus, reward]
    judge_options:
      reward: {model: /models/harm-rm, threshold: 0.5}

Options are the keyword arguments of the judge's class (``safetylab ls judges`` lists the
judges); an unknown one is refused with the list of known ones. Values given on the command
line are read as YAML scalars (``0.5`` -> float, ``true`` -> bool). API keys are never options:
judges that call an endpoint read them from the environment variable named by ``api_key_env``.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterable, Mapping
from typing import Any

from safetylab.errors import SafetylabError

#: a judge's options, by judge name
JudgeOptions = dict[str, dict[str, Any]]


def _scalar(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return text


def parse_judge_options(items: Iterable[str], flag: str = "--judge-option") -> JudgeOptions:
    """``["reward.model=DIR", "reward.threshold=0.5"]`` -> ``{"reward": {"model": "DIR", ...}}``."""
    out: JudgeOptions = {}
    for item in items:
        key, eq, value = item.partition("=")
        name, dot, opt = key.strip().partition(".")
        if not eq or not dot or not name or not opt:
            raise SafetylabError(
                f"{flag} {item!r}: expected JUDGE.OPTION=VALUE, e.g. reward.model=/path/to/model"
            )
        out.setdefault(name, {})[opt] = _scalar(value)
    return out


def merge_options(*layers: Mapping[str, Mapping[str, Any]] | None) -> JudgeOptions:
    """Later layers win, option by option (config file, then the command line)."""
    out: JudgeOptions = {}
    for layer in layers:
        for name, opts in (layer or {}).items():
            if not isinstance(opts, Mapping):
                raise SafetylabError(
                    f"judge_options.{name}: expected a mapping of options, got {opts!r}"
                )
            out.setdefault(str(name), {}).update({str(k): v for k, v in opts.items()})
    return out


def judge_parameters(cls: type) -> list[str]:
    """The option names a judge class accepts."""
    sig = inspect.signature(cls.__init__)  # type: ignore[misc]
    return [
        p.name
        for p in sig.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def build_judge(name: str, options: Mapping[str, Any] | None = None) -> Any:
    """An instance of the registered judge ``name`` with ``options`` as keyword arguments."""
    from safetylab.registry import judges, load_plugins

    load_plugins()
    cls = judges.get(name)
    opts = dict(options or {})
    known = judge_parameters(cls)
    for key in opts:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise SafetylabError(
                f"--judge-option {name}.{key}: {name} has no option {key!r}; {hint}"
                f"its options: {', '.join(known) or '(none)'}"
            )
    if getattr(cls, "needs_model", False) and not opts:
        need = [
            p.name
            for p in inspect.signature(cls.__init__).parameters.values()
            if p.name in ("model", "base_url")
        ]
        raise SafetylabError(
            f"judge {name!r} needs options: "
            + " ".join(f"--judge-option {name}.{k}=..." for k in need)
            + " (or judge_options in the config file)"
        )
    return cls(**opts)


def build_judges(
    names: Iterable[str], options: Mapping[str, Mapping[str, Any]] | None
) -> list[Any]:
    """Judges in the order of ``names``; options for judges not named are refused."""
    names = list(names)
    opts = dict(options or {})
    for extra in set(opts) - set(names):
        raise SafetylabError(
            f"--judge-option {extra}.*: judge {extra!r} is not among the judges "
            f"({', '.join(names)}); add it to --judges"
        )
    return [build_judge(n, opts.get(n)) for n in names]
