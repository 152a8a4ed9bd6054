"""The runner end to end through the CLI: determinism, resume after kill -9, faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import ROOT, TOURNEY, open_to_hosts, run_cli, write_league
from faulty_players import Hostage

PLAYERS = [
    {"name": "Boulware", "type": "boulware"},
    {"name": "Conceder", "type": "conceder"},
    {"name": "RandomTFT", "type": "random-tft"},
    {"name": "Random", "type": "random"},
    {"name": "Aspiration", "type": "negmas.sao.AspirationNegotiator"},
]


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "matches.jsonl").read_text().splitlines()]


def test_same_table_with_one_and_two_jobs(tmp_path):
    league = write_league(tmp_path / "l.yaml", players=PLAYERS, repetitions=2,
                          worlds=[{"type": "bilateral", "params": {"n_steps": 30, "episodes": 2},
                                   "settings": {"zoa": [100, 60]}}])
    run_cli("run", str(league), "-j", "1", "--out", str(tmp_path / "one"), "--quiet", check=True)
    run_cli("run", str(league), "-j", "2", "--out", str(tmp_path / "two"), "--quiet", check=True)
    one = (tmp_path / "one" / "scores.csv").read_bytes()
    assert one == (tmp_path / "two" / "scores.csv").read_bytes()
    assert (tmp_path / "one" / "pairwise.csv").read_bytes() == (tmp_path / "two" / "pairwise.csv").read_bytes()
    assert len(_records(tmp_path / "one")) == 5 * 4 * 2 * 2


def test_resume_after_kill_gives_the_same_table(tmp_path):
    # A Hostage (a Boulware whose first move ever blocks until its worker dies)
    # holds one match open: the run provably cannot finish before the kill.
    claims = tmp_path / "claims"
    claims.mkdir()
    open_to_hosts(claims)  # the Hostage writes here from a player host, which runs as a user of its own
    hostage = {"name": "Hostage", "type": "faulty_players.Hostage",
               "params": {"beta": 0.1, "claim_dir": str(claims)}}
    league = write_league(tmp_path / "l.yaml", players=[*PLAYERS[1:], hostage], repetitions=6,
                          worlds=[{"type": "bilateral", "params": {"n_steps": 200, "episodes": 3}}],
                          format={"timeout": 600})
    (claims / Hostage.CLAIM).touch()  # the reference run: the Hostage plays every match
    reference = tmp_path / "reference"
    run_cli("run", str(league), "-j", "2", "--out", str(reference), "--quiet", check=True)
    expected = len(_records(reference))
    (claims / Hostage.CLAIM).unlink()

    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([*TOURNEY, "run", str(league), "-j", "2", "--out", str(killed), "--quiet"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    log = killed / "matches.jsonl"
    try:
        deadline = time.monotonic() + 240
        while proc.poll() is None and time.monotonic() < deadline:
            held = (claims / Hostage.PLAYING).exists()
            if held and log.exists() and len(log.read_bytes().splitlines()) >= expected // 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"the run ended (code {proc.returncode}) before the kill: {proc.stderr.read()}"
        assert (claims / Hostage.PLAYING).exists(), "the Hostage never started playing"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, mid-run
        proc.wait()
        proc.stderr.close()
    partial = len(_records(killed))
    assert expected // 3 <= partial < expected, partial  # the Hostage's match is not among them
    # a torn last line, as if the kill had come mid-write
    with log.open("ab") as fh:
        fh.write(b'{"id": "torn')
    run_cli("run", str(league), "-j", "2", "--out", str(killed), "--quiet", check=True)
    ids = [r["id"] for r in _records(killed)]
    assert len(ids) == len(set(ids)) == expected
    assert (killed / "scores.csv").read_bytes() == (reference / "scores.csv").read_bytes()


def test_rerun_plays_nothing_and_fresh_starts_over(tmp_path):
    league = write_league(tmp_path / "l.yaml")
    out = tmp_path / "run"
    first = run_cli("run", str(league), "--out", str(out), "--quiet", check=True)
    assert "played 2 matches" in first.stderr
    again = run_cli("run", str(league), "--out", str(out), "--quiet", check=True)
    assert "played" not in again.stderr
    assert len(_records(out)) == 2
    fresh = run_cli("run", str(league), "--out", str(out), "--quiet", "--fresh", check=True)
    assert "played 2 matches" in fresh.stderr
    assert len(_records(out)) == 2


def test_faulty_players_lose_their_matches_and_the_tournament_goes_on(tmp_path):
    players = [
        {"name": "Good", "type": "boulware"},
        {"name": "Other", "type": "conceder"},
        {"name": "Raiser", "type": "faulty_players.Raiser"},
        {"name": "Sleeper", "type": "faulty_players.Sleeper"},
        {"name": "Wild", "type": "faulty_players.OutOfRange"},
    ]
    league = write_league(tmp_path / "l.yaml", players=players,
                          format={"timeout": 2}, scoring={"max_failures": 1.0, "error_score": -1.0})
    out = tmp_path / "run"
    proc = run_cli("run", str(league), "-j", "2", "--out", str(out), "--quiet", timeout=240)
    assert proc.returncode == 0, proc.stderr
    records = _records(out)
    assert len(records) == 5 * 4
    faulty = {"Raiser": "error", "Sleeper": "timeout", "Wild": "error"}
    for r in records:
        involved = set(r["assignment"].values()) & set(faulty)
        if not involved:
            assert r["status"] == "ok", r
            continue
        if len(involved) == 1:
            (bad,) = involved
            # The buyer opens, so a faulty seller facing a faulty buyer never gets a turn.
            assert r["status"] == faulty[bad], r
            assert r["blamed"] == bad, r
    raiser = [r for r in records if r["blamed"] == "Raiser"]
    assert raiser and all("Raiser always fails to propose" in r["error"] for r in raiser)
    wild = [r for r in records if r["blamed"] == "Wild"]
    assert wild and all("outside the price issue" in r["error"] for r in wild)
    sleeper = [r for r in records if r["blamed"] == "Sleeper"]
    # it would sleep 10,000 s; the bound (vs a 2 s limit) leaves room for a loaded machine
    assert sleeper and all(r["duration"] < 60 for r in sleeper), [r["duration"] for r in sleeper]
    scores = {line.split(",")[1]: line for line in (out / "scores.csv").read_text().splitlines()[1:]}
    assert scores["Raiser"].split(",")[2] == "-1.000000"  # error_score for every match it broke
    good = [r for r in records if set(r["assignment"].values()) == {"Good", "Other"}]
    assert all(r["status"] == "ok" for r in good)


def test_too_many_failures_exit_1_but_keep_the_results(tmp_path):
    players = [{"name": "Good", "type": "boulware"}, {"name": "Raiser", "type": "faulty_players.Raiser"}]
    league = write_league(tmp_path / "l.yaml", players=players, scoring={"max_failures": 0.1})
    proc = run_cli("run", str(league), "--out", str(tmp_path / "run"), "--quiet")
    assert proc.returncode == 1
    assert "matches failed" in proc.stderr
    assert len(_records(tmp_path / "run")) == 2
    assert (tmp_path / "run" / "scores.csv").exists()


def test_retry_failed_replays_only_the_failed_matches(tmp_path):
    players = [{"name": "Good", "type": "boulware"}, {"name": "Other", "type": "conceder"},
               {"name": "Flaky", "type": "faulty_players.FailsWhenTold"}]
    league = write_league(tmp_path / "l.yaml", players=players, scoring={"max_failures": 1.0})
    out = tmp_path / "run"
    run_cli("run", str(league), "--out", str(out), "--quiet", env={"FAIL_NOW": "1"}, check=True)
    first = {r["id"]: r for r in _records(out)}
    failed = {i for i, r in first.items() if r["status"] != "ok"}
    assert len(failed) == 4 and all(first[i]["blamed"] == "Flaky" for i in failed)
    again = run_cli("run", str(league), "--out", str(out), "--quiet", "--retry-failed", check=True)
    assert "played 4 matches" in again.stderr
    records = _records(out)
    assert len(records) == 6 and all(r["status"] == "ok" for r in records)
    assert {r["id"] for r in records} == set(first)
    kept = {r["id"]: r for r in records if r["id"] not in failed}
    assert all(kept[i] == first[i] for i in kept)  # the good records are untouched


def test_worker_killed_by_the_os_does_not_end_the_run(tmp_path):
    players = [{"name": "Good", "type": "boulware"}, {"name": "Other", "type": "conceder"},
               {"name": "Suicide", "type": "faulty_players.Suicide"}]
    league = write_league(tmp_path / "l.yaml", players=players, scoring={"max_failures": 1.0})
    out = tmp_path / "run"
    proc = run_cli("run", str(league), "-j", "2", "--out", str(out), "--quiet", timeout=240)
    assert proc.returncode == 0, proc.stderr
    records = _records(out)
    assert len(records) == 6
    for r in records:
        if "Suicide" in r["assignment"].values():
            assert r["status"] == "crashed"
        else:
            assert r["status"] == "ok"
