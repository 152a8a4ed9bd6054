"""Running untrusted code whose answer the runner needs, in a throwaway process.

Validating a league imports the module of every dotted player type (its
import-time code runs) and may build the class to check its params. That is a
player's code, so it runs in a forked child, not in the runner: as a user of
its own when the runner is root (``tourney.sandbox``), with stdin, stdout and
stderr on ``/dev/null``, under a wall limit. The child sends back plain data
(builtins only, read by an unpickler that refuses every global: ``tourney.wire``;
bytes the entry's code forges on the pipe cannot name a callable), or the
text of the ``LeagueError`` it raised, which the runner raises as its own; a
child that dies or overruns its limit is an error of the league entry that
was being checked.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from typing import Any, Callable

from tourney import sandbox, wire
from tourney.errors import LeagueError

LIMIT_S = 120.0  # importing a player's module and building it once
MAX_REPLY = 16 * 2**20


class SandboxFailed(Exception):
    """The child died or overran its limit; the message says how."""


def call(fn: Callable[[], Any], limit_s: float = LIMIT_S) -> Any:
    """``fn()`` computed in a forked, unprivileged child; its result must be plain data.

    Raises LeagueError with the child's message if ``fn`` raised one, and
    SandboxFailed if the child raised anything else, died or passed ``limit_s``.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    read_end, write_end = os.pipe()
    sandbox.fix_slot()  # the child computes its uid from the slot it inherits
    sandbox.grant_import_reach()  # it keeps no capability: the folders it imports from must let it
    pid = os.fork()
    if pid == 0:
        _child(fn, read_end, write_end)
    os.close(write_end)
    try:
        data = _read(read_end, time.monotonic() + limit_s)
    finally:
        os.close(read_end)
        _kill(pid)
    if data is None:
        raise SandboxFailed(f"did not finish within {limit_s:g} s (format: import_timeout)")
    try:
        kind, value = wire.loads(data) if data else ("died", None)
    except (wire.WireError, TypeError, ValueError):  # a truncated or forged reply
        kind, value = "died", None
    if kind == "ok":
        return value
    if kind == "league":
        raise LeagueError(str(value))
    if kind == "error":
        raise SandboxFailed(value)
    raise SandboxFailed("its process ended before answering")


def _child(fn: Callable[[], Any], read_end: int, write_end: int) -> None:
    code = 0
    try:
        os.close(read_end)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a terminal's Ctrl-C ends it with the runner
        sandbox.drop_privileges()
        try:
            reply: tuple[str, Any] = ("ok", fn())
        except LeagueError as exc:
            reply = ("league", str(exc))
        except BaseException as exc:  # noqa: BLE001 - the entry's fault, whatever it raised
            reply = ("error", f"{type(exc).__name__}: {exc}"[:2000])
        try:
            data = wire.dumps(reply)
        except Exception as exc:  # noqa: BLE001 - a reply that is not plain data
            data = wire.dumps(("error", f"its answer could not be sent: {type(exc).__name__}"))
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view):]
    except BaseException:  # noqa: BLE001 - nothing may unwind into the runner's stack we were forked from
        code = 70
    finally:
        os._exit(code)


def _read(fd: int, deadline: float) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_REPLY:
            return b""
        chunks.append(chunk)


def _kill(pid: int) -> None:
    """End the child and everything it started (as its own user, all of that user's processes)."""
    if sandbox.can_drop():
        try:
            sandbox.kill_user(sandbox.host_uid(pid))  # before reaping it: its pid, hence its user, stays its own
        except OSError:
            pass
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
