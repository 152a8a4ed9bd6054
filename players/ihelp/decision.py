"""The decision influence diagram of Approaches 2 and 3 (Fig. 16.1), solved by pyAgrum.

One decision node ``action`` (accept / reject / counter), one chance node
``opponent`` (the opponent's answer to a counter-offer: accept / reject /
counter) and one utility node ``U(action, opponent)``. The agent takes the
action of maximum expected utility. Approach 2 gives ``opponent`` equal
probabilities; Approach 3 takes them from its opponent model.

pyAgrum's ``InfluenceDiagram`` and ``ShaferShenoyLIMIDInference`` solve it
(measured: about 0.2 ms per decision on this machine, small beside a
negotiation round).

The utilities (the paper says only that they depend on the role and vary with
risk behaviour, money importance and urgency; the numbers are our choice):

- money gain of a price ``p``: ``g = (limit - p) / (limit - ideal)`` clipped to
  [0, 1] (1 at the user's ideal price, 0 at its limit; a price past the limit
  is infeasible);
- risk shape: ``sqrt(g)`` for a risk-averse user (concave), ``g^2`` for a risk
  seeker (convex);
- a deal at ``p`` is worth ``w * shape(g) + (1 - w)``, with ``w`` the weight
  of money (low 0.3, medium 0.5, high 0.8);
- no deal is worth the user's outside option, discounted by its urgency ``e``
  (not urgent 0.2, urgent 0.5, very urgent 0.9): ``(1 - e) deal(std_price)``.
  In I-Help a helpee whose negotiation fails moves on to the next helper on
  the matchmaker's list (section 2), and a helper waits for the next request,
  both at about the standard price but later; an urgent user loses most by
  waiting. When the standard price is past the user's limit the outside
  option has no money part: ``(1 - e)(1 - w)``. This is what lets an agent
  reject "deals that are not profitable" (section 4.2);
- an infeasible deal is worth ``INFEASIBLE`` (-1), below anything else;
- each further round costs ``0.005 + 0.015 e`` (small beside the money at
  stake, but enough that a concession worth less than two rounds is taken now);
- U(accept, .) = deal(offer); U(reject, .) = no deal;
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


@dataclass(frozen=True)
class UserUtility:
    """The utility side of a user's preference model."""

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
        shaped = math.sqrt(g) if self.prefs.risk == "averse" else g * g
        w = self.money_weight
        return w * shaped + (1.0 - w)

    def no_deal(self) -> float:
        outside = 1.0 - self.money_weight
        if self.std_price is not None:
            outside = max(outside, self.deal(self.std_price))
        return (1.0 - self.urgency) * outside

    def round_cost(self) -> float:
        return 0.005 + 0.015 * self.urgency


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
        diagram = gum.InfluenceDiagram()
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
        self.diagram.cpt(self.chance).fillWith([opponent[o] for o in ACTIONS])
        u = self.diagram.utility(self.utility)
        for action in ACTIONS:
            u[{"action": action}] = [[table[action][o]] for o in ACTIONS]
        inference = gum.ShaferShenoyLIMIDInference(self.diagram)
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
