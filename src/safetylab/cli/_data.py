"""``safetylab data``: list, show, fetch and mix datasets.

safetylab data list --source ../shared/data
safetylab data show xstest --source ../shared/data
safetylab data show my.csv --instruction-col question --output-col answer --skip-bad-rows
safetylab data fetch advbench xstest
safetylab data mix mix-context-aware --out runs/mix/context.jsonl
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path
from typing import Any

_BUNDLED_LICENSE = "Apache-2.0 (project-written)"
_FILE_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet", ".pq")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "data",
        help="list, show, fetch and mix datasets",
        description="Datasets by name (bundled and public), user files, and mixtures.",
    )
    verbs = p.add_subparsers(dest="data_verb", metavar="ACTION", required=True)

    ls = verbs.add_parser("list", help="every dataset with size, license and purpose")
    ls.add_argument("--source", default=None, help="folder with local copies of public datasets")
    ls.add_argument("--kind", default=None, choices=["eval", "train", "judge", "prompts"])
    ls.set_defaults(func=run_list)

    show = verbs.add_parser("show", help="a sample and counts by category (a name or a file)")
    show.add_argument(
        "name", help="dataset name, or a JSON/JSONL/CSV/Parquet file or saved dataset"
    )
    show.add_argument("-n", type=int, default=5, help="sample size (default 5)")
    show.add_argument("--seed", type=int, default=0, help="sample seed")
    show.add_argument("--source", default=None, help="folder with local copies of public datasets")
    add_file_options(show)
    show.set_defaults(func=run_show)

    fetch = verbs.add_parser("fetch", help="download public datasets into the cache (pinned)")
    fetch.add_argument("names", nargs="*", help="dataset names")
    fetch.add_argument("--all", action="store_true", help="every public dataset")
    fetch.add_argument("--force", action="store_true", help="download again even when cached")
    fetch.add_argument(
        "--trust-unpinned",
        action="store_true",
        help="accept a file with no pinned checksum and record its sha256 (alpaca-cleaned)",
    )
    fetch.set_defaults(func=run_fetch)

    mix = verbs.add_parser("mix", help="build a training mixture from a YAML recipe")
    mix.add_argument("config", help="mixture YAML, or a preset name such as mix-context-aware")
    mix.add_argument("--out", required=True, help="output JSONL (a card goes to OUT.card.json)")
    mix.add_argument("--source", default=None, help="folder with local copies of public datasets")
    mix.add_argument("--seed", type=int, default=None, help="override the recipe's seed")
    mix.add_argument(
        "--force", action="store_true", help="replace existing output files (and their cards)"
    )
    mix.set_defaults(func=run_mix)


def add_file_options(p: argparse.ArgumentParser, prefix: str = "") -> None:
    """The user-file options every command reading a user's file takes (one reader for all)."""
    for role in ("instruction", "input", "output", "messages", "label", "category"):
        p.add_argument(f"--{role}-col", default=None, help=f"{prefix}user file: the {role} column")
    p.add_argument("--split", default=None, help=f"{prefix}saved dataset: split to read")
    p.add_argument("--skip-bad-rows", action="store_true", help="skip and count malformed rows")


def file_columns(args: argparse.Namespace) -> Any:
    """The ``Columns`` given by ``add_file_options``' flags."""
    from safetylab.data import Columns

    return Columns(
        args.instruction_col, args.input_col, args.output_col,
        args.messages_col, args.label_col, args.category_col,
    )  # fmt: skip


def _short(text: str, n: int = 160) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 3] + "..."


def _rows_info(name: str) -> tuple[str, int, str, str]:
    """(kind, records, license, description) of a registered dataset."""
    from safetylab.data import PUBLIC, bundled_kind, bundled_records
    from safetylab.registry import datasets

    if name.startswith("bundled/"):
        datasets.get(name)  # an unknown name: one line with a did-you-mean
        short = name.split("/", 1)[1]
        desc = next(e.description for e in datasets if e.name == name)
        return bundled_kind(short), len(bundled_records(short)), _BUNDLED_LICENSE, desc
    s = PUBLIC[name]
    return s.kind, s.size, s.license, s.description


def run_list(args: argparse.Namespace) -> int:
    from safetylab.data import PUBLIC, is_available
    from safetylab.registry import datasets, load_plugins

    load_plugins()
    rows = []
    for e in datasets:
        if not (e.name.startswith("bundled/") or e.name in PUBLIC):
            continue
        kind, n, lic, desc = _rows_info(e.name)
        if args.kind and kind != args.kind:
            continue
        if e.name.startswith("bundled/"):
            where = "bundled"
        elif args.source and is_available(e.name, args.source):
            where = "local"
        else:
            where = "cached" if is_available(e.name) else "fetch"
        size = f"{n:,}" if e.name not in PUBLIC or PUBLIC[e.name].size_exact else f"~{n:,}"
        rows.append((e.name, kind, size, where, lic, desc))
    w = max(len(r[0]) for r in rows)
    print(f"{'NAME':<{w}}  {'KIND':<7} {'SIZE':>7}  {'WHERE':<7}  LICENSE | PURPOSE")
    for name, kind, size, where, lic, desc in rows:
        print(f"{name:<{w}}  {kind:<7} {size:>7}  {where:<7}  {lic} | {desc}")
    print("\nWHERE: bundled | local (--source) | cached | fetch (run `safetylab data fetch NAME`)")
    return 0


def _load_for_show(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    """Records and header lines for ``data show``."""
    from safetylab.data import load_dataset, load_public_with_files, load_user_file, public_spec
    from safetylab.errors import SafetylabError

    if Path(args.name).exists():
        cols = file_columns(args)
        data = load_user_file(args.name, cols, skip_bad_rows=args.skip_bad_rows, split=args.split)
        head = [
            f"{data.path}: {len(data.records):,} records ({data.format}; columns {data.columns})",
            f"rows read {data.n_rows:,}, malformed rows skipped {data.n_bad:,}",
        ]
        head += [f"  skipped: {b}" for b in data.bad[:5]]
        return data.records, head
    if Path(args.name).suffix.lower() in _FILE_SUFFIXES:  # a file name, not a dataset name
        raise SafetylabError(f"{args.name}: file not found")
    if args.name.startswith("bundled/"):
        kind, _, lic, desc = _rows_info(args.name)
        recs = load_dataset(args.name)
        return recs, [f"{args.name}: {len(recs):,} records ({kind}; {lic}) - {desc}"]
    spec = public_spec(args.name)
    recs, files = load_public_with_files(spec.name, args.source)
    head = [
        f"{spec.name}: {len(recs):,} records ({spec.kind}; {spec.license}) - {spec.description}",
        f"labels: {spec.labels}",
    ]
    for f in files:
        pin = {True: "matches the pinned sha256", False: "differs from the pinned sha256"}
        how = "unpinned" if f.pinned is None else pin[f.pinned]
        head.append(f"from {f.path} (sha256 {f.sha256[:12]}..., {how})")
    return recs, head


def run_show(args: argparse.Namespace) -> int:
    from safetylab.data import LabelledCompletion
    from safetylab.records import Example

    recs, head = _load_for_show(args)
    print("\n".join(head))
    if recs and isinstance(recs[0], LabelledCompletion):
        labels = Counter(r.judgment.label for r in recs)
        cats = Counter(r.prompt.category or "(none)" for r in recs)
        print("human label: " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    else:
        labels = Counter(r.label for r in recs)
        cats = Counter(r.category or "(none)" for r in recs)
        print("label: " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    print("category:")
    w = max(len(c) for c in cats)
    for c, n in sorted(cats.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {c:<{w}}  {n:>6,}")
    k = min(max(args.n, 0), len(recs))
    idx = sorted(random.Random(args.seed).sample(range(len(recs)), k))
    print(f"sample ({k} of {len(recs):,}, seed {args.seed}):")
    for i in idx:
        r = recs[i]
        if isinstance(r, LabelledCompletion):
            print(f"  [{r.prompt.label}/{r.prompt.category}] {_short(r.prompt.text, 100)}")
            print(f"      -> {r.judgment.label}: {_short(r.generation.text, 100)}")
        elif isinstance(r, Example):
            print(f"  [{r.label}/{r.category or '-'}] {_short(r.prompt, 120)}")
            print(f"      -> {_short(r.response, 120)}")
        else:
            print(f"  [{r.label}/{r.category or '-'}] {_short(r.text)}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    from safetylab.data import PUBLIC, data_cache, fetch
    from safetylab.errors import SafetylabError

    names = list(PUBLIC) if args.all else args.names
    if not names:
        raise SafetylabError("name a dataset to fetch (or pass --all); see `safetylab data list`")
    for name in names:
        paths = fetch(name, force=args.force, trust_unpinned=args.trust_unpinned)
        print(f"{name}: {len(paths)} file(s) in {data_cache()}")
    return 0


def run_mix(args: argparse.Namespace) -> int:
    from safetylab.data import (
        build_mixtures,
        card_path_for,
        load_mix_config,
        output_path,
        write_mixture,
    )
    from safetylab.store import check_out_file

    force = bool(getattr(args, "force", False))
    if Path(args.out).is_dir():
        check_out_file(args.out)  # a folder: fail before building anything
    cfg = load_mix_config(args.config)
    if args.seed is not None:
        cfg.seed = args.seed
    mixes = build_mixtures(cfg, source=args.source)
    for m in mixes:  # every output checked before the first one is written
        check_out_file(output_path(args.out, m.tag), force=force)
        check_out_file(card_path_for(output_path(args.out, m.tag)), force=force)
    for m in mixes:
        path = output_path(args.out, m.tag)
        card_path = write_mixture(m.examples, m.card, path, m.data)
        c = m.card
        labels = c["counts"]["by_label"]
        print(
            f"{path}: {c['n_examples']:,} examples "
            f"(safe {labels.get('safe', 0):,}, unsafe {labels.get('unsafe', 0):,}); "
            f"sha256 {c['sha256']['file'][:16]}"
        )
        print(f"  card: {card_path}")
    c = mixes[0].card
    d, k = c["dedup"], c["contamination"]
    print(f"dedup (pools): {d['n_exact']:,} exact and {d['n_near']:,} near duplicates removed")
    print(
        f"contamination (pools): {k['n_removed']:,} rows removed; checked "
        f"{len(k['suites_checked'])} suites ({k['n_eval_prompts']:,} prompts)"
    )
    why: dict[str, list[str]] = {}
    for name, reason in k["suites_skipped"].items():
        why.setdefault(reason, []).append(name)
    for reason, names in why.items():
        print(f"  not checked ({reason}): {', '.join(names)}")
    v = c["variants"]
    if "refusals_restyled" in v:  # a style that changes nothing says so
        print(
            f"refusal_style {v['refusal_style']} (pools): {v['refusals_restyled']:,} of "
            f"{v.get('refusals_in_pools', 0):,} refusals changed"
        )
    if "format_rephrased" in v:
        print(f"format {v['format']} (pools): {v['format_rephrased']:,} safety prompts rephrased")
    return 0
