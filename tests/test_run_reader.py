"""``tourney.run_reader``: a run directory read as the league it played and typed match records."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli, write_league

from tourney.errors import RunDirError
from tourney.records import MatchRecord
from tourney.run_reader import read_run

# A player module beside the league file; the reader must not need it once the run is over.
PLAYER_MODULE = '''
from players.faratin import TimeDependent


class LocalBoulware(TimeDependent):
    plays = {"bilateral": ("buyer", "seller")}
'''


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("reader")
    (root / "localplayer.py").write_text(PLAYER_MODULE)
    league = write_league(root / "league.yaml", seed=3, repetitions=1,
                          players=[{"name": "Local", "type": "localplayer.LocalBoulware", "params": {"beta": 0.2}},
                                   {"name": "Conceder", "type": "conceder"}])
    out = root / "run"
    run_cli("run", str(league), "--out", str(out), "-j", "1", "--seed", "11", "--reps", "2", "--quiet", check=True)
    (root / "localplayer.py").unlink()  # reading the run imports no player module
    return out


def test_the_league_as_played_and_typed_records(run_dir):
    run = read_run(run_dir)
    assert (run.seed, run.league.repetitions) == (11, 2)  # the run's overrides, not the file's 3 and 1
    assert run.manifest["seed"] == 11
    assert run.player_types() == {"Local": "localplayer.LocalBoulware", "Conceder": "conceder"}
    assert run.roles("Local", 0) == ("buyer", "seller")
    assert dict(run.players[0].params) == {"beta": 0.2}
    assert dict(run.players[1].params) == {"beta": 20.0}  # the short name's preset
    assert run.world_params("bilateral") == {"n_steps": 30, "episodes": 1}
    assert run.world_params("emarket") == {}
    records = list(run.records())
    assert len(records) == 4 and all(isinstance(r, MatchRecord) for r in records)  # 2 pairings x 2 reps
    assert {r.rep for r in records} == {0, 1} and all(r.world_type == "bilateral" for r in records)
    assert list(run.records("emarket")) == [] and list(run.records(ok=False)) == []
    assert [r.id for r in run.records("bilateral", ok=True)] == [r.id for r in records]


def test_duplicates_and_lines_that_are_not_records_are_skipped_and_counted(run_dir, tmp_path):
    from tourney.run_reader import RecordReader

    log = (run_dir / "matches.jsonl").read_text().splitlines()
    first = json.loads(log[0])
    broken = {k: v for k, v in first.items() if k != "key"}  # a log line, but not a record
    lines = log + [log[0], json.dumps(broken), "{not json", json.dumps({**first, "id": "x", "status": "lost"})]
    path = tmp_path / "matches.jsonl"
    path.write_text("\n".join(lines) + "\n")
    reader = RecordReader(path)
    assert [r.id for r in reader] == [json.loads(line)["id"] for line in log]
    assert reader.unreadable == 3


def test_a_directory_without_a_league_copy_is_not_a_run(tmp_path):
    with pytest.raises(RunDirError, match="not a run directory"):
        read_run(tmp_path)
