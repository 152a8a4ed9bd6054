"""Worlds: each module plays one kind of match (protocol, scores, metrics)."""

from tourney.worlds.base import MatchContext, MatchResult, Seat, World

__all__ = ["World", "Seat", "MatchResult", "MatchContext"]
