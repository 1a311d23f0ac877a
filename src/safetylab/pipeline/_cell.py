"""One cell of a study: (base model, strategy, N, seed) -> mixture -> train -> generate ->
judge -> metrics, in its own run directory ``cells/<cell id>/``.

The cell id hashes everything that can change the cell's result (base model, the strategy and
its knobs, N, seed, general data, training config, the evaluation prompts, decoding, judges,
backend) and nothing that cannot (output folder, shard, worker count). N = 0 is the general data
alone: one cell per (base model, seed), shared by every strategy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.pipeline._config import STRATEGY_KNOBS, StudyConfig
from safetylab.records import Example, MetricRow, Prompt, content_id

log = logging.getLogger(__name__)

BASE = "base"  #: the strategy field of the shared N = 0 cell


@dataclass(frozen=True)
class Cell:
    """One point of the grid."""

    model: str  #: base model
    strategy: str  #: strategy name in the config ("base" for the shared N = 0 cell)
    n: int  #: safety-related examples added to the general data
    seed: int
    id: str = ""  #: content hash of everything that changes the result

    @property
    def label(self) -> str:
        return f"{self.strategy}-{self.n}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def strategy_knobs(cfg: StudyConfig, strategy: str) -> dict[str, Any]:
    """The strategy's knobs with defaults filled in (its size list left out)."""
    given = dict(cfg.strategies.get(strategy) or {})
    kind = given.pop("kind", strategy)
    given.pop("sizes", None)
    return {"kind": kind, **STRATEGY_KNOBS[kind], **given}


def strategy_sizes(cfg: StudyConfig, strategy: str) -> list[int]:
    knobs = cfg.strategies.get(strategy) or {}
    return list(knobs.get("sizes", cfg.sizes))


def result_key(cfg: StudyConfig, model: str, strategy: str, n: int, seed: int, prompts_sha: str,
               data_sha: str) -> dict[str, Any]:  # fmt: skip
    """Everything that can change a cell's result (hashed into its id)."""
    from safetylab.pipeline._config import train_config

    ev = dataclasses.asdict(cfg.eval)
    return {
        "model": model,
        "strategy": None if n == 0 else strategy_knobs(cfg, strategy),
        "n": n,
        "seed": seed,
        "general": dataclasses.asdict(cfg.general),
        "train": dataclasses.asdict(train_config(cfg)),
        "eval": {k: ev[k] for k in ("judges", "judge_options", "max_new_tokens", "mc", "drift")},
        "prompts_sha256": prompts_sha,
        "data_sha256": data_sha,
        "backend": cfg.backend,
    }


def enumerate_cells(cfg: StudyConfig, prompts_sha: str, data_sha: str) -> list[Cell]:
    """Every cell of the grid, in a fixed order (model, seed, N, strategy); N = 0 once."""
    cells: list[Cell] = []
    for model in cfg.models:
        for seed in cfg.seeds:
            for n in sorted(cfg.sizes):
                names = [BASE] if n == 0 else [
                    s for s in cfg.strategies if n in strategy_sizes(cfg, s)
                ]  # fmt: skip
                if n == 0 and not any(0 in strategy_sizes(cfg, s) for s in cfg.strategies):
                    names = []
                for s in names:
                    key = result_key(cfg, model, s, n, seed, prompts_sha, data_sha)
                    cells.append(Cell(model, s, n, seed, content_id(key, n=12)))
    return cells


# ---------------------------------------------------------------- prompts and data version


def study_prompts(cfg: StudyConfig, source: str | None) -> list[Prompt]:
    """The evaluation prompts every cell answers (attacks and keyword swaps included)."""
    from safetylab.evals import EvalConfig, build_prompts

    ev = cfg.eval
    out: list[Prompt] = []
    for s in ev.suites:
        n = ev.n.get(s, 40) if isinstance(ev.n, dict) else ev.n
        ec = EvalConfig(suites=[s], n=n, source=source, attacks=list(ev.attacks.get(s, [])),
                        keyword_check=ev.keyword_check, seed=0)  # fmt: skip
        out += build_prompts(ec)
    if source and "overrefusal" in ev.suites:  # all of XSTest's 250 safe prompts when present
        from safetylab.data import is_available
        from safetylab.evals import get_suite

        if is_available("xstest", source):
            every = get_suite("overrefusal").prompts(None, source, sets=["xstest"])
            out += [p for p in every if p.source_id.startswith("xstest:")]
    seen: set[str] = set()
    return [p for p in out if not (p.id in seen or seen.add(p.id))]  # type: ignore[func-returns-value]


def data_sha256() -> str:
    """sha256 over the bundled data a cell reads (a new data version makes new cells). The
    judge's training data is left out: a retrained judge has a new version, and a finished cell
    judged by an older one is judged again, not retrained (``Study.stale``)."""
    from safetylab.data import BUNDLED_DIR

    h = hashlib.sha256()
    for p in sorted(Path(BUNDLED_DIR).rglob("*.jsonl")):
        if p.relative_to(BUNDLED_DIR).parts[0] != "judge":
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


# ---------------------------------------------------------------- mixtures


def _shares(knobs: dict[str, Any], n: int) -> dict[str, int]:
    """How N splits into refusals (safety), sensitive answers and context pairs."""
    kind = knobs["kind"]
    if kind in ("safety-only", "multi-task"):
        return {"safety": n}
    sens = round(n * float(knobs.get("sensitive_share", 0.0)))
    pairs = round(n * float(knobs.get("pair_share", 0.0)) / 2) if kind == "context-aware" else 0
    return {"safety": n - sens - 2 * pairs, "sensitive": sens, "context": pairs}


def mix_config(cfg: StudyConfig, cell: Cell, general_file: Path, seed: int) -> Any:
    """The ``data mix`` recipe (MixConfig) of one cell: the same strategies code as the CLI."""
    from safetylab.data import parse_mix_config

    general = {
        "file": str(general_file),
        "instruction_col": "instruction",
        "output_col": "output",
    }
    if cell.n == 0:
        return parse_mix_config(
            {"strategy": "balanced", "general": general, "safety": "bundled/safety",
             "n_safety": 0, "seed": seed, "name": cell.label, "eval": "all"},
            f"cell {cell.label}",
        )  # fmt: skip
    knobs = strategy_knobs(cfg, cell.strategy)
    kind = knobs["kind"]
    counts = _shares(knobs, cell.n)
    data: dict[str, Any] = {
        "strategy": "balanced" if kind in ("safety-only", "balanced") else kind,
        "seed": seed,
        "name": cell.label,
        "general": general,
        "safety": {"dataset": knobs["safety"]},
        "n_safety": counts["safety"],
        "format": knobs.get("format", "as-is"),
        "refusal_style": knobs.get("refusal_style", "as-is"),
        "eval": "all",
    }
    if counts.get("sensitive"):
        data["sensitive"] = {"dataset": knobs["sensitive"], "n": counts["sensitive"]}
    if kind == "context-aware":
        data["context"] = {"dataset": knobs["context"], "n": counts["context"]}
        if not counts["sensitive"]:
            data["sensitive"] = None
    if kind == "multi-task":
        data["tasks"] = knobs["tasks"]
    return parse_mix_config(data, f"strategies.{cell.strategy}")


def build_cell_mixture(
    cfg: StudyConfig, cell: Cell, general: list[Example], general_file: Path,
    source: str | None,
) -> Any:  # fmt: skip
    """The cell's Mixture (rows + data card); general rows keep their ``complete`` flag."""
    from safetylab.data import build_mixtures

    mixes = build_mixtures(mix_config(cfg, cell, general_file, cell.seed), source=source)
    mix = mixes[0]
    complete = {(e.prompt, e.response): e.complete for e in general}
    mix.examples = [
        dataclasses.replace(e, complete=complete.get((e.prompt, e.response), e.complete))
        for e in mix.examples
    ]
    return mix


def general_rows(cfg: StudyConfig, source: str | None) -> list[dict[str, str]]:
    """The general instructions (with answers when the data has them)."""
    g = cfg.general
    if g.file is not None:
        from safetylab.data import Columns, load_user_file

        data = load_user_file(
            g.file, Columns(g.instruction_col, None, g.output_col), kind="train",
            default_label="safe", source=f"file:{Path(g.file).name}",
        )  # fmt: skip
        rows = [{"instruction": e.prompt, "output": e.response, "category": e.category}
                for e in data.records]  # fmt: skip
    elif g.dataset == "bundled/general":
        from safetylab.data import bundled_records

        rows = [{"instruction": p.text, "output": "", "category": p.category}
                for p in bundled_records("general")]  # fmt: skip
    else:
        from safetylab.data import load_public

        recs = load_public(str(g.dataset), source)
        rows = [{"instruction": e.prompt, "output": getattr(e, "response", ""),
                 "category": getattr(e, "category", "")} for e in recs]  # fmt: skip
    return rows[: g.n] if g.n else rows


def distill_prompts(rows: list[dict[str, str]]) -> list[Prompt]:
    return [Prompt(r["instruction"], "distill", "safe", r.get("category", "")) for r in rows]


def general_examples(
    rows: list[dict[str, str]], answers: dict[str, tuple[str, int]] | None, limit: int
) -> list[Example]:
    """General Examples: the data's own answers, or the base model's (``answers``)."""
    out = []
    for r in rows:
        if answers is not None:
            text, n_tok = answers.get(r["instruction"], ("", 0))
            complete = n_tok < limit
        else:
            text, complete = r["output"], True
        if text.strip():
            out.append(Example(r["instruction"], text, "general", r.get("category", ""),
                               "general", "safe", complete))  # fmt: skip
    return out


def write_general_file(path: Path, examples: list[Example]) -> None:
    from safetylab.store import write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, "".join(
        json.dumps({"instruction": e.prompt, "output": e.response, "category": e.category},
                   ensure_ascii=False) + "\n" for e in examples))  # fmt: skip


# ---------------------------------------------------------------- cell record


def cell_state(cell_dir: Path) -> str:
    """done / failed / pending, from the files in the cell's folder."""
    if (cell_dir / "done.json").exists():
        return "done"
    if (cell_dir / "error.json").exists():
        return "failed"
    return "pending"


def read_cell_rows(cell_dir: Path) -> list[MetricRow]:
    from safetylab.records import from_dict

    rows = json.loads((cell_dir / "metrics.json").read_text(encoding="utf-8"))
    return [from_dict(MetricRow, r) for r in rows]


def mark(cell_dir: Path, name: str, info: dict[str, Any]) -> None:
    from safetylab.store import write_json

    write_json(cell_dir / name, {**info, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def check_sizes(cfg: StudyConfig, cell: Cell) -> None:
    if cell.n < 0:
        raise SafetylabError(f"cell {cell.label}: N must be >= 0")
