"""Evaluate one model on suites, optionally under adversarial transforms, with several judges.

    safetylab eval --model smollm2-135m-instruct --adapter runs/demo/models/safety-150 \\
        --suites harm,overrefusal,pairs,helpful --judges refusal,strmatch \\
        --attacks synonym,fiction,base64 --out runs/eval-150

Generations are cached (SQLite, by model fingerprint, prompt and decoding), so re-running with
other judges only re-judges.

The helpful suite also measures, where it can: drift from the reference model's answers
(evals/_drift.py; with --adapter or --base), answer quality by a reward model
(--reward-model), multiple-choice capability (--mc, evals/_capability.py) and
lm-evaluation-harness tasks (--lm-eval, evals/_lmeval.py).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from safetylab.config import Count, NonNegativeFloat, Positive, Share
from safetylab.errors import SafetylabError
from safetylab.evals._metrics import mean_row, suite_metrics
from safetylab.evals._suites import get_suite
from safetylab.records import Generation, Judgment, MetricRow, Prompt
from safetylab.store import (
    GenerationCache,
    RunDir,
    cache_dir,
    check_owner,
    write_json,
    write_text,
)

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
        default_factory=lambda: ["refusal", "strmatch"]
    )  #: first one drives the metrics (the validated refusal judge); strmatch: second opinion
    judge_options: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  #: options by judge name, e.g. {"reward": {"model": DIR}}
    n: Count | None = 40  #: prompts per suite and source (balanced over categories); None = all
    source: str | None = None  #: folder with local copies of public sets (adds them to suites)
    attacks: list[str] = field(
        default_factory=list
    )  #: transforms applied to harm and overrefusal prompts
    keyword_check: bool = True  #: also run overrefusal prompts with sensitive words swapped out
    mc: Count = 0  #: multiple-choice capability questions (helpful suite); 0 = skip
    max_new_tokens: Positive = 64  #: answer length limit
    temperature: NonNegativeFloat = 0.0  #: 0 = greedy; > 0 samples, seeded with ``seed``
    top_p: Share = 1.0  #: sampling: nucleus mass kept
    top_k: Count | None = None  #: sampling: candidates kept; None = the backend's default (hf: 50)
    batch_size: Positive = 64  #: prompts per generation batch
    dtype: str = "auto"  #: hf compute dtype: auto (bf16 where the hardware is fast), fp32, bf16
    backend: str = "hf"  #: generation backend: hf, openai (with base_url) or mock
    seed: int = 0  #: transform seeds and bootstrap
    base_url: str | None = None  #: openai backend: the endpoint, e.g. http://127.0.0.1:8000/v1
    api_key_env: str = "OPENAI_API_KEY"  #: openai backend: environment variable with the key
    concurrency: Positive = 8  #: openai backend: requests in flight at most
    timeout: float = 120.0  #: openai backend: seconds per request
    retries: int = 5  #: openai backend: tries after the first one (429, 5xx, timeouts)
    max_wait: float = 300.0  #: openai backend: seconds one request may take in all
    base: str | None = None  #: drift reference model; default: --model itself when --adapter
    drift: bool = True  #: measure drift of helpful answers from the reference model's
    drift_threshold: float = 0.5  #: answers less similar than this to the reference drifted
    reward_model: str | None = None  #: HF sequence-classification model scoring helpful answers
    lm_eval: list[str] = field(default_factory=list)  #: lm-evaluation-harness tasks, e.g. piqa
    lm_eval_limit: Count | None = None  #: questions per lm-eval task; None = all
    lm_eval_include: str | None = None  #: folder of extra lm-eval task YAMLs (local data)


#: Options that may change between runs into one directory: they add judgments or metrics,
#: and what they add is keyed by what produced it (judge version, model fingerprint, ...).
RESUMABLE_OPTIONS = (
    "judges",
    "judge_options",
    "api_key_env",
    "concurrency",
    "timeout",
    "retries",
    "max_wait",
    "base",
    "drift",
    "drift_threshold",
    "reward_model",
    "lm_eval",
    "lm_eval_limit",
    "lm_eval_include",
)


#: Sampling settings: recorded in config.resolved.yaml only when the run samples
SAMPLING_OPTIONS = ("temperature", "top_p", "top_k")


def decoding(cfg: EvalConfig) -> dict[str, Any]:
    """The decoding settings of an eval run: greedy, or sampled with the run's seed."""
    dec: dict[str, Any] = {"max_new_tokens": cfg.max_new_tokens, "do_sample": False}
    if cfg.temperature:
        dec.update(do_sample=True, temperature=cfg.temperature, top_p=cfg.top_p, seed=cfg.seed)
        if cfg.top_k is not None:
            dec["top_k"] = cfg.top_k
    if cfg.dtype != "auto":
        dec["dtype"] = cfg.dtype
    return dec


def build_prompts(cfg: EvalConfig) -> list[Prompt]:
    """Suite prompts; transformed children (changed ones only); neutral keyword rewrites."""
    from safetylab.evals._attacked import changed_children
    from safetylab.evals._keyword import keyword_children

    prompts: list[Prompt] = []
    for name in cfg.suites:
        base = get_suite(name).prompts(cfg.n, cfg.source)
        prompts += base
        if name in ATTACKED_SUITES and cfg.attacks:
            prompts += changed_children(base, cfg.attacks, cfg.seed)
        if name == "overrefusal" and cfg.keyword_check:
            prompts += keyword_children(base)  # curated neutral rewrites, not attack euphemisms
    seen: set[str] = set()
    out = []
    for p in prompts:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out


def model_label(cfg: EvalConfig) -> str:
    return Path(cfg.adapter).name if cfg.adapter else Path(cfg.model).name


def compute_eval_metrics(
    cfg: EvalConfig, prompts: list[Prompt], labels: dict[str, str], model: str
) -> list[MetricRow]:
    """Suite metrics on untransformed prompts; per-transform rates; keyword reliance."""
    from safetylab.evals._attacked import transform_rows
    from safetylab.evals._keyword import keyword_rows

    rows: list[MetricRow] = suite_metrics(model, prompts, labels, cfg.seed, cfg.suites)
    # per transform: coverage, and the rate on changed prompts only (evals/_attacked.py)
    attacked = [s for s in cfg.suites if s in ATTACKED_SUITES]
    rows += transform_rows(model, attacked, cfg.attacks, prompts, labels, cfg.seed)
    if "overrefusal" in cfg.suites and cfg.keyword_check:
        rows += keyword_rows(model, prompts, labels, cfg.seed)
    return rows


def run_eval(cfg: EvalConfig, out: str | Path, *, force: bool = False) -> list[MetricRow]:
    """Run (or resume) an evaluation into ``out``; returns the metric rows."""
    from safetylab.evals._backends import check_options, main_backend, reference_backend
    from safetylab.evals._stage import generate_and_judge
    from safetylab.generate import generate_for, resolved_dtype
    from safetylab.judges import build_judges, judge_generations
    from safetylab.registry import load_plugins

    load_plugins()
    for s in cfg.suites:
        get_suite(s)
    check_options(cfg)
    # a user's folder or another command's run fails now, not after the model has loaded
    check_owner(out, "eval", adopt=(Path(out) / "config.resolved.yaml").is_file())
    judges = build_judges(cfg.judges, cfg.judge_options)
    if cfg.lm_eval:
        from safetylab.evals._lmeval import import_lm_eval

        import_lm_eval()  # a missing package fails before anything is generated
    reward = _reward_judge(cfg)
    # base_url only matters (and is only recorded) for the openai backend: older run
    # directories without the key stay resumable.
    ignore = RESUMABLE_OPTIONS + (("base_url",) if cfg.base_url is None else ())
    conf = asdict(cfg)
    if not cfg.temperature:  # greedy runs record no sampling keys: older run dirs stay resumable
        for k in SAMPLING_OPTIONS:
            conf.pop(k)
    if cfg.dtype == "auto":  # recorded only when forced: older run dirs stay resumable
        conf.pop("dtype")
    prompts = build_prompts(cfg)
    backend, lm = main_backend(cfg)
    ref = reference_backend(cfg, lm)
    # every name and option is checked above: the run directory is created (and locked) last
    run = RunDir(out, conf, force=force, ignore=ignore, command="eval")
    run.log("prompts.jsonl").append(p.to_dict() for p in prompts)
    name = model_label(cfg)
    cache = GenerationCache(cache_dir() / "generations.sqlite")
    from tqdm.auto import tqdm

    dec = decoding(cfg)
    helpful = [p for p in prompts if p.suite == "helpful" and not p.transform]
    try:
        with tqdm(total=len(prompts), desc=f"generate {name}", unit="prompt") as bar:
            stage = generate_and_judge(  # the one generate -> judge stage (evals/_stage.py)
                backend, name, prompts, dec, judges, run, cache=cache, progress=bar
            )
            gens: list[Generation] = stage.gens
        ref_gens: list[Generation] = []
        if ref is not None:
            with tqdm(total=len(helpful), desc=f"generate {ref.name}", unit="prompt") as bar:
                ref_gens = generate_for(
                    ref.backend,
                    ref.name,
                    helpful,
                    dec,
                    run.log("base_generations.jsonl"),
                    cache,
                    bar,
                )
    finally:
        cache.close()
    text_of = {p.id: p.text for p in prompts}
    judged: dict[str, list[Judgment]] = stage.judged
    jlog = run.log("judgments.jsonl")
    primary = stage.primary
    labels = stage.labels  # an empty label (a judge that could not decide) is left out
    rows = compute_eval_metrics(cfg, prompts, labels, name)
    helpful_ids = {p.id for p in helpful}
    helpful_gens = [g for g in gens if g.prompt_id in helpful_ids]
    if ref is not None:
        from safetylab.evals._drift import drift_records, drift_rows

        records = drift_records(helpful_gens, ref_gens, run.log("drift.jsonl"))
        rows += drift_rows(name, records, cfg.drift_threshold, cfg.seed)
    if reward is not None:
        scored = judge_generations(reward, helpful_gens, text_of, jlog)
        # the judge keeps its higher-is-worse convention (score = -logit); quality = the logit
        quality = [-float(j.score) for j in scored if j.score is not None]
        rows.append(mean_row(name, "helpful", "reward_score", quality, cfg.seed))
    if cfg.mc and "helpful" in cfg.suites and lm is not None:
        from safetylab.evals._capability import capability_row

        rows.append(capability_row(name, lm.model, lm.tokenizer, cfg.mc, cfg.seed))
    if cfg.lm_eval and lm is not None:
        from safetylab.evals._lmeval import lm_eval_metrics

        rows += lm_eval_metrics(
            run.file("lm_eval.json"),
            name,
            lm,
            cfg.lm_eval,
            limit=cfg.lm_eval_limit,
            include=cfg.lm_eval_include,
            batch_size=cfg.batch_size,
            seed=cfg.seed,
        )
    write_json(run.file("metrics.json"), [r.to_dict() for r in rows])
    write_text(run.file("report.md"), metrics_markdown(rows, f"{name} (judge {primary})"))
    from safetylab.report import write_view

    write_view([run.path])  # view.html: the browsable page (safetylab view)
    run.write_manifest(
        {
            "model": cfg.model,
            "adapter": cfg.adapter,
            "fingerprint": backend.fingerprint,
            "dtype": resolved_dtype(backend, dec),  # compute dtype of the generations
            "judges": list(judged) + ([f"{reward.name}@{reward.version}"] if reward else []),
            "n_prompts": len(prompts),
            "drift_reference": (
                {"model": ref.name, "fingerprint": ref.backend.fingerprint} if ref else None
            ),
        }
    )
    return rows


def _reward_judge(cfg: EvalConfig) -> Any:
    """The reward judge for helpful answers (None without --reward-model or helpful suite).

    A quality reward model's first logit is higher for better answers; the judge negates it
    (``higher_is_harmful=False``) so its scores keep the project's higher-is-worse convention.
    """
    if not cfg.reward_model or "helpful" not in cfg.suites:
        return None
    from safetylab.judges import RewardJudge

    try:
        return RewardJudge(cfg.reward_model, higher_is_harmful=False)
    except SafetylabError as e:
        raise SafetylabError(f"--reward-model {cfg.reward_model}: {e}") from None


def metrics_markdown(rows: list[MetricRow], title: str) -> str:
    lines = [f"# {title}", "", "| suite | metric | value | 95% CI | n |", "|---|---|---|---|---|"]
    for r in rows:
        ci = "" if r.ci_low != r.ci_low else f"[{r.ci_low:.2f}, {r.ci_high:.2f}]"
        lines.append(f"| {r.suite} | {r.metric} | {r.value:.3f} | {ci} | {r.n} |")
    return "\n".join(lines) + "\n"
