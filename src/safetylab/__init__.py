"""safetylab: safety-tune instruction-following language models and measure what it costs.

from safetylab import load_config, run_demo
rows = run_demo(load_config(preset="demo-quick"), "runs/quick")
"""

from safetylab.config import DemoConfig, load_config
from safetylab.errors import SafetylabError
from safetylab.records import Example, Generation, Judgment, MetricRow, Prompt
from safetylab.sweep import run_demo

__version__ = "0.1.0"

__all__ = [
    "DemoConfig",
    "Example",
    "Generation",
    "Judgment",
    "MetricRow",
    "Prompt",
    "SafetylabError",
    "load_config",
    "run_demo",
]
