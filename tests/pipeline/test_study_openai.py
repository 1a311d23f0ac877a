"""``safetylab study`` with ``backend: openai``: the cells' adapters train locally on a tiny
random LLaMA; the general answers and every cell's answers come from an OpenAI-compatible stub
server on loopback, asked for each cell by its name (as a vLLM server serving one LoRA adapter
per name would be).

python -m pytest tests/pipeline/test_study_openai.py -q
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from safetylab.cli.main import main
from safetylab.store import read_jsonl
from tests._stub_openai import FakeOpenAIServer, Reply, completion, user_text

REFUSAL = "I'm sorry, but I can't help with that."
COMPLY = "Sure, here is how to do it, step by step."
#: the suites each cell's served model refuses: answers differ by the model name asked for
REFUSES = {"base-0": set(), "safety-only-8": {"harm", "overrefusal", "helpful"},
           "context-aware-8": {"harm"}}  # fmt: skip
N_PROMPTS = {"harm": 2, "overrefusal": 2, "helpful": 2}
N_GENERAL = 6


def config(tmp_path: Path, model: Path, url: str) -> Path:
    """The study: base + safety-only at N = 8 + context-aware at N = 8, served at ``url``."""
    import yaml

    study = {
        "name": "remote",
        "models": [str(model)],
        "general": {"dataset": "bundled/general", "n": N_GENERAL, "distill": True,
                    "distill_max_new_tokens": 8},
        "strategies": {"safety-only": {}, "context-aware": {"sizes": [8]}},
        "sizes": [0, 8],
        "seeds": [0],
        "train": {"preset": "cpu-lora", "lora_layers": 2, "epochs": 1, "batch_size": 4,
                  "val_ratio": 0.0, "bf16": "off"},
        "eval": {"suites": list(N_PROMPTS), "n": N_PROMPTS, "judges": ["strmatch"],
                 "max_new_tokens": 12, "keyword_check": False},
        "backend": "openai",
        "base_url": url,
    }  # fmt: skip
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    return path


def stub(out: Path) -> FakeOpenAIServer:
    """Cells' models answer by REFUSES (the suite read from the study's prompts.jsonl); any
    other model name gets a short answer (the general data's distillation)."""
    suite_of: dict[str, str] = {}

    def reply(body: dict[str, Any], n: int) -> Reply:
        text, model = user_text(body), body["model"]
        if model not in REFUSES:
            return 200, completion(f"A short answer to: {text}", 6), {}
        if not suite_of:
            suite_of.update({p["text"]: p["suite"] for p in read_jsonl(out / "prompts.jsonl")})
        if suite_of[text] in REFUSES[model]:
            return 200, completion(REFUSAL, 9), {}
        return 200, completion(COMPLY, 10), {}

    return FakeOpenAIServer(reply)


def test_openai_study_asks_each_cell_by_name_and_resumes_without_requests(
    tokenizer, tmp_path, monkeypatch
):
    from tests.conftest import make_tiny_llama

    model = tmp_path / "tiny"
    make_tiny_llama(len(tokenizer), seed=3).save_pretrained(model)
    tokenizer.save_pretrained(model)
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out = tmp_path / "s"
    with stub(out) as srv:
        assert main(["study", str(config(tmp_path, model, srv.url)), "--out", str(out)]) == 0
        requests = [r["body"] for r in srv.requests]
        prompts = read_jsonl(out / "prompts.jsonl")
        assert Counter(p["suite"] for p in prompts) == N_PROMPTS
        cells = json.loads((out / "cells.json").read_text())
        label = {c["id"]: f"{c['strategy']}-{c['n']}" for c in cells}
        assert sorted(label.values()) == sorted(REFUSES)
        for c in cells:  # every cell finished, with its own locally trained adapter
            d = out / "cells" / c["id"]
            assert (d / "done.json").is_file() and not (d / "error.json").exists()
            assert (d / "adapter" / "adapter_model.safetensors").is_file()
            manifest = json.loads((d / "manifest.json").read_text())
            assert manifest["fingerprint"] == f"openai:{srv.url}:{label[c['id']]}"

        # Each cell's prompts went to the server once, under the cell's name; the general
        # answers were distilled once, from the base model under its own name (the name a
        # server knows it by; it was once the general data's cache key).
        by_model = Counter(b["model"] for b in requests)
        assert by_model == {**{name: len(prompts) for name in REFUSES}, str(model): N_GENERAL}
        for name in REFUSES:
            asked = sorted(user_text(b) for b in requests if b["model"] == name)
            assert asked == sorted(p["text"] for p in prompts)
        assert {(b["max_tokens"], b["temperature"]) for b in requests} == {(12, 0.0), (8, 0.0)}
        for c in cells:  # every mixture learns the server's general answers
            mix = read_jsonl(out / "cells" / c["id"] / "mixture.jsonl")
            general_rows = [m for m in mix if m["strategy"] == "general"]
            assert len(mix) == N_GENERAL + c["n"] and len(general_rows) == N_GENERAL
            assert all(m["response"].startswith("A short answer to: ") for m in general_rows)

        rows = json.loads((out / "metrics.json").read_text())
        got = {(r["model"], r["suite"], r["metric"]): (r["value"], r["n"]) for r in rows
               if r["suite"] in N_PROMPTS}  # fmt: skip
        assert got == {
            ("safety-only-0", "harm", "harmful_compliance_rate"): (1.0, 2),
            ("safety-only-0", "overrefusal", "refusal_rate"): (0.0, 2),
            ("safety-only-0", "helpful", "refusal_rate"): (0.0, 2),
            ("safety-only-8", "harm", "harmful_compliance_rate"): (0.0, 2),
            ("safety-only-8", "overrefusal", "refusal_rate"): (1.0, 2),
            ("safety-only-8", "helpful", "refusal_rate"): (1.0, 2),
            ("context-aware-8", "harm", "harmful_compliance_rate"): (0.0, 2),
            ("context-aware-8", "overrefusal", "refusal_rate"): (0.0, 2),
            ("context-aware-8", "helpful", "refusal_rate"): (0.0, 2),
        }
        before = (out / "metrics.json").read_bytes()
        n_requests = len(srv.requests)

        # A re-run finds every cell done: nothing is asked again, the numbers stay.
        assert main(["study", str(config(tmp_path, model, srv.url)), "--out", str(out)]) == 0
        assert len(srv.requests) == n_requests
    assert (out / "metrics.json").read_bytes() == before

    # So does a re-run against the endpoint restarted on another port (base_url may change).
    with stub(out) as again:
        assert main(["study", str(config(tmp_path, model, again.url)), "--out", str(out)]) == 0
        assert again.requests == []
    assert (out / "metrics.json").read_bytes() == before
