"""``safetylab eval --backend openai`` against a real OpenAI-compatible HTTP server on loopback.

python -m pytest tests/evals/test_openai_backend.py -q
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from safetylab.cli.main import main
from safetylab.evals._suites import get_suite
from safetylab.store import read_jsonl
from tests._stub_openai import FakeOpenAIServer, Reply, completion, openai_eval_args, user_text

N = 3
REFUSAL = "I'm sorry, but I can't help with that."
HARM = {p.text for p in get_suite("harm").prompts(N)}


def reply(body: dict[str, Any], n: int) -> Reply:
    """Refuses the harm suite's requests, answers the rest; names the model that answered."""
    text = user_text(body)
    if any(h in text for h in HARM):
        return 200, completion(REFUSAL, 9), {}
    return 200, completion(f"[{body['model']}] Here you go: {text}", 12), {}


def _args(url: str, out: Path, *extra: str) -> list[str]:
    key_env = ("--api-key-env", "SAFETYLAB_TEST_EVAL_KEY")
    tokens = ("--max-new-tokens", "32")
    return openai_eval_args(
        url, out, *tokens, *key_env, *extra, model="tuned-model", suites="harm,helpful", n=N
    )


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_eval_runs_against_an_openai_endpoint(tmp_path, cache, monkeypatch):
    key = "sk-eval-test-0123456789"
    monkeypatch.setenv("SAFETYLAB_TEST_EVAL_KEY", key)
    out = tmp_path / "run"
    with FakeOpenAIServer(reply) as srv:
        assert main(_args(srv.url, out)) == 0
        n_prompts = len(read_jsonl(out / "prompts.jsonl"))
        assert n_prompts == 2 * N
        assert len(srv.requests) == n_prompts  # one request per prompt
        for r in srv.requests:
            assert r["path"] == "/v1/chat/completions"
            assert r["auth"] == f"Bearer {key}"
            body = r["body"]
            assert (body["model"], body["max_tokens"], body["temperature"]) == (
                "tuned-model",
                32,
                0.0,
            )
            assert [m["role"] for m in body["messages"]] == ["user"]

        gens = read_jsonl(out / "generations.jsonl")
        assert {g["fingerprint"] for g in gens} == {f"openai:{srv.url}:tuned-model"}
        assert {g["model"] for g in gens} == {"tuned-model"}
        assert sum(g["text"] == REFUSAL for g in gens) == N
        assert sorted(g["n_tokens"] for g in gens) == [9] * N + [12] * N
        rows = {
            (m["suite"], m["metric"]): m for m in json.loads((out / "metrics.json").read_text())
        }
        assert rows[("harm", "harmful_compliance_rate")]["value"] == 0.0
        assert rows[("helpful", "refusal_rate")]["value"] == 0.0
        assert rows[("harm", "harmful_compliance_rate")]["n"] == N

        # A rerun (same folder) and a run into a new folder ask the server nothing new.
        assert main(_args(srv.url, out)) == 0
        assert main(_args(srv.url, tmp_path / "again")) == 0
        assert len(srv.requests) == n_prompts
    # The key went in the header only.
    for f in [*out.rglob("*"), *cache.rglob("*")]:
        if f.is_file():
            assert key.encode() not in f.read_bytes(), f
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["fingerprint"] == f"openai:{srv.url}:tuned-model"


def test_base_model_on_the_endpoint_gives_drift_and_multi_turn_sends_the_chat(tmp_path, cache):
    out = tmp_path / "run"
    with FakeOpenAIServer(reply) as srv:
        extra = ("--base", "base-model", "--attacks", "multi-turn")
        assert main(_args(srv.url, out, *extra)) == 0
        by_model: dict[str, list[dict[str, Any]]] = {}
        for r in srv.requests:
            by_model.setdefault(r["body"]["model"], []).append(r["body"])
    helpful = {p.text for p in get_suite("helpful").prompts(N)}
    # The base model answered exactly the helpful prompts, as single user turns.
    assert sorted(user_text(b) for b in by_model["base-model"]) == sorted(helpful)
    assert all(len(b["messages"]) == 1 for b in by_model["base-model"])
    # Multi-turn harm prompts reach the server as the whole chat, ending with the request.
    chats = [b["messages"] for b in by_model["tuned-model"] if len(b["messages"]) > 1]
    assert len(chats) == N
    for msgs in chats:
        assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant", "user"]
        assert any(h in msgs[-1]["content"] for h in HARM)

    base = read_jsonl(out / "base_generations.jsonl")
    assert {b["fingerprint"] for b in base} == {f"openai:{srv.url}:base-model"}
    drift = read_jsonl(out / "drift.jsonl")
    assert len(drift) == N
    # The two models' answers differ only in the model tag: similar, but not identical.
    assert all(0.8 < d["similarity"] < 0.9999 for d in drift)
    rows = {(m["suite"], m["metric"]): m for m in json.loads((out / "metrics.json").read_text())}
    assert rows[("helpful", "similarity_to_base")]["n"] == N
    assert rows[("helpful", "drifted_rate")]["value"] == 0.0
    assert rows[("harm@multi-turn", "attack_success_rate")]["value"] == 0.0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--backend", "openai"], "--backend openai needs --base-url"),
        (["--backend", "openai", "--base-url", "localhost:8000"], "must start with http"),
        (["--base-url", "http://127.0.0.1:1/v1"], "--base-url is for --backend openai"),
        (
            ["--backend", "openai", "--base-url", "http://127.0.0.1:1/v1", "--adapter", "a"],
            "--adapter: a remote endpoint serves its own weights",
        ),
        (
            ["--backend", "openai", "--base-url", "http://127.0.0.1:1/v1", "--mc", "10"],
            "--mc needs a local model",
        ),
    ],
)
def test_bad_backend_options_are_one_line_errors(tmp_path, capsys, args, needle):
    out = tmp_path / "x"
    assert main(["eval", "--model", "m", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and err.count("\n") == 0
    assert not out.exists()
