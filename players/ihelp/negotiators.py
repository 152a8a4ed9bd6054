"""The three I-Help negotiation approaches as negmas ``SAONegotiator``s.

Approach 1 (section 4.1): no decision theory. Both sides "reveal their
preferred prices" and move "by a fixed amount based on the difference between
their preferred prices" so that "no agent wins and no one loses". The agent
opens at the best end of its preferred price interval (its ideal price: the
helpee's lowest, the helper's highest) and then moves by the fixed amount
``|own opening - opponent's opening| / n_concessions``; two such agents meet
half way after ``n_concessions / 2`` offers each. (Opening at the far end of
the interval, next to the limit, hands the opponent a price inside its own
interval whenever the intervals overlap, S1 and S2: the first offer is
accepted and one side takes everything, which is not the paper's fair trade.)
It never rejects.

Approach 2: opens by the paper's offer rule (``steps.opening_offer``: the
base price moved by the paper's Delta) and then concedes by
``concession_scale`` times Delta per offer, deciding accept / reject /
counter-offer with the influence diagram (``decision``), the opponent's answer
having equal probabilities. Section 4.1 separates the two: "each agent makes an
offer depending on the user's risk attitude. The price-offer decay and raise
function are dependent on the money importance and the urgency". With a
concession of a whole Delta (``concession_scale`` 1) both sides open one Delta
either side of the standard price and their second offers cross there: the
negotiation ends in round 2 whatever the influence diagram decides (measured
in ``tourney.reproduce.ihelp_setting``; ``leagues/ihelp.yaml`` says how the
league fixes the scale). Its utility node is ``valuation`` (``decision``:
"zone", the reproduction's, or "ideal-limit", session 1's). It expects the
opponent to keep conceding as it last did (as fast as itself before it has
seen a concession).

Approach 3: as Approach 2, with P(opponent's answer) from a Bayesian opponent
model (``opponent``) created after the first round and updated by Bayes' rule
when the opponent's move differs from the prediction; the model also gives
the opponent's expected next concession and its expected limit.

All three accept an offer at least as good as the counter-offer they would
make (Faratin's rule; countering with a worse price is never rational), never
offer or accept past their user's limit and keep offers monotone. Approaches
2 and 3 decide only once both sides have made an offer: the paper's agents
model the opponent "after the first round of offers", so the seller answers
the buyer's opening with its own opening (unless the buyer already offers
more).

Where the user's preference model comes from: in the ``ihelp`` world, from the
utility function (``IHelpUtility``). Elsewhere (the ``bilateral`` world),
from the player's own ``urgency``, ``money_importance`` and ``risk`` params,
with the standard price at the middle of [ip, rp] and the preferred price
three quarters of the way from ip to rp (our choice: ``bilateral`` has no
matchmaker).
"""

from __future__ import annotations

import math
from typing import Any

from negmas.sao import ResponseType, SAOState

from players.base import PriceNegotiator
from players.ihelp.decision import (
    UNIFORM,
    VALUATIONS,
    DecisionDiagram,
    UserUtility,
    ZoneUtility,
    meeting_point,
    utility_table,
)
from players.ihelp.opponent import OpponentModel
from players.ihelp.steps import better_for, delta, next_offer, opening_offer, within_limit
from tourney.params import Interval, Options
from tourney.worlds.ihelp import MONEY_IMPORTANCE, RISK, URGENCY, UserPreferences

_PREFERENCE_CONSTRAINTS = {
    "urgency": [Options(URGENCY)],
    "money_importance": [Options(MONEY_IMPORTANCE)],
    "risk": [Options(RISK)],
}


class IHelpNegotiator(PriceNegotiator):
    """Shared bookkeeping: the user model, monotone offers, the decision log."""
    plays = {"ihelp": ("buyer", "seller"), "bilateral": ("buyer", "seller")}

    param_constraints = dict(_PREFERENCE_CONSTRAINTS)

    def __init__(
        self,
        urgency: str = "urgent",
        money_importance: str = "medium",
        risk: str = "averse",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.urgency = urgency
        self.money_importance = money_importance
        self.risk = risk
        self._reset_match_state()

    def _reset_match_state(self) -> None:
        self.role_ = "buyer"
        self.ideal_ = 0.0
        self.limit_ = 0.0
        self.user_: UserUtility | None = None
        self.prefs_: UserPreferences | None = None
        self.std_price_ = 0.0
        self.preferred_ = 0.0
        self.last_offer_: float | None = None
        self.counter_: float | None = None
        self.decisions_: list[dict[str, Any]] = []

    # --- the user's model, read once per negotiation ---
    def on_negotiation_start(self, state: SAOState) -> None:
        super().on_negotiation_start(state)
        self._reset_match_state()
        ufun = self.ufun
        # negmas' ufun property is slow enough to matter per call; read it once.
        self.ideal_, self.limit_ = ufun.ip, ufun.rp
        self.role_ = "buyer" if ufun.ip < ufun.rp else "seller"
        self.prefs_ = getattr(ufun, "preferences", None) or UserPreferences(
            self.urgency, self.money_importance, self.risk
        )
        self.std_price_ = getattr(ufun, "std_price", None) or (ufun.ip + ufun.rp) / 2.0
        self.preferred_ = getattr(ufun, "preferred_price", None) or ufun.ip + 0.75 * (ufun.rp - ufun.ip)
        self.user_ = UserUtility(self.role_, ufun.ip, ufun.rp, self.prefs_, self.std_price_)

    @property
    def limit(self) -> float:
        return self.limit_

    @property
    def prefs(self) -> UserPreferences:
        """The user's preferences (``on_negotiation_start`` reads them)."""
        assert self.prefs_ is not None, "on_negotiation_start reads the preferences before any offer"
        return self.prefs_

    @property
    def user(self) -> UserUtility:
        """The user's utility (``on_negotiation_start`` builds it)."""
        assert self.user_ is not None, "on_negotiation_start builds the user's utility before any offer"
        return self.user_

    def clamp(self, price: float) -> float:
        low, high = sorted((self.ideal_, self.limit_))
        return min(max(price, low), high)

    def to_outcome(self, price: float) -> tuple:
        price = self.clamp(price)
        issue = self.nmi.outcome_space.issues[0]
        if issue.is_continuous():
            # Round to a millionth toward our own side so the limit is never passed.
            scaled = price * 1e6
            return ((math.floor(scaled) if self.role_ == "buyer" else math.ceil(scaled)) / 1e6,)
        # Integer prices: round toward our own side so the limit is never passed.
        return (int(price // 1) if self.role_ == "buyer" else int(-(-price // 1)),)

    # --- the tactic ---
    def opening(self) -> float:
        raise NotImplementedError

    def step(self) -> float:
        raise NotImplementedError

    def planned_counter(self) -> float:
        if self.last_offer_ is None:
            return self.opening()
        return next_offer(self.role_, self.last_offer_, self.step(), self.limit)

    def choose(self, state: SAOState, offer: float, counter: float) -> str:
        """accept | reject | counter, for an offer worse than our counter."""
        raise NotImplementedError

    # --- negmas callbacks ---
    def propose(self, state: SAOState, dest: str | None = None) -> tuple:
        price = self.counter_ if self.counter_ is not None else self.planned_counter()
        outcome = self.to_outcome(price)
        if self.last_offer_ is not None:
            # Rounding must not break monotonicity either.
            outcome = (max(outcome[0], self.last_offer_) if self.role_ == "buyer" else min(outcome[0], self.last_offer_),)
        self.counter_ = None
        self.last_offer_ = outcome[0]
        self.my_offers_.append(outcome[0])
        return outcome

    def respond(self, state: SAOState, source: str | None = None) -> ResponseType:
        current = state.current_offer
        if current is None:
            return ResponseType.REJECT_OFFER
        offer = float(current[0])
        self.opponent_offers_.append(offer)
        self.on_opponent_offer(state, offer)
        counter = self.to_outcome(self.planned_counter())[0]
        if within_limit(self.role_, offer, self.limit) and better_for(self.role_, offer, counter):
            action = "accept"
        else:
            action = self.choose(state, offer, counter)
        if action == "accept" and not within_limit(self.role_, offer, self.limit):
            action = "counter"
        self.decisions_.append({"step": state.step, "offer": offer, "counter": counter, "action": action})
        if action == "accept":
            return ResponseType.ACCEPT_OFFER
        if action == "reject":
            return ResponseType.END_NEGOTIATION
        self.counter_ = counter
        return ResponseType.REJECT_OFFER

    def on_opponent_offer(self, state: SAOState, offer: float) -> None:
        """Hook for what an approach learns from each opponent offer."""


class Approach1(IHelpNegotiator):
    """Fixed increments from the difference of preferred prices; reveals its preferred price."""

    param_constraints = {**_PREFERENCE_CONSTRAINTS, "n_concessions": [Interval(int, 1, None)]}

    def __init__(
        self,
        n_concessions: int = 4,
        urgency: str = "urgent",
        money_importance: str = "medium",
        risk: str = "averse",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(urgency=urgency, money_importance=money_importance, risk=risk, name=name, **kwargs)
        self.n_concessions = n_concessions

    def _reset_match_state(self) -> None:
        super()._reset_match_state()
        self.fixed_step_: float | None = None

    def opening(self) -> float:
        return self.ideal_

    def on_opponent_offer(self, state: SAOState, offer: float) -> None:
        if self.fixed_step_ is None:
            self.fixed_step_ = abs(self.opening() - offer) / self.n_concessions

    def step(self) -> float:
        return self.fixed_step_ or 0.0

    def choose(self, state: SAOState, offer: float, counter: float) -> str:
        return "counter"


class Approach2(IHelpNegotiator):
    """Delta steps and an influence diagram with an uninformed opponent node."""

    param_constraints = {**_PREFERENCE_CONSTRAINTS, "concession_scale": [Interval(float, 0, 1, closed="right")],
                         "valuation": [Options(list(VALUATIONS))]}

    def __init__(
        self,
        concession_scale: float = 1.0,
        valuation: str = "zone",
        urgency: str = "urgent",
        money_importance: str = "medium",
        risk: str = "averse",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.concession_scale = concession_scale
        self.valuation = valuation
        super().__init__(urgency=urgency, money_importance=money_importance, risk=risk, name=name, **kwargs)

    def _reset_match_state(self) -> None:
        super()._reset_match_state()
        self.diagram_ = getattr(self, "diagram_", None) or DecisionDiagram()

    def opening(self) -> float:
        return opening_offer(self.role_, self.prefs, self.std_price_, self.preferred_, self.limit)

    def step(self) -> float:
        last = self.last_offer_
        assert last is not None, "a step is taken from our last offer (planned_counter opens without one)"
        return self.concession_scale * delta(self.role_, self.prefs, last, self.preferred_, self.limit)

    def opponent_answer(self, offer: float, counter: float) -> dict[str, float]:
        return dict(UNIFORM)

    def opponent_limit(self) -> float | None:
        """Where the opponent stops conceding: unknown without a model."""
        return None

    def opponent_rate(self, my_rate: float) -> float:
        """The opponent's concession per round: its last one (ours, before it has made one)."""
        offers = self.opponent_offers_
        if len(offers) < 2:
            return my_rate  # uninformed: assume it concedes as we do
        return abs(offers[-1] - offers[-2])

    def choose(self, state: SAOState, offer: float, counter: float) -> str:
        if self.last_offer_ is None:
            # Decisions start after the first round of offers (section 3.2): both
            # sides open by the offer rules first.
            return "counter"
        if self.valuation == "zone" and not isinstance(self.user_, ZoneUtility):
            # Both sides have opened: every deal from now on lies between the two openings.
            self.user_ = ZoneUtility(self.role_, self.ideal_, self.limit_, self.prefs, self.std_price_,
                                     best=self.my_offers_[0], worst=self.opponent_offers_[0])
        n_steps = self.nmi.n_steps
        rounds_left = float("inf") if n_steps is None else n_steps - 1 - state.step
        answered = rounds_left > 0 or self.role_ == "buyer"
        answer = self.opponent_answer(offer, counter)
        my_rate = self.concession_scale * delta(self.role_, self.prefs, counter, self.preferred_, self.limit)
        meeting = meeting_point(offer, counter, my_rate, self.opponent_rate(my_rate), self.limit,
                                self.opponent_limit())
        table = utility_table(self.user, offer, counter, meeting, rounds_left)
        if not answered:  # our counter would come after the deadline
            table["counter"]["accept"] = table["counter"]["reject"]
        action, eu = self.diagram_.decide(table, answer)
        self.last_eu_ = eu
        return action


class Approach3(Approach2):
    """Approach 2 with a Bayesian model of the opponent's answers."""

    def _reset_match_state(self) -> None:
        super()._reset_match_state()
        self.model_: OpponentModel | None = None
        self.updates_ = 0

    def on_opponent_offer(self, state: SAOState, offer: float) -> None:
        if self.model_ is None:
            opponent = "seller" if self.role_ == "buyer" else "buyer"
            # I-Help agents run one mechanism: the model assumes the opponent concedes as we do.
            self.model_ = OpponentModel(opponent, self.std_price_, offer, self.concession_scale)
        else:
            # A new offer means it countered our last counter-offer.
            self.updates_ += self.model_.observe("counter")

    def model(self) -> OpponentModel:
        """The opponent model (``on_opponent_offer`` builds it at the opponent's first offer)."""
        assert self.model_ is not None, "the opponent model is built at its first offer, before any decision"
        return self.model_

    def opponent_answer(self, offer: float, counter: float) -> dict[str, float]:
        return self.model().predict(counter, offer)

    def opponent_limit(self) -> float | None:
        """The model's expected limit of the opponent (set by the prediction made just before)."""
        return self.model().expected_limit_

    def opponent_rate(self, my_rate: float) -> float:
        """The model's expected next concession (set by the prediction made just before)."""
        expected = self.model().expected_next_
        return 0.0 if expected is None else abs(expected - self.opponent_offers_[-1])
