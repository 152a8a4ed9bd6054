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
from conftest import ROOT, TOURNEY, open_to_hosts, run_cli, write_league

from faulty_players import Hostage

from tourney.cli import cli

pytest.importorskip("distributed", reason="the dask tests need the [dask] extra")

SMOKE = ROOT / "leagues" / "smoke.yaml"
SMOKE_MATCHES = 48
N_WORKERS = 2
START_ATTEMPTS = 2  # a cluster that fails to come up is started once more, from scratch
SCHEDULER_WAIT_S = 90  # on a loaded 2-core machine importing distributed alone can take 10 s
WORKERS_WAIT_S = 120
SLEEPER_BOUND_S = 60  # a match the time limit stopped (2 s + 2 s grace) vs the Sleeper's 10,000 s sleep


def _dask_command(kind: str) -> list[str]:
    """`dask scheduler` / `dask worker`, through this interpreter so no PATH or script lookup can miss."""
    script = Path(sys.executable).parent / "dask"
    if script.exists():
        return [str(script), kind]
    return [sys.executable, "-m", f"distributed.cli.dask_{kind}"]


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


def _die_with_parent() -> None:
    """In the child: SIGKILL when pytest dies, so a killed test run leaves no cluster behind (Linux only).

    Not SIGTERM: a `dask worker` whose scheduler died with pytest starts a
    graceful close that waits on the lost connection and did not exit (seen);
    its worker process ends with its nanny.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


class ClusterNotReady(Exception):
    """The scheduler or a worker did not come up; the message names which, and why."""


class DaskCluster:
    """`dask scheduler` + N_WORKERS one-thread `dask worker` processes (each a nanny and its worker) on 127.0.0.1."""

    def __init__(self, base: Path) -> None:
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs = []
        self.address = ""

    def _start(self, name: str, cmd: list[str]) -> None:
        log = (self.base / f"{name}.log").open("wb")
        self._logs.append(log)
        self.procs[name] = subprocess.Popen(cmd, cwd=self.base, env=_env(), stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True, preexec_fn=_die_with_parent)

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise ClusterNotReady(f"{name} exited with code {proc.returncode}; "
                                      f"{self.base / name}.log ends:\n{_tail(self.base / f'{name}.log')}")

    def start(self) -> None:
        scheduler_file = self.base / "scheduler.json"
        # port 0: the OS picks a free port; the scheduler file tells the workers and us which
        self._start("scheduler", [*_dask_command("scheduler"), "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(scheduler_file)])
        deadline = time.monotonic() + SCHEDULER_WAIT_S
        while not self.address:
            self._check_alive()
            try:  # the file may exist before it is completely written
                self.address = json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                if time.monotonic() > deadline:
                    raise ClusterNotReady(f"the scheduler wrote no address to {scheduler_file} within "
                                          f"{SCHEDULER_WAIT_S} s; its log ends:\n"
                                          f"{_tail(self.base / 'scheduler.log')}") from None
                time.sleep(0.1)
        for i in range(N_WORKERS):
            self._start(f"worker{i}", [*_dask_command("worker"), self.address, "--nthreads", "1",
                                       "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard",
                                       "--local-directory", str(self.base / f"w{i}")])
        self.wait_ready(WORKERS_WAIT_S)

    def worker_pids(self, timeout: float = 30) -> dict[str, int]:
        """The pid of each worker process the scheduler knows (the nannies' children, which play the matches)."""
        from distributed import Client

        with Client(self.address, timeout=f"{timeout}s") as client:
            return client.run(os.getpid)

    def wait_ready(self, timeout: float) -> dict[str, int]:
        """Block until all N_WORKERS workers are registered and answer; return their pids.

        Called before every test too: a test that kills workers leaves their
        nannies restarting them, and the next test must not start on half a cluster.
        """
        from distributed import Client

        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with Client(self.address, timeout="10s") as client:
                    client.wait_for_workers(N_WORKERS, timeout=min(10.0, max(1.0, deadline - time.monotonic())))
                    pids = client.run(os.getpid)
                if len(pids) >= N_WORKERS:
                    return pids
                last = f"{len(pids)} of {N_WORKERS} workers answered"
            except (OSError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.2)
        logs = "\n".join(f"--- {name}.log:\n{_tail(self.base / f'{name}.log')}" for name in self.procs)
        raise ClusterNotReady(f"{N_WORKERS} dask workers did not register with {self.address} within {timeout:g} s "
                              f"({last})\n{logs}")

    def stop(self) -> None:
        _stop(list(self.procs.values()))
        for log in self._logs:
            log.close()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A running cluster; a start that fails is retried once from scratch, then the test fails naming the cause."""
    failures = []
    for attempt in range(START_ATTEMPTS):
        cluster = DaskCluster(tmp_path_factory.mktemp(f"dask{attempt}"))
        try:
            cluster.start()
        except ClusterNotReady as exc:
            cluster.stop()
            failures.append(f"attempt {attempt + 1}: {exc}")
            continue
        try:
            yield cluster
        finally:
            cluster.stop()
        return
    pytest.fail("the dask cluster did not start:\n" + "\n".join(failures), pytrace=False)


@pytest.fixture
def dask_address(dask_cluster) -> str:
    """The scheduler address, once every worker is up again (an earlier test may have killed some)."""
    try:
        dask_cluster.wait_ready(WORKERS_WAIT_S)
    except ClusterNotReady as exc:
        pytest.fail(f"the dask cluster is not ready: {exc}", pytrace=False)
    return dask_cluster.address


@pytest.fixture(scope="module")
def loky_smoke(tmp_path_factory) -> Path:
    """The smoke league on loky -j 1 (in-process: it is the plain sequential loop)."""
    out = tmp_path_factory.mktemp("loky") / "run"
    result = CliRunner().invoke(cli, ["run", str(SMOKE), "-j", "1", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "matches.jsonl").read_text().splitlines()]


def test_smoke_league_on_a_dask_cluster_matches_loky(dask_cluster, dask_address, loky_smoke, tmp_path):
    workers = set(dask_cluster.worker_pids().values())
    out = tmp_path / "dask"
    run_cli("run", str(SMOKE), "--backend", "dask", "--address", dask_address, "--out", str(out), "--quiet",
            check=True)
    records = _records(out)
    assert len(records) == len({r["id"] for r in records}) == SMOKE_MATCHES
    assert {r["pid"] for r in records} == workers  # played on the cluster, by both of its workers
    assert (out / "scores.csv").read_bytes() == (loky_smoke / "scores.csv").read_bytes()
    assert (out / "pairwise.csv").read_bytes() == (loky_smoke / "pairwise.csv").read_bytes()


def test_a_match_that_keeps_killing_dask_workers_is_recorded_as_crashed(dask_address, tmp_path):
    # dask gives up on the task (KilledWorker) after its workers died 4 times;
    # joblib's own dask backend would then wait forever (see runner._register_dask_backend).
    # A player killing only its own process is a blamed crash (test_isolation_dask.py); this one kills
    # the worker supervising it, through libc, past the player host's os.kill guard.
    players = [{"name": "Good", "type": "boulware"}, {"name": "Suicide", "type": "faulty_players.LowLevelParentKiller"}]
    league = write_league(tmp_path / "l.yaml", players=players, scoring={"max_failures": 1.0})
    out = tmp_path / "run"
    run_cli("run", str(league), "--backend", "dask", "--address", dask_address, "--out", str(out), "--quiet",
            check=True, timeout=240)
    records = _records(out)
    assert sorted(r["assignment"]["buyer"] for r in records) == ["Good", "Suicide"]
    from tourney.sandbox import can_drop

    if can_drop():  # as root the host is a user of its own: the kernel refuses the kill, the match is played
        assert all(r["status"] == "ok" for r in records), records
        return
    assert all(r["status"] == "crashed" for r in records), records
    assert all("KilledWorker" in r["error"] or "workers died" in r["error"] for r in records)


@pytest.mark.slow  # ~30 s on a loaded 2-core machine: starting a LocalCluster dominates
def test_local_dask_cluster_with_two_workers_matches_loky(loky_smoke, tmp_path):
    out = tmp_path / "local"
    run_cli("run", str(SMOKE), "--backend", "dask", "-j", "2", "--out", str(out), "--quiet", check=True)
    assert (out / "scores.csv").read_bytes() == (loky_smoke / "scores.csv").read_bytes()
    assert json.loads((out / "manifest.json").read_text())["backend"] == "dask"


def test_faulty_players_on_dask_lose_their_matches(dask_address, tmp_path):
    # dask runs a task in a worker thread, but the match is played on the main thread of the
    # worker's player host: the alarm stops even the Sleeper's C sleep
    players = [
        {"name": "Good", "type": "boulware"},
        {"name": "Raiser", "type": "faulty_players.Raiser"},
        {"name": "Sleeper", "type": "faulty_players.Sleeper"},
        {"name": "Wild", "type": "faulty_players.OutOfRange"},
    ]
    league = write_league(tmp_path / "l.yaml", players=players, format={"timeout": 2},
                          scoring={"max_failures": 1.0, "error_score": -1.0})
    out = tmp_path / "run"
    run_cli("run", str(league), "--backend", "dask", "--address", dask_address, "--out", str(out), "--quiet",
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
    # The Sleeper would sleep 10,000 s; the 2 s limit stopped it. The bound
    # leaves room for a loaded machine: a record's duration includes the worker's first imports.
    assert all(r["duration"] < SLEEPER_BOUND_S for r in sleeper), [r["duration"] for r in sleeper]
    assert all("exceeded its 2 s limit" in r["error"] for r in sleeper)
    wild = [r for r in records if r["blamed"] == "Wild"]
    assert wild and all("outside the price issue" in r["error"] for r in wild)
    scores = {line.split(",")[1]: line.split(",") for line in (out / "scores.csv").read_text().splitlines()[1:]}
    assert scores["Sleeper"][2] == "-1.000000"


def _hostage_league(path: Path, claim_dir: Path) -> Path:
    """A smoke-sized league with a Hostage: its first move ever blocks until its worker is killed."""
    players = [
        {"name": "Boulware", "type": "boulware"},
        {"name": "Conceder", "type": "conceder"},
        {"name": "Aspiration", "type": "negmas.sao.AspirationNegotiator"},
        {"name": "Hostage", "type": "faulty_players.Hostage", "params": {"beta": 0.1, "claim_dir": str(claim_dir)}},
    ]
    return write_league(path, players=players, seed=7, repetitions=2,
                        worlds=[{"type": "bilateral", "params": {"n_steps": 40, "episodes": 2}}],
                        format={"self_play": False, "both_roles": True, "timeout": 120})


HOSTAGE_MATCHES = 4 * 3 * 2


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:  # another worker's match finished and removed its marker meanwhile
        return None


def test_a_worker_killed_mid_run_loses_nothing_and_duplicates_nothing(dask_cluster, dask_address, tmp_path):
    claims = tmp_path / "claims"
    claims.mkdir()
    open_to_hosts(claims)  # the Hostage writes here from a player host, which runs as a user of its own
    league = _hostage_league(tmp_path / "l.yaml", claims)
    # the undisturbed table: the claim is taken beforehand, so the Hostage plays every match
    (claims / Hostage.CLAIM).touch()
    reference = tmp_path / "reference"
    result = CliRunner().invoke(cli, ["run", str(league), "-j", "1", "--out", str(reference), "--quiet"])
    assert result.exit_code == 0, result.output
    (claims / Hostage.CLAIM).unlink()

    workers = set(dask_cluster.worker_pids().values())
    out = tmp_path / "killed"
    proc = subprocess.Popen([*TOURNEY, "run", str(league), "--backend", "dask", "--address", dask_address,
                             "--out", str(out), "--quiet"], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        playing = claims / Hostage.PLAYING
        deadline = time.monotonic() + 120
        while not playing.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert playing.exists(), f"the Hostage never played (runner exit code {proc.poll()})"
        victim = int(playing.read_text())
        assert victim in workers, (victim, workers)
        # The Hostage blocks inside the match until killed, so the worker's
        # in-flight marker for it stays put: it names the match being lost.
        markers = [m for m in (out / ".inflight").glob("*") if _read(m) == str(victim)]
        assert len(markers) == 1, markers  # one thread per worker: one match in flight on it
        lost = markers[0].name
        os.kill(victim, signal.SIGKILL)  # its nanny starts a new worker process
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, stderr
    records = _records(out)
    ids = Counter(r["id"] for r in records)
    assert len(ids) == HOSTAGE_MATCHES and max(ids.values()) == 1, ids  # nothing lost, nothing twice
    assert all(r["status"] == "ok" for r in records), [r for r in records if r["status"] != "ok"]
    replayed = next(r for r in records if r["id"] == lost)
    assert replayed["pid"] != victim  # the victim never returned it: a live worker played it again
    assert "Hostage" in replayed["assignment"].values()
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)
    assert {r["pid"] for r in records} <= workers | set(dask_cluster.worker_pids().values())
    expected = {r["id"]: r for r in _records(reference)}
    for r in records:  # the same outcome as the undisturbed run, match by match
        assert (r["roles"], r["metrics"]) == (expected[r["id"]]["roles"], expected[r["id"]]["metrics"]), r["id"]
    assert (out / "scores.csv").read_bytes() == (reference / "scores.csv").read_bytes()
    assert (out / "pairwise.csv").read_bytes() == (reference / "pairwise.csv").read_bytes()


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
        assert r["duration"] < SLEEPER_BOUND_S, r["duration"]
