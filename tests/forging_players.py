"""Players that forge what crosses from their host to the runner: replies, exceptions, blame.

Each is a Faratin tactic that plays honestly except for its one trick, played
on its first `propose` of a match. They find their host's connection as a
hostile entrant would: the only socket in /proc/self/fd.
"""

from __future__ import annotations

import os
import pickle
import struct
import time

from players.faratin import TimeDependent

MARKER_DIR = os.environ.get("FORGING_MARKER_DIR", "/tmp")


def _other_role(neg) -> str:
    return "seller" if str(neg.name).split(":", 1)[0] == "buyer" else "buyer"


def _host_socket_fd() -> int:
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                return int(name)
        except OSError:
            continue
    raise RuntimeError("no socket")


def _send_frame(payload: bytes) -> None:
    fd = _host_socket_fd()
    view = memoryview(struct.pack("!i", len(payload)) + payload)
    while view:
        view = view[os.write(fd, view):]


class _Run:
    """Unpickled, runs a shell command: what a plain pickle.loads in the supervisor would do."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _Once(TimeDependent):
    def propose(self, state, dest=None):
        if not getattr(self, "_tricked", False):
            self._tricked = True
            self.trick()
        return super().propose(state, dest)

    def trick(self) -> None:
        raise NotImplementedError


class PickleInjector(_Once):
    """Sends its supervisor a pickle that would run `touch MARKER` when unpickled."""

    def trick(self) -> None:
        marker = os.path.join(MARKER_DIR, "pickle-injected")
        _send_frame(pickle.dumps((1, _Run(f"touch {marker}"))))


class HugeHeader(_Once):
    """Announces a 2 GB reply and never sends it (a reader that trusts the header blocks for ever)."""

    def trick(self) -> None:
        os.write(_host_socket_fd(), struct.pack("!i", 0x7FFFFFFF))


class HalfFrame(_Once):
    """Announces 1000 bytes, sends 10 and stops."""

    def trick(self) -> None:
        os.write(_host_socket_fd(), struct.pack("!i", 1000) + b"x" * 10)


class RecordForger(_Once):
    """Sends a plain-data record of its own making (ok, 1000 for itself) with every plausible sequence number."""

    def trick(self) -> None:
        me = str(self.name).split(":", 1)[0]
        record = {"status": "ok", "blamed": None, "error": None, "metric": "utility",
                  "roles": {me: {"utility": 1000.0, "agreement": 1.0},
                            _other_role(self): {"utility": -1000.0, "agreement": 1.0}},
                  "metrics": {}, "details": {}}
        for seq in range(1, 40):
            _send_frame(pickle.dumps((seq, record)))


class TimeoutForger(TimeDependent):
    """Raises the runner's own MatchTimeout naming its opponent."""

    def propose(self, state, dest=None):
        from tourney.errors import MatchTimeout

        exc = MatchTimeout("match exceeded its limit")
        exc.role = _other_role(self)
        raise exc


class PlayerFaultForger(TimeDependent):
    """Raises the world's PlayerFault naming its opponent."""

    def propose(self, state, dest=None):
        from tourney.errors import PlayerFault

        raise PlayerFault(_other_role(self), "offered nonsense")


class WorldErrorVoider(TimeDependent):
    """Raises WorldError, which voids a match when the world raises it."""

    def propose(self, state, dest=None):
        from tourney.errors import WorldError

        raise WorldError("the world broke")


def _libc_write(data: bytes) -> None:
    """Past the host's guards on os.write: libc's write(2) through ctypes."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fd = _host_socket_fd()
    libc.write(fd, data, len(data))


class LibcPickleInjector(_Once):
    """PickleInjector through libc: the supervisor must still never run it."""

    def trick(self) -> None:
        marker = os.path.join(MARKER_DIR, "pickle-injected")
        payload = pickle.dumps((1, _Run(f"touch {marker}")))
        _libc_write(struct.pack("!i", len(payload)) + payload)


class LibcHugeHeader(_Once):
    """HugeHeader through libc."""

    def trick(self) -> None:
        _libc_write(struct.pack("!i", 0x7FFFFFFF))


class SlotForger(_Once):
    """RecordForger that also forges the acting slot first, found by introspection of tourney's objects in
    its process (nobody acting, the match marked finished, no tampering noted), and writes through libc.
    The supervisor's checks of the slot then all pass: only a check outside the host's memory can tell."""

    def trick(self) -> None:
        from tourney import acting

        memory = acting._Local.memory  # what a reader of tourney's source finds first
        me = str(self.name).split(":", 1)[0]
        record = {"status": "ok", "blamed": None, "error": None, "metric": "utility",
                  "roles": {me: {"utility": 1.0, "agreement": 1.0},
                            _other_role(self): {"utility": 0.0, "agreement": 1.0}},
                  "metrics": {}, "details": {}}
        seq = struct.unpack("q", bytes(memory[16:24]))[0]  # the match's own sequence number
        previous = memory[0]
        memory[0], memory[24], memory[25], memory[26] = 0, 0, 0, 1
        payload = pickle.dumps((seq, record))
        _libc_write(struct.pack("!i", len(payload)) + payload)
        time.sleep(0.5)  # let the supervisor read it while the slot says what it should
        memory[0], memory[26] = previous, 0
