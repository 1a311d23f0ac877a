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
    be = HFBackend(tiny_model, tokenizer, "fp", batch_size=6)
    dec = {"max_new_tokens": 6, "do_sample": False, "bf16": "off"}
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


def test_greedy_loop_drops_finished_rows_and_matches_generate(tokenizer):
    """Rows that end early leave the batch; every row's tokens equal model.generate's."""
    import torch

    from safetylab.chat import prompt_ids
    from safetylab.generate._backends import greedy_decode
    from tests.conftest import make_tiny_llama

    model = make_tiny_llama(len(tokenizer))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # large random weights: varied tokens (default init repeats one)
        for w in model.parameters():
            if w.dim() > 1:
                w.copy_(torch.randn(w.shape, generator=gen) * 0.3)
    enc = [prompt_ids(tokenizer, p.text) for p in PROMPTS]
    width = max(map(len, enc))
    pad = tokenizer.pad_token_id
    ids = torch.full((len(enc), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for r, seq in enumerate(enc):
        ids[r, width - len(seq) :] = torch.tensor(seq)
        mask[r, width - len(seq) :] = 1
    free = greedy_decode(model, ids, mask, 10, [])
    # end tokens: the 3rd token of row 0 and the 6th of row 1, so rows stop at different steps
    stops = sorted({free[0][2], free[1][5]})
    ours = greedy_decode(model, ids, mask, 10, stops)
    with torch.inference_mode():
        ref = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=10,
            do_sample=False,
            eos_token_id=stops,
            pad_token_id=pad,
        )[:, width:].tolist()
    lengths = []
    for mine, theirs in zip(ours, ref, strict=True):
        cut = next((j + 1 for j, t in enumerate(theirs) if t in stops), len(theirs))
        assert mine == theirs[:cut]
        lengths.append(len(mine))
    assert lengths[0] <= 3 and lengths[1] <= 6  # ended early
    assert len(set(lengths)) > 1  # rows really left the batch at different steps
    assert all(n == 10 or ours[r][-1] in stops for r, n in enumerate(lengths))
