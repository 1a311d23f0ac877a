"""The demo sweep: mixtures -> LoRA per N -> generate -> judge -> metrics -> report.

    safetylab demo --out runs/demo          # full grid
    safetylab demo --quick                  # smaller grid, a first look

Every stage skips what the run directory already has, so re-running resumes.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from safetylab.config import DemoConfig
from safetylab.data import (
    balanced_mixture,
    find_contamination,
    load_bundled,
    mixture_sha256,
)
from safetylab.errors import SafetylabError
from safetylab.evals import suite_metrics
from safetylab.evals._suites import get_suite
from safetylab.generate import HFBackend, generate_for
from safetylab.judges import judge_generations
from safetylab.judges._spec import build_judges
from safetylab.records import Example, Generation, Judgment, MetricRow, Prompt
from safetylab.registry import load_plugins
from safetylab.store import GenerationCache, RunDir, cache_dir, sha256_file, write_json

log = logging.getLogger(__name__)

DEMO_SUITES = ("harm", "overrefusal", "helpful")


def model_name(n: int) -> str:
    return f"safety-{n}"


class Timer:
    """Wall time per stage, written to ``timings.json``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Any:
        t = time.perf_counter()
        log.info("[%s] ...", name)
        yield
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - t, 2)


def eval_prompts(cfg: DemoConfig) -> list[Prompt]:
    sizes = asdict(cfg.eval)
    out: list[Prompt] = []
    for suite in DEMO_SUITES:
        out.extend(get_suite(suite).prompts(sizes[suite]))
    return out


def check_contamination(train_prompts: list[str], prompts: list[Prompt]) -> None:
    """Fail loudly if any evaluation prompt (exact or 8-gram) is in the training data."""
    hits = find_contamination(train_prompts, [p.text for p in prompts], n=8)
    if hits:
        i, j, why = hits[0]
        raise SafetylabError(
            f"{len(hits)} training prompt(s) overlap evaluation prompts ({why}): "
            f"train {train_prompts[i][:60]!r} vs eval {prompts[j].source_id}"
        )


def _safety_examples() -> list[Example]:
    return [
        Example(r["prompt"], r["refusal"], "bundled/safety", r["category"], "safety", "unsafe")
        for r in load_bundled("safety")
    ]


def distill_general(
    cfg: DemoConfig, backend: HFBackend, run: RunDir, cache: GenerationCache, progress: Any
) -> list[Example]:
    """General instructions answered by the base model itself (greedy), cached."""
    rows = load_bundled("general")[: cfg.n_general]
    prompts = [Prompt(r["instruction"], "distill", "safe", r["task_type"], r["id"]) for r in rows]
    dec = {"max_new_tokens": cfg.distill_max_new_tokens, "do_sample": False}
    gens = generate_for(backend, "base", prompts, dec, run.log("distill.jsonl"), cache, progress)
    limit = cfg.distill_max_new_tokens
    return [
        Example(
            p.text, g.text, "bundled/general", p.category, "general", "safe", g.n_tokens < limit
        )
        for p, g in zip(prompts, gens, strict=True)
        if g.text.strip()
    ]


def _bar(total: int, desc: str, unit: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit)


def run_demo(cfg: DemoConfig, out: str | Path, *, force: bool = False) -> list[MetricRow]:
    """Run (or resume) the sweep into ``out``; returns the metric rows."""
    import torch

    load_plugins()
    torch.manual_seed(cfg.seed)
    run = RunDir(out, cfg.to_dict(), force=force)
    timer = Timer()
    judges = build_judges(cfg.judges, cfg.judge_options)

    prompts = eval_prompts(cfg)
    run.log("prompts.jsonl").append(p.to_dict() for p in prompts)
    general_rows = load_bundled("general")[: cfg.n_general]
    safety_all = _safety_examples()
    if max(cfg.grid) > len(safety_all):
        raise SafetylabError(
            f"grid: at most {len(safety_all)} bundled safety examples, got {max(cfg.grid)}"
        )
    check_contamination(
        [r["instruction"] for r in general_rows] + [e.prompt for e in safety_all], prompts
    )

    from safetylab.models import load_adapters, load_base

    with timer.stage("load"):
        base = load_base(cfg.model)
    cache = GenerationCache(cache_dir() / "generations.sqlite")
    backend = HFBackend(base.model, base.tokenizer, base.fingerprint, cfg.gen_batch_size)
    with timer.stage("distill"):
        bar = _bar(cfg.n_general, "distill general answers", "prompt")
        general = distill_general(cfg, backend, run, cache, bar)
        bar.close()

    mixtures: dict[int, list[Example]] = {}
    mix_info: dict[str, Any] = {}
    mix_dir = run.file("mixtures")
    mix_dir.mkdir(exist_ok=True)
    for n in cfg.grid:
        mix = balanced_mixture(general, safety_all, n, cfg.seed)
        mixtures[n] = mix
        sha = mixture_sha256(mix)
        mix_info[model_name(n)] = {
            "n_safety": n,
            "n_general": len(general),
            "rows": len(mix),
            "sha256": sha,
        }
        path = mix_dir / f"{model_name(n)}.jsonl"
        if not path.exists() or sha256_file(path) != _jsonl_sha(mix):
            path.write_text(
                "".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in mix),
                encoding="utf-8",
            )
    run.log("examples.jsonl").append(e.to_dict() for n in cfg.grid for e in mixtures[n])
    write_json(run.file("mixtures.json"), mix_info)

    adapters = _train_all(cfg, run, mixtures, mix_info, base.fingerprint, timer)

    gen_log = run.log("generations.jsonl")
    jud_log = run.log("judgments.jsonl")
    dec = {"max_new_tokens": cfg.max_new_tokens, "do_sample": False}
    text_of = {p.id: p.text for p in prompts}
    all_gens: dict[str, list[Generation]] = {}
    all_judg: dict[str, dict[str, list[Judgment]]] = {}
    with timer.stage("generate"):  # base weights once, every model's adapter onto them
        tuned, fingerprints = load_adapters(
            cfg.model, {model_name(n): adapters[n] for n in cfg.grid}
        )
    for n in cfg.grid:
        name = model_name(n)
        with timer.stage("generate"):
            be = HFBackend(
                tuned.model, tuned.tokenizer, fingerprints[name], cfg.gen_batch_size, adapter=name
            )
            bar = _bar(len(prompts), f"generate {name}", "prompt")
            all_gens[name] = generate_for(be, name, prompts, dec, gen_log, cache, bar)
            bar.close()
        with timer.stage("judge"):
            all_judg[name] = {
                f"{j.name}@{j.version}": judge_generations(j, all_gens[name], text_of, jud_log)
                for j in judges
            }
    cache.close()

    with timer.stage("metrics"):
        primary = f"{judges[0].name}@{judges[0].version}"
        rows = compute_metrics(
            prompts, all_gens, {m: all_judg[m][primary] for m in all_judg}, cfg.seed
        )
        write_json(run.file("metrics.json"), [r.to_dict() for r in rows])
    with timer.stage("report"):
        from safetylab.report import write_reports

        write_reports(run.path, cfg, rows, prompts, all_gens, all_judg, primary)
    write_json(run.file("timings.json"), timer.seconds)
    run.write_manifest(
        {
            "base_model": cfg.model,
            "base_fingerprint": base.fingerprint,
            "model_fingerprints": fingerprints,
            "mixtures": mix_info,
            "judges": [f"{j.name}@{j.version}" for j in judges],
            "data_sha256": {
                p.name: sha256_file(p)
                for p in sorted((Path(__file__).parent / "data" / "bundled").rglob("*.jsonl"))
            },
        }
    )
    return rows


def _jsonl_sha(rows: list[Example]) -> str:
    import hashlib

    text = "".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in rows)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _train_all(
    cfg: DemoConfig,
    run: RunDir,
    mixtures: dict[int, list[Example]],
    mix_info: dict[str, Any],
    base_fp: str,
    timer: Timer,
) -> dict[int, Path]:
    """One LoRA adapter per N; an adapter whose train_state matches its mixture is reused."""
    from safetylab.models import load_base
    from safetylab.train import PrefixCache, apply_lora, train

    adapters: dict[int, Path] = {}
    prefix = PrefixCache()
    for n in cfg.grid:
        name = model_name(n)
        out = run.file("models") / name
        adapters[n] = out
        state = out / "train_state.json"
        if state.exists() and (out / "adapter_model.safetensors").exists():
            info = json.loads(state.read_text())
            if info.get("mixture_sha256") == mix_info[name]["sha256"]:
                log.info("%s already trained, skipping", name)
                continue
        with timer.stage("train"):
            lm = load_base(cfg.model)
            model = apply_lora(lm.model, cfg.train)
            stats = train(
                model,
                lm.tokenizer,
                mixtures[n],
                cfg.train,
                out,
                desc=f"train {name}",
                metadata={"mixture_sha256": mix_info[name]["sha256"], "base_fingerprint": base_fp},
                prefix_cache=prefix,
                resume=True,  # a demo stopped mid-training continues from its last checkpoint
                save_on_interrupt=True,
            )
            log.info(
                "%s: loss %.3f -> %.3f, %s tokens/s",
                name,
                stats["loss_first"],
                stats["loss_last"],
                stats["tokens_per_s"],
            )
    return adapters


def compute_metrics(
    prompts: list[Prompt],
    gens: dict[str, list[Generation]],
    judgments: dict[str, list[Judgment]],
    seed: int,
) -> list[MetricRow]:
    """Per model, each suite's metrics (harmful-compliance rate, refusal rates, per category)."""
    rows: list[MetricRow] = []
    for model, glist in gens.items():
        labels = {
            g.prompt_id: j.label for g, j in zip(glist, judgments[model], strict=True) if j.label
        }
        rows.extend(suite_metrics(model, prompts, labels, seed, DEMO_SUITES))
    return rows
