"""The OS side of the isolation (issue 13, review findings F7-F9): no secret reaches a player, memory and
disk stay within limits across a host's processes, hosts read nothing of the run's or root's, /tmp
state does not cross matches under ``isolation: process``, and players never see league names.

Hostile players are in tests/faulty_players.py; the runs go through the real CLI (test_isolation.run).
"""

from __future__ import annotations

import glob
import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_isolation import GOOD, assert_blamed, assert_others_unaffected, run

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="hosts drop to users of their own only under root")


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict[str, dict]:
    """Good vs Other with nobody hostile in the league, by match key."""
    _, recs = run(tmp_path_factory.mktemp("clean"), "clean", GOOD, 1)
    return {r["key"]: r for r in recs}


def reports(run_dir: Path, name: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((run_dir / "players").glob(f"{name}.*.json"))]


# ---------------------------------------------------------------- F7: the model endpoint's key


KEY_PREFIX = "sk-isob-"


class _KeyedHandler(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that answers only requests carrying its key."""

    key = ""
    seen: list = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(self.headers.get("Authorization") == f"Bearer {self.key}")
        if self.headers.get("Authorization") != f"Bearer {self.key}":
            body, code = f"wrong key; you sent {self.headers.get('Authorization')}".encode(), 401
        else:
            body, code = json.dumps({"choices": [{"message": {"content": '{"price": 50}'}, "finish_reason": "stop"}],
                                     "usage": {"prompt_tokens": 3, "completion_tokens": 3}}).encode(), 200
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def keyed_server():
    key = KEY_PREFIX + uuid.uuid4().hex
    handler = type("Handler", (_KeyedHandler,), {"key": key, "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", key, handler.seen
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.mark.parametrize("jobs", [1, 2])
def test_no_player_finds_the_model_key_yet_the_model_player_plays_with_it(tmp_path, keyed_server, jobs):
    """The key is in the runner's environment; an LLM player calls the endpoint with it (through the
    runner's proxy) while a hostile player looks in os.environ, /proc/self, /proc/<its supervisor>,
    /proc/<the runner> and its own memory: it finds the key nowhere."""
    base, key, seen = keyed_server
    llm = {"backend": "openai", "base_url": base, "model": "m", "api_key_env": "TOURNEY_ISOB_KEY",
           "max_retries": 0, "cache": "off", "request_timeout": 20}
    players = [{"name": "Remote", "type": "llm", "params": llm}, {"name": "Dumper", "type": "faulty_players.EnvDumper"}]
    proc, recs = run(tmp_path, "keys", players, jobs, fmt={"timeout": 60, "both_roles": True}, bound=300,
                     env={"TOURNEY_ISOB_KEY": key, "DUMPER_PREFIX": KEY_PREFIX, "OTHER_API_TOKEN": key + "x"})
    assert len(recs) == 2 and all(r["status"] == "ok" for r in recs), [r.get("error") for r in recs]
    assert len(seen) >= 2 and all(seen)  # the model was called, every time with the key (else: a 401, a fault)
    dumps = reports(tmp_path / "keys", "envdump")
    assert len(dumps) == 2  # one per match (both roles)
    for dump in dumps:
        assert key not in json.dumps(dump), dump
        assert not dump["memory"], dump["memory"]  # its memory was read: no copy of the key in it
        assert {"TOURNEY_ISOB_KEY", "OTHER_API_TOKEN"}.isdisjoint(dump["os.environ"])
        if os.geteuid() == 0:  # another user's /proc/PID/environ
            assert dump["/proc/supervisor/environ"].startswith("refused")
            assert dump["/proc/runner/environ"].startswith("refused")
    for path in (tmp_path / "keys").rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
    assert key not in proc.stdout + proc.stderr


def test_a_server_error_reaches_the_player_as_a_fault_without_the_servers_text(tmp_path, keyed_server):
    """Through the proxy, a wrong key is the server's 401: a backend fault with that status, and
    nothing the server sent (it echoes what it was sent) in the record."""
    base, key, _ = keyed_server
    llm = {"backend": "openai", "base_url": base, "model": "m", "api_key_env": "TOURNEY_ISOB_KEY",
           "max_retries": 0, "cache": "off", "request_timeout": 20}
    players = [{"name": "Remote", "type": "llm", "params": llm}, {"name": "Good", "type": "boulware"}]
    _, recs = run(tmp_path, "wrong", players, 1, fmt={"timeout": 60, "both_roles": False},
                  env={"TOURNEY_ISOB_KEY": KEY_PREFIX + "wrong"})
    (record,) = recs
    assert record["status"] == "error" and record["reason"] == "backend" and record["blamed"] == "Remote"
    assert record["backend"]["status"].startswith("HTTP 401")
    assert "wrong key" not in json.dumps(record) and "Bearer" not in json.dumps(record)


# ---------------------------------------------------------------- F8: memory and disk


@root_only
def test_memory_held_by_a_players_children_counts_against_its_limit(tmp_path, clean):
    from tourney import memgroup

    if not memgroup.available():
        pytest.skip("no writable memory cgroup here: each process has only its own limit")
    players = GOOD + [{"name": "ChildHog", "type": "faulty_players.ChildHog"}]
    _, recs = run(tmp_path, "childhog", players, 1, fmt={"memory_mb": 300, "timeout": 20},
                  env={"CHILD_HOG_MB": "150"})
    assert_others_unaffected(recs, clean)
    hog = [r for r in recs if "ChildHog" in r["assignment"].values()]
    assert len(hog) == 4 and all(r["status"] == "error" and r.get("reason") == "memory" and r["blamed"] == "ChildHog"
                                 for r in hog), [(r["status"], r.get("error")) for r in hog]


@root_only
def test_memory_in_dev_shm_counts_and_goes_with_the_host(tmp_path, clean):
    from tourney import memgroup

    if not memgroup.available():
        pytest.skip("no writable memory cgroup here: /dev/shm is bounded by its size only")
    players = GOOD + [{"name": "ShmHog", "type": "faulty_players.ShmHog"}]
    _, recs = run(tmp_path, "shmhog", players, 1, fmt={"memory_mb": 200, "timeout": 20}, env={"SHM_HOG_MB": "400"})
    assert_others_unaffected(recs, clean)
    hog = [r for r in recs if "ShmHog" in r["assignment"].values()]
    assert len(hog) == 4 and all(r["status"] == "error" and r.get("reason") == "memory" for r in hog), \
        [(r["status"], r.get("error")) for r in hog]
    assert not glob.glob("/dev/shm/shmhog-*")


def test_no_file_a_player_writes_grows_past_disk_mb(tmp_path, clean):
    players = GOOD + [{"name": "Writer", "type": "faulty_players.BigWriter"}]
    _, recs = run(tmp_path, "big", players, 1, fmt={"disk_mb": 2}, env={"BIG_WRITER_MB": "5"})
    assert_others_unaffected(recs, clean)
    assert_blamed(recs, {"Writer": "error"})
    assert all("File too large" in r["error"] for r in recs if r["blamed"] == "Writer")


@pytest.mark.parametrize("jobs", [1, 2])
def test_tmp_state_does_not_cross_matches_under_isolation_process(tmp_path, clean, jobs):
    """A player leaving files in /tmp, /var/tmp, /dev/shm and its $TMPDIR can read none of them in its
    next match with a fresh host per match (with -j 2 it may list a concurrent host's, 0600, unreadable);
    they are its own (0600) and gone after the run."""
    if jobs == 2 and os.geteuid() != 0:
        pytest.skip("without root, a concurrent host's files (same user) are readable: nothing to separate them")
    tag = uuid.uuid4().hex[:12]
    players = GOOD + [{"name": "Leaver", "type": "faulty_players.TmpLeaver"}]
    _, recs = run(tmp_path, "strict", players, jobs, fmt={"isolation": "process"}, env={"LEAVER_TAG": tag})
    assert all(r["status"] == "ok" for r in recs), [r.get("error") for r in recs]
    assert_others_unaffected(recs, clean)
    seen = reports(tmp_path / "strict", "leaver")
    assert len(seen) == 4 and not any(s["earlier"] for s in seen)
    if os.geteuid() == 0:
        assert all(mode == "0o600" for s in seen for mode in s["made"].values()), seen
        assert len({s["tmpdir"] for s in seen}) == 4  # a temporary folder of its own per host
    left = [p for d in ("/tmp", "/var/tmp", "/dev/shm") for p in glob.glob(f"{d}/**/leaver-{tag}-*", recursive=True)]
    assert not left


# ---------------------------------------------------------------- F9: what a host may read, what it sees


@root_only
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_player_reads_nothing_of_the_run_or_of_root(tmp_path, clean, jobs):
    """No capability is kept: the live match log, the manifest, the league copy, .inflight, the run
    folder's listing, /root and a root file that others may not read are all refused; the run
    itself works from pytest's 0700 folders (the hosts' group is granted search on them)."""
    private = tmp_path / "private.txt"
    private.write_text("root's")
    private.chmod(0o600)
    players = GOOD + [{"name": "Snoop", "type": "faulty_players.Snoop"}]
    _, recs = run(tmp_path, "snoop", players, jobs, env={"SNOOP_PATHS": str(private)})
    assert all(r["status"] == "ok" for r in recs), [r.get("error") for r in recs]
    assert_others_unaffected(recs, clean)
    seen = reports(tmp_path / "snoop", "snoop")
    assert len(seen) == 4
    for s in seen:
        assert s["uid"] != 0
        assert all(v.startswith("refused") for v in s["verdicts"].values()), s["verdicts"]
        assert {k: int(v, 16) for k, v in s["caps"].items()} == dict.fromkeys(s["caps"], 0), s["caps"]


def test_players_see_no_league_names(tmp_path, clean):
    """Every name and id a negotiator can see (its own, the NMI's, the proposer's) carries the seat's
    role, never a league name; the log keeps the real names."""
    players = GOOD + [{"name": "NameSpy", "type": "faulty_players.NameSpy"}]
    _, recs = run(tmp_path, "names", players, 1)
    assert all(r["status"] == "ok" for r in recs)
    assert_others_unaffected(recs, clean)
    seen = reports(tmp_path / "names", "names")
    assert len(seen) == 4
    text = json.dumps(seen)
    assert not any(name in text for name in ("Good", "Other", "NameSpy")), text
    assert {frozenset(r["assignment"].values()) for r in recs if "NameSpy" in r["assignment"].values()} == \
        {frozenset({"NameSpy", "Good"}), frozenset({"NameSpy", "Other"})}
