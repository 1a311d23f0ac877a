import json

import pytest

from safetylab.errors import SafetylabError
from safetylab.store import GenerationCache, JsonlLog, RunDir, read_jsonl


def test_jsonl_log_appends_only_new_ids(tmp_path):
    log = JsonlLog(tmp_path / "x.jsonl")
    assert log.append([{"id": "a", "v": 1}, {"id": "b", "v": 2}]) == 2
    assert log.append([{"id": "a", "v": 9}, {"id": "c", "v": 3}]) == 1
    again = JsonlLog(tmp_path / "x.jsonl")
    assert [r["id"] for r in again.rows()] == ["a", "b", "c"]
    assert again.rows()[0]["v"] == 1


def test_jsonl_log_drops_a_line_cut_by_an_interruption(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"id": "a"}\n{"id": "b"}\n{"id": "c", "te', encoding="utf-8")
    log = JsonlLog(p)
    assert [r["id"] for r in log.rows()] == ["a", "b"]
    assert p.read_text(encoding="utf-8") == '{"id": "a"}\n{"id": "b"}\n'
    log.append([{"id": "c"}])
    assert [json.loads(x)["id"] for x in p.read_text().splitlines()] == ["a", "b", "c"]


def test_read_jsonl_names_file_and_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": 1}\n{oops}\n', encoding="utf-8")
    with pytest.raises(SafetylabError, match=r"bad\.jsonl:2: not valid JSON"):
        read_jsonl(p)


def test_run_dir_refuses_another_config_unless_forced(tmp_path):
    RunDir(tmp_path / "r", {"grid": [0, 50]})
    RunDir(tmp_path / "r", {"grid": [0, 50]})  # same config: fine
    with pytest.raises(
        SafetylabError, match="made by another config; use a new --out or pass --force"
    ):
        RunDir(tmp_path / "r", {"grid": [0, 200]})
    RunDir(tmp_path / "r", {"grid": [0, 200]}, force=True)
    RunDir(tmp_path / "r", {"grid": [0, 200]})


def test_generation_cache_roundtrip(tmp_path):
    c = GenerationCache(tmp_path / "c.sqlite")
    k1 = c.key("fp", "hi", {"max_new_tokens": 8})
    k2 = c.key("fp", "hi", {"max_new_tokens": 9})
    assert k1 != k2
    c.put_many([(k1, "hello", 2)])
    assert c.get_many([k1, k2]) == {k1: ("hello", 2)}
    c.close()
    assert GenerationCache(tmp_path / "c.sqlite").get_many([k1]) == {k1: ("hello", 2)}


def test_run_dir_ignored_keys_may_change(tmp_path):
    RunDir(tmp_path / "r", {"model": "a", "judges": ["x"]}, ignore=("judges",))
    RunDir(tmp_path / "r", {"model": "a", "judges": ["x", "y"]}, ignore=("judges",))
    assert "- y" in (tmp_path / "r" / "config.resolved.yaml").read_text()
    with pytest.raises(SafetylabError, match="another config"):
        RunDir(tmp_path / "r", {"model": "b", "judges": ["x"]}, ignore=("judges",))


def test_write_json_from_many_processes_at_once_never_loses_a_rename(tmp_path):
    """Ranks of one launch fill the same cache file (the weights' fingerprint sidecar) at the
    same moment: each write must land whole, none may rename another's temp file away."""
    import multiprocessing as mp

    target = tmp_path / "shared.json"
    ctx = mp.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_write_many, [(str(target), k) for k in range(4)])
    assert results == ["ok"] * 4
    assert json.loads(target.read_text())["writer"] in range(4)
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]  # no temp file left behind


def _write_many(path: str, k: int) -> str:
    from safetylab.store import write_json

    for i in range(200):
        write_json(path, {"writer": k, "i": i, "pad": "x" * 2000})
    return "ok"
