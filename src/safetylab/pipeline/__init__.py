"""The study: strategies x sizes cells, their runner and status, around the one generate -> judge
-> metrics stage (``safetylab.evals.generate_and_judge``)."""

from safetylab.pipeline._cell import (
    BASE,
    distill_prompts,
    general_examples,
    strategy_sizes,
    write_general_file,
)
from safetylab.pipeline._config import (
    EvalSpec,
    GeneralSpec,
    StudyConfig,
    load_study,
    parse_study,
    train_config,
)
from safetylab.pipeline._sweep import Study, parse_shard, run_demo, run_study, study_status

__all__ = [
    "BASE",
    "EvalSpec",
    "GeneralSpec",
    "Study",
    "StudyConfig",
    "distill_prompts",
    "general_examples",
    "load_study",
    "parse_shard",
    "parse_study",
    "run_demo",
    "run_study",
    "strategy_sizes",
    "study_status",
    "train_config",
    "write_general_file",
]
