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


def default_descent(initial: int, low: int) -> int:
    """Smallest d with d (d + 1) / 2 >= initial - low (the steps reach the floor)."""
    d = 1
    while d * (d + 1) // 2 < initial - low:
        d += 1
    return d


def arithmetic_offer(n: int, last: int | None, initial: int, descent: int, low: int) -> int:
    """The n-th (0-based) offer of the arithmetic descent, given the previous one."""
    if n == 0 or last is None:
        return initial
    return max(low, last - max(descent - (n - 1), 1))


def arithmetic_sequence(initial: int, descent: int | None, low: int, turns: int) -> list[int]:
    """The first ``turns`` offers of the arithmetic descent (``descent`` None: the default)."""
    step = default_descent(initial, low) if descent is None else descent
    offers: list[int] = []
    for n in range(turns):
        offers.append(arithmetic_offer(n, offers[-1] if offers else None, initial, step, low))
    return offers


def best_arithmetic(low: int, high: int, unit_cost: float, impatience: float, impatience_step: float,
                    max_turns: int, initial: int | None = None) -> tuple[int, int, float]:
    """The (initial, descent) with the highest exact expected profit per buyer in the
    one-seller game, and that profit; ``initial`` given: the best descent from it.

    A rule that looks only at the setting (range, cost, impatience), never at an
    opponent: how the INSIGHT leagues fix the heuristic's silent parameters.
    Ties go to the higher start, then the larger descent.
    """
    from tourney.worlds.bidding import sequence_profit

    best: tuple[float, int, int] | None = None
    for start in ([initial] if initial is not None else range(low, high + 1)):
        for descent in range(1, high - low + 1):
            offers = arithmetic_sequence(start, descent, low, max_turns)
            value = round(sequence_profit(offers, low, high, unit_cost, impatience, impatience_step,
                                          max_turns), 12)
            if best is None or (value, start, descent) > best:
                best = (value, start, descent)
    value, start, descent = best
    return start, descent, value


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
