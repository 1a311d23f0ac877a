"""``safetylab view --serve``: the viewer page from a local server bound to 127.0.0.1 only.

Served: ``/`` (and ``/view.html``) is the page; ``/<run>/<file>`` is one of a few report files of
a named run directory (view.html, report.html, report.md, metrics.json, tradeoff.png).
Anything else is refused: ``..`` or absolute paths (403), a file that resolves outside its run
directory through a symlink (403), any other path (404). Nothing is listed.

``chromium_launch_options()``: how the page's browser tests and benchmark open it (the
system's chromium; a browser is never downloaded).
"""

from __future__ import annotations

import mimetypes
import posixpath
import shutil
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

HOST = "127.0.0.1"
RUN_FILES = ("view.html", "report.html", "report.md", "metrics.json", "tradeoff.png")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_launch_options() -> dict[str, Any]:
    """Keyword arguments for Playwright's ``chromium.launch``: the system's chromium (on PATH,
    else /usr/bin/chromium; it may be missing: check ``executable_path``), no background network."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    return {"executable_path": path, "args": list(CHROMIUM_ARGS)}


def resolve_request(url_path: str, page: Path, runs: dict[str, Path]) -> tuple[int, Path | None]:
    """(HTTP status, file to send) for a request path; the only place paths are checked."""
    raw = unquote(url_path.split("?", 1)[0].split("#", 1)[0])
    if "\\" in raw or "\x00" in raw or not raw.startswith("/") or raw.startswith("//"):
        return HTTPStatus.FORBIDDEN, None
    parts = raw.split("/")[1:]
    if any(p in ("..", ".") for p in parts):
        return HTTPStatus.FORBIDDEN, None
    if raw in ("/", "/view.html", "/index.html"):
        return HTTPStatus.OK, page
    if len(parts) != 2 or parts[0] not in runs or parts[1] not in RUN_FILES:
        return HTTPStatus.NOT_FOUND, None
    root = runs[parts[0]].resolve()
    target = runs[parts[0]] / parts[1]
    if not target.is_file():
        return HTTPStatus.NOT_FOUND, None
    real = target.resolve()
    if real.parent != root and root not in real.parents:
        return HTTPStatus.FORBIDDEN, None
    if posixpath.normpath(raw) != raw:
        return HTTPStatus.FORBIDDEN, None
    return HTTPStatus.OK, real


def make_server(page: Path, runs: dict[str, Path], port: int) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:``port`` (0 = any free port) for ``page`` and the named runs."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            status, path = resolve_request(self.path, page, runs)
            if path is None:
                self.send_error(status)
                return
            body = path.read_bytes()
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if ctype.startswith("text/"):
                ctype += "; charset=utf-8"
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self) -> None:  # noqa: N802
            status, path = resolve_request(self.path, page, runs)
            self.send_response(status if path is None else HTTPStatus.OK)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return ThreadingHTTPServer((HOST, port), Handler)
