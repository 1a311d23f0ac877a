"""The study config: one YAML file describes the whole experiment.

    safetylab study demo | cpu | paper | frontier | my-study.yaml

```yaml
models: [smollm2-135m-instruct]           # base model(s): bundled name, HF id or folder
general: {dataset: bundled/general, n: 80, distill: true}   # or {file: ...} or alpaca-cleaned
strategies:                               # name -> knobs (see STRATEGY_KNOBS)
  safety-only: {}
  context-aware: {pair_share: 0.5, sensitive_share: 0.25, sizes: [150]}
sizes: [0, 50, 150]                       # N: safety-related examples added to the general data
seeds: [0]
train: cpu-lora                           # a training preset name, or a mapping of its fields,
                                          # or {preset: cpu-lora, epochs: 3} (overrides)
eval: {suites: [harm, overrefusal, helpful], n: 40, judges: [refusal, strmatch]}
backend: hf                               # hf, vllm, openai (with base_url) or mock (tests)
```

Errors name the file, line and column of the offending value; unknown names get a
did-you-mean hint.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError

PRESETS_DIR = Path(__file__).resolve().parents[1] / "configs"
STUDY_PRESETS = {"demo": "study-demo", "cpu": "study-cpu", "paper": "paper", "frontier": "frontier"}
BACKENDS = ("hf", "vllm", "openai", "mock")

#: Knobs per strategy (besides ``sizes``: the strategy's own size grid, a subset of ``sizes``).
#: Shares split N between refusals of harmful requests, safe-but-sensitive answers and
#: context pairs (each pair = 2 rows: the legitimate side answered, the harmful side refused).
STRATEGY_KNOBS: dict[str, dict[str, Any]] = {
    "safety-only": {"safety": "bundled/safety", "format": "as-is", "refusal_style": "as-is"},
    "balanced": {
        "safety": "bundled/safety",
        "sensitive": "bundled/sensitive-train",
        "sensitive_share": 0.3,
        "format": "as-is",
        "refusal_style": "as-is",
    },
    "context-aware": {
        "safety": "bundled/safety",
        "sensitive": "bundled/sensitive-train",
        "context": "bundled/context-pairs",
        "pair_share": 0.5,
        "sensitive_share": 0.25,
        "format": "as-is",
        "refusal_style": "as-is",
    },
    "multi-task": {
        "safety": "bundled/safety",
        "tasks": {"response": 0.6, "classify": 0.2, "explain": 0.2},
        "format": "as-is",
        "refusal_style": "as-is",
    },
}


@dataclass
class GeneralSpec:
    """The general (helpful) instruction data every mixture starts from."""

    dataset: str | None = (
        "bundled/general"  #: a registered dataset (bundled/general, alpaca-cleaned)
    )
    file: str | None = None  #: or a user file (JSON, JSONL, CSV, Parquet) with answers
    n: int | None = None  #: rows to use (default: all)
    distill: bool = True  #: answer the instructions with the base model itself (greedy, cached)
    distill_max_new_tokens: int = 48  #: answer length limit of distilled answers
    instruction_col: str | None = None  #: user file: request column
    output_col: str | None = None  #: user file: answer column


@dataclass
class EvalSpec:
    """What every cell is evaluated on."""

    suites: list[str] = field(default_factory=lambda: ["harm", "overrefusal", "helpful"])
    n: Any = 40  #: prompts per suite (an int, a mapping suite -> int, or null = all)
    attacks: dict[str, list[str]] = field(default_factory=dict)  #: suite -> transforms
    judges: list[str] = field(default_factory=lambda: ["refusal", "strmatch"])  #: first = headline
    judge_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_new_tokens: int = 64  #: answer length limit (greedy)
    batch_size: int = 64  #: prompts per generation batch
    keyword_check: bool = True  #: over-refusal prompts also with their sensitive word swapped
    mc: int = 0  #: multiple-choice capability questions (hf backend); 0 = skip
    drift: bool = False  #: similarity of helpful answers to the base model's


@dataclass
class StudyConfig:
    """A whole study: base models x strategies x sizes x seeds."""

    name: str = "study"
    models: list[str] = field(default_factory=lambda: ["smollm2-135m-instruct"])
    general: GeneralSpec = field(default_factory=GeneralSpec)
    strategies: dict[str, dict[str, Any]] = field(default_factory=lambda: {"safety-only": {}})
    sizes: list[int] = field(default_factory=lambda: [0, 50, 150])
    seeds: list[int] = field(default_factory=lambda: [0])
    train: Any = "cpu-lora"  #: preset name, mapping of TrainConfig fields, or {preset:, ...}
    eval: EvalSpec = field(default_factory=EvalSpec)
    backend: str = "hf"
    base_url: str | None = None  #: openai backend: the endpoint
    probes: list[str] = field(
        default_factory=list
    )  #: probe stages (linear, attention, direction, refusals, all) over every trained cell
    gpu_hours_per_1k_examples: float | None = None  #: for the estimate printed before a run

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------- YAML with positions


def _positions(text: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """(key path) -> (line, column) of each value, 1-based; keys of mappings only."""
    import yaml

    out: dict[tuple[str, ...], tuple[int, int]] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = str(k.value)
                out[(*path, key, "<key>")] = (k.start_mark.line + 1, k.start_mark.column + 1)
                walk(v, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, str(i)))

    root = yaml.compose(text)
    if root is not None:
        walk(root, ())
    return out


class _Where:
    """Names a place in the config file: ``file:line:column: key.path``."""

    def __init__(self, path: str, pos: dict[tuple[str, ...], tuple[int, int]]) -> None:
        self.path, self.pos = path, pos

    def __call__(self, *keys: Any, key: bool = False) -> str:
        k = tuple(str(x) for x in keys)
        at = self.pos.get((*k, "<key>") if key else k)
        while at is None and k:
            k = k[:-1]
            at = self.pos.get(k)
        loc = f"{self.path}:{at[0]}:{at[1]}" if at else self.path
        return f"{loc}: {'.'.join(str(x) for x in keys)}" if keys else loc


def _unknown(
    where: _Where, keys: tuple[Any, ...], name: str, known: list[str], what: str, index: int = -1
) -> None:
    """Unknown ``name`` under ``keys`` (a mapping key, or item ``index`` of a list)."""
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
    if index >= 0:
        loc = where(*keys, index).rsplit(": ", 1)[0]
        at = f"{loc}: {'.'.join(map(str, (*keys, name)))}"
    else:
        at = where(*keys, name, key=True)
    raise SafetylabError(f"{at}: unknown {what} {name!r}{hint}")


def _dataclass(cls: type, data: Any, where: _Where, keys: tuple[Any, ...]) -> Any:
    if not isinstance(data, dict):
        raise SafetylabError(f"{where(*keys)}: expected a mapping")
    names = [f.name for f in dataclasses.fields(cls)]
    for k in data:
        if k not in names:
            _unknown(where, keys, k, names, "option")
    return cls(**data)


def _int_list(v: Any, where: _Where, key: str, minimum: int = 0) -> list[int]:
    if isinstance(v, int) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, list) or not v:
        raise SafetylabError(f"{where(key)}: expected a list of integers")
    for i, x in enumerate(v):
        if isinstance(x, bool) or not isinstance(x, int) or x < minimum:
            raise SafetylabError(f"{where(key, i)}: expected an integer >= {minimum}, got {x!r}")
    if len(set(v)) != len(v):
        raise SafetylabError(f"{where(key)}: repeated values {v!r}")
    return list(v)


def parse_study(data: dict[str, Any], path: str = "config", text: str = "") -> StudyConfig:
    """A validated StudyConfig from a mapping (``text``: the YAML, for line:column in errors)."""
    where = _Where(path, _positions(text) if text else {})
    names = [f.name for f in dataclasses.fields(StudyConfig)]
    for k in data:
        if k not in names:
            _unknown(where, (), k, names, "option")
    kw = dict(data)
    if "general" in kw:
        g = kw["general"]
        if isinstance(g, str):
            g = {"dataset": g}
        kw["general"] = _dataclass(GeneralSpec, g, where, ("general",))
        if kw["general"].file is not None and "dataset" not in g:
            kw["general"].dataset = None
    if "eval" in kw:
        kw["eval"] = _dataclass(EvalSpec, kw["eval"] or {}, where, ("eval",))
    cfg = StudyConfig(**kw)
    if isinstance(cfg.models, str):
        cfg.models = [cfg.models]
    cfg.sizes = _int_list(cfg.sizes, where, "sizes")
    cfg.seeds = _int_list(cfg.seeds, where, "seeds")
    _check(cfg, where)
    return cfg


def _check(cfg: StudyConfig, where: _Where) -> None:
    import safetylab.attacks  # noqa: F401  (registers the transforms)
    import safetylab.evals  # noqa: F401  (registers the suites)
    from safetylab.registry import attacks, judges, load_plugins, probes, suites

    load_plugins()
    if not cfg.models or not all(isinstance(m, str) and m for m in cfg.models):
        raise SafetylabError(f"{where('models')}: expected a list of model names or folders")
    if cfg.backend not in BACKENDS:
        loc = where("backend")
        close = difflib.get_close_matches(cfg.backend, BACKENDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(BACKENDS)})"
        raise SafetylabError(f"{loc}: unknown backend {cfg.backend!r}{hint}")
    if cfg.backend == "openai" and not cfg.base_url:
        raise SafetylabError(f"{where('backend')}: backend openai needs base_url")
    if not isinstance(cfg.strategies, dict) or not cfg.strategies:
        raise SafetylabError(f"{where('strategies')}: expected a mapping of strategy -> knobs")
    for s, knobs in cfg.strategies.items():
        kind = (knobs or {}).get("kind", s) if isinstance(knobs, dict | None) else s
        if kind not in STRATEGY_KNOBS:
            _unknown(where, ("strategies",), s, list(STRATEGY_KNOBS), "strategy")
        knobs = knobs or {}
        if not isinstance(knobs, dict):
            raise SafetylabError(f"{where('strategies', s)}: expected a mapping of knobs")
        known = [*STRATEGY_KNOBS[kind], "sizes", "kind"]
        for k, v in knobs.items():
            if k not in known:
                _unknown(where, ("strategies", s), k, known, "knob")
            if k.endswith("_share") and (
                isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1
            ):
                raise SafetylabError(f"{where('strategies', s, k)}: a share in [0, 1], got {v!r}")
        if "sizes" in knobs:
            sizes = _int_list(knobs["sizes"], where, "strategies")
            extra = [n for n in sizes if n not in cfg.sizes]
            if extra:
                raise SafetylabError(
                    f"{where('strategies', s, 'sizes')}: {extra} not in the study's sizes"
                )
        if kind == "context-aware":
            share = float(knobs.get("pair_share", 0.5)) + float(knobs.get("sensitive_share", 0.25))
            if share > 1:
                raise SafetylabError(
                    f"{where('strategies', s)}: pair_share + sensitive_share must be <= 1"
                )
    stages = [*probes.names(), "all"]  # registered probe stages (safetylab probe ...)
    for i, s in enumerate(cfg.probes):
        if s not in stages:
            _unknown(where, ("probes",), s, stages, "probe", i)
    ev = cfg.eval
    for i, s in enumerate(ev.suites):
        if s not in suites.names():
            _unknown(where, ("eval", "suites"), s, suites.names(), "suite", i)
    for s, ts in ev.attacks.items():
        if s not in ev.suites:
            raise SafetylabError(f"{where('eval', 'attacks', s)}: suite {s!r} is not evaluated")
        if not isinstance(ts, list):
            raise SafetylabError(f"{where('eval', 'attacks', s)}: expected a list of transforms")
        for i, t in enumerate(ts):
            if t not in attacks.names():
                _unknown(where, ("eval", "attacks", s), t, attacks.names(), "attack", i)
    if not ev.judges:
        raise SafetylabError(f"{where('eval', 'judges')}: at least one judge")
    for i, j in enumerate(ev.judges):
        if j not in judges.names():
            _unknown(where, ("eval", "judges"), j, judges.names(), "judge", i)
    if isinstance(ev.n, dict):
        for s in ev.n:
            if s not in ev.suites:
                raise SafetylabError(f"{where('eval', 'n', s)}: suite {s!r} is not evaluated")
    elif ev.n is not None and (isinstance(ev.n, bool) or not isinstance(ev.n, int) or ev.n <= 0):
        raise SafetylabError(f"{where('eval', 'n')}: prompts per suite, an integer > 0 or null")
    for k in ("max_new_tokens", "batch_size"):
        if not isinstance(getattr(ev, k), int) or getattr(ev, k) <= 0:
            raise SafetylabError(f"{where('eval', k)}: must be an integer > 0")
    g = cfg.general
    if (g.dataset is None) == (g.file is None):
        raise SafetylabError(f"{where('general')}: give exactly one of dataset or file")
    if g.n is not None and (isinstance(g.n, bool) or not isinstance(g.n, int) or g.n <= 0):
        raise SafetylabError(f"{where('general', 'n')}: rows to use, an integer > 0")
    train_config(cfg, where)


def train_config(cfg: StudyConfig, where: Any = None) -> Any:
    """The TrainConfig of ``cfg.train`` (preset name, mapping, or ``{preset: ..., k: v}``)."""
    from safetylab.train import TRAIN_PRESETS, load_train_config, train_config_from_dict

    loc = where("train") if where is not None else "train"
    t = cfg.train
    if isinstance(t, str):
        if t not in TRAIN_PRESETS:
            close = difflib.get_close_matches(t, TRAIN_PRESETS, n=1)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else f" (known: {', '.join(TRAIN_PRESETS)})"
            )
            raise SafetylabError(f"{loc}: unknown training preset {t!r}{hint}")
        return load_train_config(t)
    if not isinstance(t, dict):
        raise SafetylabError(f"{loc}: a training preset name or a mapping of its options")
    data = dict(t)
    preset = data.pop("preset", None)
    base: dict[str, Any] = {}
    if preset is not None:
        base = dataclasses.asdict(train_config(dataclasses.replace(cfg, train=preset), where))
    base.update(data)
    return train_config_from_dict(base, loc)


def resolve_config_path(name: str) -> Path:
    """A config file, or a shipped study preset (demo, cpu, paper, frontier)."""
    p = Path(name)
    if p.exists():
        return p
    stem = STUDY_PRESETS.get(name, name)
    preset = PRESETS_DIR / f"{stem}.yaml"
    if p.parent == Path(".") and preset.exists() and p.suffix != ".yaml":
        return preset
    known = sorted(STUDY_PRESETS)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise SafetylabError(
        f"{name}: no such file or study preset{hint} (presets: {', '.join(known)})"
    )


def load_study(name: str | Path) -> StudyConfig:
    """A StudyConfig from a YAML file or a preset name; one-line errors with file:line:column."""
    from safetylab._yaml import read_yaml_mapping

    p = resolve_config_path(str(name))
    data = read_yaml_mapping(p, "study options")
    text = p.read_text(encoding="utf-8")
    data.setdefault("name", p.stem)
    return parse_study(data, str(p), text)


def from_demo_config(cfg: Any) -> StudyConfig:
    """A StudyConfig from the old DemoConfig (``safetylab.load_config``): safety-only over its grid."""
    return StudyConfig(
        name="demo", models=[cfg.model],
        general=GeneralSpec(n=cfg.n_general, distill_max_new_tokens=cfg.distill_max_new_tokens),
        strategies={"safety-only": {}}, sizes=list(cfg.grid), seeds=[cfg.seed],
        train=dataclasses.asdict(cfg.train),
        eval=EvalSpec(suites=["harm", "overrefusal", "helpful"], n=dataclasses.asdict(cfg.eval),
                      judges=list(cfg.judges), judge_options=dict(cfg.judge_options),
                      max_new_tokens=cfg.max_new_tokens, batch_size=cfg.gen_batch_size,
                      keyword_check=False),
    )  # fmt: skip
