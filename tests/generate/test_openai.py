"""The ``openai`` backend against a real HTTP server on loopback, and the ``vllm`` extra's hint.

python -m pytest tests/generate/test_openai.py -q
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from safetylab.errors import SafetylabError
from safetylab.generate import generate_for
from safetylab.generate._openai import OpenAIBackend
from safetylab.records import Prompt
from safetylab.registry import backends, load_plugins
from safetylab.store import GenerationCache, JsonlLog

Reply = tuple[int, Any, dict[str, str]]  # status, body (dict -> JSON, str -> as is), headers


def completion(text: str, tokens: int | None = None) -> dict[str, Any]:
    """An OpenAI chat completion body."""
    body: dict[str, Any] = {
        "id": "cmpl-1",
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
    }
    if tokens is not None:
        body["usage"] = {
            "prompt_tokens": 5,
            "completion_tokens": tokens,
            "total_tokens": 5 + tokens,
        }
    return body


def user_text(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


def echo(body: dict[str, Any], n: int) -> Reply:
    text = user_text(body)
    return 200, completion(f"echo: {text}", len(text.split())), {}


class FakeOpenAIServer:
    """A real HTTP server on 127.0.0.1 (port 0, its own thread) that speaks the OpenAI chat
    completions API. ``reply(body, n)`` answers the n-th request (1-based) for one user text.
    With ``barrier=k`` every request waits until k requests are in flight (bounded wait)."""

    def __init__(self, reply: Callable[[dict[str, Any], int], Reply] = echo, barrier: int = 0):
        self.reply = reply
        self.requests: list[dict[str, Any]] = []  #: {"body", "auth", "path"} per request
        self.counts: Counter[str] = Counter()  #: requests per user text
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(barrier, timeout=20) if barrier else None
        self.release = threading.Event()  #: set at exit; replies that hang wait on it
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw)
                with fake.lock:
                    fake.requests.append(
                        {"body": body, "auth": self.headers.get("Authorization"), "path": self.path}
                    )
                    fake.counts[user_text(body)] += 1
                    n = fake.counts[user_text(body)]
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    if fake.barrier is not None:
                        fake.barrier.wait()
                    status, payload, headers = fake.reply(body, n)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1
                data = (
                    json.dumps(payload).encode() if isinstance(payload, dict) else payload.encode()
                )
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        if self.barrier is not None:
            self.barrier.abort()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def fast(url: str, **kw: Any) -> OpenAIBackend:
    """A backend with tiny backoff so retries do not slow the tests."""
    kw.setdefault("backoff", 0.001)
    kw.setdefault("max_backoff", 0.01)
    kw.setdefault("timeout", 10.0)
    return OpenAIBackend(url, "test-model", **kw)


def test_openai_is_registered():
    load_plugins()
    assert backends.get("openai") is OpenAIBackend


def test_answers_come_back_in_input_order_and_reach_on_batch_once():
    n = 4
    sent = [threading.Event() for _ in range(n)]

    def reversed_order(body: dict[str, Any], k: int) -> Reply:
        i = int(user_text(body)[1:])
        if i + 1 < n:
            sent[i + 1].wait(10)  # prompt i answers only after prompt i + 1 has been answered
        out = echo(body, k)
        sent[i].set()
        return out

    prompts = [f"p{i}" for i in range(n)]
    seen: list[int] = []
    with FakeOpenAIServer(reversed_order, barrier=n) as srv:  # all n arrive, then replies
        be = fast(srv.url, concurrency=n)
        out = be.generate(prompts, {"max_new_tokens": 7}, on_batch=lambda idx, a: seen.extend(idx))
    assert out == [(f"echo: p{i}", 1) for i in range(n)]
    assert sorted(seen) == list(range(n))
    assert srv.max_in_flight == n


def test_decoding_maps_to_openai_fields_and_fingerprint_names_endpoint_and_model():
    with FakeOpenAIServer() as srv:
        be = fast(srv.url + "/", system="Be brief.")
        be.generate(["hi"], {"max_new_tokens": 7, "do_sample": False, "temperature": 0.9})
        be.generate(
            ["hi"],
            {"max_new_tokens": 5, "do_sample": True, "temperature": 0.7, "top_p": 0.9, "seed": 3},
        )
        be.generate(["hi"], {"max_new_tokens": 5, "do_sample": True, "seed": 3, "top_k": 20})
    greedy, sampled, top_k = (r["body"] for r in srv.requests)
    assert "top_k" not in sampled and top_k["top_k"] == 20  # only when asked (not OpenAI's API)
    assert srv.requests[0]["path"] == "/v1/chat/completions"
    assert greedy == {
        "model": "test-model",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
        ],
        "max_tokens": 7,
        "temperature": 0.0,
    }
    assert {k: sampled[k] for k in ("max_tokens", "temperature", "top_p", "seed")} == {
        "max_tokens": 5,
        "temperature": 0.7,
        "top_p": 0.9,
        "seed": 3,
    }
    assert be.fingerprint == f"openai:{srv.url}:test-model"


def test_concurrency_limit_is_never_exceeded_and_is_reached():
    # Every request waits until 3 are in flight: a client sending fewer would hang the barrier
    # (and fail), one sending more would show max_in_flight > 3.
    with FakeOpenAIServer(barrier=3) as srv:
        out = fast(srv.url, concurrency=3).generate([f"q{i}" for i in range(9)], {})
    assert len(out) == 9
    assert srv.max_in_flight == 3
    with FakeOpenAIServer() as srv:
        fast(srv.url, concurrency=1).generate([f"q{i}" for i in range(5)], {})
    assert srv.max_in_flight == 1


def test_429_and_5xx_are_retried_then_succeed(caplog):
    def flaky(body: dict[str, Any], n: int) -> Reply:
        if n == 1:
            return 429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}
        if n == 2:
            return 503, "overloaded", {}
        return echo(body, n)

    with FakeOpenAIServer(flaky) as srv:
        out = fast(srv.url, concurrency=2).generate(["a b", "c"], {})
    assert out == [("echo: a b", 2), ("echo: c", 1)]
    assert srv.counts == Counter({"a b": 3, "c": 3})
    assert "HTTP 429" in caplog.text and "HTTP 503" in caplog.text


def test_timeout_is_retried():
    def hang_first(body: dict[str, Any], n: int) -> Reply:
        if n == 1:
            srv.release.wait(10)  # longer than the client's timeout; released at server exit
        return echo(body, n)

    with FakeOpenAIServer(hang_first) as srv:
        out = fast(srv.url, timeout=0.5).generate(["slow"], {})
    assert out == [("echo: slow", 1)]
    assert srv.counts["slow"] == 2


def test_malformed_replies_are_retried_then_a_one_line_error():
    with FakeOpenAIServer(lambda body, n: (200, "<html>not json</html>", {})) as srv:
        be = fast(srv.url, max_retries=2)
        with pytest.raises(SafetylabError) as e:
            be.generate(["x"], {})
    msg = str(e.value)
    assert srv.counts["x"] == 3
    assert "\n" not in msg
    assert f"{srv.url}/chat/completions" in msg
    assert "failed after 3 tries: malformed reply" in msg


def test_server_down_gives_one_line_error_naming_the_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    be = fast(f"http://127.0.0.1:{port}/v1", max_retries=1)
    with pytest.raises(SafetylabError) as e:
        be.generate(["x", "y"], {})
    msg = str(e.value)
    assert "\n" not in msg
    assert f"http://127.0.0.1:{port}/v1/chat/completions (model 'test-model')" in msg
    assert "failed after 2 tries: connection failed" in msg
    assert msg.endswith("(0/2 answers finished)")


PROMPTS = [Prompt(f"question {i}", "s", "safe") for i in range(6)]


def test_finished_rows_are_kept_when_a_request_fails_for_good_and_the_rerun_resumes(tmp_path):
    healthy = {"ok": False}

    def broken_at_3(body: dict[str, Any], n: int) -> Reply:
        if user_text(body) == "question 3" and not healthy["ok"]:
            return 500, "boom", {}
        return echo(body, n)

    log_path = tmp_path / "generations.jsonl"
    cache = GenerationCache(tmp_path / "cache.sqlite")
    dec = {"max_new_tokens": 8}
    with FakeOpenAIServer(broken_at_3) as srv:
        be = fast(srv.url, concurrency=1, max_retries=2)
        with pytest.raises(SafetylabError, match=r"failed after 3 tries: HTTP 500 \(3/6 answers"):
            generate_for(be, "remote", PROMPTS, dec, JsonlLog(log_path), cache)
        saved = [r["text"] for r in JsonlLog(log_path).rows()]
        assert saved == ["echo: question 0", "echo: question 1", "echo: question 2"]
        assert srv.counts["question 3"] == 3 and srv.counts["question 4"] == 0

        healthy["ok"] = True
        gens = generate_for(be, "remote", PROMPTS, dec, JsonlLog(log_path), cache)
    assert [g.text for g in gens] == [f"echo: question {i}" for i in range(6)]
    assert [srv.counts[f"question {i}"] for i in range(6)] == [1, 1, 1, 4, 1, 1]
    rows = JsonlLog(log_path).rows()
    assert len(rows) == 6 and len({r["id"] for r in rows}) == 6
    assert {r["fingerprint"] for r in rows} == {f"openai:{srv.url}:test-model"}
    cache.close()


SECRET = "sk-test-5ecret-DO-NOT-LEAK-0123456789"


def _files_containing(root: Path, needle: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_api_key_goes_in_the_header_only_never_to_files_errors_or_logs(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("SAFETYLAB_TEST_KEY", SECRET)

    def reply(body: dict[str, Any], n: int) -> Reply:
        if user_text(body) == "question 0" and n == 1:
            return 429, "busy", {}
        return echo(body, n)

    with FakeOpenAIServer(reply) as srv:
        be = fast(srv.url, api_key_env="SAFETYLAB_TEST_KEY")
        cache = GenerationCache(tmp_path / "cache.sqlite")
        generate_for(be, "m", PROMPTS, {"max_new_tokens": 4}, JsonlLog(tmp_path / "g.jsonl"), cache)
        cache.close()
    assert {r["auth"] for r in srv.requests} == {f"Bearer {SECRET}"}
    assert _files_containing(tmp_path, SECRET.encode()) == []
    assert SECRET not in repr(be) and "(set)" in repr(be)
    assert SECRET not in repr(vars(be))
    assert SECRET not in caplog.text and "HTTP 429" in caplog.text

    # A server that echoes the Authorization header back in its error body.
    def leaky(body: dict[str, Any], n: int) -> Reply:
        return 401, f"bad key: {srv.requests[-1]['auth']}", {}

    with FakeOpenAIServer(leaky) as srv, pytest.raises(SafetylabError) as e:
        fast(srv.url, api_key_env="SAFETYLAB_TEST_KEY").generate(["x"], {})
    msg = str(e.value)
    assert SECRET not in msg
    assert "answered HTTP 401: bad key: Bearer ***; check $SAFETYLAB_TEST_KEY" in msg
    assert srv.counts["x"] == 1  # 4xx other than 429 is not retried


def test_without_the_key_variable_no_authorization_header_is_sent(monkeypatch):
    monkeypatch.delenv("SAFETYLAB_UNSET_KEY", raising=False)
    with FakeOpenAIServer() as srv:
        be = fast(srv.url, api_key_env="SAFETYLAB_UNSET_KEY")
        assert be.generate(["x"], {}) == [("echo: x", 1)]
    assert srv.requests[0]["auth"] is None
    assert "(unset)" in repr(be)


def test_generate_works_inside_a_running_event_loop():
    with FakeOpenAIServer() as srv:
        be = fast(srv.url)

        async def main() -> list[tuple[str, int]]:
            return be.generate(["x"], {})

        assert asyncio.run(main()) == [("echo: x", 1)]


def test_missing_usage_counts_words_or_the_limit_when_cut():
    def no_usage(body: dict[str, Any], n: int) -> Reply:
        c = completion("one two three")
        if user_text(body) == "cut":
            c["choices"][0]["finish_reason"] = "length"
        return 200, c, {}

    with FakeOpenAIServer(no_usage) as srv:
        out = fast(srv.url).generate(["full", "cut"], {"max_new_tokens": 5})
    assert out == [("one two three", 3), ("one two three", 5)]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"base_url": "127.0.0.1:8000/v1"}, "base_url '127.0.0.1:8000/v1' must start with http"),
        ({"concurrency": 0}, "concurrency must be >= 1"),
        ({"max_retries": -1}, "max_retries must be >= 0"),
    ],
)
def test_bad_options_are_one_line_errors(kwargs, match):
    args = {"base_url": "http://127.0.0.1:1/v1"} | kwargs
    with pytest.raises(SafetylabError, match=match):
        OpenAIBackend(args.pop("base_url"), "m", **args)


def test_vllm_missing_dependency_names_the_extra(monkeypatch):
    load_plugins()
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm -> ImportError, as here
    with pytest.raises(SafetylabError) as e:
        backends.get("vllm")("smollm2-135m-instruct")
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("vllm backend: cannot import vllm")
    assert msg.endswith("pip install 'safetylab[vllm]'")
