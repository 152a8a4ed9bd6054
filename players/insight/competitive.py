"""The future-work sellers of INSIGHT section 7, which react to a rival seller.

- Tit-for-Tat: "will offer slightly below their opponent's previous offer
  every turn": ``rival_last - undercut``.
- Copycat: "will remember their opponent's bidding strategy and mimic it one
  step in advance for the next round": it keeps the rival's offers of the
  previous buyer and, at turn n, offers what the rival offered at turn n + 1
  (the rival's last offer once that sequence runs out).
- Competitive: "notes its opponent's previous bid and increment of decrease
  and mimics it but increases its decrease increment by one":
  ``rival_last - (rival_prev - rival_last + 1)`` (with one rival offer seen
  the increment is taken as 0).
- Reactive: Competitive, but "drops its price to a non-profit-making price
  should its opponent decrease its bid by more than 5 in one turn": the
  bottom of the range (the least profitable price a seller may offer).

Silent in the paper, chosen here: with no rival offer to react to (the first
turn, the one-seller game, the bilateral world, or Copycat's first buyer)
they all play the arithmetic descent with its default step. Their reactions
may repeat or raise a refused price unless ``never_raise`` is set (see
``players.insight.base``).
"""

from __future__ import annotations

from typing import Any

from players.insight.base import SELLER_CONSTRAINTS, InsightSeller
from tourney.params import Interval
from tourney.worlds.bidding import arithmetic_offer, default_descent


class _RivalAware(InsightSeller):
    param_constraints = SELLER_CONSTRAINTS

    def fallback(self) -> int:
        return arithmetic_offer(self.n_offers_, self.my_last_, self.high_,
                                default_descent(self.high_, self.low_), self.low_)


class TitForTat(_RivalAware):
    """Offers slightly below the rival's previous offer."""

    param_constraints = {**SELLER_CONSTRAINTS, "undercut": [Interval(int, 0, None)]}

    def __init__(self, undercut: int = 1, levels: int = 20, seed: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(levels=levels, seed=seed, name=name, **kwargs)
        self.undercut = undercut

    def choose(self, rival_last: int | None) -> int:
        return self.fallback() if rival_last is None else rival_last - self.undercut


class Copycat(_RivalAware):
    """Replays the rival's previous-buyer offers one turn ahead."""

    def on_begin_match(self, episodes: int) -> None:
        self.previous_rival_: list[int] = []

    def learn(self, rival_offer: int | None, profit: float, done: bool) -> None:
        if done and self.rival_offers_:
            self.previous_rival_ = list(self.rival_offers_)

    def choose(self, rival_last: int | None) -> int:
        seen = self.previous_rival_
        if not seen:
            return self.fallback()
        return seen[min(self.n_offers_ + 1, len(seen) - 1)]


class Competitive(_RivalAware):
    """Copies the rival's last decrement plus one, from the rival's last bid."""

    def rival_decrement(self) -> int:
        seen = self.rival_offers_
        return seen[-2] - seen[-1] if len(seen) >= 2 else 0

    def choose(self, rival_last: int | None) -> int:
        if rival_last is None:
            return self.fallback()
        return rival_last - (self.rival_decrement() + 1)


class Reactive(Competitive):
    """Competitive, but drops to the floor when the rival cuts by more than ``threshold``."""

    param_constraints = {**SELLER_CONSTRAINTS, "threshold": [Interval(int, 0, None)]}

    def __init__(self, threshold: int = 5, levels: int = 20, seed: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(levels=levels, seed=seed, name=name, **kwargs)
        self.threshold = threshold

    def choose(self, rival_last: int | None) -> int:
        if rival_last is not None and self.rival_decrement() > self.threshold:
            return self.low_
        return super().choose(rival_last)
