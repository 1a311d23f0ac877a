"""Backends: ``hf`` (batched transformers), ``mock`` (deterministic, for tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from safetylab.chat import end_of_turn_id, prompt_ids
from safetylab.generate._decode import Sampling, decode
from safetylab.hardware import check_dtype, compute_dtype
from safetylab.registry import backends


class Backend(Protocol):
    """Anything that turns prompts into answers."""

    fingerprint: str

    # A local backend also has ``compute_dtype(decoding) -> str``: the dtype its arithmetic runs
    # in ("fp32", "bf16"), which changes greedy answers; generate_for puts it into generation
    # ids and cache keys. Backends without it (remote servers, mock) cannot be asked for one.

    def generate(
        self,
        prompts: list[Any],
        decoding: dict[str, Any],
        on_batch: Callable[[list[int], list[tuple[str, int]]], None] | None = None,
    ) -> list[tuple[str, int]]:
        """Answers (text, number of generated tokens), in the order of ``prompts``.

        ``on_batch(indices, answers)`` is called after each batch so callers can save as they go.
        """
        ...


#: half-precision weight dtypes and the compute dtype they give
HALF = {"bfloat16": "bf16", "float16": "fp16"}


@backends.register("hf", description="transformers model, batched, length-sorted, left-padded")
class HFBackend:
    """Batched greedy/sampled generation with a transformers model (LoRA adapters unmerged)."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        fingerprint: str,
        batch_size: int = 64,
        own_loop: bool = True,
        adapter: str | None = None,
        dtype: str = "auto",
    ) -> None:
        check_dtype(dtype)
        self.model = model
        self.tokenizer = tokenizer
        self.fingerprint = fingerprint
        self.batch_size = batch_size
        #: greedy and sampled decoding through safetylab's loop (generate/_decode.py: greedy
        #: gives model.generate's tokens with less work; a seeded prompt samples the same answer
        #: in any batch); False sends them to model.generate. Beam search always goes there.
        self.own_loop = own_loop
        #: LoRA adapter to switch to before generating (several adapters share one model:
        #: ``safetylab.models.load_adapters``); None leaves the model as it is
        self.adapter = adapter
        #: compute dtype when the decoding settings name none: "auto" (bf16 autocast where the
        #: hardware is fast at it: CPUs with AMX or AVX512-BF16, CUDA), "fp32" or "bf16"
        self.dtype = dtype

    def compute_dtype(self, decoding: dict[str, Any]) -> str:
        """What ``generate`` computes in for these settings: "fp32" or "bf16" ("fp16" for a
        model loaded in half precision). The settings' ``dtype`` (or the older ``bf16`` key:
        auto/on/off) decides; "auto" or none leaves it to the backend's own ``dtype``."""
        setting = decoding.get("dtype", decoding.get("bf16", "auto"))
        if setting == "auto":
            setting = self.dtype
        param = next(self.model.parameters())
        weights = str(param.dtype).removeprefix("torch.")
        if weights in HALF:
            return HALF[weights]  # autocast cannot raise half-precision weights to fp32
        return compute_dtype(setting, param.device.type)

    def generate(
        self,
        prompts: list[Any],
        decoding: dict[str, Any],
        on_batch: Callable[[list[int], list[tuple[str, int]]], None] | None = None,
    ) -> list[tuple[str, int]]:
        import torch

        if self.adapter is not None:
            self.model.set_adapter(self.adapter)
        tok = self.tokenizer
        encoded = [prompt_ids(tok, p) for p in prompts]
        order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]), reverse=True)
        results: list[tuple[str, int] | None] = [None] * len(prompts)
        eot = end_of_turn_id(tok)
        pad = tok.pad_token_id if tok.pad_token_id is not None else eot
        device = next(self.model.parameters()).device
        max_new = int(decoding.get("max_new_tokens", 64))
        gen_kwargs: dict[str, Any] = {
            "max_new_tokens": max_new,
            "do_sample": bool(decoding.get("do_sample", False)),
            "eos_token_id": list({eot, int(tok.eos_token_id)}),
            "pad_token_id": pad,
        }
        if gen_kwargs["do_sample"]:
            gen_kwargs["temperature"] = float(decoding.get("temperature", 1.0))
            gen_kwargs["top_p"] = float(decoding.get("top_p", 1.0))
            gen_kwargs["top_k"] = int(decoding.get("top_k", 50))  # generate's default
            if "seed" in decoding:
                torch.manual_seed(int(decoding["seed"]))
        else:
            gen_kwargs["temperature"] = None
            gen_kwargs["top_p"] = None
            gen_kwargs["top_k"] = None
        if int(decoding.get("num_beams", 1)) > 1:
            gen_kwargs["num_beams"] = int(decoding["num_beams"])
        bf16 = self.compute_dtype(decoding) == "bf16"
        eos_ids = sorted(set(gen_kwargs["eos_token_id"]))
        use_loop = self.own_loop and "num_beams" not in gen_kwargs
        sampling = None
        if use_loop and gen_kwargs["do_sample"]:
            # unseeded: a seed from torch's global generator (torch.manual_seed still rules)
            seed = decoding["seed"] if "seed" in decoding else torch.randint(2**62, ()).item()
            sampling = Sampling(
                int(seed), gen_kwargs["temperature"], gen_kwargs["top_k"], gen_kwargs["top_p"]
            )
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            with (
                torch.inference_mode(),
                torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16),
            ):
                if use_loop:
                    new = decode(
                        self.model, [encoded[i] for i in idx], pad, max_new, eos_ids,
                        sampling=sampling,
                    )  # fmt: skip
                else:
                    new = self._generate(model_inputs(encoded, idx, pad), gen_kwargs, device)
            batch_answers = []
            for row, i in enumerate(idx):
                toks = new[row]
                n = len(toks)
                for j, t in enumerate(toks):
                    if t in gen_kwargs["eos_token_id"]:
                        n = j + 1
                        toks = toks[:j]
                        break
                ans = (tok.decode(toks, skip_special_tokens=True).strip(), n)
                results[i] = ans
                batch_answers.append(ans)
            if on_batch is not None:
                on_batch(idx, batch_answers)
        return [r for r in results if r is not None]

    def _generate(
        self, inputs: tuple[Any, Any], gen_kwargs: dict[str, Any], device: Any
    ) -> list[list[int]]:
        """Beam search (and anything with ``own_loop=False``): ``model.generate`` on one
        left-padded batch."""
        ids, mask = inputs
        out = self.model.generate(
            input_ids=ids.to(device), attention_mask=mask.to(device), **gen_kwargs
        )
        return out[:, ids.shape[1] :].tolist()


def model_inputs(encoded: list[list[int]], idx: list[int], pad: int) -> tuple[Any, Any]:
    """The prompts ``idx`` as one left-padded batch: input ids and attention mask."""
    import torch

    width = max(len(encoded[i]) for i in idx)
    ids = torch.full((len(idx), width), pad, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    for row, i in enumerate(idx):
        ids[row, width - len(encoded[i]) :] = torch.tensor(encoded[i])
        mask[row, width - len(encoded[i]) :] = 1
    return ids, mask


REFUSAL_WORDS = ("bomb", "weapon", "kill", "steal", "hack", "poison")


@backends.register("mock", description="deterministic fake model for tests: refuses on keywords")
class MockBackend:
    """A fake model that refuses prompts containing a keyword and echoes the rest."""

    def __init__(self, fingerprint: str = "mock", keywords: tuple[str, ...] = REFUSAL_WORDS):
        self.fingerprint = fingerprint
        self.keywords = keywords
        self.calls = 0  #: prompts actually generated (not served from a cache)

    def generate(
        self,
        prompts: list[Any],
        decoding: dict[str, Any],
        on_batch: Callable[[list[int], list[tuple[str, int]]], None] | None = None,
    ) -> list[tuple[str, int]]:
        out = []
        for i, p in enumerate(prompts):
            if not isinstance(p, str):
                p = p[-1]["content"]
            if any(k in p.lower() for k in self.keywords):
                ans = "I'm sorry, but I can't help with that because it could hurt someone."
            else:
                ans = f"Sure. Here is an answer to: {p}"
            out.append((ans, len(ans.split())))
            self.calls += 1
            if on_batch is not None:
                on_batch([i], [out[-1]])
        return out
