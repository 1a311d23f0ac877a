"""lm-evaluation-harness tasks (the study's PIQA, BoolQ, OpenBookQA) on the evaluated model.

    pip install 'safetylab[lmeval]'          # or: pip install lm-eval
    safetylab eval --model smollm2-135m-instruct --adapter runs/demo/models/safety-150 \\
        --suites helpful --lm-eval piqa,boolq,openbookqa --lm-eval-limit 200 --out runs/eval-150

The model the suites saw (LoRA adapter unmerged) is handed to lm_eval's ``HFLM`` as is, and
``lm_eval.simple_evaluate`` scores it zero-shot, without a chat template. Each task's metrics
(``acc``, ``acc_norm``, ...) become MetricRows of suite ``lm-eval/<task>``, with 95% bootstrap
intervals over the per-question outcomes and n. The rows are kept in ``lm_eval.json`` and
reused while model, tasks, limit and task folder stay the same.

The datasets come from the Hugging Face hub through ``datasets`` (and its cache). Offline, a
task whose dataset is not cached stops the run with one line; ``--lm-eval-include DIR`` adds
task YAMLs of your own, e.g. ``dataset_path: json`` with local ``data_files``.
"""

from __future__ import annotations

import difflib
import importlib
import json
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.evals._metrics import mean_row
from safetylab.records import MetricRow, content_id
from safetylab.store import write_json

INSTALL_HINT = "pip install 'safetylab[lmeval]' (or: pip install lm-eval)"
STUDY_TASKS = ("piqa", "boolq", "openbookqa")  #: the capability tasks of the study
_NOT_METRICS = {"alias", "name", "sample_len", "samples"}
_NETWORK_MODULES = ("huggingface_hub", "requests", "urllib3", "httpx", "aiohttp", "fsspec")


def import_lm_eval() -> Any:
    """The ``lm_eval`` package, or a one-line error with the install hint."""
    try:
        return importlib.import_module("lm_eval")
    except ImportError:
        raise SafetylabError(
            f"--lm-eval needs lm-evaluation-harness, which is not installed: {INSTALL_HINT}"
        ) from None


def _download_failure(exc: BaseException) -> BaseException | None:
    """The network or hub error behind ``exc`` (a dataset that could not be fetched), if any."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        root = type(e).__module__.split(".")[0]
        if isinstance(e, ConnectionError | TimeoutError) or root in _NETWORK_MODULES:
            return e
        if root == "datasets" and type(e).__name__ in ("DatasetNotFoundError", "ConnectionError"):
            return e
        e = e.__cause__ or e.__context__
    return None


def _one_line(e: BaseException, limit: int = 200) -> str:
    return " ".join(str(e).split())[:limit] or type(e).__name__


def run_lm_eval(
    model: Any,
    tokenizer: Any,
    tasks: list[str],
    *,
    limit: int | None = None,
    include: str | None = None,
    batch_size: int = 16,
    seed: int = 0,
) -> dict[str, Any]:
    """``lm_eval.simple_evaluate`` on a loaded transformers (or PEFT) model; its result dict."""
    lm_eval = import_lm_eval()
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    if include is not None and not Path(include).is_dir():
        raise SafetylabError(f"--lm-eval-include {include}: not a folder of task YAMLs")
    manager = TaskManager(include_path=include)
    known = list(manager.all_tasks)
    for t in tasks:
        if t not in known:
            close = difflib.get_close_matches(t, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else " (see `lm-eval ls tasks`)"
            raise SafetylabError(f"--lm-eval: unknown task {t!r}{hint}")
    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size)
    try:
        result = lm_eval.simple_evaluate(
            model=lm,
            tasks=list(tasks),
            task_manager=manager,
            limit=limit,
            bootstrap_iters=0,  # intervals come from the per-question outcomes (lm_eval_rows)
            log_samples=True,
            random_seed=seed,
            numpy_random_seed=seed,
            torch_random_seed=seed,
            fewshot_random_seed=seed,
        )
    except Exception as e:
        cause = _download_failure(e)
        if cause is None:
            raise
        raise SafetylabError(
            f"--lm-eval {','.join(tasks)}: cannot download a task's dataset "
            f"({_one_line(cause)}); go online once (the datasets cache keeps it) "
            "or give local task YAMLs with --lm-eval-include"
        ) from None
    if not isinstance(result, dict):
        raise SafetylabError("--lm-eval: lm_eval returned no results (not the main process?)")
    return result


def lm_eval_rows(model_name: str, result: dict[str, Any], seed: int = 0) -> list[MetricRow]:
    """MetricRows (suite ``lm-eval/<task>``) from a ``simple_evaluate`` result dict.

    With per-question samples (``log_samples``) the value is their mean with a bootstrap
    interval; without them, lm_eval's value with a normal interval from its stderr (if any).
    n is the number of questions scored.
    """
    rows: list[MetricRow] = []
    samples = result.get("samples") or {}
    counts = result.get("n-samples") or {}
    for task in sorted(result.get("results", {})):
        res = result["results"][task]
        per_q = samples.get(task) or []
        n_eff = (counts.get(task) or {}).get("effective", len(per_q))
        for key in sorted(res):
            name, _, filt = key.partition(",")
            value = res[key]
            if name in _NOT_METRICS or name.endswith("_stderr") or isinstance(value, bool):
                continue
            if not isinstance(value, int | float):
                continue
            metric = name if filt in ("", "none") else f"{name},{filt}"
            outcomes = [
                float(s[name])
                for s in per_q
                if s.get("filter", "none") == (filt or "none")
                and isinstance(s.get(name), int | float)
            ]
            if outcomes:
                rows.append(mean_row(model_name, f"lm-eval/{task}", metric, outcomes, seed))
                continue
            stderr = res.get(f"{name}_stderr,{filt}" if filt else f"{name}_stderr")
            half = 1.96 * stderr if isinstance(stderr, int | float) else float("nan")
            rows.append(
                MetricRow(
                    model_name,
                    f"lm-eval/{task}",
                    metric,
                    float(value),
                    float(value) - half,
                    float(value) + half,
                    int(n_eff),
                )
            )
    return rows


def lm_eval_metrics(
    path: Path,
    model_name: str,
    lm: Any,
    tasks: list[str],
    *,
    limit: int | None,
    include: str | None,
    batch_size: int,
    seed: int,
) -> list[MetricRow]:
    """Rows for ``tasks`` on the loaded model ``lm``, reused from ``path`` when nothing changed."""
    key = content_id(lm.fingerprint, sorted(tasks), limit, include, seed)
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("key") == key:
            return [MetricRow(**r) for r in saved["rows"]]
    result = run_lm_eval(
        lm.model,
        lm.tokenizer,
        tasks,
        limit=limit,
        include=include,
        batch_size=batch_size,
        seed=seed,
    )
    rows = lm_eval_rows(model_name, result, seed)
    raw = {k: result.get(k, {}) for k in ("results", "versions", "n-samples", "n-shot")}
    write_json(
        path,
        {
            "key": key,
            "tasks": tasks,
            "limit": limit,
            "include": include,
            "rows": [r.to_dict() for r in rows],
            **json.loads(json.dumps(raw, default=str)),  # lm_eval's own numbers, for provenance
        },
    )
    return rows
