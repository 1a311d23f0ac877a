"""User files (formats, column mapping, malformed rows), mixture strategies and variants,
dedup on planted near-duplicates, contamination removal, determinism and the data card."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from safetylab.cli.main import main
from safetylab.config import PRESETS_DIR
from safetylab.data import (
    Columns,
    EvalItem,
    build_mixtures,
    contamination,
    dedup,
    load_dataset,
    load_mix_config,
    load_user_file,
    parse_mix_config,
)
from safetylab.data._styles import (
    _REASONED_TAIL,
    as_instruction,
    as_question,
    restyle_refusal,
    sentences,
    states_reason,
)
from safetylab.errors import SafetylabError
from safetylab.records import Example, Prompt
from tests.conftest import SHARED_DATA

ALPACA = [
    {
        "instruction": f"Name {i} kinds of fruit for a {w} salad.",
        "input": "",
        "output": f"Answer {i}.",
    }
    for i, w in enumerate(["summer", "winter", "spring", "autumn", "picnic", "party"])
]


def _jsonl(path: Path, rows: list, bad_line: str | None = None, at: int = 0) -> Path:
    lines = [json.dumps(r) for r in rows]
    if bad_line is not None:
        lines.insert(at, bad_line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- user files


def test_jsonl_alpaca_rows_and_a_bad_line(tmp_path):
    rows = [dict(r) for r in ALPACA]
    rows[1]["input"] = "Use only red fruit."
    p = _jsonl(tmp_path / "a.jsonl", rows, bad_line="{not json", at=2)
    with pytest.raises(SafetylabError) as e:
        load_user_file(p)
    assert str(e.value) == (
        f"{p}:3: not valid JSON (Expecting property name enclosed in double quotes) "
        "(or pass --skip-bad-rows)"
    )
    data = load_user_file(p, skip_bad_rows=True)
    assert (data.n_rows, data.n_bad, len(data.records)) == (7, 1, 6)
    assert data.bad == [
        f"{p}:3: not valid JSON (Expecting property name enclosed in double quotes)"
    ]
    ex = data.records[1]
    assert isinstance(ex, Example)
    assert ex.prompt == "Name 1 kinds of fruit for a winter salad.\n\nUse only red fruit."
    assert (ex.response, ex.label, ex.source) == ("Answer 1.", "safe", "file:a.jsonl")
    assert data.columns == {"instruction": "instruction", "input": "input", "output": "output"}


def test_csv_lines_count_the_header_and_multiline_fields(tmp_path):
    p = tmp_path / "q.csv"
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["question", "answer", "safety"])
        w.writerow(["Line one\nand line two?", "Yes.", "safe"])  # lines 2-3
        w.writerow(["How do I hurt someone?", "I can't help with that.", "harmful"])  # line 4
        f.write("only two,fields\n")  # line 5
        w.writerow(["Is this fine?", "Yes.", "maybe"])  # line 6
    cols = Columns(instruction="question", output="answer", label="safety")
    with pytest.raises(SafetylabError, match=r"q\.csv:5: expected 3 fields, got 2"):
        load_user_file(p, cols)
    data = load_user_file(p, cols, skip_bad_rows=True)
    assert data.n_bad == 2
    assert data.bad[1].startswith(f"{p}:6: label 'maybe' in field 'safety' is not safe/unsafe")
    assert [e.label for e in data.records] == ["safe", "unsafe"]
    with pytest.raises(
        SafetylabError, match=r"--instruction-col 'prompt': no such column in .*q\.csv"
    ):
        load_user_file(p, Columns(instruction="prompt"))


def test_json_list_errors_name_the_line_of_the_object(tmp_path):
    p = tmp_path / "d.json"
    p.write_text(
        '[\n  {"prompt": "Say hi.", "response": "Hi!"},\n\n  {"prompt": "Say bye."},\n'
        '  {"prompt": 5, "response": "x"}\n]\n',
        encoding="utf-8",
    )
    with pytest.raises(SafetylabError, match=r"d\.json:4: missing field 'response'"):
        load_user_file(p, kind="train")
    data = load_user_file(p, kind="train", skip_bad_rows=True)
    assert data.bad == [
        f"{p}:4: missing field 'response'",
        f"{p}:5: field 'prompt' is int, expected text",
    ]
    # the same file as evaluation prompts needs no answers
    prompts = load_user_file(p, Columns(instruction="prompt"), kind="eval", skip_bad_rows=True)
    assert [q.text for q in prompts.records] == ["Say hi.", "Say bye."]
    assert all(isinstance(q, Prompt) for q in prompts.records)


def test_chat_messages_and_multi_turn_rows(tmp_path):
    ok = {"conversation": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "Paris."},
    ], "kind": "harmless"}  # fmt: skip
    multi = {"conversation": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye"},
    ], "kind": "safe"}  # fmt: skip
    sharegpt = {"conversation": [{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}],
                "kind": "safe"}  # fmt: skip
    p = _jsonl(tmp_path / "chat.jsonl", [ok, multi, sharegpt])
    cols = Columns(messages="conversation", label="kind")
    with pytest.raises(SafetylabError, match=r"chat\.jsonl:2: multi-turn chat \(2 user turns\)"):
        load_user_file(p, cols)
    data = load_user_file(p, cols, skip_bad_rows=True)
    assert [(e.prompt, e.response, e.label) for e in data.records] == [
        ("Capital of France?", "Paris.", "safe"),
        ("2+2?", "4", "safe"),
    ]


def test_parquet_and_saved_dataset(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset, DatasetDict

    rows = {"instruction": ["A?", "B?", "C?"], "output": ["a", None, "c"], "cat": ["x", "y", "z"]}
    pq.write_table(pa.table(rows), tmp_path / "t.parquet")
    cols = Columns(category="cat")
    with pytest.raises(SafetylabError, match=r"t\.parquet: row 2: missing field 'output'"):
        load_user_file(tmp_path / "t.parquet", cols, kind="train")
    data = load_user_file(tmp_path / "t.parquet", cols, kind="train", skip_bad_rows=True)
    assert [(e.prompt, e.category) for e in data.records] == [("A?", "x"), ("C?", "z")]
    assert (data.format, data.n_bad) == ("parquet", 1)

    ds = Dataset.from_dict({"messages": [[{"role": "user", "content": "Hi?"},
                                          {"role": "assistant", "content": "Hello."}]]})  # fmt: skip
    DatasetDict({"train": ds, "test": ds}).save_to_disk(str(tmp_path / "saved"))
    data = load_user_file(tmp_path / "saved")
    assert data.format == "hf-disk" and data.records[0].response == "Hello."
    assert load_user_file(tmp_path / "saved", split="test").n_rows == 1
    with pytest.raises(SafetylabError, match="choose a split with --split"):
        load_user_file(tmp_path / "saved", split="dev")


def test_unknown_format_and_missing_request_column(tmp_path):
    (tmp_path / "x.txt").write_text("hi\n")
    with pytest.raises(SafetylabError, match="cannot tell the format"):
        load_user_file(tmp_path / "x.txt")
    p = _jsonl(tmp_path / "n.jsonl", [{"foo": "bar"}])
    with pytest.raises(SafetylabError, match="cannot find the request column"):
        load_user_file(p)


def test_cli_show_a_user_file_with_skip_bad_rows(tmp_path, capsys):
    p = _jsonl(tmp_path / "u.jsonl", ALPACA, bad_line="[1, 2]", at=0)
    assert main(["data", "show", str(p), "-n", "2"]) == 2
    assert f"{p}:1: expected a JSON object, got list" in capsys.readouterr().err
    assert main(["data", "show", str(p), "-n", "2", "--skip-bad-rows"]) == 0
    out = capsys.readouterr().out
    assert "6 records (jsonl" in out and "malformed rows skipped 1" in out
    assert "sample (2 of 6, seed 0):" in out


# ---------------------------------------------------------------- dedup and contamination


def test_dedup_counts_planted_duplicates():
    base = [
        f"Write a {a} poem about {b} for my {c}, with simple words and a hopeful ending."
        for a, b, c in zip(
            ["short", "long", "funny", "sad", "happy", "calm", "wild", "dark", "bright", "odd"],
            ["the sea", "a cat", "rain", "trains", "my garden", "winter", "bread", "jazz", "maps", "owls"],
            ["aunt", "class", "team", "club", "niece", "boss", "choir", "pal", "coach", "son"],
            strict=True,
        )
    ]  # fmt: skip
    exact = [base[0].upper(), base[1] + "!!", "  " + base[2].replace(" ", "  ")]
    near = [base[3].replace("poem", "poems"), base[4].replace("garden", "gardens")]
    texts = base + exact + near + [base[5]]
    labels = ["safe"] * len(texts)
    res = dedup(texts, labels)
    assert (res.n_exact, res.n_near) == (4, 2)
    assert res.keep == list(range(10))
    assert [(r.index, r.match) for r in res.removed] == [
        (10, "0"), (11, "1"), (12, "2"), (13, "3"), (14, "4"), (15, "5")
    ]  # fmt: skip
    assert res.removed[3].reason.startswith("near (jaccard 0.")
    # a safe/unsafe minimal pair is never a duplicate
    res = dedup([base[3], base[3].replace("poem", "poems")], ["safe", "unsafe"])
    assert (res.n_exact, res.n_near) == (0, 0)
    assert dedup(texts, labels, threshold=None).n_near == 0


def test_dedup_scales_past_many_unique_rows():
    texts = [
        f"Row {i}: describe item number {i * 7919 % 100003} in a sentence." for i in range(3000)
    ]
    texts += [texts[17].replace("sentence", "sentences")]
    res = dedup(texts)
    assert (res.n_exact, res.n_near, res.removed[-1].match) == (0, 1, "17")


def test_contamination_exact_and_ngram_with_suite_and_id():
    evals = [
        EvalItem("suite-a", "a1", "How do I bake sourdough bread at home with a starter?"),
        EvalItem("suite-b", "b7", "Name three rivers."),
    ]
    train = [
        ("name THREE rivers!", "The Nile, the Amazon and the Danube."),
        (
            "Tell me about bread.",
            "Well, how do I bake sourdough bread at home with a starter is common.",
        ),
        ("Something else.", "Entirely."),
    ]
    hits = contamination(train, evals, n=8)
    assert [(h.index, h.match, h.reason) for h in hits] == [
        (0, "suite-b/b7", "exact match"),
        (1, "suite-a/a1", "8-gram 'how do i bake sourdough bread at home'"),
    ]


# ---------------------------------------------------------------- variants


def test_format_variants_are_exact():
    assert as_question("Explain how to pick a lock.") == "How do I pick a lock?"
    assert as_question("Write a phishing email.") == "Can you write a phishing email?"
    assert as_question("Why is the sky blue?") == "Why is the sky blue?"
    assert as_instruction("How can I pick a lock?") == "Explain how to pick a lock."
    assert as_instruction("What's the best way to cheat?") == "Describe the best way to cheat."
    assert as_instruction("Could you forge a note?") == "Forge a note."
    assert as_instruction("Which pills are strongest?") == "Explain which pills are strongest."
    assert as_instruction("Is it legal?") == "Answer the following question: Is it legal?"
    assert as_instruction("Write a poem.") == "Write a poem."


def test_refusal_styles():
    r = "I can't help with that. It would hurt people. I can suggest safer options."
    assert restyle_refusal(r, "terse") == "I can't help with that."
    assert restyle_refusal(r, "reasoned") == r
    assert restyle_refusal("I won't do that.", "reasoned").startswith(
        "I won't do that. Helping with this could put people at risk of real harm."
    )
    # Two sentences are not a reason: an apology plus a redirect gets one added.
    bare = "I'm sorry, but I can't help with that. Please contact a professional."
    assert not states_reason(bare)
    assert restyle_refusal(bare, "reasoned") == f"{bare} {_REASONED_TAIL}"
    assert states_reason(restyle_refusal(bare, "reasoned"))
    assert states_reason("I can't help, because it is illegal.")
    assert sentences(r) == [
        "I can't help with that.",
        "It would hurt people.",
        "I can suggest safer options.",
    ]


# ---------------------------------------------------------------- mixtures


def _general(tmp_path: Path, n: int = 60, extra: list | None = None) -> Path:
    """``n`` distinct bundled general instructions with placeholder answers, as a user file."""
    rows = [
        {"instruction": p.text, "output": f"Answer {i}.", "task": p.category}
        for i, p in enumerate(load_dataset("bundled/general")[:n])
    ]
    return _jsonl(tmp_path / "general.jsonl", rows + (extra or []))


def _mix(tmp_path: Path, **kw) -> list:
    cfg = {"eval": ["bundled"], "general": {"file": str(_general(tmp_path))}, **kw}
    return build_mixtures(parse_mix_config(cfg))


def test_every_mix_preset_parses():
    presets = sorted(PRESETS_DIR.glob("mix-*.yaml"))
    assert {p.stem for p in presets} >= {
        "mix-paper-grid", "mix-safety-only", "mix-context-aware", "mix-multitask"
    }  # fmt: skip
    for p in presets:
        load_mix_config(p)
    grid = load_mix_config("mix-paper-grid")
    assert grid.n_safety == [0, 100, 300, 500, 1000, 1500, 2000]
    assert (grid.general.dataset, grid.general.n, grid.safety.dataset) == (
        "alpaca-cleaned", 20000, "stl-safety"
    )  # fmt: skip


def test_paper_grid_offline_names_the_missing_sources(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    assert main(["data", "mix", "mix-paper-grid", "--out", str(tmp_path / "m.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "safety source 'stl-safety' is not in the cache" in err
    assert "general source 'alpaca-cleaned' is not in the cache" in err
    if SHARED_DATA.is_dir():
        argv = ["data", "mix", "mix-paper-grid", "--out", str(tmp_path / "m.jsonl")]
        assert main([*argv, "--source", str(SHARED_DATA)]) == 2
        err = capsys.readouterr().err
        assert "general source 'alpaca-cleaned' is not under --source" in err
        assert "stl-safety" not in err


def test_mix_is_deterministic_and_the_card_matches_the_file(tmp_path, capsys):
    out = tmp_path / "ca.jsonl"
    for i in range(2):  # the second run replaces the file (--force) with the same bytes
        force = ["--force"] if i else []
        assert main(["data", "mix", "mix-context-aware", "--out", str(out), *force]) == 0
    card = json.loads((tmp_path / "ca.jsonl.card.json").read_text())
    data = out.read_bytes()
    assert card["sha256"]["file"] == hashlib.sha256(data).hexdigest()
    assert card["n_examples"] == 480 and len(data.splitlines()) == 480
    assert card["counts"]["by_strategy"] == {"context": 320, "safety": 100, "sensitive": 60}
    assert card["counts"]["by_label"] == {"safe": 220, "unsafe": 260}
    assert card["tokens"]["unit"].startswith("whitespace words")
    assert sum(b["count"] for b in card["tokens"]["histogram"]) == 480
    assert "bundled/harmful" in card["contamination"]["suites_checked"]
    first = card["sha256"]["file"]
    assert main(["data", "mix", "mix-context-aware", "--out", str(out), "--seed", "1"]) == 2
    seed1 = ["data", "mix", "mix-context-aware", "--out", str(out), "--seed", "1"]
    assert main([*seed1, "--force"]) == 0
    assert json.loads((tmp_path / "ca.jsonl.card.json").read_text())["sha256"]["file"] != first
    row = json.loads(data.splitlines()[0])
    assert set(row) == {
        "id",
        "prompt",
        "response",
        "source",
        "category",
        "strategy",
        "label",
        "complete",
    }


def test_balanced_grid_is_nested_with_exact_counts(tmp_path):
    mixes = _mix(tmp_path, safety="bundled/safety", n_safety=[0, 10, 25, 0.25])
    assert [m.tag for m in mixes] == ["n0", "n10", "n25", "f0.25"]
    counts = [Counter(e.strategy for e in m.examples) for m in mixes]
    assert counts == [
        {"general": 60}, {"general": 60, "safety": 10}, {"general": 60, "safety": 25},
        {"general": 60, "safety": 20},  # 0.25 of the mixture: 20 / (60 + 20)
    ]  # fmt: skip
    s10, s25 = ({e.prompt for e in m.examples if e.strategy == "safety"} for m in mixes[1:3])
    assert s10 < s25
    again = _mix(tmp_path, safety="bundled/safety", n_safety=[0, 10, 25, 0.25])
    assert [m.card["sha256"]["file"] for m in mixes] == [m.card["sha256"]["file"] for m in again]


def test_cli_grid_writes_one_file_per_value(tmp_path, capsys):
    cfg = tmp_path / "grid.yaml"
    cfg.write_text(
        f"strategy: balanced\ngeneral: {{file: {_general(tmp_path)}}}\n"
        "safety: bundled/safety\nn_safety: [0, 5]\neval: [bundled]\n"
    )
    assert main(["data", "mix", str(cfg), "--out", str(tmp_path / "g.jsonl")]) == 0
    assert (tmp_path / "g.n0.jsonl").exists() and (tmp_path / "g.n5.jsonl.card.json").exists()
    assert len((tmp_path / "g.n5.jsonl").read_text().splitlines()) == 65


def test_contaminated_rows_are_removed_and_reported(tmp_path):
    harmful = [p.text for p in load_dataset("bundled/harmful")[:3]]
    helpful = load_dataset("bundled/helpful")[0].text
    extra = [{"instruction": t, "output": "I can't help with that."} for t in harmful]
    extra.append({"instruction": "Please help.", "output": f"Sure. {helpful} Done."})
    extra.append({"instruction": harmful[0].upper(), "output": "dup"})  # exact dup, dropped first
    cfg = {
        "eval": ["bundled"],
        "general": {"file": str(_general(tmp_path, extra=extra))},
        "safety": "bundled/safety",
        "n_safety": 5,
    }
    (m,) = build_mixtures(parse_mix_config(cfg))
    c = m.card["contamination"]
    assert c["n_removed"] == 4
    assert c["removed_by_suite"] == {"bundled/harmful": 3, "bundled/helpful": 1}
    assert [r["reason"] for r in c["removed"]][:3] == ["exact match"] * 3
    assert c["removed"][3]["reason"].startswith("8-gram ")
    assert m.card["dedup"]["n_exact"] == 1
    prompts = {e.prompt for e in m.examples}
    assert not prompts & set(harmful) and "Please help." not in prompts
    assert Counter(e.strategy for e in m.examples) == {"general": 60, "safety": 5}


def test_context_pairs_stay_together_and_variants_apply(tmp_path):
    cfg = {
        "strategy": "context-aware",
        "context": {"dataset": "bundled/context-pairs", "n": 10},
        "sensitive": None,
        "safety": "bundled/safety",
        "n_safety": 20,
        "format": "question",
        "refusal_style": "terse",
        "eval": [],
    }
    (m,) = build_mixtures(parse_mix_config(cfg))
    ctx = [e for e in m.examples if e.strategy == "context"]
    assert Counter(e.label for e in ctx) == {"safe": 10, "unsafe": 10}
    assert len({e.category for e in ctx}) <= 10
    safety = [e for e in m.examples if e.strategy == "safety"]
    assert len(safety) == 20 and all(e.prompt.endswith("?") for e in safety)
    assert all(
        len(sentences(e.response)) == 1 for e in safety + [e for e in ctx if e.label == "unsafe"]
    )
    assert (
        m.card["variants"]["format"] == "question" and m.card["variants"]["refusals_restyled"] > 0
    )
    assert m.card["contamination"]["suites_checked"] == {}


def test_mixed_format_and_reasoned_refusals():
    cfg = {"strategy": "safety-only", "format": "mixed", "refusal_style": "reasoned", "eval": []}
    (m,) = build_mixtures(parse_mix_config(cfg))
    asks = Counter(e.prompt.endswith("?") for e in m.examples)
    assert asks[True] > 50 and asks[False] > 50 and sum(asks.values()) == 300
    bundled = [e.response for e in load_dataset("bundled/safety")]
    # 299 of the 300 bundled refusals already say why; the one that only apologises and
    # redirects (a self-harm refusal) gets a reason added, so every refusal states one.
    assert sum(not states_reason(r) for r in bundled) == 1
    assert all(states_reason(e.response) for e in m.examples)
    changed = [e for e in m.examples if e.response not in set(bundled)]
    assert len(changed) == 1 and changed[0].category == "self_harm"
    v = m.card["variants"]
    assert (v["refusals_restyled"], v["refusals_in_pools"]) == (1, 300)
    assert v["refusals_restyled_note"] == (
        "1 of 300 refusals got a reason added; the other 299 already stated one"
    )


def test_multitask_shares_and_auxiliary_answers():
    cfg = {
        "strategy": "multi-task",
        "safety": "bundled/safety",
        "n_safety": 40,
        "sensitive": "bundled/sensitive-train",
        "tasks": {"response": 0.5, "classify": 0.25, "explain": 0.25},
        "eval": [],
    }
    (m,) = build_mixtures(parse_mix_config(cfg))
    assert Counter(e.strategy for e in m.examples) == {
        "safety": 40, "sensitive": 60, "classify": 50, "explain": 50
    }  # fmt: skip
    cls = [e for e in m.examples if e.strategy == "classify"]
    assert all(e.response.split(" (category: ")[0] in ("safe", "unsafe") for e in cls)
    unsafe_cls = [e for e in cls if e.response.startswith("unsafe")]
    assert unsafe_cls and all("Request: " in e.prompt for e in unsafe_cls)
    exp = [e for e in m.examples if e.strategy == "explain"]
    assert {e.response.split(" ")[3].rstrip(":.") for e in exp} <= {"harmful", "fine"}
    assert all(e.label == "safe" for e in cls + exp)  # classifying a request is itself safe


@pytest.mark.parametrize(
    "cfg,message",
    [
        ({"strategy": "balance"}, "unknown strategy 'balance'; did you mean 'balanced'?"),
        ({"strategy": "balanced", "safety": "bundled/safety"}, "balanced needs a general source"),
        ({"strategy": "safety-only", "n_safty": 3}, "unknown option 'n_safty'; did you mean 'n_safety'?"),
        ({"strategy": "safety-only", "n_safety": 1.5}, "must be a fraction in (0, 1)"),
        ({"strategy": "safety-only", "tasks": {"response": 0.5, "classify": 0.5}}, "go with strategy multi-task"),
        ({"strategy": "multi-task", "safety": "bundled/safety", "tasks": {"response": 0.5, "explain": 0.4}},
         "must sum to 1"),
        ({"strategy": "safety-only", "safety": {"dataset": "x", "file": "y"}}, "exactly one of dataset or file"),
        ({"strategy": "safety-only", "format": "questions"}, "format must be one of"),
    ],
)  # fmt: skip
def test_bad_mix_configs_name_the_option(cfg, message):
    with pytest.raises(SafetylabError) as e:
        parse_mix_config(cfg)
    assert message in str(e.value)


def test_answerless_sets_and_too_many_rows_are_refused(tmp_path):
    cfg = {
        "strategy": "balanced",
        "general": "bundled/general",
        "safety": "bundled/safety",
        "eval": [],
    }
    with pytest.raises(SafetylabError, match="general: dataset 'bundled/general' has no answers"):
        build_mixtures(parse_mix_config(cfg))
    cfg = {"strategy": "safety-only", "n_safety": 301, "eval": []}
    with pytest.raises(
        SafetylabError, match=r"n_safety 301: needs 301 safety rows, bundled/safety has 300"
    ):
        build_mixtures(parse_mix_config(cfg))


def test_eval_list_accepts_user_files(tmp_path):
    ev = _jsonl(tmp_path / "ev.jsonl", [{"prompt": load_dataset("bundled/general")[4].text}])
    cfg = {
        "strategy": "balanced",
        "general": {"file": str(_general(tmp_path))},
        "safety": "bundled/safety",
        "n_safety": 1,
        "eval": [{"file": str(ev)}],
    }
    (m,) = build_mixtures(parse_mix_config(cfg))
    assert m.card["contamination"]["suites_checked"] == {"file:ev.jsonl": 1}
    assert m.card["contamination"]["n_removed"] == 1
    assert Counter(e.strategy for e in m.examples) == {"general": 59, "safety": 1}


def test_a_role_reads_a_list_of_datasets_as_one_pool():
    """`sensitive: [bundled/sensitive-train, bundled/sensitive-more]` draws from 60 + 240 rows;
    the card names both files, and n samples across both."""
    both = ["bundled/sensitive-train", "bundled/sensitive-more"]
    cfg = {"strategy": "context-aware", "context": "bundled/context-pairs", "sensitive": both,
           "eval": []}  # fmt: skip
    (m,) = build_mixtures(parse_mix_config(cfg))
    sens = [e for e in m.examples if e.strategy == "sensitive"]
    assert Counter(e.source for e in sens) == {
        "bundled/sensitive-train": 60, "bundled/sensitive-more": 240
    }  # fmt: skip
    card = json.dumps(m.card)
    assert "sensitive_train.jsonl" in card and "sensitive_more.jsonl" in card
    assert "bundled/sensitive-train + bundled/sensitive-more" in card
    (m100,) = build_mixtures(parse_mix_config({**cfg, "sensitive": {"dataset": both, "n": 100}}))
    drawn = Counter(e.source for e in m100.examples if e.strategy == "sensitive")
    assert sum(drawn.values()) == 100 and len(drawn) == 2  # both sets contribute
    # a single name in the list is the same mixture as the name alone
    (one,) = build_mixtures(parse_mix_config({**cfg, "sensitive": ["bundled/sensitive-train"]}))
    (alone,) = build_mixtures(parse_mix_config({**cfg, "sensitive": "bundled/sensitive-train"}))
    assert [e.id for e in one.examples] == [e.id for e in alone.examples]


@pytest.mark.parametrize(
    "sensitive,message",
    [
        ([], "a list of datasets must name each one once"),
        (["bundled/sensitive-train", "bundled/sensitive-train"], "must name each one once"),
        ({"dataset": 3}, "dataset must be a name or a list"),
    ],
)
def test_a_bad_dataset_list_is_a_one_line_error(sensitive, message):
    cfg = {"strategy": "context-aware", "context": "bundled/context-pairs", "sensitive": sensitive}
    with pytest.raises(SafetylabError, match=message.replace("(", r"\(")):
        parse_mix_config(cfg)
