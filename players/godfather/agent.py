"""``GodfatherAgent``: the SCML OneShot agent of the paper on scml 0.8's API.

Each day, for every running negotiation ``x`` the agent predicts the outcomes
of the other negotiations (``predictor``: empirical or GBM), turns the SCML
utility into a marginal utility of ``x`` by Algorithm 1 (``marginal.py``),
estimates the opponent's marginal utility (goldfish, ``opponent.py``) and
negotiates by Pareto aspiration toward the Nash point (``pareto.py``).

Model hacks (Section 4): an ended negotiation's outcome gets probability 1;
so does the outcome we are about to cause when we accept or end a
negotiation. Marginal utilities are recomputed whenever a hack changes a
prediction, so a static predictor becomes dynamic. The GBM predictor reads
the negotiation traces, so its predictions are refreshed every
``refresh_every`` rounds; at each refresh, Algorithm 2 runs
``introspection_rounds`` times (predictions -> marginal utilities ->
predictions), starting from the empirical predictions.

Choices where the paper is silent:

- Utilities are evaluated on a grid: every quantity of the issue and
  ``price_points`` evenly spaced prices (ends included); an offer off the grid
  is valued by linear interpolation over price at its quantity.
- When no outcome has positive marginal utility (we have covered our needs),
  the agent ends the negotiation instead of proposing.
- Acceptance compares the offer's marginal utility with the target at the
  time of our next offer, as the paper's time estimate counts our offers.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from negmas import ResponseType
from scml.oneshot.agent import OneShotAgent

from players.godfather.features import FEATURES, mu_polynomial, scale_price
from players.godfather.marginal import expected_marginal_utility
from players.godfather.opponent import goldfish_utility
from players.godfather.pareto import LAMBDA, NASH_WEIGHT, ParetoAspiration, relative_time
from players.godfather.predictors import EmpiricalPredictor, GBMPredictor
from tourney.params import NONE, Interval, Options, OfType

QUANTITY, TIME, UNIT_PRICE = 0, 1, 2
SYSTEM_AGENTS = ("SELLER", "BUYER")


class GodfatherAgent(OneShotAgent):
    """Godfather (Goldfish): marginal utilities + Pareto aspiration toward Nash."""
    plays = {"oneshot": "*"}  # every factory slot

    param_constraints = {
        "predictor": [Options(["empirical", "gbm"])],
        "n_samples": [Interval(int, 1, None)],
        "disagreement_prior": [Interval(float, 0, None)],
        "price_points": [Interval(int, 2, None)],
        "lam": [Interval(float, 0, None, closed="neither")],
        "nash_weight": [Interval(float, 0, 1)],
        "refresh_every": [Interval(int, 1, None)],
        "introspection_rounds": [Interval(int, 1, None)],
        "model_hacks": [OfType(bool)],
        "model_dir": [NONE, OfType(str)],
        "record_dir": [NONE, OfType(str)],
        "seed": [NONE, Interval(int, 0, None)],
    }

    def __init__(
        self,
        *args: Any,
        predictor: str = "empirical",
        n_samples: int = 12,
        disagreement_prior: float = 1.0,
        price_points: int = 6,
        lam: float = LAMBDA,
        nash_weight: float = NASH_WEIGHT,
        refresh_every: int = 5,
        introspection_rounds: int = 1,
        model_hacks: bool = True,
        model_dir: str | None = None,
        record_dir: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.predictor = predictor
        self.n_samples = n_samples
        self.disagreement_prior = disagreement_prior
        self.price_points = price_points
        self.lam = lam
        self.nash_weight = nash_weight
        self.refresh_every = refresh_every
        self.introspection_rounds = introspection_rounds
        self.model_hacks = model_hacks
        self.model_dir = model_dir
        self.record_dir = record_dir
        self.seed = seed

    # --- life cycle ---
    def init(self) -> None:
        self.rng_ = np.random.default_rng(self.seed)
        self.empirical_ = EmpiricalPredictor(self.disagreement_prior)
        self.gbm_ = GBMPredictor(self.model_dir) if self.predictor == "gbm" else None
        self.records_: list[list[float]] = []
        self.signed_ = 0

    def before_step(self) -> None:
        self.finals_: dict[str, Any] = {}
        self.utility_cache_: dict[tuple, float] = {}
        self.offers_made_: dict[str, int] = defaultdict(int)
        self.last_opp_: dict[str, tuple[int, int]] = {}
        self.last_mine_: dict[str, tuple[int, int]] = {}
        self.n_offers_: dict[str, int] = defaultdict(int)
        self.grids_: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.mu_: dict[str, np.ndarray] = {}
        self.strategies_: dict[str, ParetoAspiration] = {}
        self.predictions_: dict[str, list] = {}
        self.stale_ = True
        self.refreshed_at_ = -1
        self.pending_rows_: dict[str, list[list[float]]] = defaultdict(list)
        # read once a day: the awi builds these lists on every access, and the utility below
        # asks for them a million times a world
        self.consumers_ = frozenset(self.awi.my_consumers)
        self.day_ = self.awi.current_step

    def step(self) -> None:
        if self.record_dir and self.awi.current_step == self.awi.n_steps - 1 and self.records_:
            path = Path(self.record_dir) / f"{self.id}-{self.rng_.integers(1 << 62)}.npy"
            np.save(path, np.asarray(self.records_, dtype=float))

    # --- who we negotiate with today ---
    def partners(self) -> list[str]:
        return [
            p
            for p in list(self.awi.my_suppliers) + list(self.awi.my_consumers)
            # a partner may have no negotiation today (scml's get_nmi raises then)
            if p not in SYSTEM_AGENTS and p in self.negotiators and self.get_nmi(p) is not None
        ]

    def is_seller_to(self, partner: str) -> bool:
        consumers = getattr(self, "consumers_", None)  # None before the first day starts
        return partner in (self.awi.my_consumers if consumers is None else consumers)

    def grid(self, partner: str) -> tuple[np.ndarray, np.ndarray]:
        """Quantities and prices of ``partner``'s issue grid."""
        if partner not in self.grids_:
            issues = self.get_nmi(partner).issues
            quantities = np.arange(issues[QUANTITY].min_value, issues[QUANTITY].max_value + 1)
            low, high = issues[UNIT_PRICE].min_value, issues[UNIT_PRICE].max_value
            prices = np.unique(np.round(np.linspace(low, high, self.price_points)).astype(int))
            self.grids_[partner] = (quantities, prices)
        return self.grids_[partner]

    # --- the SCML utility of a set of outcomes ---
    def utility(self, outcomes: dict[str, Any]) -> float:
        day = self.day_  # the ufun ignores offers for other days
        consumers = self.consumers_
        # The same sets of outcomes recur across negotiations, samples and
        # refreshes of a day: evaluate each set once.
        key = tuple(sorted([(partner in consumers, (int(outcome[0]), day, int(outcome[1])))
                            for partner, outcome in outcomes.items() if outcome is not None and outcome[0] > 0]))
        value = self.utility_cache_.get(key)
        if value is None:
            value = float(self.ufun.from_offers(tuple(o for _, o in key), tuple(out for out, _ in key)))
            self.utility_cache_[key] = value
        return value

    # --- predictions (with the model hacks) ---
    def prediction(self, partner: str) -> list:
        if self.model_hacks and partner in self.finals_:
            return [(self.finals_[partner], 1.0)]
        return self.predictions_.get(partner) or self.empirical_.predict(partner)

    def marginal_utilities(self, partners: list[str]) -> None:
        for x in partners:
            if self.model_hacks and x in self.finals_:
                continue
            quantities, prices = self.grid(x)
            grid = [(int(q), int(p)) for q in quantities for p in prices]
            others = {y: self.prediction(y) for y in partners if y != x}
            mu = expected_marginal_utility(x, grid, self.utility, others, self.n_samples, self.rng_)
            self.mu_[x] = mu.reshape(len(quantities), len(prices))

    def gbm_rows(self, partners: list[str]) -> np.ndarray:
        return np.asarray([self.features(p) for p in partners], dtype=float)

    def refresh(self, round_: int) -> None:
        partners = [p for p in self.partners() if not (self.model_hacks and p in self.finals_)]
        every = self.refresh_every if self.gbm_ is not None else None
        due = self.stale_ or (every is not None and round_ - self.refreshed_at_ >= every)
        if not due:
            return
        everyone = self.partners()
        if self.gbm_ is None:
            self.marginal_utilities(everyone)
        else:
            self.predictions_ = {}
            self.marginal_utilities(everyone)  # Algorithm 2, line 1: empirical start
            for _ in range(self.introspection_rounds):
                if partners:
                    rows = self.gbm_rows(partners)
                    ranges = [tuple(self.grid(p)[1][[0, -1]]) for p in partners]
                    q_max = [int(self.grid(p)[0][-1]) for p in partners]
                    for p, dist in zip(partners, self.gbm_.predict_many(rows, ranges, q_max)):
                        self.predictions_[p] = dist
                self.marginal_utilities(everyone)
        for x in everyone:
            if x in self.mu_ and not (self.model_hacks and x in self.finals_):
                self.strategies_[x] = self.strategy(x)
        self.stale_ = False
        self.refreshed_at_ = round_

    def strategy(self, partner: str) -> ParetoAspiration:
        quantities, prices = self.grid(partner)
        mu = self.mu_[partner]
        q = np.repeat(quantities, len(prices)).astype(float)
        p = np.tile(prices, len(quantities)).astype(float)
        seller = not self.is_seller_to(partner)  # the opponent sells when it is our supplier
        last = self.last_opp_.get(partner)
        exo_q = last[0] if last else (quantities[0] + quantities[-1]) / 2
        opp_level = self.awi.level + (1 if self.is_seller_to(partner) else -1)
        tp = self.awi.trading_prices
        product = opp_level  # an agent at level l turns product l into l + 1
        u_opp = goldfish_utility(q, p, seller, opp_level, exo_q, float(tp[product]), float(tp[product + 1]))
        d_opp = float(goldfish_utility(np.zeros(1), np.zeros(1), seller, opp_level, exo_q,
                                       float(tp[product]), float(tp[product + 1]))[0])
        return ParetoAspiration(mu.ravel(), u_opp, 0.0, d_opp, self.lam, self.nash_weight)

    def value(self, partner: str, offer: tuple) -> float:
        """Marginal utility of an offer, interpolated over price at its quantity."""
        quantities, prices = self.grid(partner)
        row = int(np.clip(offer[QUANTITY] - quantities[0], 0, len(quantities) - 1))
        return float(np.interp(offer[UNIT_PRICE], prices, self.mu_[partner][row]))

    def turn(self, partner: str) -> float:
        n_turns = 2 * (self.get_nmi(partner).n_steps or 20)
        return relative_time(self.offers_made_[partner], n_turns)

    # --- negotiation callbacks ---
    def propose(self, negotiator_id: str, state: Any, source: Any = None) -> tuple | None:
        partner = negotiator_id
        self.refresh(state.step)
        strategy = self.strategies_.get(partner)
        if strategy is None or strategy.u_max <= 0:
            return None
        quantities, prices = self.grid(partner)
        index = strategy.offer(self.turn(partner))
        q, p = int(quantities[index // len(prices)]), int(prices[index % len(prices)])
        self.offers_made_[partner] += 1
        self.n_offers_[partner] += 1
        self.last_mine_[partner] = (q, p)
        self.record_row(partner)
        return (q, self.awi.current_step, p)

    def respond(self, negotiator_id: str, state: Any, source: Any = None) -> ResponseType:
        partner = negotiator_id
        offer = state.current_offer
        if offer is None:
            return ResponseType.REJECT_OFFER
        self.last_opp_[partner] = (int(offer[QUANTITY]), int(offer[UNIT_PRICE]))
        self.n_offers_[partner] += 1
        self.refresh(state.step)
        strategy = self.strategies_.get(partner)
        if strategy is None or strategy.u_max <= 0:
            self.settle(partner, None)
            return ResponseType.END_NEGOTIATION
        if strategy.acceptable(self.value(partner, offer), self.turn(partner)):
            self.settle(partner, (int(offer[QUANTITY]), int(offer[UNIT_PRICE])))
            return ResponseType.ACCEPT_OFFER
        return ResponseType.REJECT_OFFER

    def settle(self, partner: str, outcome: Any) -> None:
        """Model hack 2 (and 1, from the callbacks): the outcome is now certain."""
        if self.finals_.get(partner, "unset") != outcome:
            self.finals_[partner] = outcome
            self.stale_ = True

    def on_negotiation_success(self, contract: Any, mechanism: Any) -> None:
        annotation = contract.annotation
        partner = annotation["buyer"] if annotation["seller"] == self.id else annotation["seller"]
        outcome = (int(contract.agreement["quantity"]), int(contract.agreement["unit_price"]))
        self.signed_ += 1
        self.finish(partner, outcome)

    def on_negotiation_failure(self, partners: list[str], annotation: Any, mechanism: Any, state: Any) -> None:
        for partner in partners:
            if partner != self.id:
                self.finish(partner, None)

    def finish(self, partner: str, outcome: Any) -> None:
        self.settle(partner, outcome)
        self.empirical_.observe(partner, outcome)
        if self.record_dir:
            low, high = self.grid(partner)[1][[0, -1]] if partner in self.grids_ else (0, 1)
            q = 0 if outcome is None else outcome[0]
            p = -1.0 if outcome is None else scale_price(outcome[1], low, high)
            for row in self.pending_rows_.pop(partner, []):
                # labels, then the price issue's range (to report the price error in price units)
                self.records_.append(row + [q, p, float(low), float(high)])

    # --- GBM features and self-play records ---
    def features(self, partner: str) -> list[float]:
        awi = self.awi
        quantities, prices = self.grid(partner)
        low, high = float(prices[0]), float(prices[-1])
        seller = self.is_seller_to(partner)
        side = [p for p in self.partners() if self.is_seller_to(p) == seller]
        summary = awi.exogenous_contract_summary
        competitiveness = float(summary[0][0] - summary[-1][0]) if summary else 0.0
        if seller:
            needed = awi.current_exogenous_input_quantity - sum(
                o[0] for p, o in self.finals_.items() if o is not None and self.is_seller_to(p))
        else:
            needed = awi.current_exogenous_output_quantity - sum(
                o[0] for p, o in self.finals_.items() if o is not None and not self.is_seller_to(p))
        opp = self.last_opp_.get(partner, (0, low))
        mine = self.last_mine_.get(partner, (0, low))
        emp_agree, emp_q, emp_p = self.empirical_.summary(partner)
        mu = self.mu_.get(partner)
        coeffs = mu_polynomial(quantities, mu.max(axis=1)) if mu is not None else [0.0] * 4
        n_turns = 2 * (self.get_nmi(partner).n_steps or 20)
        row = [
            awi.current_step / max(awi.n_steps, 1), awi.level, float(seller), len(side),
            competitiveness, float(needed),
            self.n_offers_[partner] / n_turns, opp[0], scale_price(opp[1], low, high),
            mine[0], scale_price(mine[1], low, high), self.n_offers_[partner],
            emp_agree, emp_q, scale_price(emp_p, low, high) if emp_q else 0.0, *coeffs,
        ]
        assert len(row) == len(FEATURES)
        return row

    def record_row(self, partner: str) -> None:
        if self.record_dir:
            self.pending_rows_[partner].append(self.features(partner))


class GodfatherGBMAgent(GodfatherAgent):
    """Godfather with the GBM outcome predictor (its own class, so SCML names it apart)."""

    # ``seed`` is named so the world passes one (it seeds only the parameters a class names);
    # without it the GBM agent's draws came from the OS and no two runs agreed
    def __init__(self, *args: Any, predictor: str = "gbm", seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, predictor=predictor, seed=seed, **kwargs)
