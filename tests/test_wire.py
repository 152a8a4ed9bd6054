"""What a player's host sends its supervisor cannot run code, block it, or forge a result or blame.

Unit tests of tourney.wire, then the real CLI on loky -j 1 (the runner
supervises the host itself) and -j 2 with players from tests/forging_players.py.
"""

from __future__ import annotations

import os
import pickle
import socket
import struct
import time

import numpy as np
import pytest
from conftest import open_to_hosts
from test_isolation import GOOD, run

from tourney import wire


class _Evil:
    def __reduce__(self):
        return (os.system, ("true",))


class _EvilFloat(float):
    def __reduce__(self):
        return (os.system, ("true",))


def test_loads_refuses_any_global():
    for payload in (pickle.dumps(_Evil()), pickle.dumps((1, {"x": _EvilFloat(2.0)})), pickle.dumps(np.float64(1))):
        with pytest.raises(wire.WireError, match="malformed reply"):
            wire.loads(payload)


def test_dumps_turns_objects_into_builtins_the_reader_accepts():
    value = {"a": _EvilFloat(1.5), "b": np.float64(2.0), "c": (1, [np.arange(3)]), "d": {3, 1}, 4: None,
             "e": object()}
    back = wire.loads(wire.dumps(value))
    assert back["a"] == 1.5 and type(back["a"]) is float
    assert back["b"] == 2.0 and type(back["b"]) is float
    assert back["c"] == (1, [[0, 1, 2]]) and back["d"] == [1, 3] and back[4] is None
    assert back["e"].startswith("<object object")


def test_read_frame_caps_size_and_time():
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(struct.pack("!i", 0x7FFFFFFF))
        started = time.monotonic()
        with pytest.raises(wire.WireError, match="announced"):
            wire.read_frame(ours.fileno(), time.monotonic() + 5)
        assert time.monotonic() - started < 1  # refused from the header, nothing read
        theirs.sendall(struct.pack("!i", 1000) + b"x" * 10)
        started = time.monotonic()
        with pytest.raises(wire.WireError, match="stalled after 10 of 1000"):
            wire.read_frame(ours.fileno(), time.monotonic() + 0.5)
        assert 0.4 < time.monotonic() - started < 3
    finally:
        ours.close()
        theirs.close()


def test_read_frame_reads_what_a_connection_sends_and_sees_the_end():
    from multiprocessing.connection import Connection

    ours, theirs = socket.socketpair()
    sender = Connection(theirs.detach())
    sender.send_bytes(wire.dumps((7, {"status": "ok"})))
    assert wire.loads(wire.read_frame(ours.fileno(), time.monotonic() + 5)) == (7, {"status": "ok"})
    sender.close()
    with pytest.raises(EOFError):
        wire.read_frame(ours.fileno(), time.monotonic() + 5)
    ours.close()


def _faults_of(recs: list[dict], name: str) -> list[dict]:
    return [r for r in recs if name in r["assignment"].values()]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_pickle_on_the_connection_runs_nothing_and_is_the_senders_fault(tmp_path, jobs, monkeypatch):
    markers = tmp_path / "markers"
    markers.mkdir()
    open_to_hosts(markers)  # the host runs as a user of its own under root: it must be able to try
    players = GOOD + [{"name": "Injector", "type": "forging_players.PickleInjector"}]
    _, recs = run(tmp_path, "inject", players, jobs, env={"FORGING_MARKER_DIR": str(markers)})
    assert not (markers / "pickle-injected").exists()
    hostile = _faults_of(recs, "Injector")
    assert len(hostile) == 4 and all(r["status"] == "error" and r["blamed"] == "Injector"
                                     and r["reason"] == "tampering" for r in hostile)
    assert all(r["status"] == "ok" for r in recs if r not in hostile)


@pytest.mark.parametrize("player", ["HugeHeader", "HalfFrame"])
def test_a_forged_frame_header_does_not_block_the_run(tmp_path, player):
    players = GOOD + [{"name": "Framer", "type": f"forging_players.{player}"}]
    _, recs = run(tmp_path, "frame", players, 1, bound=90)
    hostile = _faults_of(recs, "Framer")
    assert len(hostile) == 4 and all(r["status"] == "error" and r["blamed"] == "Framer"
                                     and r["reason"] == "tampering" for r in hostile)
    assert len(recs) == 6 and all(r["status"] == "ok" for r in recs if r not in hostile)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_record_sent_from_inside_a_players_call_is_its_fault_not_its_score(tmp_path, jobs):
    players = GOOD + [{"name": "Forger", "type": "forging_players.RecordForger"}]
    _, recs = run(tmp_path, "forge", players, jobs)
    hostile = _faults_of(recs, "Forger")
    assert len(hostile) == 4 and all(r["status"] == "error" and r["blamed"] == "Forger" for r in hostile)
    assert all(r["status"] == "ok" and max(v["utility"] for v in r["roles"].values()) <= 1.0
               for r in recs if r not in hostile)


@pytest.mark.parametrize("player", ["TimeoutForger", "PlayerFaultForger", "WorldErrorVoider"])
def test_an_exception_a_player_raises_is_its_fault_whatever_it_names(tmp_path, player):
    players = GOOD + [{"name": "Liar", "type": f"forging_players.{player}"}]
    _, recs = run(tmp_path, "liar", players, 1)
    hostile = _faults_of(recs, "Liar")
    assert len(hostile) == 4 and all(r["status"] != "ok" and r["blamed"] == "Liar" for r in hostile)


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("player", ["LibcPickleInjector", "LibcHugeHeader"])
def test_past_the_guards_a_forged_frame_still_runs_nothing_and_blocks_nothing(tmp_path, jobs, player):
    """Through ctypes the write is not refused: the reader still runs no code, waits no longer than its limit,
    and the match never scores; no innocent is blamed (bytes written past the guards name no writer: void)."""
    markers = tmp_path / "markers"
    markers.mkdir()
    open_to_hosts(markers)
    players = GOOD + [{"name": "Framer", "type": f"forging_players.{player}"}]
    _, recs = run(tmp_path, "libc", players, jobs, bound=150, env={"FORGING_MARKER_DIR": str(markers)})
    assert not (markers / "pickle-injected").exists()
    hostile = _faults_of(recs, "Framer")
    assert len(recs) == 6 and len(hostile) == 4
    assert all(r["status"] != "ok" and r["blamed"] in ("Framer", None) for r in hostile), \
        [(r["assignment"], r["status"], r["blamed"], (r.get("error") or "")[:120]) for r in hostile]
    assert all(r["status"] == "ok" for r in recs if r not in hostile)
