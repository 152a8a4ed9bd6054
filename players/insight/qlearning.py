"""The INSIGHT Q-learning seller (section 3.3): tabular, epsilon-greedy.

State: ``(last offer, number of offers)`` in the one-seller game, plus the
competitor's last offer in the two-seller game (``None`` before any offer).
Action: the price to offer, an integer anywhere in the range (the paper's
game); with ``never_raise`` only from the floor to one below the last offer
(the whole range on the first turn), see ``players.insight.base``. Reward: the profit of a sale
made by this offer, else 0; an episode ends with the buyer's purchase or
departure. Update, eq. (1):

    Q(s, a) <- Q(s, a) + alpha [r + gamma max_a' Q(s', a') - Q(s, a)]

(with ``r`` alone when the episode ends).

The paper announces "formulas" for its learning-rate and exploration-rate
descent but prints none; chosen here, per buyer ``e`` of the match:
``alpha_e = max(alpha_min, alpha * alpha_decay**e)`` and
``epsilon_e = max(epsilon_min, epsilon * epsilon_decay**e)``. ``gamma``
defaults to 1: the paper maximises average profit per buyer, and the buyer's
impatience already discounts late sales. Greedy ties are broken at random by
the seller's own seeded generator.

``exploit_only`` (the paper's "Q-learning exploit only", Figure 3) plays the
greedy action of a loaded table and never updates it; ``load_path`` and
``save_path`` read and write the table as JSON (``players.insight.qtable``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from players.insight.base import SELLER_CONSTRAINTS, InsightSeller
from players.insight.qtable import QTable
from tourney.params import NONE, Interval, OfType


class QLearningSeller(InsightSeller):
    """Tabular epsilon-greedy Q-learning seller with decaying alpha and epsilon."""

    param_constraints = {
        **SELLER_CONSTRAINTS,
        "alpha": [Interval(float, 0, 1, closed="right")],
        "alpha_decay": [Interval(float, 0, 1, closed="right")],
        "alpha_min": [Interval(float, 0, 1)],
        "gamma": [Interval(float, 0, 1)],
        "epsilon": [Interval(float, 0, 1)],
        "epsilon_decay": [Interval(float, 0, 1, closed="right")],
        "epsilon_min": [Interval(float, 0, 1)],
        "initial_q": [Interval(float)],
        "exploit_only": [OfType(bool)],
        "load_path": [NONE, OfType(str)],
        "save_path": [NONE, OfType(str)],
    }

    def __init__(
        self,
        alpha: float = 0.5,
        alpha_decay: float = 0.9995,
        alpha_min: float = 0.01,
        gamma: float = 1.0,
        epsilon: float = 1.0,
        epsilon_decay: float = 0.999,
        epsilon_min: float = 0.01,
        initial_q: float = 0.0,
        exploit_only: bool = False,
        load_path: str | None = None,
        save_path: str | None = None,
        levels: int = 20,
        never_raise: bool = False,
        seed: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(levels=levels, never_raise=never_raise, seed=seed, name=name, **kwargs)
        self.alpha = alpha
        self.alpha_decay = alpha_decay
        self.alpha_min = alpha_min
        self.gamma = gamma
        self.epsilon = epsilon
        self.epsilon_decay = epsilon_decay
        self.epsilon_min = epsilon_min
        self.initial_q = initial_q
        self.exploit_only = exploit_only
        self.load_path = load_path
        self.save_path = save_path
        self.table_: QTable | None = None

    @property
    def table(self) -> QTable:
        """The Q-table of the match (learnt, or loaded from ``load_path``)."""
        if self.table_ is None:
            raise RuntimeError("the Q-table is made when the match begins")
        return self.table_

    # Tables the repository's leagues load, and the command that makes each
    # (the Makefile's reproduce-insight step); any other path gets the generic command.
    KNOWN_TABLES = {
        "results/insight-tables/one-seller-11-100.json":
            "tourney train insight --price-range 11 100 --episodes 100000 --seed 11 "
            "--out results/insight-tables/one-seller-11-100.json (part of `make reproduce-insight`)",
        "results/insight-tables/one-seller-11-100-never-raise.json":
            "tourney train insight --price-range 11 100 --episodes 100000 --seed 11 --never-raise "
            "--out results/insight-tables/one-seller-11-100-never-raise.json (part of `make reproduce-insight`)",
    }

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        """Fail league validation, not a match, when the table to load is missing."""
        path = params.get("load_path")
        if path is not None and not Path(path).is_file():
            command = cls.KNOWN_TABLES.get(Path(path).as_posix(),
                                           f"tourney train insight --price-range LOW HIGH --out {path}")
            raise ValueError(f"load_path: no Q-table at {path}; make it with: {command}")
        if params.get("exploit_only") and path is None:
            raise ValueError("exploit_only: needs a learnt Q-table to exploit (set load_path)")

    # --- match and episode ---
    def on_begin_match(self, episodes: int) -> None:
        meta = {"low": self.low_, "high": self.high_, "rivals": self.rivals_, "never_raise": self.never_raise}
        if self.load_path is not None:
            try:
                table = QTable.load(self.load_path)
            except FileNotFoundError:
                raise ValueError(f"load_path: no Q-table at {self.load_path} (learn one with "
                                 "`python -m players.insight.train --out PATH`)") from None
            if {k: table.meta.get(k) for k in meta} != meta:
                raise ValueError(
                    f"load_path: the Q-table in {self.load_path} was learnt for {table.meta}, "
                    f"this market is {meta}"
                )
            self.table_ = table
        elif self.exploit_only:
            raise ValueError("exploit_only: needs a learnt Q-table to exploit (set load_path)")
        else:
            self.table_ = QTable(initial=self.initial_q, meta=meta)
        self.state_: tuple | None = None
        self.action_: int | None = None

    def on_begin_episode(self) -> None:
        e = self.episode_
        self.alpha_ = max(self.alpha_min, self.alpha * self.alpha_decay**e)
        self.epsilon_ = 0.0 if self.exploit_only else max(
            self.epsilon_min, self.epsilon * self.epsilon_decay**e)
        self.state_ = None
        self.action_ = None

    def state_of(self, last: int | None, n_offers: int, rival_last: int | None) -> tuple:
        return (last, n_offers, rival_last) if self.rivals_ else (last, n_offers)

    def top_action(self, last: int | None) -> int:
        """The highest price allowed after offering ``last``."""
        if last is None or not self.never_raise:
            return self.high_
        return max(self.low_, last - 1)

    # --- acting and learning ---
    def choose(self, rival_last: int | None) -> int:
        state = self.state_of(self.my_last_, self.n_offers_, rival_last)
        top = self.top_action(self.my_last_)
        if self.epsilon_ > 0 and self.rng_.random() < self.epsilon_:
            action = self.rng_.randint(self.low_, top)
        else:
            best = self.table.greedy_actions(state, self.low_, top)
            action = best[0] if len(best) == 1 else best[self.rng_.randrange(len(best))]
        self.state_, self.action_ = state, action
        return action

    def learn(self, rival_offer: int | None, profit: float, done: bool) -> None:
        if self.exploit_only or self.state_ is None or self.action_ is None:  # set together by choose
            return
        state, action, table = self.state_, self.action_, self.table
        target = profit
        if not done:
            following = self.state_of(action, self.n_offers_, rival_offer)
            n_actions = self.top_action(action) - self.low_ + 1
            target += self.gamma * table.best_value(following, n_actions)
        old = table.get(state, action)
        table.set(state, action, old + self.alpha_ * (target - old))

    def end_match(self) -> None:
        if self.save_path is not None and not self.exploit_only and self.table_ is not None:
            self.table_.save(self.save_path)

    def greedy_offers(self, rival_last: int | None = None) -> list[int]:
        """The offers the greedy policy makes to a buyer who refuses them all
        (one-seller game; ties take the highest price), for reports."""
        offers, last = [], None
        for n in range(self.high_ - self.low_ + 1):
            best = self.table.best_actions(self.state_of(last, n, rival_last), range(self.low_, self.top_action(last) + 1))
            offers.append(max(best))
            last = offers[-1]
            if last == self.low_:
                break
        return offers
