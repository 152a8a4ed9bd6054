"""Lowering a player host's privileges, so what a player runs cannot reach the runner.

A player host started by root (``tourney run`` as root, a root dask worker)
drops to a user of its own before it plays anything:

- its uid is ``HOST_UID_BASE + slot * 2**22 + its pid``, ``slot`` derived
  from the runner's pid (``run_slot``): no two live hosts of a run share one,
  two concurrent runs share a range with odds of 1 in ``UID_SLOTS``, and no
  host shares the runner's; its only group is ``HOST_GID`` (shared by every
  host: the group of the run's player folder);
- it keeps no capability (permitted, effective, inheritable, ambient and
  bounding sets empty) and ``PR_SET_NO_NEW_PRIVS`` is set, so no program it
  runs (setuid binaries included) gets any privilege back; it reads only what
  others may read, plus what the runner grants the hosts' group through ACLs
  (``grant_reach``: the import path, the way to the player folder), and never
  the run folder's own files (``hide_run_dir``);
- umask 077, a temporary folder of its own (``private_tmp``), no file larger
  than ``format: {disk_mb}`` (``RLIMIT_FSIZE``), a memory cgroup where one can be
  made (``tourney.memgroup``), and no secret-named environment variable
  (``scrub_secrets``: the model keys stay with the runner, ``tourney.keyproxy``).

What that closes, whatever tool a player uses (``os.kill``, ctypes,
``subprocess.run(["kill", ...])``, ``ptrace``, ``/proc/PID/mem``): signalling
or tracing the runner, its supervisor or another worker's host (other uids,
no ``CAP_KILL``/``CAP_SYS_PTRACE``), writing or reading the match log, the
manifest, the tables (root's files, no ``CAP_DAC_OVERRIDE`` or
``CAP_DAC_READ_SEARCH``), reading another host's files. A fork bomb is held
to ``HOST_NPROC`` processes. When a host is retired, ``kill_user`` kills its
user's processes and removes the files that user left in /tmp, /var/tmp and
/dev/shm.

When the runner is not root the uid change is skipped (an unprivileged process
cannot change its uid): players then run as the runner's user. The secret
scrub, the file-size limit and the private temporary folder still apply; the
host's guards (``tourney.host``) and blame of a dead supervisor then stand
alone; see the README, "Faults", for what remains open.
"""

from __future__ import annotations

import ctypes
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from tourney import memgroup, posix_acl

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


def drop_privileges(disk_mb: int | None = None, memory_bytes: int | None = None) -> bool:
    """Make this process (a freshly forked host) an unprivileged user; True if it did.

    ``disk_mb``: no file it (or anything it runs) writes may grow past it. ``memory_bytes``:
    where a memory cgroup can be made (``tourney.memgroup``), what it and everything it
    starts may hold together.

    Raises OSError if a step fails: a host that meant to drop and could not
    must not play as root.
    """
    scrub_secrets()  # with or without root: no secret-named variable reaches a player
    if disk_mb:
        limit = int(disk_mb) * 2**20  # no file it writes grows past this (EFBIG; Python ignores SIGXFSZ)
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        for inherited in (soft, hard):  # never above what the host inherited
            if inherited != resource.RLIM_INFINITY:
                limit = min(limit, inherited)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    if not can_drop():
        return False
    libc = ctypes.CDLL(None, use_errno=True)

    def prctl(option: int, arg: int) -> int:
        return int(libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)))

    # While still root: no program this process runs may ever gain a capability.
    for cap in range(CAP_LAST_CAP_MAX + 1):
        if prctl(PR_CAPBSET_DROP, cap) != 0:
            if ctypes.get_errno() == 22:  # EINVAL: past the kernel's last capability
                break
            _fail("PR_CAPBSET_DROP")
    if prctl(PR_SET_KEEPCAPS, 0) != 0:
        _fail("PR_SET_KEEPCAPS")
    uid = host_uid(os.getpid())
    if memory_bytes:  # as root: the cgroup that holds it and all it starts to its memory limit
        memgroup.join(uid, memory_bytes)
    os.setgroups([])
    os.setresgid(HOST_GID, HOST_GID, HOST_GID)
    os.setresuid(uid, uid, uid)  # without KEEPCAPS: every capability (permitted, effective, ambient) is gone
    if prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:
        _fail("PR_SET_NO_NEW_PRIVS")
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError(f"the host is still uid {os.geteuid()} after dropping to {uid}")
    if any(capabilities().values()):
        raise OSError(f"the host kept capabilities after dropping to {uid}: {capabilities()}")
    # Nothing it creates is readable by another host (its /tmp files, its sockets); the run's player
    # folder carries a default ACL that keeps what is made there shared with the hosts' group.
    os.umask(0o077)
    resource.setrlimit(resource.RLIMIT_NPROC, (HOST_NPROC, HOST_NPROC))
    private_tmp(uid)
    global DROPPED
    DROPPED = True
    # Imports may run in another folder (imports_write_aside): entries of the path relative to
    # the working folder ('' or '.', as PYTHONPATH=. gives) must keep naming the same folders.
    sys.path[:] = [os.path.abspath(p) if isinstance(p, str) else p for p in sys.path]
    return True


def capabilities() -> dict[str, int]:
    """This process's capability sets (CapInh, CapPrm, CapEff, CapBnd, CapAmb) from /proc/self/status."""
    sets = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("Cap"):
                name, value = line.split(":")
                sets[name] = int(value, 16)
    return sets


TMP_PREFIX = "tourney-host-"


def private_tmp(uid: int) -> str:
    """A temporary folder of the host's own (0700): $TMPDIR, TMP, TEMP and ``tempfile`` point at it.

    Removed with everything else its user made in the shared temporary folders when the host
    is retired (``clean_user_files``).
    """
    path = os.path.join(tempfile.gettempdir() if os.access(tempfile.gettempdir(), os.W_OK) else "/tmp",
                        f"{TMP_PREFIX}{uid}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        st = os.lstat(path)
        if st.st_uid != uid or not os.path.isdir(path) or os.path.islink(path):
            raise OSError(f"{path} exists and is not this host's") from None
    for name in ("TMPDIR", "TMP", "TEMP"):
        os.environ[name] = path
    tempfile.tempdir = path
    return path


SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")  # world-writable folders every user may create files in


def clean_user_files(uid: int, folders: tuple[str, ...] = SHARED_TMP) -> int:
    """Remove what ``uid`` owns at the top of ``folders`` (its private temporary folder included);
    the number of entries removed. Run as ``uid`` itself (``kill_user``'s helper), so it can
    remove nothing its user could not, whatever links the player left.

    Only the top level is looked at: a player's files deeper down are in a folder it made
    (removed whole) or in another user's folder that let it write there (rare; not removed).
    """
    removed = 0
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
                removed += 1
            except OSError:
                continue
    return removed


SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH", re.IGNORECASE)
ENV_SECRETS = "TOURNEY_SECRET_VARS"  # more names to scrub (comma-separated): the league's api_key_env


def secret_names(environ: dict[str, str] | None = None) -> list[str]:
    """The environment variables a player must never see: named like a secret, or listed in
    ``$TOURNEY_SECRET_VARS`` (the names of the keys the league's LLM players use)."""
    env = os.environ if environ is None else environ
    listed = {n.strip() for n in env.get(ENV_SECRETS, "").split(",") if n.strip()}
    return sorted(n for n in env if n in listed or SECRET_NAME.search(n))


def scrub_secrets(names: list[str] | None = None) -> list[str]:
    """Remove secret variables from this process: from ``os.environ`` and the C environment, and
    overwritten in the process's original environment block (what /proc/PID/environ shows, which
    a forked host inherits in its memory). Returns the names removed."""
    names = secret_names() if names is None else names
    for name in names:
        data = getattr(os.environ, "_data", None)
        raw = data.get(os.fsencode(name)) if isinstance(data, dict) else None
        if isinstance(raw, bytes) and len(raw) > 1:  # a 1-byte bytes object is a shared singleton
            _overwrite(raw)  # the copy Python made at start-up, in place: no freed copy left to find
        os.environ.pop(name, None)
    _wipe_environ_block(set(names))
    return names


def _overwrite(value: bytes) -> None:
    """Zero the bytes of ``value`` (an object nobody else uses) in place."""
    offset = sys.getsizeof(value) - len(value) - 1  # PyBytesObject: header, then ob_sval
    ctypes.memset(id(value) + offset, 0, len(value))


def _wipe_environ_block(names: set[str]) -> None:
    """Overwrite the values of ``names`` in the environment block the kernel gave this process (through
    libc only: no Python copy of a value is ever made, which would leave one in freed memory)."""
    if not names:
        return
    try:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end: fields 50 and 51 of proc(5)
        libc = ctypes.CDLL(None)
    except (OSError, ValueError, IndexError):
        return
    if not 0 < start < end or end - start > 1 << 24:
        return
    libc.memmem.restype = ctypes.c_void_p
    libc.memmem.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    libc.strnlen.restype = ctypes.c_size_t
    libc.strnlen.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    for name in names:
        needle = os.fsencode(name) + b"="
        at = start
        while at < end:
            found = libc.memmem(at, end - at, needle, len(needle))
            if not found:
                break
            if found == start or ctypes.c_char.from_address(found - 1).value == b"\0":  # an entry's start
                value = found + len(needle)
                ctypes.memset(value, 0, libc.strnlen(value, end - value))
            at = found + len(needle)


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
    (``writes_params``, e.g. an LLM player's ``cache``). Hosts create files with
    umask 077; the folder's default ACL keeps what they make there open to
    the group (as the file's creation mode allows), and reach is granted.
    """
    path.mkdir(parents=True, exist_ok=True)
    if not can_drop():
        return
    try:
        posix_acl.clear(path)  # inherited from a hidden run folder (hide_run_dir): the mode decides here
    except OSError:
        pass
    os.chown(path, 0, HOST_GID)
    path.chmod(0o2770)  # setgid: what a host creates there belongs to the shared group
    try:
        posix_acl.write(path, posix_acl.from_mode(0o770), posix_acl.DEFAULT)
    except OSError:  # no ACLs: files a host makes there are its own (umask 077)
        pass
    for entry in path.iterdir():  # files left by root (an unpacked cache) or by earlier hosts
        if entry.is_file() and not entry.is_symlink():
            os.chown(entry, -1, HOST_GID)
            entry.chmod(entry.stat().st_mode | 0o060)
    grant_reach(path.parent)


def grant_reach(folder: Path, read: bool = False) -> None:
    """Let the hosts reach ``folder``: search (``x``, no listing) on each folder above it that
    would refuse them, and with ``read`` list and read it too (``r-x``).

    Given to the hosts' group alone, as an ACL entry, so nobody else gains anything
    (without ACLs: to everyone, as the mode's "other" bits). Hosts keep no capability
    (``drop_privileges``), so this is how they import from, and write to, folders
    under a 0700 one (a league in /root, pytest's temporary folders).
    """
    if not can_drop():
        return
    folder = Path(os.path.abspath(folder))
    wanted = [(folder, 5 if read else 1)] + [(parent, 1) for parent in folder.parents]
    for path, perm in wanted:
        try:
            st = os.lstat(path)
            if not os.path.isdir(path) or posix_acl.group_perm(path, HOST_GID, st) & perm == perm:
                continue
            try:
                posix_acl.set_group(path, HOST_GID, posix_acl.group_perm(path, HOST_GID, st) | perm)
            except posix_acl.Unsupported:
                os.chmod(path, st.st_mode | perm)
        except OSError:
            continue


_REACHED: set[str] = set()


def grant_import_reach() -> None:
    """Let the hosts read the folders on ``sys.path`` (where players' modules are imported from)."""
    if not can_drop():
        return
    for entry in sys.path:
        if isinstance(entry, str) and entry not in _REACHED:
            _REACHED.add(entry)
            path = os.path.abspath(entry or ".")
            if os.path.isdir(path):
                grant_reach(Path(path), read=True)


def hide_run_dir(run_dir: Path) -> None:
    """Nothing in a run folder but its player folder is readable by the hosts, now or later.

    The folder gives the hosts' group search only (to reach ``players/``); every entry
    in it (the live match log, the manifest, tables, .inflight) gets an ACL entry giving
    that group nothing, and the folder's default ACL gives the same to whatever is made
    in it later. Without ACLs, the entries lose their "other" permissions instead.
    """
    if not can_drop():
        return
    run_dir = Path(run_dir)
    try:
        posix_acl.set_group(run_dir, HOST_GID, 1, default=0)
        unsupported = False
    except posix_acl.Unsupported:
        unsupported = True
        run_dir.chmod((run_dir.stat().st_mode & ~0o7) | 0o1)
    for entry in run_dir.iterdir():
        if entry.name == PLAYER_DIR or entry.is_symlink():
            continue
        if unsupported:
            entry.chmod(entry.stat().st_mode & ~0o7)
        else:
            posix_acl.set_group(entry, HOST_GID, 0, default=0 if entry.is_dir() else None)
    grant_reach(run_dir.parent)


def declared_writes(cls: type, params: dict[str, Any]) -> list[Path]:
    """The files ``cls`` says it writes (its ``writes_params``), as ``params`` name them."""
    paths = []
    for key in getattr(cls, "writes_params", ()) or ():
        value = params.get(key)
        if isinstance(value, str) and value and value != "off":
            paths.append(Path(value))
    return paths


def kill_user(uid: int, clean: bool = True) -> None:
    """Kill every process of ``uid`` (a host's user: the host and all it started, however daemonised).

    Run by root (a supervisor): a child takes ``uid`` and sends SIGKILL to
    every process it may signal (``kill(-1)``), which are exactly that user's,
    then ends; the kernel skips the sender itself. No process list is read,
    so none started in the meantime is missed. With ``clean`` it then removes,
    still as that user, what the user left at the top of /tmp, /var/tmp and
    /dev/shm (its private temporary folder included): nothing a host wrote
    there reaches the next host given the same uid, or outlives the run.
    """
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups([])
            os.setresgid(HOST_GID, HOST_GID, HOST_GID)
            os.setresuid(uid, uid, uid)
            os.kill(-1, 9)
            if clean:
                clean_user_files(uid)
        except BaseException:  # noqa: BLE001 - a forked helper must not unwind into its parent's stack
            code = 1
        finally:
            os._exit(code)
    # Bounded: this runs in a worker's parent-watch thread too, which must end the worker whatever happens.
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.001)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
