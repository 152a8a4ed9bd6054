"""Who is acting: a byte in shared memory that says which seat's code is running.

Before every call into a player the host process writes the seat's index
into this slot and restores the previous value when the call returns. The
supervisor that started the host maps the same memory, so when the host dies
(``os._exit``, a segfault, the OOM killer) or is killed for overrunning its
wall limit, the supervisor reads the slot and blames the seat that was acting.
Index 0 means no player is acting (world or runner code).

The slot is an anonymous shared ``mmap`` made before the host is forked: no
file descriptor is needed to read or write it, so a player closing every
descriptor of its process cannot blind the supervisor.

Calls are marked by guarding the objects a world registers (``guard``): the
object's class is swapped for a cached subclass of it whose public methods
defined outside negmas/scml/tourney (the player's own code), and
``__call__``, are wrapped. The subclass has the same name, module and slots,
so negmas and pickling see the player's own class. A write costs
about 60 ns; a guarded call about 0.3 us (bench/bench_isolation.py), enough
for millions of calls a second.

Threads (``track_threads``, in a host): a thread started while a seat's code
runs belongs to that seat; the slot counts each seat's running threads, and
``os._exit``/``os.abort``/signals to its own host note the seat of the thread
calling them, so a host ended by a player's background thread names that
player (``ActingSlot.culprit``). A guarded object's ``id`` (negmas) is the one
it had when registered: blame and the mechanism's books rest on it, not on
what the player sets.

What this cannot do: a player running in the same process can find and
overwrite the slot (it is Python memory); a guarded object whose class cannot
be swapped (a C extension type) is not marked; a thread started in C or by the
original start function (reached by introspection) is not tracked. These are
documented limits of in-process play (README, "Faults"): the supervisor does
not believe the slot's "finished" mark alone (``supervisor._Host.back_home``).
"""

from __future__ import annotations

import _thread
import builtins
import functools
import mmap
import struct
from contextlib import contextmanager
from typing import Any, Callable, Iterator

SLOT_BYTES = 64
_CLOCK = struct.Struct("d")  # bytes 8..16: monotonic time the match clock started (0: not started)
_SEQ = struct.Struct("q")  # bytes 16..24: sequence number of the match the slot describes
_TAMPER = 24  # byte 24: index of the seat that tampered with the runner (255: outside any seat's call)
_TAMPER_KIND = 25  # byte 25: what it tried (one of TAMPERING)
_FINISHED = 26  # byte 26: 1 once the host's own code has the match's record and is about to send it
_READS = struct.Struct("I")  # bytes 32..36: the supervisor's output reads, +1 before and +1 after each
_DYING = 27  # byte 27: seat of the thread that called os._exit/os.abort or signalled its own host (255: no seat)
_IMPORT = struct.Struct("d")  # bytes 40..48: monotonic time a player module's import began (0: none running)
_THREADS = 48  # bytes 48..63: live threads started by player code, per seat (byte 47 + seat index)
MAX_THREAD_SEATS = SLOT_BYTES - _THREADS
NO_SEAT = 255
TAMPERING = {1: "tried to close the worker's connection to the runner",
             2: "tried to signal the runner or the worker supervising it",
             3: "tried to write on its host's connection to the runner"}


class ActingSlot:
    """A few bytes of memory shared between a supervisor and its host process."""

    def __init__(self) -> None:
        self.memory = mmap.mmap(-1, SLOT_BYTES, flags=mmap.MAP_SHARED)

    @property
    def acting(self) -> int:
        return self.memory[0]

    def begin(self, seq: int) -> None:
        """A new match: nobody acting, clock not started."""
        self.memory[0] = 0
        self.memory[_TAMPER] = 0
        self.memory[_TAMPER_KIND] = 0
        self.memory[_FINISHED] = 0
        self.memory[_DYING] = 0
        self.memory[8:16] = _CLOCK.pack(0.0)
        self.memory[16:24] = _SEQ.pack(seq)
        self.memory[40:48] = _IMPORT.pack(0.0)
        # live threads are not reset: a host whose players left threads running is retired after its match

    def start_clock(self, when: float) -> None:
        self.memory[8:16] = _CLOCK.pack(when)

    @property
    def clock_started(self) -> float:
        return _CLOCK.unpack(self.memory[8:16])[0]

    @property
    def seq(self) -> int:
        return _SEQ.unpack(self.memory[16:24])[0]

    @property
    def finished(self) -> bool:
        """The host's own code marked the match finished: a reply before that was forged by a player."""
        return self.memory[_FINISHED] == 1

    @property
    def import_started(self) -> float:
        """When the import of a player's module that is running now began (0.0: none is)."""
        return _IMPORT.unpack(self.memory[40:48])[0]

    def seats_with_threads(self) -> list[int]:
        """Seats (indexes) whose code started threads that are still running."""
        return [i - _THREADS + 1 for i in range(_THREADS, SLOT_BYTES) if self.memory[i]]

    def culprit(self) -> int:
        """The seat to blame for the host's death (0: it cannot be told).

        In order: the seat of the thread that ended the process through Python
        (``os._exit``, ``os.abort``, a signal to its own host: exact, whichever
        thread); else the seat acting on the match's thread, unless another
        seat's thread was running too (a death in C cannot name its thread);
        else, with nobody acting, the one seat whose threads were running.
        """
        dying = self.memory[_DYING]
        if dying:
            return 0 if dying == NO_SEAT else dying
        acting, threads = self.memory[0], self.seats_with_threads()
        if acting:
            return acting if all(seat == acting for seat in threads) else 0
        return threads[0] if len(threads) == 1 else 0

    @property
    def tamper(self) -> tuple[int, int]:
        """(seat index or 255, kind) of the first tampering in this match; (0, 0) when none."""
        return self.memory[_TAMPER], self.memory[_TAMPER_KIND]

    @property
    def reads(self) -> int:
        """The supervisor's count of output reads: odd while one is under way (written by the supervisor only)."""
        while True:  # two equal reads: the supervisor may be half way through writing it
            first = self.memory[32:36]
            if self.memory[32:36] == first:
                return _READS.unpack(first)[0]

    def count_read(self) -> None:
        """The supervisor starts or ends a read of the host's output (see ``tourney.host``'s boundaries)."""
        self.memory[32:36] = _READS.pack((_READS.unpack(self.memory[32:36])[0] + 1) & 0xFFFFFFFF)

    def close(self) -> None:
        self.memory.close()


class _Local:
    """The slot the current process writes to (a plain bytearray when none was set)."""

    memory: Any = bytearray(SLOT_BYTES)
    roles: dict[str, int] = {}
    last_raiser = 0
    last_raised: BaseException | None = None  # the exception object that last left a guarded call


def install(slot: ActingSlot) -> None:
    """Make ``slot`` the one this process marks (called in the host after fork)."""
    _Local.memory = slot.memory


def set_roles(roles: list[str]) -> None:
    """Seat indexes for the match about to start: ``roles[i]`` is index ``i + 1``."""
    _Local.roles = {role: i + 1 for i, role in enumerate(roles)}
    _Local.last_raiser = 0
    _Local.last_raised = None
    _IDS.clear()


def index_of(role: str) -> int:
    return _Local.roles.get(role, 0)


@contextmanager
def playing(role: str) -> Iterator[None]:
    """Mark ``role`` as acting for the block (a constructor, a module import)."""
    memory = _Local.memory
    previous = memory[0]
    index = memory[0] = _Local.roles.get(role, 0)
    try:
        yield
    except BaseException as exc:
        _Local.last_raiser, _Local.last_raised = index, exc
        raise
    finally:
        memory[0] = previous


def note_tamper(kind: int) -> None:
    """Record that the acting seat tried ``TAMPERING[kind]`` (the first attempt of a match counts)."""
    memory = _Local.memory
    if not memory[_TAMPER]:
        memory[_TAMPER] = memory[0] or 255
        memory[_TAMPER_KIND] = kind


def current_seat() -> int:
    """The seat whose code runs on this thread: a player's thread's own seat, else the acting seat."""
    seat = _THREAD_SEAT.get(_get_ident())
    return _Local.memory[0] if seat is None else seat


def note_dying() -> None:
    """This thread is about to end the process (``os._exit``, ``os.abort``, a fatal signal to itself)."""
    _Local.memory[_DYING] = current_seat() or NO_SEAT


def import_begins(when: float) -> None:
    """A player's module is being imported from now on (0.0: the import is over)."""
    _Local.memory[40:48] = _IMPORT.pack(when)


_THREAD_SEAT: dict[int, int] = {}  # ident of a running thread that player code started -> its seat
_THREAD_LOCK = _thread.allocate_lock()
_get_ident = _thread.get_ident


def _count_thread(seat: int, step: int) -> None:
    if 0 < seat <= MAX_THREAD_SEATS:
        with _THREAD_LOCK:
            memory, at = _Local.memory, _THREADS + seat - 1
            memory[at] = max(0, min(255, memory[at] + step))


def track_threads() -> None:
    """From now on a thread started while a seat's code runs belongs to that seat (in a player host).

    ``threading.Thread.start``, ``_thread.start_new_thread`` and everything built
    on them (``concurrent.futures``, timers) go through here: the new thread is
    counted against the seat in the slot while it runs, and its own code counts
    as that seat's (``current_seat``), so a death it causes, or leaves behind
    while nobody is acting, names that seat (``ActingSlot.culprit``).
    """
    import threading

    real_start = _thread.start_new_thread

    def start_new_thread(function: Callable, args: Any = (), kwargs: Any = None) -> int:
        seat = current_seat()
        if not seat:
            return real_start(function, args, {} if kwargs is None else kwargs)

        def run(*a: Any, **kw: Any) -> Any:
            ident = _get_ident()
            _THREAD_SEAT[ident] = seat
            try:
                return function(*a, **kw)
            finally:
                _THREAD_SEAT.pop(ident, None)
                _count_thread(seat, -1)

        _count_thread(seat, +1)
        try:
            return real_start(run, args, {} if kwargs is None else kwargs)
        except BaseException:
            _count_thread(seat, -1)
            raise

    _thread.start_new_thread = _thread.start_new = start_new_thread  # type: ignore[attr-defined]
    threading._start_new_thread = start_new_thread  # type: ignore[attr-defined]


def mark_finished() -> None:
    """The match is over and its record is about to be sent (the host's own code, after the last call)."""
    _Local.memory[_FINISHED] = 1


def acting_now() -> int:
    return _Local.memory[0]


def start_clock(when: float) -> None:
    """The match clock starts now (set-up is over): the supervisor's wall limit counts from here."""
    _Local.memory[8:16] = _CLOCK.pack(when)


def seat_that_raised(exc: BaseException) -> int:
    """Index of the seat whose guarded call ``exc`` itself left (0: it never passed through a player's call).

    Whatever its type: a player can raise the runner's own MatchTimeout naming
    its opponent, or a PlayerFault, or a WorldError; what it raised from its
    own call is its fault, not what the exception says.
    """
    return _Local.last_raiser if _Local.last_raised is exc else 0


def forget_raised() -> None:
    """Drop the reference to the last exception (and the frames its traceback holds)."""
    _Local.last_raised = None


def last_raiser() -> int:
    """Index of the seat whose guarded call an exception last left (0: none since the match began)."""
    return _Local.last_raiser


# Methods defined in these packages are library code, not the player's: a call into one is
# not marked (the mechanism calls negmas' own callbacks hundreds of times a match), except
# ``__call__``, a negmas negotiator's entry point, whose inner calls (propose, respond) are the
# player's. Any method a player's class defines or overrides is marked.
TRUSTED_PACKAGES = frozenset({"negmas", "tourney", "scml"})

_GUARDED: dict[tuple[type, int], type] = {}
_SKIP = frozenset({"__init__", "__new__", "__del__", "__getattr__", "__getattribute__", "__setattr__",
                   "__delattr__", "__repr__", "__str__", "__hash__", "__eq__", "__ne__", "__reduce__",
                   "__reduce_ex__", "__getstate__", "__setstate__", "__init_subclass__", "__class_getitem__",
                   "__subclasshook__", "__sizeof__", "__dir__", "__format__", "__copy__", "__deepcopy__"})


def guard(obj: Any, role: str) -> Any:
    """Make every public method call on ``obj`` mark ``role`` as acting; returns ``obj``.

    Swaps ``obj``'s class for a cached subclass with wrapped methods. A class
    that refuses the swap (a C type, a ``__class__`` property) is left as is.
    """
    index = _Local.roles.get(role, 0)
    cls = type(obj)
    if not index or getattr(cls, "_tourney_guard", 0) == index:
        return obj
    if isinstance(getattr(cls, "id", None), property):
        try:
            _IDS[builtins.id(obj)] = obj.id  # the id the world and the mechanism see from now on
        except Exception:  # noqa: BLE001 - a player's own id property that raises: left as it is
            pass
    base = getattr(cls, "_tourney_base", cls)
    guarded = _GUARDED.get((base, index))
    if guarded is None:
        guarded = _GUARDED[(base, index)] = _guarded_class(base, index)
    try:
        object.__setattr__(obj, "__class__", guarded)
    except TypeError:
        pass
    return obj


def _guarded_class(cls: type, index: int) -> type:
    namespace: dict[str, Any] = {"__slots__": (), "_tourney_guard": index, "_tourney_base": cls,
                                 "__module__": cls.__module__, "__qualname__": cls.__qualname__,
                                 "__doc__": cls.__doc__}
    for klass in reversed(cls.__mro__[:-1]):  # every class but object, base first so overrides win
        trusted = klass.__module__.partition(".")[0] in TRUSTED_PACKAGES
        for name, value in vars(klass).items():
            if name in _SKIP or (name.startswith("_") and name != "__call__"):
                continue
            if type(value).__name__ == "function" and (name == "__call__" or not trusted):
                namespace[name] = _marking(value, index)
            else:  # library code, or a property, classmethod, ... overriding a base's: let the MRO find it
                namespace.pop(name, None)
    own_id = getattr(cls, "id", None)
    if isinstance(own_id, property):
        namespace["id"] = _fixed_id(own_id, index)
    try:
        return type(cls.__name__, (cls,), namespace)
    except Exception:  # noqa: BLE001 - a class that cannot be subclassed (final, odd metaclass): unguarded
        return cls


_IDS: dict[int, Any] = {}  # object identity of a guarded object -> the id it had when registered


def _fixed_id(base: property, index: int) -> property:
    """An ``id`` the player cannot change: blame and the mechanism's books rest on it (a negmas id).

    What the object's id was when the world registered it, whatever the player
    then does (the ``id`` setter, ``set_id``, the private attribute, an ``id``
    property of its own). Library code (nobody acting) may still set it.
    """
    get_base, set_base = base.fget, base.fset

    def get(self: Any, _ids: dict[int, Any] = _IDS, _key: Callable[[Any], int] = builtins.id) -> Any:
        try:
            return _ids[_key(self)]
        except KeyError:
            return get_base(self) if get_base is not None else None

    def put(self: Any, value: Any) -> None:
        if current_seat():
            raise AttributeError("a player may not change its id (blame and the mechanism rest on it)")
        if set_base is not None:
            set_base(self, value)
        _IDS[builtins.id(self)] = value

    return property(get, put, doc=base.__doc__)


def _marking(fn: Callable, index: int) -> Callable:
    @functools.wraps(fn)
    def marked(*args: Any, **kwargs: Any) -> Any:
        memory = _Local.memory
        previous = memory[0]
        memory[0] = index
        try:
            return fn(*args, **kwargs)
        except BaseException as exc:
            _Local.last_raiser, _Local.last_raised = index, exc
            raise
        finally:
            memory[0] = previous

    return marked
