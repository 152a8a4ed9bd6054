"""Plays one match inside a player host: builds the world and players, enforces the
wall-time limit (the in-process fast path), blames the player at fault, and
returns a plain record.

Nothing a player raises can escape this function: any exception, including
BaseExceptions such as SystemExit, KeyboardInterrupt and GeneratorExit, and
protocol breaches become a record with status ``error`` or ``timeout``, the
player at fault named in ``blamed`` and the traceback kept. What it cannot
catch (the process dying, a hang the alarm cannot break, a memory hog) the
supervisor outside the process handles (``tourney.supervisor``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any, Callable, Iterator, TypeVar

from tourney import acting
from tourney.contract import check_result
from tourney.errors import BackendFault, MatchTimeout, PlayerFault, WorldError
from tourney.imports import add_import_dirs
from tourney.records import MatchRecord
from tourney.registry import resolve_player, world_class
from tourney.schedule import Match
from tourney.seeding import seed_globals
from tourney.store import clean_json
from tourney.worlds.base import MatchContext, MatchResult, Seat, World

MAX_TRACEBACK = 8000
T = TypeVar("T")


GRACE_SECONDS = 2.0  # after the limit, how long a match thread may take to unwind before it is abandoned


def call_with_time_limit(fn: Callable[[], T], seconds: float | None,
                         blame: Callable[[FrameType | None], str | None] = lambda frame: None) -> T:
    """Return ``fn()``, raising MatchTimeout once it has run ``seconds``.

    On the main thread (loky and sequential workers) a SIGALRM timer
    interrupts even a blocking ``sleep``. Elsewhere (dask runs tasks in a
    worker's thread pool) ``fn`` runs in a thread of its own: at the limit an
    asynchronous MatchTimeout is raised in it, which stops Python code at its
    next bytecode; a thread still blocked inside a C call (``time.sleep``, a
    socket read, a long numpy or torch kernel) after ``GRACE_SECONDS`` more is
    abandoned: the match is recorded as a timeout at once, blamed on the player
    whose code the thread is stuck in, and the thread ends when the C call
    returns (the pending exception stops it there). Until then it keeps its
    CPU and memory, which only a worker restart reclaims.
    """
    if not seconds or seconds == float("inf"):
        return fn()
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds):
            return fn()
    return _call_in_thread(fn, seconds, blame)


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def _raise(signum: int, frame: FrameType | None) -> None:
        exc = MatchTimeout(f"match exceeded its {seconds:g} s limit")
        exc.acting = acting.acting_now()  # who the alarm interrupted, for blame
        raise exc

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _call_in_thread(fn: Callable[[], T], seconds: float, blame: Callable[[FrameType | None], str | None]) -> T:
    outcome: dict[str, Any] = {}

    def _target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=_target, name="tourney-match", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident or 0), ctypes.py_object(MatchTimeout))
        thread.join(GRACE_SECONDS)
    if thread.is_alive():
        exc = MatchTimeout(f"match exceeded its {seconds:g} s limit and its thread did not return from a "
                           f"blocking call within {GRACE_SECONDS:g} s more; the thread was abandoned")
        exc.role = blame(sys._current_frames().get(thread.ident or 0))
        raise exc
    if "error" in outcome:
        error = outcome["error"]
        if type(error) is MatchTimeout and not error.args:  # the bare class raised asynchronously
            error.args = (f"match exceeded its {seconds:g} s limit",)
        raise error
    value: T = outcome["value"]
    return value


def _blame(tb: TracebackType | None, ctx: MatchContext) -> str | None:
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


def _blame_frame(frame: FrameType | None, ctx: MatchContext) -> str | None:
    """The role of the innermost registered object on a live thread's stack."""
    while frame is not None:
        owner = frame.f_locals.get("self")
        if owner is not None:
            found = ctx.owner_of(owner)
            if found is not None:
                return found
        frame = frame.f_back
    return None


# A player type resolved once per worker process (the module import, the registry
# lookup, the roles): the same class for every later match of that type.
_RESOLVED: dict[tuple[str, str, tuple[str, ...]], Any] = {}
_WORLDS: dict[str, type[World]] = {}  # world classes by type name, looked up once per process


def _seats(match: Match) -> dict[str, Seat]:
    seats = {}
    for s in match.seats:
        if s.cls is not None:  # a class given in process (tourney.play_match)
            seats[s.role] = Seat(s.role, s.player, s.type_name, s.cls, dict(s.params))
            continue
        key = (s.type_name, match.world_type, match.import_dirs)
        resolved = _RESOLVED.get(key)
        if resolved is None:
            with acting.playing(s.role):  # importing a player's module runs its code
                resolved = _import_player(s.type_name, match.world_type)
            if resolved is not None:
                _RESOLVED[key] = resolved
        if resolved is None:
            raise RuntimeError(f"player type {s.type_name!r} cannot play world {match.world_type!r}")
        seats[s.role] = Seat(s.role, s.player, s.type_name, resolved.cls, dict(s.params))
    return seats


IMPORT_TIMEOUT: float | None = None  # in a player host: format: {import_timeout} (the supervisor's Isolation)


def _import_player(type_name: str, world_type: str) -> Any:
    """``resolve_player`` (a player module's import-time code runs) within ``IMPORT_TIMEOUT`` seconds.

    Outside the match clock, but bounded: past it the import is that player's
    timeout (its seat is acting). The supervisor sees when it began in the slot
    and kills the host a grace later if the alarm cannot stop it.
    """
    acting.import_begins(time.monotonic())
    try:
        return call_with_time_limit(lambda: resolve_player(type_name, world_type), IMPORT_TIMEOUT)
    except MatchTimeout as exc:
        if "import_timeout" in str(exc):
            raise
        raise MatchTimeout(f"importing player type {type_name!r} took over {IMPORT_TIMEOUT:g} s "
                           "(format: import_timeout)") from None
    finally:
        acting.import_begins(0.0)


INTERRUPTED = False  # set by the runner's SIGINT handler when it plays matches in its own process


def play_match(match: Match, timeout: float | None, trace: bool = False) -> MatchRecord:
    """Play ``match`` and return its record (never raises for a player's fault)."""
    started = time.perf_counter()
    record = MatchRecord.for_match(match)
    roles = [s.role for s in match.seats]
    acting.set_roles(roles)
    ctx = MatchContext(match.seed, deadline=(time.monotonic() + timeout) if timeout else None, trace=trace)

    def _play() -> tuple[World, MatchResult]:
        seed_globals(match.seed)
        world = world_cls(**match.world_params)
        return world, world.play(seats, match.seed, ctx)

    try:
        # Importing the player and world modules is worker set-up, paid once per
        # process: it stays outside the clock so the first match of a worker
        # on a loaded machine is not timed out for it.
        add_import_dirs(match.import_dirs)  # player modules beside the league file
        seats = _seats(match)
        world_cls = _WORLDS.get(match.world_type) or _WORLDS.setdefault(match.world_type,
                                                                         world_class(match.world_type))
        acting.start_clock(time.monotonic())
        world, result = call_with_time_limit(_play, timeout, lambda frame: _blame_frame(frame, ctx))
        check_result(world, result, seats)
        record.metric = world.default_metric
        record.roles = clean_json(result.roles)
        record.metrics = clean_json(result.metrics)
        record.details = clean_json(result.details)
    except BaseException as exc:  # noqa: BLE001 - nothing a player raises may escape
        if isinstance(exc, KeyboardInterrupt) and INTERRUPTED:
            raise  # a real Ctrl-C of a runner playing in its own process (the sequential debug path)
        raiser = _role_at(acting.seat_that_raised(exc), roles)
        acting.forget_raised()
        _record_fault(record, exc, roles, ctx)
        if raiser is not None:
            # It came out of a player's own call: that player's fault, whatever the exception claims
            # (a MatchTimeout or PlayerFault naming the opponent, a WorldError voiding the match).
            # The alarm's own timeout, raised inside a player's call, names that player anyway.
            record.blame(record.status, raiser, record.error or "")
            if record.backend:
                record.backend["role"] = raiser
    record.duration = round(time.perf_counter() - started, 6)
    record.pid = os.getpid()
    return record


def _record_fault(record: MatchRecord, exc: BaseException, roles: list[str], ctx: MatchContext) -> None:
    """Status, error and blame of a match that ``exc`` ended, from what the exception is."""
    if isinstance(exc, MatchTimeout):
        record.blame("timeout", getattr(exc, "role", None) or _blame(exc.__traceback__, ctx)
                     or _role_at(getattr(exc, "acting", 0), roles), _format(exc))
    elif isinstance(exc, WorldError):  # the world broke its own contract: nobody's fault but the world's
        record.blame("error", None, f"WorldError: {exc}")
    elif isinstance(exc, PlayerFault):
        record.blame("error", exc.role, _format(exc))
    elif isinstance(exc, BackendFault):
        # The endpoint failed, not the play, but the fault is still charged to the
        # seat whose backend it was: a player can raise BackendFault itself, and a
        # voided match would let a losing player escape its score.
        role = _blame(exc.__traceback__, ctx) or _role_at(acting.last_raiser(), roles)
        record.blame("error", role, str(exc), reason="backend",
                     backend={"endpoint": exc.endpoint, "status": exc.status, "role": role})
    else:  # SystemExit, KeyboardInterrupt, ... from a player are its fault
        record.blame("error", _blame(exc.__traceback__, ctx) or _role_at(acting.last_raiser(), roles),
                     _format(exc))
        if isinstance(exc, MemoryError):
            record.reason = "memory"  # past the worker's limit (format: memory_mb)


def _role_at(index: int, roles: list[str]) -> str | None:
    return roles[index - 1] if 0 < index <= len(roles) else None


_LOKY_RELAXED = False


def _keep_loky_worker_alive() -> None:
    """Stop loky from recycling a worker whose memory grew by 300 MB.

    loky measures a worker's memory after its first task and replaces the
    worker when it grows by more than 300 MB, taking it for a leak. A player
    that loads a language model, torch or scml on its first match grows a
    worker by that much on purpose, once; recycling would load it again and
    again. The limit is a module global of loky's worker loop, read at each
    check, so raising it from inside the worker is enough.
    """
    global _LOKY_RELAXED
    if _LOKY_RELAXED:
        return
    _LOKY_RELAXED = True
    try:
        from joblib.externals.loky import process_executor
    except ImportError:
        return
    process_executor._MAX_MEMORY_LEAK_SIZE = max(process_executor._MAX_MEMORY_LEAK_SIZE, 16 * 2**30)


def _format(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text if len(text) <= MAX_TRACEBACK else text[:2000] + "\n...\n" + text[-(MAX_TRACEBACK - 2000):]
