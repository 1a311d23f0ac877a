"""Backend ``openai``: any OpenAI-compatible chat endpoint (vLLM server, llama.cpp server, ...).

    export OPENAI_API_KEY=...        # only if the server wants one; never put it in a file
    from safetylab.registry import backends, load_plugins
    load_plugins()
    be = backends.get("openai")("http://127.0.0.1:8000/v1", "my-model", concurrency=16)
    answers = be.generate(["Name a fruit."], {"max_new_tokens": 64})

Requests run concurrently (``concurrency`` at most in flight); 429, 5xx, timeouts, dropped
connections and malformed replies are retried with exponential backoff (a warning per retry);
after the last try, or once one request has waited ``max_wait`` seconds in all (tries and
pauses), the run stops with a one-line SafetylabError naming the endpoint and the status. Every answer is
handed to ``on_batch`` as soon as it arrives, so an interrupted stage keeps what finished.

The API key is read from an environment variable (``api_key_env``, default OPENAI_API_KEY)
at request time; it is never stored on the object, written to disk or put in a message.
Credentials in the URL (``http://user:KEY@host/v1``) are sent, but shown, logged and recorded
(fingerprint included) as ``http://***@host/v1``.

The fingerprint is ``openai:<base_url>:<model>``: remote weights cannot be hashed, so a server
that swaps the weights behind the same model name reuses cached generations. Serve each
checkpoint under its own model name (or clear the cache) when comparing checkpoints.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import logging
import os
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from safetylab._secrets import mask_url
from safetylab.errors import SafetylabError
from safetylab.registry import backends

log = logging.getLogger(__name__)

T = TypeVar("T")
Answer = tuple[str, int]
OnBatch = Callable[[list[int], list[Answer]], None]


def import_httpx() -> Any:
    """httpx, or its drop-in successor httpx2 (same API) where only that is installed."""
    try:
        return importlib.import_module("httpx")
    except ImportError:
        return importlib.import_module("httpx2")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion, also from code that already runs an event loop (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class _Retryable(Exception):
    """A failure worth another try (429, 5xx, timeout, connection, malformed reply)."""


class _Failed(Exception):
    """A request that failed for good; the message is one line, key masked."""


@backends.register(
    "openai", description="OpenAI-compatible chat endpoint (vLLM/llama.cpp server), async"
)
class OpenAIBackend:
    """Concurrent requests to ``{base_url}/chat/completions``; answers in input order."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 8,
        max_retries: int = 5,
        timeout: float = 120.0,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        system: str | None = None,
        max_wait: float | None = 300.0,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise SafetylabError(
                f"openai backend: base_url {mask_url(str(base_url))!r} must start with "
                "http:// or https://"
            )
        if not model:
            raise SafetylabError("openai backend: model must name the served model")
        if int(concurrency) < 1:
            raise SafetylabError(f"openai backend: concurrency must be >= 1, got {concurrency}")
        if int(max_retries) < 0:
            raise SafetylabError(f"openai backend: max_retries must be >= 0, got {max_retries}")
        if not float(timeout) > 0:
            raise SafetylabError(f"openai backend: timeout must be > 0 seconds, got {timeout}")
        if max_wait is not None and not float(max_wait) > 0:
            raise SafetylabError(f"openai backend: max_wait must be > 0 seconds, got {max_wait}")
        self._base_url = base_url.rstrip("/")  # with credentials, if any: only sent
        self.base_url = mask_url(self._base_url)  #: e.g. http://127.0.0.1:8000/v1 (masked)
        self.model = model  #: model name the server knows
        self.api_key_env = api_key_env  #: environment variable holding the API key
        self.concurrency = int(concurrency)  #: requests in flight at most
        self.max_retries = int(max_retries)  #: tries after the first one
        self.timeout = float(timeout)  #: seconds per request
        self.backoff = float(backoff)  #: first retry delay in seconds, doubled per retry
        self.max_backoff = float(max_backoff)  #: longest delay between tries
        self.system = system  #: optional system message sent before every prompt
        #: seconds one request may take in all, tries and pauses included (None: no bound)
        self.max_wait = float(max_wait) if max_wait is not None else None
        self.fingerprint = f"openai:{self.base_url}:{model}"
        self._rng = random.Random(0)

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def __repr__(self) -> str:
        state = "set" if os.environ.get(self.api_key_env) else "unset"
        return (
            f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r}, "
            f"api_key_env={self.api_key_env!r} ({state}), concurrency={self.concurrency})"
        )

    def _mask(self, text: str) -> str:
        """``text`` on one line, with the API key and URL credentials (if any) masked."""
        key = os.environ.get(self.api_key_env, "")
        if key:
            text = text.replace(key, "***")
        return " ".join(mask_url(text.replace(self._base_url, self.base_url)).split())

    def payload(self, prompt: Any, decoding: dict[str, Any]) -> dict[str, Any]:
        """The JSON body for one prompt (a string, or a chat as role/content dicts): greedy
        (temperature 0) unless ``do_sample`` is set."""
        turns = (
            [{"role": "user", "content": prompt}]
            if isinstance(prompt, str)
            else [{"role": str(m["role"]), "content": str(m["content"])} for m in prompt]
        )
        msgs = ([{"role": "system", "content": self.system}] if self.system else []) + turns
        body: dict[str, Any] = {
            "model": self.model,
            "messages": msgs,
            "max_tokens": int(decoding.get("max_new_tokens", 64)),
        }
        if decoding.get("do_sample", False):
            body["temperature"] = float(decoding.get("temperature", 1.0))
            body["top_p"] = float(decoding.get("top_p", 1.0))
            if "top_k" in decoding:  # not OpenAI's API; vLLM and llama.cpp servers take it
                body["top_k"] = int(decoding["top_k"])
        else:
            body["temperature"] = 0.0
        if "seed" in decoding:
            body["seed"] = int(decoding["seed"])
        return body

    def generate(
        self,
        prompts: list[Any],
        decoding: dict[str, Any],
        on_batch: OnBatch | None = None,
    ) -> list[Answer]:
        """Answers (text, completion tokens) in the order of ``prompts``.

        ``on_batch([i], [answer])`` is called as each answer arrives. After a request fails
        for good no new request starts; those in flight finish (and reach ``on_batch``), then
        a SafetylabError is raised.
        """
        if not prompts:
            return []
        return run_sync(self._generate(prompts, decoding, on_batch))

    async def _generate(
        self, prompts: list[Any], decoding: dict[str, Any], on_batch: OnBatch | None
    ) -> list[Answer]:
        httpx = import_httpx()
        results: list[Answer | None] = [None] * len(prompts)
        failures: list[str] = []
        sem = asyncio.Semaphore(self.concurrency)
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        limits = httpx.Limits(
            max_connections=self.concurrency, max_keepalive_connections=self.concurrency
        )
        async with httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(self.timeout), limits=limits
        ) as client:

            async def one(i: int) -> None:
                async with sem:
                    if failures:
                        return
                    try:
                        ans = await self._request(client, self.payload(prompts[i], decoding))
                    except _Failed as e:
                        failures.append(str(e))
                        return
                    results[i] = ans
                    if on_batch is not None:
                        on_batch([i], [ans])

            tasks = [asyncio.create_task(one(i)) for i in range(len(prompts))]
            try:
                await asyncio.gather(*tasks)
            except BaseException:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        if failures:
            done = sum(r is not None for r in results)
            raise SafetylabError(
                f"openai backend: {failures[0]} ({done}/{len(prompts)} answers finished)"
            )
        return [r for r in results if r is not None]

    async def _request(self, client: Any, body: dict[str, Any]) -> Answer:
        httpx = import_httpx()
        tries = self.max_retries + 1
        why = ""
        start = time.monotonic()
        deadline = start + (self.max_wait if self.max_wait is not None else float("inf"))
        for attempt in range(tries):
            retry_after: float | None = None
            try:
                per_try = min(self.timeout, max(0.001, deadline - time.monotonic()))
                try:
                    resp = await client.post(
                        f"{self._base_url}/chat/completions", json=body, timeout=per_try
                    )
                except httpx.TimeoutException:
                    raise _Retryable(f"timed out after {per_try:.3g}s") from None
                except httpx.RequestError as e:  # connection, protocol, decoding
                    raise _Retryable(f"connection failed ({type(e).__name__})") from None
                status = resp.status_code
                if status == 429 or status >= 500:
                    retry_after = _retry_after(resp.headers.get("retry-after"))
                    raise _Retryable(f"HTTP {status}")
                if status >= 400:
                    hint = f"; check ${self.api_key_env}" if status in (401, 403) else ""
                    raise _Failed(
                        self._mask(
                            f"{self.url} (model {self.model!r}) answered HTTP {status}: "
                            f"{resp.text[:200]}{hint}"
                        )
                    )
                return _parse_reply(resp, int(body["max_tokens"]))
            except _Retryable as e:
                why = str(e)
            if attempt + 1 < tries:
                delay = min(self.max_backoff, self.backoff * 2**attempt)
                delay *= 0.5 + 0.5 * self._rng.random()
                if retry_after is not None:
                    delay = min(self.max_backoff, max(delay, retry_after))
                left = deadline - time.monotonic()
                if left <= delay:
                    tries = attempt + 1
                    why += f"; gave up at --max-wait {self.max_wait:g}s"
                    break
                log.warning(
                    "openai: %s from %s; retry %d/%d in %.2fs (%.0fs waited so far)",
                    self._mask(why),
                    self.url,
                    attempt + 1,
                    self.max_retries,
                    delay,
                    time.monotonic() - start,
                )
                await asyncio.sleep(delay)
        raise _Failed(
            self._mask(
                f"{self.url} (model {self.model!r}) failed after {tries} "
                f"{'try' if tries == 1 else 'tries'}: {why}"
            )
        )


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _parse_reply(resp: Any, max_tokens: int) -> Answer:
    """(text, completion tokens) from an OpenAI chat completion; malformed -> _Retryable."""
    try:
        data = resp.json()
        choice = data["choices"][0]
        msg = choice["message"]
        text = msg.get("content")
        if text is None:
            text = msg.get("refusal")
        if not isinstance(text, str):
            raise TypeError("content is not a string")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise _Retryable(
            f"malformed reply (not an OpenAI chat completion): {resp.text[:80]!r}"
        ) from None
    usage = data.get("usage") or {}
    n = usage.get("completion_tokens") if isinstance(usage, dict) else None
    if not isinstance(n, int):
        # No usage block: the token limit when the server says it cut the answer, else words.
        n = max_tokens if choice.get("finish_reason") == "length" else len(text.split())
    return text.strip(), n
