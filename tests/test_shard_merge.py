"""Splitting a league by hand (--shard, --max-matches) and `tourney merge`; the group-commit log.

The commands run in-process through click's CliRunner (sequential, -j 1):
on a loaded machine a fresh interpreter per command costs seconds each.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner
from conftest import write_league

from tourney.cli import cli
from tourney.errors import TourneyError
from tourney.store import MatchLog, iter_records


def run_cli(*args: str, check: bool = False) -> SimpleNamespace:
    """`tourney ARGS` in-process, with the exit code and message main() would give a TourneyError."""
    result = CliRunner().invoke(cli, list(args))
    stderr, code = result.stderr, result.exit_code
    if isinstance(result.exception, TourneyError):
        stderr += f"Error: {result.exception}\n"
        code = result.exception.exit_code
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if check and code != 0:
        raise AssertionError(f"tourney {' '.join(args)} exited {code}\n{result.stdout}\n{stderr}")
    return SimpleNamespace(returncode=code, stdout=result.stdout, stderr=stderr)

PLAYERS = [
    {"name": "Boulware", "type": "boulware"},
    {"name": "Conceder", "type": "conceder"},
    {"name": "Linear", "type": "linear"},
]


def _league(tmp_path: Path) -> Path:
    return write_league(tmp_path / "l.yaml", players=PLAYERS, repetitions=2,
                        worlds=[{"type": "bilateral", "params": {"n_steps": 20, "episodes": 1},
                                 "settings": {"zoa": [100, 60]}}])


def _ids(run_dir: Path) -> list[str]:
    return [r["id"] for r in iter_records(run_dir)]


def test_shards_merged_give_the_table_of_one_run(tmp_path):
    league = _league(tmp_path)
    whole = tmp_path / "whole"
    run_cli("run", str(league), "-j", "1", "--out", str(whole), "--quiet", check=True)
    shards = [tmp_path / f"shard{i}" for i in range(3)]
    for i, shard in enumerate(shards):
        run_cli("run", str(league), "-j", "1", "--shard", f"{i}/3", "--out", str(shard), "--quiet", check=True)
    sizes = [len(_ids(s)) for s in shards]
    assert sum(sizes) == len(_ids(whole)) == 3 * 2 * 2 * 2
    assert all(0 < n < sum(sizes) for n in sizes)
    assert not set(_ids(shards[0])) & set(_ids(shards[1]))

    merged = tmp_path / "merged"
    # a shard given twice: its records are duplicates, not conflicts
    proc = run_cli("merge", str(merged), *map(str, shards), str(shards[1]), check=True)
    assert f"{sum(sizes)} new records, {sizes[1]} duplicates dropped, 0 conflicts" in proc.stderr
    ids = _ids(merged)
    assert len(ids) == len(set(ids)) == sum(sizes)
    assert (merged / "scores.csv").read_bytes() == (whole / "scores.csv").read_bytes()
    assert (merged / "pairwise.csv").read_bytes() == (whole / "pairwise.csv").read_bytes()
    report = run_cli("report", str(merged), "--format", "csv", check=True)
    assert report.stdout.strip() == (whole / "scores.csv").read_text().strip()
    # merging again adds nothing
    again = run_cli("merge", str(merged), *map(str, shards), check=True)
    assert "0 new records" in again.stderr
    assert len(_ids(merged)) == sum(sizes)


def test_max_matches_then_resume_completes_the_league(tmp_path):
    league = _league(tmp_path)
    out = tmp_path / "run"
    first = run_cli("run", str(league), "-j", "1", "--max-matches", "5", "--out", str(out), "--quiet", check=True)
    assert "played 5 matches" in first.stderr
    rest = run_cli("run", str(league), "-j", "1", "--out", str(out), "--quiet", check=True)
    assert "played 19 matches" in rest.stderr
    assert len(set(_ids(out))) == 24


def test_conflicting_outcomes_are_reported_and_exit_1(tmp_path):
    league = _league(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    run_cli("run", str(league), "-j", "1", "--max-matches", "4", "--out", str(a), "--quiet", check=True)
    run_cli("run", str(league), "-j", "1", "--max-matches", "4", "--out", str(b), "--quiet", check=True)
    lines = (b / "matches.jsonl").read_text().splitlines()
    tampered = json.loads(lines[2])
    tampered["status"], tampered["blamed_role"] = "error", "buyer"
    lines[2] = json.dumps(tampered)
    (b / "matches.jsonl").write_text("\n".join(lines) + "\n")
    proc = run_cli("merge", str(tmp_path / "m"), str(a), str(b))
    assert proc.returncode == 1, proc.stderr
    assert "1 matches have different outcomes" in proc.stderr
    conflicts = [json.loads(x) for x in (tmp_path / "m" / "merge_conflicts.jsonl").read_text().splitlines()]
    assert [c["id"] for c in conflicts] == [tampered["id"]]
    assert conflicts[0]["kept_from"] == str(a)
    kept = {r["id"]: r for r in iter_records(tmp_path / "m")}
    assert kept[tampered["id"]]["status"] == "ok"  # the first run's record wins


def test_merge_refuses_runs_of_different_leagues(tmp_path):
    league = _league(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    run_cli("run", str(league), "-j", "1", "--max-matches", "2", "--out", str(a), "--quiet", check=True)
    run_cli("run", str(league), "-j", "1", "--max-matches", "2", "--seed", "9", "--out", str(b), "--quiet",
            check=True)
    proc = run_cli("merge", str(tmp_path / "m"), str(a), str(b))
    assert proc.returncode == 1
    assert "seed=9" in proc.stderr


def test_group_commit_flushes_every_record_and_fsyncs_at_most_every_interval(tmp_path, monkeypatch):
    import os

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = tmp_path / "matches.jsonl"
    with MatchLog(path, group_commit_ms=60_000) as log:
        for i in range(50):
            log.append_json({"id": str(i)})
            # flushed: another reader (a process killed now would lose nothing) sees it at once
            assert path.read_bytes().count(b"\n") == i + 1
        assert len(synced) == 1  # the first record; the next fsync is due in a minute
    assert len(synced) == 2  # close syncs the rest
    synced.clear()
    with MatchLog(path) as log:  # the default: fsync per record
        for i in range(5):
            log.append_json({"id": f"x{i}"})
    assert len(synced) == 5


def test_auto_group_commit_shares_fsyncs_between_quick_records_and_still_syncs_a_lone_one(tmp_path, monkeypatch):
    import os
    import time

    from tourney import store

    synced = []

    def slow_fsync(fd):  # a 4 ms disk flush: auto would wait 50 x 4 ms, capped here at 100 ms
        synced.append(time.monotonic())
        time.sleep(0.004)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    monkeypatch.setattr(store, "AUTO_MAX_MS", 100.0)
    path = tmp_path / "matches.jsonl"
    with MatchLog(path, group_commit_ms=store.AUTO) as log:
        started = time.monotonic()
        for i in range(200):  # sub-millisecond records
            log.append_json({"id": str(i)})
            assert path.read_bytes().count(b"\n") == i + 1  # flushed at once all the same
        elapsed = time.monotonic() - started
        # one fsync per 100 ms of appending at most (a loaded machine may stretch the loop)
        assert 1 <= len(synced) <= 2 + elapsed / 0.1 and len(synced) < 100
        quick = len(synced)
        deadline = time.monotonic() + 10.0
        while log._dirty and time.monotonic() < deadline:  # no next record comes:
            time.sleep(0.01)  # the log's own thread fsyncs the waiting ones
        assert len(synced) == quick + 1 and not log._dirty
        for i in range(3):  # records further apart than the interval: one fsync each
            time.sleep(0.15)
            log.append_json({"id": f"slow{i}"})
            assert not log._dirty
        assert len(synced) == quick + 4
    assert len(synced) == quick + 4  # nothing left to sync at close


def test_group_commit_option_takes_milliseconds_or_auto(tmp_path):
    league = Path(__file__).resolve().parents[1] / "leagues" / "smoke.yaml"
    proc = run_cli("run", str(league), "--group-commit", "soon", "--out", str(tmp_path / "r"))
    assert proc.returncode == 2 and "'soon' is neither a number of milliseconds nor 'auto'" in proc.stderr
