"""Single-issue bilateral price bargaining on negmas ``SAOMechanism``.

Buyer and seller bargain over one integer price with alternating offers. Prices
are drawn per episode from the match seed: the buyer's initial and reservation
prices from ``buyer_ip``/``buyer_rp``, the seller's from ``seller_ip``/
``seller_rp`` or, when those are not given, from the zone of agreement ``zoa``
as in Table 3 of the ANEGMA paper (100 %: IP 500-550, RP 300-350; 60 %: IP
580-630, RP 380-430; 10 %: IP 680-730, RP 480-530).

The score of a seat is its mean utility over the match's episodes, eq. (5) of
the ANEGMA paper without the discount: buyer ``(RP_b - x)/(RP_b - IP_b)``, the
seller the mirror; ``no_agreement`` when there is no deal.
"""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

import numpy as np
from negmas import make_issue
from negmas.gb import GBNegotiator
from negmas.sao import SAONegotiator

from tourney.contract import keeps_state
from tourney.errors import PlayerFault
from tourney.params import NONE, Interval, Options, OfType, Range
from tourney.seeding import derive_seed, make_rng
from tourney.worlds.base import MatchContext, MatchResult, Seat, World
from tourney.worlds.fast_ufun import share_inverses
from tourney.worlds.lean_sao import LeanSAOMechanism
from tourney.worlds.pricing import PriceUtility, check_buyer_ranges, price_utility

ZOA_SELLER_RANGES = {
    100: ((500, 550), (300, 350)),
    60: ((580, 630), (380, 430)),
    10: ((680, 730), (480, 530)),
}

# How we run negmas' SAO protocol (measured in bench/sao_options.py, same
# agreements and offer traces as negmas' defaults on 360 benchmark negotiations):
# LeanSAOMechanism makes the state copies of every step cheap (a third of the
# cost), and sync_calls skips a worker thread per negotiator call when a
# time_limit is set (we enforce time limits per match ourselves). Keep negmas'
# extra_callbacks=True: MiCRO counts the opponent's offers in
# on_partner_proposal and never concedes without it (44 of 360 outcomes change).
SAO_MECHANISM = LeanSAOMechanism
FAST_SAO_OPTIONS: dict[str, Any] = dict(sync_calls=True)


class BilateralWorld(World):
    """Buyer vs seller on one integer price issue, ``episodes`` negotiations per match."""

    name = "bilateral"
    roles = ("buyer", "seller")
    metrics = ("utility", "agreement", "rounds", "price")
    default_metric = "utility"
    param_constraints = {
        "n_steps": [Interval(int, 1, None)],
        "time_limit": [NONE, Interval(float, 0, None, closed="neither")],
        "episodes": [Interval(int, 1, None)],
        "zoa": [Options([100, 60, 10])],
        "buyer_ip": [Range(int)],
        "buyer_rp": [Range(int)],
        "seller_ip": [NONE, Range(int)],
        "seller_rp": [NONE, Range(int)],
        "opener": [Options(["buyer", "seller"])],
        "no_agreement": [Interval(float)],
        "trace": [OfType(bool)],
    }

    def __init__(
        self,
        n_steps: int = 100,
        time_limit: float | None = None,
        episodes: int = 1,
        zoa: int = 100,
        buyer_ip: tuple[int, int] = (300, 350),
        buyer_rp: tuple[int, int] = (500, 550),
        seller_ip: tuple[int, int] | None = None,
        seller_rp: tuple[int, int] | None = None,
        opener: str = "buyer",
        no_agreement: float = 0.0,
        trace: bool = False,
    ) -> None:
        self.n_steps = n_steps
        self.time_limit = time_limit
        self.episodes = episodes
        self.zoa = zoa
        self.buyer_ip = buyer_ip
        self.buyer_rp = buyer_rp
        self.seller_ip = seller_ip
        self.seller_rp = seller_rp
        self.opener = opener
        self.no_agreement = no_agreement
        self.trace = trace

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        check_buyer_ranges(params)
        zoa = params.get("zoa", 100)
        sip = params.get("seller_ip") or ZOA_SELLER_RANGES.get(zoa, ((1, 1), (0, 0)))[0]
        srp = params.get("seller_rp") or ZOA_SELLER_RANGES.get(zoa, ((1, 1), (0, 0)))[1]
        if srp[1] >= sip[0]:
            raise ValueError("seller_ip: a seller's initial prices must lie above its reservation prices")

    @classmethod
    def roles_for_class(cls, player_cls: type) -> tuple[str, ...]:
        # negmas 0.16 builds most SAO negotiators on GBNegotiator
        return cls.roles if issubclass(player_cls, (SAONegotiator, GBNegotiator)) else ()

    def draw_prices(self, rng: np.random.Generator) -> dict[str, tuple[int, int]]:
        """(ip, rp) per role for one episode."""
        sip, srp = ZOA_SELLER_RANGES[self.zoa]
        sip = self.seller_ip or sip
        srp = self.seller_rp or srp

        def draw(r: Sequence[int]) -> int:  # a [low, high] range (a list from a league file)
            return int(rng.integers(r[0], r[1] + 1))

        return {
            "buyer": (draw(self.buyer_ip), draw(self.buyer_rp)),
            "seller": (draw(sip), draw(srp)),
        }

    def play(self, seats: Mapping[str, Seat], seed: int, ctx: MatchContext) -> MatchResult:
        rng = make_rng(seed)

        def build(role: str, episode: int) -> Any:
            seat = seats[role]
            labels = (role,) if episode == 0 else (role, episode)
            return ctx.register(seat.make(name=role, seed=derive_seed(seed, *labels)), role)

        negotiators = {role: build(role, 0) for role in self.roles}
        # A class that keeps state plays every episode (a learner learns across them);
        # any other is rebuilt: negmas components keep state across negotiations that
        # reset_sao_negotiator cannot clear (19 of 360 benchmark traces differed).
        reuse = {role: keeps_state(seats[role].cls) for role in self.roles}
        order = [self.opener, "seller" if self.opener == "buyer" else "buyer"]
        utilities: dict[str, list[float]] = {role: [] for role in self.roles}
        agreements: list[bool] = []
        rounds: list[int] = []
        prices: list[float] = []
        episodes: list[dict[str, Any]] = []
        for episode in range(self.episodes):
            draws = self.draw_prices(rng)
            low = min(draws["buyer"][0], draws["seller"][1])
            high = max(draws["buyer"][1], draws["seller"][0])
            issues = [make_issue((low, high), "price")]
            mechanism = SAO_MECHANISM(
                issues=issues, n_steps=self.n_steps, time_limit=self.time_limit, **FAST_SAO_OPTIONS
            )
            ufuns = {}
            for role in order:
                if episode and not reuse[role]:
                    negotiators[role] = build(role, episode)
                reset_sao_negotiator(negotiators[role])
                ip, rp = draws[role]
                ufuns[role] = share_inverses(PriceUtility(ip, rp, outcome_space=mechanism.outcome_space),
                                             ("price", ip, rp, low, high, 0.0))
                # negmas' join check asks whether the ufun's space contains the mechanism's; it is the
                # very same space of one integer issue, which contains itself (and the check's
                # runtime-Protocol isinstance cost ~9 % of a 10-step match)
                mechanism.add(negotiators[role], ufun=ufuns[role], space_checked=True)
            started = time.perf_counter()
            state = mechanism.run()
            elapsed = time.perf_counter() - started
            trace = mechanism.extended_trace
            _check_offers(trace, negotiators, low, high)
            price = state.agreement[0] if state.agreement is not None else None
            for role in self.roles:
                utilities[role].append(
                    self.no_agreement if price is None else price_utility(*draws[role], price)
                )
            agreements.append(price is not None)
            rounds.append(state.step)
            if price is not None:
                prices.append(price)
            summary = {
                "prices": {r: list(draws[r]) for r in self.roles},
                "agreement": price,
                "utility": {r: round(utilities[r][-1], 6) for r in self.roles},
                "rounds": state.step,
                "seconds": round(elapsed, 6),
            }
            if self.trace or ctx.trace:
                ids = {negotiators[r].id: r for r in self.roles}
                summary["offers"] = [[step, ids.get(nid, nid), o[0]] for step, nid, o in trace]
            episodes.append(summary)
        n = float(self.episodes)
        agreement_rate = sum(agreements) / n
        roles = {
            role: {
                "utility": sum(utilities[role]) / n,
                "agreement": agreement_rate,
                "rounds": sum(rounds) / n,
                "price": sum(prices) / len(prices) if prices else None,
            }
            for role in self.roles
        }
        return MatchResult(
            roles=roles,
            metrics={"agreement": agreement_rate, "rounds": sum(rounds) / n},
            details={"episodes": episodes},
        )


def reset_sao_negotiator(negotiator: SAONegotiator) -> None:
    """Make a negmas negotiator safe to reuse in a new negotiation.

    negmas 0.16 (``SAOPRNegotiator``) caches a negotiator's last proposal by step
    number and never clears the cache, so a negotiator reused for a second episode answers step
    0 with its step-0 offer of the first episode. Clearing the three private
    fields restores a fresh negotiator's behaviour.
    """
    fresh = {"__my_last_proposal": None, "__end_negotiation": False, "__my_last_proposal_time": -1}
    for klass in type(negotiator).__mro__:
        for field, value in fresh.items():
            attr = f"_{klass.__name__.lstrip('_')}{field}"
            if attr in vars(negotiator):
                setattr(negotiator, attr, value)


def _check_offers(trace: list[Any], negotiators: Mapping[str, SAONegotiator], low: int, high: int) -> None:
    """Raise PlayerFault for the first offer outside the price issue."""
    roles = {neg.id: role for role, neg in negotiators.items()}
    for _step, nid, offer in trace:
        price = offer[0] if offer else None
        if not isinstance(price, (int, float)) or not low <= price <= high:
            raise PlayerFault(roles.get(nid, nid), f"offered {offer!r}, outside the price issue [{low}, {high}]")
