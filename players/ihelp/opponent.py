"""Approach 3's probabilistic model of the opponent (section 3.2, Fig. 16.2).

A Bayesian network (pyAgrum) with the opponent's hidden preference model as
conditional nodes -- ``urgency`` (3 states), ``money`` importance (3), ``risk``
behaviour (2) and its price ``limit`` (a grid of ``LIMIT_GRID`` times the
standard price) -- and the opponent's answer to our counter-offer (accept /
reject / counter) as their child. Summing the hidden nodes out (pyAgrum's
``LazyPropagation``; the paper reduces the diagram by arc reversal and barren
node removal, which gives the same marginal) yields P(opponent's action), the
chance node of the decision diagram.

Created after the first round and "assessed on the basis of the first offer":
the prior of ``limit`` is uniform over the limits at or beyond that offer
(nobody offers past its limit), the other hidden nodes start uniform, and a
``first_offer`` evidence node weighs every hidden type by how well the
paper's opening rule (``steps.opening_offer``, the type's limit standing in
for its unknown preferred price) explains the offer seen: a Gaussian
likelihood with a spread of ``OPENING_SPREAD`` times the standard price (our
choice), floored so that no type is ruled out. After each counter we
predict the opponent's answer (the most probable action); when its actual
move differs from the prediction, Bayes' rule updates the model: the round's
conditional table and the observed action become an evidence node of the
network, so the posterior over the hidden nodes is the prior times the
likelihoods of every mismatched move, renormalised.

How a hidden type answers our counter ``c`` (our choice; the paper does not
give the network's tables): it would next offer ``q``, its last offer moved by
its own Delta (``players.ihelp.steps``, with its limit for R) toward its
limit. It accepts ``c`` if ``c`` is within its limit and at least as good for
it as ``q``; it rejects, with probability ``REJECT_AT_LIMIT[urgency]``, when
``c`` is past its limit and it has no room left to concede; otherwise it
counters. Every answer keeps probability ``NOISE`` so that no move is
impossible under any type.

Cost (bench/bench_ihelp.py on this machine): about 0.5-1 ms per prediction,
up to ~3-5 ms with six mispredicted moves as evidence nodes; the network is
rebuilt per prediction, which keeps it exactly the prior times the stored
likelihoods.
"""

from __future__ import annotations

import numpy as np
import pyagrum as gum

from players.ihelp.decision import ACTIONS
from players.ihelp.steps import MONEY_SCALE, URGENCY_SCALE, within_limit
from tourney.worlds.ihelp import MONEY_IMPORTANCE, RISK, URGENCY

LIMIT_GRID = tuple(round(0.3 + 0.1 * i, 2) for i in range(18))  # 0.3 .. 2.0 times the standard price
REJECT_AT_LIMIT = {"not urgent": 0.8, "urgent": 0.5, "very urgent": 0.2}
NOISE = 0.05
OPENING_SPREAD = 0.03
HIDDEN = (("urgency", URGENCY), ("money", MONEY_IMPORTANCE), ("risk", RISK))


TYPE_SHAPE = (len(URGENCY), len(MONEY_IMPORTANCE), len(RISK), len(LIMIT_GRID))


def _delta_grid(opponent_role: str, limits: np.ndarray, last_offer: float) -> np.ndarray:
    """Every hidden type's Delta (``steps.delta`` with R = its limit), axes (u, m, r, limit)."""
    scale = np.array([[URGENCY_SCALE[u] * MONEY_SCALE[m] for m in MONEY_IMPORTANCE] for u in URGENCY])
    if opponent_role == "buyer":
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(limits > 0, 1.0 - np.exp(-last_offer / limits), 0.0)
        base = np.stack([share * np.maximum(limits - last_offer, 0.0)] * len(RISK))
    else:
        by_risk = {"seeking": np.sqrt(np.maximum(limits, 0.0)),
                   "averse": np.log(np.maximum(limits, 1e-300))}
        base = np.stack([by_risk[r] for r in RISK])
    return scale[:, :, None, None] * np.maximum(base, 0.0)[None, None, :, :]


def planned_offers(
    opponent_role: str, std_price: float, last_offer: float, concession_scale: float = 1.0
) -> np.ndarray:
    """Each hidden type's next offer after ``last_offer`` (``steps.next_offer``); axes (u, m, r, limit).

    A type concedes ``concession_scale`` times its Delta (the Approach 2/3 rule).
    """
    limits = np.array(LIMIT_GRID) * std_price
    step = concession_scale * _delta_grid(opponent_role, limits, last_offer)
    if opponent_role == "buyer":
        feasible = last_offer <= limits + 1e-9
        moved = np.maximum(np.minimum(last_offer + step, limits), last_offer)
    else:
        feasible = last_offer >= limits - 1e-9
        moved = np.minimum(np.maximum(last_offer - step, limits), last_offer)
    # A type whose limit the offer already passes could not have made it; it would stay put.
    return np.where(feasible, moved, last_offer)


def answer_table(
    opponent_role: str, std_price: float, counter: float, last_offer: float, concession_scale: float = 1.0
) -> np.ndarray:
    """P(answer | urgency, money, risk, limit) for our counter; axes (u, m, r, limit, answer)."""
    limits = np.array(LIMIT_GRID) * std_price
    planned = planned_offers(opponent_role, std_price, last_offer, concession_scale)
    if opponent_role == "buyer":
        acceptable = (counter <= limits + 1e-9) & (counter <= planned + 1e-9)
        feasible = counter <= limits + 1e-9
    else:
        acceptable = (counter >= limits - 1e-9) & (counter >= planned - 1e-9)
        feasible = counter >= limits - 1e-9
    at_limit = np.abs(planned - limits) < 1e-9
    quits = np.array([REJECT_AT_LIMIT[u] for u in URGENCY])[:, None, None, None]
    stuck = ~acceptable & ~feasible & at_limit
    accept = acceptable.astype(float)
    reject = np.where(stuck, quits, 0.0)
    counter_p = 1.0 - accept - reject
    order = [("accept", "reject", "counter").index(a) for a in ACTIONS]
    table = np.stack([accept, reject, counter_p], axis=-1)[..., order]
    return (1.0 - len(ACTIONS) * NOISE) * table + NOISE


def opening_offers(opponent_role: str, std_price: float) -> np.ndarray:
    """Each hidden type's opening offer by the paper's rule; axes (u, m, r, limit)."""
    limits = np.array(LIMIT_GRID) * std_price
    if opponent_role == "buyer":
        base = np.where(limits > std_price, std_price, limits)
    else:
        base = np.where(limits > std_price, limits, std_price)
    out = np.empty(TYPE_SHAPE)
    for il, (limit, b) in enumerate(zip(limits, base)):
        step = _delta_grid(opponent_role, np.array([limit]), float(b))[..., 0]
        out[..., il] = np.minimum(b - step, limit) if opponent_role == "buyer" else np.maximum(b + step, limit)
    return out


def opening_likelihood(opponent_role: str, std_price: float, first_offer: float) -> np.ndarray:
    """P(first offer seen | type), up to a constant; axes (u, m, r, limit)."""
    spread = OPENING_SPREAD * std_price
    z = (opening_offers(opponent_role, std_price) - first_offer) / spread
    return np.maximum(np.exp(-0.5 * z * z), 1e-6)


def limit_prior(opponent_role: str, std_price: float, first_offer: float) -> np.ndarray:
    """Uniform over the limits the opponent's first offer allows."""
    allowed = np.array([within_limit(opponent_role, first_offer, k * std_price) for k in LIMIT_GRID], float)
    if allowed.sum() == 0:
        allowed[:] = 1.0
    return allowed / allowed.sum()


class OpponentModel:
    """Beliefs about one opponent during one negotiation."""

    def __init__(
        self, opponent_role: str, std_price: float, first_offer: float, concession_scale: float = 1.0
    ) -> None:
        self.opponent_role = opponent_role
        self.concession_scale = concession_scale
        self.std_price = std_price
        self.first_offer = first_offer
        self.evidence_: list[tuple[np.ndarray, int]] = []
        self.pending_: tuple[np.ndarray, str] | None = None
        self.expected_next_: float | None = None
        self.expected_limit_: float | None = None

    def _network(self, tables: list[np.ndarray]) -> gum.BayesNet:
        bn = gum.BayesNet("opponent")
        for name, states in HIDDEN:
            bn.add(gum.LabelizedVariable(name, name, list(states)))
            bn.cpt(name).fillWith([1.0 / len(states)] * len(states))
        bn.add(gum.LabelizedVariable("limit", "limit / std price", [f"{k:g}" for k in LIMIT_GRID]))
        bn.cpt("limit").fillWith(limit_prior(self.opponent_role, self.std_price, self.first_offer).tolist())
        axes = ["urgency", "money", "risk", "limit"]
        likelihood = opening_likelihood(self.opponent_role, self.std_price, self.first_offer)
        bn.add(gum.LabelizedVariable("first_offer", "the opening seen", ["seen", "other"]))
        for parent in axes:
            bn.addArc(parent, "first_offer")
        names = bn.cpt("first_offer").names
        table = np.stack([likelihood, 1.0 - likelihood], axis=-1)
        order = [(axes + ["first_offer"]).index(n) for n in reversed(names)]
        bn.cpt("first_offer").fillWith(np.transpose(table, order).ravel().tolist())
        for i, table in enumerate(tables):
            node = f"answer{i}"
            bn.add(gum.LabelizedVariable(node, "opponent's answer", list(ACTIONS)))
            for parent in axes:
                bn.addArc(parent, node)
            names = bn.cpt(node).names  # pyAgrum stores the reversed axis order
            order = [(axes + [node]).index(n) for n in reversed(names)]
            bn.cpt(node).fillWith(np.transpose(table, order).ravel().tolist())
        return bn

    def _inference(self, extra: list[np.ndarray]) -> tuple[gum.BayesNet, gum.LazyPropagation]:
        tables = [t for t, _ in self.evidence_] + extra
        bn = self._network(tables)
        inference = gum.LazyPropagation(bn)
        evidence: dict[str, int | str] = {f"answer{i}": obs for i, (_, obs) in enumerate(self.evidence_)}
        evidence["first_offer"] = "seen"
        inference.setEvidence(evidence)
        inference.makeInference()
        return bn, inference

    def predict(self, counter: float, last_offer: float) -> dict[str, float]:
        """P(opponent's answer to ``counter``), remembered until ``observe``."""
        table = answer_table(self.opponent_role, self.std_price, counter, last_offer, self.concession_scale)
        _, inference = self._inference([table])
        posterior = np.asarray(inference.posterior(f"answer{len(self.evidence_)}").toarray())
        probs = {a: float(p) for a, p in zip(ACTIONS, posterior)}
        predicted = max(ACTIONS, key=lambda a: probs[a])
        self.pending_ = (table, predicted)
        self.expected_next_ = self._expected(inference, planned_offers(
            self.opponent_role, self.std_price, last_offer, self.concession_scale))
        limits = np.asarray(inference.posterior("limit").toarray())
        self.expected_limit_ = self.std_price * float(np.dot(limits, LIMIT_GRID))
        return probs

    @staticmethod
    def _expected(inference: gum.LazyPropagation, values: np.ndarray) -> float:
        """E[values] under the posterior over the hidden nodes."""
        axes = ["urgency", "money", "risk", "limit"]
        joint = inference.jointPosterior(set(axes))
        names = list(joint.names)
        array = np.asarray(joint.toarray())  # axes in reversed ``names`` order
        array = np.transpose(array, [list(reversed(names)).index(a) for a in axes])
        return float((array * values).sum() / array.sum())

    def observe(self, answer: str) -> bool:
        """Record the opponent's actual answer to our last counter; True if it updated the model."""
        if self.pending_ is None:
            return False
        table, predicted = self.pending_
        self.pending_ = None
        if answer == predicted:
            return False
        self.evidence_.append((table, ACTIONS.index(answer)))
        return True

    def posterior(self, node: str) -> dict[str, float]:
        """The current belief about one hidden node."""
        _, inference = self._inference([])
        p = np.asarray(inference.posterior(node).toarray())
        states = dict(HIDDEN).get(node) or [f"{k:g}" for k in LIMIT_GRID]
        return {s: float(v) for s, v in zip(states, p)}
