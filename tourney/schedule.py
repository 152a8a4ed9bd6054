"""League -> the list of matches: pairings x settings x repetitions, with seeds.

A match's seed derives from the league seed and the match key only (never from
order, worker or time). Its id also hashes the configuration that shapes it
(world params, the players' types and params, the seed), so a rerun after an
edit replays only the matches the edit changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from tourney.league import League, WorldEntry
from tourney.registry import world_class
from tourney.seeding import derive_seed


@dataclass(frozen=True)
class SeatSpec:
    """A player in a role, as plain data (cheap to send to a worker)."""

    role: str
    player: str
    type_name: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Match:
    id: str
    key: str
    world_index: int
    world_type: str
    world_label: str
    world_params: Mapping[str, Any]  # params with this match's setting applied
    setting: Mapping[str, Any]
    seats: tuple[SeatSpec, ...]
    rep: int
    seed: int

    @property
    def assignment(self) -> dict[str, str]:
        return {s.role: s.player for s in self.seats}


def _setting_text(setting: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(setting.items()))


def _assignments(league: League, world: WorldEntry) -> list[dict[str, str]]:
    cls = world_class(world.type)
    names = [p.name for p in league.players]

    def can_play(player: str, role: str) -> bool:
        resolved = league.resolved.get((player, world.index))
        return resolved is not None and role in resolved.roles

    return cls.assignments(names, can_play, league.format.self_play, league.format.both_roles)


def iter_schedule(league: League) -> Iterator[Match]:
    """Yield every match of the league in a stable order."""
    players = {p.name: p for p in league.players}
    for world in league.worlds:
        assignments = _assignments(league, world)
        for setting in world.setting_grid():
            params = {**world.params, **setting}
            setting_text = _setting_text(setting)
            for assignment in assignments:
                seats = tuple(
                    SeatSpec(role, name, players[name].type, dict(players[name].params))
                    for role, name in assignment.items()
                )
                seat_text = ",".join(f"{s.role}={s.player}" for s in seats)
                for rep in range(league.repetitions):
                    key = f"{world.label}|{setting_text}|{seat_text}|r{rep}"
                    seed = derive_seed(league.seed, key)
                    config = json.dumps(
                        [world.type, params, [[s.role, s.type_name, s.params] for s in seats], seed],
                        sort_keys=True, default=str,
                    )
                    match_id = hashlib.sha256(f"{key}\x1f{config}".encode()).hexdigest()[:20]
                    yield Match(match_id, key, world.index, world.type, world.label, params,
                                setting, seats, rep, seed)


def build_schedule(league: League) -> list[Match]:
    return list(iter_schedule(league))


def count_matches(league: League) -> int:
    total = 0
    for world in league.worlds:
        total += len(_assignments(league, world)) * len(world.setting_grid()) * league.repetitions
    return total
