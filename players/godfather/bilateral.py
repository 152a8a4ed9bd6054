"""``GodfatherNegotiator``: Godfather's Pareto aspiration on the bilateral price world.

One issue, so every outcome is on the Pareto frontier and the strategy reduces
to its time schedule and Nash target:

- our utility is the world's ``PriceUtility`` (1 at our initial price, 0 at
  our reservation price, disagreement 0), evaluated on every integer price of
  the issue;
- the opponent's utility is the goldfish estimate for one issue: linear, 1 at
  its most recent offer, 0 at the far end of the issue from it (where it would
  least like to trade), disagreement 0. Before its first offer, its best is
  taken to be the end of the issue opposite ours (the paper is silent);
- Nash point, tolerance ``u_tol = 0.75 u(Nash) + 0.25 u(d)``, eq. (2) time with
  ``n`` = twice the mechanism's rounds, ``lambda = 0.5`` (``pareto.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from negmas.sao import ResponseType, SAONegotiator, SAOState

from players.godfather.pareto import LAMBDA, NASH_WEIGHT, ParetoAspiration, relative_time
from tourney.params import Interval


class GodfatherNegotiator(SAONegotiator):
    """Pareto aspiration toward the estimated Nash point on one price issue."""
    plays = {"bilateral": ("buyer", "seller")}
    keeps_state = True

    param_constraints = {
        "lam": [Interval(float, 0, None, closed="neither")],
        "nash_weight": [Interval(float, 0, 1)],
    }

    def __init__(self, lam: float = LAMBDA, nash_weight: float = NASH_WEIGHT, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.lam = lam
        self.nash_weight = nash_weight
        self.offers_made_ = 0
        self.last_opponent_: int | None = None
        self.prices_: np.ndarray | None = None

    def on_negotiation_start(self, state: SAOState) -> None:
        # reused across the episodes of a match: forget the last one
        self.offers_made_ = 0
        self.last_opponent_ = None
        issue = self.nmi.outcome_space.issues[0]
        self.prices_ = np.arange(issue.min_value, issue.max_value + 1)
        super().on_negotiation_start(state)

    def prices(self) -> np.ndarray:
        """The price issue's values (``on_negotiation_start`` sets them)."""
        prices = self.prices_
        assert prices is not None, "on_negotiation_start sets the prices before any offer"
        return prices

    def strategy(self) -> ParetoAspiration:
        prices = self.prices()
        ufun = self.ufun
        u_self = (ufun.rp - prices) / (ufun.rp - ufun.ip)
        buyer = ufun.ip < ufun.rp
        low, high = float(prices[0]), float(prices[-1])
        best = self.last_opponent_ if self.last_opponent_ is not None else (high if buyer else low)
        worst = low if buyer else high
        span = best - worst
        u_opp = (prices - worst) / span if span != 0 else np.zeros(len(prices))
        return ParetoAspiration(u_self, u_opp, 0.0, 0.0, self.lam, self.nash_weight)

    def time(self) -> float:
        n_steps = self.nmi.n_steps
        n_turns = 2 * n_steps if n_steps and n_steps != float("inf") else 200
        return relative_time(self.offers_made_, n_turns)

    def propose(self, state: SAOState, dest: str | None = None) -> tuple:
        index = self.strategy().offer(self.time())
        self.offers_made_ += 1
        return (int(self.prices()[index]),)

    def respond(self, state: SAOState, source: str | None = None) -> ResponseType:
        offer = state.current_offer
        if offer is None:
            return ResponseType.REJECT_OFFER
        self.last_opponent_ = int(offer[0])
        u = (self.ufun.rp - offer[0]) / (self.ufun.rp - self.ufun.ip)
        if self.strategy().acceptable(u, self.time()):
            return ResponseType.ACCEPT_OFFER
        return ResponseType.REJECT_OFFER
