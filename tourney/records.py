"""``MatchRecord``: one finished match as the match log stores it (one JSON object a line).

The one type of a match's outcome from the worker that plays it to the log
that keeps it: the worker, the supervisor (a match it had to kill) and the
runner (a match that killed its workers) each start one with ``for_match``,
the store writes ``to_json`` and readers get ``from_json`` back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Mapping

from tourney.worlds.base import MatchResult

if TYPE_CHECKING:
    from tourney.schedule import Match

STATUSES = ("ok", "error", "timeout", "crashed")


@dataclass
class MatchRecord:
    """What happened in one match: where and with whom it was played, and its outcome.

    ``roles``/``metrics``/``details`` are the world's ``MatchResult`` (empty
    unless ``status == "ok"``); ``metric`` names the world's default metric,
    the score of a seat. A failed match names the player at fault in
    ``blamed`` (its role in ``blamed_role``) and keeps the traceback in
    ``error``; ``reason`` says what kind of failure it was when that matters
    to the run (``backend``: a model endpoint, with ``backend`` its endpoint
    and status; ``memory``; ``tampering``); ``output`` is what the players
    printed (cut, ``output_bytes`` the whole size). Keys a newer writer added
    are kept in ``extra`` so a record survives a read-write round trip
    unchanged.
    """

    id: str
    key: str
    world: str
    world_type: str
    world_index: int
    setting: dict[str, Any]
    assignment: dict[str, str]
    rep: int
    seed: int
    status: str = "ok"
    blamed: str | None = None
    blamed_role: str | None = None
    error: str | None = None
    metric: str | None = None
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    duration: float | None = None
    pid: int | None = None
    reason: str | None = None
    backend: dict[str, Any] | None = None
    output: str | None = None
    output_bytes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_match(cls, match: Match, status: str = "ok", **outcome: Any) -> "MatchRecord":
        """A record of ``match`` (where and with whom it was played) with ``outcome``'s fields."""
        return cls(id=match.id, key=match.key, world=match.world_label, world_type=match.world_type,
                   world_index=match.world_index, setting=dict(match.setting), assignment=dict(match.assignment),
                   rep=match.rep, seed=match.seed, status=status, **outcome)

    def blame(self, status: str, role: str | None, error: str, **outcome: Any) -> None:
        """Mark the match failed (``status``), at the fault of the player in ``role`` (None: nobody's)."""
        self.status, self.blamed_role, self.error = status, role, error
        self.blamed = self.assignment.get(role) if role else None
        for name, value in outcome.items():
            setattr(self, name, value)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def score(self, role: str) -> float | None:
        """The seat's score (its default metric), None if the match failed."""
        if not self.ok or self.metric is None:
            return None
        value = self.roles.get(role, {}).get(self.metric)
        return None if value is None else float(value)

    def result(self) -> MatchResult:
        """The world's result; ValueError for a match that did not finish."""
        if not self.ok:
            raise ValueError(f"match {self.id} ended with status {self.status}: {self.error or ''}".strip())
        return MatchResult(roles=self.roles, metrics=self.metrics, details=self.details)

    def to_json(self) -> dict[str, Any]:
        """The log's JSON object: a finished match has its result and metric, a failed one the role
        it blames; the optional fields only when set."""
        out: dict[str, Any] = dict(self.extra)
        for f in fields(self):
            if f.name == "extra" or f.name in (_IF_OK if not self.ok else _IF_FAILED):
                continue
            value = getattr(self, f.name)
            if value is None and f.name in _OPTIONAL:
                continue
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "MatchRecord":
        """Read a log record; ValueError naming the first missing key."""
        known = {f.name for f in fields(cls)} - {"extra"}
        missing = [k for k in _REQUIRED if k not in data]
        if missing:
            raise ValueError(f"match record lacks '{missing[0]}'")
        if data["status"] not in STATUSES:
            raise ValueError(f"match record {data['id']}: unknown status {data['status']!r}")
        kwargs = {k: v for k, v in data.items() if k in known}
        for key in ("roles", "metrics", "details", "setting", "assignment"):
            if kwargs.get(key) is None:
                kwargs[key] = {}
        return cls(**kwargs, extra={k: v for k, v in data.items() if k not in known})


_REQUIRED = ("id", "key", "world", "world_type", "world_index", "rep", "seed", "status")
_IF_OK = frozenset({"metric", "roles", "metrics", "details"})  # a failed match has no result
_IF_FAILED = frozenset({"blamed_role"})
_OPTIONAL = frozenset({"reason", "backend", "output", "output_bytes"})  # absent unless set
