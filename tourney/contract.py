"""The player contract: what a player class declares about itself.

Two class attributes, read the same whether the league names the class by a
short name or by its dotted path:

- ``plays``: world name -> the roles the class can take there (``"*"``: every
  seat the world offers it, for numbered seats such as SCML factories). A
  class without ``plays`` (a third-party negmas negotiator, a scml agent) is
  asked about by each world's ``roles_for_class``, from the interface it
  implements.
- ``keeps_state``: True when one object plays every episode of a match and
  keeps what it learnt between them; False (the default) when the world builds
  a fresh object per episode (negmas components keep state across negotiations
  that a reused negotiator cannot clear).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Protocol, runtime_checkable

from tourney.specs import EVERY_SEAT, KEEPS_STATE_ATTR, PLAYS_ATTR

if TYPE_CHECKING:
    from tourney.worlds.base import World


@runtime_checkable
class DeclaredPlayer(Protocol):
    """A player class that states its worlds, roles and episode state."""

    plays: ClassVar[Mapping[str, tuple[str, ...] | str]]
    keeps_state: ClassVar[bool]


def declared_plays(player_cls: type) -> Mapping[str, Any] | None:
    """The class's own ``plays`` mapping, or None if it declares none."""
    plays = getattr(player_cls, PLAYS_ATTR, None)
    return plays if isinstance(plays, Mapping) else None


def roles_in(player_cls: type, world_cls: type[World]) -> tuple[str, ...]:
    """The roles ``player_cls`` can take in ``world_cls`` (empty: it cannot play there)."""
    plays = declared_plays(player_cls)
    if plays is None:
        return tuple(world_cls.roles_for_class(player_cls))
    roles = plays.get(world_cls.name, ())
    if roles == EVERY_SEAT:
        return tuple(world_cls.roles_for_class(player_cls))
    return tuple(roles)


def keeps_state(player_cls: type) -> bool:
    """Whether one object of ``player_cls`` plays every episode of a match."""
    return bool(getattr(player_cls, KEEPS_STATE_ATTR, False))
