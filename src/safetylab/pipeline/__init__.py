"""The pipeline: one generate -> judge -> metrics stage, and the study's cells around it."""

from safetylab.pipeline._cell import distill_prompts, general_examples, write_general_file
from safetylab.pipeline._config import (
    EvalSpec,
    GeneralSpec,
    StudyConfig,
    load_study,
    parse_study,
)
from safetylab.pipeline._stage import StageResult, generate_and_judge, labels_of, stage_metrics

__all__ = [
    "EvalSpec",
    "GeneralSpec",
    "StageResult",
    "StudyConfig",
    "distill_prompts",
    "general_examples",
    "generate_and_judge",
    "labels_of",
    "load_study",
    "parse_study",
    "stage_metrics",
    "write_general_file",
]
