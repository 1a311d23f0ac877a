"""The compute dtype: it changes greedy answers, so it is part of generation ids, cache keys and
the manifest, a user can force it (`--dtype`), and `auto` follows the hardware switch.

On CPUs with AMX (or AVX512-BF16) dtype auto runs generation under bf16 autocast; elsewhere in
fp32. $SAFETYLAB_FAST_BF16 forces that decision, so these tests run both ways on any CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from safetylab.cli.main import main
from safetylab.errors import SafetylabError
from safetylab.evals._suites import get_suite
from safetylab.generate import HFBackend, MockBackend, generate_for
from safetylab.generate._stage import cache_decoding, resolved_dtype, with_dtype
from safetylab.records import Prompt
from safetylab.store import GenerationCache, JsonlLog, read_jsonl
from tests.evals.test_drift import save_adapter
from tests.generate.test_generate import _varied_tiny_llama

PROMPTS = [
    Prompt(t, "s", "safe")
    for t in ["Hi", "Name a fruit", "Why is the sky blue?", "Count to three", "Tell me a joke"]
]
N = 4  # helpful prompts in the eval runs
TOKENS = 6


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tokenizer) -> dict[str, Path]:
    """A tiny LLaMA whose greedy answers are varied text, and a LoRA adapter for it."""
    root = tmp_path_factory.mktemp("dtype")
    base = root / "base"
    _varied_tiny_llama(tokenizer).save_pretrained(base)
    tokenizer.save_pretrained(base)
    return {"base": base, "adapter": save_adapter(root / "adapter", base, seed=3)}


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


class CountingHF(HFBackend):
    """The hf backend, counting the prompts it really generated (not served from a cache)."""

    calls = 0

    def generate(self, prompts, decoding, on_batch=None):
        self.calls += len(prompts)
        return super().generate(prompts, decoding, on_batch)


def test_auto_follows_the_hardware_and_a_forced_dtype_wins(tiny_model, tokenizer, fast_bf16):
    import torch

    be = HFBackend(tiny_model, tokenizer, "fp")
    auto = "bf16" if fast_bf16 else "fp32"
    dec = {"max_new_tokens": 4, "do_sample": False}
    assert with_dtype(be, dec) == {**dec, "dtype": auto}
    assert with_dtype(be, {**dec, "dtype": "auto"}) == {**dec, "dtype": auto}
    assert with_dtype(be, {**dec, "dtype": "fp32"}) == {**dec, "dtype": "fp32"}
    assert with_dtype(be, {**dec, "dtype": "bf16"}) == {**dec, "dtype": "bf16"}
    # the older bf16 switch is read, and replaced by the dtype it gives
    assert with_dtype(be, {**dec, "bf16": "off"}) == {**dec, "dtype": "fp32"}
    assert with_dtype(be, {**dec, "bf16": "on"}) == {**dec, "dtype": "bf16"}
    # the backend's own dtype is the default; the settings' dtype, when not auto, wins
    forced = HFBackend(tiny_model, tokenizer, "fp", dtype="fp32")
    assert resolved_dtype(forced, dec) == "fp32"
    assert resolved_dtype(forced, {**dec, "dtype": "bf16"}) == "bf16"
    # weights in bf16 compute in bf16 whatever autocast does; fp32 cannot be promised then
    half = HFBackend(tiny_model.to(dtype=torch.bfloat16), tokenizer, "fp")
    assert resolved_dtype(half, dec) == "bf16"
    with pytest.raises(SafetylabError, match="dtype fp32: the model computes in bf16"):
        with_dtype(half, {**dec, "dtype": "fp32"})
    # a backend that does not say (mock, remote servers) keeps its settings, and refuses a dtype
    assert with_dtype(MockBackend(), dec) == dec and resolved_dtype(MockBackend(), dec) is None
    with pytest.raises(SafetylabError, match="MockBackend backend decides its own compute"):
        with_dtype(MockBackend(), {**dec, "dtype": "fp32"})


def test_bad_dtypes_and_switch_values_are_one_line_errors(tiny_model, tokenizer, monkeypatch):
    with pytest.raises(
        SafetylabError, match=r"dtype: must be one of auto, fp32, bf16 \(got 'fp16'\)"
    ):
        HFBackend(tiny_model, tokenizer, "fp", dtype="fp16")
    with pytest.raises(SafetylabError, match="must be one of auto, fp32, bf16"):
        with_dtype(HFBackend(tiny_model, tokenizer, "fp"), {"dtype": "half"})
    monkeypatch.setenv("SAFETYLAB_FAST_BF16", "yes")
    with pytest.raises(SafetylabError, match=r"\$SAFETYLAB_FAST_BF16='yes': must be 0 or 1"):
        with_dtype(HFBackend(tiny_model, tokenizer, "fp"), {})


def test_cache_key_and_generation_ids_carry_the_dtype(tiny_model, tokenizer, tmp_path, fast_bf16):
    """fp32 answers are never served for bf16 (or auto on a fast-bf16 CPU), nor the reverse;
    the same dtype is served from the cache, however it was asked for."""
    dec = {"max_new_tokens": 4, "do_sample": False}
    key = {dt: GenerationCache.key("fp", "Hi", cache_decoding({**dec, "dtype": dt})) for dt in
           ("fp32", "bf16")}  # fmt: skip
    assert key["fp32"] != key["bf16"]
    assert key["fp32"] == GenerationCache.key("fp", "Hi", cache_decoding({**dec, "dtype": "fp32"}))

    cache = GenerationCache(tmp_path / "c.sqlite")
    keys = {dt: [GenerationCache.key("fp", p.payload(), {**dec, "dtype": dt}) for p in PROMPTS]
            for dt in ("fp32", "bf16")}  # fmt: skip
    be = CountingHF(tiny_model, tokenizer, "fp")
    fp32 = generate_for(be, "m", PROMPTS, {**dec, "dtype": "fp32"}, JsonlLog(tmp_path / "a"), cache)
    assert be.calls == 5 and all(g.decoding == {**dec, "dtype": "fp32"} for g in fp32)
    assert set(cache.get_many(keys["fp32"] + keys["bf16"])) == set(keys["fp32"])
    bf16 = generate_for(be, "m", PROMPTS, {**dec, "dtype": "bf16"}, JsonlLog(tmp_path / "b"), cache)
    assert be.calls == 10  # not served from the fp32 answers
    assert set(cache.get_many(keys["fp32"] + keys["bf16"])) == set(keys["fp32"] + keys["bf16"])
    assert not {g.id for g in fp32} & {g.id for g in bf16}  # other generations in a run dir
    auto = generate_for(be, "m", PROMPTS, dec, JsonlLog(tmp_path / "c"), cache)
    assert be.calls == 10  # auto is fp32 or bf16, both cached by now
    assert auto == (bf16 if fast_bf16 else fp32)
    cache.close()


def _eval(out: Path, model: Path, *args: str) -> int:
    return main(["eval", "--model", str(model), "--suites", "helpful", "--n", str(N),
                 "--max-new-tokens", str(TOKENS), "--judges", "strmatch", "--no-drift",
                 "--out", str(out), *args])  # fmt: skip


def test_eval_dtype_fp32_on_a_fast_bf16_cpu_gives_the_fp32_answers(
    tiny, tokenizer, cache, tmp_path, monkeypatch
):
    from safetylab.models import load_base

    monkeypatch.setenv("SAFETYLAB_FAST_BF16", "1")  # as on a CPU with AMX
    texts = [p.text for p in get_suite("helpful").prompts(N)]
    lm = load_base(str(tiny["base"]))
    want = {dt: HFBackend(lm.model, lm.tokenizer, "x", dtype=dt).generate(texts, {"max_new_tokens": TOKENS})
            for dt in ("fp32", "bf16")}  # fmt: skip
    assert want["fp32"] != want["bf16"]  # the dtype really changes these answers

    def answers(out: Path) -> list[str]:
        order = {p.id: i for i, p in enumerate(get_suite("helpful").prompts(N))}
        rows = sorted(read_jsonl(out / "generations.jsonl"), key=lambda r: order[r["prompt_id"]])
        return [(r["text"], r["n_tokens"]) for r in rows]

    forced = tmp_path / "fp32"
    assert _eval(forced, tiny["base"], "--dtype", "fp32") == 0
    assert answers(forced) == want["fp32"]
    assert json.loads((forced / "manifest.json").read_text())["dtype"] == "fp32"
    assert yaml.safe_load((forced / "config.resolved.yaml").read_text())["dtype"] == "fp32"
    assert {r["decoding"]["dtype"] for r in read_jsonl(forced / "generations.jsonl")} == {"fp32"}

    auto = tmp_path / "auto"  # the same cache: the fp32 answers are not served here
    assert _eval(auto, tiny["base"]) == 0
    assert answers(auto) == want["bf16"]
    assert json.loads((auto / "manifest.json").read_text())["dtype"] == "bf16"
    assert "dtype" not in yaml.safe_load((auto / "config.resolved.yaml").read_text())
    # forcing a dtype into a run dir made with auto is another run
    assert _eval(auto, tiny["base"], "--dtype", "fp32") == 2


def test_dtype_options_are_checked_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["eval", "--backend", "mock", "--dtype", "fp32", "--out", str(out)]) == 2
    assert "--dtype is for --backend hf (got --backend mock)" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(SystemExit):
        main(["eval", "--dtype", "fp16", "--out", str(out)])  # argparse: not a choice
    from safetylab.config import load_config

    cfg = tmp_path / "c.yaml"
    cfg.write_text("dtype: half\n")
    with pytest.raises(SafetylabError, match=rf"{cfg}: dtype: must be one of auto, fp32, bf16"):
        load_config(cfg)
    cfg.write_text("dtype: fp32\n")
    assert load_config(cfg).to_dict()["dtype"] == "fp32"
    cfg.write_text("grid: [0]\n")
    assert "dtype" not in load_config(cfg).to_dict()  # auto: older demo dirs stay resumable


def test_merged_and_unmerged_adapters_answer_alike_in_fp32(tiny, tokenizer, cache, tmp_path):
    """`merge`'s output and the unmerged adapter give the same greedy answers in fp32 (under
    bf16 autocast they may not: 6 of 12 matched on an AMX machine; the dtype is in the cache
    key and the manifest, and --dtype fp32 forces it)."""
    from safetylab.models import load_base
    from safetylab.train._merge import merge_adapter

    merge_adapter(str(tiny["base"]), tiny["adapter"], tmp_path / "merged")
    merged = load_base(str(tmp_path / "merged"))
    unmerged = load_base(str(tiny["base"]), adapter=tiny["adapter"])
    base = load_base(str(tiny["base"]))
    texts = [p.text for p in PROMPTS]
    dec = {"max_new_tokens": 8, "dtype": "fp32"}
    got = {k: HFBackend(m.model, m.tokenizer, k).generate(texts, dec)
           for k, m in (("merged", merged), ("unmerged", unmerged), ("base", base))}  # fmt: skip
    assert got["merged"] == got["unmerged"]
    assert got["merged"] != got["base"]  # the adapter really changes the answers
