"""The match log and the manifest of a run.

``RUN_DIR/matches.jsonl`` holds one JSON record per finished match, appended by
the parent process as each match finishes, flushed and fsynced, so a killed run
loses nothing it had finished. A torn last line (the process died mid-write)
is cut off when the log is reopened, before anything new is appended.

Group commit (``group_commit_ms > 0``, ``tourney run --group-commit MS``):
each record is still written and flushed to the OS at once, so killing the
runner loses nothing, but ``fsync`` runs at most every MS milliseconds (and at
the end of the run), so a power cut or kernel crash can lose the last MS ms of
records; a rerun then plays them again. Per-record fsync costs a disk flush
per match, which dominates for sub-millisecond matches (see bench/bench_scale.py).

``group_commit_ms="auto"`` (what ``tourney run`` does unless told a number)
chooses by itself: a record is fsynced at once when the last fsync is older
than ``AUTO_FACTOR`` times what that fsync took (so fsyncs cost at most about
1/AUTO_FACTOR of the run), and never later than ``AUTO_MAX_MS`` after it was
written. Matches slower than that interval get an fsync each, as with 0;
sub-millisecond matches share one. What is at stake is only what a power cut or
a kernel crash can take (killing the runner loses nothing): the records of at
most the last ``AUTO_MAX_MS`` ms, which a rerun plays again with the same
seeds and so the same outcomes.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import math
import os
import socket
import platform
import sys
import threading
import time
from importlib import metadata
from io import FileIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

if TYPE_CHECKING:
    from tourney.errors import StorageError
    from tourney.records import MatchRecord

LOG_NAME = "matches.jsonl"
AUTO = "auto"  # group_commit_ms: let the log choose (see the module docstring)
AUTO_FACTOR = 50.0
AUTO_MAX_MS = 1000.0
MANIFEST_NAME = "manifest.json"
LEAGUE_COPY = "league.yaml"


# The fields every reader relies on, with their types: a line without them
# (hand-edited, or written by something else) is unreadable, not a record.
_REQUIRED = {"id": str, "status": str, "world": str, "assignment": dict}


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    for name, kind in _REQUIRED.items():
        if not isinstance(record.get(name), kind):
            return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in record["assignment"].items()):
        return None
    return record


class LogReader:
    """The records of a match log, streamed; ``unreadable`` counts the complete lines skipped.

    A line that is not a record (corrupt, hand-edited, valid JSON of the wrong
    shape) is skipped and counted, never fatal; a torn last line (a write cut
    short) is neither a record nor counted: the next run cuts it off.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.unreadable = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.unreadable = 0
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for line in fh:
                if not line.endswith(b"\n"):
                    continue
                record = _parse(line)
                if record is not None:
                    yield record
                elif line.strip():
                    self.unreadable += 1


def iter_records(run_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the match records of a run, one dict per line, skipping torn and unreadable lines."""
    yield from _iter_file(Path(run_dir) / LOG_NAME)


class MatchLog:
    """Append-only, crash-safe JSON-lines log of finished matches."""

    def __init__(self, path: str | Path, fsync: bool = True, group_commit_ms: float | str = 0.0) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.group_commit_ms = group_commit_ms
        self._auto = group_commit_ms == AUTO
        if not self._auto and not isinstance(group_commit_ms, (int, float)):
            raise ValueError(f"group_commit_ms: a number of milliseconds or {AUTO!r}, not {group_commit_ms!r}")
        self._interval = 0.0 if self._auto else float(group_commit_ms) / 1000
        self._fh: FileIO | None = None
        self._synced_at = 0.0
        self._dirty = False
        self.fsyncs = 0
        # With a group commit, a thread fsyncs what waits past the interval even
        # when no next record comes to trigger it (a long match after a short one).
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None
        self._flusher: threading.Thread | None = None
        self._failed: Exception | None = None

    def repair(self) -> int:
        """Cut a torn last line; return the number of complete records."""
        if not self.path.exists():
            return 0
        count = 0
        good_end = 0
        with self.path.open("rb") as fh:
            offset = 0
            for line in fh:
                offset += len(line)
                if line.endswith(b"\n") and _parse(line) is not None:
                    count += 1
                    good_end = offset
                elif line.endswith(b"\n"):
                    good_end = offset  # a complete but unreadable line: leave it, skip on read
        if good_end < self.path.stat().st_size:
            with self.path.open("r+b") as fh:
                fh.truncate(good_end)
        return count

    def drop_failed(self) -> int:
        """Remove the records of failed matches (error, timeout, crashed) so they are played again.

        The kept lines are copied byte for byte to a new file that replaces the
        log atomically, so a crash here leaves either the old or the new log.
        """
        if not self.path.exists():
            return 0
        dropped = 0
        tmp = self.path.with_suffix(".tmp")
        with self.path.open("rb") as src, tmp.open("wb") as dst:
            for line in src:
                record = _parse(line) if line.endswith(b"\n") else None
                if record is not None and record.get("status") != "ok":
                    dropped += 1
                    continue
                dst.write(line)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, self.path)
        return dropped

    def finished_ids(self) -> set[str]:
        return {r["id"] for r in _iter_file(self.path)}

    def open(self) -> "MatchLog":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.repair()
            # Unbuffered: a record goes to the OS in one write, and a failed write
            # leaves nothing half-buffered for close() to retry.
            self._fh = self.path.open("ab", buffering=0)
        except OSError as exc:
            raise storage_error(self.path, exc) from None
        if self.fsync and (self._auto or self._interval > 0):
            self._stop = threading.Event()
            self._flusher = threading.Thread(target=self._flush_late, name="tourney-log-sync", daemon=True)
            self._flusher.start()
        return self

    def _flush_late(self) -> None:
        assert self._stop is not None
        while not self._stop.wait(max(0.01, self._interval)):
            with self._lock:
                if self._dirty and time.monotonic() - self._synced_at >= self._interval:
                    try:
                        self._sync()
                    except Exception as exc:  # noqa: BLE001 - raised by the next append or close
                        self._failed = exc
                        return

    def append(self, record: MatchRecord) -> None:
        """Write one record; on a disk error cut any partial line off, so the log stays valid."""
        self.append_json(record.to_json())

    def append_json(self, record: Mapping[str, Any]) -> None:
        """Write one log line as read from another log (``merge_runs``: copied, never rebuilt)."""
        data = (json.dumps(record, sort_keys=True, default=_json_default, allow_nan=False) + "\n").encode()
        with self._lock:
            self._append(data)

    def _append(self, data: bytes) -> None:
        if self._failed is not None:
            raise self._failed
        fh = self._fh
        assert fh is not None, "append to a log that is not open"
        start = os.fstat(fh.fileno()).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[fh.write(view):]
        except OSError as exc:
            try:
                os.ftruncate(fh.fileno(), start)
            except OSError:
                pass  # a torn last line is cut when the log is reopened
            raise storage_error(self.path, exc) from None
        self._dirty = True
        if self.fsync and time.monotonic() - self._synced_at >= self._interval:
            self._sync()

    def sync(self) -> None:
        """fsync what was appended since the last sync."""
        with self._lock:
            if self._failed is not None:
                raise self._failed
            self._sync()

    def _sync(self) -> None:
        if self._fh is not None and self._dirty and self.fsync:
            started = time.monotonic()
            try:
                os.fsync(self._fh.fileno())
            except OSError as exc:
                raise storage_error(self.path, exc) from None
            self._synced_at = time.monotonic()
            self._dirty = False
            self.fsyncs += 1
            if self._auto:
                self._interval = min(AUTO_MAX_MS / 1000, AUTO_FACTOR * (self._synced_at - started))

    def close(self) -> None:
        if self._stop is not None and self._flusher is not None:
            self._stop.set()
            self._flusher.join()
            self._stop = self._flusher = None
        if self._fh is not None:
            try:
                self.sync()
            finally:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> "MatchLog":
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _iter_file(path: Path) -> Iterator[dict[str, Any]]:
    yield from LogReader(path)


def _json_default(obj: Any) -> Any:
    # numpy scalars and arrays, tuples in details, paths
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", 1) == 0:
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    return str(obj)


def clean_json(value: Any) -> Any:
    """Replace NaN and infinities (not valid JSON) by None, recursively."""
    kind = type(value)  # the exact builtins first: a record's results are mostly these (once a match)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): clean_json(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [clean_json(v) for v in value]
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return clean_json(value.item())
    return value


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for dist in ("tourney", "negmas", "scml", "numpy", "pandas", "joblib", "torch", "llama_cpp_python"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def storage_error(path: Path, exc: OSError) -> StorageError:
    """A one-line StorageError naming ``path`` (an OSError from write() names no file)."""
    from tourney.errors import StorageError

    reason = exc.strerror or str(exc)
    hint = "; free some space and rerun the same command to resume" if exc.errno in (errno.ENOSPC,
                                                                                      errno.EDQUOT) else ""
    return StorageError(f"{exc.filename or path}: cannot write: {reason}{hint}")


def write_manifest(run_dir: Path, data: dict[str, Any]) -> None:
    path = run_dir / MANIFEST_NAME
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise storage_error(path, exc) from None


def mark_unfinished(run_dir: Path, status: str, reason: str) -> None:
    """Record in the manifest that a run stopped early (only if it still says ``running``)."""
    manifest = read_manifest(run_dir)
    if manifest.get("status") == "running":
        manifest.update(status=status, stopped=now(), stop_reason=reason)
        try:
            write_manifest(run_dir, manifest)
        except OSError:
            pass  # the disk is what failed: the original error is the one to report


LOCK_NAME = ".lock"


class RunLock:
    """An exclusive lock on a run directory, so two commands never write one log.

    ``fcntl.flock`` on ``RUN_DIR/.lock``: the kernel drops it when the holder
    exits, even by kill -9, so a lock is never stale. The file says who holds
    it (pid, host, command, since), for the error a second command gets.
    flock is advisory and local: it does not guard a run dir on NFS shared by
    several machines.
    """

    def __init__(self, run_dir: str | Path, command: str) -> None:
        self.run_dir = Path(run_dir)
        self.command = command
        self._fd: int | None = None

    def __enter__(self) -> "RunLock":
        from tourney.errors import RunDirError

        path = self.run_dir / LOCK_NAME
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise storage_error(path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
                raise RunDirError(f"{self.run_dir} is in use by {holder}; wait for it to end or "
                                  "choose another --out") from None
            raise storage_error(path, exc) from None
        text = f"pid {os.getpid()} on {socket.gethostname()} ({self.command}, since {now()})\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)  # releases the flock
            self._fd = None


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / MANIFEST_NAME
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
        return manifest
    except (FileNotFoundError, ValueError):
        return {}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# What two plays of one match must agree on. Left out: timings (``duration``
# and the wall seconds worlds keep in ``details``), the worker's pid, and the
# traceback text (a timeout interrupts wherever it lands).
OUTCOME_FIELDS = ("key", "seed", "assignment", "status", "blamed", "blamed_role", "metric", "roles", "metrics")
CONFLICTS_NAME = "merge_conflicts.jsonl"


class MergeSummary:
    """What ``merge_runs`` did: records written, duplicates dropped, conflicts found."""

    def __init__(self) -> None:
        self.written = 0
        self.duplicates = 0
        self.conflicts: list[dict[str, Any]] = []


def _outcome_digest(record: dict[str, Any]) -> str:
    kept = {k: record.get(k) for k in OUTCOME_FIELDS}
    text = json.dumps(kept, sort_keys=True, default=_json_default, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def merge_runs(out: str | Path, run_dirs: list[str | Path]) -> MergeSummary:
    """Merge the match logs of ``run_dirs`` (shards of one league) into ``out``.

    Records are deduplicated by match id; the first seen wins (``out``'s own
    log first, then ``run_dirs`` in order). Two records of one id whose
    outcomes differ (any of ``OUTCOME_FIELDS``) are a
    conflict: both are listed in ``out/merge_conflicts.jsonl``. Only an id and
    a digest per match are kept in memory. Every run must have played the same
    league file with the same seed and repetitions.
    """
    out = Path(out)
    sources = [Path(d) for d in run_dirs]
    league_text, manifest = _common_league(out, sources)
    out.mkdir(parents=True, exist_ok=True)
    # The manifest first, then the league copy: a merge killed at any point
    # leaves an ``out`` that the same merge accepts and completes (idempotent:
    # records already in ``out`` are not written again).
    write_manifest(out, {**manifest, "status": "merging", "merged_from": [str(s) for s in sources]})
    try:
        (out / LEAGUE_COPY).write_text(league_text)
    except OSError as exc:
        raise storage_error(out / LEAGUE_COPY, exc) from None
    summary = MergeSummary()
    seen: dict[str, tuple[str, str]] = {}  # id -> (digest, where it came from)
    for record in _iter_file(out / LOG_NAME):
        seen.setdefault(record["id"], (_outcome_digest(record), str(out)))
    with MatchLog(out / LOG_NAME, group_commit_ms=1000) as log:
        for source in sources:
            if source.resolve() == out.resolve():
                continue
            for record in iter_records(source):
                digest = _outcome_digest(record)
                first = seen.get(record["id"])
                if first is None:
                    seen[record["id"]] = (digest, str(source))
                    log.append_json(record)
                    summary.written += 1
                elif first[0] == digest:
                    summary.duplicates += 1
                else:
                    summary.conflicts.append({"id": record["id"], "key": record.get("key"),
                                              "kept_from": first[1], "dropped_from": str(source)})
    conflicts_path = out / CONFLICTS_NAME
    conflicts_path.unlink(missing_ok=True)
    if summary.conflicts:
        conflicts_path.write_text("".join(json.dumps(c, sort_keys=True) + "\n" for c in summary.conflicts))
    manifest.update(status="merged", merged_from=[str(s) for s in sources], finished=now(),
                    played=len(seen), shard=None)
    write_manifest(out, manifest)
    return summary


def _common_league(out: Path, sources: list[Path]) -> tuple[str, dict[str, Any]]:
    """The league text and manifest the runs share; a TourneyError if they differ."""
    from tourney.errors import TourneyError

    texts, manifests = {}, {}
    for source in sources:
        path = source / LEAGUE_COPY
        if not path.is_file():
            from tourney.errors import RunDirError

            raise RunDirError(f"{source}: not a run directory (no {LEAGUE_COPY})")
        texts[source] = path.read_text()
        manifests[source] = read_manifest(source)
    if (out / LEAGUE_COPY).exists() and out not in texts:
        texts[out] = (out / LEAGUE_COPY).read_text()
        manifests[out] = read_manifest(out)
    first = sources[0]
    for source, text in texts.items():
        if text != texts[first]:
            raise TourneyError(f"{source} played a different league file than {first}; "
                               "only shards of one league can be merged")
        if source == out and not manifests[out]:
            continue  # a merge killed before its manifest: its records carry their seed in their ids
        for key in ("seed", "repetitions"):
            if manifests[source].get(key) != manifests[first].get(key):
                raise TourneyError(f"{source} was run with {key}={manifests[source].get(key)} but "
                                   f"{first} with {key}={manifests[first].get(key)}")
    return texts[first], dict(manifests[first])
