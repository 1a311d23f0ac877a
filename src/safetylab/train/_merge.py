"""Merging a LoRA adapter into its base model: one plain safetensors model folder.

safetylab merge --model smollm2-135m-instruct --adapter runs/adapter --out runs/merged
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError


def merge_adapter(
    model: str, adapter: str | Path, out: str | Path, *, force: bool = False
) -> dict[str, Any]:
    """Write base + adapter, merged, to ``out`` (safetensors + tokenizer); returns its info.

    Refuses an adapter whose ``train_state.json`` names another base model fingerprint
    unless ``force``.
    """
    from safetylab.models import adapter_hash, fingerprint, load_base, resolve_model_path
    from safetylab.store import write_json

    a = Path(adapter)
    if not (a / "adapter_config.json").is_file():
        raise SafetylabError(
            f"--adapter {a}: no adapter_config.json there (a full fine-tune is already a model)"
        )
    o = Path(out)
    if o.exists() and any(o.iterdir()):
        raise SafetylabError(f"--out {o}: folder exists and is not empty")
    lm = load_base(model)
    base_fp = lm.fingerprint
    state_file = a / "train_state.json"
    if state_file.is_file():
        trained_on = json.loads(state_file.read_text()).get("base_fingerprint")
        if trained_on and trained_on != base_fp and not force:
            raise SafetylabError(
                f"--adapter {a} was trained on base {trained_on}, --model {model} is "
                f"{base_fp}; pass --force to merge anyway"
            )
    from peft import PeftModel

    peft_model = PeftModel.from_pretrained(lm.model, str(a))
    merged = peft_model.merge_and_unload()
    o.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(o), safe_serialization=True)
    lm.tokenizer.save_pretrained(str(o))
    info = {
        "base_model": model,
        "base_fingerprint": base_fp,
        "adapter": str(a),
        "adapter_sha256": adapter_hash(a),
        "merged_fingerprint": fingerprint(resolve_model_path(str(o)), lm.tokenizer),
    }
    write_json(o / "merge_info.json", info)
    return info
