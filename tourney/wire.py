"""What an untrusted process (a player host, a sandboxed validation child) may send a trusted one.

Anything a player's process writes can be forged by the player: a plain
``pickle.loads`` of it would run any callable the bytes name (``os.system``)
in the supervisor or the runner. So replies are pickles of plain builtins
only, turned into such by the sender (``to_plain``) and read by an unpickler
that refuses every global (``loads``): no class, no function, hence no code.
Frames are read with a size cap and a deadline (``read_frame``), so a forged
length header or a half-sent body cannot block the reader past its limits.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import struct
import time
from typing import Any, Callable

MAX_FRAME = 64 * 2**20  # a record with a long trace is a few MB
MAX_DEPTH = 64
_SCALARS = (str, int, float, bool, bytes, type(None))
# Each scalar base type with the conversion to it that no subclass's override reaches.
_EXACT: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (bool, bool), (int, int.__int__), (float, float.__float__), (str, str.__str__),
    (bytes, lambda b: bytes(memoryview(b))))


class WireError(Exception):
    """A reply that is oversize, malformed, or stalled half way."""


def to_plain(value: Any, depth: int = 0) -> Any:
    """``value`` as builtins only (what the match log would keep anyway); unknown objects become text."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if depth >= MAX_DEPTH:
        return "<nested too deep>"
    if kind is dict:
        return {to_plain(k, depth + 1): to_plain(v, depth + 1) for k, v in value.items()}
    if kind in (list, tuple):
        items = [to_plain(v, depth + 1) for v in value]
        return items if kind is list else tuple(items)
    if kind in (set, frozenset):  # as the match log writes them
        items = [to_plain(v, depth + 1) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    # Subclasses of the scalars (a player's float with a __reduce__): the base type's own
    # conversion, which no override reaches, gives an exact builtin.
    for base, exact in _EXACT:
        if isinstance(value, base):
            return exact(value)
    try:  # an object of a player's may raise from any of these: it is then unprintable, not fatal
        item = getattr(value, "item", None)
        if callable(item) and getattr(value, "ndim", 1) == 0:  # numpy scalars
            return to_plain(item(), depth + 1)
        tolist = getattr(value, "tolist", None)
        if callable(tolist):  # numpy arrays
            return to_plain(tolist(), depth + 1)
        return str.__str__(str(value))
    except Exception:  # noqa: BLE001
        return "<unprintable>"


def dumps(value: Any) -> bytes:
    return pickle.dumps(to_plain(value), protocol=pickle.HIGHEST_PROTOCOL)


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a reply may not name {module}.{name}")


def loads(data: bytes) -> Any:
    """Plain data from ``data``; WireError for anything else (a global, a truncated pickle, ...)."""
    try:
        return _NoGlobals(io.BytesIO(data)).load()
    except Exception as exc:  # noqa: BLE001 - forged bytes can raise almost anything
        raise WireError(f"malformed reply ({type(exc).__name__})") from None


def read_frame(fd: int, deadline: float, max_bytes: int = MAX_FRAME) -> bytes:
    """One ``Connection.send_bytes`` frame from ``fd``, by ``deadline``.

    EOFError if the other end closed before a frame began; WireError if the
    header announces more than ``max_bytes`` (or the 64-bit form) or the frame
    is not complete by ``deadline``.
    """
    header = _read_exactly(fd, 4, deadline, eof_ok=True)
    (size,) = struct.unpack("!i", header)
    if size < 0 or size > max_bytes:
        raise WireError(f"a reply announced {size} bytes (limit {max_bytes})")
    return _read_exactly(fd, size, deadline, eof_ok=False)


def _read_exactly(fd: int, n: int, deadline: float, eof_ok: bool) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WireError(f"a reply stalled after {len(buf)} of {n} bytes")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk:
            if eof_ok and not buf:
                raise EOFError("the sender closed its end")
            raise WireError(f"a reply ended after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def has_pending(fd: int) -> bool:
    """True if ``fd`` has bytes (or an EOF) waiting when nothing is expected."""
    try:
        ready, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(ready)
