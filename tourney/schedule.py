"""League -> the list of matches: pairings x settings x repetitions, with seeds.

A match's seed derives from the league seed and the match key only (never from
order, worker or time). Its id also hashes the configuration that shapes it
(world params, the players' types and params, the seed), so a rerun after an
edit replays only the matches the edit changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
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
    # A class given directly (tourney.play_match in a trainer); schedules leave it None
    # and the worker resolves ``type_name``.
    cls: type | None = field(default=None, compare=False)


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
    import_dirs: tuple[str, ...] = ()  # folders the worker imports player modules from (not part of the id)

    @property
    def assignment(self) -> dict[str, str]:
        return {s.role: s.player for s in self.seats}


MAX_MATCHES = 1_000_000  # matches in one league's schedule; the runner keeps an id (~100 B) per match


def _escape(text: str, special: str = "%|,=") -> str:
    """``text`` with the key's separators and non-printable characters percent-encoded.

    Plain names (letters, digits, ``.``, ``-``, spaces, accents) come out
    unchanged, so the keys, seeds and ids of existing leagues stay the same;
    names that contain a separator can no longer make two keys alike
    (players ``a,seller=b`` and ``a``).
    """
    if text.isprintable() and not any(c in text for c in special):
        return text
    return "".join(f"%{ord(c):02X}" if c in special or not c.isprintable() else c for c in text)


def _setting_text(setting: Mapping[str, Any]) -> str:
    # JSON values are self-delimiting (a comma inside a list or string cannot end one),
    # so only '|' (the key's field separator) and '%' need escaping in them.
    return ",".join(f"{_escape(str(k))}={_escape(json.dumps(v, sort_keys=True), '%|')}"
                    for k, v in sorted(setting.items()))


def _assignments(league: League, world: WorldEntry) -> list[dict[str, str]]:
    cls = world_class(world.type)
    names = [p.name for p in league.players]

    def can_play(player: str, role: str) -> bool:
        resolved = league.resolved.get((player, world.index))
        return resolved is not None and role in resolved.roles

    return cls.assignments(names, can_play, league.format.self_play, league.format.both_roles)


def _seats(players: Mapping[str, Any], assignment: Mapping[str, str]) -> tuple[tuple[SeatSpec, ...], str]:
    seats = tuple(
        SeatSpec(role, name, players[name].type, dict(players[name].params))
        for role, name in assignment.items()
    )
    return seats, ",".join(f"{_escape(s.role)}={_escape(s.player)}" for s in seats)


def _make_match(league: League, world: WorldEntry, params: Mapping[str, Any], setting: Mapping[str, Any],
                key_prefix: str, seats: tuple[SeatSpec, ...], rep: int) -> Match:
    key = f"{key_prefix}{rep}"
    seed = derive_seed(league.seed, key)
    config = json.dumps(
        [world.type, params, [[s.role, s.type_name, s.params] for s in seats], seed],
        sort_keys=True, default=str,
    )
    match_id = hashlib.sha256(f"{key}\x1f{config}".encode()).hexdigest()[:20]
    return Match(match_id, key, world.index, world.type, world.label, params, setting, seats, rep, seed,
                 league.import_dirs)


def _key_prefix(world: WorldEntry, setting_text: str, seat_text: str) -> str:
    return f"{_escape(world.label)}|{setting_text}|{seat_text}|r"


def iter_schedule(league: League) -> Iterator[Match]:
    """Yield every match of the league in a stable order."""
    players = {p.name: p for p in league.players}
    for world in league.worlds:
        assignments = _assignments(league, world)
        for setting in world.setting_grid():
            params = {**world.params, **setting}
            setting_text = _setting_text(setting)
            for assignment in assignments:
                seats, seat_text = _seats(players, assignment)
                prefix = _key_prefix(world, setting_text, seat_text)
                for rep in range(league.repetitions):
                    yield _make_match(league, world, params, setting, prefix, seats, rep)


def build_schedule(league: League) -> list[Match]:
    return list(iter_schedule(league))


def count_matches(league: League) -> int:
    """Matches in the schedule, counted (assignments x settings x repetitions), never listed."""
    return sum(len(_assignments(league, w)) * w.n_settings * league.repetitions for w in league.worlds)


def check_schedule_size(league: League) -> int:
    """``count_matches``, or ValueError above ``MAX_MATCHES``."""
    total = count_matches(league)
    if total > MAX_MATCHES:
        raise ValueError(f"the schedule has {total:,} matches, more than the limit of {MAX_MATCHES:,} "
                         "(tourney.schedule.MAX_MATCHES); lower repetitions or settings, or split the league")
    return total


class ScheduleIndex:
    """Tells whether a logged record is a match of the league's current schedule.

    It rebuilds the one match the record names (world, setting, seats, rep)
    and compares ids, so reading a log costs a match per record, whatever
    the size of the schedule (never a set of every match id).
    """

    def __init__(self, league: League) -> None:
        self.league = league
        self._players = {p.name: p for p in league.players}
        # per world: the set of (role, player) pairs of an assignment -> the assignment in role order
        self._assignments: dict[int, dict[frozenset[tuple[str, str]], dict[str, str]]] = {}

    def _assignment(self, world: WorldEntry, assignment: dict[str, str]) -> dict[str, str] | None:
        known = self._assignments.get(world.index)
        if known is None:
            known = {frozenset(a.items()): a for a in _assignments(self.league, world)}
            self._assignments[world.index] = known
        try:
            return known.get(frozenset(assignment.items()))
        except TypeError:  # an unhashable value: not a record this schedule wrote
            return None

    def match_of(self, record: Mapping[str, Any]) -> Match | None:
        """The schedule's match with this record's id, or None."""
        try:
            world = self.league.worlds[int(record["world_index"])]
            setting = record.get("setting") or {}
            assignment = record["assignment"]
            rep = int(record.get("rep", 0))
        except (KeyError, IndexError, TypeError, ValueError):
            return None
        if not (0 <= rep < self.league.repetitions) or not isinstance(setting, dict) \
                or set(setting) != set(world.settings):
            return None
        if any(value not in world.settings[k] for k, value in setting.items()):
            return None
        ordered = self._assignment(world, assignment) if isinstance(assignment, dict) else None
        if ordered is None:  # roles in the world's order, as iter_schedule builds them
            return None
        setting = {k: setting[k] for k in sorted(setting)}
        seats, seat_text = _seats(self._players, ordered)
        match = _make_match(self.league, world, {**world.params, **setting}, setting,
                            _key_prefix(world, _setting_text(setting), seat_text), seats, rep)
        return match if match.id == record.get("id") else None
