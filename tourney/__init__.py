"""tourney: ANAC-style negotiation tournaments from the command line."""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from tourney.errors import (  # noqa: E402
    LeagueError,
    PlayerFault,
    RegistryError,
    RegressionError,
    TourneyError,
    WorldError,
)

if TYPE_CHECKING:
    from tourney.match import iter_results, play_match


def __getattr__(name: str) -> Any:
    # play_match and iter_results import the world and worker machinery on first use,
    # so `import tourney` (the CLI's start) stays light.
    if name in ("play_match", "iter_results"):
        from tourney import match

        return getattr(match, name)
    raise AttributeError(f"module 'tourney' has no attribute '{name}'")


__all__ = [
    "play_match",
    "iter_results",
    "__version__",
    "TourneyError",
    "LeagueError",
    "RegistryError",
    "WorldError",
    "RegressionError",
    "PlayerFault",
]
