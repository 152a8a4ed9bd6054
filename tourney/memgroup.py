"""A memory cgroup per player host: its memory limit holds the host and every process it starts.

``RLIMIT_DATA`` (``tourney.host``) bounds each process on its own, and a
player's child inherits the same limit afresh; memory in ``/dev/shm`` counts
in no process's data segment. A cgroup counts them all: the host, whatever
it forks or runs, and the tmpfs pages they write. Used when this process may
make one (root, and a writable memory controller): cgroup v2 (``memory.max``)
where the unified hierarchy delegates the memory controller, else the v1
memory controller (``memory.limit_in_bytes``). Otherwise ``available()`` is
False and the per-process limits are all there is (README, "Faults").

The group is made by the host itself, while it is still root (just before it
drops privileges), named by the host's uid under the cgroup of the process
that forked it, and joined at once; its supervisor reads its usage and OOM
count by the same name and removes it when it retires the host.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "tourney-host-"
_BASE: tuple[int, Path] | None | bool = False  # (version, folder of this process's memory cgroup); None: none


def _find() -> tuple[int, Path] | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    v1 = v2 = None
    for line in lines:
        ident, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            v1 = path
        elif ident == "0" and controllers == "":
            v2 = path
    if v2 is not None:
        for mount in (ROOT, ROOT / "unified"):
            folder = mount / v2.lstrip("/")
            try:
                if "memory" in (folder / "cgroup.subtree_control").read_text().split() and os.access(folder, os.W_OK):
                    return 2, folder
            except OSError:
                continue
    if v1 is not None:
        folder = ROOT / "memory" / v1.lstrip("/")
        if (folder / "memory.limit_in_bytes").exists() and os.access(folder, os.W_OK):
            return 1, folder
    return None


def base() -> tuple[int, Path] | None:
    """(cgroup version, the memory cgroup folder of this process), or None when hosts get none."""
    global _BASE
    if _BASE is False:
        _BASE = _find() if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    return _BASE  # type: ignore[return-value]


def available() -> bool:
    return base() is not None


def folder(uid: int) -> Path | None:
    found = base()
    return found[1] / f"{PREFIX}{uid}" if found else None


def join(uid: int, limit_bytes: int) -> bool:
    """Make the host's group (limit ``limit_bytes``) and move this process into it; True if done."""
    found = base()
    if found is None:
        return False
    version, _ = found
    path = folder(uid)
    assert path is not None
    try:
        path.mkdir(exist_ok=True)
        if version == 2:
            (path / "memory.max").write_text(str(limit_bytes))
            swap = path / "memory.swap.max"
            if swap.exists():
                swap.write_text("0")
        else:
            (path / "memory.limit_in_bytes").write_text(str(limit_bytes))
            swap = path / "memory.memsw.limit_in_bytes"
            if swap.exists():  # memory + swap: swapping out gains nothing
                try:
                    swap.write_text(str(limit_bytes))
                except OSError:
                    pass
        (path / "cgroup.procs").write_text(str(os.getpid()))
        return True
    except OSError:
        return False


def usage(uid: int) -> int:
    """Resident memory charged to the host's group (anonymous and tmpfs, not the page cache), in bytes."""
    path = folder(uid)
    if path is None:
        return 0
    assert isinstance(_BASE, tuple)
    try:
        stat = dict(line.split() for line in (path / "memory.stat").read_text().splitlines())
    except (OSError, ValueError):
        return 0
    if _BASE[0] == 2:
        return int(stat.get("anon", 0)) + int(stat.get("shmem", 0))
    return int(stat.get("total_rss", stat.get("rss", 0))) + int(stat.get("total_shmem", stat.get("shmem", 0)))


def oom_kills(uid: int) -> int:
    """How many processes of the host's group the kernel killed for passing its limit."""
    path = folder(uid)
    if path is None:
        return 0
    assert isinstance(_BASE, tuple)
    name = "memory.events" if _BASE[0] == 2 else "memory.oom_control"
    try:
        for line in (path / name).read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def remove(uid: int, within: float = 1.0) -> None:
    """Remove the host's group once its processes are gone (its last ones may still be exiting)."""
    path = folder(uid)
    if path is None:
        return
    deadline = time.monotonic() + within
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)


def sweep() -> None:
    """Remove every empty host group left under this process's cgroup (hosts of a killed worker)."""
    found = base()
    if found is None:
        return
    for path in found[1].glob(f"{PREFIX}*"):
        try:
            path.rmdir()
        except OSError:
            pass
