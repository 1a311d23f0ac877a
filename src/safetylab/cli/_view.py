"""``safetylab view``: one browsable, offline page for runs, evals and studies.

safetylab view runs/demo                     # writes runs/demo/view.html and prints its path
safetylab view runs/eval-0 runs/eval-150     # several runs in one page, answers side by side
safetylab view runs/study --serve --port 8765
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from safetylab.cli._args import add_run_args, verb_parser


def add_parser(sub: Any) -> None:
    p = verb_parser(
        sub,
        "view",
        help="write (and optionally serve) a browsable view.html for run directories",
        description="Write a self-contained page (works offline from file://): headline metrics "
        "with 95%% intervals, trade-off and Pareto plots, every answer with filters and search, "
        "one prompt side by side across models and attacks, and relabelling that downloads a "
        "labels file for `safetylab judge validate --labels`.",
        run=run,
    )
    add_run_args(p, "page to write (default: RUN/view.html)")
    p.add_argument("--serve", action="store_true", help="serve the page on 127.0.0.1 until Ctrl-C")
    p.add_argument("--port", type=int, default=8765, help="port for --serve (default 8765)")


def run(args: argparse.Namespace) -> int:
    from safetylab.errors import SafetylabError
    from safetylab.report import write_view

    if args.port < 0 or args.port > 65535:
        raise SafetylabError(f"--port {args.port}: use 0..65535")
    page = write_view(args.runs, args.out)
    print(page)
    if not args.serve:
        return 0
    from safetylab.report import HOST, make_server, run_names

    dirs = [Path(r) for r in args.runs]
    runs = dict(zip(run_names(dirs), dirs, strict=True))
    try:
        server = make_server(page, runs, args.port)
    except OSError as e:
        raise SafetylabError(
            f"--port {args.port}: cannot listen on {HOST} ({e.strerror})"
        ) from None
    print(f"serving on http://{HOST}:{server.server_address[1]}/  (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0
