"""``safetylab eval``: evaluate one model on suites, transforms and judges."""

from __future__ import annotations

import argparse
from typing import Any

from safetylab.cli._judge import add_network_flags, network_options

#: EvalConfig field -> OpenAIBackend keyword given by ``network_options``
NETWORK_FIELDS = {"timeout": "timeout", "retries": "max_retries", "max_wait": "max_wait"}


def _csv(s: str) -> list[str]:
    return [x.strip() for x in s.split(",") if x.strip()]


def add_parser(sub: Any) -> None:
    from safetylab.cli._judge import add_judge_option_flag

    p = sub.add_parser(
        "eval",
        help="evaluate a model: harm, over-refusal, pairs, helpful, dual use, physical; attacks",
        description="Evaluate a model on suites (bundled; public sets with --source).",
    )
    p.add_argument("--model", help="bundled name, HF id or folder")
    p.add_argument("--adapter", default=None, help="LoRA adapter folder (applied unmerged)")
    p.add_argument("--suites", help="comma-separated suite names")
    p.add_argument(
        "--judges",
        help="comma-separated; the first drives metrics (default: the validated refusal judge, "
        "with string match as a second opinion)",
    )
    add_judge_option_flag(p)
    p.add_argument(
        "--attacks", default="", help="comma-separated transforms (see `safetylab attack list`)"
    )
    p.add_argument("--n", type=int, help="prompts per suite and source (0 = all)")
    p.add_argument("--source", default=None, help="folder with local copies of public datasets")
    p.add_argument("--mc", type=int, help="multiple-choice capability questions (helpful)")
    p.add_argument("--max-new-tokens", type=int, help="answer length limit")
    p.add_argument(
        "--temperature",
        type=float,
        help="0 = greedy (default); > 0 samples, seeded with --seed (same answers on a rerun)",
    )
    p.add_argument("--top-p", type=float, help="sampling: nucleus mass kept")
    p.add_argument(
        "--top-k", type=int, default=None, help="sampling: candidates kept (hf default 50; 0 = all)"
    )
    p.add_argument("--batch-size", type=int, help="prompts per generation batch")
    p.add_argument(
        "--dtype",
        choices=("auto", "fp32", "bf16"),
        default="auto",
        help="hf compute dtype; answers differ across dtypes (auto = bf16 autocast on CPUs with "
        "AMX/AVX512-BF16 and on GPUs, fp32 elsewhere; recorded in manifest.json)",
    )
    p.add_argument(
        "--backend",
        default="hf",
        help="hf, vllm (a CUDA GPU; pip install 'safetylab[vllm]'), openai (an "
        "OpenAI-compatible endpoint) or mock",
    )
    p.add_argument(
        "--base-url",
        default=None,
        help="--backend openai: endpoint, e.g. http://127.0.0.1:8000/v1 (--model = served name)",
    )
    p.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        help="--backend openai: environment variable holding the API key (if the server wants one)",
    )
    p.add_argument("--concurrency", type=int, help="--backend openai: requests in flight")
    add_network_flags(p, "--backend openai")
    p.add_argument("--seed", type=int, help="transform seeds and bootstrap")
    h = p.add_argument_group("helpful suite: drift, reward model, capability")
    h.add_argument(
        "--base",
        default=None,
        help="reference model for drift of helpful answers (default: --model without --adapter)",
    )
    h.add_argument(
        "--no-drift", action="store_true", help="skip the drift measurement (and its generations)"
    )
    h.add_argument(
        "--drift-threshold",
        type=float,
        help="answers less similar than this to the reference's count as drifted (cosine)",
    )
    h.add_argument(
        "--reward-model",
        default=None,
        help="HF sequence-classification model (id or folder) scoring helpful answers' quality",
    )
    h.add_argument(
        "--lm-eval",
        default="",
        help="lm-evaluation-harness tasks, e.g. piqa,boolq,openbookqa (pip install 'safetylab[lmeval]')",
    )
    h.add_argument(
        "--lm-eval-limit", type=int, default=0, help="questions per lm-eval task (0 = all)"
    )
    h.add_argument(
        "--lm-eval-include",
        default=None,
        help="folder of extra lm-eval task YAMLs (e.g. dataset_path: json with local data_files)",
    )
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument(
        "--force", action="store_true", help="reuse a run directory made by another config"
    )
    p.set_defaults(func=run, **_config_defaults(p))


def _config_defaults(p: argparse.ArgumentParser) -> dict[str, Any]:
    """EvalConfig's defaults for the flags of the same name (lists comma-joined): the
    defaults live in the config class only."""
    from safetylab.config import defaults
    from safetylab.evals import EvalConfig

    dests = {a.dest for a in p._actions}
    return {
        k: ",".join(v) if isinstance(v, list) else v
        for k, v in defaults(EvalConfig).items()
        if k in dests and k not in ("judge_options",)
    }


def run(args: argparse.Namespace) -> int:
    from safetylab.config import build_config
    from safetylab.evals import EvalConfig, run_eval
    from safetylab.judges import parse_judge_options

    net = network_options(args)  # validated; only the flags given (else the config's defaults)
    cfg = build_config(
        EvalConfig,
        dict(
            **{k: net[n] for k, n in NETWORK_FIELDS.items() if n in net},
            model=args.model,
            adapter=args.adapter,
            suites=_csv(args.suites),
            judges=_csv(args.judges),
            judge_options=parse_judge_options(args.judge_option),
            n=args.n or None,
            source=args.source,
            attacks=_csv(args.attacks),
            mc=args.mc,
            max_new_tokens=args.max_new_tokens,
            temperature=args.temperature,
            top_p=args.top_p,
            top_k=args.top_k,
            batch_size=args.batch_size,
            dtype=args.dtype,
            backend=args.backend,
            seed=args.seed,
            base_url=args.base_url,
            api_key_env=args.api_key_env,
            concurrency=args.concurrency,
            base=args.base,
            drift=not args.no_drift,
            drift_threshold=args.drift_threshold,
            reward_model=args.reward_model,
            lm_eval=_csv(args.lm_eval),
            lm_eval_limit=args.lm_eval_limit or None,
            lm_eval_include=args.lm_eval_include,
        ),
        flags=True,
    )
    rows = run_eval(cfg, args.out, force=args.force)
    for r in rows:
        if (
            "/" not in r.suite
            or r.suite.startswith(("helpful/", "lm-eval/"))
            or r.suite.endswith(("/legitimate", "/malicious"))  # the two sides of a suite
        ):
            print(
                f"{r.suite:<28} {r.metric:<26} {r.value:6.3f}  [{r.ci_low:.3f}, {r.ci_high:.3f}]  n={r.n}"
            )
    print(f"\nmetrics: {args.out}/metrics.json")
    return 0
