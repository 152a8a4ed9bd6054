"""What a plug-in registers, as plain data (a leaf module: imports nothing of tourney).

A package adds worlds, players, trainers and reproductions through entry
points, one per short name::

    [options.entry_points]
    tourney.worlds =
        myworld = mypkg.world:MyWorld
    tourney.players =
        myplayer = mypkg.player:MyPlayer
        myplayer-fast = mypkg.catalog:fast      # a PlayerSpec: class + preset params
    tourney.trainers =
        myplayer = mypkg.train:command          # a click command: `tourney train myplayer`
    tourney.reproductions =
        mypaper = mypkg.reproduce:reproduce     # (run_dir: Path) -> Markdown

A player or world entry point names either the class itself or a spec below
(which names the class by ``"module:Class"``, so listing the catalog imports no
heavy dependency). The in-tree families are registered exactly this way in
tourney's own ``setup.cfg``.

What a player plays and whether it keeps state are declared on its class
(``PLAYS_ATTR`` and ``KEEPS_STATE_ATTR``, see ``tourney.contract``), never in a
spec, so a short name and the class's dotted path behave the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

# Entry-point groups.
WORLDS_GROUP = "tourney.worlds"
PLAYERS_GROUP = "tourney.players"
TRAINERS_GROUP = "tourney.trainers"
REPRODUCTIONS_GROUP = "tourney.reproductions"

# The class attributes of the player contract (see tourney.contract).
PLAYS_ATTR = "plays"
KEEPS_STATE_ATTR = "keeps_state"
# In ``plays``: every seat the world offers this class (its ``roles_for_class``),
# for worlds whose seats are numbered (SCML OneShot factories).
EVERY_SEAT = "*"


@dataclass(frozen=True)
class PlayerSpec:
    """A player short name: the class it builds and the params it presets.

    ``target`` is ``"module:Class"``, or a mapping from a world name to
    ``"module:Class"`` for a family with one class per world (key ``"*"``: any
    world not listed). ``defaults`` are params the short name presets
    (``boulware`` is the time-dependent tactic with a small beta); ``extra``
    the pip extra its dependencies come with, for the hint when it does not
    import.
    """

    target: str | Mapping[str, str]
    doc: str = ""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    extra: str = ""

    @property
    def targets(self) -> Mapping[str, str]:
        return {"*": self.target} if isinstance(self.target, str) else self.target

    def target_for(self, world: str) -> str | None:
        targets = self.targets
        return targets.get(world, targets.get("*"))


@dataclass(frozen=True)
class WorldSpec:
    """A world short name: ``"module:Class"`` and a one-line description."""

    target: str
    doc: str = ""
    extra: str = ""
