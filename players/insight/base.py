"""Common base of the INSIGHT sellers: the bidding-world protocol and a
negmas adapter so the same seller plays the ``bilateral`` world.

Bidding world (``tourney.worlds.bidding``): the world calls ``begin_match``,
then per buyer ``begin_episode`` and, per turn, ``make_offer(rival_last)`` and
``observe(rival_offer, profit, done)``; ``end_match`` at the end. A subclass
writes only ``choose(rival_last)``, the price its tactic wants now, and may
learn in ``learn``.

The paper's game lets a seller offer any price in the range every turn; a
refused price is refused again (the buyer's maximum is fixed), so repeating or
raising one only wastes a turn. ``never_raise=True`` forbids it, a rule the
paper does not state: ``make_offer`` then caps the tactic's price at one below
its last offer (and the Q-learner's actions likewise). It makes learning easier
and a Q-vs-Q price war close to built in, so it is off by default and in the
INSIGHT reproduction, which reports both settings. Every price is clamped into
the range either way.

Bilateral world, as a seller: the seller's range ``[rp, ip]`` is cut into
``levels`` equal steps and the tactic plays its one-seller game on the grid
``0..levels`` (level 0 = ``rp``, cost 0, so profit is ``levels`` times the
utility). There is no rival seller there (the buyer is the customer), so
rival-aware tactics play their one-seller fallback. The buyer's offers are
accepted by Faratin's rule: when worth at least the seller's own next offer.
The seller is reused across the episodes of a match, so learners keep learning;
since any negotiation may be the match's last, ``end_match`` (saving a
Q-table) runs after each one.
"""

from __future__ import annotations

import random
from typing import Any

from negmas.sao import SAOState

from players.base import PriceNegotiator
from tourney.params import Interval, OfType

# every INSIGHT seller's own keys; subclasses add theirs to a copy
SELLER_CONSTRAINTS = {"levels": [Interval(int, 1, None)], "never_raise": [OfType(bool)]}


class InsightSeller(PriceNegotiator):
    """A seller for the bidding worlds that also negotiates as a bilateral seller."""

    plays = {"bidding": ("seller",), "bidding2": ("seller_a", "seller_b"), "bilateral": ("seller",)}
    param_constraints = SELLER_CONSTRAINTS

    def __init__(self, levels: int = 20, never_raise: bool = False, seed: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.levels = levels
        self.never_raise = never_raise
        self.seed = seed
        self.rng_ = random.Random(seed)
        self.low_ = self.high_ = 0
        self.cost_ = 0.0
        self.rivals_ = 0
        self.episode_ = -1
        self.my_last_: int | None = None
        self.n_offers_ = 0
        self.rival_offers_: list[int] = []
        self.awaiting_ = False  # an offer was made and its outcome not yet observed
        self.in_market_ = False

    # --- the bidding-world protocol ---
    def begin_match(self, low: int, high: int, unit_cost: float, rivals: int, episodes: int) -> None:
        self.low_, self.high_, self.cost_ = int(low), int(high), float(unit_cost)
        self.rivals_ = rivals
        self.episode_ = -1
        self.in_market_ = True
        self.on_begin_match(episodes)

    def begin_episode(self) -> None:
        self.episode_ += 1
        self.my_last_ = None
        self.n_offers_ = 0
        self.rival_offers_ = []
        self.awaiting_ = False
        self.on_begin_episode()

    def make_offer(self, rival_last: int | None) -> int:
        price = int(self.choose(rival_last))
        if self.never_raise and self.my_last_ is not None:
            price = min(price, self.my_last_ - 1)
        price = min(max(price, self.low_), self.high_)
        self.my_last_ = price
        self.n_offers_ += 1
        self.awaiting_ = True
        return price

    def observe(self, rival_offer: int | None, profit: float, done: bool) -> None:
        if rival_offer is not None:
            self.rival_offers_.append(rival_offer)
        self.awaiting_ = False
        self.learn(rival_offer, profit, done)

    def end_match(self) -> None:
        """Called once after the last buyer (saving learnt state goes here)."""

    # --- what subclasses write ---
    def choose(self, rival_last: int | None) -> int:
        """The price this tactic wants to offer now (before the ``never_raise`` cap)."""
        raise NotImplementedError

    def learn(self, rival_offer: int | None, profit: float, done: bool) -> None:
        """Feedback after each turn; learners update here."""

    def on_begin_match(self, episodes: int) -> None:
        """Hook: a match starts (``low_``, ``high_``, ``cost_``, ``rivals_`` are set)."""

    def on_begin_episode(self) -> None:
        """Hook: a new buyer arrives."""

    # --- the bilateral world (negmas SAO) ---
    def on_negotiation_start(self, state: SAOState) -> None:
        super().on_negotiation_start(state)
        if not self.in_market_:
            self.begin_match(low=0, high=self.levels, unit_cost=0.0, rivals=0, episodes=0)
        self.begin_episode()

    def level_price(self, level: int) -> float:
        return self.rp + level * (self.ip - self.rp) / self.levels

    def planned_offer(self, state: SAOState) -> tuple:
        if self.planned_ is None or self.planned_[0] != state.step:
            if self.awaiting_:  # our previous offer was refused: the buyer answered with its own
                self.observe(None, 0.0, False)
            level = self.make_offer(None)
            self.planned_ = (state.step, self.to_outcome(self.level_price(level)))
        return self.planned_[1]

    def on_negotiation_end(self, state: SAOState) -> None:
        super().on_negotiation_end(state)
        if self.awaiting_:
            agreement = state.agreement
            profit = 0.0 if agreement is None else self.levels * self.utility_of(agreement[0])
            self.observe(None, profit, True)
        self.end_match()
