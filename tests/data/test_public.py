"""Public dataset loaders on the shared copies, source layouts, fetch with pinned checksums."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import urllib.error
from collections import Counter

import pytest

from safetylab.cli.main import main
from safetylab.data import PUBLIC, LabelledCompletion, fetch, load_dataset, load_public
from safetylab.data._public import fetch_file, public_spec, resolve_files
from safetylab.errors import SafetylabError
from safetylab.records import Example, Prompt
from tests.conftest import SHARED_DATA

needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"public dataset copies not found at {SHARED_DATA}"
)

# name -> (records, {label: count}) on the shared copies (see shared/data/SOURCES.md)
COUNTS = {
    "i-malicious-instructions": (100, {"unsafe": 100}),
    "i-cona": (178, {"unsafe": 178}),
    "i-controversial": (40, {"unsafe": 40}),
    "q-harm": (100, {"unsafe": 100}),
    "i-physical-safety-safe": (100, {"safe": 100}),
    "i-physical-safety-unsafe": (100, {"unsafe": 100}),
    "i-alpaca": (50, {"safe": 50}),
    "stl-safety": (2483, {"unsafe": 2483}),
    "xstest": (450, {"safe": 250, "unsafe": 200}),
    "xstest-v1": (200, {"safe": 200}),
    "advbench": (520, {"unsafe": 520}),
    "harmbench": (320, {"unsafe": 320}),
    "harmbench-standard": (159, {"unsafe": 159}),
    "harmbench-contextual": (81, {"unsafe": 81}),
    "harmbench-copyright": (80, {"unsafe": 80}),
    "harmbench-val": (80, {"unsafe": 80}),
    "jailbreakbench": (100, {"unsafe": 100}),
    "strongreject": (313, {"unsafe": 313}),
    "malicious-instruct": (100, {"unsafe": 100}),
    "tdc2023": (100, {"unsafe": 100}),
    "alpaca-instructions": (31323, {"safe": 31323}),
}


def test_every_public_dataset_is_registered_with_a_pin_and_a_count():
    from safetylab.registry import datasets

    assert set(COUNTS) | {"alpaca-cleaned"} <= set(PUBLIC)
    for name, spec in PUBLIC.items():
        assert datasets.get(name) is spec
        assert spec.license and spec.description
        for f in spec.files:
            assert f.url.startswith("https://raw.githubusercontent.com/")
            assert f.sha256 is None or len(f.sha256) == 64
    assert [n for n, s in PUBLIC.items() if any(f.sha256 is None for f in s.files)] == [
        "alpaca-cleaned"
    ]
    for name, (n, _) in COUNTS.items():
        assert PUBLIC[name].size == n


@needs_shared
@pytest.mark.parametrize("name", sorted(COUNTS))
def test_loader_counts_on_the_shared_copy(name):
    n, labels = COUNTS[name]
    recs = load_public(name, SHARED_DATA)
    assert len(recs) == n
    assert dict(Counter(r.label for r in recs)) == labels
    want = Example if PUBLIC[name].kind == "train" else Prompt
    assert all(isinstance(r, want) for r in recs)
    assert all(r.category for r in recs)
    # every file used is byte-identical to the pinned version
    assert all(f.pinned for f in resolve_files(name, SHARED_DATA))


@needs_shared
def test_study_sets_tags_and_training_set():
    mal = load_public("i-malicious-instructions", SHARED_DATA)
    assert Counter(p.category for p in mal) == {"hate": 66, "crime": 34}
    assert {p.suite for p in mal} == {"i-malicious-instructions"}
    train = load_public("stl-safety", SHARED_DATA)
    assert len({e.prompt for e in train}) == 2479
    assert {e.source for e in train} == {"stl-safety"}
    # the study's file names work as aliases
    assert len(load_public("I-MaliciousInstructions", SHARED_DATA)) == 100


@needs_shared
def test_xstest_types_focus_and_contrasts():
    xs = load_public("xstest", SHARED_DATA)
    by_type = Counter(p.category for p in xs)
    assert len(by_type) == 18 and set(by_type.values()) == {25}
    assert all((p.label == "unsafe") == p.category.startswith("contrast_") for p in xs)
    first = xs[0]
    assert (first.source_id, first.category, first.focus) == ("1", "homonyms", "kill")


@needs_shared
def test_harmbench_functional_categories_and_context():
    hb = load_public("harmbench", SHARED_DATA)
    ctx = load_public("harmbench-contextual", SHARED_DATA)
    assert all("\n\n---\n\n" in p.text for p in ctx)
    assert not any("\n\n---\n\n" in p.text for p in load_public("harmbench-standard", SHARED_DATA))
    assert Counter(p.category for p in load_public("harmbench-copyright", SHARED_DATA)) == {
        "copyright": 80
    }
    assert {p.source_id for p in ctx} < {p.source_id for p in hb}
    assert Counter(p.category for p in load_public("jailbreakbench", SHARED_DATA)) == {
        c: 10 for c in {p.category for p in load_public("jailbreakbench", SHARED_DATA)}
    }


@needs_shared
def test_xstest_completions_carry_human_labels():
    recs = load_public("xstest-completions-gpt4", SHARED_DATA)
    assert all(isinstance(r, LabelledCompletion) for r in recs)
    assert Counter(r.judgment.label for r in recs) == {
        "full_compliance": 230,
        "full_refusal": 211,
        "partial_refusal": 9,
    }
    assert {r.judgment.judge for r in recs} == {"human"}
    assert all(r.judgment.generation_id == r.generation.id for r in recs)
    assert Counter(r.prompt.label for r in recs) == {"safe": 250, "unsafe": 200}
    labels = Counter(
        r.judgment.label for r in load_public("xstest-completions-llama2orig", SHARED_DATA)
    )
    assert labels == {"full_refusal": 294, "full_compliance": 101, "partial_refusal": 55}


@needs_shared
def test_source_is_a_repo_copy_or_a_folder_of_copies(tmp_path):
    # DIR laid out like the upstream repository itself
    assert len(load_public("advbench", SHARED_DATA / "llm-attacks")) == 520
    # HarmBench layout from a third-party copy: loads, but is reported as not the pinned bytes
    (f,) = resolve_files("harmbench", SHARED_DATA / "AdversariaLLM")
    assert f.path.name == "harmbench_behaviors_text_test.csv" and f.pinned is False
    assert len(load_public("harmbench", SHARED_DATA / "AdversariaLLM")) == 320
    # with both layouts present, the copy matching the pin wins
    (f,) = resolve_files("harmbench", SHARED_DATA)
    assert f.pinned is True
    with pytest.raises(SafetylabError, match="not found under --source"):
        load_public("advbench", tmp_path)


def test_missing_dataset_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path))
    with pytest.raises(SafetylabError) as e:
        load_public("advbench")
    msg = str(e.value)
    assert "not found in the cache" in msg and "safetylab data fetch advbench" in msg
    assert "\n" not in msg
    with pytest.raises(SafetylabError, match="did you mean 'advbench'"):
        public_spec("advbenhc")


def test_fetch_offline_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path))

    def offline(url, timeout=None):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    assert main(["data", "fetch", "advbench"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot download https://raw.githubusercontent.com/llm-attacks/llm-attacks/" in err
    assert "pass --source DIR" in err
    assert not (tmp_path / "data" / "llm-attacks").exists()


@needs_shared
def test_fetch_checks_the_pinned_sha256(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    real = SHARED_DATA / "llm-attacks" / "data" / "advbench" / "harmful_behaviors.csv"
    spec_file = PUBLIC["advbench"].files[0]
    # a file:// URL to the real bytes passes the check and lands in the cache layout
    good = dataclasses.replace(spec_file, url=real.as_uri())
    dest = fetch_file(good, tmp_path / "cache" / "data")
    assert dest == tmp_path / "cache" / "data" / "llm-attacks" / spec_file.at.path
    assert len(load_public("advbench")) == 520  # now read from the cache
    # tampered bytes are refused and not saved
    bad = tmp_path / "tampered.csv"
    bad.write_bytes(real.read_bytes().replace(b"Write a script", b"Write a poem", 1))
    with pytest.raises(SafetylabError, match="checksum mismatch .* expected sha256 6cd1a5c63c07"):
        fetch_file(dataclasses.replace(spec_file, url=bad.as_uri()), tmp_path / "other")
    assert not (tmp_path / "other").exists() or not any((tmp_path / "other").rglob("*.csv"))


def test_fetch_with_a_downloader_skips_cached_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path))
    payload = json.dumps(["Behaviour one.", "Behaviour two."]).encode()
    spec = PUBLIC["tdc2023"]
    pins = {f.url: f.sha256 for f in spec.files}
    calls = []

    def fake(url):
        calls.append(url)
        return payload

    # wrong bytes for the pinned URLs: refused
    with pytest.raises(SafetylabError, match="checksum mismatch"):
        fetch("tdc2023", downloader=fake)
    # unpinned alpaca-cleaned: needs --trust-unpinned, then its sha256 is recorded and enforced
    rows = [{"instruction": "Name a colour.", "input": "", "output": "Blue."}]
    data = json.dumps(rows).encode()
    with pytest.raises(SafetylabError, match="no pinned sha256; pass --trust-unpinned"):
        fetch("alpaca-cleaned", downloader=lambda url: data)
    fetch("alpaca-cleaned", downloader=lambda url: data, trust_unpinned=True)
    side = tmp_path / "data" / "AlpacaDataCleaned" / "alpaca_data_cleaned.json.sha256"
    assert side.read_text().strip() == hashlib.sha256(data).hexdigest()
    (ex,) = load_public("alpaca-cleaned")
    assert (ex.prompt, ex.response, ex.label) == ("Name a colour.", "Blue.", "safe")
    n = len(calls)
    fetch("alpaca-cleaned", downloader=fake)  # cached: no download
    assert len(calls) == n
    with pytest.raises(SafetylabError, match="checksum mismatch"):
        fetch("alpaca-cleaned", downloader=fake, force=True)
    assert pins  # pinned files were never written
    assert not (tmp_path / "data" / "refusal_direction").exists()


def test_bundled_sets_as_records():
    pairs = load_dataset("bundled/context-pairs")
    assert len(pairs) == 320
    assert Counter(e.label for e in pairs) == {"safe": 160, "unsafe": 160}
    dual = load_dataset("bundled/dualuse")
    assert Counter(p.label for p in dual) == {"safe": 40, "unsafe": 40}
    assert Counter(p.label for p in load_dataset("bundled/sensitive-unsafe")) == {"unsafe": 120}
    general = load_dataset("bundled/general")
    assert len(general) == 400 and all(isinstance(p, Prompt) for p in general)


def test_cli_list_shows_size_license_and_purpose(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("advbench "))
    assert "520" in line and "MIT" in line and "harmful behaviours" in line
    line = next(ln for ln in out.splitlines() if ln.startswith("bundled/safety "))
    assert "300" in line and "bundled" in line and "Apache-2.0" in line
    assert "~51,760" in next(ln for ln in out.splitlines() if ln.startswith("alpaca-cleaned "))


@needs_shared
def test_cli_show_prints_counts_and_a_sample(capsys):
    assert main(["data", "show", "i-malicious-instructions", "--source", str(SHARED_DATA)]) == 0
    out = capsys.readouterr().out
    assert "i-malicious-instructions: 100 records" in out
    assert "matches the pinned sha256" in out
    assert "label: unsafe 100" in out
    assert "  hate       66\n  crime      34\n" in out
    assert "sample (5 of 100, seed 0):" in out
    assert main(["data", "show", "xstest-completions-gpt4", "--source", str(SHARED_DATA)]) == 0
    out = capsys.readouterr().out
    assert "human label: full_compliance 230, full_refusal 211, partial_refusal 9" in out


def test_cli_show_unknown_name_is_exit_2(capsys):
    assert main(["data", "show", "xstets"]) == 2
    assert "did you mean 'xstest'?" in capsys.readouterr().err


@needs_shared
def test_list_marks_local_copies(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SAFETYLAB_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "src"
    shutil.copytree(SHARED_DATA / "llm-attacks", src / "llm-attacks")
    assert main(["data", "list", "--source", str(src), "--kind", "eval"]) == 0
    out = capsys.readouterr().out
    assert "local" in next(ln for ln in out.splitlines() if ln.startswith("advbench "))
    assert "fetch" in next(ln for ln in out.splitlines() if ln.startswith("xstest "))
    assert "bundled/safety" not in out  # --kind eval
