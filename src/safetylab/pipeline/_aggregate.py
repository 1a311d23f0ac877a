"""A study's results over every finished cell: ``metrics.json`` (one row per metric, cell and
report strategy), ``answers.csv``/``answers.parquet``, ``report.md``/``report.html``,
``view.html`` and the ``models/<cell>`` links to trained adapters.

The runner (``_sweep.py``) calls ``aggregate`` under the study dir's lock after its cells.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from safetylab.pipeline._answers import write_answers
from safetylab.pipeline._cell import BASE, Cell, cell_state, read_cell_rows, strategy_sizes
from safetylab.pipeline._config import StudyConfig
from safetylab.pipeline._status import status_rows
from safetylab.records import Prompt
from safetylab.store import write_json

log = logging.getLogger(__name__)


def cell_dir(path: Path, cell: Cell) -> Path:
    """The run directory of ``cell`` in the study dir ``path``."""
    return path / "cells" / cell.id


def display(cfg: StudyConfig, cells: list[Cell]) -> list[tuple[str, Cell]]:
    """(strategy, cell) for every row of the report: the N = 0 cell under each strategy."""
    out = []
    for c in cells:
        if c.strategy == BASE:
            out += [(s, c) for s in cfg.strategies if 0 in strategy_sizes(cfg, s)]
        else:
            out.append((c.strategy, c))
    return out


def aggregate(
    path: Path, cfg: StudyConfig, cells: list[Cell], prompts: list[Prompt]
) -> list[dict[str, Any]]:
    """metrics.json, answers.csv and the report over every finished cell."""
    rows: list[dict[str, Any]] = []
    for strategy, c in display(cfg, cells):
        d = cell_dir(path, c)
        if cell_state(d) != "done":
            continue
        for r in read_cell_rows(d):
            rows.append({**r.to_dict(), "model": f"{strategy}-{c.n}", "strategy": strategy,
                         "n_safety": c.n, "seed": c.seed, "base_model": c.model,
                         "cell": c.id})  # fmt: skip
    write_json(path / "metrics.json", rows)
    link_models(path, cfg, cells)
    write_answers(path / "answers.csv", prompts,
                  [(c, cell_dir(path, c)) for c in cells
                   if cell_state(cell_dir(path, c)) == "done"])  # fmt: skip
    from safetylab.report import write_study_report

    write_study_report(path, cfg, rows, status_rows(path, cells))
    try:
        from safetylab.report import write_view
    except ImportError:
        pass
    else:
        done: list[str | Path] = [
            cell_dir(path, c) for c in cells if cell_state(cell_dir(path, c)) == "done"
        ]
        try:
            write_view(done, path / "view.html")
        except Exception as e:  # the interactive view is optional
            log.warning("view.html not written: %s", e)
    return rows


def link_models(path: Path, cfg: StudyConfig, cells: list[Cell]) -> None:
    """``models/<cell>`` -> the cell's adapter, so ``safetylab probe --run DIR`` finds every
    trained checkpoint of the study (as it did in a demo run)."""
    seeds = len(cfg.seeds) > 1
    bases = len(cfg.models) > 1
    mdir = path / "models"
    for c in cells:
        adapter = cell_dir(path, c) / "adapter"
        if not (adapter / "adapter_model.safetensors").exists():
            continue
        name = (
            c.label + (f"-s{c.seed}" if seeds else "") + (f"@{Path(c.model).name}" if bases else "")
        )
        link = mdir / name
        target = Path("..") / "cells" / c.id / "adapter"
        if link.is_symlink() and link.readlink() == target:
            continue
        mdir.mkdir(exist_ok=True)
        if link.is_symlink():
            link.unlink()  # our own link, to an older cell of this name
        if not link.exists():
            link.symlink_to(target, target_is_directory=True)
