"""Short matches share a task (``--batch``, tourney.runner.BatchSizer): same records, same blame.

A batch goes to the worker and its player host in one message and comes back
in one reply (``Supervisor.play_batch``); each match keeps its own clock,
memory watch, blame and output. These tests play the same leagues with one
match a task and with batches, on loky ``-j 1`` and ``-j 2``, and compare.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write_league
from tourney.league import load_league
from tourney.records import MatchRecord
from tourney.runner import BATCH_MAX, BATCH_TARGET_S, BatchSizer, run_league

GOOD = [{"name": "Boulware", "type": "boulware"}, {"name": "Conceder", "type": "conceder"},
        {"name": "Linear", "type": "linear"}]
SHORT = [{"type": "bilateral", "params": {"n_steps": 10, "episodes": 1}, "settings": {"zoa": [100, 10]}}]


def play(tmp_path: Path, name: str, players: list[dict], jobs: int, batch: int | str, reps: int = 3,
         timeout: float = 60) -> dict[str, dict]:
    """The league's records by match id, played by ``run_league`` in this process (the runner's own)."""
    path = write_league(tmp_path / f"{name}.yaml", name=name, players=players, worlds=SHORT, repetitions=reps,
                        format={"timeout": timeout}, scoring={"max_failures": 1.0, "error_score": -1.0})
    out = tmp_path / name
    summary = run_league(load_league(path), out, jobs=jobs, backend="loky", fresh=True, progress=False, batch=batch)
    recs = [json.loads(line) for line in (out / "matches.jsonl").read_text().splitlines()]
    assert len({r["id"] for r in recs}) == len(recs) == summary.total
    return {r["id"]: r for r in recs}


def timeless(value):
    """``value`` without the wall-clock fields (``seconds`` an episode took)."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def outcome(r: dict) -> tuple:
    return (r["status"], r.get("blamed"), r.get("blamed_role"), r.get("roles"), r.get("metrics"),
            timeless(r.get("details")), r.get("output"))


@pytest.fixture(scope="module")
def unbatched(tmp_path_factory):
    return play(tmp_path_factory.mktemp("unbatched"), "short", GOOD, 1, 1)


@pytest.mark.parametrize("jobs,batch", [(1, 8), (2, 8), (1, "auto"), (2, "auto")])
def test_batching_changes_no_record(tmp_path, unbatched, jobs, batch):
    recs = play(tmp_path, "short", GOOD, jobs, batch)
    assert recs.keys() == unbatched.keys()
    assert all(outcome(recs[i]) == outcome(unbatched[i]) for i in unbatched)
    assert all(r["status"] == "ok" for r in recs.values())


def test_the_score_table_is_the_same_with_and_without_batches(tmp_path):
    from click.testing import CliRunner

    from tourney.cli import cli
    from tourney.report import compute_tables, write_tables

    tables = []
    for jobs, batch in ((1, 1), (2, 8)):
        play(tmp_path, f"b{batch}", GOOD, jobs, batch, reps=2)
        write_tables(tmp_path / f"b{batch}", compute_tables(tmp_path / f"b{batch}"))
        tables.append((tmp_path / f"b{batch}" / "scores.csv").read_text())
    assert tables[0] == tables[1]
    bad = CliRunner().invoke(cli, ["run", str(tmp_path / "b1.yaml"), "--batch", "0"])
    assert bad.exit_code == 2 and "N >= 1" in bad.output


def test_each_match_of_a_batch_keeps_its_own_output(tmp_path):
    players = [*GOOD[:2], {"name": "Printer", "type": "faulty_players.Printer"}]
    alone = play(tmp_path, "alone", players, 1, 1)
    printing = [r for r in alone.values() if "Printer" in r["assignment"].values()]
    assert len(printing) == 24 and all(r["output"].count("proposes") >= 1 for r in printing)
    for jobs in (1, 2):
        batched = play(tmp_path, f"batched{jobs}", players, jobs, 16)
        for match_id, r in alone.items():
            assert batched[match_id].get("output") == r.get("output"), r["assignment"]
            assert ("Printer" in r["assignment"].values()) == bool(r.get("output"))


# Each hostile player faults in some of its matches (the same ones in every run, by the match's seed):
# in batches of 16 each batch holds faulty matches among innocent ones and clean ones of the same player.
HOSTILE = {"Raiser": ("raise", "error"), "Exiter": ("exit", "crashed"), "Sleeper": ("sleep", "timeout")}


def hostile_players(*names: str) -> list[dict]:
    return [*GOOD[:2], *({"name": n, "type": "faulty_players.Erratic", "params": {"fault": HOSTILE[n][0], "rate": 0.4}}
                         for n in names)]


def assert_same_outcomes(batched: dict[str, dict], alone: dict[str, dict]) -> None:
    assert batched.keys() == alone.keys()
    statuses = {r["status"] for r in batched.values()}
    for match_id, r in batched.items():
        assert outcome(r) == outcome(alone[match_id]), (r["assignment"], r["status"], alone[match_id]["status"])
        if r["status"] != "ok":
            assert r["blamed"] in HOSTILE, r
            if len(set(r["assignment"].values()) & HOSTILE.keys()) == 1:
                assert r["status"] == HOSTILE[r["blamed"]][1], r
    assert "ok" in statuses and len(statuses) > 1


def test_a_fault_inside_a_batch_is_blamed_and_the_rest_of_the_batch_is_played(tmp_path):
    players = hostile_players("Raiser", "Exiter", "Sleeper")
    alone = play(tmp_path, "alone", players, 1, 1, reps=1, timeout=1)
    batched = play(tmp_path, "batched", players, 1, 16, reps=1, timeout=1)
    assert {r["status"] for r in batched.values()} == {"ok", "error", "crashed", "timeout"}
    assert_same_outcomes(batched, alone)


def test_a_fault_inside_a_batch_on_two_workers(tmp_path):
    players = hostile_players("Raiser", "Exiter")
    alone = play(tmp_path, "alone", players, 1, 1, reps=1)
    batched = play(tmp_path, "batched", players, 2, 16, reps=1)
    assert {r["status"] for r in batched.values()} == {"ok", "error", "crashed"}
    assert_same_outcomes(batched, alone)


def _record(duration: float) -> MatchRecord:
    return MatchRecord(id="x", key="", world="w", world_type="w", world_index=0, setting={}, assignment={},
                       rep=0, seed=0, duration=duration)


def test_the_batch_size_follows_the_measured_match_length():
    sizer = BatchSizer()
    assert sizer.size() == 1  # nothing measured yet
    sizer.observe(_record(2.0))  # a fresh host's first match
    for _ in range(30):
        sizer.observe(_record(0.001))
    assert sizer.size() == min(BATCH_MAX, round(BATCH_TARGET_S / 0.001))
    for _ in range(60):
        sizer.observe(_record(0.5))
    assert sizer.size() == 1  # long matches go alone
    assert sizer.worker_died()  # a batch of several was handed out
    for _ in range(30):
        sizer.observe(_record(0.001))
    assert sizer.size() == 1 and not sizer.worker_died()  # after a worker death: one match a task
    assert BatchSizer(5).size() == 5
    with pytest.raises(ValueError):
        BatchSizer(0)
    assert [len(b) for b in BatchSizer(4).batches(iter(range(10)))] == [4, 4, 2]
