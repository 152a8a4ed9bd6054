"""League files: YAML -> ``League``, validated before any match runs.

Every error names the file, line and key, and the allowed values:
``leagues/x.yaml:12: players[3].type: unknown player 'bolware' (did you mean 'boulware'?)``.
Unknown keys are errors, never silently ignored.

Validation is bounded, so a hostile or careless file fails fast instead of
eating the machine: YAML anchors may expand the document to at most
``MAX_YAML_NODES`` nodes, a world's settings grid to ``MAX_SETTINGS``
combinations, a league to ``MAX_PLAYERS`` players and ``MAX_WORLDS`` worlds,
and the schedule to ``tourney.schedule.MAX_MATCHES`` matches; all are counted
arithmetically, never by building what they count.

A league file runs code: a dotted player type is imported (its import-time
code runs) when the league is validated, in a throwaway sandboxed process
(``tourney.untrusted``), never in the runner; a dotted world type is imported
here. The league file's folder is on the import path (``tourney.imports``).

Names (players, worlds) are NFC-normalised, so "Café" typed two ways is one
player, and must be printable (no newline, tab or NUL).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from tourney.errors import LeagueError, RegistryError
from tourney.params import (
    NONE,
    Interval,
    OfType,
    Options,
    did_you_mean,
    signature_params,
    validate_params,
)
from tourney import untrusted
from tourney.imports import add_import_dirs
from tourney.registry import ResolvedPlayer, is_dotted, resolve_player, world_class
from tourney.worlds.base import World

AGGREGATES = ("mean", "median", "truncated_mean")
BACKENDS = ("loky", "sequential", "dask", "ray")
MAX_YAML_NODES = 100_000  # nodes of the document with every alias expanded
MAX_SETTINGS = 10_000  # combinations of one world's settings grid
MAX_PLAYERS = 500
MAX_WORLDS = 100
MAX_NAME = 200  # characters of a player or world name
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


@dataclass(frozen=True)
class PlayerEntry:
    name: str
    type: str
    params: Mapping[str, Any]  # league params over the short name's defaults


@dataclass(frozen=True)
class WorldEntry:
    index: int
    type: str
    label: str  # unique within the league: the name given, else the type
    params: Mapping[str, Any]
    settings: Mapping[str, list]

    def setting_grid(self) -> Iterator[dict[str, Any]]:
        """Every combination of the settings, in a stable order (a generator: grids can be large)."""
        keys = sorted(self.settings)
        for combo in itertools.product(*(self.settings[k] for k in keys)):
            yield dict(zip(keys, combo))

    @property
    def n_settings(self) -> int:
        """How many combinations ``setting_grid`` yields, counted without building them."""
        return math.prod(len(values) for values in self.settings.values())


@dataclass(frozen=True)
class Format:
    kind: str = "round-robin"
    self_play: bool = False
    both_roles: bool = True
    timeout: float = 600.0  # wall seconds per match
    memory_mb: int | None = 4096  # per worker (player host); none: no limit
    disk_mb: int | None = 1024  # largest file a player host may write; none: no limit
    isolation: str = "worker"  # "process": a fresh player process for every match
    import_timeout: float = 60.0  # wall seconds to import one player type's module (in a host, in validation)


@dataclass(frozen=True)
class Scoring:
    metric: str | None = None  # None: each world's default metric
    aggregate: str = "mean"
    trim: float = 0.1  # fraction cut from each end by truncated_mean
    truncation: str = "fraction"  # or "tukey": drop values above Q3 + 2 IQR, as SCML does
    error_score: float = 0.0  # what a player at fault scores for a failed match
    max_failures: float = 0.05  # share of failed matches above which a run exits 1


@dataclass(frozen=True)
class RunOptions:
    jobs: int = -1
    backend: str = "loky"
    address: str | None = None
    max_backend_faults: int = 3  # consecutive matches lost to an unreachable model endpoint before the run stops


@dataclass(frozen=True)
class League:
    name: str
    seed: int
    repetitions: int
    worlds: tuple[WorldEntry, ...]
    players: tuple[PlayerEntry, ...]
    format: Format = field(default_factory=Format)
    scoring: Scoring = field(default_factory=Scoring)
    run: RunOptions = field(default_factory=RunOptions)
    description: str = ""
    source: str = ""  # the YAML text it was read from
    path: str = ""
    import_dirs: tuple[str, ...] = ()  # folders player modules are imported from (the league file's)
    # resolved player classes per (player name, world index): None if it cannot play there
    resolved: Mapping[tuple[str, int], ResolvedPlayer | None] = field(default_factory=dict, repr=False)

    def with_overrides(self, seed: int | None = None, repetitions: int | None = None) -> "League":
        from dataclasses import replace

        from tourney.schedule import check_schedule_size

        league = replace(
            self,
            seed=self.seed if seed is None else seed,
            repetitions=self.repetitions if repetitions is None else repetitions,
        )
        if repetitions is not None and repetitions != self.repetitions:
            try:
                check_schedule_size(league)
            except ValueError as exc:
                raise LeagueError(f"--reps {repetitions}: {exc}") from None
        return league

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- reading YAML


class _Lines:
    """Maps a key path like ("players", 3, "type") to its line in the file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: dict[tuple, int] = {}

    def fail(self, keypath: tuple, message: str) -> LeagueError:
        line = None
        probe = keypath
        while line is None and probe:
            line = self.lines.get(probe)
            probe = probe[:-1]
        line = line or self.lines.get((), 1)
        return LeagueError(f"{self.path}:{line}: {_dotted(keypath)}: {message}")


def _dotted(keypath: tuple) -> str:
    out = ""
    for part in keypath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<league>"


def _expanded_size(root: yaml.Node, limit: int) -> int | None:
    """Nodes of the document with every alias expanded, or None once past ``limit``.

    An alias is a reference to an earlier node, so sizes are memoised per node:
    linear in the text, however many times the aliases multiply. A node that
    contains itself (``&a [*a]``) expands without end: ``math.inf``.
    """
    sizes: dict[int, float] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node) -> float:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in in_progress:
            return math.inf
        in_progress.add(id(node))
        total = 1.0
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node) + size(value_node)
                if total > limit:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
                if total > limit:
                    break
        in_progress.discard(id(node))
        sizes[id(node)] = total
        return total

    total = size(root)
    return None if total > limit else int(total)


def _record_lines(node: yaml.Node, keypath: tuple, lines: dict, loader: yaml.SafeLoader) -> None:
    # Bounded by _expanded_size (called first): at most MAX_YAML_NODES paths.
    lines.setdefault(keypath, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            lines[keypath + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, keypath + (key,), lines, loader)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[keypath + (i,)] = item.start_mark.line + 1
            _record_lines(item, keypath + (i,), lines, loader)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys (YAML would keep the last silently)
    and keys that are not plain values (``{[a]: b}``)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool, type(None))):
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be a plain string or number, got a {type(key).__name__} "
                    f"({yaml.safe_dump(key, default_flow_style=True).strip()[:60]})", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}' (first on line {seen[key]})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _key_on_line(text: str, line: int) -> str:
    """The dotted key whose entry is on ``line`` (for errors YAML reports before any key is known)."""
    try:
        cleaned = "".join(c if c in "\t\n\r" or c.isprintable() else " " for c in text)
        loader = _UniqueKeyLoader(cleaned)
        try:
            node = loader.get_single_node()
            if node is None or _expanded_size(node, MAX_YAML_NODES) is None:
                return ""
            lines: dict = {}
            _record_lines(node, (), lines, loader)
        finally:
            loader.dispose()
    except Exception:  # noqa: BLE001 - a best-effort hint; the error itself is reported anyway
        return ""
    on_line = [kp for kp, n in lines.items() if n == line and kp]
    return _dotted(max(on_line, key=len)) + ": " if on_line else ""


def _read_yaml(path: Path) -> tuple[Any, _Lines, str]:
    where = _Lines(str(path))
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise LeagueError(f"{path}: no such league file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise LeagueError(f"{path}: cannot read the league file: {exc}") from None
    except OSError as exc:
        raise LeagueError(f"{path}: cannot read the league file: {exc.strerror or exc}") from None
    loader = None
    try:
        loader = _UniqueKeyLoader(text)  # checks every character first: a NUL byte fails here
        node = loader.get_single_node()
        if node is None:
            raise LeagueError(f"{path}:1: the league file is empty")
        if _expanded_size(node, MAX_YAML_NODES) is None:
            where_, key = node, "<league>"
            if isinstance(node, yaml.MappingNode):  # name the top-level key that blows up
                where_, key = next(((k, k.value) for k, v in node.value
                                    if _expanded_size(v, MAX_YAML_NODES) is None), (node, key))
            raise LeagueError(f"{path}:{where_.start_mark.line + 1}: {key}: expands to more than "
                              f"{MAX_YAML_NODES:,} nodes (YAML anchors and aliases); a league is smaller")
        data = loader.construct_document(node)
        _record_lines(node, (), where.lines, loader)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise LeagueError(f"{path}:{line}: {_key_on_line(text, line)}not valid YAML: the control "
                          f"character U+{code:04X} is not allowed in a league file") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise LeagueError(f"{path}:{line}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise LeagueError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise LeagueError(f"{path}: not valid YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, where, text


# ---------------------------------------------------------------- validation

_TOP = {"name", "description", "seed", "repetitions", "worlds", "players", "format", "scoring", "run"}
_WORLD_KEYS = {"type", "name", "params", "settings"}
_PLAYER_KEYS = {"name", "type", "params"}
_FORMAT = {
    "kind": [Options(["round-robin"])],
    "self_play": [OfType(bool)],
    "both_roles": [OfType(bool)],
    "timeout": [Interval(float, 0, None, closed="neither")],
    "memory_mb": [NONE, Interval(int, 64, None)],
    "disk_mb": [NONE, Interval(int, 1, None)],
    "isolation": [Options(["worker", "process"])],
    "import_timeout": [Interval(float, 0, None, closed="neither")],
}
_SCORING = {
    "metric": [NONE, OfType(str)],
    "aggregate": [Options(AGGREGATES)],
    "trim": [Interval(float, 0, 0.5, closed="left")],
    "truncation": [Options(["fraction", "tukey"])],
    "error_score": [Interval(float)],
    "max_failures": [Interval(float, 0, 1)],
}
_RUN = {
    "jobs": [Interval(int, -1, -1), Interval(int, 1, None)],
    "backend": [Options(BACKENDS)],
    "address": [NONE, OfType(str)],
    "max_backend_faults": [Interval(int, 1, None)],
}


def _check_keys(where: _Lines, keypath: tuple, data: Any, allowed: set[str], what: str) -> dict:
    if not isinstance(data, dict):
        raise where.fail(keypath, f"{what} must be a mapping, got {type(data).__name__}")
    for key in data:
        if key not in allowed:
            raise where.fail(
                keypath + (key,),
                f"unknown key{did_you_mean(str(key), allowed)}; allowed: {', '.join(sorted(allowed))}",
            )
    return data


def _checked_section(where: _Lines, data: dict, key: str, constraints: dict, cls: type) -> Any:
    section = data.get(key) or {}
    _check_keys(where, (key,), section, set(constraints), key)
    for name, value in section.items():
        try:
            validate_params(key, {name: value}, constraints)
        except ValueError as exc:
            raise where.fail((key, name), str(exc).split(": ", 1)[1]) from None
    if key == "format":
        for seconds in ("timeout", "import_timeout"):
            if seconds in section:
                section = {**section, seconds: float(section[seconds])}
    return cls(**section)


def load_league(path: str | Path, extra_import_dirs: tuple[str, ...] = (),
                recorded: Mapping[str, Any] | None = None, paths_from: str | Path | None = None) -> League:
    """Read and validate a league file; raise LeagueError naming file, line and key.

    Player modules are imported from the league file's folder, then from
    ``extra_import_dirs`` (a run directory's copy names its original's folder).
    ``recorded`` (a run manifest's ``players``, see ``recorded_players``) gives
    each player's roles per world and preset params as the run resolved them:
    no player class is imported, so report/check/plot/merge work without the
    players' dependencies (torch, a model...). ``paths_from`` is the folder
    that relative paths in world params are read against (default: the league
    file's; a run directory's copy passes its original's).
    """
    path = Path(path)
    data, where, text = _read_yaml(path)
    _check_keys(where, (), data, _TOP, "a league file")

    name = data.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise where.fail(("name",), "required: a name of letters, digits, '.', '_', '+' or '-' "
                         f"(it names the run directory); got {name!r}")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise where.fail(("seed",), f"must be a non-negative int; got {seed!r}")
    reps = data.get("repetitions", 1)
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise where.fail(("repetitions",), f"must be an int >= 1; got {reps!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise where.fail(("description",), "must be a string")

    fmt = _checked_section(where, data, "format", _FORMAT, Format)
    scoring = _checked_section(where, data, "scoring", _SCORING, Scoring)
    run = _checked_section(where, data, "run", _RUN, RunOptions)

    import_dirs = tuple(dict.fromkeys((str(path.resolve().parent), *extra_import_dirs)))
    add_import_dirs(import_dirs)
    worlds = _load_worlds(where, data.get("worlds"),
                          Path(paths_from).resolve() if paths_from else path.resolve().parent)
    players, resolved = _load_players(where, data.get("players"), worlds, recorded, fmt.import_timeout)
    if scoring.metric is not None:
        for w in worlds:
            metrics = world_class(w.type).metrics
            if scoring.metric not in metrics:
                raise where.fail(("scoring", "metric"),
                                 f"world '{w.label}' has no metric '{scoring.metric}'"
                                 f"{did_you_mean(scoring.metric, metrics)}; allowed: {', '.join(metrics)}")
    league = League(
        name=name, seed=seed, repetitions=reps, worlds=tuple(worlds), players=tuple(players),
        format=fmt, scoring=scoring, run=run, description=description, source=text,
        path=str(path), import_dirs=import_dirs, resolved=resolved,
    )
    from tourney.schedule import check_schedule_size

    try:
        total = check_schedule_size(league)
    except ValueError as exc:
        raise where.fail(("repetitions",) if "repetitions" in data else ("worlds",), str(exc)) from None
    if total == 0:
        raise where.fail(("players",), "no match can be played: no assignment of these players "
                         "fills the roles of any world (check roles, self_play)")
    return league


def _clean_name(where: _Lines, keypath: tuple, name: Any) -> str:
    """``name`` NFC-normalised; a LeagueError unless it is a printable, non-empty string."""
    if not isinstance(name, str) or not name.strip():
        raise where.fail(keypath, f"must be a non-empty string; got {name!r}")
    name = unicodedata.normalize("NFC", name)
    if not name.isprintable():
        raise where.fail(keypath, f"must be printable (no newline, tab or control character); got {name!r}")
    if name != name.strip():
        raise where.fail(keypath, f"must not start or end with a space; got {name!r}")
    if len(name) > MAX_NAME:
        raise where.fail(keypath, f"must be at most {MAX_NAME} characters; got {len(name)}")
    return name


def _check_param_keys(where: _Lines, keypath: tuple, params: dict) -> None:
    for key in params:
        if not isinstance(key, str) or not key.isidentifier():
            raise where.fail(keypath + (key,), f"a parameter name must be an identifier; got {key!r}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def _load_worlds(where: _Lines, raw: Any, base: Path) -> list[WorldEntry]:
    if not isinstance(raw, list) or not raw:
        raise where.fail(("worlds",), "required: a non-empty list of worlds, each with a 'type'")
    if len(raw) > MAX_WORLDS:
        raise where.fail(("worlds",), f"{len(raw)} worlds; a league has at most {MAX_WORLDS}")
    entries: list[WorldEntry] = []
    labels: set[str] = set()
    types = [w.get("type") if isinstance(w, dict) else None for w in raw]
    for i, item in enumerate(raw):
        kp = ("worlds", i)
        _check_keys(where, kp, item, _WORLD_KEYS, "a world")
        wtype = item.get("type")
        if not isinstance(wtype, str):
            raise where.fail(kp + ("type",), "required: the world type (run `tourney worlds`)")
        try:
            cls = world_class(wtype)
        except RegistryError as exc:
            raise where.fail(kp + ("type",), str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - a module that fails on import is bad input
            raise where.fail(kp + ("type",), f"importing '{wtype}' failed: {_first_line(exc)}") from None
        if not (isinstance(cls, type) and issubclass(cls, World)):
            raise where.fail(kp + ("type",), f"'{wtype}' is not a world class (a subclass of "
                             "tourney.worlds.base.World); run `tourney worlds` for the built-in ones")
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise where.fail(kp + ("params",), "must be a mapping of parameter: value")
        _check_param_keys(where, kp + ("params",), params)
        settings = item.get("settings") or {}
        if not isinstance(settings, dict):
            raise where.fail(kp + ("settings",), "must be a mapping of parameter: [values]")
        _check_param_keys(where, kp + ("settings",), settings)
        resolve = getattr(cls, "resolve_paths", None)
        if callable(resolve):
            # Paths in a world's params are relative to the league file, wherever tourney runs.
            params = resolve(dict(params), base)
            settings = {k: [resolve({k: v}, base)[k] for v in vs] if isinstance(vs, list) else vs
                        for k, vs in settings.items()}
        names, var_kw = signature_params(cls)
        for key, values in settings.items():
            if key not in names and not var_kw:
                raise where.fail(kp + ("settings", key),
                                 f"not a parameter of world '{wtype}'{did_you_mean(key, names)}; "
                                 f"allowed: {', '.join(sorted(names))}")
            if not isinstance(values, list) or not values:
                raise where.fail(kp + ("settings", key), "must be a non-empty list of values")
            if key in params:
                raise where.fail(kp + ("settings", key), "is also given in params: give it in one place")
        try:
            cls.validate(params)
        except (ValueError, TypeError) as exc:
            key, _, msg = str(exc).partition(": ")
            raise where.fail(kp + ("params", key), msg or str(exc)) from None
        label = item.get("name") or (wtype if types.count(wtype) == 1 else f"{wtype}#{i}")
        label = _clean_name(where, kp + ("name",), label)
        if label in labels:
            raise where.fail(kp + ("name",), f"world names must be unique strings; got {label!r}")
        labels.add(label)
        entry = WorldEntry(i, wtype, label, dict(params), {k: list(v) for k, v in settings.items()})
        if entry.n_settings > MAX_SETTINGS:
            raise where.fail(kp + ("settings",), f"{entry.n_settings:,} combinations of settings; "
                             f"a world has at most {MAX_SETTINGS:,} (split it into several worlds)")
        for setting in entry.setting_grid():
            try:
                cls.validate({**params, **setting})
            except (ValueError, TypeError) as exc:
                key, _, msg = str(exc).partition(": ")
                sub = ("settings", key) if key in setting else ("params", key)
                raise where.fail(kp + sub, f"{msg or exc} (in setting {setting})") from None
        entries.append(entry)
    return entries


def _recorded_resolution(recorded: Mapping[str, Any], name: str, ptype: str,
                         world: WorldEntry) -> ResolvedPlayer | None | bool:
    """The run's resolution of ``name`` in ``world``; False if the manifest does not have it."""
    entry = recorded.get(name)
    if not isinstance(entry, Mapping) or entry.get("type") != ptype:
        return False
    roles = (entry.get("roles") or {}).get(str(world.index), False)
    if roles is False:
        return False
    if roles is None:
        return None
    return ResolvedPlayer(ptype, object, tuple(roles), dict(entry.get("defaults") or {}))


def recorded_players(league: "League") -> dict[str, Any]:
    """What a run manifest keeps of each player: type, preset params, roles per world index."""
    out: dict[str, Any] = {}
    for p in league.players:
        roles: dict[str, Any] = {}
        defaults: dict[str, Any] = {}
        for w in league.worlds:
            r = league.resolved.get((p.name, w.index))
            roles[str(w.index)] = None if r is None else list(r.roles)
            if r is not None:
                defaults = dict(r.defaults)
        out[p.name] = {"type": p.type, "defaults": defaults, "roles": roles}
    return out


def _load_players(where: _Lines, raw: Any, worlds: list[WorldEntry],
                  recorded: Mapping[str, Any] | None = None, import_timeout: float = Format.import_timeout):
    if not isinstance(raw, list) or not raw:
        raise where.fail(("players",), "required: a non-empty list of players, each with a name and a type")
    if len(raw) > MAX_PLAYERS:
        raise where.fail(("players",), f"{len(raw)} players; a league has at most {MAX_PLAYERS}")
    players: list[PlayerEntry] = []
    resolved: dict[tuple[str, int], ResolvedPlayer | None] = {}
    seen: set[str] = set()
    for i, item in enumerate(raw):
        kp = ("players", i)
        _check_keys(where, kp, item, _PLAYER_KEYS, "a player")
        ptype = item.get("type")
        if not isinstance(ptype, str):
            raise where.fail(kp + ("type",), "required: a player type (run `tourney players`) or a dotted path")
        name = _clean_name(where, kp + ("name",), item.get("name", ptype))
        if name in seen:
            raise where.fail(kp + ("name",), f"duplicate player name '{name}'")
        seen.add(name)
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise where.fail(kp + ("params",), "must be a mapping of parameter: value")
        _check_param_keys(where, kp + ("params",), params)
        merged = None
        todo = []
        for w in worlds:
            known = _recorded_resolution(recorded, name, ptype, w) if recorded else False
            if known is not False:  # validated when the run started
                resolved[(name, w.index)] = known
                if known is not None:
                    merged = {**known.defaults, **params}
                continue
            todo.append(w)
        for index, r in _resolve_player(where, kp, ptype, params, todo, import_timeout):
            resolved[(name, index)] = r
            if r is not None:
                merged = {**r.defaults, **params}
        if merged is None:
            raise where.fail(kp + ("type",), f"player '{ptype}' cannot play any world of this league "
                             f"({', '.join(w.type for w in worlds)})")
        players.append(PlayerEntry(name, ptype, merged))
    return players, resolved


def _resolve_player(where: _Lines, kp: tuple, ptype: str, params: dict, worlds: list[WorldEntry],
                    import_timeout: float = Format.import_timeout) -> list[tuple[int, ResolvedPlayer | None]]:
    """``ptype`` resolved for each of ``worlds``, its params checked against each resolution.

    A dotted type is a player's own code: its module is imported (and its class
    maybe built) in a throwaway sandboxed process (``tourney.untrusted``), which
    sends back only its roles and preset params; the runner never imports it.
    That process gets ``format: {import_timeout}`` seconds, as a player host
    does. Registered short names are installed code, resolved here.
    """
    if not worlds:
        return []
    if not is_dotted(ptype):
        return _resolve_here(where, kp, ptype, params, worlds)

    def plain() -> list[tuple[int, tuple[str, ...] | None, dict[str, Any]]]:
        return [(i, None if r is None else tuple(r.roles), {} if r is None else dict(r.defaults))
                for i, r in _resolve_here(where, kp, ptype, params, worlds)]

    try:
        answers = untrusted.call(plain, import_timeout)
    except untrusted.SandboxFailed as exc:
        raise where.fail(kp + ("type",), f"importing '{ptype}' failed: {exc}") from None
    if not _plain_answers(answers, {w.index for w in worlds}):  # bytes the entry's own code wrote on the pipe
        raise where.fail(kp + ("type",), f"importing '{ptype}' failed: its process sent a malformed answer")
    return [(i, None if roles is None else ResolvedPlayer(ptype, object, tuple(roles), defaults))
            for i, roles, defaults in answers]


def _plain_answers(answers: Any, indices: set[int]) -> bool:
    """The shape ``_resolve_player``'s sandboxed child sends: (world index, roles or None, defaults)."""
    if type(answers) is not list:
        return False
    for answer in answers:
        if type(answer) is not tuple or len(answer) != 3:
            return False
        index, roles, defaults = answer
        if type(index) is not int or index not in indices or type(defaults) is not dict:
            return False
        if roles is not None and (type(roles) is not tuple or not all(type(r) is str for r in roles)):
            return False
        if not all(type(k) is str for k in defaults):
            return False
    return True


def _resolve_here(where: _Lines, kp: tuple, ptype: str, params: dict,
                  worlds: list[WorldEntry]) -> list[tuple[int, ResolvedPlayer | None]]:
    out: list[tuple[int, ResolvedPlayer | None]] = []
    for w in worlds:
        try:
            r = resolve_player(ptype, w.type)
        except RegistryError as exc:
            raise where.fail(kp + ("type",), str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - a module that fails on import is bad input
            raise where.fail(kp + ("type",), f"importing '{ptype}' failed: {_first_line(exc)}") from None
        if r is not None:
            _validate_player_params(where, kp, r, {**r.defaults, **params})
        out.append((w.index, r))
    return out


def _validate_player_params(where: _Lines, kp: tuple, r: ResolvedPlayer, params: dict) -> None:
    names, var_kw = signature_params(r.cls)
    constraints = getattr(r.cls, "param_constraints", None)
    # A class that declares its constraints is closed: its **kwargs only feed
    # its base class, so a key outside its signature is a typo.
    open_ended = var_kw and constraints is None
    constraints = constraints or {}
    try:
        validate_params(f"player '{r.type_name}'", params, constraints, names, open_ended)
        check = getattr(r.cls, "check_params", None)
        if callable(check):
            check(dict(params))
    except (ValueError, TypeError) as exc:
        key, _, msg = str(exc).partition(": ")
        raise where.fail(kp + ("params", key), msg or str(exc)) from None
    if var_kw and is_dotted(r.type_name):
        # A third-party class that swallows **kwargs: only building one tells
        # whether the params fit, and it is cheap for a negotiator.
        try:
            r.cls(**params)
        except Exception as exc:  # noqa: BLE001 - any failure here is bad input
            raise where.fail(kp + ("params",), f"'{r.type_name}' cannot be built with these params: "
                             f"{type(exc).__name__}: {exc}") from None

