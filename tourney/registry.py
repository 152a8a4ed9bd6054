"""Short names -> classes, found through entry points; any importable class by dotted path.

Worlds, players, trainers and reproductions are registered as entry points
(groups in ``tourney.specs``); tourney's own families are registered in its
``setup.cfg`` exactly as a third-party package registers its own. Looking a
name up loads only that entry point; a player or world entry point may name a
``PlayerSpec``/``WorldSpec`` (a ``"module:Class"`` string), so ``tourney
players`` lists the catalog without importing torch, scml or a language model.
"""

from __future__ import annotations

import configparser
import importlib
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Mapping

from tourney import sandbox
from tourney.contract import roles_in
from tourney.errors import RegistryError
from tourney.params import did_you_mean
from tourney.specs import PLAYERS_GROUP, REPRODUCTIONS_GROUP, TRAINERS_GROUP, WORLDS_GROUP, PlayerSpec, WorldSpec
from tourney.worlds.base import World


def import_object(path: str) -> Any:
    """Import ``pkg.mod:Name`` or ``pkg.mod.Name``; raise RegistryError if it fails."""
    if ":" in path:
        module_name, _, attr = path.partition(":")
    else:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise RegistryError(f"'{path}' is not a dotted path to a class (like 'package.module.Class')")
    try:
        if module_name.endswith(".py"):  # path/to/agent.py:Class (see tourney.imports)
            from tourney.imports import import_file

            module = import_file(module_name)  # found relative to the working folder: imported in it
        else:
            with sandbox.imports_write_aside():
                module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RegistryError(f"cannot import '{module_name}' for '{path}': {exc}") from None
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            names = [n for n in dir(module) if not n.startswith("_")]
            raise RegistryError(
                f"module '{module_name}' has no '{part}'{did_you_mean(part, names)}"
            ) from None
    return obj


@lru_cache(maxsize=None)
def registered(group: str) -> dict[str, EntryPoint]:
    """The entry points of ``group`` by name (the first registration of a name wins).

    When tourney itself is imported from a source checkout (its ``setup.cfg``
    beside the package, as on a developer's PYTHONPATH), that file's entry
    points stand for the installed tourney's: an editable install's metadata
    is a copy taken at install time and goes stale when setup.cfg changes.
    """
    found: dict[str, EntryPoint] = {}
    checkout = _checkout_entry_points()
    for ep in checkout.get(group, []):
        found.setdefault(ep.name, ep)
    for ep in entry_points(group=group):
        if checkout and _dist_name(ep).lower() == "tourney":
            continue
        found.setdefault(ep.name, ep)
    return found


@lru_cache(maxsize=None)
def _checkout_entry_points() -> dict[str, list[EntryPoint]]:
    setup_cfg = Path(__file__).resolve().parent.parent / "setup.cfg"
    if not setup_cfg.is_file():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep case
    try:
        parser.read(setup_cfg)
    except configparser.Error:
        return {}
    if parser.get("metadata", "name", fallback="") != "tourney" or not parser.has_section("options.entry_points"):
        return {}
    groups: dict[str, list[EntryPoint]] = {}
    for group, text in parser.items("options.entry_points"):
        for line in text.splitlines():
            name, sep, value = line.partition("=")
            if sep:
                groups.setdefault(group, []).append(EntryPoint(name.strip(), value.strip(), group))
    return groups


def _extra(ep: EntryPoint) -> str:
    return ",".join(ep.extras)


def _target(ep: EntryPoint) -> str:
    return ep.value.split("[", 1)[0].strip()


def _load(ep: EntryPoint, what: str) -> Any:
    try:
        return import_object(_target(ep))
    except RegistryError as exc:
        raise RegistryError(f"{what} '{ep.name}' (registered by {_dist_name(ep)}): {exc}") from None


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or "an installed package"


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0].strip()


def _player_spec(ep: EntryPoint) -> PlayerSpec:
    obj = _load(ep, "player")
    if isinstance(obj, PlayerSpec):
        return obj
    if isinstance(obj, type):
        return PlayerSpec(_target(ep), _first_line(obj.__doc__), {}, _extra(ep))
    raise RegistryError(f"player '{ep.name}' ({ep.value}) is neither a class nor a PlayerSpec")


def _world_spec(ep: EntryPoint) -> WorldSpec:
    obj = _load(ep, "world")
    if isinstance(obj, WorldSpec):
        return obj
    if isinstance(obj, type):
        return WorldSpec(_target(ep), _first_line(obj.__doc__), _extra(ep))
    raise RegistryError(f"world '{ep.name}' ({ep.value}) is neither a World class nor a WorldSpec")


@lru_cache(maxsize=None)
def player_spec(name: str) -> PlayerSpec | None:
    ep = registered(PLAYERS_GROUP).get(name)
    return None if ep is None else _player_spec(ep)


@lru_cache(maxsize=None)
def world_spec(name: str) -> WorldSpec | None:
    ep = registered(WORLDS_GROUP).get(name)
    return None if ep is None else _world_spec(ep)


def player_names() -> list[str]:
    return list(registered(PLAYERS_GROUP))


def world_names() -> list[str]:
    return list(registered(WORLDS_GROUP))


def player_specs() -> dict[str, PlayerSpec]:
    """Every registered player (loads each entry point: only specs and light modules)."""
    return {name: spec for name in player_names() if (spec := player_spec(name)) is not None}


def world_specs() -> dict[str, WorldSpec]:
    return {name: spec for name in world_names() if (spec := world_spec(name)) is not None}


def is_dotted(type_name: str) -> bool:
    return "." in type_name or ":" in type_name


def _nothing_registered(group: str) -> str:
    return (f"; no {group} entry points are installed at all: install tourney "
            "(pip install -e .) so its own families are registered") if not registered(group) else ""


@lru_cache(maxsize=None)
def world_class(type_name: str) -> type[World]:
    """The World class for a short name or dotted path."""
    spec = world_spec(type_name)
    if spec is not None:
        cls = _import_class(spec.target, f"world '{type_name}'", spec.extra)
    elif is_dotted(type_name):
        cls = import_object(type_name)
    else:
        names = world_names()
        raise RegistryError(
            f"unknown world '{type_name}'{did_you_mean(type_name, names)}; "
            f"known worlds: {', '.join(sorted(names))}{_nothing_registered(WORLDS_GROUP)}"
        )
    if not (isinstance(cls, type) and issubclass(cls, World)):
        raise RegistryError(f"world '{type_name}' is not a tourney World class")
    return cls


@dataclass(frozen=True)
class ResolvedPlayer:
    """A league player's type resolved for one world: its class and roles there."""

    type_name: str
    cls: type
    roles: tuple[str, ...]
    defaults: Mapping[str, Any]


def resolve_player(type_name: str, world_type: str) -> ResolvedPlayer | None:
    """Resolve ``type_name`` for ``world_type``; None if it cannot play that world.

    The roles come from the class (``tourney.contract.roles_in``) whether the
    name is short or dotted. Raises RegistryError for an unknown short name or
    a dotted path that does not import.
    """
    world_cls = world_class(world_type)
    world_name = world_cls.name or world_type
    spec = player_spec(type_name)
    if spec is not None:
        target = spec.target_for(world_name)
        if target is None:
            return None
        cls = _import_class(target, f"player '{type_name}'", spec.extra)
        defaults: Mapping[str, Any] = dict(spec.defaults)
    elif is_dotted(type_name):
        cls = import_object(type_name)
        if not isinstance(cls, type):
            raise RegistryError(f"'{type_name}' is not a class")
        defaults = {}
    else:
        names = player_names()
        raise RegistryError(
            f"unknown player '{type_name}'{did_you_mean(type_name, names)}; "
            "run `tourney players` for the list, or give a dotted path to a class"
            f"{_nothing_registered(PLAYERS_GROUP)}"
        )
    roles = roles_in(cls, world_cls)
    if not roles:
        return None
    return ResolvedPlayer(type_name, cls, roles, defaults)


def _import_class(target: str, what: str, extra: str) -> Any:
    try:
        return import_object(target)
    except RegistryError as exc:
        hint = f" (install it with: pip install -e '.[{extra}]')" if extra else ""
        raise RegistryError(f"{what}: {exc}{hint}") from None


def trainer_names() -> list[str]:
    return sorted(registered(TRAINERS_GROUP))


def trainer(name: str) -> Any | None:
    """The click command registered as trainer ``name`` (None if there is none)."""
    ep = registered(TRAINERS_GROUP).get(name)
    return None if ep is None else _load(ep, "trainer")


def reproduction_names() -> list[str]:
    return sorted(registered(REPRODUCTIONS_GROUP))


def reproduction(name: str) -> Any:
    """The function registered as reproduction ``name``: (run_dir) -> Markdown."""
    ep = registered(REPRODUCTIONS_GROUP).get(name)
    if ep is None:
        names = reproduction_names()
        raise RegistryError(f"unknown reproduction '{name}'{did_you_mean(name, names)}; "
                            f"known: {', '.join(names) or 'none'}")
    return _load(ep, "reproduction")
