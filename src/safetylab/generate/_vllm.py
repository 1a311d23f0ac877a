"""Backend ``vllm``: vLLM's offline engine on a CUDA GPU (optional extra), LoRA via LoRARequest.

    pip install 'safetylab[vllm]'          # on a GPU machine; vLLM brings its own torch
    from safetylab.registry import backends, load_plugins
    load_plugins()
    be = backends.get("vllm")("smollm2-135m-instruct", adapter="runs/demo/adapters/safety-64")

vLLM is imported only when the backend is built; without it the error names the extra.
Prompts are tokenised with the same chat template code as the ``hf`` backend, so both send the
model identical token ids. Weights load from safetensors only; trust_remote_code stays off.
The fingerprint is the model's (base + adapter + chat template) with ``:vllm`` appended, so
vLLM's bf16 kernels never serve cached generations of the fp32 ``hf`` backend or vice versa.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.registry import backends

INSTALL_HINT = "pip install 'safetylab[vllm]'"


def import_vllm() -> Any:
    """The ``vllm`` module, or a SafetylabError naming the extra to install."""
    try:
        import vllm
    except ImportError as e:
        raise SafetylabError(
            f"vllm backend: cannot import vllm ({e}); on a CUDA machine run: {INSTALL_HINT}"
        ) from None
    return vllm


def _adapter_rank(adapter: str | Path) -> int:
    cfg = Path(adapter) / "adapter_config.json"
    if not cfg.exists():
        raise SafetylabError(f"--adapter {adapter}: no adapter_config.json in that folder")
    try:
        return int(json.loads(cfg.read_text(encoding="utf-8"))["r"])
    except (ValueError, KeyError, TypeError):
        raise SafetylabError(f"{cfg}: expected a PEFT LoRA config with an integer 'r'") from None


@backends.register("vllm", description="vLLM offline engine on a GPU (optional extra), LoRA")
class VLLMBackend:
    """Greedy/sampled generation with vLLM; a LoRA adapter is applied per request, unmerged."""

    def __init__(
        self,
        model: str,
        *,
        adapter: str | Path | None = None,
        dtype: str = "auto",
        gpu_memory_utilization: float = 0.85,
        max_model_len: int | None = None,
        batch_size: int = 512,
        seed: int = 0,
        trust_remote_code: bool = False,
    ) -> None:
        vllm = import_vllm()
        from vllm.lora.request import LoRARequest

        from safetylab.models import fingerprint, load_tokenizer, resolve_model_path

        path = resolve_model_path(model)
        self.tokenizer = load_tokenizer(path, trust_remote_code=trust_remote_code)
        self.fingerprint = fingerprint(path, self.tokenizer, adapter) + ":vllm"
        self.batch_size = int(batch_size)  #: prompts per engine call (and per on_batch)
        kwargs: dict[str, Any] = {
            "model": str(path),
            "dtype": dtype,
            "seed": seed,
            "gpu_memory_utilization": gpu_memory_utilization,
            "trust_remote_code": trust_remote_code,
            "load_format": "safetensors",
        }
        if max_model_len is not None:
            kwargs["max_model_len"] = int(max_model_len)
        self.lora: Any = None
        if adapter is not None:
            kwargs["enable_lora"] = True
            kwargs["max_lora_rank"] = max(8, _adapter_rank(adapter))
            self.lora = LoRARequest("adapter", 1, str(adapter))
        self.llm = vllm.LLM(**kwargs)

    def sampling_params(self, decoding: dict[str, Any]) -> Any:
        from vllm import SamplingParams

        from safetylab.chat import end_of_turn_id

        tok = self.tokenizer
        kw: dict[str, Any] = {
            "max_tokens": int(decoding.get("max_new_tokens", 64)),
            "stop_token_ids": sorted({end_of_turn_id(tok), int(tok.eos_token_id)}),
            "temperature": 0.0,
        }
        if decoding.get("do_sample", False):
            kw["temperature"] = float(decoding.get("temperature", 1.0))
            kw["top_p"] = float(decoding.get("top_p", 1.0))
            if "top_k" in decoding:
                kw["top_k"] = int(decoding["top_k"]) or -1  # vLLM: -1 = no limit
        if "seed" in decoding:
            kw["seed"] = int(decoding["seed"])
        return SamplingParams(**kw)

    def generate(
        self,
        prompts: list[str],
        decoding: dict[str, Any],
        on_batch: Callable[[list[int], list[tuple[str, int]]], None] | None = None,
    ) -> list[tuple[str, int]]:
        from safetylab.chat import prompt_ids

        params = self.sampling_params(decoding)
        out: list[tuple[str, int]] = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = prompts[start : start + self.batch_size]
            inputs = [{"prompt_token_ids": prompt_ids(self.tokenizer, p)} for p in chunk]
            results = self.llm.generate(inputs, params, lora_request=self.lora, use_tqdm=False)
            answers = [(r.outputs[0].text.strip(), len(r.outputs[0].token_ids)) for r in results]
            out.extend(answers)
            if on_batch is not None:
                on_batch(list(range(start, start + len(chunk))), answers)
        return out
