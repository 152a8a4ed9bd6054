"""Shared base of the price negotiators (negmas ``SAONegotiator`` subclasses).

A price negotiator reads its initial price ``ip`` and reservation price ``rp``
from its utility function (``tourney.worlds.pricing.PriceUtility``): a buyer has
``ip < rp``, a seller ``ip > rp``, and every formula below is written once for
both with ``x = ip + a (rp - ip)``, ``a`` in [0, 1] the share of the way conceded.
"""

from __future__ import annotations

from typing import Any

from negmas.sao import ResponseType, SAONegotiator, SAOState


def round_time(n_steps: int | float | None, state: SAOState) -> float:
    """tau in [0, 1] by rounds when the round limit is known (1 on the last round), else negmas' relative time."""
    if n_steps is not None and n_steps != float("inf") and n_steps > 1:
        return min(state.step / (n_steps - 1), 1.0)
    return min(max(state.relative_time, 0.0), 1.0)


class PriceNegotiator(SAONegotiator):
    """A negotiator on one integer price issue, with Faratin's acceptance rule."""

    # Reused across the episodes of a match (on_negotiation_start forgets the last one),
    # so the learners among them keep what they learnt.
    keeps_state = True

    # Declared (even if empty) so league validation rejects unknown params.
    param_constraints: dict = {}

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.my_offers_: list[float] = []
        self.opponent_offers_: list[float] = []
        self.planned_: tuple[int, tuple] | None = None

    # --- what the world tells us through the utility function ---
    # negmas' ``ufun`` property costs ~2.5 us a read (60 % of an e-market run
    # once); the preferences object it returns is ``_preferences``.
    @property
    def ip(self) -> float:
        return self._preferences.ip

    @property
    def rp(self) -> float:
        return self._preferences.rp

    @property
    def is_buyer(self) -> bool:
        return self._preferences.ip < self._preferences.rp

    def on_negotiation_start(self, state: SAOState) -> None:
        # Players are reused across the episodes of a match: forget the last one.
        self.my_offers_ = []
        self.opponent_offers_ = []
        self.planned_ = None
        super().on_negotiation_start(state)

    def relative_time(self, state: SAOState) -> float:
        """tau in [0, 1]; 1 on the last round, so the last offer is the reservation price."""
        return round_time(self.nmi.n_steps, state)

    # The four helpers below run on every move of every seller of an e-market
    # (millions of calls per sweep): they read the preferences once, not per use.
    def price_at(self, alpha: float) -> float:
        p = self._preferences
        ip = p.ip
        return ip + min(max(alpha, 0.0), 1.0) * (p.rp - ip)

    def clamp(self, price: float) -> float:
        p = self._preferences
        ip, rp = p.ip, p.rp
        low, high = (ip, rp) if ip <= rp else (rp, ip)
        return min(max(price, low), high)

    def to_outcome(self, price: float) -> tuple:
        return (int(round(self.clamp(price))),)

    def utility_of(self, price: float) -> float:
        p = self._preferences
        rp = p.rp
        return (rp - price) / (rp - p.ip)

    # --- the tactic ---
    def next_price(self, state: SAOState) -> float:
        """The price this tactic would offer now."""
        raise NotImplementedError

    def planned_offer(self, state: SAOState) -> tuple:
        # respond() and the propose() that follows a rejection must agree on the
        # offer even for tactics that draw random numbers: plan once per step.
        if self.planned_ is None or self.planned_[0] != state.step:
            self.planned_ = (state.step, self.to_outcome(self.next_price(state)))
        return self.planned_[1]

    def propose(self, state: SAOState, dest: str | None = None) -> tuple:
        price = self.planned_offer(state)
        self.planned_ = None
        self.my_offers_.append(price[0])
        return price

    def respond(self, state: SAOState, source: str | None = None) -> ResponseType:
        offer = state.current_offer
        if offer is None:
            return ResponseType.REJECT_OFFER
        self.opponent_offers_.append(offer[0])
        # Faratin Def. 2: accept when the offer is worth at least our own next offer.
        mine = self.planned_offer(state)[0]
        if self.utility_of(offer[0]) >= self.utility_of(mine):
            return ResponseType.ACCEPT_OFFER
        return ResponseType.REJECT_OFFER
