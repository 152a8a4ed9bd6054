"""Contract checks for a world or a player, as Gymnasium's ``check_env`` and
scikit-learn's ``check_estimator``: call them on your plug-in (the test suite
calls them on every registered world and player).

Each raises ``ContractError`` naming the first broken rule and returns the
match records it played.
"""

from __future__ import annotations

import inspect
from typing import Any, Mapping

from tourney.contract import declared_plays, roles_in
from tourney.errors import RegistryError
from tourney.match import SeatLike, play_match
from tourney.records import MatchRecord
from tourney.registry import player_names, resolve_player, world_class
from tourney.specs import EVERY_SEAT
from tourney.worlds.base import World


class ContractError(AssertionError):
    """A world or player breaks its contract."""


def _fail(message: str) -> ContractError:
    return ContractError(message)


def _partner(role: str, world_type: str, exclude: str | None = None) -> str:
    """The first registered player that can take ``role`` in the world."""
    fallback = None
    for name in player_names():
        try:
            resolved = resolve_player(name, world_type)
        except RegistryError:
            continue  # an optional extra that is not installed
        if resolved is not None and role in resolved.roles:
            if name != exclude:
                return name
            fallback = name
    if fallback is None:
        raise _fail(f"no registered player can take role '{role}' of world '{world_type}'")
    return fallback


def _default_seats(world_cls: type[World], world_type: str) -> dict[str, str]:
    """The world's own first assignment of the first registered player for each of its roles."""
    names: list[str] = []
    for role in world_cls.roles:
        name = _partner(role, world_type)
        if name not in names:
            names.append(name)
    roles = {name: resolve_player(name, world_type) for name in names}

    def can_play(player: str, role: str) -> bool:
        resolved = roles[player]
        return resolved is not None and role in resolved.roles

    options = world_cls.assignments(names, can_play, True, False)
    if not options:
        raise _fail(f"world '{world_cls.name}': no assignment of {names} fills its roles")
    return dict(options[0])


def _check_ok(record: MatchRecord, what: str) -> None:
    if not record.ok:
        raise _fail(f"{what}: match ended with status {record.status} "
                    f"(blamed {record.blamed_role or 'nobody'}): {(record.error or '').strip()[-600:]}")
    for role in record.assignment:
        if record.score(role) is None:
            raise _fail(f"{what}: role '{role}' has no score")


def check_world(world: str | type[World], params: Mapping[str, Any] | None = None,
                seats: Mapping[str, SeatLike] | None = None, seed: int = 0,
                repeat: bool = True) -> list[MatchRecord]:
    """Check a world's declarations, then play one match (twice with ``repeat``: same seed, same result)."""
    world_type = world if isinstance(world, str) else f"{world.__module__}:{world.__qualname__}"
    cls = world_class(world_type)
    if not cls.name or not isinstance(cls.name, str):
        raise _fail(f"{cls.__qualname__}: a world needs a non-empty class attribute 'name'")
    if not all(isinstance(r, str) for r in cls.roles) or len(set(cls.roles)) != len(cls.roles):
        raise _fail(f"world '{cls.name}': roles must be distinct strings, got {cls.roles!r}")
    if cls.default_metric not in cls.metrics:
        raise _fail(f"world '{cls.name}': default_metric '{cls.default_metric}' is not among its "
                    f"metrics {cls.metrics!r}")
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.default is p.empty:
            raise _fail(f"world '{cls.name}': parameter '{p.name}' needs a default (a league may omit it)")
    try:
        cls.validate(dict(params or {}))
    except ValueError as exc:
        raise _fail(f"world '{cls.name}': its own check params fail validation: {exc}") from None
    instance = cls(**dict(params or {}))
    if instance.get_params() != {**cls().get_params(), **dict(params or {})}:
        raise _fail(f"world '{cls.name}': get_params() must return the params unchanged")
    if seats is None:
        seats = _default_seats(cls, world_type)
    first = play_match(instance, seats, seed)
    _check_ok(first, f"world '{cls.name}'")
    if not repeat:
        return [first]
    again = play_match(cls(**dict(params or {})), seats, seed)
    if again.roles != first.roles:
        raise _fail(f"world '{cls.name}': the same seats and seed gave different results "
                    f"({first.roles} then {again.roles})")
    return [first, again]


def check_player(player: str, world: str = "bilateral", params: Mapping[str, Any] | None = None,
                 world_params: Mapping[str, Any] | None = None, seed: int = 0,
                 play: bool = True) -> list[MatchRecord]:
    """Check what a player declares, then (``play``) play it once in every role it takes in ``world``."""
    resolved = resolve_player(player, world)
    if resolved is None:
        raise _fail(f"player '{player}' cannot play world '{world}'")
    world_cls = world_class(world)
    plays = declared_plays(resolved.cls)
    if plays is not None:
        for name, roles in plays.items():
            if not isinstance(name, str) or not (roles == EVERY_SEAT or (
                    isinstance(roles, tuple) and roles and all(isinstance(r, str) for r in roles))):
                raise _fail(f"player '{player}': plays[{name!r}] must be a non-empty tuple of roles or "
                            f"'{EVERY_SEAT}', got {roles!r}")
    keeps = getattr(resolved.cls, "keeps_state", False)
    if not isinstance(keeps, bool):
        raise _fail(f"player '{player}': keeps_state must be a bool, got {keeps!r}")
    if world_cls.roles and not set(resolved.roles) <= set(world_cls.roles):
        raise _fail(f"player '{player}' declares roles {resolved.roles} that world '{world}' does not have "
                    f"({world_cls.roles})")
    if roles_in(resolved.cls, world_cls) != resolved.roles:
        raise _fail(f"player '{player}': its short name and its class disagree on its roles")
    if not play:
        return []
    seat_roles = world_cls.roles or tuple(resolved.roles[:2])
    instance = world_cls(**dict(world_params or {}))
    records = []
    mine: SeatLike = (player, dict(params or {}))
    for role in resolved.roles if world_cls.roles else seat_roles[:1]:
        seats: dict[str, SeatLike] = {r: _partner(r, world, exclude=player) for r in seat_roles if r != role}
        seats[role] = mine
        record = play_match(instance, seats, seed)
        _check_ok(record, f"player '{player}' as {role} in world '{world}'")
        records.append(record)
    return records
