"""A finished run directory, read once: its manifest, the league as it was played, its typed records.

Everything that reads a run after the fact (the reproductions, ``report``)
goes through ``read_run``: the league copy is loaded with the roles and preset
params the run recorded in its manifest (``tourney.league.recorded_players``),
so no player class is imported (a run of DDPG players reads without torch),
and with the seed and repetitions the run was played with. Match records come
back as ``MatchRecord``; a log line that is not one is skipped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from tourney.errors import RunDirError
from tourney.league import League, PlayerEntry, WorldEntry, load_league
from tourney.records import MatchRecord
from tourney.store import LEAGUE_COPY, LOG_NAME, LogReader, read_manifest


def league_of_run(run_dir: str | Path) -> League:
    """The league a run played, read from its copy, with the run's seed, repetitions and player roles."""
    path = Path(run_dir) / LEAGUE_COPY
    if not path.is_file():
        raise RunDirError(f"{run_dir}: not a run directory (no {LEAGUE_COPY}); run `tourney run` first")
    manifest = read_manifest(Path(run_dir))
    # The league's player modules live beside the original league file, not the copy.
    original = manifest.get("league_file")
    extra = (str(Path(original).resolve().parent),) if isinstance(original, str) and original else ()
    # The players' roles as the run resolved them: no player class (nor torch...) is imported.
    recorded = manifest.get("players") if isinstance(manifest.get("players"), dict) else None
    # Relative paths in world params (a scenario folder) are the original's too.
    base = extra[0] if extra and Path(extra[0]).is_dir() else None
    return load_league(path, extra_import_dirs=extra, recorded=recorded, paths_from=base).with_overrides(
        manifest.get("seed"), manifest.get("repetitions"))


@dataclass(frozen=True)
class Run:
    """One run directory: ``manifest`` as written, ``league`` as played, the log behind ``records``."""

    path: Path
    manifest: Mapping[str, Any]
    league: League

    @property
    def seed(self) -> int:
        return self.league.seed

    @property
    def players(self) -> tuple[PlayerEntry, ...]:
        return self.league.players

    def player_types(self) -> dict[str, str]:
        """League player name -> its type (a short name or a dotted path)."""
        return {p.name: p.type for p in self.league.players}

    def roles(self, player: str, world_index: int) -> tuple[str, ...]:
        """The roles ``player`` could take in the league's world ``world_index`` (empty: none)."""
        resolved = self.league.resolved.get((player, world_index))
        return () if resolved is None else tuple(resolved.roles)

    def world(self, world_type: str) -> WorldEntry | None:
        """The league's first world entry of ``world_type``."""
        return next((w for w in self.league.worlds if w.type == world_type), None)

    def world_params(self, world_type: str) -> dict[str, Any]:
        """The params of the league's first world entry of ``world_type`` (empty if it has none)."""
        entry = self.world(world_type)
        return {} if entry is None else dict(entry.params)

    def records(self, world_type: str | None = None, *, ok: bool | None = None) -> Iterator[MatchRecord]:
        """The log's records in log order, the first of each match id; only ``world_type``'s if given,
        only finished (``ok=True``) or failed (``ok=False``) ones if asked."""
        reader = RecordReader(self.path / LOG_NAME)
        for record in reader:
            if world_type is not None and record.world_type != world_type:
                continue
            if ok is not None and record.ok != ok:
                continue
            yield record


class RecordReader:
    """A match log's records as ``MatchRecord``, first of each id; ``unreadable`` counts the lines skipped."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.unreadable = 0

    def __iter__(self) -> Iterator[MatchRecord]:
        log = LogReader(self.path)
        seen: set[str] = set()
        self.unreadable = 0
        for data in log:
            try:
                record = MatchRecord.from_json(data)
            except (ValueError, TypeError):
                self.unreadable += 1
                continue
            if record.id in seen:
                continue
            seen.add(record.id)
            yield record
        self.unreadable += log.unreadable


def read_run(run_dir: str | Path) -> Run:
    """Read ``run_dir``'s manifest and league copy; RunDirError if it is not a run directory."""
    path = Path(run_dir)
    return Run(path, read_manifest(path), league_of_run(path))
