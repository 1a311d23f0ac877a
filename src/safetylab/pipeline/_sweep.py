"""The study grid: every cell (base model x strategy x N x seed) through the one pipeline, then
one comparative report.

    safetylab study demo                          # what `safetylab demo` runs
    safetylab study cpu --out runs/cpu            # all four strategies on the bundled model
    safetylab study my.yaml --out runs/s --shard 2/8      # one of 8 workers on one study dir
    safetylab study --status runs/s

Study directory: ``config.resolved.yaml``, ``prompts.jsonl``, ``general/`` (the general data,
distilled once per base model), ``cells/<cell id>/`` (one run directory per cell: mixture,
adapter, generations, judgments, metrics, ``done.json`` or ``error.json``), and over all
finished cells ``metrics.json``, ``answers.csv``, ``report.md``, ``report.html`` (written by
``_aggregate.py``).

Workers: a cell runs under a file lock (``cells/<id>.lock``); ``--shard i/k`` takes every k-th
cell; a finished cell is never redone, a half-done one resumes from its logs and checkpoints, a
failed one is recorded and retried on the next run while the others go on.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.evals import generate_and_judge
from safetylab.pipeline._aggregate import aggregate, cell_dir
from safetylab.pipeline._cell import (
    Cell,
    build_cell_mixture,
    cell_state,
    data_sha256,
    distill_prompts,
    enumerate_cells,
    general_examples,
    general_rows,
    mark,
    study_prompts,
    write_general_file,
)
from safetylab.pipeline._config import StudyConfig, train_config
from safetylab.records import Example, MetricRow, content_id
from safetylab.store import (
    GenerationCache,
    JsonlLog,
    RunDir,
    cache_dir,
    try_lock,
    write_json,
)

log = logging.getLogger(__name__)

#: Options that may differ between runs into one study dir (they do not change any result)
RESUMABLE = ("name", "probes", "gpu_hours_per_1k_examples", "base_url")


@dataclass
class StudyResult:
    """What one worker did, and the study's rows over every finished cell."""

    cells: list[Cell]
    ran: list[str] = field(default_factory=list)  #: cell ids this worker finished
    failed: dict[str, str] = field(default_factory=dict)  #: cell label@id -> error
    rows: list[dict[str, Any]] = field(default_factory=list)  #: metrics.json rows


def parse_shard(text: str | None) -> tuple[int, int]:
    """``i/k`` (1-based) -> (i, k); None -> (1, 1)."""
    if not text:
        return (1, 1)
    try:
        i, k = (int(x) for x in text.split("/"))
    except ValueError:
        raise SafetylabError(f"--shard {text!r}: expected i/k, e.g. 2/8") from None
    if not 1 <= i <= k:
        raise SafetylabError(f"--shard {text}: i must be in 1..k")
    return (i, k)


def _lock(path: Path, timeout: float) -> Any:
    from filelock import FileLock

    return FileLock(str(path), timeout=timeout)


def _vllm_fingerprint(model: str, tokenizer: Any, adapter: Path) -> str:
    """What VLLMBackend(model, adapter=adapter) would call its fingerprint."""
    from safetylab.models import fingerprint, resolve_model_path

    return fingerprint(resolve_model_path(model), tokenizer, adapter) + ":vllm"


def open_study_dir(
    out: str | Path, conf: dict[str, Any], force: bool, wait_s: float = 600
) -> RunDir:
    """The study's RunDir, waiting while another worker holds it (it holds it only briefly:
    to write shared files and to aggregate)."""
    t0 = time.monotonic()
    while True:
        try:
            return RunDir(out, conf, force=force, ignore=RESUMABLE, command="study")
        except SafetylabError as e:
            if "is in use by" not in str(e) or time.monotonic() - t0 > wait_s:
                raise
            time.sleep(0.2)


class Study:
    """A study directory bound to one config; runs this worker's cells."""

    def __init__(self, cfg: StudyConfig, out: str | Path, *, source: str | None = None,
                 force: bool = False) -> None:  # fmt: skip
        self.cfg = cfg
        self.source = source
        self.conf = {**cfg.to_dict(), "source_given": bool(source)}
        self.force = force
        self.train = train_config(cfg)
        self.prompts = study_prompts(cfg, source)
        self.prompts_sha = content_id([p.id for p in self.prompts], n=64)
        self.cells = enumerate_cells(cfg, self.prompts_sha, data_sha256())
        run = open_study_dir(out, self.conf, force)
        try:
            self.path = run.path
            JsonlLog(self.path / "prompts.jsonl").append(p.to_dict() for p in self.prompts)
            write_json(self.path / "cells.json", [c.to_dict() for c in self.cells])
        finally:
            run.close()
        self._judges: list[Any] | None = None
        self._general: dict[str, tuple[list[Example], Path]] = {}
        self._prefix: dict[str, Any] = {}
        self._engines: dict[str, Any] = {}  #: vLLM engine per base model
        self._lora_of: dict[str, dict[str, Any]] = {}  #: its LoRARequest per adapter

    def cell_dir(self, cell: Cell) -> Path:
        return cell_dir(self.path, cell)

    # ------------------------------------------------------------ running

    def run_shard(self, shard: tuple[int, int] = (1, 1)) -> StudyResult:
        i, k = shard
        mine = [c for j, c in enumerate(self.cells) if j % k == i - 1]
        res = StudyResult(self.cells)
        for cell in mine:
            d = self.cell_dir(cell)
            if cell_state(d) == "done" and not self.stale(d, cell):
                continue
            lock = try_lock(
                self.path / "cells" / f"{cell.id}.lock", f"safetylab study: {cell.label}"
            )
            if lock is None:
                log.info("%s: another worker is running it", cell.label)
                continue
            try:
                if cell_state(d) == "done" and not self.stale(d, cell):
                    continue
                (d / "done.json").unlink(missing_ok=True)  # a stale cell is judged again
                self._run_cell(cell, d, res)
            finally:
                lock.release()
        run = open_study_dir(self.path, self.conf, self.force)
        try:
            res.rows = self.aggregate()
            try:
                self.run_probes()
            except SafetylabError as e:  # probes are extra: the study's numbers stand
                log.warning("probes not run: %s", e)
        finally:
            run.close()
        for c in self.cells:  # failures of any worker, as recorded in the study dir
            err = self.cell_dir(c) / "error.json"
            if cell_state(self.cell_dir(c)) == "failed":
                res.failed[f"{c.label}@{c.id}"] = json.loads(err.read_text())["error"]
        return res

    def _run_cell(self, cell: Cell, d: Path, res: StudyResult) -> None:
        t0 = time.time()
        try:
            run = RunDir(d, {"cell": cell.to_dict()}, command="study-cell")
        except SafetylabError as e:
            res.failed[f"{cell.label}@{cell.id}"] = str(e)
            return
        (d / "error.json").unlink(missing_ok=True)
        try:
            self.run_cell(cell, run)
        except Exception as e:  # recorded; the other cells go on
            log.error("cell %s failed: %s", cell.label, e)
            msg = str(e) if isinstance(e, SafetylabError) else f"{type(e).__name__}: {e}"
            mark(d, "error.json", {"cell": cell.to_dict(), "error": msg,
                                   "traceback": traceback.format_exc()})  # fmt: skip
        else:
            mark(d, "done.json", {"cell": cell.to_dict(), "seconds": round(time.time() - t0, 1),
                                  "judges": self.judge_ids()})  # fmt: skip
            res.ran.append(cell.id)
        finally:
            run.close()

    def judges(self) -> list[Any]:
        if self._judges is None:
            from safetylab.judges import build_judges

            self._judges = build_judges(self.cfg.eval.judges, self.cfg.eval.judge_options)
        return self._judges

    def judge_ids(self) -> list[str]:
        """``name@version`` of the study's judges, primary first."""
        return [f"{j.name}@{j.version}" for j in self.judges()]

    def stale(self, d: Path, cell: Cell) -> bool:
        """A finished cell judged by other judge versions than this safetylab's (a new judge
        release): it is judged again from its stored answers, its adapter and answers reused."""
        for name in ("done.json", "manifest.json"):
            f = d / name
            if f.exists():
                had = json.loads(f.read_text(encoding="utf-8")).get("judges")
                if had is not None:
                    if sorted(had) != sorted(self.judge_ids()):
                        log.info("%s: judged by %s, now %s: judging it again", cell.label,
                                 ", ".join(had), ", ".join(self.judge_ids()))  # fmt: skip
                        return True
                    return False
        return False

    def general(self, model: str) -> tuple[list[Example], Path]:
        """The general Examples for ``model`` (distilled once per base model, under a lock)."""
        if model in self._general:
            return self._general[model]
        g = self.cfg.general
        key = content_id(model, dataclasses.asdict(g), self.cfg.backend, n=12)
        gdir = self.path / "general"
        gdir.mkdir(exist_ok=True)
        path = gdir / f"{key}.jsonl"
        rows = general_rows(self.cfg, self.source)
        with _lock(gdir / f"{key}.lock", -1):
            answers = None
            if g.distill:
                backend = self.backend(model, None, model)  # the server knows the base by name
                dec = {"max_new_tokens": g.distill_max_new_tokens, "do_sample": False}
                from safetylab.generate import generate_for

                cache = GenerationCache(cache_dir() / "generations.sqlite")
                try:
                    gens = generate_for(backend, "base", distill_prompts(rows), dec,
                                        JsonlLog(gdir / f"{key}.distill.jsonl"), cache)  # fmt: skip
                finally:
                    cache.close()
                by_id = {p.id: p.text for p in distill_prompts(rows)}
                answers = {by_id[x.prompt_id]: (x.text, x.n_tokens) for x in gens}
            examples = general_examples(rows, answers, g.distill_max_new_tokens)
            if not examples:
                what = (
                    f"the base model {model} answered none" if g.distill else "none has an answer"
                )
                raise SafetylabError(f"general: of its {len(rows)} instructions {what}")
            if not path.exists():
                write_general_file(path, examples)
        self._general[model] = (examples, path)
        return examples, path

    def backend(self, model: str, adapter: Path | None, name: str, tag: str = "base") -> Any:
        """The generation backend of one model (base, or base + a cell's adapter)."""
        cfg = self.cfg
        if cfg.backend == "mock":
            from safetylab.generate import MockBackend

            return MockBackend(f"mock:{model}:{tag}")  # one fingerprint per cell, as trained ones
        if cfg.backend == "vllm" and adapter is not None:
            return self.vllm_backend(model, adapter, name)
        if cfg.backend == "openai":
            from safetylab.generate import OpenAIBackend

            return OpenAIBackend(str(cfg.base_url), name)  # the server serves each adapter by name
        from safetylab.generate import HFBackend
        from safetylab.models import load_base

        # hf also distills the general answers of a vllm study (one vLLM engine per process)
        lm = load_base(model, adapter=adapter)
        be = HFBackend(lm.model, lm.tokenizer, lm.fingerprint, cfg.eval.batch_size)
        be.loaded = lm  # type: ignore[attr-defined]
        return be

    def vllm_backend(self, model: str, adapter: Path, name: str) -> Any:
        """One vLLM engine per base model for every cell's adapter (a LoRARequest each)."""
        import copy

        from safetylab import generate

        engine = self._engines.get(model)
        if engine is None:
            engine = generate.VLLMBackend(
                model, adapter=adapter, batch_size=self.cfg.eval.batch_size
            )
            self._engines[model] = engine
            self._lora_of[model] = {str(adapter): engine.lora}
            return engine
        loras = self._lora_of[model]
        if str(adapter) not in loras:
            from vllm.lora.request import LoRARequest

            loras[str(adapter)] = LoRARequest(name, len(loras) + 1, str(adapter))
        be = copy.copy(engine)  # shares the engine; its own adapter and fingerprint
        be.lora = loras[str(adapter)]
        be.fingerprint = _vllm_fingerprint(model, engine.tokenizer, adapter)
        return be

    def run_cell(self, cell: Cell, run: RunDir) -> None:
        """mixture -> train -> generate -> judge -> metrics, each step resumable."""
        import torch

        from safetylab.data import write_mixture

        torch.manual_seed(cell.seed)
        d = run.path
        write_json(d / "cell.json", cell.to_dict())
        general, gfile = self.general(cell.model)
        mix = build_cell_mixture(self.cfg, cell, general, gfile, self.source)
        mix_path = d / "mixture.jsonl"
        write_mixture(mix.examples, mix.card, mix_path)
        adapter = self.train_cell(cell, d, mix.examples)
        backend = self.backend(cell.model, adapter, cell.label, cell.id)
        dec = {"max_new_tokens": self.cfg.eval.max_new_tokens, "do_sample": False}
        run.log("prompts.jsonl").append(p.to_dict() for p in self.prompts)
        cache = GenerationCache(cache_dir() / "generations.sqlite")
        try:
            res = generate_and_judge(backend, cell.label, self.prompts, dec, self.judges(), run,
                                     cache=cache)  # fmt: skip
        finally:
            cache.close()
        rows = self.cell_metrics(cell, res.labels)
        lm = getattr(backend, "loaded", None)
        if self.cfg.eval.mc and lm is not None and "helpful" in self.cfg.eval.suites:
            rows.append(self.capability(cell, d, backend.fingerprint, lm))
        write_json(d / "metrics.json", [r.to_dict() for r in rows])
        from safetylab.data import mixture_sha256

        run.write_manifest(
            {
                "cell": cell.to_dict(),
                "fingerprint": backend.fingerprint,
                "mixture_sha256": mixture_sha256(mix.examples),
                "judges": list(res.judged),
                "n_prompts": len(self.prompts),
            }
        )

    def capability(self, cell: Cell, d: Path, fingerprint: str, lm: Any) -> MetricRow:
        """The multiple-choice capability row, kept in ``capability.json`` for the model's
        fingerprint: a cell judged again (new judge version) does not score it again."""
        from safetylab.evals import capability_row
        from safetylab.records import from_dict

        f = d / "capability.json"
        key = {"fingerprint": fingerprint, "mc": self.cfg.eval.mc, "seed": cell.seed}
        if f.exists():
            saved = json.loads(f.read_text(encoding="utf-8"))
            if saved.get("key") == key:
                return from_dict(MetricRow, saved["row"])
        row = capability_row(cell.label, lm.model, lm.tokenizer, self.cfg.eval.mc, cell.seed)
        write_json(f, {"key": key, "row": row.to_dict()})
        return row

    def cell_metrics(self, cell: Cell, labels: dict[str, str]) -> list[MetricRow]:
        """Suite rows, attack success per transform and keyword reliance (as ``eval``)."""
        from safetylab.evals import EvalConfig, compute_eval_metrics

        ev = self.cfg.eval
        attacks = list(dict.fromkeys(t for ts in ev.attacks.values() for t in ts))
        ec = EvalConfig(
            suites=list(ev.suites), seed=cell.seed, attacks=attacks, keyword_check=ev.keyword_check
        )
        rows = compute_eval_metrics(ec, self.prompts, labels, cell.label)

        def wanted(suite: str) -> bool:  # attacks are chosen per suite
            s, _, t = suite.partition("@")
            return not t or t in ev.attacks.get(s.split("/")[0], [])

        rows = [r for r in rows if wanted(r.suite)]
        xs = [p for p in self.prompts if p.suite == "overrefusal" and not p.transform
              and p.source_id.startswith("xstest:") and p.id in labels]  # fmt: skip
        if xs:  # XSTest's safe prompts on their own, next to the bundled + XSTest rate
            from safetylab.evals import rate_row
            from safetylab.records import refused

            hits = [refused(labels[p.id]) for p in xs]
            rows.append(rate_row(cell.label, "overrefusal/xstest", "refusal_rate", hits, cell.seed))
        return rows

    def train_cell(self, cell: Cell, d: Path, examples: list[Example]) -> Path | None:
        """The cell's LoRA adapter (reused when its train_state matches the mixture)."""
        if self.cfg.backend == "mock":
            return None
        from safetylab.data import mixture_sha256
        from safetylab.models import load_base
        from safetylab.train import PrefixCache, apply_lora, train

        out = d / "adapter"
        sha = mixture_sha256(examples)
        state = out / "train_state.json"
        if (
            state.exists()
            and (out / "adapter_model.safetensors").exists()
            and json.loads(state.read_text()).get("mixture_sha256") == sha
        ):
            return out
        lm = load_base(cell.model)
        model = apply_lora(lm.model, self.train)
        prefix = self._prefix.setdefault(cell.model, PrefixCache())
        train(model, lm.tokenizer, examples, self.train, out, desc=f"train {cell.label}",
              metadata={"mixture_sha256": sha, "base_fingerprint": lm.fingerprint, "cell": cell.id},
              prefix_cache=prefix, resume=True, save_on_interrupt=True)  # fmt: skip
        return out

    # ------------------------------------------------------------ aggregate

    def aggregate(self) -> list[dict[str, Any]]:
        """metrics.json, answers.csv and the report over every finished cell (``_aggregate``)."""
        return aggregate(self.path, self.cfg, self.cells, self.prompts)

    def run_probes(self) -> None:
        """The config's probes over every trained checkpoint (once all cells are done)."""
        if not self.cfg.probes or any(cell_state(self.cell_dir(c)) != "done" for c in self.cells):
            return
        from safetylab.probes import ProbeConfig, checkpoints, run_stages

        ckpts = checkpoints(self.path, model=self.cfg.models[0])
        run_stages(self.cfg.probes, ckpts, self.path / "probes", ProbeConfig(), force=True)


def study_status(path: str | Path) -> str:
    """The grid's state as text: one line per cell and an ETA (``safetylab study --status``)."""
    from safetylab.pipeline._status import study_status as _status

    return _status(path)


def run_study(cfg: StudyConfig, out: str | Path, *, shard: tuple[int, int] = (1, 1),
              source: str | None = None, force: bool = False) -> StudyResult:  # fmt: skip
    """Run (or resume) this worker's cells of the study into ``out``, then aggregate."""
    from safetylab.registry import load_plugins

    load_plugins()
    if cfg.backend == "vllm":  # without vllm: the install hint, before anything is written
        from safetylab.generate import import_vllm

        import_vllm()
    if cfg.backend in ("hf", "vllm"):  # a missing model fails before anything is written
        from safetylab.models import resolve_model_path

        for m in cfg.models:
            resolve_model_path(m)
    return Study(cfg, out, source=source, force=force).run_shard(shard)


def run_demo(
    cfg: Any = "demo", out: str | Path = "runs/demo", *, force: bool = False
) -> list[MetricRow]:
    """Run the demo study (a preset name, a StudyConfig, or the old DemoConfig); its rows."""
    from safetylab.pipeline._config import load_study
    from safetylab.records import from_dict

    if isinstance(cfg, str):
        cfg = load_study(cfg)
    elif not isinstance(cfg, StudyConfig):
        from safetylab.pipeline._config import from_demo_config

        cfg = from_demo_config(cfg)
    res = run_study(cfg, out, force=force)
    if res.failed:
        raise SafetylabError(
            "failed cells: " + "; ".join(f"{k}: {v}" for k, v in res.failed.items())
        )
    return [from_dict(MetricRow, r) for r in res.rows]
