"""tourney: ANAC-style negotiation tournaments from the command line."""

__version__ = "0.1.0"

from tourney.errors import (  # noqa: E402
    LeagueError,
    PlayerFault,
    RegistryError,
    RegressionError,
    TourneyError,
    WorldError,
)

__all__ = [
    "__version__",
    "TourneyError",
    "LeagueError",
    "RegistryError",
    "WorldError",
    "RegressionError",
    "PlayerFault",
]
