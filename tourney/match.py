"""The one way to play a match: ``play_match`` for one, ``iter_results`` for a league.

Both go through the worker's code path (``tourney.worker.play_match``): the
same seat resolution, global seeding, time limit, blame and result checks as a
tournament, so a trainer, a test and a notebook get exactly what a run would
log, without a run directory. ``play_match`` plays in the caller's process (a
trainer's learner class can be seated); ``iter_results`` with more than one
job plays as ``tourney run`` does, every match in a supervised player host.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterator, Mapping, Union

from tourney.contract import roles_in
from tourney.errors import RegistryError
from tourney.league import League
from tourney.records import MatchRecord
from tourney.registry import resolve_player, world_class
from tourney.schedule import Match, SeatSpec, iter_schedule
from tourney.worlds.base import World

# A seat: a player type (short name or dotted path) or a class, alone or with params.
SeatLike = Union[str, type, tuple[Union[str, type], Mapping[str, Any]], SeatSpec]


def _world_args(world: World | str) -> tuple[str, dict[str, Any]]:
    if isinstance(world, World):
        cls = type(world)
        return f"{cls.__module__}:{cls.__qualname__}", world.get_params()
    world_class(world)  # an unknown name is a RegistryError here, not a match error
    return world, {}


def _seat(role: str, seat: SeatLike, world_type: str) -> SeatSpec:
    if isinstance(seat, SeatSpec):
        return seat
    kind, params = (seat, {}) if isinstance(seat, (str, type)) else (seat[0], dict(seat[1]))
    if isinstance(kind, type):
        # a class in this process (a trainer's learner): the roles it declares, no presets
        name = f"{kind.__module__}:{kind.__qualname__}"
        if role not in roles_in(kind, world_class(world_type)):
            raise RegistryError(f"class '{name}' cannot play role '{role}' of world '{world_type}'")
        return SeatSpec(role, kind.__name__, name, params, cls=kind)
    type_name = kind
    resolved = resolve_player(type_name, world_type)
    if resolved is None or role not in resolved.roles:
        raise RegistryError(f"player '{type_name}' cannot play role '{role}' of world '{world_type}'")
    return SeatSpec(role, type_name, type_name, {**resolved.defaults, **params})


def play_match(world: World | str, seats: Mapping[str, SeatLike], seed: int, *,
               timeout: float | None = None, trace: bool = False) -> MatchRecord:
    """Play one match in this process and return its record (``record.result()``: the world's result).

    ``world`` is a World (its params are used) or a world type name with its
    default params; ``seats`` maps each role to a player type (a short name's
    preset params apply) or a class, alone or as ``(type, params)``. A player's fault is not
    raised: the record says ``status`` ``error``/``timeout`` and whom it blames.
    """
    from tourney.worker import play_match as play_in_worker

    world_type, params = _world_args(world)
    specs = tuple(_seat(role, seat, world_type) for role, seat in seats.items())
    key = f"{world_type}|{','.join(f'{s.role}={s.type_name}' for s in specs)}|s{seed}"
    config = json.dumps([world_type, params, [[s.role, s.type_name, s.params] for s in specs], seed],
                        sort_keys=True, default=str)
    match_id = hashlib.sha256(f"{key}\x1f{config}".encode()).hexdigest()[:20]
    match = Match(match_id, key, 0, world_type, world_type, params, {}, specs, 0, seed)
    return play_in_worker(match, timeout, trace)


def iter_results(league: League, jobs: int | None = None, *, trace: bool = False,
                 timeout: float | None = None) -> Iterator[MatchRecord]:
    """Play every match of ``league`` and yield its records in schedule order; no run dir, no log.

    ``jobs`` workers (None: the league's ``jobs``). With more than one, every
    match is played as ``tourney run`` plays it (``tourney.runner.dispatch``:
    the league's backend, each match in a player host under a supervisor, a
    worker the OS kills replaced): no player code runs in the caller's
    process. ``jobs=1`` plays in this process, on the worker's code path (for
    a debugger; a player that ends its process ends the caller). ``timeout``
    defaults to the league's per-match limit.
    """
    from tourney.worker import play_match as play_in_worker

    limit = league.format.timeout if timeout is None else timeout
    n_jobs = league.run.jobs if jobs is None else jobs
    if n_jobs == 1:
        for match in iter_schedule(league):
            yield play_in_worker(match, limit, trace)
        return
    yield from _in_schedule_order(league, _supervised(league, n_jobs, limit, trace))


def _supervised(league: League, jobs: int, timeout: float | None, trace: bool) -> Iterator[MatchRecord]:
    """The league's records in completion order, played by the runner's dispatch."""
    import tempfile
    from pathlib import Path

    from tourney.runner import dispatch
    from tourney.supervisor import Isolation

    from tourney.keyproxy import KeyProxy, league_endpoints

    backend = "loky" if league.run.backend == "sequential" else league.run.backend
    # dispatch keeps a marker per running match there, to tell which match a dead worker held
    with tempfile.TemporaryDirectory(prefix="tourney-iter-") as work, \
            KeyProxy(league_endpoints(league)) as key_routes:
        isolation = Isolation(memory_mb=league.format.memory_mb, fresh_per_match=league.format.isolation == "process",
                              import_timeout=league.format.import_timeout, disk_mb=league.format.disk_mb,
                              key_routes=key_routes)
        for record in dispatch(lambda: iter_schedule(league), set(), jobs, backend, league.run.address, timeout,
                               trace, Path(work), isolation):
            yield record


def _in_schedule_order(league: League, records: Iterator[MatchRecord]) -> Iterator[MatchRecord]:
    """``records`` reordered into the schedule's order, holding only those that arrived early."""
    expected = iter_schedule(league)
    following = next(expected, None)
    early: dict[str, MatchRecord] = {}
    for record in records:
        early[record.id] = record
        while following is not None and following.id in early:
            yield early.pop(following.id)
            following = next(expected, None)
