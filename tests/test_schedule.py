"""Schedule counts and seeds."""

from __future__ import annotations

import pytest

from tourney.league import load_league
from tourney.schedule import build_schedule, count_matches

from conftest import write_league


def _players(n):
    kinds = ["boulware", "conceder", "linear", "relative-tft", "random"]
    return [{"name": f"P{i}", "type": kinds[i % len(kinds)]} for i in range(n)]


@pytest.mark.parametrize("n,settings,reps,self_play,both,expected", [
    (4, {"zoa": [100, 60, 10]}, 2, False, True, 4 * 3 * 3 * 2),       # ordered pairs
    (4, {"zoa": [100, 60, 10]}, 2, True, True, 4 * 4 * 3 * 2),        # plus self-play
    (5, {}, 3, False, False, 10 * 3),                                 # unordered pairs
    (3, {"zoa": [100, 60], "n_steps": [10, 20]}, 1, False, True, 6 * 4),
])
def test_match_count(tmp_path, n, settings, reps, self_play, both, expected):
    path = write_league(tmp_path / "l.yaml", players=_players(n), repetitions=reps,
                        worlds=[{"type": "bilateral", "settings": settings}],
                        format={"self_play": self_play, "both_roles": both})
    league = load_league(path)
    schedule = build_schedule(league)
    assert len(schedule) == expected == count_matches(league)
    assert len({m.id for m in schedule}) == expected


def test_seeds_depend_on_key_only(tmp_path):
    a = load_league(write_league(tmp_path / "a.yaml", players=_players(3)))
    b = load_league(write_league(tmp_path / "b.yaml", players=list(reversed(_players(3)))))
    seeds_a = {m.key: m.seed for m in build_schedule(a)}
    seeds_b = {m.key: m.seed for m in build_schedule(b)}
    assert seeds_a == seeds_b
    assert len(set(seeds_a.values())) == len(seeds_a)
    c = load_league(write_league(tmp_path / "c.yaml", players=_players(3), seed=4))
    assert {m.key: m.seed for m in build_schedule(c)} != seeds_a


def test_editing_a_player_changes_only_its_match_ids(tmp_path):
    players = _players(3)
    a = build_schedule(load_league(write_league(tmp_path / "a.yaml", players=players)))
    players[0] = {**players[0], "params": {"beta": 0.3}}
    b = build_schedule(load_league(write_league(tmp_path / "b.yaml", players=players)))
    changed = {m.key for m in a} - {m.key for m in b} | {
        ma.key for ma, mb in zip(a, b) if ma.id != mb.id}
    assert changed and all("P0" in key for key in changed)
    assert all(ma.id == mb.id for ma, mb in zip(a, b) if "P0" not in ma.key)
