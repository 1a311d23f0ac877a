"""Validation metrics for refusal judges: binary accuracy, 3-way macro-F1, Cohen's kappa,
confusion matrices, and pairwise agreement between judges.

from safetylab.judges._agreement import validation_report
validation_report(truth=["full_refusal", ...], pred=["partial_refusal", ...]).to_dict()

"Binary" counts partial refusals as refusals (XSTest's convention).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from safetylab.records import LABELS, refused


def binary_accuracy(truth: Sequence[str], pred: Sequence[str]) -> float:
    """Share of items where refusal vs compliance agrees (partial counts as refusal)."""
    _same_length(truth, pred)
    if not truth:
        return float("nan")
    return sum(refused(a) == refused(b) for a, b in zip(truth, pred, strict=True)) / len(truth)


def confusion(
    truth: Sequence[str], pred: Sequence[str], labels: Sequence[str] = LABELS
) -> dict[str, dict[str, int]]:
    """``m[true_label][predicted_label]`` counts over ``labels``."""
    _same_length(truth, pred)
    m = {a: dict.fromkeys(labels, 0) for a in labels}
    for a, b in zip(truth, pred, strict=True):
        m[a][b] += 1
    return m


def f1_per_class(truth: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """F1 of every label that occurs in ``truth`` or ``pred`` (0.0 where a class is never hit)."""
    out = {}
    for lab in LABELS:
        tp = sum(a == lab and b == lab for a, b in zip(truth, pred, strict=True))
        n_true = sum(a == lab for a in truth)
        n_pred = sum(b == lab for b in pred)
        if n_true + n_pred == 0:
            continue
        out[lab] = 2 * tp / (n_true + n_pred)
    return out


def macro_f1(truth: Sequence[str], pred: Sequence[str]) -> float:
    """Mean F1 over the labels present in ``truth`` or ``pred``."""
    _same_length(truth, pred)
    f1 = f1_per_class(truth, pred)
    return sum(f1.values()) / len(f1) if f1 else float("nan")


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two labelings: (p_o - p_e) / (1 - p_e); 1.0 when both are constant
    and equal, 0.0 when chance agreement is 1 but they differ."""
    _same_length(a, b)
    n = len(a)
    if n == 0:
        return float("nan")
    p_o = sum(x == y for x, y in zip(a, b, strict=True)) / n
    cats = set(a) | set(b)
    p_e = sum((list(a).count(c) / n) * (list(b).count(c) / n) for c in cats)
    if p_e >= 1.0:
        return 1.0 if p_o >= 1.0 else 0.0
    return (p_o - p_e) / (1 - p_e)


def _same_length(a: Sequence[str], b: Sequence[str]) -> None:
    if len(a) != len(b):
        raise ValueError(f"label lists differ in length: {len(a)} vs {len(b)}")


@dataclass(frozen=True)
class ValidationReport:
    """A judge's agreement with human labels on one file."""

    n: int  #: number of labelled answers
    accuracy: float  #: binary accuracy (partial counts as refusal)
    macro_f1: float  #: 3-way macro-F1 over the labels present
    kappa: float  #: 3-way Cohen's kappa against the human labels
    binary_kappa: float  #: Cohen's kappa of refusal vs compliance
    f1: dict[str, float]  #: per-label F1
    confusion: dict[str, dict[str, int]]  #: confusion[true][predicted]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def table(self) -> str:
        """The confusion matrix as aligned text (rows: human label, columns: judge)."""
        short = {
            "full_compliance": "compliance",
            "full_refusal": "refusal",
            "partial_refusal": "partial",
        }
        corner = "human \\ judge"
        head = f"{corner:<16}" + "".join(f"{short[c]:>12}" for c in LABELS)
        lines = [head]
        for a in LABELS:
            lines.append(f"{short[a]:<16}" + "".join(f"{self.confusion[a][b]:>12}" for b in LABELS))
        return "\n".join(lines)


def validation_report(truth: Sequence[str], pred: Sequence[str]) -> ValidationReport:
    """Every validation metric of ``pred`` against the human labels ``truth``."""
    bin_t = ["refusal" if refused(x) else "compliance" for x in truth]
    bin_p = ["refusal" if refused(x) else "compliance" for x in pred]
    return ValidationReport(
        n=len(truth),
        accuracy=binary_accuracy(truth, pred),
        macro_f1=macro_f1(truth, pred),
        kappa=cohen_kappa(truth, pred),
        binary_kappa=cohen_kappa(bin_t, bin_p),
        f1=f1_per_class(truth, pred),
        confusion=confusion(truth, pred),
    )


@dataclass(frozen=True)
class AgreementRow:
    """Agreement between two judges on the same answers."""

    judge_a: str  #: first judge name
    judge_b: str  #: second judge name
    n: int  #: number of answers
    agreement: float  #: share of identical 3-way labels
    kappa: float  #: 3-way Cohen's kappa
    binary_agreement: float  #: share agreeing on refusal vs compliance
    binary_kappa: float  #: Cohen's kappa of refusal vs compliance

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def pairwise_agreement(labels: Mapping[str, Sequence[str]]) -> list[AgreementRow]:
    """One row per pair of judges (in the order given) with raw agreement and kappa."""
    rows = []
    for (a, la), (b, lb) in itertools.combinations(labels.items(), 2):
        _same_length(la, lb)
        n = len(la)
        ba = ["r" if refused(x) else "c" for x in la]
        bb = ["r" if refused(x) else "c" for x in lb]
        rows.append(
            AgreementRow(
                judge_a=a,
                judge_b=b,
                n=n,
                agreement=sum(x == y for x, y in zip(la, lb, strict=True)) / n
                if n
                else float("nan"),
                kappa=cohen_kappa(la, lb),
                binary_agreement=sum(x == y for x, y in zip(ba, bb, strict=True)) / n
                if n
                else float("nan"),
                binary_kappa=cohen_kappa(ba, bb),
            )
        )
    return rows
