"""The generation stage: skip what the run already has, serve what the cache has, save per batch.

An interrupted stage loses at most the batch in flight and never writes a generation twice.

The compute dtype changes greedy answers (bf16 autocast on CPUs with AMX flips some argmaxes),
so a local backend's resolved dtype ("fp32", "bf16") is part of every generation's decoding
settings: of its id in the run directory and of its key in the cache. Answers computed in one
dtype are never served for another.
"""

from __future__ import annotations

from typing import Any

from safetylab.errors import SafetylabError
from safetylab.generate._backends import Backend
from safetylab.records import Generation, Prompt
from safetylab.store import GenerationCache, JsonlLog


def cache_decoding(decoding: dict[str, Any]) -> dict[str, Any] | None:
    """The decoding settings that change output, or None when the output must not be cached.

    Sampled outputs are cached only when seeded; batch size does not enter the key, and the
    older ``bf16`` switch does not either (``with_dtype`` replaces it by the ``dtype`` used).
    """
    key = {k: v for k, v in decoding.items() if k not in ("batch_size", "bf16")}
    if key.get("do_sample") and "seed" not in key:
        return None
    return key


def with_dtype(backend: Backend, decoding: dict[str, Any]) -> dict[str, Any]:
    """The decoding settings with ``dtype`` set to what ``backend`` computes in (``bf16`` key
    dropped), for a backend that says (``compute_dtype``); a backend that does not cannot be
    asked for a dtype other than ``auto``, and its settings stay as they are."""
    asked = decoding.get("dtype", "auto")
    resolve = getattr(backend, "compute_dtype", None)
    if resolve is None:
        if asked != "auto":
            raise SafetylabError(
                f"dtype {asked}: the {type(backend).__name__} backend decides its own compute "
                "dtype; leave dtype auto"
            )
        return {k: v for k, v in decoding.items() if k != "dtype"}
    used = str(resolve(decoding))
    if asked not in ("auto", used):
        raise SafetylabError(f"dtype {asked}: the model computes in {used} (its weights' dtype)")
    return {**{k: v for k, v in decoding.items() if k not in ("bf16", "dtype")}, "dtype": used}


def resolved_dtype(backend: Backend, decoding: dict[str, Any]) -> str | None:
    """The compute dtype ``backend`` uses for ``decoding`` (None: the backend does not say);
    what a run's manifest records."""
    return with_dtype(backend, decoding).get("dtype")


def generate_for(
    backend: Backend,
    model_name: str,
    prompts: list[Prompt],
    decoding: dict[str, Any],
    log: JsonlLog,
    cache: GenerationCache | None = None,
    progress: Any = None,
) -> list[Generation]:
    """Generations for every prompt, appended to ``log``; returns them in prompt order.

    A local backend's generations record (and are keyed by) the compute dtype it used.
    """
    decoding = with_dtype(backend, decoding)
    ckey = cache_decoding(decoding)
    todo: list[Prompt] = []
    for p in prompts:
        g = Generation(p.id, model_name, backend.fingerprint, "", decoding)
        if g.id in log:
            continue
        todo.append(p)
    keys = (
        [GenerationCache.key(backend.fingerprint, p.payload(), ckey) for p in todo]
        if cache is not None and ckey is not None
        else []
    )
    cached = cache.get_many(keys) if keys and cache is not None else {}
    fresh: list[Prompt] = []
    hits: list[dict[str, Any]] = []
    for i, p in enumerate(todo):
        if keys and keys[i] in cached:
            text, n = cached[keys[i]]
            hits.append(
                Generation(p.id, model_name, backend.fingerprint, text, decoding, n).to_dict()
            )
        else:
            fresh.append(p)
    log.append(hits)
    if progress is not None:
        progress.update(len(prompts) - len(fresh))

    def save(idx: list[int], answers: list[tuple[str, int]]) -> None:
        rows = [
            Generation(fresh[i].id, model_name, backend.fingerprint, t, decoding, n).to_dict()
            for i, (t, n) in zip(idx, answers, strict=True)
        ]
        if cache is not None and ckey is not None:
            cache.put_many(
                (GenerationCache.key(backend.fingerprint, fresh[i].payload(), ckey), t, n)
                for i, (t, n) in zip(idx, answers, strict=True)
            )
        log.append(rows)
        if progress is not None:
            progress.update(len(idx))

    if fresh:
        backend.generate([p.payload() for p in fresh], decoding, on_batch=save)
    rows = {r["id"]: r for r in log.rows()}
    out = []
    for p in prompts:
        gid = Generation(p.id, model_name, backend.fingerprint, "", decoding).id
        if gid in rows:
            r = rows[gid]
            out.append(
                Generation(p.id, model_name, r["fingerprint"], r["text"], decoding, r["n_tokens"])
            )
    return out
