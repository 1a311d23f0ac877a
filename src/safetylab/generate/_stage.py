"""The generation stage: skip what the run already has, serve what the cache has, save per batch.

An interrupted stage loses at most the batch in flight and never writes a generation twice.
"""

from __future__ import annotations

from typing import Any

from safetylab.generate._backends import Backend
from safetylab.records import Generation, Prompt
from safetylab.store import GenerationCache, JsonlLog


def cache_decoding(decoding: dict[str, Any]) -> dict[str, Any] | None:
    """The decoding settings that change output, or None when the output must not be cached.

    Sampled outputs are cached only when seeded; batch size and bf16 do not enter the key.
    """
    key = {k: v for k, v in decoding.items() if k not in ("batch_size", "bf16")}
    if key.get("do_sample") and "seed" not in key:
        return None
    return key


def generate_for(
    backend: Backend,
    model_name: str,
    prompts: list[Prompt],
    decoding: dict[str, Any],
    log: JsonlLog,
    cache: GenerationCache | None = None,
    progress: Any = None,
) -> list[Generation]:
    """Generations for every prompt, appended to ``log``; returns them in prompt order."""
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
