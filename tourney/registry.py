"""Short names -> classes, imported lazily; any importable class by dotted path.

Built-in players are listed in ``players/catalog.py`` and worlds in
``tourney/worlds/catalog.py`` as small specs holding ``"module:Class"`` strings,
so ``tourney players`` lists them without importing torch, scml or a language
model.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

from tourney.errors import RegistryError
from tourney.params import did_you_mean


@dataclass(frozen=True)
class PlayerSpec:
    """A built-in player: its short name, where its class lives, what it plays.

    ``targets`` maps a world type to ``"module:Class"``; the key ``"*"`` is the
    class used for any world not listed. ``roles`` maps a world type to the roles
    the player can take there. ``defaults`` are params the short name presets
    (``boulware`` is the time-dependent tactic with a small beta).
    """

    name: str
    targets: Mapping[str, str]
    roles: Mapping[str, tuple[str, ...]]
    doc: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    extra: str = ""  # the pip extra its dependencies come with, if any

    def target_for(self, world: str) -> str | None:
        return self.targets.get(world, self.targets.get("*"))


@dataclass(frozen=True)
class WorldSpec:
    """A built-in world: short name, ``"module:Class"``, one-line doc."""

    name: str
    target: str
    doc: str
    extra: str = ""


def import_object(path: str) -> Any:
    """Import ``pkg.mod:Name`` or ``pkg.mod.Name``; raise RegistryError if it fails."""
    if ":" in path:
        module_name, _, attr = path.partition(":")
    else:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise RegistryError(f"'{path}' is not a dotted path to a class (like 'package.module.Class')")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RegistryError(f"cannot import '{module_name}' for '{path}': {exc}") from None
    obj = module
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
def player_specs() -> dict[str, PlayerSpec]:
    from players.catalog import PLAYERS

    return {spec.name: spec for spec in PLAYERS}


@lru_cache(maxsize=None)
def world_specs() -> dict[str, WorldSpec]:
    from tourney.worlds.catalog import WORLDS

    return {spec.name: spec for spec in WORLDS}


def is_dotted(type_name: str) -> bool:
    return "." in type_name or ":" in type_name


@lru_cache(maxsize=None)
def world_class(type_name: str) -> type:
    """The World class for a short name or dotted path."""
    specs = world_specs()
    if type_name in specs:
        return import_object(specs[type_name].target)
    if is_dotted(type_name):
        return import_object(type_name)
    raise RegistryError(
        f"unknown world '{type_name}'{did_you_mean(type_name, specs)}; "
        f"known worlds: {', '.join(sorted(specs))}"
    )


@dataclass(frozen=True)
class ResolvedPlayer:
    """A league player's type resolved for one world: its class and roles there."""

    type_name: str
    cls: type
    roles: tuple[str, ...]
    defaults: Mapping[str, Any]


def resolve_player(type_name: str, world_type: str) -> ResolvedPlayer | None:
    """Resolve ``type_name`` for ``world_type``; None if it cannot play that world.

    Raises RegistryError for an unknown short name or a dotted path that does
    not import.
    """
    specs = player_specs()
    world_cls = world_class(world_type)
    world_name = getattr(world_cls, "name", world_type)
    if type_name in specs:
        spec = specs[type_name]
        roles = tuple(spec.roles.get(world_name, ()))
        target = spec.target_for(world_name)
        if not roles or target is None:
            return None
        cls = _import_player(target, type_name, spec.extra)
        return ResolvedPlayer(type_name, cls, roles, dict(spec.defaults))
    if not is_dotted(type_name):
        raise RegistryError(
            f"unknown player '{type_name}'{did_you_mean(type_name, specs)}; "
            "run `tourney players` for the list, or give a dotted path to a class"
        )
    cls = import_object(type_name)
    if not isinstance(cls, type):
        raise RegistryError(f"'{type_name}' is not a class")
    roles = tuple(world_cls.roles_for_class(cls))
    if not roles:
        return None
    return ResolvedPlayer(type_name, cls, roles, {})


def _import_player(target: str, type_name: str, extra: str) -> type:
    try:
        return import_object(target)
    except RegistryError as exc:
        hint = f" (install it with: pip install -e '.[{extra}]')" if extra else ""
        raise RegistryError(f"player '{type_name}': {exc}{hint}") from None
