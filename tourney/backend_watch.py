"""Stops a run when a model endpoint is down: N matches in a row lost to backend faults.

A dead endpoint (closed port, wrong key, quota) fails every match of the
players that use it; playing on would only fill the log with ``error``
records. ``run: {max_backend_faults: N}`` (default 3) in the league sets N.
The records stay in the log, so after the endpoint is fixed
``tourney run --retry-failed`` plays those matches again.
"""

from __future__ import annotations

from tourney.errors import BackendStop
from tourney.records import MatchRecord


class BackendWatch:
    """Counts consecutive ``reason: backend`` records; raises BackendStop at ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.streak = 0

    def see(self, record: MatchRecord) -> None:
        if record.reason != "backend":
            self.streak = 0
            return
        self.streak += 1
        if self.streak >= self.limit:
            backend = record.backend or {}
            raise BackendStop(
                f"stopped after {self.streak} matches in a row lost to a model backend: "
                f"{backend.get('endpoint', '?')} gave {backend.get('status', '?')}; fix the endpoint "
                "(or its key), then rerun with --retry-failed to play those matches again")
