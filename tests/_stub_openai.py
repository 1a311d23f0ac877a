"""The stub OpenAI-compatible server (on loopback) and the command line that points safetylab at
it; shared by the tests that run `safetylab eval` or `safetylab study` against an endpoint."""

from __future__ import annotations

from pathlib import Path

from tests.generate.test_openai import FakeOpenAIServer, Reply, completion, user_text

__all__ = ["FakeOpenAIServer", "Reply", "completion", "openai_eval_args", "user_text"]


def openai_eval_args(
    url: str, out: Path, *extra: str, model: str, suites: str, n: int
) -> list[str]:
    """argv of ``safetylab eval``: ``n`` prompts of each of ``suites`` (comma-separated) to
    ``model`` at the endpoint ``url``, written to ``out``; ``extra`` options follow."""
    return [
        "eval",
        "--backend",
        "openai",
        "--base-url",
        url,
        "--model",
        model,
        "--suites",
        suites,
        "--n",
        str(n),
        "--out",
        str(out),
        *extra,
    ]
