"""The contracts: what a player class declares about itself, what a world's result must hold.

The player contract.

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

import math
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping, Protocol, runtime_checkable

from tourney.errors import WorldError

from tourney.specs import EVERY_SEAT, KEEPS_STATE_ATTR, PLAYS_ATTR

if TYPE_CHECKING:
    from tourney.worlds.base import MatchResult, World


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
    if isinstance(roles, str):  # one role written without the tuple
        return (roles,)
    return tuple(roles)


def keeps_state(player_cls: type) -> bool:
    """Whether one object of ``player_cls`` plays every episode of a match."""
    return bool(getattr(player_cls, KEEPS_STATE_ATTR, False))


def check_result(world: World, result: MatchResult, roles: Iterable[str]) -> None:
    """Raise WorldError unless ``result`` keeps the world's declared metrics contract.

    Every seated role has a result holding only declared metrics, the default
    metric among them as a finite number (it is the seat's score: a missing
    or misspelt one would silently score nothing).
    """
    from tourney.worlds.base import MatchResult

    name = type(world).name or type(world).__name__
    if not isinstance(result, MatchResult):
        raise WorldError(f"world '{name}' returned {type(result).__name__}, not a MatchResult")
    seated = set(roles)
    if set(result.roles) != seated:
        raise WorldError(f"world '{name}' returned results for roles {sorted(result.roles)}, "
                         f"but the seated roles are {sorted(seated)}")
    # ``<metric>_samples``: the per-world samples a score aggregates (tourney.scoring)
    declared = set(type(world).metrics) | {f"{m}_samples" for m in type(world).metrics}
    metric = type(world).default_metric
    for role, numbers in result.roles.items():
        unknown = sorted(set(numbers) - declared)
        if unknown:
            raise WorldError(f"world '{name}': role '{role}' has metric(s) {', '.join(unknown)} "
                             f"not among its declared metrics ({', '.join(type(world).metrics)})")
        value = numbers.get(metric)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise WorldError(f"world '{name}': role '{role}' has no finite default metric '{metric}' "
                             f"(got {value!r})")
