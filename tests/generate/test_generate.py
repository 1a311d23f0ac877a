"""Generation: batched equals one-at-a-time, cache, and resume after an interruption."""

import pytest

from safetylab.generate import HFBackend, MockBackend, generate_for
from safetylab.generate._stage import cache_decoding
from safetylab.records import Prompt
from safetylab.store import GenerationCache, JsonlLog

PROMPTS = [
    Prompt(t, "s", "safe")
    for t in [
        "Hi",
        "Tell me about the sea in a few words please",
        "Count to three",
        "Why is the sky blue?",
        "Write a very short poem about autumn leaves falling",
        "Name a fruit",
    ]
]


def test_batched_greedy_equals_one_at_a_time(tiny_model, tokenizer):
    """In fp32 (under bf16 autocast a batch's shape changes the rounding, and answers may
    depend on their batch: README)."""
    be = HFBackend(tiny_model, tokenizer, "fp", batch_size=6)
    dec = {"max_new_tokens": 6, "do_sample": False, "dtype": "fp32"}
    texts = [p.text for p in PROMPTS]
    batched = be.generate(texts, dec)
    single = [
        HFBackend(tiny_model, tokenizer, "fp", batch_size=1).generate([t], dec)[0] for t in texts
    ]
    assert batched == single
    assert all(n == 6 for _, n in batched)  # random weights never emit end-of-turn this early


def test_cache_key_ignores_settings_that_do_not_change_output():
    assert cache_decoding({"max_new_tokens": 8, "bf16": "off", "batch_size": 4}) == {
        "max_new_tokens": 8
    }
    assert cache_decoding({"do_sample": True, "temperature": 0.7}) is None
    assert cache_decoding({"do_sample": True, "seed": 1}) == {"do_sample": True, "seed": 1}
    assert cache_decoding({"max_new_tokens": 8, "dtype": "bf16"}) == {
        "max_new_tokens": 8,
        "dtype": "bf16",
    }  # the compute dtype changes answers (tests/test_dtype.py)


def test_cache_serves_repeat_prompts(tmp_path):
    cache = GenerationCache(tmp_path / "c.sqlite")
    be = MockBackend()
    dec = {"max_new_tokens": 8}
    first = generate_for(be, "m", PROMPTS, dec, JsonlLog(tmp_path / "a.jsonl"), cache)
    assert be.calls == 6
    second = generate_for(be, "m", PROMPTS, dec, JsonlLog(tmp_path / "b.jsonl"), cache)
    assert be.calls == 6  # all six served from the cache
    assert [g.text for g in first] == [g.text for g in second]


class Crash(Exception):
    pass


class FlakyBackend(MockBackend):
    """Dies after ``fail_after`` prompts, like a Ctrl-C midway through generation."""

    def __init__(self, fail_after: int):
        super().__init__()
        self.fail_after = fail_after

    def generate(self, prompts, decoding, on_batch=None):
        out = []
        for i, p in enumerate(prompts):
            if self.calls >= self.fail_after:
                raise Crash()
            ans = super().generate([p], decoding)[0]
            out.append(ans)
            if on_batch:
                on_batch([i], [ans])
        return out


def test_interrupted_generation_resumes_without_loss_or_duplicates(tmp_path):
    log_path = tmp_path / "g.jsonl"
    dec = {"max_new_tokens": 8}
    be = FlakyBackend(fail_after=4)
    with pytest.raises(Crash):
        generate_for(be, "m", PROMPTS, dec, JsonlLog(log_path))
    assert len(log_path.read_text().splitlines()) == 4
    be2 = MockBackend()
    gens = generate_for(be2, "m", PROMPTS, dec, JsonlLog(log_path))
    assert be2.calls == 2  # only the two missing prompts are generated
    lines = log_path.read_text().splitlines()
    assert len(lines) == 6 and len(set(lines)) == 6
    assert [g.prompt_id for g in gens] == [p.id for p in PROMPTS]


def _varied_tiny_llama(tokenizer):
    """Tiny LLaMA with large random weights: varied tokens (default init repeats one)."""
    import torch

    from tests.conftest import make_tiny_llama

    model = make_tiny_llama(len(tokenizer))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for w in model.parameters():
            if w.dim() > 1:
                w.copy_(torch.randn(w.shape, generator=gen) * 0.3)
    return model


def _generate_ref(model, prompts, pad, max_new, stops):
    """model.generate on one left-padded batch, cut after each row's end token."""
    import torch

    width = max(map(len, prompts))
    ids = torch.full((len(prompts), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for r, seq in enumerate(prompts):
        ids[r, width - len(seq) :] = torch.tensor(seq)
        mask[r, width - len(seq) :] = 1
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=max_new,
            do_sample=False,
            eos_token_id=stops or None,
            pad_token_id=pad,
        )[:, width:].tolist()
    return [r[: next((j + 1 for j, t in enumerate(r) if t in stops), len(r))] for r in out]


@pytest.mark.parametrize("fast", [True, False])
def test_greedy_loop_drops_finished_rows_and_matches_generate(tokenizer, fast):
    """Rows that end early leave the batch; every row's tokens equal model.generate's."""
    import torch

    from safetylab.chat import prompt_ids
    from safetylab.generate._decode import decode

    model = _varied_tiny_llama(tokenizer)
    enc = [prompt_ids(tokenizer, p.text) for p in PROMPTS]
    pad = tokenizer.pad_token_id
    with torch.inference_mode():
        free = decode(model, enc, pad, 10, [], fast=fast)
        # end tokens: the 3rd token of row 0 and the 6th of row 1: rows stop at different steps
        stops = sorted({free[0][2], free[1][5]})
        seen: list[int] = []  # rows entering the decoder, per decoding step
        hook = model.model.embed_tokens.register_forward_hook(
            lambda mod, args, out: seen.append(args[0].shape[0]) if args[0].shape[1] == 1 else None
        )
        ours = decode(model, enc, pad, 10, stops, fast=fast)
        hook.remove()
    assert ours == _generate_ref(model, enc, pad, 10, stops)
    assert seen[0] == len(enc) and seen[-1] < len(enc)  # the batch shrank
    lengths = [len(r) for r in ours]
    assert lengths[0] <= 3 and lengths[1] <= 6  # ended early
    assert len(set(lengths)) > 1  # rows really left the batch at different steps
    assert all(n == 10 or ours[r][-1] in stops for r, n in enumerate(lengths))


def test_prefill_groups_minimise_padding_plus_call_cost():
    from safetylab.generate._decode import prefill_groups

    lengths = [2, 10, 2, 2, 10, 2]
    assert prefill_groups(lengths, call_cost=4) == [[1, 4], [0, 2, 3, 5]]  # 24 + 12 < 64
    assert prefill_groups(lengths, call_cost=100) == [[1, 4, 0, 2, 3, 5]]  # one call: 160
    assert prefill_groups([5], call_cost=4) == [[0]]


def test_shared_prefix_runs_once_and_groups_skip_padding(tokenizer):
    """The common prefix is prefilled once and short prompts are not padded to the longest;
    the answers are still model.generate's, token for token."""
    import torch

    from safetylab.generate._decode import decode, prefill_groups, shared_prefix

    model = _varied_tiny_llama(tokenizer)
    words = tokenizer("a shared system turn that every prompt starts with")["input_ids"]
    tails = [[7, 8, 9] * 6, [11, 12], [13, 14, 15], [16], [17, 18] * 5, [19, 20]]
    enc = [words + t for t in tails]
    pad = tokenizer.pad_token_id
    seen: list[int] = []  # tokens entering the decoder, per forward call
    hook = model.model.embed_tokens.register_forward_hook(
        lambda mod, args, out: seen.append(args[0].numel())
    )
    with torch.inference_mode():
        ours = decode(model, enc, pad, 5, [])
    hook.remove()
    assert ours == _generate_ref(model, enc, pad, 5, [])
    assert ours == [_generate_ref(model, [e], pad, 5, [])[0] for e in enc]
    p = shared_prefix(enc)
    assert p == len(words)
    groups = prefill_groups([len(t) for t in tails])
    assert len(groups) > 1
    prefill = [p] + [len(g) * max(len(tails[i]) for i in g) for g in groups]
    assert seen == prefill + [len(enc)] * 4  # then one token per row per step
    assert sum(prefill) < len(enc) * max(map(len, enc))  # less than one padded batch


@pytest.mark.parametrize("arch", ["gpt2", "qwen2", "gemma2"])
def test_greedy_loop_matches_generate_on_other_architectures(arch):
    """Absolute positions (GPT-2), Qwen2, and sliding-window layers (Gemma 2: plain path)."""
    import torch
    import transformers as T

    from safetylab.generate._decode import decode, full_attention

    small = {"vocab_size": 300, "num_attention_heads": 4}
    cfg = {
        "gpt2": lambda: T.GPT2Config(n_embd=32, n_layer=2, n_positions=128, **small),
        "qwen2": lambda: T.Qwen2Config(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_key_value_heads=2,
            **small,
        ),
        "gemma2": lambda: T.Gemma2Config(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_key_value_heads=2,
            head_dim=8,
            sliding_window=4,
            **small,
        ),
    }[arch]()
    torch.manual_seed(0)
    model = T.AutoModelForCausalLM.from_config(cfg).eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for w in model.parameters():
            if w.dim() > 1:
                w.copy_(torch.randn(w.shape, generator=gen) * 0.3)
    assert full_attention(model.config) == (arch != "gemma2")
    prompts = [[5, 6, 7, 8, 9, 10] + t for t in ([11, 12, 13, 14, 15], [16], [17, 18] * 4)]
    with torch.inference_mode():
        ours = decode(model, prompts, 0, 8, [])
    assert ours == _generate_ref(model, prompts, 0, 8, [])
    assert ours == [_generate_ref(model, [p], 0, 8, [])[0] for p in prompts]


def test_greedy_loop_with_lora_adapter_matches_peft_generate(tokenizer):
    """Adapters stay unmerged: the loop runs the PEFT-injected layers, switched on or off."""
    import torch
    from peft import LoraConfig, get_peft_model

    from safetylab.chat import prompt_ids
    from safetylab.generate._decode import decode

    base = _varied_tiny_llama(tokenizer)
    plain = [prompt_ids(tokenizer, p.text) for p in PROMPTS]
    pad = tokenizer.pad_token_id
    with torch.inference_mode():
        before = decode(base, plain, pad, 6, [])
    model = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():  # LoRA B starts at zero (a no-op adapter); make it change the answers
        for name, w in model.named_parameters():
            if "lora_B" in name:
                w.copy_(torch.randn(w.shape, generator=gen))
    with torch.inference_mode():
        on = decode(model, plain, pad, 6, [])
        with model.disable_adapter():
            off = decode(model, plain, pad, 6, [])
    assert on == _generate_ref(model, plain, pad, 6, [])
    assert off == before and on != before


def test_cache_room_grows_when_answers_outrun_it(tokenizer, monkeypatch):
    """The cache starts with room for ROOM answer tokens and doubles it when needed."""
    import torch

    from safetylab.chat import prompt_ids
    from safetylab.generate import _decode

    model = _varied_tiny_llama(tokenizer)
    enc = [prompt_ids(tokenizer, p.text) for p in PROMPTS]
    pad = tokenizer.pad_token_id
    monkeypatch.setattr(_decode, "ROOM", 1)  # room for 1 answer token: must grow for the 2nd
    with torch.inference_mode():
        ours = _decode.decode(model, enc, pad, 12, [])
    assert ours == _generate_ref(model, enc, pad, 12, [])
    assert all(len(r) == 12 for r in ours)


def test_generate_path_sampling_beams_and_greedy(tokenizer, fast_bf16):
    """own_loop=False and beam search go through model.generate: seeded sampling repeats
    itself, and model.generate's greedy answers equal our loop's. In fp32 only, even on a CPU
    with fast bf16: under bf16 autocast the two loops' different padding and caching round
    differently and some argmaxes flip."""
    model = _varied_tiny_llama(tokenizer)
    texts = [p.text for p in PROMPTS]
    be = HFBackend(model, tokenizer, "fp", batch_size=4)
    dec = {"max_new_tokens": 6, "dtype": "fp32"}
    ours = be.generate(texts, dec)
    plain = HFBackend(model, tokenizer, "fp", batch_size=4, own_loop=False)
    assert plain.generate(texts, dec) == ours
    sample = {**dec, "do_sample": True, "temperature": 1.5, "seed": 7}
    first = plain.generate(texts, sample)
    assert plain.generate(texts, sample) == first
    assert plain.generate(texts, {**sample, "seed": 8}) != first
    beams = be.generate(texts, {**dec, "num_beams": 2})
    assert len(beams) == len(texts) and all(0 < n <= 6 for _, n in beams)


def test_seeded_sampling_depends_on_the_prompt_alone(tokenizer, fast_bf16):
    """A seeded prompt samples the same answer in any batch size and order (model.generate
    would not: its draws are shared by the batch) in fp32, also on a CPU with fast bf16; under
    bf16 autocast a batch's shape changes the rounding, so that holds in fp32 only (README).
    Another seed changes answers; top_k=1 and a tiny top_p give the greedy answer of the same
    compute dtype: fp32, and dtype auto (bf16 on a fast-bf16 CPU) for greedy and sampled runs
    alike (comparing an auto greedy run with an fp32 sampled one failed on AMX machines)."""
    model = _varied_tiny_llama(tokenizer)
    texts = [p.text for p in PROMPTS]
    dec = {"max_new_tokens": 8, "do_sample": True, "temperature": 1.3, "seed": 3, "dtype": "fp32"}
    batched = HFBackend(model, tokenizer, "fp", batch_size=6).generate(texts, dec)
    alone = [HFBackend(model, tokenizer, "fp", batch_size=1).generate([t], dec)[0] for t in texts]
    assert batched == alone
    backwards = HFBackend(model, tokenizer, "fp", batch_size=4).generate(texts[::-1], dec)
    assert backwards[::-1] == batched
    other = HFBackend(model, tokenizer, "fp", batch_size=6).generate(texts, {**dec, "seed": 4})
    assert sum(a != b for a, b in zip(other, batched, strict=True)) >= 4
    be = HFBackend(model, tokenizer, "fp")
    for dtype in ("fp32", "auto") if fast_bf16 else ("fp32",):
        sampled = {**dec, "dtype": dtype}
        greedy = be.generate(texts, {"max_new_tokens": 8, "dtype": dtype})
        assert len({a for a, _ in greedy}) > 1 and be.generate(texts, sampled) != greedy
        assert be.generate(texts, {**sampled, "top_k": 1}) == greedy
        assert be.generate(texts, {**sampled, "top_k": 0, "top_p": 1e-6}) == greedy


def test_sampled_rows_that_end_early_leave_without_moving_other_rows_draws(tokenizer):
    """Every row's answer with end tokens equals its answer without them, cut at the first
    end token: rows leaving the batch do not change which draws the others get."""
    import torch

    from safetylab.chat import prompt_ids
    from safetylab.generate._decode import Sampling, decode

    model = _varied_tiny_llama(tokenizer)
    enc = [prompt_ids(tokenizer, p.text) for p in PROMPTS]
    pad = tokenizer.pad_token_id
    how = Sampling(seed=11, temperature=1.2)
    with torch.inference_mode():
        free = decode(model, enc, pad, 10, [], sampling=how)
        # end tokens that end rows at different steps
        stops = sorted({free[0][2], free[3][5], free[5][7]})
        ours = decode(model, enc, pad, 10, stops, sampling=how)
    cut = [r[: next((j + 1 for j, t in enumerate(r) if t in stops), len(r))] for r in free]
    assert ours == cut
    assert len({len(r) for r in ours}) >= 2  # rows really ended at different steps


def test_sampling_draws_follow_the_warped_distribution():
    """pick() draws from softmax(logits / temperature) after top-k and top-p (counted)."""
    import torch

    from safetylab.generate._decode import Sampling

    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, -8.0]]).repeat(4000, 1)
    gens = [torch.Generator().manual_seed(i) for i in range(4000)]
    how = Sampling(seed=0, temperature=2.0, top_k=4)
    counts = torch.bincount(how.pick(logits, gens), minlength=5).tolist()
    expected = torch.softmax(torch.tensor([2.0, 1.0, 0.0, -1.0]) / 2.0, -1) * 4000
    assert counts[4] == 0  # outside the top 4
    assert all(abs(c - e) < 120 for c, e in zip(counts[:4], expected.tolist(), strict=True))
    top_p = Sampling(seed=0, top_k=0, top_p=0.7).pick(logits, gens)
    assert set(top_p.tolist()) == {0, 1}  # p = 0.64, 0.24: the smallest set reaching 0.7


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"temperature": 0.0}, "temperature must be > 0"),
        ({"top_p": 0.0}, "top_p must be in (0, 1]"),
        ({"top_k": -1}, "top_k must be >= 0"),
    ],
)
def test_bad_sampling_settings_get_one_line_errors(tiny_model, tokenizer, settings, message):
    from safetylab.errors import SafetylabError

    be = HFBackend(tiny_model, tokenizer, "fp")
    with pytest.raises(SafetylabError, match=message.replace("(", r"\(").replace("]", r"\]")):
        be.generate(["Hi"], {"max_new_tokens": 2, "do_sample": True, "seed": 1, **settings})


def test_unseeded_sampling_follows_torch_manual_seed(tokenizer, fast_bf16):
    """Without a seed in the decoding settings the run's seed comes from torch's generator."""
    import torch

    model = _varied_tiny_llama(tokenizer)
    be = HFBackend(model, tokenizer, "fp")
    texts = [p.text for p in PROMPTS]
    dec = {"max_new_tokens": 6, "do_sample": True, "temperature": 1.5}
    torch.manual_seed(5)
    first = be.generate(texts, dec)
    second = be.generate(texts, dec)
    torch.manual_seed(5)
    assert be.generate(texts, dec) == first and second != first
