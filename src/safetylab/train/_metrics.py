"""Training metrics: one JSON object a line in ``<out>/metrics.jsonl``, optionally TensorBoard.

Rows: ``{"step", "epoch", "loss", "lr", "grad_norm", "tokens", "tokens_per_s", "elapsed_s",
"eta_s"}`` per logged step and ``{"step", "val_loss", "val_tokens"}`` per validation.

    tail -f runs/my-adapter/metrics.jsonl
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError


class MetricsLog:
    """Append-only metrics stream; on resume, rows after the resumed step are dropped."""

    def __init__(
        self,
        out_dir: str | Path | None,
        *,
        enabled: bool = True,
        tensorboard: bool = False,
        resume_step: int | None = None,
    ) -> None:
        self.path = Path(out_dir) / "metrics.jsonl" if out_dir is not None and enabled else None
        self.writer: Any = None
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume_step is None:
            self.path.write_text("")
        elif self.path.exists():
            keep = [
                line
                for line in self.path.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line).get("step", 0) <= resume_step
            ]
            self.path.write_text("".join(x + "\n" for x in keep), encoding="utf-8")
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                raise SafetylabError(
                    "tensorboard: true needs the tensorboard package (pip install tensorboard)"
                ) from None
            self.writer = SummaryWriter(str(Path(out_dir or ".") / "tensorboard"))

    def log(self, row: dict[str, Any]) -> None:
        if self.path is None:
            return
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        if self.writer is not None:
            for k, v in row.items():
                if k != "step" and isinstance(v, (int, float)):
                    self.writer.add_scalar(f"train/{k}", v, row["step"])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
