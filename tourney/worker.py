"""Plays one match inside a worker: builds the world and players, enforces the
wall-time limit, blames the player at fault, and returns a plain record.

Nothing a player does can escape this function: exceptions, hangs and protocol
breaches become a record with status ``error`` or ``timeout``, the player at
fault named in ``blamed`` and the traceback kept.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from tourney.errors import MatchTimeout, PlayerFault
from tourney.registry import resolve_player, world_class
from tourney.schedule import Match
from tourney.seeding import seed_globals
from tourney.store import clean_json
from tourney.worlds.base import MatchContext, Seat

MAX_TRACEBACK = 8000


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise MatchTimeout in this thread after ``seconds``.

    On the main thread a SIGALRM timer interrupts even a blocking ``sleep``.
    Elsewhere (dask and ray run tasks in threads) a watchdog raises the
    exception asynchronously, which interrupts Python code but not a call
    blocked inside C; the distributed engine's own task timeouts cover that.
    """
    if not seconds or seconds == float("inf"):
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        def _alarm(signum, frame):
            raise MatchTimeout(f"match exceeded its {seconds:g} s limit")

        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    target = threading.get_ident()
    done = threading.Event()

    def _watch() -> None:
        if not done.wait(seconds):
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(MatchTimeout))

    watchdog = threading.Thread(target=_watch, daemon=True)
    watchdog.start()
    try:
        yield
    finally:
        done.set()


def _blame(tb, ctx: MatchContext) -> str | None:
    """The role of the innermost registered object on the traceback."""
    role = None
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if owner is not None:
            found = ctx.owner_of(owner)
            if found is not None:
                role = found
        tb = tb.tb_next
    return role


def _seats(match: Match) -> dict[str, Seat]:
    seats = {}
    for s in match.seats:
        resolved = resolve_player(s.type_name, match.world_type)
        if resolved is None:
            raise RuntimeError(f"player type {s.type_name!r} cannot play world {match.world_type!r}")
        seats[s.role] = Seat(s.role, s.player, s.type_name, resolved.cls, dict(s.params))
    return seats


def play_match(match: Match, timeout: float | None, trace: bool = False,
               inflight_dir: str | None = None) -> dict[str, Any]:
    """Play ``match`` and return its record (never raises for a player's fault)."""
    marker = _mark_inflight(inflight_dir, match.id)
    started = time.perf_counter()
    record: dict[str, Any] = {
        "id": match.id, "key": match.key, "world": match.world_label, "world_type": match.world_type,
        "world_index": match.world_index, "setting": dict(match.setting),
        "assignment": match.assignment, "rep": match.rep, "seed": match.seed,
        "status": "ok", "blamed": None, "error": None,
    }
    ctx = MatchContext(match.seed, deadline=(time.monotonic() + timeout) if timeout else None, trace=trace)
    seats: dict[str, Seat] = {}
    try:
        seed_globals(match.seed)
        with time_limit(timeout):
            seats = _seats(match)
            world = world_class(match.world_type)(**match.world_params)
            result = world.play(seats, match.seed, ctx)
        record["metric"] = world.default_metric
        record["roles"] = clean_json(result.roles)
        record["metrics"] = clean_json(result.metrics)
        record["details"] = clean_json(result.details)
    except MatchTimeout as exc:
        record.update(status="timeout", error=_format(exc))
        record["blamed_role"] = _blame(exc.__traceback__, ctx)
    except PlayerFault as exc:
        record.update(status="error", error=_format(exc))
        record["blamed_role"] = exc.role
    except Exception as exc:  # noqa: BLE001 - a player's bug must not end the tournament
        record.update(status="error", error=_format(exc))
        record["blamed_role"] = _blame(exc.__traceback__, ctx)
    if record["status"] != "ok":
        role = record.get("blamed_role")
        record["blamed"] = match.assignment.get(role) if role else None
    record["duration"] = round(time.perf_counter() - started, 6)
    record["pid"] = os.getpid()
    _clear_inflight(marker)
    return record


def _format(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text if len(text) <= MAX_TRACEBACK else text[:2000] + "\n...\n" + text[-(MAX_TRACEBACK - 2000):]


def _mark_inflight(inflight_dir: str | None, match_id: str) -> Path | None:
    # A marker per running match lets the parent tell which matches were on a
    # worker the OS killed. Remote workers without the directory skip it.
    if not inflight_dir:
        return None
    try:
        path = Path(inflight_dir) / match_id
        path.touch()
        return path
    except OSError:
        return None


def _clear_inflight(marker: Path | None) -> None:
    if marker is not None:
        try:
            marker.unlink()
        except OSError:
            pass
