"""``safetylab judge``: label answers with a judge, validate it against human labels, compare
judges, and train your own head for the ``refusal`` judge.

safetylab judge run --judge refusal --input answers.csv --prompt-col prompt --response-col completion --out judged.jsonl
safetylab judge validate --judge refusal --labels xstest_v2_completions_gpt4.csv --prompt-col prompt --response-col completion --label-col final_label --json
safetylab judge agree --judges strmatch,strmatch-plus,refusal --input answers.csv --prompt-col prompt --response-col completion
safetylab judge train --labels mine.csv --prompt-col prompt --response-col completion --label-col label --out my-head
safetylab judge run --judge refusal --judge-weights my-head --input ...
safetylab judge list
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _common(p: argparse.ArgumentParser, *, labels: bool = False) -> None:
    p.add_argument(
        "--prompt-col",
        default="prompt",
        help="column with the prompt (default prompt; '' for none)",
    )
    p.add_argument(
        "--response-col", default="response", help="column with the answer (default response)"
    )
    if labels:
        p.add_argument(
            "--label-col", default="label", help="column with the human label (default label)"
        )
    p.add_argument("--skip-bad-rows", action="store_true", help="skip and count malformed rows")


def _weights(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--judge-weights",
        default=None,
        metavar="DIR",
        help="head folder from `safetylab judge train` (refusal judge only; default: shipped head)",
    )
    add_judge_option_flag(p)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "judge",
        help="label answers with a judge; validate, compare and train judges",
        description="Label answers (refusal / partial refusal / compliance) with a judge, "
        "validate a judge against human labels, compare judges, or train the refusal judge's head.",
    )
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    r = acts.add_parser(
        "run",
        help="judge every row of a CSV/JSON/JSONL file",
        description="Write one JSON object per input row: the row's columns plus label and score.",
    )
    r.add_argument("--judge", default="refusal", help="judge name (see `safetylab judge list`)")
    r.add_argument("--input", required=True, help="CSV, JSON or JSONL file of answers")
    _common(r)
    r.add_argument("--out", required=True, help="output JSONL file")
    r.add_argument("--force", action="store_true", help="replace --out if it exists")
    r.add_argument("--explain", action="store_true", help="also write the judge's explanation")
    add_network_flags(r, "llm judge")
    _weights(r)
    r.set_defaults(func=run)

    v = acts.add_parser(
        "validate",
        help="agreement of a judge with human labels",
        description="Binary accuracy (partial counts as refusal), 3-way macro-F1, Cohen's kappa "
        "and the confusion matrix. Labels may be ours or XSTest's (1_full_compliance, ...).",
    )
    v.add_argument("--judge", default="refusal", help="judge name")
    v.add_argument(
        "--labels",
        required=True,
        help="labelled CSV, JSON or JSONL file (labels.jsonl from `safetylab view` reads as is)",
    )
    _common(v, labels=True)
    v.add_argument("--json", action="store_true", help="end with one line of JSON")
    _weights(v)
    v.set_defaults(func=run)

    a = acts.add_parser(
        "agree",
        help="pairwise agreement between judges",
        description="Raw agreement and Cohen's kappa between every pair of judges on one file.",
    )
    a.add_argument(
        "--judges", required=True, help="comma-separated judge names, e.g. strmatch,refusal"
    )
    a.add_argument("--input", required=True, help="CSV, JSON or JSONL file of answers")
    _common(a)
    a.add_argument("--json", action="store_true", help="end with one line of JSON")
    _weights(a)
    a.set_defaults(func=run)

    t = acts.add_parser(
        "train",
        help="fit a head for the refusal judge on labelled answers",
        description="Fit the refusal judge's 3-way head on labelled answers and write it to a "
        "folder; use it with --judge-weights.",
    )
    t.add_argument("--labels", nargs="*", default=[], help="labelled CSV, JSON or JSONL file(s)")
    _common(t, labels=True)
    t.add_argument("--out", required=True, help="folder for head.npz and head.json")
    t.add_argument(
        "--bundled",
        action="store_true",
        help="also use the project-written answers (and refit the sentence taggers on the "
        "project-written sentences): how the shipped weights are made",
    )
    t.add_argument("--c", type=float, default=None, help="inverse regularisation strength")
    t.set_defaults(func=run)

    ls = acts.add_parser("list", help="registered judges (same as `safetylab ls judges`)")
    ls.set_defaults(func=run)


def add_network_flags(p: argparse.ArgumentParser, who: str) -> None:
    """``--timeout``, ``--retries`` and ``--max-wait`` for commands that call an endpoint."""
    g = p.add_argument_group(f"network ({who})")
    g.add_argument("--timeout", type=float, default=None, help="seconds per request (120)")
    g.add_argument("--retries", type=int, default=None, help="tries after the first one (5)")
    g.add_argument(
        "--max-wait",
        type=float,
        default=None,
        help="seconds one request may take in all, tries and pauses included (300)",
    )


def network_options(args: argparse.Namespace) -> dict[str, Any]:
    """The network flags that were given, as OpenAIBackend keyword arguments (validated)."""
    from safetylab.errors import SafetylabError

    out: dict[str, Any] = {}
    for flag, key in (("timeout", "timeout"), ("retries", "max_retries"), ("max_wait", "max_wait")):
        v = getattr(args, flag, None)
        if v is None:
            continue
        if not (v >= 0 if flag == "retries" else v > 0) or v != v or v == float("inf"):
            want = ">= 0" if flag == "retries" else "a finite number of seconds > 0"
            raise SafetylabError(f"--{flag.replace('_', '-')}: must be {want}, got {v}")
        out[key] = v
    return out


def add_judge_option_flag(p: argparse.ArgumentParser) -> None:
    """``--judge-option JUDGE.OPTION=VALUE`` (repeatable): options of judges such as reward."""
    p.add_argument(
        "--judge-option",
        action="append",
        default=[],
        metavar="JUDGE.KEY=VALUE",
        help="an option of a judge, repeatable, e.g. reward.model=DIR or llm.base_url=URL "
        "(see the judge's class for its options)",
    )


def make_judge(name: str, weights: str | None = None, options: list[str] | None = None) -> Any:
    """An instance of the registered judge ``name`` (``weights`` only for ``refusal``)."""
    from safetylab.errors import SafetylabError
    from safetylab.judges import build_judge, parse_judge_options

    opts = parse_judge_options(options or [])
    for other in set(opts) - {name}:
        raise SafetylabError(f"--judge-option {other}.*: the judge here is {name!r}")
    mine = dict(opts.get(name, {}))
    if weights is not None:
        if name != "refusal":
            raise SafetylabError(f"--judge-weights applies to the refusal judge only, not {name!r}")
        mine["weights"] = weights
    return build_judge(name, mine)


def _judge_labels(
    judge: Any, prompts: list[str], responses: list[str]
) -> list[tuple[str, float | None, str]]:
    t0 = time.perf_counter()
    out = judge.judge(prompts, responses)
    log.debug(
        "%s@%s judged %d answers in %.1f s",
        judge.name,
        judge.version,
        len(out),
        time.perf_counter() - t0,
    )
    return list(out)


def _read(
    path: str, prompt_col: str, response_col: str, skip: bool = False
) -> tuple[Any, list[str], list[str]]:
    from safetylab.errors import SafetylabError
    from safetylab.judges import read_table

    t = read_table(path, skip_bad_rows=skip)
    t.require(response_col, option="--response-col")
    if prompt_col:
        t.require(prompt_col, option="--prompt-col")
    if not t.rows:
        raise SafetylabError(f"{path}: no rows")
    prompts = t.column(prompt_col) if prompt_col else [""] * len(t.rows)
    return t, prompts, t.column(response_col)


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def run(args: argparse.Namespace) -> int:
    action = args.action
    if action == "list":
        from safetylab.cli import _ls

        return _ls.run(argparse.Namespace(family="judges"))
    if action == "run":
        return _run(args)
    if action == "validate":
        return _validate(args)
    if action == "agree":
        return _agree(args)
    return _train(args)


def _run(args: argparse.Namespace) -> int:
    from safetylab.errors import SafetylabError
    from safetylab.judges import write_jsonl_rows
    from safetylab.store import check_out_file

    check_out_file(args.out, force=args.force)
    net = network_options(args)
    options = list(args.judge_option)
    if net:
        if args.judge != "llm":
            raise SafetylabError(
                f"--timeout/--retries/--max-wait are for judges that call an endpoint (llm), "
                f"not --judge {args.judge}"
            )
        options += [f"llm.{k}={v}" for k, v in net.items()]
    t, prompts, responses = _read(
        args.input, args.prompt_col, args.response_col, args.skip_bad_rows
    )
    judge = make_judge(args.judge, args.judge_weights, options)
    verdicts = _judge_labels(judge, prompts, responses)
    clash = [c for c in ("label", "score", "explanation") if c in t.columns]
    if clash:
        log.warning(
            "%s: input column(s) %s are replaced by the judge's output",
            args.input,
            ", ".join(clash),
        )
    rows = []
    for row, (label, score, why) in zip(t.rows, verdicts, strict=True):
        out = dict(row)
        out["label"] = label
        out["score"] = score
        if args.explain:
            out["explanation"] = why
        rows.append(out)
    write_jsonl_rows(args.out, rows)
    counts = {lab: sum(v[0] == lab for v in verdicts) for lab in sorted({v[0] for v in verdicts})}
    print(f"{len(rows)} answers judged by {judge.name}@{judge.version} -> {args.out}")
    print("  " + "  ".join(f"{k} {n}" for k, n in counts.items()))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from safetylab.errors import SafetylabError
    from safetylab.judges import read_labelled, validation_report

    prompts, responses, truth = read_labelled(
        args.labels,
        args.prompt_col,
        args.response_col,
        args.label_col,
        skip_bad_rows=args.skip_bad_rows,
    )
    if not truth:
        raise SafetylabError(f"{args.labels}: no rows")
    judge = make_judge(args.judge, args.judge_weights, args.judge_option)
    pred = [v[0] for v in _judge_labels(judge, prompts, responses)]
    rep = validation_report(truth, pred)
    print(f"judge {judge.name}@{judge.version} vs human labels in {args.labels} (n={rep.n})")
    print(
        f"binary accuracy {_fmt(rep.accuracy)}   macro-F1 {_fmt(rep.macro_f1)}   "
        f"kappa {_fmt(rep.kappa)}   binary kappa {_fmt(rep.binary_kappa)}"
    )
    print("F1 per label: " + "  ".join(f"{k} {_fmt(v)}" for k, v in rep.f1.items()))
    print(rep.table())
    if args.json:
        obj = {
            "judge": judge.name,
            "version": judge.version,
            "file": str(args.labels),
            **rep.to_dict(),
        }
        print(json.dumps(obj, sort_keys=False))
    return 0


def _agree(args: argparse.Namespace) -> int:
    from safetylab.errors import SafetylabError
    from safetylab.judges import pairwise_agreement

    names = [n.strip() for n in args.judges.split(",") if n.strip()]
    if len(names) < 2 or len(set(names)) != len(names):
        raise SafetylabError(
            "--judges needs at least two different judge names, e.g. strmatch,refusal"
        )
    _, prompts, responses = _read(
        args.input, args.prompt_col, args.response_col, args.skip_bad_rows
    )
    labels: dict[str, list[str]] = {}
    from safetylab.judges import parse_judge_options

    for extra in set(parse_judge_options(args.judge_option)) - set(names):
        raise SafetylabError(f"--judge-option {extra}.*: {extra!r} is not among --judges")
    for name in names:
        mine = [o for o in args.judge_option if o.split(".", 1)[0] == name]
        judge = make_judge(name, args.judge_weights if name == "refusal" else None, mine)
        labels[name] = [v[0] for v in _judge_labels(judge, prompts, responses)]
    rows = pairwise_agreement(labels)
    print(f"{len(responses)} answers in {args.input}")
    for name, labs in labels.items():
        counts = "  ".join(f"{k} {labs.count(k)}" for k in sorted(set(labs)))
        print(f"  {name:<16} {counts}")
    print(
        f"{'judge A':<16} {'judge B':<16} {'agree':>7} {'kappa':>7} {'bin.agree':>10} {'bin.kappa':>10}"
    )
    for r in rows:
        print(
            f"{r.judge_a:<16} {r.judge_b:<16} {_fmt(r.agreement):>7} {_fmt(r.kappa):>7} "
            f"{_fmt(r.binary_agreement):>10} {_fmt(r.binary_kappa):>10}"
        )
    if args.json:
        print(json.dumps({"n": len(responses), "pairs": [r.to_dict() for r in rows]}))
    return 0


def _train(args: argparse.Namespace) -> int:
    from safetylab.errors import SafetylabError
    from safetylab.judges import bundled_training_answers, read_labelled, train_and_save
    from safetylab.store import check_owner, write_marker

    if not args.labels and not args.bundled:
        raise SafetylabError("judge train needs --labels FILE (and/or --bundled)")
    out = Path(args.out)
    # a new or empty folder, or a head this command wrote (one made before markers: adopted)
    check_owner(out, "judge train", adopt=(out / "head.json").is_file())
    responses: list[str] = []
    labels: list[str] = []
    sources: list[str] = []
    if args.bundled:
        r, y, src = bundled_training_answers()
        responses += r
        labels += y
        sources += src
    for path in args.labels:
        skip = args.skip_bad_rows
        _, r, y = read_labelled(
            path, args.prompt_col, args.response_col, args.label_col, skip_bad_rows=skip
        )
        responses += r
        labels += y
        sources.append(str(path))
    kw = {} if args.c is None else {"c": args.c}
    model = train_and_save(
        responses, labels, args.out, sources=sources, refit_taggers=args.bundled, **kw
    )
    write_marker(out, "judge train")
    counts = "  ".join(f"{k} {v}" for k, v in model.meta["counts"].items())
    print(f"head {model.digest} fitted on {len(labels)} answers ({counts}) -> {args.out}")
    print(f"use it: safetylab judge run --judge refusal --judge-weights {args.out} ...")
    return 0
