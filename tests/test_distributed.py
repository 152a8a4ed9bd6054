"""Runs on dask: a real cluster (`dask scheduler` + two `dask worker` processes on
127.0.0.1), a local cluster and ray (both marked slow). Same table as loky,
faults isolated, a worker killed with kill -9 mid-run costs nothing but time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, TOURNEY, run_cli, write_league

from tourney.cli import cli

pytest.importorskip("distributed", reason="the dask tests need the [dask] extra")

DASK_CLI = str(Path(sys.executable).parent / "dask")  # the standard `dask scheduler` / `dask worker` commands
SMOKE = ROOT / "leagues" / "smoke.yaml"
SMOKE_MATCHES = 48


def _env() -> dict:
    # the workers import the test players (faulty_players) by dotted path
    return {**os.environ, "PYTHONPATH": str(ROOT / "tests") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler and two one-thread workers on free ports; torn down even if a test fails."""
    base = tmp_path_factory.mktemp("dask")
    scheduler_file = base / "scheduler.json"
    procs: list[subprocess.Popen] = []
    logs = []

    def start(cmd: list[str], name: str) -> None:
        log = (base / f"{name}.log").open("wb")
        logs.append(log)
        procs.append(subprocess.Popen(cmd, cwd=base, env=_env(), stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True))

    try:
        # port 0: the OS picks a free port; the scheduler file tells the workers and us which
        start([DASK_CLI, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
               "--scheduler-file", str(scheduler_file)], "scheduler")
        deadline = time.monotonic() + 90
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler_file.exists(), (base / "scheduler.log").read_text()
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(2):
            start([DASK_CLI, "worker", address, "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1",
                   "--no-dashboard", "--local-directory", str(base / f"w{i}")], f"worker{i}")
        # wait until both workers have registered
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            registered = sum((base / f"worker{i}.log").read_text().count("Registered to:") for i in range(2))
            if registered >= 2:
                break
            time.sleep(0.2)
        else:
            pytest.fail("dask workers did not register:\n" + (base / "worker0.log").read_text())
        yield address
    finally:
        _stop(procs)
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def loky_smoke(tmp_path_factory) -> Path:
    """The smoke league on loky -j 1 (in-process: it is the plain sequential loop)."""
    out = tmp_path_factory.mktemp("loky") / "run"
    result = CliRunner().invoke(cli, ["run", str(SMOKE), "-j", "1", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "matches.jsonl").read_text().splitlines()]


def test_smoke_league_on_a_dask_cluster_matches_loky(dask_cluster, loky_smoke, tmp_path):
    out = tmp_path / "dask"
    run_cli("run", str(SMOKE), "--backend", "dask", "--address", dask_cluster, "--out", str(out), "--quiet",
            check=True)
    records = _records(out)
    assert len(records) == len({r["id"] for r in records}) == SMOKE_MATCHES
    assert len({r["pid"] for r in records}) == 2  # both workers played
    assert (out / "scores.csv").read_bytes() == (loky_smoke / "scores.csv").read_bytes()
    assert (out / "pairwise.csv").read_bytes() == (loky_smoke / "pairwise.csv").read_bytes()


def test_a_match_that_keeps_killing_dask_workers_is_recorded_as_crashed(dask_cluster, tmp_path):
    # dask gives up on the task (KilledWorker) after its workers died 4 times;
    # joblib's own dask backend would then wait forever (see runner._register_dask_backend)
    players = [{"name": "Good", "type": "boulware"}, {"name": "Suicide", "type": "faulty_players.Suicide"}]
    league = write_league(tmp_path / "l.yaml", players=players, scoring={"max_failures": 1.0})
    out = tmp_path / "run"
    run_cli("run", str(league), "--backend", "dask", "--address", dask_cluster, "--out", str(out), "--quiet",
            check=True, timeout=240)
    records = _records(out)
    assert sorted(r["assignment"]["buyer"] for r in records) == ["Good", "Suicide"]
    assert all(r["status"] == "crashed" for r in records), records
    assert all("KilledWorker" in r["error"] or "workers died" in r["error"] for r in records)


@pytest.mark.slow  # ~30 s on a loaded 2-core machine: starting a LocalCluster dominates
def test_local_dask_cluster_with_two_workers_matches_loky(loky_smoke, tmp_path):
    out = tmp_path / "local"
    run_cli("run", str(SMOKE), "--backend", "dask", "-j", "2", "--out", str(out), "--quiet", check=True)
    assert (out / "scores.csv").read_bytes() == (loky_smoke / "scores.csv").read_bytes()
    assert json.loads((out / "manifest.json").read_text())["backend"] == "dask"


def test_faulty_players_on_dask_lose_their_matches(dask_cluster, tmp_path):
    # dask runs a task in a worker thread: no SIGALRM there, so the hang is
    # stopped by the thread path of the time limit (Sleeper blocks in C, in time.sleep)
    players = [
        {"name": "Good", "type": "boulware"},
        {"name": "Raiser", "type": "faulty_players.Raiser"},
        {"name": "Sleeper", "type": "faulty_players.Sleeper"},
        {"name": "Wild", "type": "faulty_players.OutOfRange"},
    ]
    league = write_league(tmp_path / "l.yaml", players=players, format={"timeout": 2},
                          scoring={"max_failures": 1.0, "error_score": -1.0})
    out = tmp_path / "run"
    run_cli("run", str(league), "--backend", "dask", "--address", dask_cluster, "--out", str(out), "--quiet",
            check=True, timeout=240)
    records = _records(out)
    assert len(records) == 4 * 3
    faulty = {"Raiser": "error", "Sleeper": "timeout", "Wild": "error"}
    for r in records:
        buyer = r["assignment"]["buyer"]
        # the buyer opens: a faulty buyer is always the one at fault
        bad = buyer if buyer in faulty else r["assignment"]["seller"]
        assert r["status"] == faulty[bad], r
        assert r["blamed"] == bad, r
    sleeper = [r for r in records if r["blamed"] == "Sleeper"]
    assert len(sleeper) >= 3
    assert all(r["duration"] < 10 for r in sleeper)
    assert all("thread was abandoned" in r["error"] for r in sleeper)
    wild = [r for r in records if r["blamed"] == "Wild"]
    assert wild and all("outside the price issue" in r["error"] for r in wild)
    scores = {line.split(",")[1]: line.split(",") for line in (out / "scores.csv").read_text().splitlines()[1:]}
    assert scores["Sleeper"][2] == "-1.000000"


def test_a_worker_killed_mid_run_loses_nothing_and_duplicates_nothing(dask_cluster, loky_smoke, tmp_path):
    out = tmp_path / "killed"
    log = out / "matches.jsonl"
    inflight = out / ".inflight"  # RUN_DIR/.inflight/<match id> holds the pid of the worker playing it
    proc = subprocess.Popen([*TOURNEY, "run", str(SMOKE), "--backend", "dask", "--address", dask_cluster,
                             "--out", str(out), "--quiet"], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        victim = lost = None
        while time.monotonic() < deadline and proc.poll() is None and victim is None:
            done = log.read_text().count("\n") if log.exists() else 0
            if done >= 4:
                for marker in inflight.glob("*") if inflight.exists() else []:
                    try:
                        victim, lost = int(marker.read_text()), marker.name
                        break
                    except (OSError, ValueError):  # finished meanwhile, or being written
                        continue
            time.sleep(0.01)
        assert victim is not None, "no match caught in flight"
        before = log.read_text().count("\n")
        os.kill(victim, signal.SIGKILL)  # the worker playing match `lost`; its nanny starts a new one
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, stderr
    assert 0 < before < SMOKE_MATCHES
    records = _records(out)
    ids = Counter(r["id"] for r in records)
    assert len(ids) == SMOKE_MATCHES and max(ids.values()) == 1
    assert all(r["status"] == "ok" for r in records)
    # The marker is removed before a match returns, so the match was still being
    # played when its marker was read, microseconds before the kill: it was lost
    # with its worker and played again by another.
    replayed = next(r for r in records if r["id"] == lost)
    assert replayed["pid"] != victim
    assert (out / "scores.csv").read_bytes() == (loky_smoke / "scores.csv").read_bytes()


@pytest.mark.slow  # ray starts a whole local cluster (gcs, raylet, workers): ~50 s here
def test_smoke_league_on_ray_matches_loky(loky_smoke, tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "ray"
    run_cli("run", str(SMOKE), "--backend", "ray", "-j", "2", "--out", str(out), "--quiet", check=True,
            timeout=600)
    assert (out / "scores.csv").read_bytes() == (loky_smoke / "scores.csv").read_bytes()


@pytest.mark.slow
def test_faulty_players_on_ray_lose_their_matches(tmp_path):
    # ray runs a task on its worker's main thread: the alarm signal stops even the Sleeper's C sleep
    pytest.importorskip("ray")
    players = [{"name": "Good", "type": "boulware"}, {"name": "Raiser", "type": "faulty_players.Raiser"},
               {"name": "Sleeper", "type": "faulty_players.Sleeper"}]
    league = write_league(tmp_path / "l.yaml", players=players, format={"timeout": 2},
                          scoring={"max_failures": 1.0})
    out = tmp_path / "run"
    run_cli("run", str(league), "--backend", "ray", "-j", "2", "--out", str(out), "--quiet", check=True,
            timeout=600)
    records = _records(out)
    assert len(records) == 6
    for r in records:
        buyer = r["assignment"]["buyer"]
        bad = buyer if buyer != "Good" else r["assignment"]["seller"]
        assert r["blamed"] == bad, r
        assert r["status"] == {"Raiser": "error", "Sleeper": "timeout"}[bad], r
        assert r["duration"] < 10
