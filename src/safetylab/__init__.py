"""safetylab: safety-tune instruction-following language models and measure what it costs.

from safetylab import load_config, run_demo
rows = run_demo(load_config(preset="demo-quick"), "runs/quick")
"""

from pathlib import Path
from typing import TYPE_CHECKING

from safetylab.config import DemoConfig, load_config
from safetylab.errors import SafetylabError
from safetylab.pipeline import run_demo
from safetylab.records import Example, Generation, Judgment, MetricRow, Prompt

if TYPE_CHECKING:
    import pandas as pd

__version__ = "0.1.0"


def load_run(path: str | Path) -> "pd.DataFrame":
    """One row per answer of a demo, eval or study directory, as a pandas DataFrame.

    Columns: run, model, cell, strategy, N, seed, suite, category, transform, prompt_label,
    prompt, answer, prompt_id, parent_id, generation_id, ``label_<judge>``, ``score_<judge>``.
    """
    from safetylab.report import load_run as _load_run

    return _load_run(path)


__all__ = [
    "DemoConfig",
    "Example",
    "Generation",
    "Judgment",
    "MetricRow",
    "Prompt",
    "SafetylabError",
    "load_config",
    "load_run",
    "run_demo",
]
