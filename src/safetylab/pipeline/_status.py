"""``safetylab study --status DIR``: each cell done / running / failed / pending, and an ETA.

A cell is running while a live process holds its lock file (``cells/<id>.lock`` names the
holder's PID and host); a lock left by a killed worker reads as pending.
"""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.pipeline._cell import Cell, cell_state
from safetylab.store import DirLock


def status_rows(path: Path, cells: list[Cell]) -> list[dict[str, Any]]:
    """One row per cell: label, seed, model, id, state (done/running/failed/pending), seconds."""
    out = []
    for c in cells:
        d = path / "cells" / c.id
        state = cell_state(d)
        info: dict[str, Any] = {}
        if state == "done":
            info = json.loads((d / "done.json").read_text())
        elif state == "failed":
            info = json.loads((d / "error.json").read_text())
        else:
            h = DirLock(path / "cells" / f"{c.id}.lock").holder()
            if (
                h
                and isinstance(h.get("pid"), int)
                and (h.get("host") != socket.gethostname() or _pid_alive(h["pid"]))
            ):
                state, info = "running", {"started": h.get("since")}
        out.append({"cell": c.label, "seed": c.seed, "model": c.model, "id": c.id,
                    "state": state, "seconds": info.get("seconds"),
                    "error": info.get("error", ""), "started": info.get("started"),
                    "judges": info.get("judges")})  # fmt: skip
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def study_status(path: str | Path) -> str:
    """The grid's state as text: one line per cell and an ETA."""
    p = Path(path)
    if not (p / "cells.json").exists():
        raise SafetylabError(f"--status {p}: not a study directory (no cells.json)")
    cells = [Cell(**c) for c in json.loads((p / "cells.json").read_text(encoding="utf-8"))]
    return format_status(status_rows(p, cells))


def format_status(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'cell':<28} {'seed':>4}  {'state':<8} {'seconds':>8}  id"]
    for r in rows:
        secs = "" if r["seconds"] is None else f"{r['seconds']:.0f}"
        err = f"  {r['error'][:80]}" if r["error"] else ""
        lines.append(f"{r['cell']:<28} {r['seed']:>4}  {r['state']:<8} {secs:>8}  {r['id']}{err}")
    n = Counter(r["state"] for r in rows)
    done = [r["seconds"] for r in rows if r["state"] == "done" and r["seconds"] is not None]
    left = n["pending"] + n["running"] + n["failed"]
    eta = ""
    if done and left:
        per = sum(done) / len(done)
        workers = max(1, n["running"])
        eta = f"; ETA ~{per * left / workers / 60:.0f} min at {per / 60:.1f} min per cell"
    lines.append(
        f"{n['done']} done, {n['running']} running, {n['failed']} failed, "
        f"{n['pending']} pending of {len(rows)}{eta}"
    )
    return "\n".join(lines)
