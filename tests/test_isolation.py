"""Hostile players (tests/faulty_players.py) cannot end, hang, crash for free or rewrite a tournament.

Each test runs the real CLI on loky ``-j 1`` and ``-j 2`` and checks: the run
completes within a bound, the hostile matches carry the right status and
blame, the other matches score exactly as in a run without the hostile
players, scores stay within the bilateral world's utility range, and no
process the run started (tagged through its environment) is left behind.
The dask runs are in test_isolation_dask.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import psutil
import pytest

from conftest import ROOT, TOURNEY, open_to_hosts, run_cli, write_league

GOOD = [{"name": "Good", "type": "boulware"}, {"name": "Other", "type": "conceder"}]
WORLD = [{"type": "bilateral", "params": {"n_steps": 30, "episodes": 2}}]
TAG = "TOURNEY_TEST_RUN"


def records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "matches.jsonl").read_text().splitlines()]


def tagged(tag: str) -> list[psutil.Process]:
    """Live processes whose environment carries ``tag`` (every process a run started inherits it)."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get(TAG) == tag and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def assert_nothing_left(tag: str, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while (left := tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.1)
    described = []
    for proc in left:  # do not leak them into the rest of the suite, then fail
        try:
            described.append((proc.pid, proc.ppid(), " ".join(proc.cmdline())[:120]))
            proc.kill()
        except psutil.Error:
            pass
    assert not left, described


def run(tmp_path: Path, name: str, players: list[dict], jobs: int, fmt: dict | None = None,
        bound: float = 120, env: dict | None = None, **league) -> tuple[subprocess.CompletedProcess, list[dict]]:
    path = write_league(tmp_path / f"{name}.yaml", players=players, worlds=WORLD,
                        format={"timeout": 5, **(fmt or {})},
                        scoring={"max_failures": 1.0, "error_score": -1.0}, **league)
    tag = uuid.uuid4().hex
    started = time.monotonic()
    proc = run_cli("run", str(path), "-j", str(jobs), "--out", str(tmp_path / name), "--quiet",
                   env={TAG: tag, **(env or {})}, timeout=bound)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert elapsed < bound
    assert_nothing_left(tag)
    return proc, records(tmp_path / name)


def assert_in_utility_range(recs: list[dict]) -> None:
    """Every ok episode's utilities lie in what the world's price range allows (PriceUtility on the issue)."""
    for r in recs:
        if r["status"] != "ok":
            continue
        for ep in r["details"]["episodes"]:
            (bip, brp), (sip, srp) = ep["prices"]["buyer"], ep["prices"]["seller"]
            low, high = min(bip, srp), max(brp, sip)
            for role, (ip, rp) in (("buyer", (bip, brp)), ("seller", (sip, srp))):
                ends = sorted(((rp - low) / (rp - ip), (rp - high) / (rp - ip)))
                assert ends[0] - 1e-9 <= ep["utility"][role] <= ends[1] + 1e-9, (r["assignment"], ep)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict[str, dict]:
    """Good vs Other with nobody hostile in the league, by match key."""
    tmp = tmp_path_factory.mktemp("clean")
    _, recs = run(tmp, "clean", GOOD, 1)
    return {r["key"]: r for r in recs}


def assert_others_unaffected(recs: list[dict], clean: dict[str, dict]) -> None:
    innocent = [r for r in recs if set(r["assignment"].values()) <= {"Good", "Other"}]
    assert innocent and len(innocent) <= len(clean) == 2
    for r in innocent:
        assert r["status"] == "ok"
        assert r["roles"] == clean[r["key"]]["roles"], r["assignment"]


def assert_blamed(recs: list[dict], faulty: dict[str, str]) -> None:
    """Matches with one hostile player: its status, blame and error_score; the opponent is not blamed."""
    for r in recs:
        bad = set(r["assignment"].values()) & set(faulty)
        if len(bad) != 1:
            continue
        (player,) = bad
        assert r["status"] == faulty[player], r
        assert r["blamed"] == player, r
        assert r["blamed_role"] in r["assignment"] and r["assignment"][r["blamed_role"]] == player


@pytest.mark.parametrize("jobs", [1, 2])
def test_base_exceptions_exits_and_closed_descriptors_are_blamed_faults(tmp_path, clean, jobs):
    faulty = {"SysExit": "error", "Interrupt": "error", "GenExit": "error", "Exiter": "crashed",
              "FdCloser": "error", "Killer": "error"}
    players = GOOD + [
        {"name": "SysExit", "type": "faulty_players.SystemExiter"},
        {"name": "Interrupt", "type": "faulty_players.Interrupter"},
        {"name": "GenExit", "type": "faulty_players.GeneratorExiter"},
        {"name": "Exiter", "type": "faulty_players.Exiter"},
        {"name": "FdCloser", "type": "faulty_players.FdCloser"},
        {"name": "Killer", "type": "faulty_players.ParentKiller"},
    ]
    proc, recs = run(tmp_path, "base", players, jobs, bound=120)
    assert len(recs) == 8 * 7 and len({r["id"] for r in recs}) == 56
    assert_blamed(recs, faulty)
    assert_others_unaffected(recs, clean)
    assert_in_utility_range(recs)
    by = {name: [r for r in recs if r["blamed"] == name] for name in faulty}
    assert all("SystemExit" in r["error"] for r in by["SysExit"])
    assert all("KeyboardInterrupt" in r["error"] for r in by["Interrupt"])
    assert all("GeneratorExit" in r["error"] for r in by["GenExit"])
    assert all("exited with code 1 while Exiter" in r["error"] for r in by["Exiter"])
    assert all("tried to close the worker's connection" in r["error"] for r in by["FdCloser"])
    assert all("tried to signal the runner" in r["error"] for r in by["Killer"])
    scores = {line.split(",")[1]: line.split(",") for line in (tmp_path / "base" / "scores.csv").read_text()
              .splitlines()[1:]}
    assert scores["Exiter"][2] == "-1.000000"  # error_score applies to a crash


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_player_ignoring_or_swallowing_the_timeout_cannot_hang_the_run(tmp_path, clean, jobs):
    players = GOOD + [{"name": "Deaf", "type": "faulty_players.AlarmIgnorer"},
                      {"name": "Swallow", "type": "faulty_players.TimeoutSwallower"}]
    # one role order per pair: 6 matches, 5 of them hang; each is killed 1 s + 5 % past its 0.5 s limit
    proc, recs = run(tmp_path, "hang", players, jobs, fmt={"timeout": 0.5, "both_roles": False}, bound=90)
    assert len(recs) == 6
    assert_blamed(recs, {"Deaf": "timeout", "Swallow": "timeout"})
    assert_others_unaffected(recs, clean)
    hung = [r for r in recs if r["status"] == "timeout"]
    assert len(hung) == 5
    assert all(r["duration"] < 0.5 + 1.025 + 1.0 for r in hung), [r["duration"] for r in hung]
    assert all("its process was killed" in r["error"] for r in hung)


def test_processes_a_player_starts_are_killed_at_the_end_of_its_match(tmp_path, clean):
    spawned = tmp_path / "spawned"
    spawned.mkdir()
    open_to_hosts(spawned)  # the Spawner writes here from its host, which runs as a user of its own
    players = GOOD + [{"name": "Spawner", "type": "faulty_players.Spawner"}]
    proc, recs = run(tmp_path, "spawn", players, 2, env={"SPAWN_DIR": str(spawned)})
    assert all(r["status"] == "ok" for r in recs)
    assert_others_unaffected(recs, clean)
    pids = [int(p.name) for p in spawned.iterdir()]
    assert len(pids) >= 4  # one daemonised grandchild per match the Spawner played
    assert not [pid for pid in pids if psutil.pid_exists(pid)
                and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]


def test_a_memory_hog_is_a_blamed_fault_and_does_not_keep_its_memory(tmp_path, clean):
    players = GOOD + [{"name": "Hog", "type": "faulty_players.Hog"}]
    proc, recs = run(tmp_path, "hog", players, 1, fmt={"memory_mb": 600, "timeout": 20})
    assert_others_unaffected(recs, clean)
    hog = [r for r in recs if "Hog" in r["assignment"].values()]
    failed = [r for r in hog if r["status"] != "ok"]
    assert failed and all(r["blamed"] == "Hog" and r.get("reason") == "memory" for r in failed), hog
    # against Boulware, who holds out, the hog always reaches the limit; against the Conceder it may
    # agree first. Its memory went with its host: in every match it lost, it had allocated afresh.
    assert {frozenset(r["assignment"].values()) for r in failed} >= {frozenset({"Good", "Hog"})}
    assert sum("Good" in r["assignment"].values() for r in failed) == 2
    assert all(int(r["error"].split("MemoryError: ")[1].split()[0]) >= 3 for r in failed), \
        [r["error"][-80:] for r in failed]


def test_crashing_does_not_pay(tmp_path):
    """A sore loser (os._exit when a negotiation ends badly) never scores above its honest twin."""
    opponents = [{"name": "Boulware", "type": "boulware"}, {"name": "Conceder", "type": "conceder"},
                 {"name": "Linear", "type": "linear"}, {"name": "Random", "type": "random"}]
    players = opponents + [{"name": "Honest", "type": "negmas.sao.AspirationNegotiator"},
                           {"name": "SoreLoser", "type": "faulty_players.SoreLoser"}]
    path = write_league(tmp_path / "sore.yaml", players=players, repetitions=1,
                        worlds=[{"type": "bilateral", "params": {"n_steps": 40, "episodes": 1}}],
                        format={"timeout": 10}, scoring={"max_failures": 1.0})
    run_cli("run", str(path), "-j", "2", "--out", str(tmp_path / "sore"), "--quiet", check=True, timeout=180)
    recs = records(tmp_path / "sore")
    crashed = [r for r in recs if r["status"] == "crashed"]
    assert crashed and all(r["blamed"] == "SoreLoser" for r in crashed)
    assert all(r["status"] == "ok" for r in recs if "SoreLoser" not in r["assignment"].values())
    scores = {line.split(",")[1]: float(line.split(",")[2])
              for line in (tmp_path / "sore" / "scores.csv").read_text().splitlines()[1:]}
    assert scores["SoreLoser"] <= scores["Honest"], scores

    # The check can fail: voiding its crashed matches (the old behaviour) would have paid.
    def own(r):
        role = next(role for role, name in r["assignment"].items() if name == "SoreLoser")
        return r["roles"][role]["utility"]

    kept = [own(r) for r in recs if r["status"] == "ok" and "SoreLoser" in r["assignment"].values()]
    assert sum(kept) / len(kept) > scores["Honest"]


# Out of the slow set since session 2 (20 runs of all three variants in a row passed, ~14 s each).
# Its leak (about 1 run in 12 in session 1) was a player's daemonised `sleep` reparented to init:
# joblib, ending the pool on the runner's SIGTERM, SIGKILLs each worker's process tree, hosts
# included, so no host killed what its players had started. Fixed by giving each host a user of
# its own and killing that user's processes (tourney.sandbox.kill_user) from the runner at the end
# (the .inflight host registry) and from a host whose worker dies (a parent-death signal it
# handles, set after the uid change that clears it).
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, "group"])
def test_no_worker_or_player_process_outlives_a_killed_runner(tmp_path, signum):
    """SIGKILL or SIGTERM to the runner, or SIGKILL to its whole process group (runner and workers at
    once: the hosts, in sessions of their own, then learn it from their parent-death signal)."""
    spawned = tmp_path / "spawned"
    spawned.mkdir()
    open_to_hosts(spawned)  # the Spawner writes here from its host, which runs as a user of its own
    players = GOOD + [{"name": "Spawner", "type": "faulty_players.Spawner"},
                      {"name": "Slow", "type": "faulty_players.TimeoutSwallower"}]
    path = write_league(tmp_path / "l.yaml", players=players, worlds=WORLD, repetitions=3,
                        format={"timeout": 30}, scoring={"max_failures": 1.0})
    tag = uuid.uuid4().hex
    env = {**os.environ, TAG: tag, "SPAWN_DIR": str(spawned),
           "PYTHONPATH": str(ROOT / "tests") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([*TOURNEY, "run", str(path), "-j", "2", "--out", str(tmp_path / "run"), "--quiet"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    inflight = tmp_path / "run" / ".inflight"

    def mid_run() -> bool:  # both workers inside a match (their hosts up), a spawned process alive
        # A marker per match a worker holds (not the hosts' registry files), holding that worker's
        # pid: with batched tasks one worker may hold several, so workers are counted, not markers.
        workers = set()
        try:
            for marker in inflight.iterdir() if inflight.exists() else []:
                if not marker.name.startswith("host."):
                    workers.add(marker.read_text().strip())
        except OSError:  # a marker cleared while being read
            return False
        return any(spawned.iterdir()) and len(workers - {""}) == 2

    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not mid_run():
            time.sleep(0.05)
        assert mid_run(), f"never caught mid-run (runner exit code {proc.poll()})"
    finally:
        if signum == "group":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.send_signal(signum)
        proc.wait(30)
    # workers notice within 0.2 s and kill their hosts and what the players started; loky's
    # resource trackers end when their last client is gone. The bound is generous: in about
    # one run in ten a player's spawned process was still alive at 10 s (cause not yet found;
    # see the issue-13 note), and this test is about nothing outliving the runner, not speed.
    assert_nothing_left(tag, within=30.0)


def test_a_player_cannot_rewrite_its_own_or_its_opponents_score(tmp_path, clean):
    """Swapping its ufun's class (to rate everything 1000) or mutating the opponent's ufun through
    ``nmi._mechanism`` changes no recorded score: the world scores from its own prices, and the
    NMI holds a read-only view of the mechanism."""
    hostile = GOOD + [{"name": "Swapper", "type": "faulty_players.ClassSwapper"},
                      {"name": "Mutator", "type": "faulty_players.OpponentMutator"}]
    _, recs = run(tmp_path, "rewrite", hostile, 2)
    assert all(r["status"] == "ok" for r in recs)
    assert_others_unaffected(recs, clean)
    assert_in_utility_range(recs)  # 1000 would be far outside it
    # The Mutator plays as its honest twin (the same TimeDependent tactic): every match it is in,
    # its opponent's and its own scores, are exactly the twin's.
    twin = GOOD + [{"name": "Swapper", "type": "faulty_players.ClassSwapper"},
                   {"name": "Mutator", "type": "players.faratin.TimeDependent"}]
    _, honest = run(tmp_path, "twin", twin, 2)
    honest = {r["key"]: r for r in honest}
    mutated = [r for r in recs if "Mutator" in r["assignment"].values()]
    assert len(mutated) == 6
    for r in mutated:
        assert r["roles"] == honest[r["key"]]["roles"], r["assignment"]


def test_isolation_process_plays_every_match_in_a_fresh_process(tmp_path, clean):
    players = GOOD + [{"name": "Leaky", "type": "faulty_players.Leaky"}]
    _, shared = run(tmp_path, "shared", players, 1)
    _, strict = run(tmp_path, "strict", players, 1, fmt={"isolation": "process"})
    leaky = [r for r in shared if "Leaky" in r["assignment"].values()]
    assert len(leaky) == 4 and sum(r["status"] == "error" for r in leaky) == 3  # one host: state leaks
    assert all("leaked in" in r["error"] and r["blamed"] == "Leaky" for r in leaky if r["status"] == "error")
    assert all(r["status"] == "ok" for r in strict)  # a fresh host per match: nothing leaks
    assert_others_unaffected(strict, clean)


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="players' hosts drop to users of their own only under root")


@root_only
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_player_cannot_kill_its_supervisor_or_the_runner_with_another_program(tmp_path, clean, jobs):
    """``subprocess.run(["kill", "-9", supervisor, runner])`` gets past every Python guard; the host
    runs as a user of its own, so the kill is refused by the kernel and the run plays on."""
    players = GOOD + [{"name": "Killer", "type": "faulty_players.ProgramKiller"}]
    _, recs = run(tmp_path, "kill", players, jobs)
    assert len(recs) == 6 and all(r["status"] == "ok" for r in recs), [r["error"] for r in recs]
    assert_others_unaffected(recs, clean)
    assert_in_utility_range(recs)
    tries = [p.read_text().splitlines() for p in (tmp_path / "kill" / "players").glob("killer.*")]
    assert len(tries) == 4  # one per match it played: it did aim at its supervisor and the runner
    for targets, code, *said in tries:
        assert len(targets.split()) == 2 and code != "0" and "Operation not permitted" in " ".join(said), said
    if jobs == 2:  # the workers survived: two of them played all six matches
        assert len({r["pid"] for r in recs}) == 2


@pytest.fixture(scope="module")
def honest_rewriter(tmp_path_factory) -> Path:
    """The LogRewriter's honest twin (the same tactic, no tampering) with Good and Other."""
    tmp = tmp_path_factory.mktemp("twin")
    run(tmp, "twin", GOOD + [{"name": "Rewriter", "type": "players.faratin.TimeDependent"}], 1)
    return tmp / "twin"


@root_only
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_player_cannot_rewrite_the_match_log(tmp_path, clean, honest_rewriter, jobs):
    """Appending a forged record, truncating or replacing matches.jsonl, overwriting the manifest:
    all refused (the run folder is root's; the host is not). The table is its honest twin's."""
    players = GOOD + [{"name": "Rewriter", "type": "faulty_players.LogRewriter"}]
    _, recs = run(tmp_path, "rewrite", players, jobs)
    assert len(recs) == 6 and len({r["id"] for r in recs}) == 6 and "f" * 16 not in {r["id"] for r in recs}
    assert all(r["status"] == "ok" for r in recs)
    assert_others_unaffected(recs, clean)
    assert_in_utility_range(recs)
    run_dir = tmp_path / "rewrite"
    assert not (run_dir / "matches.jsonl.gone").exists()
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "finished"
    twin = {r["key"]: r["roles"] for r in records(honest_rewriter)}
    assert {r["key"]: r["roles"] for r in recs} == twin
    # the whole table but the bootstrap p-values, whose seed derives from the league (its player types differ)
    def table(d: Path) -> list[list[str]]:
        return [line.split(",")[:12] for line in (d / "scores.csv").read_text().splitlines()]

    assert table(run_dir) == table(honest_rewriter)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_player_flooding_stdout_and_stderr_is_a_non_event(tmp_path, clean, jobs):
    """What a player prints goes into its match's record, 16 KB at most (first and last 8 KB);
    a secret-named variable is not in its environment; the terminal and the disk see none of the flood."""
    secret = "sk-" + uuid.uuid4().hex
    players = GOOD + [{"name": "Flooder", "type": "faulty_players.Flooder"}]
    proc, recs = run(tmp_path, "flood", players, jobs, env={"TOURNEY_TEST_SECRET_KEY": secret})
    assert len(recs) == 6 and all(r["status"] == "ok" for r in recs)
    assert_others_unaffected(recs, clean)
    assert_in_utility_range(recs)
    flooded = [r for r in recs if "Flooder" in r["assignment"].values()]
    assert len(flooded) == 4
    for r in flooded:
        assert r["output_bytes"] > 1_000_000, r["output_bytes"]  # it did flood
        assert r["output"].startswith("flood") and "bytes not kept" in r["output"]
        assert len(r["output"].encode()) < 16 * 1024 + 100
        assert "secret: \n" in r["output"]  # secret-named variables never reach a host (capture would cut them)
    assert all("output" not in r for r in recs if r not in flooded)  # the others printed nothing
    log = tmp_path / "flood" / "matches.jsonl"
    assert log.stat().st_size < 6 * 20_000 + 4 * 16 * 1024
    assert secret not in log.read_text() and "flood flood" not in proc.stdout + proc.stderr


def test_a_patcher_changes_no_other_match_under_isolation_process(tmp_path, clean):
    """A player monkey-patching a shared module (the bilateral world's utility of a price) reaches the
    later matches of its host. With ``isolation: process`` (a fresh host per match) no other match
    changes; with the default per-worker host it does (the residual risk the README states)."""
    players = GOOD + [{"name": "Patcher", "type": "faulty_players.Patcher"}]
    _, shared = run(tmp_path, "shared", players, 1)
    innocent = [r for r in shared if set(r["assignment"].values()) <= {"Good", "Other"}]
    assert any(r["roles"] != clean[r["key"]]["roles"] for r in innocent)  # the patch did reach them
    for jobs in (1, 2):
        _, strict = run(tmp_path, f"strict{jobs}", players, jobs, fmt={"isolation": "process"})
        assert len(strict) == 6 and all(r["status"] == "ok" for r in strict)
        assert_others_unaffected(strict, clean)


def test_league_validation_runs_no_player_code_in_the_runner(tmp_path, clean):
    """A dotted player type's module is imported, at validation, in a sandboxed throwaway process:
    its import-time code never runs in the runner, and (under root) runs as another user."""
    spy = tmp_path / "spy"
    spy.mkdir()
    open_to_hosts(spy)
    league = write_league(tmp_path / "l.yaml", players=GOOD + [{"name": "Spy", "type": "import_spy.Spy"}],
                          worlds=WORLD, format={"timeout": 5})
    env = {**os.environ, "IMPORT_SPY_DIR": str(spy),
           "PYTHONPATH": str(ROOT / "tests") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for command in (["validate", str(league)], ["run", str(league), "-j", "1", "--out", str(tmp_path / "r"),
                                                  "--quiet"]):
        proc = subprocess.Popen([*TOURNEY, *command], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        imports = {int(p.name.split(".")[1]): p.read_text().strip() for p in spy.iterdir()}
        assert imports and proc.pid not in imports, (proc.pid, imports)
        if os.geteuid() == 0:
            assert all(uid != "0" for uid in imports.values()), imports
    assert all(r["status"] == "ok" for r in records(tmp_path / "r"))
    # a module that ends its process at import: the one-line league error, exit 2
    env["IMPORT_SPY_EXIT"] = "1"
    proc = subprocess.run([*TOURNEY, "validate", str(league)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"Error: {league}:") and "players[2].type: importing 'import_spy.Spy' failed" in line, line


@root_only
def test_files_a_player_declares_it_writes_are_shared_only_in_a_players_folder(tmp_path):
    """An LLM player declares its ``cache`` param a file it writes: the runner opens that file's folder
    to the hosts' group if it is a ``players`` folder, and refuses any other (a league cannot have
    root open a system or home folder to players)."""
    from tourney.errors import LeagueError
    from tourney.league import load_league
    from tourney.runner import share_declared_writes
    from tourney.sandbox import HOST_GID

    shared = tmp_path / "elsewhere" / "players"
    shared.mkdir(parents=True)
    (shared / "cache.sqlite").write_bytes(b"")  # left by root (an unpacked cache): hosts must write it too
    for cache, ok in ((shared / "cache.sqlite", True), (tmp_path / "run" / "cache.sqlite", False)):
        path = write_league(tmp_path / "l.yaml", players=[{"name": "LLM", "type": "llm", "params": {"cache": str(cache)}},
                                                         {"name": "Linear", "type": "linear"}])
        league = load_league(path)
        if ok:
            share_declared_writes(league)
            st = shared.stat()
            assert (st.st_gid, st.st_mode & 0o7777) == (HOST_GID, 0o2770)
            assert (shared / "cache.sqlite").stat().st_gid == HOST_GID
            assert (shared / "cache.sqlite").stat().st_mode & 0o060 == 0o060
        else:
            with pytest.raises(LeagueError, match="name a file in a 'players' folder"):
                share_declared_writes(league)
            assert not (tmp_path / "run").exists()
