"""The SCML OneShot world: validation, round-robin seating, determinism,
exceptions raised (not swallowed), and a league played through the CLI."""

from __future__ import annotations

import json

import pytest
from negmas import ResponseType
from scml.oneshot.agent import OneShotAgent
from scml.oneshot.agents import GreedyOneShotAgent, RandDistOneShotAgent, SyncRandomOneShotAgent

from conftest import run_cli, write_league
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.oneshot import SLOTS, OneShotWorld


class ExplodingAgent(OneShotAgent):
    """Raises on its first proposal."""

    def propose(self, negotiator_id, state, source=None):
        raise RuntimeError("boom in propose")

    def respond(self, negotiator_id, state, source=None):
        return ResponseType.REJECT_OFFER


def seats_for(classes):
    return {slot: Seat(slot, cls.__name__, cls.__name__, cls, {}) for slot, cls in zip(SLOTS, classes)}


THREE = [GreedyOneShotAgent, RandDistOneShotAgent, SyncRandomOneShotAgent]


@pytest.mark.parametrize("params, key", [
    ({"n_steps": 2, "n_processes": 2}, "n_steps"),
    ({"n_steps": 3, "n_processes": 3}, "n_steps"),
    ({"n_agents_per_process": [0, 2]}, "n_agents_per_process"),
    ({"year": 2019}, "year"),
    ({"fillers": ["not-an-agent"]}, "fillers"),
    ({"n_confgs": 2}, "n_confgs"),
])
def test_bad_settings_are_rejected_with_the_key(params, key):
    with pytest.raises(ValueError) as info:
        OneShotWorld.validate(params)
    assert str(info.value).startswith(f"{key}:")
    if key == "n_steps":
        assert "n_processes + 1" not in str(info.value)  # says the number, not the formula
        assert f"n_steps >= {params['n_processes'] + 1}" in str(info.value)


def test_good_settings_pass():
    OneShotWorld.validate({"n_steps": 3, "n_processes": 2, "n_agents_per_process": [2, 3],
                           "fillers": ["greedy-oneshot", "scml.oneshot.agents.RandDistOneShotAgent"]})


def test_one_assignment_seats_every_competitor():
    players = ["A", "B", "C", "X"]
    out = OneShotWorld.assignments(players, lambda p, r: p != "X", self_play=False, both_roles=True)
    assert out == [{"agent1": "A", "agent2": "B", "agent3": "C"}]


def test_competitors_rotate_over_the_same_factories():
    world = OneShotWorld(n_steps=3, n_agents_per_process=2, trace=True)
    result = world.play(seats_for(THREE), 3, MatchContext(3))
    worlds = result.details["worlds"]
    assert len(worlds) == 3 and result.metrics["worlds"] == 3
    assert all(set(w["ids"]) == {"agent1", "agent2", "agent3"} for w in worlds)
    factories = {frozenset(w["factories"].values()) for w in worlds}
    assert len(factories) == 1  # the same competitor factories in every rotation
    for role in ("agent1", "agent2", "agent3"):
        assert len({w["factories"][role] for w in worlds}) == 3  # each competitor runs each of them once
        mean = sum(w["scores"][role] for w in worlds) / 3
        assert result.roles[role]["score"] == pytest.approx(mean)


def test_same_seed_same_scores_other_seed_other_market():
    world = OneShotWorld(n_steps=4, n_agents_per_process=2, rotations=1)
    seats = seats_for(THREE)
    first = world.play(seats, 21, MatchContext(21))
    assert first.roles == world.play(seats, 21, MatchContext(21)).roles
    assert first.roles != world.play(seats, 22, MatchContext(22)).roles


class LoudOneShotWorld(OneShotWorld):
    """scml's world with negmas' detail logs and negotiation records kept (its defaults)."""

    def quiet_options(self):
        return {}

    def quieten(self, world):
        assert world.save_negotiations  # scml forces it on: the quiet world is what turns it off


def test_skipping_negmas_records_changes_no_outcome():
    seats = seats_for([GreedyOneShotAgent, RandDistOneShotAgent, SyncRandomOneShotAgent, GreedyOneShotAgent])
    params = dict(n_steps=5, n_agents_per_process=(2, 3), rotations=2)
    quiet = OneShotWorld(**params).play(seats, 8, MatchContext(8))
    loud = LoudOneShotWorld(**params).play(seats, 8, MatchContext(8))
    assert quiet.roles == loud.roles
    strip = [{k: v for k, v in w.items() if k != "seconds"} for w in quiet.details["worlds"]]
    assert strip == [{k: v for k, v in w.items() if k != "seconds"} for w in loud.details["worlds"]]


def test_more_competitors_than_factories_get_factories_added():
    world = OneShotWorld(n_steps=3, n_agents_per_process=1, rotations=1)
    result = world.play(seats_for(THREE), 4, MatchContext(4))
    assert set(result.roles) == {"agent1", "agent2", "agent3"}
    assert result.details["worlds"][0]["fillers"] == {}


def test_an_agent_exception_is_raised_not_swallowed():
    world = OneShotWorld(n_steps=3, n_agents_per_process=2, rotations=1)
    with pytest.raises(Exception, match="boom in propose"):
        world.play(seats_for([ExplodingAgent, GreedyOneShotAgent]), 1, MatchContext(1))


def test_a_oneshot_league_through_the_cli(tmp_path):
    bad = write_league(tmp_path / "bad.yaml", worlds=[{"type": "oneshot", "params": {"n_steps": 2}}],
                       players=[{"name": "G", "type": "greedy-oneshot"}, {"name": "R", "type": "rand-dist"}])
    proc = run_cli("validate", str(bad))
    assert proc.returncode == 2 and "n_steps" in proc.stderr and "n_steps >= 3" in proc.stderr

    league = write_league(
        tmp_path / "l.yaml", name="os", repetitions=2,
        worlds=[{"type": "oneshot", "params": {"n_steps": 3, "n_agents_per_process": 2, "rotations": 1}}],
        players=[{"name": "Greedy", "type": "greedy-oneshot"},
                 {"name": "Rand", "type": "scml.oneshot.agents.RandDistOneShotAgent"}],
        scoring={"metric": "score", "aggregate": "mean"},
    )
    out = tmp_path / "run"
    run_cli("run", str(league), "-j", "1", "--out", str(out), "--quiet", check=True)
    records = [json.loads(line) for line in (out / "matches.jsonl").read_text().splitlines()]
    assert len(records) == 2 and all(r["status"] == "ok" for r in records)
    assert all(set(r["assignment"].values()) == {"Greedy", "Rand"} for r in records)


def test_days_are_drawn_per_config_from_a_range_as_scml_does():
    with pytest.raises(ValueError, match="n_steps >= 3"):
        OneShotWorld.check_params({"n_steps": [2, 5], "n_processes": 2})
    world = OneShotWorld(n_steps=[3, 5], n_agents_per_process=2, n_configs=3, rotations=1)
    result = world.play(seats_for(THREE), 7, MatchContext(7))
    days = [w["n_steps"] for w in result.details["worlds"]]
    assert all(3 <= d <= 5 for d in days) and len(set(days)) > 1
    assert days == [w["n_steps"] for w in world.play(seats_for(THREE), 7, MatchContext(7)).details["worlds"]]
    fixed = OneShotWorld(n_steps=4, n_agents_per_process=2, rotations=1).play(seats_for(THREE), 7, MatchContext(7))
    assert fixed.details["worlds"][0]["n_steps"] == 4


def test_a_world_has_no_wall_clock_cap(monkeypatch):
    # scml's default 15-minute cap cut long worlds short on a loaded machine
    from tourney.worlds import oneshot

    built = []
    original = OneShotWorld.quieten

    def keep(self, world):
        built.append(world)
        original(self, world)

    monkeypatch.setattr(oneshot.OneShotWorld, "quieten", keep)
    OneShotWorld(n_steps=3, n_agents_per_process=2, rotations=1).play(
        seats_for([GreedyOneShotAgent, GreedyOneShotAgent]), 2, MatchContext(2))
    assert built and built[0].time_limit == float("inf")
    assert built[0].current_step == 3  # ran every day
