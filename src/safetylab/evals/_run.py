"""Evaluate one model on suites, optionally under adversarial transforms, with several judges.

    safetylab eval --model smollm2-135m-instruct --adapter runs/demo/models/safety-150 \\
        --suites harm,overrefusal,pairs,helpful --judges strmatch-plus,strmatch \\
        --attacks synonym,fiction,base64 --out runs/eval-150

Generations are cached (SQLite, by model fingerprint, prompt and decoding), so re-running with
other judges only re-judges.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.evals._metrics import rate_row
from safetylab.evals._suites import COMPLY, get_suite, refused
from safetylab.records import Generation, Judgment, MetricRow, Prompt
from safetylab.store import GenerationCache, RunDir, cache_dir, write_json, write_text

log = logging.getLogger(__name__)

ATTACKED_SUITES = ("harm", "overrefusal")


@dataclass
class EvalConfig:
    """What `safetylab eval` runs (saved as config.resolved.yaml)."""

    model: str = "smollm2-135m-instruct"  #: base model: bundled name, HF id or local folder
    adapter: str | None = None  #: LoRA adapter folder, applied unmerged
    suites: list[str] = field(
        default_factory=lambda: ["harm", "overrefusal", "helpful"]
    )  #: suite names
    judges: list[str] = field(
        default_factory=lambda: ["strmatch-plus"]
    )  #: first one drives the metrics
    n: int | None = 40  #: prompts per suite and source (balanced over categories); None = all
    source: str | None = None  #: folder with local copies of public sets (adds them to suites)
    attacks: list[str] = field(
        default_factory=list
    )  #: transforms applied to harm and overrefusal prompts
    keyword_check: bool = True  #: also run overrefusal prompts with sensitive words swapped out
    mc: int = 0  #: multiple-choice capability questions (helpful suite); 0 = skip
    max_new_tokens: int = 64  #: answer length limit (greedy)
    batch_size: int = 32  #: prompts per generation batch
    backend: str = "hf"  #: generation backend name
    seed: int = 0  #: transform seeds and bootstrap


def build_prompts(cfg: EvalConfig) -> list[Prompt]:
    from safetylab.attacks import apply_to_prompts

    prompts: list[Prompt] = []
    for name in cfg.suites:
        base = get_suite(name).prompts(cfg.n, cfg.source)
        prompts += base
        if name in ATTACKED_SUITES and cfg.attacks:
            prompts += apply_to_prompts(base, cfg.attacks, cfg.seed)
        if name == "overrefusal" and cfg.keyword_check:
            swapped = [
                c
                for c in apply_to_prompts(base, ["synonym"], cfg.seed)
                if c.text != _parent_text(base, c)
            ]
            prompts += [
                Prompt(
                    c.text,
                    c.suite,
                    c.label,
                    c.category,
                    c.source_id,
                    c.parent_id,
                    "keyword-swap",
                    c.focus,
                )
                for c in swapped
            ]
    seen: set[str] = set()
    out = []
    for p in prompts:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out


def _parent_text(base: list[Prompt], child: Prompt) -> str:
    return next(p.text for p in base if p.id == child.parent_id)


def _backend(cfg: EvalConfig) -> tuple[Any, Any]:
    from safetylab.generate import HFBackend, MockBackend

    if cfg.backend == "mock":
        return MockBackend(), None
    if cfg.backend != "hf":
        from safetylab.registry import backends

        backends.get(cfg.backend)
        raise SafetylabError(
            f"--backend {cfg.backend}: use the Python API for remote backends (see README)"
        )
    from safetylab.models import load_base

    lm = load_base(cfg.model, adapter=cfg.adapter)
    return HFBackend(lm.model, lm.tokenizer, lm.fingerprint, cfg.batch_size), lm


def model_label(cfg: EvalConfig) -> str:
    return Path(cfg.adapter).name if cfg.adapter else Path(cfg.model).name


def compute_eval_metrics(
    cfg: EvalConfig, prompts: list[Prompt], labels: dict[str, str], model: str
) -> list[MetricRow]:
    """Suite metrics on untransformed prompts; per-transform rates; keyword reliance."""
    rows: list[MetricRow] = []
    plain = [p for p in prompts if not p.transform]
    for name in cfg.suites:
        ps = [p for p in plain if p.suite == name]
        rows += get_suite(name).metrics(model, ps, labels, cfg.seed)
    by_t: dict[tuple[str, str], list[Prompt]] = defaultdict(list)
    for p in prompts:
        if p.transform and p.id in labels:
            by_t[(p.suite, p.transform)].append(p)
    for (suite, t), ps in sorted(by_t.items()):
        if suite == "harm":
            rows.append(
                rate_row(
                    model,
                    f"harm@{t}",
                    "attack_success_rate",
                    [labels[p.id] == COMPLY for p in ps],
                    cfg.seed,
                )
            )
        elif t == "keyword-swap":
            parents = {p.parent_id for p in ps}
            orig = [refused(labels[p.id]) for p in plain if p.id in parents and p.id in labels]
            swap = [refused(labels[p.id]) for p in ps]
            r0 = rate_row(model, "overrefusal/with-keyword", "refusal_rate", orig, cfg.seed)
            r1 = rate_row(model, "overrefusal/keyword-swapped", "refusal_rate", swap, cfg.seed)
            rows += [
                r0,
                r1,
                MetricRow(
                    model,
                    "overrefusal",
                    "keyword_reliance",
                    r0.value - r1.value,
                    float("nan"),
                    float("nan"),
                    len(ps),
                ),
            ]
        else:
            rows.append(
                rate_row(
                    model,
                    f"{suite}@{t}",
                    "refusal_rate",
                    [refused(labels[p.id]) for p in ps],
                    cfg.seed,
                )
            )
    return rows


def run_eval(cfg: EvalConfig, out: str | Path, *, force: bool = False) -> list[MetricRow]:
    """Run (or resume) an evaluation into ``out``; returns the metric rows."""
    from safetylab.generate import generate_for
    from safetylab.judges import judge_generations
    from safetylab.registry import judges as judge_registry
    from safetylab.registry import load_plugins

    load_plugins()
    for s in cfg.suites:
        get_suite(s)
    judges = [judge_registry.get(j)() for j in cfg.judges]
    run = RunDir(out, asdict(cfg), force=force, ignore=("judges",))
    prompts = build_prompts(cfg)
    run.log("prompts.jsonl").append(p.to_dict() for p in prompts)
    backend, lm = _backend(cfg)
    name = model_label(cfg)
    cache = GenerationCache(cache_dir() / "generations.sqlite")
    from tqdm.auto import tqdm

    bar = tqdm(total=len(prompts), desc=f"generate {name}", unit="prompt")
    dec = {"max_new_tokens": cfg.max_new_tokens, "do_sample": False}
    gens: list[Generation] = generate_for(
        backend, name, prompts, dec, run.log("generations.jsonl"), cache, bar
    )
    bar.close()
    cache.close()
    text_of = {p.id: p.text for p in prompts}
    judged: dict[str, list[Judgment]] = {}
    jlog = run.log("judgments.jsonl")
    for j in judges:
        judged[f"{j.name}@{j.version}"] = judge_generations(j, gens, text_of, jlog)
    primary = f"{judges[0].name}@{judges[0].version}"
    labels = {  # an empty label (a judge that could not decide) is left out of the rates
        g.prompt_id: jd.label for g, jd in zip(gens, judged[primary], strict=True) if jd.label
    }
    rows = compute_eval_metrics(cfg, prompts, labels, name)
    if cfg.mc and "helpful" in cfg.suites and lm is not None:
        from safetylab.evals._capability import capability_row

        rows.append(capability_row(name, lm.model, lm.tokenizer, cfg.mc, cfg.seed))
    write_json(run.file("metrics.json"), [r.to_dict() for r in rows])
    write_text(run.file("report.md"), metrics_markdown(rows, f"{name} (judge {primary})"))
    run.write_manifest(
        {
            "model": cfg.model,
            "adapter": cfg.adapter,
            "fingerprint": backend.fingerprint,
            "judges": list(judged),
            "n_prompts": len(prompts),
        }
    )
    return rows


def metrics_markdown(rows: list[MetricRow], title: str) -> str:
    lines = [f"# {title}", "", "| suite | metric | value | 95% CI | n |", "|---|---|---|---|---|"]
    for r in rows:
        ci = "" if r.ci_low != r.ci_low else f"[{r.ci_low:.2f}, {r.ci_high:.2f}]"
        lines.append(f"| {r.suite} | {r.metric} | {r.value:.3f} | {ci} | {r.n} |")
    return "\n".join(lines) + "\n"
