"""Blame inside a match (issue 13, F5/F6/F10 and negmas ids): a hostile player cannot make its own
fault look like nobody's or its opponent's, nor slow every match for free.

The real CLI on loky ``-j 1`` (the runner supervises the host) and ``-j 2``, as in test_isolation.py:
status and blame of the hostile matches, the innocent matches exactly as in a run without the hostile
player, nothing left running.
"""

from __future__ import annotations

import time

import pytest
from test_isolation import GOOD, assert_blamed, assert_in_utility_range, assert_others_unaffected, run

from conftest import run_cli, write_league


def _with(recs: list[dict], name: str) -> list[dict]:
    return [r for r in recs if name in r["assignment"].values()]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict[str, dict]:
    """Good vs Other with nobody hostile in the league, by match key (as in test_isolation.py)."""
    tmp = tmp_path_factory.mktemp("clean")
    _, recs = run(tmp, "clean", GOOD, 1)
    return {r["key"]: r for r in recs}


@pytest.fixture(scope="module")
def twin(tmp_path_factory) -> dict[str, dict]:
    """Good and Other with an honest TimeDependent named Twin (every hostile player's parent), by match key."""
    tmp = tmp_path_factory.mktemp("twin")
    _, recs = run(tmp, "twin", GOOD + [{"name": "Twin", "type": "players.faratin.TimeDependent"}], 1)
    return {r["key"]: r for r in recs}


def assert_plays_as_its_twin(recs: list[dict], twin: dict[str, dict]) -> None:
    """Every match of the hostile player (named Twin) is ok and scores exactly as its honest twin's."""
    hostile = _with(recs, "Twin")
    assert len(hostile) == 4
    for r in hostile:
        assert r["status"] == "ok", (r["assignment"], r["status"], r["blamed"], (r.get("error") or "")[-300:])
        assert r["roles"] == twin[r["key"]]["roles"], r["assignment"]


# F5: a thread of a player's ends its host -------------------------------------------------------------

@pytest.mark.parametrize("jobs", [1, 2])
def test_a_thread_that_ends_the_host_is_its_players_fault(tmp_path, clean, jobs):
    """os._exit from a player's background thread while nobody acts (world code between calls), through
    libc too, or while its opponent acts: blamed on the player whose thread it was, never voided, never
    the opponent."""
    faulty = {"Exiter": "crashed", "LibcExiter": "crashed", "Framer": "crashed"}
    players = GOOD + [{"name": "Exiter", "type": "faulty_players.ThreadExiter"},
                      {"name": "LibcExiter", "type": "faulty_players.LibcThreadExiter"},
                      {"name": "Framer", "type": "faulty_players.ThreadFramer"}]
    _, recs = run(tmp_path, "threads", players, jobs, fmt={"both_roles": False}, bound=240)
    assert len(recs) == 10
    assert_others_unaffected(recs, clean)
    assert_in_utility_range(recs)
    # A thread may not find its moment before the match ends (a loaded machine): that match is then
    # played out (ok). Every death is blamed on a hostile player, never voided, never the innocent.
    crashed = {name: 0 for name in faulty}
    for r in recs:
        hostile = set(r["assignment"].values()) & set(faulty)
        if len(hostile) != 1 or r["status"] == "ok":
            continue
        (player,) = hostile
        assert r["status"] == "crashed" and r["blamed"] == player, (r["assignment"], r["status"], r["blamed"],
                                                                     r["error"])
        # A libc call lets go of the GIL first: the player's own call may have begun when it lands
        assert "ended by a thread" in r["error"] or (player == "LibcExiter" and "was acting" in r["error"]), \
            r["error"]
        crashed[player] += 1
    assert all(n >= 1 for n in crashed.values()), crashed


# F6: hooks that run inside the opponent's calls ----------------------------------------------------------

@pytest.mark.parametrize("jobs", [1, 2])
def test_a_profile_or_trace_hook_cannot_make_the_opponent_time_out(tmp_path, clean, jobs):
    """sys.setprofile / sys.settrace hooks that sleep inside the opponent's calls: refused (a RuntimeError in
    the installer's own call, its fault); the opponent is never blamed."""
    players = GOOD + [{"name": "Profiler", "type": "faulty_players.ProfileSaboteur"},
                      {"name": "Tracer", "type": "faulty_players.TraceSaboteur"}]
    _, recs = run(tmp_path, "hooks", players, jobs, fmt={"timeout": 5}, bound=240)
    assert_blamed(recs, {"Profiler": "error", "Tracer": "error"})
    assert all("is refused in a player host" in r["error"] for r in recs if r["blamed"] in ("Profiler", "Tracer"))
    assert_others_unaffected(recs, clean)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_hook_installer_that_swallows_the_refusal_plays_as_its_honest_twin(tmp_path, clean, twin, jobs):
    """Every hook refused (sys and threading, trace and profile), it catches the errors and plays on: its
    matches score exactly as its honest twin's, and its opponents' too."""
    players = GOOD + [{"name": "Twin", "type": "faulty_players.QuietSaboteur"}]
    _, recs = run(tmp_path, "quiet", players, jobs, fmt={"timeout": 5}, bound=240)
    assert_plays_as_its_twin(recs, twin)
    assert_others_unaffected(recs, clean)


# F10: import time -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("jobs", [1, 2])
def test_a_slow_or_deaf_import_is_a_timeout_of_that_player(tmp_path, clean, jobs):
    """A player module whose import sleeps 40 s in every fresh host (alarm or not): past format: {import_timeout}
    it is that player's timeout, not a free delay of every match."""
    players = GOOD + [{"name": "Slow", "type": "slow_import.SlowImport"},
                      {"name": "Deaf", "type": "deaf_import.DeafImport"}]
    started = time.monotonic()
    _, recs = run(tmp_path, "imports", players, jobs, fmt={"import_timeout": 1, "both_roles": False},
                  env={"SLOW_IMPORT_S": "40", "DEAF_IMPORT_S": "40"}, bound=300)
    assert time.monotonic() - started < 100  # 5 of 6 matches import a slow module: 40 s each without the bound
    assert len(recs) == 6
    assert_blamed(recs, {"Slow": "timeout", "Deaf": "timeout"})
    assert_others_unaffected(recs, clean)
    for r in recs:
        if r["blamed"] == "Slow":
            assert "took over 1 s (format: import_timeout)" in r["error"], r["error"]
        if r["blamed"] == "Deaf":
            assert "format: import_timeout" in r["error"] and "its process was killed" in r["error"], r["error"]


def test_league_validation_bounds_a_players_import_by_the_leagues_import_timeout(tmp_path):
    league = write_league(tmp_path / "l.yaml", players=GOOD + [{"name": "Slow", "type": "slow_import.SlowImport"}],
                          format={"timeout": 5, "import_timeout": 1})
    started = time.monotonic()
    proc = run_cli("validate", str(league), env={"SLOW_VALIDATE_S": "300"}, timeout=250)
    assert time.monotonic() - started < 90  # the command's own start on a loaded machine; 120 s before the bound
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "importing 'slow_import.SlowImport' failed: did not finish within 1 s (format: import_timeout)" in line


# negmas ids --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("jobs", [1, 2])
def test_a_negotiator_changing_its_id_plays_as_its_honest_twin(tmp_path, clean, twin, jobs):
    players = GOOD + [{"name": "Twin", "type": "faulty_players.IdChanger"}]
    _, recs = run(tmp_path, "idchange", players, jobs, bound=240)
    assert_plays_as_its_twin(recs, twin)
    assert_others_unaffected(recs, clean)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_negotiator_taking_its_opponents_id_is_blamed_for_its_own_offers(tmp_path, clean, jobs):
    players = GOOD + [{"name": "Thief", "type": "faulty_players.IdThief"}]
    _, recs = run(tmp_path, "idthief", players, jobs, bound=240)
    assert_blamed(recs, {"Thief": "error"})
    assert all("outside the price issue" in r["error"] for r in _with(recs, "Thief")), \
        [r["error"][-200:] for r in _with(recs, "Thief")]
    assert_others_unaffected(recs, clean)
