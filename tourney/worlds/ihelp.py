"""I-Help: bargaining over the price of peer help (Vassileva & Mudgal, ch. 16).

A helpee (``buyer``) and a helper (``seller``) bargain over one price, the
payment rate per unit of help time in ICU, on negmas' SAO protocol (the
bilateral world's ``SAO_MECHANISM`` and ``FAST_SAO_OPTIONS``); the helpee
opens (section 4.1). A matchmaker supplies the standard market price.
Each side acts for a user whose preference model holds a preferred price, a
hard price limit (maximum for the buyer, minimum for the seller), the urgency
of the task, the importance of money and the risk behaviour (section 3.1).

Protocol rules of section 4.1, enforced here (a breach raises ``PlayerFault``):
a seller may not raise its ask nor a buyer lower its bid within a negotiation
(repeating an offer is allowed), no side offers or accepts a price beyond its
user's limit, and every offer lies on the price issue.

Choices where the paper is silent (all configurable or stated here):

- Standard price ``s = base_price * difficulty * (1 + 2 / helpers_online)``:
  dearer for harder topics and when fewer competent helpers are online (the
  paper names both inputs but gives no formula).
- Users set their prices without regard to the market, so per run the
  middle ``m`` of the two preferred prices is the standard price moved by up to
  ``spread`` (uniform, relative); the standard price itself is moved by up to
  ``jitter``. Sessions by the overlap of the preferred price intervals (buyer
  ``[ideal, R_b]``, seller ``[R_s, ideal]``), in units of ``m``: S1 ``R_b =
  1.3 m, R_s = 0.7 m`` (wide overlap), S2 ``R_b = 1.08 m, R_s = 0.92 m``
  (partial), S3 ``R_b = 0.92 m, R_s = 1.08 m`` (none). Table 16.1 shows deals
  in S3 (no rejection at all for S:1, B:1), so the hard limit cannot be the
  preferred price: the limits lie ``limit_slack`` beyond it (buyer maximum
  ``R_b (1 + slack)``, seller minimum ``R_s (1 - slack)``); with the default
  0.15 a deal stays possible in S3 (between about 0.92 m and 1.06 m), with 0
  it does not. The reproduction league (``leagues/ihelp.yaml``) fixes it at
  0.16 by a rule of the setting: S3 mirrors S2, its hard limits overlapping by
  as much (0.16 m) as S2's preferred prices do.
- Users state their limits and ideal prices in whole multiples of
  ``price_step`` (1 ICU by default; 0 keeps the drawn values), rounded to the
  nearest, so that players pricing in whole units (Faratin's tactics round to
  integers) can keep to them; offers and deals are real numbers.
- The ideal prices (utility 1, and the initial price a generic negotiator
  reads as ``ufun.ip``) are half the lower of ``s`` and ``m`` for the buyer
  and 1.5 times the higher for the seller; a seat's score is
  ``(limit - p) / (limit - ideal)`` at a deal (``PriceUtility``),
  ``no_agreement`` otherwise, averaged over the match's runs.
- The paper's five preference combinations are not listed; ours are
  ``PREFERENCE_COMBINATIONS`` below (they cover opposite, equal and mixed
  urgency, money importance and risk behaviour).
- The paper's 15 experiments per configuration are its 5 preference
  combinations x 3 sessions, one run each, with deterministic agents. We play
  ``runs`` negotiations per match (15 by default), each with its own draw of
  the prices above. The draws derive from ``scenario_seed`` and the setting
  only, never from the match seed, so two matches differing only in one
  side's approach face the same runs (Table 16.2 compares such pairs run by
  run); the match seed only seeds the players.
- Who rejected: the side whose turn it was when the negotiation was ended
  (the other side made the last offer). Per run the details keep the prices,
  the outcome, who rejected, the deal price and the rounds (and the offers
  with ``trace``).
- A negotiation that reaches ``n_steps`` rounds without a deal ends at the
  deadline; it is counted apart from rejections.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from negmas import make_issue
from negmas.sao import SAONegotiator

from tourney.errors import PlayerFault
from tourney.params import Interval, OfType, Options
from tourney.seeding import derive_seed, make_rng
from tourney.worlds.base import MatchContext, MatchResult, Seat, World
from tourney.worlds.bilateral import FAST_SAO_OPTIONS, SAO_MECHANISM, reset_sao_negotiator
from tourney.worlds.pricing import PriceUtility, price_utility

URGENCY = ("not urgent", "urgent", "very urgent")
MONEY_IMPORTANCE = ("low", "medium", "high")
RISK = ("averse", "seeking")

# Preferred prices per session, as multiples of the middle of the users' prices: (buyer R_b, seller R_s).
SESSIONS: dict[str, tuple[float, float]] = {
    "S1": (1.3, 0.7),
    "S2": (1.08, 0.92),
    "S3": (0.92, 1.08),
}
IDEAL = {"buyer": 0.5, "seller": 1.5}


@dataclass(frozen=True)
class UserPreferences:
    """A user's preference model (section 3.1), without the prices."""

    urgency: str = "urgent"
    money_importance: str = "medium"
    risk: str = "averse"

    def __post_init__(self) -> None:
        for key, allowed in (("urgency", URGENCY), ("money_importance", MONEY_IMPORTANCE), ("risk", RISK)):
            if getattr(self, key) not in allowed:
                raise ValueError(f"{key}: must be one of {', '.join(allowed)}; got {getattr(self, key)!r}")


def _prefs(urgency: str, money: str, risk: str) -> UserPreferences:
    return UserPreferences(urgency, money, risk)


# Combination -> (buyer's preferences, seller's preferences).
PREFERENCE_COMBINATIONS: dict[int, tuple[UserPreferences, UserPreferences]] = {
    1: (_prefs("very urgent", "low", "averse"), _prefs("not urgent", "high", "seeking")),
    2: (_prefs("not urgent", "high", "seeking"), _prefs("very urgent", "low", "averse")),
    3: (_prefs("very urgent", "medium", "seeking"), _prefs("very urgent", "medium", "seeking")),
    4: (_prefs("urgent", "medium", "averse"), _prefs("urgent", "medium", "averse")),
    5: (_prefs("not urgent", "high", "averse"), _prefs("urgent", "low", "seeking")),
}


def standard_price(difficulty: int, helpers_online: int, base_price: float = 4.0) -> float:
    """The matchmaker's standard price per unit of help time."""
    return base_price * difficulty * (1.0 + 2.0 / helpers_online)


class IHelpUtility(PriceUtility):
    """A seat's utility and its user's model, as the world hands it to a player.

    ``ip`` is the user's ideal price and ``rp`` its hard limit (``max_price``
    of a buyer, ``min_price`` of a seller), so any price negotiator plays it;
    I-Help players also read ``preferred_price``, ``std_price`` and
    ``preferences``.
    """

    def __init__(
        self,
        ip: float,
        rp: float,
        preferred_price: float,
        std_price: float,
        preferences: UserPreferences,
        **kwargs: Any,
    ) -> None:
        super().__init__(ip, rp, **kwargs)
        self.preferred_price = preferred_price
        self.std_price = std_price
        self.preferences = preferences


@dataclass(frozen=True)
class RunScenario:
    """The prices of one run: standard price and each side's preferred price and limit."""

    std_price: float
    preferred: dict[str, float]
    limit: dict[str, float]
    ideal: dict[str, float]


class IHelpWorld(World):
    """Helpee (buyer) vs helper (seller), ``runs`` negotiations per match."""

    name = "ihelp"
    roles = ("buyer", "seller")
    metrics = ("utility", "agreement", "rejected", "price", "rounds")
    default_metric = "utility"
    param_constraints = {
        "session": [Options(list(SESSIONS))],
        "preferences": [Options(list(PREFERENCE_COMBINATIONS))],
        "difficulty": [Interval(int, 1, 5)],
        "helpers_online": [Interval(int, 1, None)],
        "base_price": [Interval(float, 0, None, closed="neither")],
        "runs": [Interval(int, 1, None)],
        "n_steps": [Interval(int, 2, None)],
        "jitter": [Interval(float, 0, 0.5)],
        "spread": [Interval(float, 0, 0.5)],
        "limit_slack": [Interval(float, 0, 0.9)],
        "price_step": [Interval(float, 0, None)],
        "scenario_seed": [Interval(int, 0, None)],
        "no_agreement": [Interval(float)],
        "trace": [OfType(bool)],
    }

    def __init__(
        self,
        session: str = "S1",
        preferences: int = 1,
        difficulty: int = 3,
        helpers_online: int = 4,
        base_price: float = 4.0,
        runs: int = 15,
        n_steps: int = 20,
        jitter: float = 0.05,
        spread: float = 0.2,
        limit_slack: float = 0.15,
        price_step: float = 1.0,
        scenario_seed: int = 0,
        no_agreement: float = 0.0,
        trace: bool = False,
    ) -> None:
        self.session = session
        self.preferences = preferences
        self.difficulty = difficulty
        self.helpers_online = helpers_online
        self.base_price = base_price
        self.runs = runs
        self.n_steps = n_steps
        self.jitter = jitter
        self.spread = spread
        self.limit_slack = limit_slack
        self.price_step = price_step
        self.scenario_seed = scenario_seed
        self.no_agreement = no_agreement
        self.trace = trace

    @classmethod
    def roles_for_class(cls, player_cls: type) -> tuple[str, ...]:
        return cls.roles if issubclass(player_cls, SAONegotiator) else ()

    def scenario(self, run: int) -> RunScenario:
        """The prices of run ``run``: a function of the setting and ``scenario_seed`` only."""
        rng = make_rng(derive_seed(
            self.scenario_seed, "ihelp", self.session, self.preferences,
            self.difficulty, self.helpers_online, self.base_price, run,
        ))
        std = standard_price(self.difficulty, self.helpers_online, self.base_price)
        std *= 1 + rng.uniform(-self.jitter, self.jitter)
        middle = std * (1 + rng.uniform(-self.spread, self.spread))
        rb, rs = SESSIONS[self.session]
        preferred = {"buyer": rb * middle, "seller": rs * middle}
        limit = {
            "buyer": preferred["buyer"] * (1 + self.limit_slack),
            "seller": preferred["seller"] * (1 - self.limit_slack),
        }
        ideal = {"buyer": IDEAL["buyer"] * min(std, middle), "seller": IDEAL["seller"] * max(std, middle)}
        if self.price_step > 0:
            step = self.price_step
            rounded_limit = {r: round(v / step) * step for r, v in limit.items()}
            rounded_ideal = {r: round(v / step) * step for r, v in ideal.items()}
            if all(rounded_ideal[r] != rounded_limit[r] for r in self.roles):
                limit, ideal = rounded_limit, rounded_ideal
        return RunScenario(std, preferred, limit, ideal)

    def play(self, seats: Mapping[str, Seat], seed: int, ctx: MatchContext) -> MatchResult:
        negotiators = {
            role: ctx.register(
                seats[role].make(name=role, seed=derive_seed(seed, role)),
                role,
            )
            for role in self.roles
        }
        prefs = dict(zip(self.roles, PREFERENCE_COMBINATIONS[self.preferences]))
        utilities: dict[str, list[float]] = {role: [] for role in self.roles}
        runs = []
        for run in range(self.runs):
            sc = self.scenario(run)
            high = 3.0 * max(sc.std_price, sc.ideal["seller"])
            mechanism = SAO_MECHANISM(
                issues=[make_issue((0.0, high), "price")], n_steps=self.n_steps, **FAST_SAO_OPTIONS
            )
            ufuns = {}
            for role in self.roles:  # the buyer is added first: the helpee opens
                reset_sao_negotiator(negotiators[role])
                ufuns[role] = IHelpUtility(
                    sc.ideal[role], sc.limit[role], sc.preferred[role], sc.std_price, prefs[role],
                    outcome_space=mechanism.outcome_space,
                )
                mechanism.add(negotiators[role], ufun=ufuns[role])
            started = time.perf_counter()
            state = mechanism.run()
            elapsed = time.perf_counter() - started
            offers = _offers_by_role(mechanism.extended_trace, negotiators)
            check_offers(offers, sc.limit, high)
            price = state.agreement[0] if state.agreement is not None else None
            if price is not None:
                check_agreement(price, offers, sc.limit)
            outcome, rejected_by = _outcome(state, price, offers)
            for role in self.roles:
                # from the scenario's numbers, not the utility object the player holds
                utilities[role].append(self.no_agreement if price is None
                                       else price_utility(sc.ideal[role], sc.limit[role], price))
            summary = {
                "std_price": round(sc.std_price, 4),
                "preferred": {r: round(v, 4) for r, v in sc.preferred.items()},
                "limit": {r: round(v, 4) for r, v in sc.limit.items()},
                "outcome": outcome,
                "rejected_by": rejected_by,
                "price": None if price is None else float(price),
                "rounds": state.step,
                "seconds": round(elapsed, 6),
            }
            if self.trace or ctx.trace:
                summary["offers"] = [[step, role, float(p)] for step, role, p in offers]
            runs.append(summary)
        n = float(self.runs)
        deals = [r["price"] for r in runs if r["price"] is not None]
        agreement_rate = len(deals) / n
        roles = {
            role: {
                "utility": sum(utilities[role]) / n,
                "agreement": agreement_rate,
                "rejected": sum(r["rejected_by"] == role for r in runs) / n,
                "price": sum(deals) / len(deals) if deals else None,
                "rounds": sum(r["rounds"] for r in runs) / n,
            }
            for role in self.roles
        }
        return MatchResult(
            roles=roles,
            metrics={
                "agreement": agreement_rate,
                "rejections": sum(r["outcome"] == "rejected" for r in runs) / n,
                "deadline": sum(r["outcome"] == "deadline" for r in runs) / n,
            },
            details={"preferences": {r: asdict(p) for r, p in prefs.items()}, "runs": runs},
        )


def _offers_by_role(trace: list[Any], negotiators: Mapping[str, SAONegotiator]) -> list[tuple[int, str, Any]]:
    roles = {neg.id: role for role, neg in negotiators.items()}
    return [(step, roles.get(nid, nid), offer[0] if offer else None) for step, nid, offer in trace]


def check_offers(offers: list[tuple[int, str, Any]], limit: Mapping[str, float], high: float) -> None:
    """Raise PlayerFault at the first offer off the issue, past the limit, or against monotonicity."""
    last: dict[str, float] = {}
    for step, role, price in offers:
        if not isinstance(price, (int, float)) or isinstance(price, bool) or not 0.0 <= price <= high:
            raise PlayerFault(role, f"offered {price!r} at step {step}, outside the price issue [0, {high:.4g}]")
        if role == "buyer" and price > limit[role] + 1e-9:
            raise PlayerFault(role, f"bid {price:.4g} above its user's maximum price {limit[role]:.4g}")
        if role == "seller" and price < limit[role] - 1e-9:
            raise PlayerFault(role, f"asked {price:.4g} below its user's minimum price {limit[role]:.4g}")
        if role in last:
            if role == "buyer" and price < last[role] - 1e-9:
                raise PlayerFault(role, f"lowered its bid from {last[role]:.4g} to {price:.4g} at step {step}")
            if role == "seller" and price > last[role] + 1e-9:
                raise PlayerFault(role, f"raised its ask from {last[role]:.4g} to {price:.4g} at step {step}")
        last[role] = price


def check_agreement(price: float, offers: list[tuple[int, str, Any]], limit: Mapping[str, float]) -> None:
    """The side that accepted (the one that did not make the last offer) must stay within its limit."""
    acceptor = "seller" if offers and offers[-1][1] == "buyer" else "buyer"
    if acceptor == "buyer" and price > limit["buyer"] + 1e-9:
        raise PlayerFault("buyer", f"accepted {price:.4g}, above its user's maximum price {limit['buyer']:.4g}")
    if acceptor == "seller" and price < limit["seller"] - 1e-9:
        raise PlayerFault("seller", f"accepted {price:.4g}, below its user's minimum price {limit['seller']:.4g}")


def _outcome(state: Any, price: float | None, offers: list[tuple[int, str, Any]]) -> tuple[str, str | None]:
    """("agreement" | "rejected" | "deadline", the role that rejected)."""
    if price is not None:
        return "agreement", None
    if state.broken:
        # The side that ended it is the one whose turn it was: the other side
        # made the last offer (or, with no offer at all, the opener refused to open).
        if not offers:
            return "rejected", "buyer"
        return "rejected", "seller" if offers[-1][1] == "buyer" else "buyer"
    return "deadline", None

