"""The four agents of the SCML OneShot tutorial (2021), each built on the last.

- ``SimpleAgent``: asks for all it still needs at its best price (the top of
  the price range when selling, the bottom when buying) and accepts any offer
  whose quantity fits its remaining needs, at any price.
- ``BetterAgent``: Simple plus a time-based price threshold: at negotiation
  round ``t`` of ``n`` it offers and accepts only prices at least
  ``((n - t - 1) / (n - 1)) ** e`` of the way from its worst to its best price
  (``e`` = the concession exponent, 0.2 in the tutorial).
- ``AdaptiveAgent``: Better with the price range narrowed, within a day, by
  the best price any partner has offered it that day (it never concedes below
  what someone already offered).
- ``LearningAgent``: Adaptive plus memory across days: the best price it has
  agreed with each partner (and overall) bounds its range, with the tutorial's
  slacks; so its acceptance threshold with a partner rises with the agreements
  that partner has given it.

Facts (the behaviour and default parameters) come from the public tutorial;
the code is this package's.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from negmas import ResponseType
from scml.oneshot import OneShotAgent
from scml.oneshot.common import QUANTITY, TIME, UNIT_PRICE

INF = float("inf")


class SimpleAgent(OneShotAgent):
    """Greedy on quantity: wants exactly its exogenous need, takes any price."""

    def init(self) -> None:
        self.secured = 0

    def before_step(self) -> None:
        self.secured = 0

    def on_negotiation_success(self, contract, mechanism) -> None:
        self.secured += contract.agreement["quantity"]

    # --- needs and sides ---
    def needed(self) -> int:
        """What it still needs today (an agent has either an input or an output need)."""
        return (self.awi.current_exogenous_input_quantity
                + self.awi.current_exogenous_output_quantity - self.secured)

    def is_selling(self, nmi) -> bool:
        return nmi.annotation["product"] == self.awi.my_output_product

    def price_range(self, nmi) -> tuple[float, float]:
        issue = nmi.issues[UNIT_PRICE]
        return issue.min_value, issue.max_value

    def offer_price(self, nmi, state) -> float:
        mn, mx = self.price_range(nmi)
        return mx if self.is_selling(nmi) else mn

    def good_price(self, nmi, state, price: float) -> bool:
        return True

    # --- the negotiation ---
    def propose(self, negotiator_id: str, state) -> tuple | None:
        need = self.needed()
        nmi = self.get_nmi(negotiator_id)
        if need <= 0 or nmi is None:
            return None
        q = nmi.issues[QUANTITY]
        offer: list[Any] = [0, 0, 0]
        offer[QUANTITY] = max(min(need, q.max_value), q.min_value)
        offer[TIME] = self.awi.current_step
        price = self.offer_price(nmi, state)
        p = nmi.issues[UNIT_PRICE]
        # integer price issue: round toward the agent's own side of the range
        offer[UNIT_PRICE] = int(min(max(round(price), p.min_value), p.max_value))
        return tuple(offer)

    def respond(self, negotiator_id: str, state, source=None) -> ResponseType:
        offer = state.current_offer
        if offer is None:
            return ResponseType.REJECT_OFFER
        response = self.decide(negotiator_id, state, offer)
        # learn from the offer after deciding on it, as the tutorial does
        self.observe_offer(negotiator_id, offer)
        return response

    def decide(self, negotiator_id: str, state, offer) -> ResponseType:
        need = self.needed()
        if need <= 0:
            return ResponseType.END_NEGOTIATION
        if offer[QUANTITY] > need:
            return ResponseType.REJECT_OFFER
        nmi = self.get_nmi(negotiator_id)
        if not self.good_price(nmi, state, offer[UNIT_PRICE]):
            return ResponseType.REJECT_OFFER
        return ResponseType.ACCEPT_OFFER

    def observe_offer(self, negotiator_id: str, offer) -> None:
        """Hook for agents that learn from the offers they receive."""


class BetterAgent(SimpleAgent):
    """Simple with a price threshold that falls from best to worst over the rounds."""

    def __init__(self, *args, concession_exponent: float = 0.2, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.concession_exponent = concession_exponent

    def threshold(self, step: int, n_steps: int) -> float:
        """Fraction of the range (from the worst price) a price must reach at round ``step``."""
        if n_steps <= 1:
            return 0.0
        return max(0.0, (n_steps - step - 1) / (n_steps - 1)) ** self.concession_exponent

    def offer_price(self, nmi, state) -> float:
        mn, mx = self.price_range(nmi)
        th = self.threshold(state.step, nmi.n_steps)
        return mn + th * (mx - mn) if self.is_selling(nmi) else mx - th * (mx - mn)

    def good_price(self, nmi, state, price: float) -> bool:
        mn, mx = self.price_range(nmi)
        th = self.threshold(state.step, nmi.n_steps)
        if self.is_selling(nmi):
            return price - mn >= th * (mx - mn)
        return mx - price >= th * (mx - mn)


class AdaptiveAgent(BetterAgent):
    """Better whose range is cut, within a day, by the best price offered to it that day."""

    def init(self) -> None:
        super().init()
        self.best_selling, self.best_buying = 0.0, INF

    def before_step(self) -> None:
        super().before_step()
        self.best_selling, self.best_buying = 0.0, INF

    def observe_offer(self, negotiator_id: str, offer) -> None:
        nmi = self.get_nmi(negotiator_id)
        if nmi is None:
            return
        if self.is_selling(nmi):
            self.best_selling = max(self.best_selling, offer[UNIT_PRICE])
        else:
            self.best_buying = min(self.best_buying, offer[UNIT_PRICE])

    def price_range(self, nmi) -> tuple[float, float]:
        mn, mx = super().price_range(nmi)
        if self.is_selling(nmi):
            return min(max(mn, self.best_selling), mx), mx
        return mn, max(min(mx, self.best_buying), mn)


class LearningAgent(AdaptiveAgent):
    """Adaptive plus the best prices agreed, overall and per partner, remembered across days."""

    def __init__(self, *args, acc_price_slack: float = INF, step_price_slack: float = 0.0,
                 opp_price_slack: float = 0.0, opp_acc_price_slack: float = 0.2,
                 range_slack: float = 0.03, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.acc_price_slack = acc_price_slack
        self.step_price_slack = step_price_slack
        self.opp_price_slack = opp_price_slack
        self.opp_acc_price_slack = opp_acc_price_slack
        self.range_slack = range_slack

    def init(self) -> None:
        super().init()
        self.best_acc_selling, self.best_acc_buying = 0.0, INF
        self.best_opp_acc_selling: dict[str, float] = defaultdict(float)
        self.best_opp_acc_buying: dict[str, float] = defaultdict(lambda: INF)
        self.best_opp_selling: dict[str, float] = defaultdict(float)
        self.best_opp_buying: dict[str, float] = defaultdict(lambda: INF)

    def before_step(self) -> None:
        super().before_step()
        # offers are forgotten each day; agreements are not
        self.best_opp_selling = defaultdict(float)
        self.best_opp_buying = defaultdict(lambda: INF)

    def on_negotiation_success(self, contract, mechanism) -> None:
        super().on_negotiation_success(contract, mechanism)
        price = contract.agreement["unit_price"]
        if self.is_selling(mechanism):
            partner = contract.annotation["buyer"]
            self.best_acc_selling = max(self.best_acc_selling, price)
            self.best_opp_acc_selling[partner] = max(self.best_opp_acc_selling[partner], price)
        else:
            partner = contract.annotation["seller"]
            self.best_acc_buying = min(self.best_acc_buying, price)
            self.best_opp_acc_buying[partner] = min(self.best_opp_acc_buying[partner], price)

    def observe_offer(self, negotiator_id: str, offer) -> None:
        super().observe_offer(negotiator_id, offer)
        nmi = self.get_nmi(negotiator_id)
        if nmi is None:
            return
        price = offer[UNIT_PRICE]
        if self.is_selling(nmi):
            partner = nmi.annotation["buyer"]
            self.best_opp_selling[partner] = max(self.best_opp_selling[partner], price)
        else:
            partner = nmi.annotation["seller"]
            self.best_opp_buying[partner] = min(self.best_opp_buying[partner], price)

    def price_range(self, nmi) -> tuple[float, float]:
        issue = nmi.issues[UNIT_PRICE]
        mn, mx = issue.min_value, issue.max_value
        if self.is_selling(nmi):
            partner = nmi.annotation["buyer"]
            bounds = ((self.best_selling, self.step_price_slack),
                      (self.best_acc_selling, self.acc_price_slack),
                      (self.best_opp_selling[partner], self.opp_price_slack),
                      (self.best_opp_acc_selling[partner], self.opp_acc_price_slack))
            floor = max([mn] + [p * (1 - s) for p, s in bounds if s != INF])
            return min(mx * (1 - self.range_slack), floor), mx
        partner = nmi.annotation["seller"]
        bounds = ((self.best_buying, self.step_price_slack),
                  (self.best_acc_buying, self.acc_price_slack),
                  (self.best_opp_buying[partner], self.opp_price_slack),
                  (self.best_opp_acc_buying[partner], self.opp_acc_price_slack))
        ceiling = min([mx] + [p * (1 + s) for p, s in bounds if s != INF and p != INF])
        return mn, max(mn * (1 + self.range_slack), ceiling)
