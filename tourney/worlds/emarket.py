"""ANEGMA's concurrent e-market (Bagga et al., sections 3.1, 4.2, 5.1; Alrayes et al. 2018).

One buyer under test negotiates concurrently with every seller of one item
(single issue: price) while competitor buyers negotiate with the same
sellers; agents enter and leave. The protocol loop lives in
``tourney/worlds/emarket_market.py`` (its docstring lists the choices made
where the papers are silent); the buyer's view and actions in
``tourney/worlds/emarket_protocol.py``.

Roles: ``buyer`` (an ``EMarketBuyer``: CONAN, Williams, DDPG...) and ``seller``
(the strategy every seller in the market uses: a negmas ``SAOPRNegotiator`` on
a price, e.g. the Faratin tactics). Competitor buyers play ``competitor`` (a
player short name with the e-market buyer role, CONAN by default: the paper
says only that they use "a single fixed-but-unknown strategy").

Settings (Table 3), qualitative values, each drawn quantitatively per episode
from the match seed:

- ``md`` market density, agents in the market: H {30, 40, 50}, A {18, 23, 28},
  L {8, 10, 12};
- ``mr`` market ratio buyers:sellers: H {10:1, 1:1, 1:10}, A {5:1, 1:1, 1:5},
  L {2:1, 1:1, 1:2};
- ``zoa`` zone of agreement: 100 -> seller IP in [500, 550], RP in [300, 350];
  60 -> [580, 630], [380, 430]; 10 -> [680, 730], [480, 530]; buyer IP in
  [300, 350], RP in [500, 550] (integers, uniform);
- ``t_end`` buyer deadline t_b: Lg [151, 210] s, A [91, 150] s, Sh [30, 90] s
  (integer seconds, uniform, simulated time).

``density``, ``ratio`` and ``deadline`` pin the quantitative values (tests,
training). ``seller_deadline``: ``drawn`` (default: each seller draws its own t_s from
the same Table 3 range as t_b), ``any`` (from all of Table 3's deadlines,
30-210 s) or ``buyer`` (each seller's t_s equals the buyer under test's t_b);
see ``emarket_market``.

``warmup`` simulations are played before the ``episodes`` scored ones and
left out of the metrics (the buyer object is the same: a learning buyer
adapts in them).

Metrics (Table 2) of the buyer under test over the match's episodes:
``u_avg`` utility (eq. 5) averaged over successful negotiations, ``t_avg``
time to agreement in simulated milliseconds over successful negotiations,
``s_pct`` percentage of episodes ending in agreement; ``utility`` (the
ranking score) is eq. 5 averaged over all episodes with 0 for no deal. The
seller role scores the seller's utility ``(x - RP_s)/(IP_s - RP_s)`` of the
deals made with the buyer under test (0 without one).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
from negmas.sao import SAOPRNegotiator

from tourney.worlds.emarket_protocol import EMarketBuyer, fast_ufun_class
from tourney.errors import PlayerFault
from tourney.params import NONE, Interval, OfType, Options, Range, signature_params
from tourney.seeding import derive_seed, make_rng
from tourney.worlds.base import MatchContext, MatchResult, Seat, World
from tourney.worlds.emarket_market import Market, MarketConfig, ProtocolBreach
from tourney.worlds.pricing import check_buyer_ranges

MD_VALUES = {"H": (30, 40, 50), "A": (18, 23, 28), "L": (8, 10, 12)}
MR_VALUES = {
    "H": ((10, 1), (1, 1), (1, 10)),
    "A": ((5, 1), (1, 1), (1, 5)),
    "L": ((2, 1), (1, 1), (1, 2)),
}
T_END_RANGES = {"Lg": (151, 210), "A": (91, 150), "Sh": (30, 90)}
ZOA_SELLER_RANGES = {
    100: ((500, 550), (300, 350)),
    60: ((580, 630), (380, 430)),
    10: ((680, 730), (480, 530)),
}
ZOA_NAMES = {"H": 100, "A": 60, "L": 10}


def draw_setting(rng: np.random.Generator, md: str, mr: str, t_end: str, density: int | None = None,
                 ratio: Sequence[int] | None = None, deadline: float | None = None) -> dict[str, Any]:
    """The quantitative values of one episode for qualitative ``md``, ``mr``, ``t_end``."""
    values = MD_VALUES[md]
    n = int(density) if density is not None else int(values[int(rng.integers(len(values)))])
    ratios = MR_VALUES[mr]
    b, s = tuple(ratio) if ratio is not None else ratios[int(rng.integers(len(ratios)))]
    low, high = T_END_RANGES[t_end]
    t_b = float(deadline) if deadline is not None else float(rng.integers(low, high + 1))
    n_buyers = max(1, int(round(n * b / (b + s))))
    n_sellers = max(1, n - n_buyers)
    return {"md": n, "mr": [int(b), int(s)], "t_end": t_b, "n_buyers": n_buyers, "n_sellers": n_sellers}


class EMarketWorld(World):
    """One buyer under test vs a market of sellers and competitor buyers, ``episodes`` simulations."""

    name = "emarket"
    roles = ("buyer", "seller")
    metrics = ("utility", "u_avg", "t_avg", "s_pct", "penalty")
    default_metric = "utility"
    param_constraints = {
        "md": [Options(["H", "A", "L"])],
        "mr": [Options(["H", "A", "L"])],
        "zoa": [Options([100, 60, 10, "H", "A", "L"])],
        "t_end": [Options(["Lg", "A", "Sh"])],
        "episodes": [Interval(int, 1, None)],
        "warmup": [Interval(int, 0, None)],
        "competitor": [OfType(str)],
        "competitor_params": [NONE, OfType(dict)],
        "buyer_ip": [Range(int)],
        "buyer_rp": [Range(int)],
        "round_seconds": [Interval(float, 0, None, closed="neither")],
        "penalty_rate": [Interval(float, 0, 1)],
        "max_reservations": [Interval(int, 1, None)],
        "seller_max_reservations": [Interval(int, 1, None)],
        "seller_deadline": [Options(["drawn", "any", "buyer"])],
        "reservations": [Options(["sell", "hold"])],
        "churn": [Interval(float, 0, 1, closed="left")],
        "d_t": [Interval(float, 0, None)],
        "density": [NONE, Interval(int, 2, None)],
        "ratio": [NONE, Range(int)],
        "deadline": [NONE, Interval(float, 0, None, closed="neither")],
        "trace": [OfType(bool)],
    }

    def __init__(
        self,
        md: str = "L",
        mr: str = "H",
        zoa: int | str = 100,
        t_end: str = "Lg",
        episodes: int = 1,
        warmup: int = 0,
        competitor: str = "conan",
        competitor_params: dict[str, Any] | None = None,
        buyer_ip: tuple[int, int] = (300, 350),
        buyer_rp: tuple[int, int] = (500, 550),
        round_seconds: float = 1.0,
        penalty_rate: float = 0.1,
        max_reservations: int = 1,
        seller_max_reservations: int = 1,
        seller_deadline: str = "drawn",
        reservations: str = "sell",
        churn: float = 0.0,
        d_t: float = 0.0,
        density: int | None = None,
        ratio: tuple[int, int] | None = None,
        deadline: float | None = None,
        trace: bool = False,
    ) -> None:
        self.md = md
        self.mr = mr
        self.zoa = zoa
        self.t_end = t_end
        self.episodes = episodes
        self.warmup = warmup
        self.competitor = competitor
        self.competitor_params = competitor_params
        self.buyer_ip = buyer_ip
        self.buyer_rp = buyer_rp
        self.round_seconds = round_seconds
        self.penalty_rate = penalty_rate
        self.max_reservations = max_reservations
        self.seller_max_reservations = seller_max_reservations
        self.seller_deadline = seller_deadline
        self.reservations = reservations
        self.churn = churn
        self.d_t = d_t
        self.density = density
        self.ratio = ratio
        self.deadline = deadline
        self.trace = trace

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        check_buyer_ranges(params)
        ratio = params.get("ratio")
        if ratio is not None and min(ratio) < 1:
            raise ValueError("ratio: both sides of buyers:sellers must be at least 1")
        competitor_class(params.get("competitor", "conan"))

    @classmethod
    def roles_for_class(cls, player_cls: type) -> tuple[str, ...]:
        if issubclass(player_cls, EMarketBuyer):
            return ("buyer",)
        if issubclass(player_cls, SAOPRNegotiator):
            return ("seller",)
        return ()

    def episode_config(self, rng: np.random.Generator) -> tuple[MarketConfig, dict[str, Any]]:
        """Draw one episode's market from Table 3."""
        setting = draw_setting(rng, self.md, self.mr, self.t_end, self.density, self.ratio, self.deadline)
        sip, srp = ZOA_SELLER_RANGES[self.zoa_percent()]
        config = MarketConfig(
            n_buyers=setting["n_buyers"],
            n_sellers=setting["n_sellers"],
            t_end=setting["t_end"],
            buyer_ip=int(rng.integers(self.buyer_ip[0], self.buyer_ip[1] + 1)),
            buyer_rp=int(rng.integers(self.buyer_rp[0], self.buyer_rp[1] + 1)),
            seller_ip=sip,
            seller_rp=srp,
            competitor_t_end=T_END_RANGES[self.t_end] if self.deadline is None else (self.deadline,) * 2,
            buyer_ip_range=(self.buyer_ip[0], self.buyer_ip[1]),
            buyer_rp_range=(self.buyer_rp[0], self.buyer_rp[1]),
            round_seconds=self.round_seconds,
            penalty_rate=self.penalty_rate,
            max_reservations=self.max_reservations,
            seller_max_reservations=self.seller_max_reservations,
            seller_deadline=self.seller_deadline,
            reservations=self.reservations,
            churn=self.churn,
            d_t=self.d_t,
        )
        return config, setting

    def zoa_percent(self) -> int:
        """The zone of agreement in percent (``zoa`` given as H, A or L or as the number)."""
        return ZOA_NAMES[self.zoa] if isinstance(self.zoa, str) else self.zoa

    def play_episode(self, buyer: Any, make_seller: Callable[[int], Any], make_competitor: Callable[[int], Any],
                     rng: np.random.Generator, seed: int, record: bool = False,
                     on_seller: Callable[[Any], None] | None = None) -> dict[str, Any]:
        """One simulation: draw the market from ``rng``, run it with ``seed``; the episode summary."""
        config, setting = self.episode_config(rng)
        market = Market(config, buyer, make_seller, make_competitor, make_rng(seed),
                        record=record, on_seller=on_seller)
        result = market.run()
        summary = {
            **setting,
            "zoa": self.zoa_percent(),
            "ip": config.buyer_ip,
            "rp": config.buyer_rp,
            "success": result.success,
            "price": result.price,
            "t": result.t,
            "utility": result.utility,
            "seller_utility": result.seller_utility,
            "penalty": result.penalty,
            "rounds": result.rounds,
            "threads": result.threads,
            "reservations": result.reservations,
            "cancellations": result.cancellations,
            "competitor_deals": result.competitor_deals,
        }
        if record:
            summary["trace"] = result.trace
        return summary

    def play(self, seats: Mapping[str, Seat], seed: int, ctx: MatchContext) -> MatchResult:
        rng = make_rng(seed)
        buyer = ctx.register(seats["buyer"].make(name="buyer",
                                                 seed=derive_seed(seed, "buyer")), "buyer")
        make_seller = factory(seats["seller"].cls, seats["seller"].params)
        comp_cls, comp_params = competitor_class(self.competitor)
        make_competitor = factory(comp_cls, {**comp_params, **(self.competitor_params or {})})
        record = self.trace or ctx.trace

        def one(rng_: np.random.Generator, seed_: int, record_: bool) -> dict[str, Any]:
            try:
                return self.play_episode(buyer, make_seller, make_competitor, rng_, seed_, record_,
                                         on_seller=lambda neg: ctx.register(neg, "seller"))
            except ProtocolBreach as exc:
                if exc.buyer_id == 1:  # the buyer under test is the market's first agent
                    raise PlayerFault("buyer", str(exc)) from None
                raise RuntimeError(f"competitor '{self.competitor}' broke the protocol: {exc}") from None

        # Warm-up simulations first (a learning buyer adapts in them; ANEGMA 5.2.3's
        # "experience from 500 simulations"), from their own generator so the scored
        # simulations are the same markets whatever the warm-up.
        warm_rng = make_rng(derive_seed(seed, "warmup"))
        warm = [one(warm_rng, derive_seed(seed, "warmup", i), False)["success"] for i in range(self.warmup)]
        episodes = [one(rng, derive_seed(seed, "episode", episode), record) for episode in range(self.episodes)]
        if self.warmup:
            return MatchResult(roles=role_metrics(episodes), metrics=match_metrics(episodes),
                               details={"episodes": episodes,
                                        "warmup": {"simulations": len(warm), "deals": sum(warm)}})
        return MatchResult(roles=role_metrics(episodes), metrics=match_metrics(episodes),
                           details={"episodes": episodes})


def role_metrics(episodes: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Table 2 metrics of the buyer under test (and its sellers) over episodes."""
    n = len(episodes)
    wins = [e for e in episodes if e["success"]]
    u_avg = sum(e["utility"] for e in wins) / len(wins) if wins else None
    t_avg = 1000.0 * sum(e["t"] for e in wins) / len(wins) if wins else None
    s_pct = 100.0 * len(wins) / n
    return {
        "buyer": {
            "utility": sum(e["utility"] for e in wins) / n,
            "u_avg": u_avg,
            "t_avg": t_avg,
            "s_pct": s_pct,
            "penalty": sum(e["penalty"] for e in episodes) / n,
        },
        "seller": {
            "utility": sum(e["seller_utility"] for e in wins) / n,
            "u_avg": sum(e["seller_utility"] for e in wins) / len(wins) if wins else None,
            "t_avg": t_avg,
            "s_pct": s_pct,
            "penalty": 0.0,
        },
    }


def match_metrics(episodes: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(episodes)
    return {
        "s_pct": 100.0 * sum(e["success"] for e in episodes) / n,
        "rounds": sum(e["rounds"] for e in episodes) / n,
        "threads": sum(e["threads"] for e in episodes) / n,
    }


def factory(cls: type, params: Mapping[str, Any]) -> Callable[[int], Any]:
    """``make(seed)`` building ``cls(**params)`` (with ``seed`` if the class takes one).

    Seat.make inspects the signature on every call; a market builds hundreds
    of sellers, so inspect once. negmas negotiators are built as
    ``fast_ufun_class(cls)``: the same class with a cheaper ``ufun`` read.
    """
    names, _ = signature_params(cls)
    if issubclass(cls, SAOPRNegotiator):
        cls = fast_ufun_class(cls)
    params = dict(params)
    takes_seed = "seed" in names

    def make(seed: int) -> Any:
        return cls(**params, seed=seed) if takes_seed else cls(**params)

    return make


def competitor_class(name: str) -> tuple[type, dict[str, Any]]:
    """The class and default params of the competitors' strategy (a player short
    name or dotted path with the e-market buyer role)."""
    from tourney.registry import resolve_player

    try:
        resolved = resolve_player(name, "emarket")
    except Exception as exc:  # RegistryError: say which key it came from
        raise ValueError(f"competitor: {exc}") from None
    if resolved is None or "buyer" not in resolved.roles:
        raise ValueError(f"competitor: '{name}' cannot play an e-market buyer")
    return resolved.cls, dict(resolved.defaults)



def run_episodes(buyer: Any, n: int, seed: int, seller: str = "conceder", seller_params: dict[str, Any] | None = None,
                 record: bool = False, **world_params: Any) -> list[dict[str, Any]]:
    """The summaries of ``n`` e-market simulations of one match of ``buyer``, played by ``tourney.play_match``.

    ``buyer`` is a player type or class with the buyer role, alone or as
    ``(type, params)``; ``seller`` a player short name or dotted path with the
    seller role; ``world_params`` any ``EMarketWorld`` params (``md``, ``mr``,
    ``zoa``, ``t_end``, ``competitor``...). The summaries have ``trace`` rows
    when ``record``. Deterministic in ``seed``; a player's fault raises
    ValueError with the match's error.
    """
    from tourney.match import play_match

    world = EMarketWorld(**{**world_params, "episodes": n, "trace": record})
    outcome = play_match(world, {"buyer": buyer, "seller": (seller, dict(seller_params or {}))}, seed)
    return list(outcome.result().details["episodes"])
