"""The INSIGHT heuristic sellers (section 3.2 of the paper).

- Random: the first offer uniform on the price range (section 5.1.1), then
  uniform between the floor and one below its previous bid ("it will always
  bid lower than its previous bid"); it stays at the floor once there.
- Descent-by-One: starts at the top of the range, then one less every turn.
- Descent-Arithmetic: ``offer_0 = initial``,
  ``offer_n = offer_{n-1} - (descent - (n - 1))``, floored at the bottom of the
  range. Silent in the paper, chosen here: the step never falls below 1 (the
  seller keeps descending by one once the arithmetic steps run out);
  ``initial`` defaults to the top of the range and ``descent`` to the smallest
  ``d`` whose steps ``d + (d - 1) + ... + 1`` cover the range from ``initial``
  to the floor, which for 11-30 gives the paper's example
  ``[30, 24, 19, 15, 12, 11]``.

In the bilateral world prices are levels ``0..levels`` of the seller's range
(see ``players.insight.base``), so ``initial`` and ``descent`` are in levels.
"""

from __future__ import annotations

from typing import Any

from players.insight.base import SELLER_CONSTRAINTS, InsightSeller
from tourney.params import NONE, Interval
# The paper's arithmetic descent is defined once, beside the bidding game's exact profits.
from tourney.worlds.bidding import arithmetic_offer, default_descent


class RandomSeller(InsightSeller):
    """Bids at random between its previous bid and the floor."""

    param_constraints = SELLER_CONSTRAINTS

    def choose(self, rival_last: int | None) -> int:
        top = self.high_ if self.my_last_ is None else self.my_last_ - 1
        if top <= self.low_:
            return self.low_
        return self.rng_.randint(self.low_, top)


class DescentByOne(InsightSeller):
    """Starts at the top of the range and offers one less every turn."""

    param_constraints = SELLER_CONSTRAINTS

    def choose(self, rival_last: int | None) -> int:
        return self.high_ if self.my_last_ is None else self.my_last_ - 1


class DescentArithmetic(InsightSeller):
    """Offers decreasing with a diminishing step: initial, initial - d, ... - (d - 1), ..."""

    param_constraints = {
        **SELLER_CONSTRAINTS,
        "initial": [NONE, Interval(int)],
        "descent": [NONE, Interval(int, 1, None)],
    }

    def __init__(self, initial: int | None = None, descent: int | None = None, levels: int = 20,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(levels=levels, seed=seed, name=name, **kwargs)
        self.initial = initial
        self.descent = descent

    def on_begin_match(self, episodes: int) -> None:
        start = self.high_ if self.initial is None else min(max(self.initial, self.low_), self.high_)
        self.start_ = start
        self.step_ = default_descent(start, self.low_) if self.descent is None else self.descent

    def choose(self, rival_last: int | None) -> int:
        return arithmetic_offer(self.n_offers_, self.my_last_, self.start_, self.step_, self.low_)
