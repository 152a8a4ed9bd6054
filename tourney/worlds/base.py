"""The contract every world keeps.

A world plays one match: a given assignment of players to roles (``seats``),
one setting (its params), one seed. It owns the protocol, the per-role score
and the world's metrics. The runner builds a fresh world per match from its
params (stored unchanged, as in scikit-learn), calls ``play`` and writes the
returned ``MatchResult`` to the match log.

Blame: a player that raises inside its own methods is found from the
traceback (the innermost frame whose ``self`` is an object the world passed to
``ctx.register``); a world that detects a protocol breach raises
``tourney.errors.PlayerFault(role, message)``.
"""

from __future__ import annotations

import itertools
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

from tourney import acting
from tourney.params import signature_params, validate_params


@dataclass(frozen=True)
class Seat:
    """A player in a role for one match.

    ``make(**extra)`` builds a fresh player object: ``cls(**params, **extra)``,
    where ``params`` are the league params over the short name's defaults and
    ``extra`` what the world adds (a negmas ``name``, say).
    """

    role: str
    player: str  # the league's name for the player
    type_name: str
    cls: type
    params: Mapping[str, Any] = field(default_factory=dict)

    def make(self, **extra: Any) -> Any:
        names, var_kw = signature_params(self.cls)
        kwargs = dict(self.params)
        for key, value in extra.items():
            # Extras go only where the class names them; ``name`` also through
            # **kwargs, which every negmas negotiator forwards to its base.
            if key in names or (key == "name" and var_kw):
                kwargs.setdefault(key, value)
        with acting.playing(self.role):  # the constructor is the player's code
            return self.cls(**kwargs)


@dataclass
class MatchResult:
    """What a world returns for one match.

    ``roles[role]`` holds the per-role numbers (the world's ``metrics`` names,
    ``default_metric`` among them: the score of that seat; None where a metric
    is undefined, such as a mean price without sales; ``<metric>_samples`` a
    list of per-world samples, see ``tourney.scoring``). ``metrics`` holds
    match-level numbers, ``details`` compact JSON-serialisable extras (per
    episode summaries, learning curves, traces when asked for).
    """

    roles: dict[str, dict[str, Any]]
    metrics: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


class MatchContext:
    """What the runner lends a world for one match."""

    def __init__(self, seed: int, deadline: float | None = None, trace: bool = False) -> None:
        self.seed = seed
        self.deadline = deadline  # time.monotonic() value the match must end by
        self.trace = trace  # keep full negotiation traces in details
        self._owners: dict[int, str] = {}
        self._objects: list[Any] = []  # keep registered objects alive so ids stay unique

    def register(self, obj: Any, role: str) -> Any:
        """Mark ``obj`` as acting for ``role`` (for blame); returns ``obj``.

        Its method calls are guarded from now on (``tourney.acting.guard``): each
        marks ``role`` as acting, so a crash or a hang inside it is blamed on
        that seat even when the process dies with it.
        """
        self._owners[id(obj)] = role
        self._objects.append(obj)
        return acting.guard(obj, role)

    def owner_of(self, obj: Any) -> str | None:
        return self._owners.get(id(obj))

    def time_left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()


class World(ABC):
    """Base class of worlds. Subclasses define ``__init__`` with keyword params
    (with defaults, stored unchanged), and ``play``."""

    name: ClassVar[str] = ""
    roles: ClassVar[tuple[str, ...]] = ()
    metrics: ClassVar[tuple[str, ...]] = ("utility",)
    default_metric: ClassVar[str] = "utility"
    param_constraints: ClassVar[dict[str, list[Any]]] = {}

    @classmethod
    def validate(cls, params: Mapping[str, Any]) -> None:
        """Raise ValueError naming the key of the first bad param.

        Checks keys against ``__init__`` and values against
        ``param_constraints``; subclasses add cross-parameter checks in
        ``check_params``.
        """
        names, var_kw = signature_params(cls)
        validate_params(f"world '{cls.name}'", params, cls.param_constraints, names, var_kw)
        cls.check_params(dict(params))

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        """Cross-parameter checks; raise ValueError('key: message')."""

    @classmethod
    def roles_for_class(cls, player_cls: type) -> tuple[str, ...]:
        """Roles a class entered by dotted path can take here (none by default)."""
        return ()

    @classmethod
    def assignments(
        cls,
        players: list[str],
        can_play: Callable[[str, str], bool],
        self_play: bool,
        both_roles: bool,
    ) -> list[dict[str, str]]:
        """Every assignment of league players to this world's roles.

        The default: each ordered tuple of players over ``roles`` (all role
        orders when ``both_roles``; one order per set of players otherwise),
        without repeats unless ``self_play``. Worlds with another structure
        (every competitor in one SCML world) override this.
        """
        n = len(cls.roles)
        combos = (
            itertools.product(players, repeat=n)
            if self_play
            else itertools.permutations(players, n)
        )
        seen: set[tuple[str, ...]] = set()
        out = []
        for combo in combos:
            if not all(can_play(p, r) for p, r in zip(combo, cls.roles)):
                continue
            if not both_roles:
                key = tuple(sorted(combo))
                if key in seen:
                    continue
                seen.add(key)
            out.append(dict(zip(cls.roles, combo)))
        return out

    def get_params(self) -> dict[str, Any]:
        names, _ = signature_params(type(self))
        return {n: getattr(self, n) for n in names if hasattr(self, n)}

    @abstractmethod
    def play(self, seats: Mapping[str, Seat], seed: int, ctx: MatchContext) -> MatchResult:
        """Play one match and return its result."""
