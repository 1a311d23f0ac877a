"""The judge protocol and the resumable judging stage."""

from __future__ import annotations

from typing import Protocol

from safetylab.records import Generation, Judgment
from safetylab.store import JsonlLog


class Judge(Protocol):
    """Labels (prompt, response) pairs."""

    name: str  #: registered name
    version: str  #: bumped whenever labels could change

    def judge(
        self, prompts: list[str], responses: list[str]
    ) -> list[tuple[str, float | None, str]]:
        """(label, score, explanation) per pair."""
        ...


def judge_generations(
    judge: Judge,
    generations: list[Generation],
    prompt_text: dict[str, str],
    log: JsonlLog,
    chunk: int = 256,
) -> list[Judgment]:
    """Judgments for every generation, appended to ``log`` (already judged ones are reused)."""
    tag = f"{judge.name}@{judge.version}"
    todo = [g for g in generations if Judgment(g.id, tag, "").id not in log]
    for start in range(0, len(todo), chunk):  # saved per chunk: a failing judge keeps what it did
        part = todo[start : start + chunk]
        verdicts = judge.judge([prompt_text[g.prompt_id] for g in part], [g.text for g in part])
        log.append(
            Judgment(g.id, tag, lab, score, why).to_dict()
            for g, (lab, score, why) in zip(part, verdicts, strict=True)
        )
    rows = {r["id"]: r for r in log.rows()}
    out = []
    for g in generations:
        r = rows[Judgment(g.id, tag, "").id]
        out.append(Judgment(g.id, tag, r["label"], r["score"], r["explanation"]))
    return out
