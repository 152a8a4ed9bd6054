"""``GodfatherMultiIssue``: Godfather's Pareto aspiration on multi-issue scenarios.

The strategy of ``pareto.py`` (Section 3, Appendix A.2 of the Godfather paper)
on the ``negotiation`` world's outcome space:

- our utility is our ufun on every outcome; disagreement is worth our reserved value;
- the opponent's utility: the ufun in ``private_info["opponent_ufun"]`` when the
  world reveals it (ANL 2024 did, with the reserved value hidden), else the
  goldfish estimate the bilateral version uses, per issue: 1 at the value of the
  opponent's most recent offer, falling linearly with the distance (in the
  issue's value order) to 0 at the farthest value, averaged over issues with
  equal weights. Before its first offer the opponent is taken to want the
  opposite of us (``1 - u_self`` rescaled), as the bilateral version takes the far
  end of the price issue (the paper is silent on both). Disagreement is worth 0
  to the opponent;
- Nash point and tolerance ``u_tol = 0.75 u(Nash) + 0.25 u(d)``, eq. (2) time
  with ``n`` twice the round limit, ``lambda = 0.5``; with no round limit known,
  negmas' relative time.

Outcome spaces above ``max_outcomes`` are worked on a fixed random sample of
that many outcomes (seeded by the player's seed) plus our best outcome.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from negmas.sao import ResponseType, SAONegotiator, SAOState

from players.godfather.pareto import LAMBDA, NASH_WEIGHT, ParetoAspiration, relative_time
from tourney.params import Interval, NONE

NEGOTIATION_SEATS = {"negotiation": ("first", "second")}


class GodfatherMultiIssue(SAONegotiator):
    """Pareto aspiration toward the estimated Nash point over a multi-issue outcome space."""

    plays = NEGOTIATION_SEATS
    keeps_state = False
    param_constraints = {
        "lam": [Interval(float, 0, None, closed="neither")],
        "nash_weight": [Interval(float, 0, 1)],
        "max_outcomes": [Interval(int, 10, None)],
        "seed": [NONE, Interval(int, 0, None)],
    }

    def __init__(self, lam: float = LAMBDA, nash_weight: float = NASH_WEIGHT, max_outcomes: int = 20_000,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.lam = lam
        self.nash_weight = nash_weight
        self.max_outcomes = max_outcomes
        self.seed = seed
        self.outcomes_: list[tuple] = []
        self.u_self_: np.ndarray | None = None
        self.u_opp_known_: np.ndarray | None = None
        self.index_: list[np.ndarray] = []  # per issue: each outcome's value position, scaled to [0, 1]
        self.last_opponent_: tuple | None = None
        self.offers_made_ = 0
        self.strategy_: ParetoAspiration | None = None

    def on_negotiation_start(self, state: SAOState) -> None:
        space = self.nmi.outcome_space
        if space.cardinality <= self.max_outcomes:
            outcomes = list(space.enumerate())
        else:
            rng = np.random.default_rng(self.seed or 0)
            every = list(space.enumerate_or_sample(max_cardinality=self.max_outcomes * 4))
            pick = rng.choice(len(every), size=min(self.max_outcomes, len(every)), replace=False)
            outcomes = [every[i] for i in sorted(pick)]
            best = self.ufun.best()
            if best is not None and best not in outcomes:
                outcomes.append(best)
        self.outcomes_ = [tuple(o) for o in outcomes]
        self.u_self_ = np.array([float(self.ufun(o)) for o in self.outcomes_])
        opponent = self.private_info.get("opponent_ufun") if self.private_info else None
        self.u_opp_known_ = (np.array([float(opponent(o)) for o in self.outcomes_]) if opponent is not None
                             else None)
        self.index_ = []
        for k, issue in enumerate(space.issues):
            values = list(issue.all)
            position = {v: i for i, v in enumerate(values)}
            scale = max(len(values) - 1, 1)
            self.index_.append(np.array([position[o[k]] / scale for o in self.outcomes_]))
        self.last_opponent_ = None
        self.offers_made_ = 0
        self.strategy_ = None
        super().on_negotiation_start(state)

    def own_utilities(self) -> np.ndarray:
        """Our utility of each outcome worked on (``on_negotiation_start`` computes it)."""
        u_self = self.u_self_
        assert u_self is not None, "on_negotiation_start sets the outcomes before any offer"
        return u_self

    def opponent_utilities(self) -> np.ndarray:
        if self.u_opp_known_ is not None:
            return self.u_opp_known_
        if self.last_opponent_ is None:
            u_self = self.own_utilities()
            span = u_self.max() - u_self.min()
            return 1.0 - (u_self - u_self.min()) / span if span > 0 else np.zeros(len(u_self))
        space = self.nmi.outcome_space
        similarity = np.zeros(len(self.outcomes_))
        for k, issue in enumerate(space.issues):
            values = list(issue.all)
            target = values.index(self.last_opponent_[k]) / max(len(values) - 1, 1)
            similarity += 1.0 - np.abs(self.index_[k] - target)
        return similarity / len(space.issues)

    def strategy(self) -> ParetoAspiration:
        if self.strategy_ is None:
            u_self = self.own_utilities()
            reserved = self.ufun.reserved_value
            d_self = float(reserved) if reserved is not None and np.isfinite(reserved) else float(u_self.min())
            self.strategy_ = ParetoAspiration(u_self, self.opponent_utilities(), d_self, 0.0, self.lam,
                                              self.nash_weight)
        return self.strategy_

    def time(self, state: SAOState) -> float:
        n_steps = self.nmi.n_steps
        if n_steps and n_steps != float("inf"):
            return relative_time(self.offers_made_, 2 * n_steps)
        return min(max(state.relative_time, 0.0), 1.0)

    def propose(self, state: SAOState, dest: str | None = None) -> tuple:
        index = self.strategy().offer(self.time(state))
        self.offers_made_ += 1
        return self.outcomes_[index]

    def respond(self, state: SAOState, source: str | None = None) -> ResponseType:
        offer = state.current_offer
        if offer is None:
            return ResponseType.REJECT_OFFER
        offer = tuple(offer)
        if offer != self.last_opponent_ and self.u_opp_known_ is None:
            self.strategy_ = None  # the goldfish estimate moved with the new offer
        self.last_opponent_ = offer
        if self.strategy().acceptable(float(self.ufun(offer)), self.time(state)):
            return ResponseType.ACCEPT_OFFER
        return ResponseType.REJECT_OFFER
