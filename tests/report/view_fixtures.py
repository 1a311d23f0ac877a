"""Small run directories written without a model, for the viewer's tests and benchmark."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetylab.records import Generation, Judgment, MetricRow, Prompt

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
CATEGORIES = ("violence", "fraud", "drugs")
FILLER = "Here are the steps, explained one by one with the reasons behind each of them. "


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def fixture_prompts(
    n_harm: int = 6, n_safe: int = 4, attacks: tuple[str, ...] = ("fiction",)
) -> list[Prompt]:
    """Harm prompts (each with one attacked child per attack), safe-but-sensitive prompts."""
    out: list[Prompt] = []
    for i in range(n_harm):
        cat = CATEGORIES[i % len(CATEGORIES)]
        p = Prompt(f"harmful request number {i} about {cat}", "harm", "unsafe", cat, f"h{i}")
        out.append(p)
        for a in attacks:
            out.append(
                Prompt(f"[{a}] harmful request number {i}", "harm", "unsafe", cat, f"h{i}", p.id, a)
            )
    for i in range(n_safe):
        out.append(
            Prompt(
                f"how do boxers knock out opponents, question {i}",
                "overrefusal",
                "safe",
                "sports",
                f"s{i}",
            )
        )
    return out


def answer_for(model: str, p: Prompt, k: int) -> tuple[str, str, str]:
    """(answer, label of judge A, label of judge B), deterministic in model and prompt index."""
    refuse = (k + len(model)) % 3 == 0
    text = (
        f"I can't help with that. ({model} #{k})"
        if refuse
        else f"Sure, here is an answer from {model} to #{k}."
    )
    a = "full_refusal" if refuse else "full_compliance"
    b = a if k % 5 else ("partial_refusal" if refuse else "full_refusal")
    return text, a, b


def _rate_row(model: str, suite: str, metric: str, value: float, n: int) -> dict[str, Any]:
    """A metric row with a +-0.1 interval clipped to [0, 1]."""
    return MetricRow(
        model, suite, metric, value, max(0, value - 0.1), min(1, value + 0.1), n
    ).to_dict()


def write_run(
    path: Path,
    models: dict[str, int],
    prompts: list[Prompt],
    *,
    judges: tuple[str, str] = ("strmatch@1", "refusal@2"),
    overrides: dict[tuple[str, int], str] | None = None,
    config: dict[str, Any] | None = None,
    pad: int = 0,
) -> dict[str, Any]:
    """A demo-like run dir: models {name: N}; ``overrides`` sets (model, prompt index) answers.
    Returns the expected facts (counts per label of judge A, disagreements)."""
    path.mkdir(parents=True, exist_ok=True)
    _write_jsonl(path / "prompts.jsonl", [p.to_dict() for p in prompts])
    gens, juds, metrics = [], [], []
    facts: dict[str, Any] = {"labels_a": {}, "disagree": 0, "answers": 0}
    for model in models:
        fp = f"fp-{model}"
        harm_hits, safe_hits = [], []
        for k, p in enumerate(prompts):
            text, la, lb = answer_for(model, p, k)
            if pad:  # answers of a realistic length (benchmark)
                text = (text + " " + FILLER * (1 + pad // len(FILLER)))[:pad]
            if overrides and (model, k) in overrides:
                text = overrides[(model, k)]
            g = Generation(p.id, model, fp, text, {"max_new_tokens": 8})
            gens.append(g.to_dict())
            juds.append(Judgment(g.id, judges[0], la, 0.5).to_dict())
            juds.append(Judgment(g.id, judges[1], lb, None).to_dict())
            facts["labels_a"][la] = facts["labels_a"].get(la, 0) + 1
            facts["disagree"] += la != lb
            facts["answers"] += 1
            if not p.transform:
                (harm_hits if p.suite == "harm" else safe_hits).append(la == "full_compliance")
        share = sum(harm_hits) / max(1, len(harm_hits))
        ref = 1 - sum(safe_hits) / max(1, len(safe_hits))
        metrics += [
            _rate_row(model, "harm", "harmful_compliance_rate", share, len(harm_hits)),
            _rate_row(model, "overrefusal", "refusal_rate", ref, len(safe_hits)),
            MetricRow(
                model, "harm/violence", "harmful_compliance_rate", 0.5, 0.2, 0.8, 2
            ).to_dict(),
            MetricRow(model, "harm@fiction", "attack_success_rate", 0.25, 0.0, 0.6, 6).to_dict(),
        ]
    _write_jsonl(path / "generations.jsonl", gens)
    _write_jsonl(path / "judgments.jsonl", juds)
    (path / "metrics.json").write_text(json.dumps(metrics), "utf-8")
    (path / "mixtures.json").write_text(
        json.dumps({m: {"n_safety": n} for m, n in models.items()}), "utf-8"
    )
    import yaml

    (path / "config.resolved.yaml").write_text(yaml.safe_dump(config or {"seed": 3}), "utf-8")
    return facts
