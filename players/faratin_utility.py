"""Faratin, Sierra & Jennings (1998) time-dependent tactics in utility space.

For multi-issue negotiation (the ``negotiation`` world) the tactic concedes in
its own utility rather than in a price: at relative time tau its target is
``u(tau) = u_max - alpha(tau) (u_max - u_floor)``, with Faratin's
``alpha`` (``players.faratin.time_alpha``: polynomial or exponential, beta < 1
Boulware, 1 linear, > 1 Conceder), ``u_max`` the best utility of the outcome
space and ``u_floor`` the larger of its reserved value and worst utility. It
offers the outcome with the least utility at or above the target (negmas'
presorting inverse utility, ``worst_in``): the smallest concession that meets
it. It accepts an offer worth at least what it would offer now (Faratin's
Def. 2) and never below its reserved value.

tau is ``step / (n_steps - 1)`` when the round limit is known (1 on the last
round, so the last offer is the floor), else negmas' relative time (time
limits); with neither, tau stays 0 and the tactic never concedes.
"""

from __future__ import annotations

from typing import Any

from negmas.preferences.inv_ufun import PresortingInverseUtilityFunction
from negmas.sao import ResponseType, SAONegotiator, SAOState

from players.base import round_time
from players.faratin import time_alpha
from tourney.params import Interval, Options

NEGOTIATION_SEATS = {"negotiation": ("first", "second")}


class UtilityTimeDependent(SAONegotiator):
    """Faratin time-dependent tactic over any outcome space, conceding in utility."""

    plays = NEGOTIATION_SEATS
    keeps_state = False
    param_constraints = {
        "beta": [Interval(float, 0, None, closed="neither")],
        "kappa": [Interval(float, 0, 1, closed="left")],
        "family": [Options(["polynomial", "exponential"])],
    }

    def __init__(self, beta: float = 1.0, kappa: float = 0.0, family: str = "polynomial",
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.beta = beta
        self.kappa = kappa
        self.family = family
        self.inverse_: PresortingInverseUtilityFunction | None = None
        self.u_max_ = 1.0
        self.u_floor_ = 0.0

    def on_negotiation_start(self, state: SAOState) -> None:
        ufun = self.ufun
        self.inverse_ = PresortingInverseUtilityFunction(ufun)
        self.inverse_.init()
        low, high = self.inverse_.minmax()
        reserved = ufun.reserved_value
        self.u_max_ = float(high)
        self.u_floor_ = max(float(low), float(reserved)) if reserved is not None else float(low)
        super().on_negotiation_start(state)

    def target(self, state: SAOState) -> float:
        alpha = time_alpha(round_time(self.nmi.n_steps, state), self.beta, self.kappa, self.family)
        return self.u_max_ - alpha * (self.u_max_ - self.u_floor_)

    def planned(self, state: SAOState) -> tuple:
        inverse = self.inverse_
        assert inverse is not None, "on_negotiation_start builds the inverse before any offer"
        target = self.target(state)
        outcome = inverse.worst_in((target - 1e-9, self.u_max_ + 1e-9), normalized=False, cycle=False)
        return outcome if outcome is not None else inverse.best()

    def propose(self, state: SAOState, dest: str | None = None) -> tuple:
        return self.planned(state)

    def respond(self, state: SAOState, source: str | None = None) -> ResponseType:
        offer = state.current_offer
        if offer is None:
            return ResponseType.REJECT_OFFER
        u = float(self.ufun(offer))
        if u >= self.u_floor_ and u >= float(self.ufun(self.planned(state))):
            return ResponseType.ACCEPT_OFFER
        return ResponseType.REJECT_OFFER
