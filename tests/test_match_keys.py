"""Match keys cannot collide, scoring never lists a schedule it does not play, and player
modules beside a league file import (in the parent and in loky workers)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from conftest import run_cli, write_league

from tourney.league import load_league
from tourney.report import compute_tables
from tourney.runner import run_league
from tourney.schedule import ScheduleIndex, build_schedule, count_matches


def _two_role_league(tmp_path: Path, names: list[str], **overrides) -> Path:
    players = [{"name": n, "type": "boulware"} for n in names]
    return write_league(tmp_path / "league.yaml", players=players,
                        worlds=[{"type": "bilateral", "params": {"n_steps": 5, "episodes": 1}}], **overrides)


def test_names_with_separators_cannot_make_two_matches_one(tmp_path):
    # Unescaped, buyer=a,seller=b,seller=c and buyer=a,seller=b ... gave two matches one key.
    league = load_league(_two_role_league(tmp_path, ["a,seller=b", "c", "a", "b,seller=c"]))
    schedule = build_schedule(league)
    assert count_matches(league) == len(schedule) == 12
    assert len({m.key for m in schedule}) == len({m.id for m in schedule}) == len({m.seed for m in schedule}) == 12
    summary = run_league(league, tmp_path / "run", jobs=1, backend="sequential", progress=False)
    assert summary.played == 12
    tables = compute_tables(tmp_path / "run", league)
    assert sum(tables.statuses.values()) == tables.expected == 12


def test_plain_names_keep_their_keys(tmp_path):
    # Escaping leaves plain names alone, so existing leagues keep their ids and seeds.
    league = load_league(_two_role_league(tmp_path, ["Boulware", "Café Noir"]))
    keys = sorted(m.key for m in build_schedule(league))
    assert keys == ["bilateral||buyer=Boulware,seller=Café Noir|r0", "bilateral||buyer=Café Noir,seller=Boulware|r0"]


def test_names_are_nfc_normalised_in_the_schedule(tmp_path):
    league = load_league(_two_role_league(tmp_path, ["Cafe\u0301", "B"]))
    assert [p.name for p in league.players] == ["Caf\u00e9", "B"]
    assert all("Caf\u00e9" in m.key for m in build_schedule(league) if "Caf" in m.key)


def test_max_matches_on_a_huge_schedule_plays_and_scores_without_listing_it(tmp_path):
    # 2 assignments x 500,000 repetitions = the 1,000,000-match cap; play 2 of them.
    league = load_league(_two_role_league(tmp_path, ["A", "B"], repetitions=500_000))
    assert count_matches(league) == 1_000_000
    started = time.perf_counter()
    summary = run_league(league, tmp_path / "run", jobs=1, backend="sequential", progress=False, max_matches=2)
    tables = compute_tables(tmp_path / "run", league)
    elapsed = time.perf_counter() - started
    assert summary.played == 2 and sum(tables.statuses.values()) == 2 and tables.expected == 1_000_000
    assert elapsed < 15, f"{elapsed:.1f} s: something walked the whole schedule"


def test_schedule_index_accepts_the_schedules_records_and_refuses_others(tmp_path):
    league = load_league(_two_role_league(tmp_path, ["A", "B"], repetitions=2))
    run_league(league, tmp_path / "run", jobs=1, backend="sequential", progress=False)
    records = [json.loads(x) for x in (tmp_path / "run" / "matches.jsonl").read_text().splitlines()]
    index = ScheduleIndex(league)
    assert all(index.match_of(r).id == r["id"] for r in records)
    edited = load_league(_two_role_league(tmp_path, ["A", "B"], repetitions=2, seed=4))
    assert all(ScheduleIndex(edited).match_of(r) is None for r in records)  # other seed: other ids
    fewer = load_league(_two_role_league(tmp_path, ["A", "B"], repetitions=1))
    assert sum(ScheduleIndex(fewer).match_of(r) is not None for r in records) == 2  # rep 1 is out
    forged = dict(records[0], assignment={"buyer": "A", "seller": "Nobody"})
    assert index.match_of(forged) is None


AGENT = '''
from players.faratin import TimeDependent


class Mine(TimeDependent):
    """A player kept beside its league file."""
'''


def test_player_module_beside_the_league_imports_in_workers_and_report(tmp_path):
    folder = tmp_path / "research"
    folder.mkdir()
    (folder / "myagent_beside.py").write_text(AGENT)
    (folder / "agents").mkdir()
    (folder / "agents" / "other.py").write_text(AGENT)
    write_league(folder / "league.yaml", players=[
        {"name": "Mine", "type": "myagent_beside.Mine"},
        {"name": "ByPath", "type": "agents/other.py:Mine"},
        {"name": "Conceder", "type": "conceder"},
    ], worlds=[{"type": "bilateral", "params": {"n_steps": 10, "episodes": 1}}])
    out = tmp_path / "out"
    # cwd and PYTHONPATH are elsewhere: only the league's folder can make these import
    proc = run_cli("run", str(folder / "league.yaml"), "-j", "2", "--out", str(out), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(x) for x in (out / "matches.jsonl").read_text().splitlines()]
    assert len(records) == 6 and {r["status"] for r in records} == {"ok"}, [r.get("error") for r in records]
    report = run_cli("report", str(out), cwd=tmp_path)
    assert report.returncode == 0 and "ByPath" in report.stdout and "Mine" in report.stdout, report.stderr
