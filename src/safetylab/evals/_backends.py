"""The backends of an eval run: the evaluated model, and the reference model for drift.

    safetylab eval --backend openai --base-url http://127.0.0.1:8000/v1 --model my-model \\
        --suites harm,helpful --out runs/eval-remote        # key, if any: $OPENAI_API_KEY

``hf`` loads the model (and LoRA adapter) here; ``openai`` sends the prompts to any
OpenAI-compatible chat endpoint (the API key is read from the environment variable named by
``--api-key-env``, never from an option or a file); ``mock`` is the deterministic test model.

The drift reference is the model the evaluated one is compared with: ``--base`` when given,
otherwise (hf with an adapter) the same model with its adapter switched off, which shares its
fingerprint, and so its cached generations, with an eval of the base model itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetylab.errors import SafetylabError
from safetylab.generate import OpenAIBackend

if TYPE_CHECKING:
    from safetylab.evals._run import EvalConfig
    from safetylab.generate import Backend
    from safetylab.models import LoadedModel


def openai_backend(cfg: EvalConfig, model: str) -> OpenAIBackend:
    if not cfg.base_url:
        raise SafetylabError(
            "--backend openai needs --base-url (the endpoint, e.g. http://127.0.0.1:8000/v1)"
        )
    try:
        return OpenAIBackend(
            cfg.base_url,
            model,
            api_key_env=cfg.api_key_env,
            concurrency=cfg.concurrency,
            timeout=cfg.timeout,
            max_retries=cfg.retries,
            max_wait=cfg.max_wait,
        )
    except SafetylabError as e:
        raise SafetylabError(f"--base-url/--model: {e}") from None


def check_options(cfg: EvalConfig) -> None:
    """Options that cannot work together fail before anything is loaded or generated."""
    local = cfg.backend == "hf"
    if cfg.backend == "vllm":  # without vllm: the install hint, before the run dir is written
        from safetylab.generate import import_vllm

        import_vllm()
    if cfg.temperature < 0:
        raise SafetylabError(f"--temperature must be >= 0, 0 for greedy (got {cfg.temperature})")
    if cfg.temperature and not 0 < cfg.top_p <= 1:
        raise SafetylabError(f"--top-p must be in (0, 1] (got {cfg.top_p})")
    if cfg.temperature and cfg.top_k is not None and cfg.top_k < 0:
        raise SafetylabError(f"--top-k must be >= 0, 0 for no limit (got {cfg.top_k})")
    if cfg.dtype != "auto" and cfg.backend != "hf":
        raise SafetylabError(f"--dtype is for --backend hf (got --backend {cfg.backend})")
    from safetylab.hardware import check_dtype

    check_dtype(cfg.dtype, "--dtype")
    if cfg.base_url and cfg.backend != "openai":
        raise SafetylabError(f"--base-url is for --backend openai (got --backend {cfg.backend})")
    if cfg.backend == "openai":
        openai_backend(cfg, cfg.model)  # validates --base-url and --model
        if cfg.adapter:
            raise SafetylabError(
                "--adapter: a remote endpoint serves its own weights; serve the adapter under "
                "its own model name and pass that name as --model"
            )
    if cfg.mc and "helpful" in cfg.suites and not local:
        raise SafetylabError("--mc needs a local model's log-likelihoods: use --backend hf")
    if cfg.lm_eval and not local:
        raise SafetylabError("--lm-eval needs a local model: use --backend hf")
    if cfg.base and cfg.base == cfg.model and not cfg.adapter:
        raise SafetylabError(
            "--base is the evaluated model itself: give --adapter, or another --base"
        )


def main_backend(cfg: EvalConfig) -> tuple[Backend, LoadedModel | None]:
    """The backend that answers the suites' prompts, and the loaded model (hf only)."""
    from safetylab.generate import HFBackend, MockBackend

    if cfg.backend == "mock":
        return MockBackend(), None
    if cfg.backend == "openai":
        return openai_backend(cfg, cfg.model), None
    if cfg.backend == "vllm":  # a GPU machine; vllm is imported only here (install hint if absent)
        from safetylab.generate import VLLMBackend

        return VLLMBackend(cfg.model, adapter=cfg.adapter, seed=cfg.seed), None
    if cfg.backend != "hf":
        from safetylab.registry import backends

        backends.get(cfg.backend)
        raise SafetylabError(
            f"--backend {cfg.backend}: use the Python API for this backend (see README)"
        )
    from safetylab.models import load_base

    lm = load_base(cfg.model, adapter=cfg.adapter)
    return HFBackend(lm.model, lm.tokenizer, lm.fingerprint, cfg.batch_size), lm


@dataclass(frozen=True)
class Reference:
    """The model whose answers drift is measured from."""

    backend: Any  #: a Backend
    name: str  #: display name, e.g. "smollm2-135m-instruct"


class AdapterOffBackend:
    """A PEFT model's hf backend that generates with the adapter switched off: the base model."""

    def __init__(self, peft_model: Any, tokenizer: Any, fingerprint: str, batch_size: int) -> None:
        from safetylab.generate import HFBackend

        self.peft_model = peft_model
        self.inner = HFBackend(peft_model, tokenizer, fingerprint, batch_size)
        self.fingerprint = fingerprint  #: the base model's (what load_base(model) gives)

    def generate(
        self,
        prompts: list[Any],
        decoding: dict[str, Any],
        on_batch: Callable[[list[int], list[tuple[str, int]]], None] | None = None,
    ) -> list[tuple[str, int]]:
        with self.peft_model.disable_adapter():
            return self.inner.generate(prompts, decoding, on_batch)

    def compute_dtype(self, decoding: dict[str, Any]) -> str:
        return self.inner.compute_dtype(decoding)


def reference_backend(cfg: EvalConfig, lm: LoadedModel | None) -> Reference | None:
    """The drift reference (None: no drift for this run)."""
    if not cfg.drift or "helpful" not in cfg.suites:
        return None
    if cfg.backend == "mock":
        from safetylab.generate import MockBackend

        return Reference(MockBackend(f"mock:{cfg.base}"), Path(cfg.base).name) if cfg.base else None
    if cfg.backend == "openai":
        return Reference(openai_backend(cfg, cfg.base), cfg.base) if cfg.base else None
    if lm is None:
        return None
    from safetylab.generate import HFBackend
    from safetylab.models import fingerprint, load_base, resolve_model_path

    if cfg.adapter and (cfg.base is None or resolve_model_path(cfg.base) == Path(lm.path)):
        fp = fingerprint(Path(lm.path), lm.tokenizer)  # what load_base(cfg.model) would give
        off = AdapterOffBackend(lm.model, lm.tokenizer, fp, cfg.batch_size)
        return Reference(off, Path(cfg.model).name)
    if cfg.base is None:
        return None
    base = load_base(cfg.base)
    return Reference(
        HFBackend(base.model, base.tokenizer, base.fingerprint, cfg.batch_size),
        Path(cfg.base).name,
    )
