"""The decision influence diagram of Approaches 2 and 3 (Fig. 16.1), solved by pyAgrum.

One decision node ``action`` (accept / reject / counter), one chance node
``opponent`` (the opponent's answer to a counter-offer: accept / reject /
counter) and one utility node ``U(action, opponent)``. The agent takes the
action of maximum expected utility. Approach 2 gives ``opponent`` equal
probabilities; Approach 3 takes them from its opponent model.

pyAgrum's ``InfluenceDiagram`` and ``ShaferShenoyLIMIDInference`` solve it
(measured: about 0.2 ms per decision on this machine, small beside a
negotiation round).

The utility node (the paper says only that the utilities depend on the role
and vary with risk behaviour, money importance and urgency, and that an ID
"allows tradeoffs in one area against costs in another"; the numbers are
ours). Two valuations, chosen by the negotiators' ``valuation`` param:

``ZoneUtility`` ("zone", the reproduction's; issue 21), fixed from what the
paper does say:

- money gain of a price ``p``: ``g = (worst - p) / (worst - best)`` clipped to
  [0, 1], with ``best`` the agent's own opening and ``worst`` the opponent's
  opening. Decision analysis scales a utility from the worst to the best
  consequence *of the decision at hand*; the paper's agents decide (and model
  the opponent) only "after the first round of offers", and from then on
  every deal of the monotone protocol (section 4.1: no side goes back on an
  offer) lies between the two openings. A price past the user's limit is
  infeasible (``INFEASIBLE``);
- risk shape: ``sqrt(g)`` for a risk-averse user (concave), ``g^2`` for a risk
  seeker (convex);
- a deal is worth ``w * shape(g) + (1 - w)``: money weighted by the money
  importance ``w`` (low 0.3, medium 0.5, high 0.8), the rest is the help
  obtained (buyer) or the payment and credit for helping (seller);
- no deal is the I-Help market's outside option (section 2): the helpee's
  agent "starts a negotiation with the second agent on the list", at about
  the matchmaker's standard price, "which provides some measure for the
  actual worth of the resource"; the helper waits for the next request.
  The money part is the standard price's (the user's limit if the standard
  price is past it), the help part comes later, discounted by the urgency
  ``e`` (not urgent 0.2, urgent 0.5, very urgent 0.9):
  ``w * shape(g(std_price)) + (1 - w)(1 - e)``. So a user who cares about
  money and is in no hurry holds out for a price near the market's, an
  urgent one takes what it gets;
- no cost per round (the paper names none; its time sensitivity is the
  urgency above and the deadline).

``IdealLimitUtility`` ("ideal-limit", session 1's, kept for the setting
comparison in ``tourney.reproduce.ihelp_setting``): ``g = (limit - p) /
(limit - ideal)`` over the world's ideal price and limit (about 18 ICU wide
while the openings lie a few ICU apart: flat near the openings, so a 10 %
better price is worth about 0.04); no deal ``(1 - e) max(1 - w,
deal(std_price))``; each round costs ``0.005 + 0.015 e``.

Both: U(accept, .) = deal(offer); U(reject, .) = no deal;
U(counter, accept) = deal(counter) - cost; U(counter, reject) = no deal - cost;
U(counter, counter) = the value of going on: if both sides keep conceding
at their current rates (ours: our next Delta; the opponent's: its last
concession for Approach 2, the model's expected next concession for
Approach 3), each stopping at its limit (ours; the opponent's only for
Approach 3, the model's expected limit), the offers meet after ``k``
rounds (``gap / (our rate + its rate)`` when neither stops first); going
on is worth ``max(deal(meeting price), no deal) - (k + 1) cost``, or ``no
deal - cost`` when they would not meet before the deadline (or at all).
The paper's diagram has no such node; a one-step look-ahead made agents
walk away from opponents that concede slowly but surely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyagrum as gum

from tourney.worlds.ihelp import UserPreferences

ACTIONS = ("accept", "reject", "counter")
MONEY_WEIGHT = {"low": 0.3, "medium": 0.5, "high": 0.8}
URGENCY_LEVEL = {"not urgent": 0.2, "urgent": 0.5, "very urgent": 0.9}
INFEASIBLE = -1.0


def _shaped(prefs: UserPreferences, g: float) -> float:
    return math.sqrt(g) if prefs.risk == "averse" else g * g


@dataclass(frozen=True)
class UserUtility:
    """The utility side of a user's preference model: session 1's ideal-limit valuation."""

    role: str
    ideal: float
    limit: float
    prefs: UserPreferences
    std_price: float | None = None

    @property
    def money_weight(self) -> float:
        return MONEY_WEIGHT[self.prefs.money_importance]

    @property
    def urgency(self) -> float:
        return URGENCY_LEVEL[self.prefs.urgency]

    def feasible(self, price: float) -> bool:
        return price <= self.limit + 1e-9 if self.role == "buyer" else price >= self.limit - 1e-9

    def gain(self, price: float) -> float | None:
        """Money gain in [0, 1]; None past the limit."""
        span = self.limit - self.ideal
        g = (self.limit - price) / span
        if g < -1e-9:
            return None
        return min(max(g, 0.0), 1.0)

    def deal(self, price: float) -> float:
        g = self.gain(price)
        if g is None:
            return INFEASIBLE
        w = self.money_weight
        return w * _shaped(self.prefs, g) + (1.0 - w)

    def no_deal(self) -> float:
        outside = 1.0 - self.money_weight
        if self.std_price is not None:
            outside = max(outside, self.deal(self.std_price))
        return (1.0 - self.urgency) * outside

    def round_cost(self) -> float:
        return 0.005 + 0.015 * self.urgency


IdealLimitUtility = UserUtility


@dataclass(frozen=True)
class ZoneUtility(UserUtility):
    """The reproduction's valuation: money over the zone between the two openings (module docstring)."""

    best: float = 0.0   # the agent's own opening
    worst: float = 0.0  # the opponent's opening

    def gain(self, price: float) -> float | None:
        if not self.feasible(price):
            return None
        span = self.worst - self.best
        if abs(span) < 1e-12:
            return 1.0
        return min(max((self.worst - price) / span, 0.0), 1.0)

    def no_deal(self) -> float:
        w, e = self.money_weight, self.urgency
        market = self.std_price if self.std_price is not None else self.limit
        if not self.feasible(market):
            market = self.limit
        g = self.gain(market)
        return w * _shaped(self.prefs, g or 0.0) + (1.0 - w) * (1.0 - e)

    def round_cost(self) -> float:
        return 0.0


VALUATIONS = ("zone", "ideal-limit")


def meeting_point(
    offer: float,
    counter: float,
    my_rate: float,
    their_rate: float,
    my_limit: float | None = None,
    their_limit: float | None = None,
) -> tuple[float, float] | None:
    """(price, rounds) where two concession paths from ``counter`` (ours) and ``offer`` meet.

    Each side moves toward the other at its rate per round and stops at its
    limit (none given: no stop). None if they never meet.
    """
    gap = abs(offer - counter)
    toward_us = 1.0 if counter > offer else -1.0  # the direction the opponent moves in
    my_rate, their_rate = max(my_rate, 0.0), max(their_rate, 0.0)
    my_room = math.inf if my_limit is None else max(abs(my_limit - counter), 0.0)
    their_room = math.inf if their_limit is None else max((their_limit - offer) * toward_us, 0.0)
    reach = (my_room if my_rate > 0 else 0.0) + (their_room if their_rate > 0 else 0.0)
    if reach < gap - 1e-12:
        return None
    rate = my_rate + their_rate
    if rate <= 0.0:
        return None if gap > 1e-12 else (offer, 0.0)
    rounds = gap / rate
    if their_rate * rounds > their_room + 1e-12 and my_rate > 0:  # it stops first; we cover the rest
        rounds = (gap - their_room) / my_rate
    elif my_rate * rounds > my_room + 1e-12 and their_rate > 0:  # we stop first; it covers the rest
        rounds = (gap - my_room) / their_rate
    travelled = min(their_rate * rounds, their_room)
    return offer + toward_us * travelled, rounds


def utility_table(
    user: UserUtility, offer: float, counter: float, meeting: tuple[float, float] | None, rounds_left: float
) -> dict[str, dict[str, float]]:
    """U[action][opponent action] for one decision; ``meeting`` from ``meeting_point``."""
    cost = user.round_cost()
    none = user.no_deal()
    if meeting is not None and meeting[1] <= rounds_left:
        price, rounds = meeting
        later = max(user.deal(price), none) - (rounds + 1) * cost
    else:
        later = none - cost
    accept = user.deal(offer)
    return {
        "accept": {o: accept for o in ACTIONS},
        "reject": {o: none for o in ACTIONS},
        "counter": {"accept": user.deal(counter) - cost, "reject": none - cost, "counter": later},
    }


class DecisionDiagram:
    """The influence diagram of Fig. 16.1, built once and re-filled per decision."""

    def __init__(self) -> None:
        from pyagrum.influence_diagram import InfluenceDiagram  # pyagrum's lazily loaded submodule

        diagram = InfluenceDiagram()
        self.decision = diagram.addDecisionNode(gum.LabelizedVariable("action", "my action", list(ACTIONS)))
        self.chance = diagram.addChanceNode(gum.LabelizedVariable("opponent", "opponent's answer", list(ACTIONS)))
        self.utility = diagram.addUtilityNode(gum.LabelizedVariable("U", "utility", 1))
        diagram.addArc(self.decision, self.utility)
        diagram.addArc(self.chance, self.utility)
        self.diagram = diagram

    def expected_utilities(
        self, table: dict[str, dict[str, float]], opponent: dict[str, float]
    ) -> dict[str, float]:
        """EU of each action given U[action][opponent] and P(opponent)."""
        from pyagrum.influence_diagram import ShaferShenoyLIMIDInference

        self.diagram.cpt(self.chance).fillWith([opponent[o] for o in ACTIONS])
        u = self.diagram.utility(self.utility)
        for action in ACTIONS:
            u[{"action": action}] = [[table[action][o]] for o in ACTIONS]
        inference = ShaferShenoyLIMIDInference(self.diagram)
        inference.makeInference()
        posterior = inference.posteriorUtility(self.decision)
        return {a: float(posterior[{"action": a}]) for a in ACTIONS}

    def decide(self, table: dict[str, dict[str, float]], opponent: dict[str, float]) -> tuple[str, dict[str, float]]:
        """The action of maximum expected utility (ties: accept, then counter, then reject)."""
        eu = self.expected_utilities(table, opponent)
        order = ("accept", "counter", "reject")
        best = max(order, key=lambda a: (round(eu[a], 12), -order.index(a)))
        return best, eu


UNIFORM = {o: 1.0 / len(ACTIONS) for o in ACTIONS}
