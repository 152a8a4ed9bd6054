"""INSIGHT bidding worlds: sellers offer prices to a stream of impatient buyers.

Haddad, Bondarenko & Lew, *INSIGHT* (2023), sections 3.1 and 3.4. Every episode
a new buyer arrives with a private maximum price drawn uniformly from the
integer price range ``[low, high]``, which the sellers know. Each turn every
seller offers an integer price. One seller: the buyer accepts an offer at or
below its maximum price. Two sellers: the buyer takes the lowest acceptable
offer and breaks ties at random. After each rejected turn the buyer walks away
with a probability ("impatience") that grows every turn. A match is
``episodes`` buyers in a row met by the same seller objects, so learning
sellers learn inside the match.

The one- and two-seller games are two worlds, ``bidding`` (role ``seller``)
and ``bidding2`` (roles ``seller_a``, ``seller_b``), sharing every parameter:
roles belong to the world class (the schedule pairs players before it reads a
setting), so the number of sellers cannot be a setting.

Choices where the paper is silent, made here:

- Profit of a sale is ``price - unit_cost``; ``unit_cost`` defaults to
  ``low - 1``, so a sale at the lowest price earns 1 (section 5.2.3: a
  Q-seller offering the minimum price "earns $1").
- Impatience: after the k-th rejected turn (k = 1, 2, ...) the buyer walks away
  with probability ``min(1, impatience + (k - 1) * impatience_step)``; the
  defaults 0.1 and 0.1 follow the paper's "impatience factor of 0.1". A buyer
  also leaves after ``max_turns`` turns (with the defaults it is gone after 10
  rejections anyway).
- In the two-seller game both sellers offer at once each turn and see the
  rival's previous offer (section 3.3 puts the competitor's last offer in the
  Q-learner's state).
- The best joint outcome of the sellers is the optimum of one seller alone
  (two colluding sellers can do no better: the buyer only reacts to the lowest
  offer). We compute it exactly by backward induction over (lowest rejected
  price, turn), the "rollback" of section 3.2 whose numbers the paper left as
  "[Insert Sequence]"; Pareto efficiency is the sellers' combined profit per
  buyer over that optimum.

Sellers are plain Python objects with five methods (no negmas mechanism here:
a match is tens of thousands of short episodes)::

    begin_match(low, high, unit_cost, rivals, episodes)
    begin_episode()
    make_offer(rival_last) -> int      # rival_last: the rival's previous offer or None
    observe(rival_offer, profit, done) # after every turn: what the rival offered,
                                       # this seller's profit, whether the buyer is gone
    end_match()

Buyer draws use ``random.Random`` seeded from the match seed: a numpy draw per
turn would cost more than the rest of the turn.
"""

from __future__ import annotations

import math
import random
from functools import lru_cache
from typing import Any, ClassVar, Mapping, Sequence

from tourney.errors import PlayerFault
from tourney.params import NONE, Interval, OfType, Range
from tourney.seeding import derive_seed
from tourney.worlds.base import MatchContext, MatchResult, Seat, World

SELLER_METHODS = ("begin_match", "begin_episode", "make_offer", "observe", "end_match")
TRACE_EPISODES = 20  # offers kept for the last few episodes when tracing


def walk_probability(rejections: int, impatience: float, impatience_step: float) -> float:
    """Probability that the buyer walks away after its ``rejections``-th rejection (>= 1)."""
    return min(1.0, round(impatience + (rejections - 1) * impatience_step, 12))


@lru_cache(maxsize=64)
def optimal_single_seller(
    low: int, high: int, unit_cost: float, impatience: float, impatience_step: float, max_turns: int
) -> tuple[float, tuple[int, ...]]:
    """Expected profit per buyer of the best one-seller strategy, and its offers.

    Backward induction: with ``u`` the lowest price refused so far, the buyer's
    maximum is uniform on ``[low, u - 1]``; offering ``p`` sells with
    probability ``(u - p) / (u - low)``, otherwise the buyer stays with
    probability ``1 - walk`` and the game goes on from ``(p, turn + 1)``.
    """
    top = high + 1  # "nothing refused yet": the maximum is uniform on [low, high]
    value_next = [0.0] * (top + 1)  # value at turn max_turns: buyer gone
    choice: list[list[int]] = []
    for turn in range(max_turns - 1, -1, -1):
        stay = 1.0 - walk_probability(turn + 1, impatience, impatience_step)
        if turn == max_turns - 1:
            stay = 0.0
        value = [0.0] * (top + 1)
        best_p = [low] * (top + 1)
        for u in range(low + 1, top + 1):
            best, arg = -math.inf, low
            for p in range(low, u):
                v = ((u - p) * (p - unit_cost) + (p - low) * stay * value_next[p]) / (u - low)
                if v > best:
                    best, arg = v, p
            value[u], best_p[u] = best, arg
        choice.append(best_p)
        value_next = value
    choice.reverse()
    offers, u = [], top
    for turn in range(max_turns):
        if u <= low:
            break
        p = choice[turn][u]
        offers.append(p)
        u = p
    return value_next[top], tuple(offers)


def sequence_profit(
    offers: list[int], low: int, high: int, unit_cost: float, impatience: float,
    impatience_step: float, max_turns: int,
) -> float:
    """Expected profit per buyer of one seller offering a fixed price sequence
    (the last price repeated until the buyer leaves), computed exactly."""
    expected, present, u = 0.0, 1.0, high + 1  # u: lowest price refused so far
    for turn in range(max_turns):
        p = offers[min(turn, len(offers) - 1)]
        if p < u:
            buys = (u - p) / (u - low)
            expected += present * buys * (p - unit_cost)
            present *= 1.0 - buys
            u = p
        if present == 0.0:
            break
        present *= 1.0 - walk_probability(turn + 1, impatience, impatience_step)
    return expected


# --- The paper's arithmetic descent (section 3.2): the heuristic seller's offers, and the rule
# (exact one-seller profit, no opponent) by which the INSIGHT leagues fix its silent parameters.
# ``players.insight.heuristics`` plays it; the reproduction computes its exact profit.

def default_descent(initial: int, low: int) -> int:
    """Smallest d with d (d + 1) / 2 >= initial - low (the steps reach the floor)."""
    d = 1
    while d * (d + 1) // 2 < initial - low:
        d += 1
    return d


def arithmetic_offer(n: int, last: int | None, initial: int, descent: int, low: int) -> int:
    """The n-th (0-based) offer of the arithmetic descent, given the previous one."""
    if n == 0 or last is None:
        return initial
    return max(low, last - max(descent - (n - 1), 1))


def arithmetic_sequence(initial: int, descent: int | None, low: int, turns: int) -> list[int]:
    """The first ``turns`` offers of the arithmetic descent (``descent`` None: the default)."""
    step = default_descent(initial, low) if descent is None else descent
    offers: list[int] = []
    for n in range(turns):
        offers.append(arithmetic_offer(n, offers[-1] if offers else None, initial, step, low))
    return offers


def best_arithmetic(low: int, high: int, unit_cost: float, impatience: float, impatience_step: float,
                    max_turns: int, initial: int | None = None) -> tuple[int, int, float]:
    """The (initial, descent) with the highest exact expected profit per buyer in the
    one-seller game, and that profit; ``initial`` given: the best descent from it.

    A rule that looks only at the setting (range, cost, impatience), never at an
    opponent: how the INSIGHT leagues fix the heuristic's silent parameters.
    Ties go to the higher start, then the larger descent.
    """
    best: tuple[float, int, int] | None = None
    for start in ([initial] if initial is not None else range(low, high + 1)):
        for descent in range(1, high - low + 1):
            offers = arithmetic_sequence(start, descent, low, max_turns)
            value = round(sequence_profit(offers, low, high, unit_cost, impatience, impatience_step,
                                          max_turns), 12)
            if best is None or (value, start, descent) > best:
                best = (value, start, descent)
    assert best is not None, "the price range has at least two prices (validated)"
    value, start, descent = best
    return start, descent, value


class BiddingWorld(World):
    """One seller against a stream of impatient buyers (INSIGHT one-seller game)."""

    name = "bidding"
    roles: ClassVar[tuple[str, ...]] = ("seller",)
    metrics = ("profit", "profit_last", "sale_rate", "price", "price_last")
    default_metric = "profit"
    param_constraints = {
        "price_range": [Range(int)],
        "unit_cost": [NONE, Interval(float)],
        "impatience": [Interval(float, 0, 1)],
        "impatience_step": [Interval(float, 0, 1)],
        "max_turns": [Interval(int, 1, None)],
        "episodes": [Interval(int, 1, None)],
        "last_episodes": [Interval(int, 1, None)],
        "curve_points": [Interval(int, 1, None)],
        "trace": [OfType(bool)],
    }

    def __init__(
        self,
        price_range: tuple[int, int] = (11, 30),
        unit_cost: float | None = None,
        impatience: float = 0.1,
        impatience_step: float = 0.1,
        max_turns: int = 50,
        episodes: int = 10000,
        last_episodes: int = 1000,
        curve_points: int = 50,
        trace: bool = False,
    ) -> None:
        self.price_range = price_range
        self.unit_cost = unit_cost
        self.impatience = impatience
        self.impatience_step = impatience_step
        self.max_turns = max_turns
        self.episodes = episodes
        self.last_episodes = last_episodes
        self.curve_points = curve_points
        self.trace = trace

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        low, high = params.get("price_range", (11, 30))
        if low >= high:
            raise ValueError("price_range: the range needs at least two prices (low < high)")
        cost = params.get("unit_cost")
        if cost is not None and cost >= high:
            raise ValueError("unit_cost: must lie below the top of price_range, or no sale makes a profit")

    @classmethod
    def roles_for_class(cls, player_cls: type) -> tuple[str, ...]:
        if all(callable(getattr(player_cls, m, None)) for m in SELLER_METHODS):
            return cls.roles
        return ()

    # --- the market ---
    @property
    def low(self) -> int:
        return int(self.price_range[0])

    @property
    def high(self) -> int:
        return int(self.price_range[1])

    @property
    def cost(self) -> float:
        return self.low - 1 if self.unit_cost is None else float(self.unit_cost)

    def optimum(self) -> tuple[float, tuple[int, ...]]:
        """Best expected profit per buyer of one seller (or of colluding sellers)."""
        return optimal_single_seller(
            self.low, self.high, float(self.cost), float(self.impatience),
            float(self.impatience_step), self.max_turns,
        )

    # --- one match ---
    def play(self, seats: Mapping[str, Seat], seed: int, ctx: MatchContext) -> MatchResult:
        roles = self.roles
        sellers = {
            role: ctx.register(
                seats[role].make(name=role, seed=derive_seed(seed, role)),
                role,
            )
            for role in roles
        }
        for seller in sellers.values():
            seller.begin_match(
                low=self.low, high=self.high, unit_cost=self.cost,
                rivals=len(roles) - 1, episodes=self.episodes,
            )
        buyers = random.Random(derive_seed(seed, "buyers"))
        tally = _Tally(roles, self.episodes, self.last_episodes, self.curve_points)
        walks = [walk_probability(k, self.impatience, self.impatience_step)
                 for k in range(1, self.max_turns + 1)]
        keep_trace = self.trace or ctx.trace
        traces: list[dict[str, Any]] = []
        for episode in range(self.episodes):
            maximum = buyers.randint(self.low, self.high)
            for seller in sellers.values():
                seller.begin_episode()
            offers_log: list[dict[str, int]] | None = [] if keep_trace else None
            outcome = self._episode(sellers, maximum, buyers, walks, offers_log)
            tally.add(episode, outcome)
            if keep_trace and episode >= self.episodes - TRACE_EPISODES:
                traces.append({"episode": episode, "max_price": maximum, "offers": offers_log,
                               "winner": outcome[0], "price": outcome[1]})
        for seller in sellers.values():
            seller.end_match()
        optimum, offers = self.optimum()
        result = tally.result(optimum)
        result.details["optimal_offers"] = list(offers)
        if keep_trace:
            result.details["trace"] = traces
        return result

    def _episode(self, sellers: Mapping[str, Any], maximum: int, buyers: random.Random, walks: list[float],
                 offers_log: list[dict[str, int]] | None) -> tuple[str | None, int | None, float, int]:
        """Play one buyer; return (winning role or None, price or None, profit, turns)."""
        low, high, cost = self.low, self.high, self.cost
        roles = list(sellers)
        last: Mapping[str, int | None] = {role: None for role in roles}
        rival = {roles[0]: roles[-1], roles[-1]: roles[0]} if len(roles) == 2 else {roles[0]: None}
        for turn in range(self.max_turns):
            prices: dict[str, int] = {}
            for role in roles:
                other = rival[role]
                price = sellers[role].make_offer(None if other is None else last[other])
                prices[role] = _check_price(role, price, low, high)
            if offers_log is not None:
                offers_log.append(prices)
            acceptable = [r for r in roles if prices[r] <= maximum]
            if acceptable:
                best = min(prices[r] for r in acceptable)
                tied = [r for r in acceptable if prices[r] == best]
                winner = tied[0] if len(tied) == 1 else tied[int(buyers.random() * len(tied))]
                for role in roles:
                    other = rival[role]
                    sellers[role].observe(
                        None if other is None else prices[other],
                        best - cost if role == winner else 0.0,
                        True,
                    )
                return winner, best, best - cost, turn + 1
            gone = turn == self.max_turns - 1 or buyers.random() < walks[turn]
            for role in roles:
                other = rival[role]
                sellers[role].observe(None if other is None else prices[other], 0.0, gone)
            if gone:
                return None, None, 0.0, turn + 1
            last = prices
        raise AssertionError("unreachable: the last turn always ends the episode")


class TwoSellerBiddingWorld(BiddingWorld):
    """Two sellers compete for each buyer (INSIGHT two-seller game)."""

    name = "bidding2"
    roles = ("seller_a", "seller_b")


def _check_price(role: str, price: Any, low: int, high: int) -> int:
    if isinstance(price, bool) or not isinstance(price, int):
        try:
            as_int = int(price)
        except (TypeError, ValueError):
            raise PlayerFault(role, f"offered {price!r}, not an integer price") from None
        if as_int != price:
            raise PlayerFault(role, f"offered {price!r}, not an integer price")
        price = as_int
    if not low <= price <= high:
        raise PlayerFault(role, f"offered {price}, outside the price range [{low}, {high}]")
    checked: int = price
    return checked


class _Tally:
    """Per-role sums over a match, over its last episodes and per window (the learning curve)."""

    def __init__(self, roles: Sequence[str], episodes: int, last_episodes: int, curve_points: int) -> None:
        self.roles = roles
        self.episodes = episodes
        self.last_start = max(0, episodes - last_episodes)
        self.window = max(1, math.ceil(episodes / curve_points))
        self.profit = {r: 0.0 for r in roles}
        self.profit_last = {r: 0.0 for r in roles}
        self.sales = {r: 0 for r in roles}
        self.price_sum = {r: 0.0 for r in roles}
        self.sales_last = {r: 0 for r in roles}
        self.price_sum_last = {r: 0.0 for r in roles}
        self.turns = 0
        self.curve: dict[str, Any] = {"episodes": [], "profit": {r: [] for r in roles}, "price": [],
                                      "sale_rate": []}
        self._window_profit = {r: 0.0 for r in roles}
        self._window_prices: list[int] = []
        self._window_n = 0

    def add(self, episode: int, outcome: tuple[str | None, int | None, float, int]) -> None:
        winner, price, profit, turns = outcome
        self.turns += turns
        if winner is not None and price is not None:  # a sale has both
            self.sales[winner] += 1
            self.price_sum[winner] += price
            self.profit[winner] += profit
            if episode >= self.last_start:
                self.profit_last[winner] += profit
                self.sales_last[winner] += 1
                self.price_sum_last[winner] += price
            self._window_profit[winner] += profit
            self._window_prices.append(price)
        self._window_n += 1
        if self._window_n == self.window or episode == self.episodes - 1:
            n = self._window_n
            self.curve["episodes"].append(episode + 1)
            for r in self.roles:
                self.curve["profit"][r].append(round(self._window_profit[r] / n, 4))
                self._window_profit[r] = 0.0
            prices = self._window_prices
            self.curve["price"].append(round(sum(prices) / len(prices), 3) if prices else None)
            self.curve["sale_rate"].append(round(len(prices) / n, 4))
            self._window_prices = []
            self._window_n = 0

    def result(self, optimum: float) -> MatchResult:
        n = float(self.episodes)
        n_last = float(self.episodes - self.last_start)
        roles = {
            r: {
                "profit": self.profit[r] / n,
                "profit_last": self.profit_last[r] / n_last,
                "sale_rate": self.sales[r] / n,
                "price": self.price_sum[r] / self.sales[r] if self.sales[r] else None,
                # mean sale price over the last episodes: where the price settles
                "price_last": self.price_sum_last[r] / self.sales_last[r] if self.sales_last[r] else None,
            }
            for r in self.roles
        }
        combined = sum(self.profit.values()) / n
        combined_last = sum(self.profit_last.values()) / n_last
        sales = sum(self.sales.values())
        metrics = {
            "profit": combined,
            "profit_last": combined_last,
            "sale_rate": sales / n,
            "price": sum(self.price_sum.values()) / sales if sales else None,
            "price_last": (sum(self.price_sum_last.values()) / sum(self.sales_last.values())
                           if any(self.sales_last.values()) else None),
            "turns": self.turns / n,
            "optimal_profit": optimum,
            "pareto_efficiency": combined / optimum,
            "pareto_efficiency_last": combined_last / optimum,
        }
        curve = dict(self.curve, window=self.window)
        return MatchResult(roles=roles, metrics=metrics, details={"curve": curve})
