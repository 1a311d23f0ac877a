"""The one generate -> judge -> metrics stage that `eval`, the demo and the study run.

    from safetylab.evals import generate_and_judge, suite_metrics
    res = generate_and_judge(backend, "safety-only-150", prompts, {"max_new_tokens": 64},
                             judges, run_dir)
    rows = suite_metrics("safety-only-150", prompts, res.labels, seed=0)

Generations and judgments are appended to ``generations.jsonl`` / ``judgments.jsonl`` of the
run directory, keyed by content hashes (prompt, model fingerprint, decoding; generation, judge
version), so a stage that is stopped and started again redoes only what is missing and never
writes a record twice. Generations are also served from / saved to the SQLite cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetylab.records import Generation, Judgment, Prompt
from safetylab.store import GenerationCache, JsonlLog, RunDir


@dataclass
class StageResult:
    """What one model's stage produced."""

    gens: list[Generation]  #: one per prompt answered, in prompt order
    judged: dict[str, list[Judgment]] = field(default_factory=dict)  #: "name@version" -> verdicts
    primary: str = ""  #: the judge whose labels drive the metrics (the first one)

    @property
    def labels(self) -> dict[str, str]:
        """prompt id -> the primary judge's label (undecided answers left out)."""
        return labels_of(self.gens, self.judged.get(self.primary, []))


def labels_of(gens: list[Generation], judged: list[Judgment]) -> dict[str, str]:
    """prompt id -> label; an empty label (a judge that could not decide) is left out."""
    return {g.prompt_id: j.label for g, j in zip(gens, judged, strict=True) if j.label}


def _log(run: RunDir | Path | str, name: str) -> JsonlLog:
    if isinstance(run, RunDir):
        return run.log(name)
    return JsonlLog(Path(run) / name)


def generate_and_judge(
    backend: Any,
    model_name: str,
    prompts: list[Prompt],
    decoding: dict[str, Any],
    judges: list[Any],
    run: RunDir | Path | str,
    *,
    cache: GenerationCache | None = None,
    progress: Any = None,
    generations_file: str = "generations.jsonl",
    judgments_file: str = "judgments.jsonl",
) -> StageResult:
    """Answer ``prompts`` with ``backend`` and judge every answer with every judge.

    The first judge is the primary one (its labels drive the metrics). Resumable: see the
    module doc.
    """
    from safetylab.generate import generate_for
    from safetylab.judges import judge_generations

    gens = generate_for(
        backend, model_name, prompts, decoding, _log(run, generations_file), cache, progress
    )
    text_of = {p.id: p.text for p in prompts}
    jlog = _log(run, judgments_file)
    judged = {f"{j.name}@{j.version}": judge_generations(j, gens, text_of, jlog) for j in judges}
    primary = f"{judges[0].name}@{judges[0].version}" if judges else ""
    return StageResult(gens, judged, primary)
