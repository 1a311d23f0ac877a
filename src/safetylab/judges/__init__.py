"""Judges label answers ``full_compliance``, ``full_refusal`` or ``partial_refusal`` (XSTest)."""

from safetylab.judges._agreement import cohen_kappa, pairwise_agreement, validation_report
from safetylab.judges._base import Judge, judge_generations
from safetylab.judges._io import normalize_label, read_labelled, read_table
from safetylab.judges._refusal import RefusalJudge, RefusalModel, train_and_save
from safetylab.judges._strmatch import StrMatch, StrMatchPlus

__all__ = [
    "Judge",
    "RefusalJudge",
    "RefusalModel",
    "StrMatch",
    "StrMatchPlus",
    "cohen_kappa",
    "judge_generations",
    "normalize_label",
    "pairwise_agreement",
    "read_labelled",
    "read_table",
    "train_and_save",
    "validation_report",
]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
