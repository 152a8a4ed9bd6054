"""The SQLite reply cache: keys, persistence, and several processes writing one file."""

import multiprocessing as mp

from players.llm.cache import ReplyCache, cache_key, default_cache_path

BASE = {"backend": "local", "model": "m", "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.7, "max_tokens": 8, "schema": None, "seed": 1}


def test_key_changes_with_every_part_and_not_with_dict_order():
    assert cache_key(BASE) == cache_key(dict(reversed(list(BASE.items()))))
    for part, other in [("backend", "openai"), ("model", "n"), ("temperature", 0.0), ("seed", 2),
                        ("max_tokens", 9), ("schema", {"type": "object"}),
                        ("messages", [{"role": "user", "content": "ho"}])]:
        assert cache_key({**BASE, part: other}) != cache_key(BASE), part


def test_replies_persist_and_first_writer_wins(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = ReplyCache(path)
    assert cache.get("k") is None
    cache.put("k", {"text": "a"})
    cache.put("k", {"text": "b"})
    cache.close()
    again = ReplyCache(path)
    assert again.get("k") == {"text": "a"} and len(again) == 1


def _writer(path, worker, n):
    cache = ReplyCache(path)
    for i in range(n):
        cache.put(f"shared-{i}", {"text": f"shared {i}"})
        cache.put(f"w{worker}-{i}", {"text": f"{worker}:{i}"})
        assert cache.get(f"w{worker}-{i}") == {"text": f"{worker}:{i}"}
    cache.close()


def test_concurrent_processes_write_one_file(tmp_path):
    path = str(tmp_path / "c.sqlite")
    workers = [mp.get_context("fork").Process(target=_writer, args=(path, w, 150)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    cache = ReplyCache(path)
    assert len(cache) == 150 + 4 * 150
    assert cache.get("w3-149") == {"text": "3:149"} and cache.get("shared-7") == {"text": "shared 7"}
    assert cache._connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TOURNEY_LLM_CACHE", str(tmp_path / "x.sqlite"))
    assert default_cache_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("TOURNEY_LLM_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_path() == tmp_path / "tourney" / "llm-replies.sqlite"


def test_pack_and_unpack_round_trip_to_the_same_bytes(tmp_path):
    from players.llm.cache import pack, unpack

    cache = ReplyCache(tmp_path / "a.sqlite")
    for i in (3, 1, 2):
        cache.put(f"k{i}", {"text": f"reply {i}", "finish_reason": "stop"})
    cache.close()
    assert pack(tmp_path / "a.sqlite", tmp_path / "a.jsonl.gz") == 3
    assert unpack(tmp_path / "a.jsonl.gz", tmp_path / "b.sqlite") == 3
    again = ReplyCache(tmp_path / "b.sqlite")
    assert len(again) == 3 and again.get("k2") == {"text": "reply 2", "finish_reason": "stop"}
    again.close()
    pack(tmp_path / "b.sqlite", tmp_path / "b.jsonl.gz")
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()


def test_replay_only_turns_a_cache_miss_into_a_backend_fault_not_a_model_call(tmp_path, monkeypatch):
    import pytest

    from players.llm.client import LLMClient
    from tourney.errors import BackendFault

    class Counting:
        kind, calls = "local", 0

        def identity(self):
            return "counting"

        def endpoint(self):
            return "counting model"

        def complete(self, messages, **kw):
            Counting.calls += 1
            return {"text": '{"price": 5}', "prompt_tokens": 1, "completion_tokens": 1, "seconds": 0.0}

    cache = ReplyCache(tmp_path / "c.sqlite")
    question = [{"role": "user", "content": "price?"}]
    LLMClient(Counting(), cache, 0.7, 1, 16, 1).ask(question, None, lambda r: True)  # fills the cache
    assert Counting.calls == 1
    monkeypatch.setenv("TOURNEY_LLM_REPLAY", "1")
    replayed = LLMClient(Counting(), cache, 0.7, 1, 16, 1)
    reply, _ = replayed.ask(question, None, lambda r: True)
    assert reply.price == 5 and replayed.usage.cache_hits == 1 and Counting.calls == 1
    with pytest.raises(BackendFault):
        replayed.ask([{"role": "user", "content": "another question"}], None, lambda r: True)
    assert Counting.calls == 1 and replayed.usage.backend_errors == 2
