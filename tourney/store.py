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
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

LOG_NAME = "matches.jsonl"
MANIFEST_NAME = "manifest.json"
LEAGUE_COPY = "league.yaml"


def _parse(line: bytes) -> dict | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) and "id" in record else None


def iter_records(run_dir: str | Path) -> Iterator[dict]:
    """Yield the match records of a run, one dict per line, skipping torn lines."""
    yield from _iter_file(Path(run_dir) / LOG_NAME)


class MatchLog:
    """Append-only, crash-safe JSON-lines log of finished matches."""

    def __init__(self, path: str | Path, fsync: bool = True, group_commit_ms: float = 0.0) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.group_commit_ms = group_commit_ms
        self._fh = None
        self._synced_at = 0.0
        self._dirty = False

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

    def finished_ids(self) -> set[str]:
        return {r["id"] for r in _iter_file(self.path)}

    def open(self) -> "MatchLog":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.repair()
        self._fh = self.path.open("ab")
        return self

    def append(self, record: dict) -> None:
        data = (json.dumps(record, sort_keys=True, default=_json_default, allow_nan=False) + "\n").encode()
        self._fh.write(data)
        self._fh.flush()
        self._dirty = True
        if self.fsync and time.monotonic() - self._synced_at >= self.group_commit_ms / 1000:
            self.sync()

    def sync(self) -> None:
        """fsync what was appended since the last sync."""
        if self._fh is not None and self._dirty and self.fsync:
            os.fsync(self._fh.fileno())
            self._synced_at = time.monotonic()
            self._dirty = False

    def close(self) -> None:
        if self._fh is not None:
            self.sync()
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "MatchLog":
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _iter_file(path: Path) -> Iterator[dict]:
    if not path.exists():
        return
    with path.open("rb") as fh:
        for line in fh:
            if line.endswith(b"\n"):
                record = _parse(line)
                if record is not None:
                    yield record


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


def write_manifest(run_dir: Path, data: dict) -> None:
    path = run_dir / MANIFEST_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, path)


def read_manifest(run_dir: Path) -> dict:
    path = Path(run_dir) / MANIFEST_NAME
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
