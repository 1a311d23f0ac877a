"""Loading a base model ready to train: LoRA, QLoRA (4-bit base) or full fine-tuning.

from safetylab.train import TrainConfig, load_for_training
lm = load_for_training("smollm2-135m-instruct", TrainConfig(method="full"))
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.models import LoadedModel, fingerprint, load_tokenizer, resolve_model_path
from safetylab.train._config import TrainConfig
from safetylab.train._lora import apply_lora


def pick_device(device: str = "auto") -> str:
    """``auto``: this process's GPU when there is one (LOCAL_RANK under accelerate), else CPU."""
    import torch

    if device != "auto":
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise SafetylabError(f"--device {device}: no CUDA GPU is available here")
        return device
    if torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return "cpu"


def prepare_model(model: Any, cfg: TrainConfig) -> Any:
    """Make the right weights trainable: LoRA adapters (lora, qlora) or every weight (full)."""
    if cfg.method == "full":
        for p in model.parameters():
            p.requires_grad_(True)
        return model
    return apply_lora(model, cfg)


def _load_4bit(path: Any, device: str, cfg: TrainConfig) -> Any:
    import torch

    if not device.startswith("cuda"):
        raise SafetylabError(
            "method: qlora needs a CUDA GPU (4-bit bitsandbytes kernels); use method: lora here"
        )
    if importlib.util.find_spec("bitsandbytes") is None:
        raise SafetylabError("method: qlora needs bitsandbytes: pip install bitsandbytes")
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    quant = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
    model = AutoModelForCausalLM.from_pretrained(
        str(path), quantization_config=quant, device_map={"": device}, use_safetensors=True
    )
    return prepare_model_for_kbit_training(
        model, use_gradient_checkpointing=cfg.gradient_checkpointing
    )


def load_for_training(name: str, cfg: TrainConfig, *, device: str = "auto") -> LoadedModel:
    """Base model by bundled name, local folder or hub id, with trainable weights per ``cfg``."""
    dev = pick_device(device)
    if cfg.method == "qlora":
        path = resolve_model_path(name)
        tok = load_tokenizer(path)
        model = _load_4bit(path, dev, cfg)
        fp = fingerprint(path, tok)
    else:
        from safetylab.models import load_base

        lm = load_base(name)
        model, tok, fp, path = lm.model.to(dev), lm.tokenizer, lm.fingerprint, Path(lm.path)
    model = prepare_model(model, cfg)
    return LoadedModel(model=model, tokenizer=tok, fingerprint=fp, path=str(path))
