"""The lm-evaluation-harness hook (``--lm-eval``): install hint, offline error, metric rows.

python -m pytest tests/evals/test_lmeval.py -q

lm_eval is optional: most tests here use a stand-in module with its API (simple_evaluate, HFLM,
TaskManager); the last one runs the real package on a local task when it is installed.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from safetylab.cli.main import main
from safetylab.errors import SafetylabError
from safetylab.evals._lmeval import lm_eval_rows, run_lm_eval
from safetylab.evals._metrics import bootstrap_ci
from tests.evals.test_drift import save_adapter, save_tiny

RESULT: dict[str, Any] = {
    "results": {
        "piqa": {
            "alias": "piqa",
            "acc,none": 0.75,
            "acc_stderr,none": "N/A",
            "acc_norm,none": 0.5,
            "acc_norm_stderr,none": "N/A",
        },
        "boolq": {"alias": "boolq", "acc,none": 0.6, "acc_stderr,none": 0.1},
        "gsm8k": {"alias": "gsm8k", "exact_match,strict-match": 0.25, "sample_len": 4},
    },
    "n-samples": {
        "piqa": {"original": 1838, "effective": 4},
        "boolq": {"original": 3270, "effective": 10},
        "gsm8k": {"original": 1319, "effective": 4},
    },
    "samples": {
        "piqa": [
            {"doc_id": i, "filter": "none", "acc": a, "acc_norm": b}
            for i, (a, b) in enumerate([(1.0, 1.0), (0.0, 0.0), (1.0, 0.0), (1.0, 1.0)])
        ],
        "gsm8k": [
            {"doc_id": i, "filter": "strict-match", "exact_match": float(i == 0)} for i in range(4)
        ],
    },
}


def test_result_dict_becomes_metric_rows_with_intervals():
    rows = {(r.suite, r.metric): r for r in lm_eval_rows("m", RESULT, seed=0)}
    assert set(rows) == {
        ("lm-eval/piqa", "acc"),
        ("lm-eval/piqa", "acc_norm"),
        ("lm-eval/boolq", "acc"),
        ("lm-eval/gsm8k", "exact_match,strict-match"),
    }
    acc = rows[("lm-eval/piqa", "acc")]
    assert (acc.model, acc.value, acc.n) == ("m", 0.75, 4)
    assert (acc.ci_low, acc.ci_high) == bootstrap_ci([1.0, 0.0, 1.0, 1.0], seed=0)
    norm = rows[("lm-eval/piqa", "acc_norm")]
    assert (norm.value, norm.n) == (0.5, 4)
    assert (norm.ci_low, norm.ci_high) == bootstrap_ci([1.0, 0.0, 0.0, 1.0], seed=0)
    em = rows[("lm-eval/gsm8k", "exact_match,strict-match")]
    assert (em.value, em.n) == (0.25, 4)
    # No per-question samples: lm_eval's value, a normal interval from its stderr, its n.
    boolq = rows[("lm-eval/boolq", "acc")]
    assert (boolq.value, boolq.n) == (0.6, 10)
    assert (boolq.ci_low, boolq.ci_high) == pytest.approx((0.6 - 0.196, 0.6 + 0.196))


class FakeHarness:
    """A stand-in ``lm_eval`` package: records what it was given, returns ``result`` or raises."""

    def __init__(self, monkeypatch, result: Any = None, error: BaseException | None = None):
        self.calls: list[dict[str, Any]] = []
        self.models: list[Any] = []
        fake = self

        def simple_evaluate(**kw: Any) -> Any:
            fake.calls.append(kw)
            if error is not None:
                raise error
            return result

        class HFLM:
            def __init__(self, pretrained: Any, tokenizer: Any, batch_size: int) -> None:
                fake.models.append(pretrained)

        class TaskManager:
            def __init__(self, include_path: Any = None) -> None:
                self.all_tasks = ["boolq", "openbookqa", "piqa"]

        root = types.ModuleType("lm_eval")
        root.simple_evaluate = simple_evaluate  # type: ignore[attr-defined]
        models = types.ModuleType("lm_eval.models")
        hf = types.ModuleType("lm_eval.models.huggingface")
        hf.HFLM = HFLM  # type: ignore[attr-defined]
        tasks = types.ModuleType("lm_eval.tasks")
        tasks.TaskManager = TaskManager  # type: ignore[attr-defined]
        for name, mod in [
            ("lm_eval", root),
            ("lm_eval.models", models),
            ("lm_eval.models.huggingface", hf),
            ("lm_eval.tasks", tasks),
        ]:
            monkeypatch.setitem(sys.modules, name, mod)


def _offline_error() -> BaseException:
    """What datasets raises for a hub dataset offline (seen with lm-eval 0.4.13, datasets 5.2)."""

    class OfflineModeIsEnabled(ConnectionError):
        pass

    try:
        try:
            raise OfflineModeIsEnabled(
                "Cannot reach https://huggingface.co: offline mode is enabled."
            )
        except ConnectionError as inner:
            raise ConnectionError(
                "Couldn't reach 'baber/piqa' on the Hub (OfflineModeIsEnabled)"
            ) from inner
    except ConnectionError as e:
        return e


def test_offline_dataset_download_is_one_line_naming_the_way_out(monkeypatch):
    fake = FakeHarness(monkeypatch, error=_offline_error())
    with pytest.raises(SafetylabError) as e:
        run_lm_eval(object(), object(), ["piqa", "boolq"], limit=5, seed=3)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("--lm-eval piqa,boolq: cannot download a task's dataset")
    assert "Couldn't reach 'baber/piqa' on the Hub" in msg and "--lm-eval-include" in msg
    (call,) = fake.calls
    assert (call["tasks"], call["limit"], call["random_seed"]) == (["piqa", "boolq"], 5, 3)
    assert call["log_samples"] is True

    # Other failures are not dressed up as download problems.
    FakeHarness(monkeypatch, error=RuntimeError("shape mismatch"))
    with pytest.raises(RuntimeError, match="shape mismatch"):
        run_lm_eval(object(), object(), ["piqa"])


def test_unknown_task_suggests_the_close_one(monkeypatch):
    fake = FakeHarness(monkeypatch, result=RESULT)
    with pytest.raises(
        SafetylabError, match=r"--lm-eval: unknown task 'piqaa'; did you mean 'piqa'\?"
    ):
        run_lm_eval(object(), object(), ["piqaa"])
    assert fake.calls == []


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tokenizer) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lmeval")
    model = save_tiny(root / "base", tokenizer, seed=0)
    return {"model": model, "adapter": save_adapter(root / "adapter", model)}


def _eval_args(tiny: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--model",
        str(tiny["model"]),
        "--adapter",
        str(tiny["adapter"]),
        "--suites",
        "helpful",
        "--n",
        "1",
        "--max-new-tokens",
        "2",
        "--no-drift",
        "--out",
        str(out),
        *extra,
    ]


def test_not_installed_is_one_line_with_the_install_hint(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "lm_eval", None)  # import lm_eval -> ImportError
    out = tmp_path / "run"
    assert main(_eval_args(tiny, out, "--lm-eval", "piqa")) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "--lm-eval needs lm-evaluation-harness" in err
    assert "pip install 'safetylab[lmeval]'" in err and "pip install lm-eval" in err
    assert not out.exists()  # nothing generated first


def test_remote_backends_cannot_run_lm_eval(tmp_path, capsys):
    args = ["eval", "--backend", "mock", "--lm-eval", "piqa", "--out", str(tmp_path / "x")]
    assert main(args) == 2
    assert "--lm-eval needs a local model" in capsys.readouterr().err


def test_eval_hands_the_adapted_model_to_lm_eval_and_keeps_its_rows(tiny, tmp_path, monkeypatch):
    from peft import PeftModel

    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    fake = FakeHarness(monkeypatch, result=RESULT)
    out = tmp_path / "run"
    args = _eval_args(tiny, out, "--lm-eval", "piqa,boolq", "--lm-eval-limit", "4")
    assert main(args) == 0
    (call,) = fake.calls
    assert (call["tasks"], call["limit"]) == (["piqa", "boolq"], 4)
    (model,) = fake.models
    assert isinstance(model, PeftModel)  # the adapter is on, unmerged
    metrics = json.loads((out / "metrics.json").read_text())
    got = {(m["suite"], m["metric"]): (m["value"], m["n"]) for m in metrics}
    assert got[("lm-eval/piqa", "acc")] == (0.75, 4)
    assert got[("lm-eval/boolq", "acc")] == (0.6, 10)
    saved = json.loads((out / "lm_eval.json").read_text())
    assert saved["results"]["piqa"]["acc,none"] == 0.75

    # The same model, tasks and limit: the saved rows are reused, lm_eval is not run again.
    assert main(args) == 0
    assert len(fake.calls) == 1
    assert json.loads((out / "metrics.json").read_text()) == metrics
    # Another limit runs it again.
    assert main([*args[:-1], "2"]) == 0
    assert len(fake.calls) == 2 and fake.calls[1]["limit"] == 2


# ------------------------------------------------------------------ the real harness, if any

CHOICES = 4
QUESTIONS = 8


def _choice_logliks(model: Any, tok: Any, context: str, choices: list[str]) -> list[float]:
    """Sum of log-probs of " choice" after the context (lm_eval's multiple-choice score)."""
    import torch

    ctx = tok(context, add_special_tokens=False)["input_ids"]
    out = []
    for c in choices:
        whole = tok(context + " " + c, add_special_tokens=False)["input_ids"]
        cont = whole[len(ctx) :]
        ids = torch.tensor([ctx + cont])
        with torch.inference_mode():
            logp = torch.log_softmax(model(input_ids=ids).logits[0].float(), -1)
        out.append(float(sum(logp[len(ctx) - 1 + i, t] for i, t in enumerate(cont))))
    return out


def test_real_lm_eval_on_a_local_task(tiny, tmp_path, monkeypatch):
    pytest.importorskip("lm_eval")
    from safetylab.models import load_base

    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    docs = [
        {
            "question": f"What comes after {i}?",
            "choices": [str(i + k) for k in range(1, CHOICES + 1)],
        }
        for i in range(QUESTIONS)
    ]

    # Gold = the adapted model's own pick, so lm_eval must score exactly that model: acc 1.
    tuned = load_base(str(tiny["model"]), adapter=str(tiny["adapter"]))
    base = load_base(str(tiny["model"]))
    picks, base_picks = [], []
    for d in docs:
        ctx = f"Question: {d['question']}\nAnswer:"
        lt = _choice_logliks(tuned.model, tuned.tokenizer, ctx, d["choices"])
        lb = _choice_logliks(base.model, base.tokenizer, ctx, d["choices"])
        picks.append(max(range(CHOICES), key=lt.__getitem__))
        base_picks.append(max(range(CHOICES), key=lb.__getitem__))
    assert picks != base_picks  # so scoring the base model instead would not reach acc 1

    data = tmp_path / "tinyqa.jsonl"
    data.write_text(
        "".join(json.dumps({**d, "label": p}) + "\n" for d, p in zip(docs, picks, strict=True))
    )
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "tinyqa.yaml").write_text(
        "task: tinyqa\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    validation: {data}\n"
        "output_type: multiple_choice\n"
        "validation_split: validation\n"
        'doc_to_text: "Question: {{question}}\\nAnswer:"\n'
        "doc_to_target: label\n"
        'doc_to_choice: "{{choices}}"\n'
        "metric_list:\n  - metric: acc\n    aggregation: mean\n    higher_is_better: true\n"
        "metadata:\n  version: 1.0\n"
    )
    out = tmp_path / "run"
    args = _eval_args(tiny, out, "--lm-eval", "tinyqa", "--lm-eval-include", str(tasks))
    assert main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    (row,) = [m for m in metrics if m["suite"] == "lm-eval/tinyqa"]
    assert (row["metric"], row["value"], row["n"]) == ("acc", 1.0, QUESTIONS)
