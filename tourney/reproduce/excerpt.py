"""Baseline excerpts: the part of a reproduction run that its tables are computed from.

``python -m tourney.reproduce.excerpt NAME RUN_DIR`` writes
``results/baselines/reproductions/<run>/``: the match log cut down to the
record fields reproduction NAME reads (xz-compressed), the other files of the
run it opens (league copy, manifest, a sweep it reads...), and
``excerpt.json`` saying which reproduction and run it is; a run beside it that the
reproduction also reads (a sibling such as ``<run>-never-raise``) goes along,
cut the same way, under ``siblings/``. The fields are found
by running the reproduction on the whole run with every record a dict that
notes which keys are read; the excerpt is then proved sufficient by running the
reproduction on it and comparing its report with the whole run's, character
for character. If a tighter cut changes the report, a looser one is tried (a
key that was only tested for presence kept whole, then the records whole).

``check_excerpt`` is the CI guard (tests/test_reproduction_baselines.py): it
reruns the reproduction on the committed excerpt and compares the claim
verdicts with the run's part of REPRODUCTION.md, so a code change that flips
a verdict fails ``make test``.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import re
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from tourney import run_reader, store
from tourney.records import MatchRecord
from tourney.store import LEAGUE_COPY, LOG_NAME, MANIFEST_NAME

BASELINES = Path("results/baselines/reproductions")
EXCERPT_NAME = "excerpt.json"
SIBLINGS = "siblings"  # an excerpt's copies of the runs beside its own that the reproduction reads
LOG_XZ = LOG_NAME + ".xz"
MAX_BYTES = 2_000_000  # the repository's limit for one file
# Kept in every record whatever the reproduction reads: the keys a log line
# needs to be a record at all (tourney.store, tourney.records).
ALWAYS = ("id", "key", "world", "world_type", "world_index", "setting", "assignment", "rep", "seed", "status")
PROJECTIONS = ("tight", "keys", "full")  # tried in this order until the report is unchanged


class ExcerptError(Exception):
    """An excerpt cannot be written or read (one line for the user)."""


# --- which keys a reproduction reads ---
@dataclass
class _Node:
    """What was read of the dicts found at one path of the records."""

    fetched: dict[str, "_Node"] = field(default_factory=dict)  # key -> what was read of its value
    present: set[str] = field(default_factory=set)  # keys only tested for (``in``), values unread
    touched: bool = False

    def child(self, key: str) -> "_Node":
        self.touched = True
        return self.fetched.setdefault(key, _Node())

    def fields(self, prefix: str = "") -> list[str]:
        out = []
        for key in sorted(self.fetched):
            node = self.fetched[key]
            inner = node.fields(f"{prefix}{key}.") if node.touched else []
            out += inner or [f"{prefix}{key}"]
        out += [f"{prefix}{key}?" for key in sorted(self.present - set(self.fetched))]
        return out


class _Tracked(dict):  # type: ignore[type-arg]  # holds whatever a log record holds
    """A dict that notes, in its ``_Node``, every key read through Python.

    Anything that walks all keys (iteration, ``len``, ``items``...) marks them
    all; C code that reads the dict directly (``==``, some pandas paths) is not
    seen, which is why a node nothing was read from is kept whole and why the
    cut is proved by rerunning the reproduction on it.
    """

    __slots__ = ("_node",)

    def __init__(self, data: dict[str, Any], node: _Node) -> None:
        super().__init__(data)
        self._node = node

    def _wrap(self, key: Any, value: Any) -> Any:
        if isinstance(key, str):
            node = self._node.child(key)
            if isinstance(value, dict) and not isinstance(value, _Tracked):
                return _Tracked(value, node)
        return value

    def _all(self) -> None:
        for key in dict.keys(self):
            if isinstance(key, str):
                self._node.child(key)
        self._node.touched = True

    def __getitem__(self, key: Any) -> Any:
        return self._wrap(key, dict.__getitem__(self, key))

    def get(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return self[key]
        self._node.touched = True
        return default

    def __contains__(self, key: object) -> bool:
        self._node.touched = True
        if isinstance(key, str):
            self._node.present.add(key)
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[Any]:
        self._all()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._all()
        return dict.__len__(self)

    def keys(self) -> Any:
        self._all()
        return dict.keys(self)

    def values(self) -> Any:
        return [self[k] for k in dict.keys(self)]

    def items(self) -> Any:
        return [(k, self[k]) for k in dict.keys(self)]

    def copy(self) -> dict[str, Any]:
        self._all()
        return dict(dict.items(self))

    def __reduce__(self) -> Any:  # a tracked record that is pickled is read whole
        self._all()
        return (dict, (dict(dict.items(self)),))


_RECORD_FIELDS = frozenset(f.name for f in fields(MatchRecord)) - {"extra"}


class _TrackedRecord(MatchRecord):
    """A ``MatchRecord`` that notes, in its log line's ``_Node``, every field read through it.

    Building a typed record reads every key of its line, so the line's own
    tracking cannot tell what a reproduction uses; the record's fields can.
    """

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MatchRecord:
        if not isinstance(data, _Tracked):
            return MatchRecord.from_json(data)
        record = MatchRecord.from_json(dict(dict.items(data)))  # read untracked
        tracked = cls(**{f.name: getattr(record, f.name) for f in fields(record)})
        object.__setattr__(tracked, "_node", data._node)
        return tracked

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name in _RECORD_FIELDS:
            node = object.__getattribute__(self, "__dict__").get("_node")
            if node is not None:
                child = node.child(name)
                if isinstance(value, dict) and not isinstance(value, _Tracked):
                    value = _Tracked(value, child)
                    object.__setattr__(self, name, value)
        return value


def _project(record: dict[str, Any], node: _Node, mode: str) -> dict[str, Any]:
    """The part of ``record`` the reproduction read (``mode``: see PROJECTIONS)."""
    if mode == "full" or not node.touched:
        return record
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in node.fetched:
            child = node.fetched[key]
            out[key] = _project(value, child, mode) if isinstance(value, dict) and child.touched else value
        elif key in node.present:
            out[key] = None if mode == "tight" else value
    return out


def _top(record: dict[str, Any], root: _Node, mode: str) -> dict[str, Any]:
    out = _project(record, root, mode)
    for key in ALWAYS:
        if key in record:
            out[key] = record[key]
    return out


# --- which files a reproduction opens ---
_reading: list[tuple[str, set[str]]] = []  # (run dir, files opened under it), while a reproduction runs


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _reading:
        return
    path, mode = args[0], args[1]
    if not isinstance(path, (str, os.PathLike)):
        return
    writing = (any(c in mode for c in "wax+") if isinstance(mode, str)
               else isinstance(args[2], int) and args[2] & (os.O_WRONLY | os.O_RDWR))
    if writing:
        return
    root, opened = _reading[-1]
    full = os.path.abspath(os.fspath(path))
    if full.startswith(root + os.sep):
        opened.add(os.path.relpath(full, root))


_hooked = False


@contextmanager
def _watching(run_dir: Path) -> Iterator[set[str]]:
    """The files beside and under ``run_dir`` opened for reading inside the block, relative to its parent."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)  # cannot be removed: inert outside the block
        _hooked = True
    opened: set[str] = set()
    # The folder holding the run is watched, not the run: a reproduction may read a sibling run
    # (INSIGHT's ``<run>-never-raise``, ANEGMA's ``<run>-adapt``), which its excerpt must carry.
    _reading.append((os.path.abspath(Path(run_dir).parent), opened))
    try:
        yield opened
    finally:
        _reading.pop()


@contextmanager
def _tracking(root: _Node) -> Iterator[list[int]]:
    """Every record the log readers of ``tourney.store`` parse is a ``_Tracked`` under ``root``,
    and every record ``tourney.run_reader`` builds from one a ``_TrackedRecord``."""
    parse = store._parse
    record_type = run_reader.MatchRecord
    count = [0]

    def tracked(line: bytes) -> dict[str, Any] | None:
        record = parse(line)
        if record is None:
            return None
        count[0] += 1
        return _Tracked(record, root)

    store._parse = tracked
    run_reader.MatchRecord = _TrackedRecord  # type: ignore[misc]
    try:
        yield count
    finally:
        store._parse = parse
        run_reader.MatchRecord = record_type  # type: ignore[misc]


# --- writing ---
@dataclass
class Excerpt:
    path: Path
    records: int
    projection: str
    fields: list[str]
    files: list[str]
    log_bytes: int  # the run's whole match log
    excerpt_bytes: int  # everything written


def _reproduce(name: str, run_dir: Path) -> str:
    from tourney.registry import reproduction

    return str(reproduction(name)(run_dir))


def write_excerpt(name: str, run_dir: Path, out_root: Path = BASELINES,
                  reproduce: Callable[[str, Path], str] = _reproduce, label: str | None = None) -> Excerpt:
    """Write the excerpt of ``run_dir`` for reproduction ``name``; ExcerptError if it cannot be proved.

    ``label`` is the run as REPRODUCTION.md names it (``results/NAME``; default: ``run_dir``
    relative to the working directory)."""
    run_dir = Path(run_dir)
    if label is None:
        full = run_dir.resolve()
        label = full.relative_to(Path.cwd()).as_posix() if full.is_relative_to(Path.cwd()) else run_dir.as_posix()
    log = run_dir / LOG_NAME
    if not log.is_file():
        raise ExcerptError(f"{run_dir}: no {LOG_NAME}: not a run directory")
    root = _Node()
    with _watching(run_dir) as opened, _tracking(root) as parsed:
        text = reproduce(name, run_dir)
    written = run_dir / "reproduction.md"
    if written.is_file() and written.read_text() != text + "\n":
        raise ExcerptError(f"{written}: not what reproduction {name} writes from this run today; "
                           f"rerun `tourney reproduce {name} {run_dir}` (and the collector) first")
    records = [r for r in store.LogReader(log)]
    modes = PROJECTIONS if parsed[0] else ("full",)  # no record went through the tracked reader
    own_prefix = run_dir.name + os.sep
    siblings = _siblings(run_dir, {f for f in opened if not f.startswith(own_prefix)})
    opened = {f[len(own_prefix):] for f in opened if f.startswith(own_prefix)}
    files = sorted(f for f in opened if f != LOG_NAME and not f.startswith("plots" + os.sep)
                   and f != "reproduction.md")
    files = sorted(set(files) | {f for f in (LEAGUE_COPY, MANIFEST_NAME) if (run_dir / f).is_file()})
    for f in files:
        if (run_dir / f).stat().st_size > MAX_BYTES:
            raise ExcerptError(f"{run_dir / f}: {(run_dir / f).stat().st_size} bytes, over the "
                               f"{MAX_BYTES}-byte limit of a committed file")
    out = Path(out_root) / run_dir.name
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix="excerpt-") as tmp:
            staged = Path(tmp) / run_dir.name
            _stage(staged, run_dir, files, [_top(r, root, mode) for r in records])
            for sib, (sib_files, sib_records) in siblings.items():
                _stage(staged / SIBLINGS / sib, run_dir.parent / sib, sib_files,
                       None if sib_records is None else [_top(r, root, mode) for r in sib_records])
            replay = _read_into(staged, Path(tmp) / "replay")
            again = reproduce(name, replay)
            for sib in siblings:  # before the run's own path, which is a prefix of theirs
                again = again.replace(str(replay.parent / sib), str(run_dir.parent / sib))
            again = again.replace(str(replay), str(run_dir))
            if again != text:
                continue
            kept = root.fields() if mode != "full" else ["*"]
            meta = {"reproduction": name, "run_dir": label, "records": len(records), "projection": mode,
                    "fields": kept, "files": files, "log_bytes": log.stat().st_size,
                    "siblings": {sib: sib_files for sib, (sib_files, _) in siblings.items()}}
            (staged / EXCERPT_NAME).write_text(json.dumps(meta, indent=2) + "\n")
            size = sum(p.stat().st_size for p in staged.rglob("*") if p.is_file())
            big = max((p for p in staged.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
            if big.stat().st_size > MAX_BYTES:
                raise ExcerptError(f"{run_dir}: the excerpt's {big.name} is {big.stat().st_size} bytes "
                                   f"(limit {MAX_BYTES}) even cut to fields {', '.join(kept)}")
            if out.exists():
                shutil.rmtree(out)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(staged, out)
            return Excerpt(out, len(records), mode, kept, files, log.stat().st_size, size)
    raise ExcerptError(f"{run_dir}: reproduction {name} does not write the same report twice from the same "
                       "records (does it read the clock, a random source or a file outside the run?)")


def _siblings(run_dir: Path, opened: set[str]) -> dict[str, tuple[list[str], list[dict[str, Any]] | None]]:
    """Per folder beside ``run_dir`` that the reproduction read: its files (besides a match log)
    and its log's records (None: its log was not read)."""
    found: dict[str, set[str]] = {}
    for f in opened:
        sib, sep, rest = f.partition(os.sep)
        if sep:  # a file directly in the parent folder is no run's
            found.setdefault(sib, set()).add(rest)
    out: dict[str, tuple[list[str], list[dict[str, Any]] | None]] = {}
    for sib, names in sorted(found.items()):
        folder = run_dir.parent / sib
        files = sorted(f for f in names if f != LOG_NAME and f != "reproduction.md"
                       and not f.startswith("plots" + os.sep) and (folder / f).is_file())
        for f in files:
            if (folder / f).stat().st_size > MAX_BYTES:
                raise ExcerptError(f"{folder / f}: {(folder / f).stat().st_size} bytes, over the "
                                   f"{MAX_BYTES}-byte limit of a committed file")
        records = list(store.LogReader(folder / LOG_NAME)) if LOG_NAME in names else None
        out[sib] = (files, records)
    return out


def _stage(staged: Path, run_dir: Path, files: list[str], records: list[dict[str, Any]] | None) -> None:
    staged.mkdir(parents=True)
    for f in files:
        (staged / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run_dir / f, staged / f)
    if records is None:
        return
    data = "".join(json.dumps(r, sort_keys=True, default=store._json_default, allow_nan=False) + "\n"
                   for r in records).encode()
    with lzma.open(staged / LOG_XZ, "wb", preset=9 | lzma.PRESET_EXTREME) as fh:
        fh.write(data)


# --- reading and checking ---
def read_excerpt(excerpt: Path, dest: Path) -> tuple[dict[str, Any], Path]:
    """Unpack ``excerpt`` into a run directory under ``dest``; (its excerpt.json, that directory)."""
    meta_path = Path(excerpt) / EXCERPT_NAME
    if not meta_path.is_file():
        raise ExcerptError(f"{excerpt}: no {EXCERPT_NAME}: not an excerpt")
    meta = json.loads(meta_path.read_text())
    return meta, _read_into(Path(excerpt), Path(dest))


def _read_into(excerpt: Path, dest: Path, name: str | None = None) -> Path:
    """Unpack ``excerpt`` as run ``dest/<name>`` (default: the excerpt's name), its siblings beside it."""
    run_dir = dest / (name or excerpt.name)
    run_dir.mkdir(parents=True)
    for path in excerpt.rglob("*"):
        rel = path.relative_to(excerpt)
        if path.is_dir() or rel.as_posix() in (EXCERPT_NAME, LOG_XZ) or rel.parts[0] == SIBLINGS:
            continue
        (run_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, run_dir / rel)
    if (excerpt / LOG_XZ).is_file():
        with lzma.open(excerpt / LOG_XZ, "rb") as src, (run_dir / LOG_NAME).open("wb") as dst:
            shutil.copyfileobj(src, dst)
    if name is None and (excerpt / SIBLINGS).is_dir():
        for sib in sorted(p for p in (excerpt / SIBLINGS).iterdir() if p.is_dir()):
            _read_into(sib, dest, sib.name)
    return run_dir


SUMMARY = re.compile(r"\d+ of \d+ claims hold, \d+ fail, \d+ not resolved")
VERDICT = re.compile(r"\*\*(holds|fails|not resolved)\*\*")


def claim_lines(markdown: str) -> list[str]:
    """The claim verdicts of a report, in order: each "k of n claims hold, ..." and, per table row
    with a verdict of the claim checker, the row's claim id and its verdicts."""
    out = []
    for line in markdown.splitlines():
        if line.lstrip().startswith("|"):
            verdicts = VERDICT.findall(line)
            if verdicts:
                claim = line.strip().strip("|").split("|")[0].split(":")[0].strip()
                out.append(f"{claim}: {', '.join(verdicts)}")
        out += SUMMARY.findall(line)
    return out


RUN_LINE = re.compile(r"^\*Run `([^`]+)`")


def run_parts(reproduction_md: str) -> dict[str, str]:
    """REPRODUCTION.md's text per run directory (from its ``*Run `DIR` ...`` line to the next)."""
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in reproduction_md.splitlines():
        match = RUN_LINE.match(line)
        if match:
            current = parts.setdefault(match.group(1), [])
        elif line.startswith("## ") or line.startswith("<!-- end of runs"):
            current = None
        if current is not None:
            current.append(line)
    return {k: "\n".join(v) for k, v in parts.items()}


def check_excerpt(excerpt: Path, reproduction_md: str, work: Path,
                  reproduce: Callable[[str, Path], str] = _reproduce) -> list[str]:
    """What differs between the claims REPRODUCTION.md reports for the excerpt's run and the claims
    its reproduction computes from the excerpt today (empty: they agree)."""
    meta, run_dir = read_excerpt(excerpt, work)
    ours = claim_lines(reproduce(meta["reproduction"], run_dir))
    part = run_parts(reproduction_md).get(meta["run_dir"])
    if part is None:
        return [f"REPRODUCTION.md has no run {meta['run_dir']}"]
    theirs = claim_lines(part)
    if not ours:
        return [f"reproduction {meta['reproduction']} reports no verdict of the claim checker "
                "(tourney.reproduce.claims): nothing to guard"]
    problems = []
    for i in range(max(len(ours), len(theirs))):
        a = ours[i] if i < len(ours) else "(nothing)"
        b = theirs[i] if i < len(theirs) else "(nothing)"
        if a != b:
            problems.append(f"{meta['run_dir']}: claim line {i + 1}: the code gives '{a}', REPRODUCTION.md says '{b}'")
    manifest = json.loads((run_dir / MANIFEST_NAME).read_text()) if (run_dir / MANIFEST_NAME).is_file() else {}
    run_id = manifest.get("reproduce_id")
    if run_id and f"id `{run_id}`" not in part:
        problems.append(f"{meta['run_dir']}: the excerpt is of run {run_id}, which REPRODUCTION.md does not report")
    return problems


def excerpts(root: Path = BASELINES) -> list[Path]:
    """Every committed excerpt, by run name."""
    return sorted(p.parent for p in Path(root).glob(f"*/{EXCERPT_NAME}"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tourney.reproduce.excerpt",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("name", nargs="?", help="the reproduction (as for `tourney reproduce NAME RUN_DIR`)")
    parser.add_argument("run_dir", nargs="?", type=Path)
    parser.add_argument("--out", type=Path, default=BASELINES, help=f"where excerpts go (default {BASELINES})")
    parser.add_argument("--check", action="store_true",
                        help="instead: check every excerpt under --out against ./REPRODUCTION.md")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = []
            text = Path("REPRODUCTION.md").read_text()
            for path in excerpts(args.out):
                with tempfile.TemporaryDirectory() as tmp:
                    found = check_excerpt(path, text, Path(tmp))
                problems += found
                print(f"{path}: {'ok' if not found else f'{len(found)} differences'}")
            for problem in problems:
                print(problem, file=sys.stderr)
            raise SystemExit(1 if problems else 0)
        if args.name is None or args.run_dir is None:
            parser.error("give NAME RUN_DIR (or --check)")
        done = write_excerpt(args.name, args.run_dir, args.out)
    except ExcerptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"wrote {done.path}: {done.records} records cut to {', '.join(done.fields)} ({done.projection}); "
          f"files {', '.join(done.files) or 'none'}; {done.excerpt_bytes} bytes (the run's log: {done.log_bytes})")


if __name__ == "__main__":
    main()
