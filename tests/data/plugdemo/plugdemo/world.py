"""Split the pie: the proposer keeps a share of 1, the responder takes the rest or both get 0."""

from __future__ import annotations

from typing import Mapping, Protocol

from tourney.worlds.base import MatchContext, MatchResult, Seat, World


class Proposer(Protocol):
    def split(self) -> float:
        """The share of the pie this player keeps, in [0, 1]."""


class Responder(Protocol):
    def take(self, share: float) -> bool:
        """Whether to accept ``share`` of the pie."""


class SplitWorld(World):
    """One ultimatum game per match."""

    name = "split"
    roles = ("proposer", "responder")
    metrics = ("utility", "accepted")
    default_metric = "utility"

    def __init__(self, pie: float = 1.0) -> None:
        self.pie = pie

    def play(self, seats: Mapping[str, Seat], seed: int, ctx: MatchContext) -> MatchResult:
        proposer = ctx.register(seats["proposer"].make(), "proposer")
        responder = ctx.register(seats["responder"].make(), "responder")
        keep = float(proposer.split())
        accepted = bool(responder.take(self.pie * (1.0 - keep)))
        gains = {"proposer": self.pie * keep, "responder": self.pie * (1.0 - keep)} if accepted else \
            {"proposer": 0.0, "responder": 0.0}
        return MatchResult(roles={r: {"utility": gains[r], "accepted": float(accepted)} for r in self.roles},
                           metrics={"accepted": float(accepted)})
