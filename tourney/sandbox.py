"""Lowering a player host's privileges, so what a player runs cannot reach the runner.

A player host started by root (``tourney run`` as root, a root dask worker)
drops to a user of its own before it plays anything:

- its uid is ``HOST_UID_BASE + slot * 2**22 + its pid``, ``slot`` derived
  from the runner's pid (``run_slot``): no two live hosts of a run share one,
  two concurrent runs share a range with odds of 1 in ``UID_SLOTS``, and no
  host shares the runner's; its only group is ``HOST_GID`` (shared by every
  host: the group of the run's player folder);
- it keeps one capability, ``CAP_DAC_READ_SEARCH`` (read any file, enter any
  folder), also in the programs it runs (an ambient capability), so players
  import from wherever root could (a league beside its agents in a 0700 home
  folder) but write only where any user may (``/tmp``) and in the run's
  player folder (``PLAYER_DIR``, group ``HOST_GID``, 2770);
- its capability bounding set is emptied and ``PR_SET_NO_NEW_PRIVS`` set, so
  no program it runs (setuid binaries included) gets any privilege back.

What that closes, whatever tool a player uses (``os.kill``, ctypes,
``subprocess.run(["kill", ...])``, ``ptrace``, ``/proc/PID/mem``): signalling
or tracing the runner, its supervisor or another worker's host (other uids,
no ``CAP_KILL``/``CAP_SYS_PTRACE``), and writing the match log, the manifest,
the tables or tourney's own code (root's files, no ``CAP_DAC_OVERRIDE``).
It may still read them. A fork bomb is held to ``HOST_NPROC`` processes.

When the runner is not root this is skipped (an unprivileged process cannot
change its uid): players then run as the runner's user. The host's guards
(``tourney.host``) and blame of a dead supervisor then stand alone; see the
README, "Faults", for what remains open.
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

HOST_UID_BASE = 1_500_000_000  # far above any account a system hands out
PID_SPAN = 1 << 22  # pids stay below (the kernel's largest pid_max)
UID_SLOTS = 600  # runs' uid ranges: HOST_UID_BASE + 600 * 2**22 stays below 2**32 - 1
HOST_GID = 1_499_999_999
HOST_NPROC = 1024  # processes and threads a host's uid may have at once
PLAYER_DIR = "players"  # in a run folder: the one folder players may write (caches, their own files)
ENV_PLAYER_DIR = "TOURNEY_PLAYER_DIR"  # where a host finds it

PR_SET_KEEPCAPS = 8
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
CAP_DAC_READ_SEARCH = 2
CAP_LAST_CAP_MAX = 63
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def can_drop() -> bool:
    """Whether this process can give a host a user of its own (it is root)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def run_slot(runner_pid: int) -> int:
    """Which of ``UID_SLOTS`` ranges of uids a run's hosts take (concurrent runs take different ones)."""
    return runner_pid % UID_SLOTS


SLOT: int | None = None  # this process's run slot (set by its supervisor); None: its own pid's


def fix_slot() -> None:
    """Before forking a host: this process's slot, inherited by the host (else the process's own pid's)."""
    global SLOT
    if SLOT is None:
        SLOT = run_slot(os.getpid())


def host_uid(pid: int) -> int:
    """The uid of the host whose pid is ``pid``: unique among live hosts of all runs but 1 in UID_SLOTS."""
    fix_slot()
    assert SLOT is not None
    return HOST_UID_BASE + SLOT * PID_SPAN + pid


def drop_privileges() -> bool:
    """Make this process (a freshly forked host) an unprivileged user; True if it did.

    Raises OSError if a step fails: a host that meant to drop and could not
    must not play as root.
    """
    if not can_drop():
        return False
    libc = ctypes.CDLL(None, use_errno=True)

    def prctl(option: int, arg: int) -> int:
        return int(libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)))

    # While still root: no program this process runs may ever gain a capability but the one kept.
    for cap in range(CAP_LAST_CAP_MAX + 1):
        if cap != CAP_DAC_READ_SEARCH and prctl(PR_CAPBSET_DROP, cap) != 0:
            if ctypes.get_errno() == 22:  # EINVAL: past the kernel's last capability
                break
            _fail("PR_CAPBSET_DROP")
    if prctl(PR_SET_KEEPCAPS, 1) != 0:
        _fail("PR_SET_KEEPCAPS")
    uid = host_uid(os.getpid())
    os.setgroups([])
    os.setresgid(HOST_GID, HOST_GID, HOST_GID)
    os.setresuid(uid, uid, uid)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    data[0].effective = data[0].permitted = data[0].inheritable = 1 << CAP_DAC_READ_SEARCH
    if libc.capset(ctypes.byref(header), data) != 0:
        _fail("capset")
    # ambient: the programs players run (a shell, an engine binary beside their module) read as they do
    if libc.prctl(PR_CAP_AMBIENT, ctypes.c_ulong(PR_CAP_AMBIENT_RAISE), ctypes.c_ulong(CAP_DAC_READ_SEARCH),
                  ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        _fail("PR_CAP_AMBIENT")
    if prctl(PR_SET_KEEPCAPS, 0) != 0 or prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:
        _fail("PR_SET_NO_NEW_PRIVS")
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError(f"the host is still uid {os.geteuid()} after dropping to {uid}")
    os.umask(0o002)  # files in the shared player folder stay writable by the other hosts (the group)
    resource.setrlimit(resource.RLIMIT_NPROC, (HOST_NPROC, HOST_NPROC))
    global DROPPED
    DROPPED = True
    # Imports may run in another folder (imports_write_aside): entries of the path relative to
    # the working folder ('' or '.', as PYTHONPATH=. gives) must keep naming the same folders.
    sys.path[:] = [os.path.abspath(p) if isinstance(p, str) else p for p in sys.path]
    return True


DROPPED = False  # this process dropped its privileges (a player host, a sandboxed validation child)


@contextmanager
def imports_write_aside() -> Iterator[None]:
    """Run an import of a player's module with a private, writable working folder.

    Some agent packages write beside the working folder when imported
    (anl-agents makes ``./logs``); a host that dropped its privileges may not
    write the runner's working folder (a checkout root owns it), and the import
    would fail. Relative paths a player reads at play time (a Q-table under
    ``results/``) still resolve: the folder is switched back after the import.
    """
    if not DROPPED or os.access(".", os.W_OK):
        yield
        return
    home = os.getcwd()
    scratch = tempfile.mkdtemp(prefix="tourney-import-")
    os.chdir(scratch)
    try:
        yield
    finally:
        os.chdir(home)
        shutil.rmtree(scratch, ignore_errors=True)


def _fail(step: str) -> None:
    errno = ctypes.get_errno()
    raise OSError(errno, f"dropping the player host's privileges: {step}: {os.strerror(errno)}")


def prepare_player_dir(run_dir: Path) -> Path:
    """The run's player folder, made writable by every host (and only by them and root)."""
    path = Path(run_dir) / PLAYER_DIR
    share_folder(path)
    return path


def share_folder(path: Path) -> None:
    """Make ``path`` (created if missing) and what it holds writable by the hosts' group.

    The one way a folder becomes writable by players: the run's player folder,
    and the folders of files a player class declares it writes
    (``writes_params``, e.g. an LLM player's ``cache``).
    """
    path.mkdir(parents=True, exist_ok=True)
    if not can_drop():
        return
    os.chown(path, 0, HOST_GID)
    path.chmod(0o2770)  # setgid: what a host creates there belongs to the shared group
    for entry in path.iterdir():  # files left by root (an unpacked cache) or by earlier hosts
        if entry.is_file() and not entry.is_symlink():
            os.chown(entry, -1, HOST_GID)
            entry.chmod(entry.stat().st_mode | 0o060)


def declared_writes(cls: type, params: dict[str, Any]) -> list[Path]:
    """The files ``cls`` says it writes (its ``writes_params``), as ``params`` name them."""
    paths = []
    for key in getattr(cls, "writes_params", ()) or ():
        value = params.get(key)
        if isinstance(value, str) and value and value != "off":
            paths.append(Path(value))
    return paths


def kill_user(uid: int) -> None:
    """Kill every process of ``uid`` (a host's user: the host and all it started, however daemonised).

    Run by root (a supervisor): a child takes ``uid`` and sends SIGKILL to
    every process it may signal (``kill(-1)``), which are exactly that user's,
    then ends; the kernel skips the sender itself. No process list is read,
    so none started in the meantime is missed.
    """
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, 9)
        except BaseException:  # noqa: BLE001 - a forked helper must not unwind into its parent's stack
            code = 1
        finally:
            os._exit(code)
    # Bounded: this runs in a worker's parent-watch thread too, which must end the worker whatever happens.
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.001)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
