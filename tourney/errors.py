"""One error hierarchy; the class carries the exit code (as click's exceptions do).

The CLI turns any ``TourneyError`` into a one-line ``Error: ...`` on stderr and
exits with ``exit_code``: 2 for bad input, 1 for a regression or too many failed
matches.
"""

from __future__ import annotations


class TourneyError(Exception):
    """Base of every error tourney reports to a user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class LeagueError(TourneyError):
    """A league file is malformed: wrong key, wrong value, missing file."""

    exit_code = 2


class RunDirError(TourneyError):
    """A directory given as a run directory is not one (no league copy), or is locked by another run."""

    exit_code = 2


class StorageError(TourneyError):
    """The disk refused a write (full, read-only, permissions): the message names the path."""

    exit_code = 1


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM, so a run unwinds as on Ctrl-C (log closed, manifest marked)."""


class RegistryError(TourneyError):
    """An unknown player or world type, or a dotted path that does not import."""

    exit_code = 2


class WorldError(TourneyError):
    """A world was configured with parameters it cannot play."""

    exit_code = 2


class RegressionError(TourneyError):
    """Scores drifted from a baseline, or too many matches failed."""

    exit_code = 1


class PlayerFault(Exception):
    """Raised by a world when a player breaks the protocol.

    ``role`` names the seat at fault so the runner can blame the right player;
    the match is recorded with status ``error`` and the tournament goes on.
    """

    def __init__(self, role: str, message: str) -> None:
        super().__init__(f"{role}: {message}")
        self.role = role
        self.message = message


class MatchTimeout(BaseException):
    """Raised inside a match when its wall-time limit passes.

    A BaseException, like KeyboardInterrupt, so that the ``except Exception``
    blocks of players and libraries cannot swallow it.
    """

    acting: int = 0  # the acting seat (1-based) when the alarm fired; 0: none
    role: str | None = None  # the seat whose code a timed-out thread was stuck in


class BackendFault(BaseException):
    """A player's model backend failed: unreachable, timed out, an HTTP error status, or only
    empty completions, after the player's bounded retries.

    Not the player's play and never its opponent's fault: the worker records the
    match as ``error`` with ``reason: backend``, charged to the seat whose
    backend failed (``error_score``; the opponent's score is not counted), and
    the runner stops after ``run: {max_backend_faults}`` in a row. Charging the
    seat, not voiding the match, is what keeps a player from raising this
    itself to escape a losing score.
    ``endpoint`` (no credentials, no query) and ``status`` (``HTTP 401``,
    ``connection refused``, ...) are all it carries: never a byte of what the
    server answered, which may echo the request and its key.

    A BaseException, like MatchTimeout, so that an ``except Exception`` in the
    player or in negmas cannot swallow it or call the model again.
    """

    def __init__(self, endpoint: str, status: str) -> None:
        super().__init__(f"model backend {endpoint}: {status}")
        self.endpoint = endpoint
        self.status = status


class BackendStop(TourneyError):
    """Too many matches in a row lost to a model backend: the run stops (exit 2), resumable."""

    exit_code = 2
