"""The contracts between the core, worlds and players hold for everything registered."""

from __future__ import annotations

import ast

import pytest

from tourney import play_match
from tourney.checks import ContractError, check_player, check_world
from tourney.registry import player_names, player_spec, resolve_player, world_class, world_names

from tourney.worlds.bilateral import BilateralWorld

from conftest import ROOT


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_tourney_module_imports_the_players_package():
    # The reproductions too: they read a run (tourney.run_reader) and play extra matches by
    # short name through tourney.play_match, as any plug-in's reproduction would.
    offenders = {
        str(path.relative_to(ROOT)): sorted(n for n in _imports(path) if n == "players" or n.startswith("players."))
        for path in (ROOT / "tourney").rglob("*.py")
    }
    assert len(offenders) > 50  # the scan saw the package, reproductions included
    assert any("reproduce" in path for path in offenders)
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_import_scan_finds_a_players_import(tmp_path):
    # the check above must be able to fail
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from players.faratin import TimeDependent\n")
    assert _imports(probe) == {"players.faratin"}


def _registered_pairs():
    for player in player_names():
        for world in world_names():
            yield player, world


@pytest.mark.parametrize("player,world", list(_registered_pairs()))
def test_short_name_and_dotted_path_get_the_same_roles(player, world):
    spec = player_spec(player)
    target = spec.target_for(world_class(world).name)
    if target is None:
        assert resolve_player(player, world) is None
        return
    try:
        by_name = resolve_player(player, world)
    except Exception as exc:  # an optional extra not installed here
        pytest.skip(f"{player}: {exc}")
    by_path = resolve_player(target, world)
    assert (by_name and by_name.roles) == (by_path and by_path.roles)


@pytest.mark.parametrize("dotted,world,roles", [
    ("players.conan:Conan", "bilateral", ("buyer",)),
    ("players.williams:Williams", "bilateral", ("buyer",)),
    ("players.insight.qlearning:QLearningSeller", "bilateral", ("seller",)),
    ("players.faratin:TimeDependent", "emarket", ("seller",)),
    ("negmas.sao:AspirationNegotiator", "bilateral", ("buyer", "seller")),  # declares nothing: its interface
])
def test_dotted_paths_get_the_roles_their_class_declares(dotted, world, roles):
    assert resolve_player(dotted, world).roles == roles


# --- the harnesses, over everything registered ---------------------------------------
# Small settings so one match takes well under a second (worlds not listed: their defaults).
QUICK = {
    "bilateral": {"n_steps": 12},
    "ihelp": {"runs": 2, "n_steps": 10},
    "emarket": {"density": 4, "ratio": (1, 1), "deadline": 10.0, "competitor": "random-buyer"},
    "bidding": {"episodes": 40, "last_episodes": 10, "curve_points": 4},
    "bidding2": {"episodes": 40, "last_episodes": 10, "curve_points": 4},
    "consumer": {"max_turns": 4},
    "oneshot": {"n_steps": 3, "n_processes": 2, "n_agents_per_process": 1, "rotations": 1},
    "negotiation": {"n_steps": 10, "rotate": False,
                    "scenarios": [{"generate": "multi-issue", "n": 1, "seed": 3, "issues": [2, 3], "values": [2, 4]}]},
}


# An SCML OneShot match takes seconds even this small: played once (test_oneshot.py checks
# its determinism).
PLAY_ONCE = {"oneshot"}


@pytest.mark.parametrize("world", world_names())
def test_every_registered_world_keeps_its_contract(world):
    records = check_world(world, QUICK.get(world), repeat=world not in PLAY_ONCE)
    assert len(records) == (1 if world in PLAY_ONCE else 2)
    assert all(r.roles == records[0].roles for r in records)
    assert records[0].metric == world_class(world).default_metric


def _home_world(player: str) -> str:
    """bilateral, the meeting ground, for every family that plays it; else its first world."""
    for world in ["bilateral", *world_names()]:
        if player_spec(player).target_for(world) and resolve_player(player, world):
            return world
    raise AssertionError(f"player '{player}' plays no registered world")


# An SCML world takes seconds a match even this small: its players get the declaration
# checks here, and play in test_oneshot.py and the world harness above.
DECLARATIONS_ONLY = {"oneshot"}
# Needs a Q-table learnt for the very market it plays (load_path); played in test_insight_players.py.
NEEDS_A_TABLE = {"qlearning-exploit"}


@pytest.mark.parametrize("player", player_names())
def test_every_registered_player_keeps_its_contract(player):
    world = _home_world(player)
    play = world not in DECLARATIONS_ONLY and player not in NEEDS_A_TABLE
    records = check_player(player, world, world_params=QUICK.get(world), play=play)
    resolved = resolve_player(player, world)
    expected = (len(resolved.roles) if world_class(world).roles else 1) if play else 0
    assert len(records) == expected and all(r.ok for r in records)


class _NoMetricWorld(BilateralWorld):
    """A world whose results misspell their default metric."""

    def play(self, seats, seed, ctx):
        result = super().play(seats, seed, ctx)
        for numbers in result.roles.values():
            numbers["utilty"] = numbers.pop("utility")
        return result


def test_a_result_without_the_default_metric_is_a_loud_world_error():
    record = play_match(_NoMetricWorld(n_steps=5), {"buyer": "linear", "seller": "conceder"}, 1)
    assert record.status == "error" and record.blamed is None and record.blamed_role is None
    assert "WorldError" in record.error and "utilty" in record.error
    with pytest.raises(ContractError, match="utilty"):
        check_world(_NoMetricWorld, {"n_steps": 5})


class _Undeclared:
    plays = {"bilateral": "buyer"}  # a string, not a tuple of roles


def test_check_player_rejects_a_malformed_declaration():
    assert resolve_player(f"{__name__}:_Undeclared", "bilateral").roles == ("buyer",)
    with pytest.raises(ContractError, match="non-empty tuple"):
        check_player(f"{__name__}:_Undeclared", "bilateral", play=False)


# --- play_match, iter_results, MatchRecord ---------------------------------------------
def test_iter_results_streams_what_a_run_logs(tmp_path, league_file):
    from tourney import iter_results
    from tourney.league import load_league
    from tourney.runner import run_league
    from tourney.schedule import count_matches
    from tourney.store import iter_records

    league = load_league(league_file(repetitions=2))
    streamed = {r.id: r.roles for r in iter_results(league, jobs=1)}
    run_league(league, tmp_path / "run", jobs=1, backend="sequential", progress=False)
    logged = {r["id"]: r["roles"] for r in iter_records(tmp_path / "run")}
    assert streamed == logged and len(streamed) == count_matches(league) == 4


def test_iter_results_with_jobs_plays_as_a_run_and_a_player_that_exits_ends_only_its_match(tmp_path, league_file):
    import os
    import shutil

    from tourney import iter_results
    from tourney.league import load_league
    from tourney.schedule import iter_schedule

    shutil.copy(ROOT / "tests" / "faulty_players.py", tmp_path / "faulty_players.py")  # beside the league
    fair = [{"name": "Boulware", "type": "boulware"}, {"name": "Conceder", "type": "conceder"}]
    exiter = {"name": "Exiter", "type": "faulty_players.Exiter"}
    league = load_league(league_file(repetitions=2, players=[*fair, exiter]))
    records = list(iter_results(league, jobs=2))  # the Exiter's os._exit would end this process with jobs=1
    assert [r.id for r in records] == [m.id for m in iter_schedule(league)]  # schedule order
    assert all(r.pid is not None and r.pid != os.getpid() for r in records)  # played in workers
    faulty = [r for r in records if "Exiter" in r.assignment.values()]
    assert len(faulty) == 8 and all(not r.ok and r.blamed == "Exiter" for r in faulty)
    alone = {r.key: r.roles for r in iter_results(load_league(league_file(repetitions=2, players=fair)), jobs=1)}
    assert {r.key: r.roles for r in records if r.ok} == alone and len(alone) == 4


def test_match_record_round_trips_the_log_and_rejects_a_broken_one():
    from tourney.records import MatchRecord

    record = play_match("bilateral", {"buyer": "boulware", "seller": ("time-dependent", {"beta": 3.0})}, 7)
    assert record.ok and record.score("buyer") == record.roles["buyer"]["utility"]
    again = MatchRecord.from_json(record.to_json())
    assert again == record
    broken = record.to_json()
    del broken["seed"]
    with pytest.raises(ValueError, match="seed"):
        MatchRecord.from_json(broken)
    # a seat nobody can take is the caller's mistake, not a match
    with pytest.raises(Exception, match="cannot play role 'seller'"):
        play_match("bilateral", {"buyer": "boulware", "seller": "conan"}, 7)


def test_one_record_type_from_the_worker_to_the_log_and_back(tmp_path):
    from tourney.records import MatchRecord
    from tourney.store import LogReader, MatchLog

    ok = play_match("bilateral", {"buyer": "boulware", "seller": "conceder"}, 3)
    bad = play_match("bilateral", {"buyer": "boulware", "seller": "faulty_players.Raiser"}, 3)
    header = {"id", "key", "world", "world_type", "world_index", "setting", "assignment", "rep", "seed", "status",
              "blamed", "error", "duration", "pid"}
    assert set(ok.to_json()) == header | {"metric", "roles", "metrics", "details"}  # as the log has always held
    assert set(bad.to_json()) == header | {"blamed_role"}
    assert (bad.status, bad.blamed_role, bad.blamed) == ("error", "seller", "faulty_players.Raiser")
    with MatchLog(tmp_path / "matches.jsonl") as log:
        log.append(ok)
        log.append(bad)
    lines = list(LogReader(tmp_path / "matches.jsonl"))
    assert [MatchRecord.from_json(line) for line in lines] == [ok, bad]
    assert lines == [ok.to_json(), bad.to_json()]
