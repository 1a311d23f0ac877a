"""Judges label answers ``full_compliance``, ``full_refusal`` or ``partial_refusal`` (XSTest)."""

from safetylab.judges._agreement import cohen_kappa, pairwise_agreement, validation_report
from safetylab.judges._base import Judge, judge_generations
from safetylab.judges._io import normalize_label, read_labelled, read_table, write_jsonl_rows
from safetylab.judges._minilm import MiniLM, embedder_folder, load_encoder
from safetylab.judges._refusal import WEIGHTS_DIR as REFUSAL_WEIGHTS
from safetylab.judges._refusal import (
    RefusalJudge,
    RefusalModel,
    bundled_training_answers,
    train_and_save,
)
from safetylab.judges._refusal_features import answer_features
from safetylab.judges._reward import RewardJudge
from safetylab.judges._spec import build_judge, build_judges, judge_parameters, parse_judge_options
from safetylab.judges._strmatch import StrMatch, StrMatchPlus

__all__ = [
    "Judge",
    "MiniLM",
    "REFUSAL_WEIGHTS",
    "RefusalJudge",
    "RefusalModel",
    "RewardJudge",
    "StrMatch",
    "StrMatchPlus",
    "answer_features",
    "build_judge",
    "build_judges",
    "bundled_training_answers",
    "cohen_kappa",
    "embedder_folder",
    "judge_generations",
    "judge_parameters",
    "load_encoder",
    "normalize_label",
    "pairwise_agreement",
    "parse_judge_options",
    "read_labelled",
    "read_table",
    "train_and_save",
    "validation_report",
    "write_jsonl_rows",
]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
