"""Mixture recipes: ``MixConfig`` and its sources (``SourceSpec``), read from YAML or a shipped
preset and validated; errors name the option (and its line in the file) to fix.

See ``safetylab.data._strategies`` for what each strategy builds.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetylab._build import Share, build_config
from safetylab._yaml import PRESETS_DIR, read_yaml_mapping
from safetylab.data._userfile import Columns
from safetylab.errors import SafetylabError

STRATEGIES = ("safety-only", "balanced", "context-aware", "multi-task")
ROLES = ("context", "sensitive", "safety", "general")  # also the dedup keep-first priority
FORMATS = ("as-is", "question", "instruction", "mixed")
REFUSAL_STYLES = ("as-is", "terse", "reasoned")
TASKS = ("response", "classify", "explain")
_DEFAULTS = {
    "safety-only": {"safety": "bundled/safety"},
    "context-aware": {"context": "bundled/context-pairs", "sensitive": "bundled/sensitive-train"},
}


@dataclass
class SourceSpec:
    """One input of a mixture: a registered dataset or a user file."""

    #: dataset name, e.g. "stl-safety", "bundled/safety", or a list of names read as one pool
    dataset: str | list[str] | None = None
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

    def names(self) -> list[str]:
        """The dataset names this source reads (one, several, or none for a file)."""
        if self.dataset is None:
            return []
        return [self.dataset] if isinstance(self.dataset, str) else list(self.dataset)

    def display(self) -> str:
        return " + ".join(self.names()) if self.dataset is not None else f"file:{self.file}"


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


def _refuse_unknown(keys: Any, cls: type, at: Callable[[str], str], prefix: str = "") -> None:
    """A one-line error (with did-you-mean) for the first key that is not a field of ``cls``."""
    names = [f.name for f in dataclasses.fields(cls)]
    for k in keys:
        if k not in names:
            close = difflib.get_close_matches(k, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SafetylabError(f"{at(k)}: {prefix}unknown option {k!r}{hint}")


def _build_source(role: str, v: Any, at: Where) -> SourceSpec | None:
    if v is None:
        return None
    if isinstance(v, str | list):
        v = {"dataset": v}
    if not isinstance(v, dict):
        raise SafetylabError(f"{at(role)}: {role}: expected a dataset name or a mapping")
    _refuse_unknown(v, SourceSpec, lambda k: at(role, k), f"{role}: ")
    spec = SourceSpec(**v)
    if (spec.dataset is None) == (spec.file is None):
        raise SafetylabError(f"{at(role)}: {role}: give exactly one of dataset or file")
    if isinstance(spec.dataset, list) and (
        not spec.dataset
        or not all(isinstance(x, str) and x for x in spec.dataset)
        or len(set(spec.dataset)) != len(spec.dataset)
    ):
        raise SafetylabError(
            f"{at(role, 'dataset')}: {role}: a list of datasets must name each one once"
        )
    if spec.dataset is not None and not isinstance(spec.dataset, str | list):
        raise SafetylabError(f"{at(role, 'dataset')}: {role}: dataset must be a name or a list")
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
    _refuse_unknown(data, MixConfig, at)
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
