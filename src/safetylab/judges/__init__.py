"""Judges label answers ``full_compliance``, ``full_refusal`` or ``partial_refusal`` (XSTest)."""

from safetylab.judges._base import Judge, judge_generations
from safetylab.judges._strmatch import StrMatch, StrMatchPlus

__all__ = ["Judge", "StrMatch", "StrMatchPlus", "judge_generations"]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
