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

What this cannot do: a player running in the same process can find and
overwrite the slot (it is Python memory); a guarded object whose class cannot
be swapped (a C extension type) is not marked. Both are documented limits of
in-process play (README, "Faults").
"""

from __future__ import annotations

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
        self.memory[8:16] = _CLOCK.pack(0.0)
        self.memory[16:24] = _SEQ.pack(seq)

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
    try:
        return type(cls.__name__, (cls,), namespace)
    except Exception:  # noqa: BLE001 - a class that cannot be subclassed (final, odd metaclass): unguarded
        return cls


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
