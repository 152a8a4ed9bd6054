"""Faratin, Sierra & Jennings (1998) negotiation decision functions.

Formulas from ``docs/faratin.md``, written for one price
issue with ``x = ip + alpha (rp - ip)`` (a buyer's score falls with price, a
seller's rises; one formula serves both since ``rp - ip`` carries the sign).

Time-dependent: tau = t / t_max;
polynomial ``alpha = kappa + (1 - kappa) tau^(1/beta)``,
exponential ``alpha = exp((1 - tau)^beta ln kappa)``.
beta < 1 Boulware, beta = 1 linear, beta > 1 Conceder.

Behaviour-dependent (imitative), with ``opp`` the opponent's offers and ``mine``
ours, most recent last:
relative TFT ``v = opp[-(d+1)] / opp[-d] * mine[-1]``,
random absolute TFT ``v = mine[-1] + (opp[-(d+1)] - opp[-d]) + (-1)^s R(M)``,
averaged TFT ``v = opp[-(g+1)] / opp[-1] * mine[-1]``; every value clamped to
[min(ip, rp), max(ip, rp)].

Unconfirmed in the sources, chosen here: before enough history exists an
imitative tactic opens at its initial price and repeats its last offer (it has
nothing to imitate yet). ``R(M)`` is drawn from the player's own seeded
generator.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from negmas.sao import SAOState

from players.base import PriceNegotiator
from tourney.params import Interval, Options


# What the Faratin tactics play (the class declares it: short name and dotted path agree).
FARATIN_WORLDS = {"bilateral": ("buyer", "seller"), "emarket": ("seller",), "ihelp": ("buyer", "seller"),
                  "consumer": ("buyer", "seller")}

class TimeDependent(PriceNegotiator):
    """Faratin time-dependent tactic (linear, conceder, boulware by ``beta``)."""
    plays = FARATIN_WORLDS

    param_constraints = {
        "beta": [Interval(float, 0, None, closed="neither")],
        "kappa": [Interval(float, 0, 1, closed="left")],
        "family": [Options(["polynomial", "exponential"])],
    }

    def __init__(
        self,
        beta: float = 1.0,
        kappa: float = 0.0,
        family: str = "polynomial",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.beta = beta
        self.kappa = kappa
        self.family = family

    def alpha(self, tau: float) -> float:
        return time_alpha(tau, self.beta, self.kappa, self.family)

    def next_price(self, state: SAOState) -> float:
        return self.price_at(self.alpha(self.relative_time(state)))


def time_alpha(tau: float, beta: float, kappa: float = 0.0, family: str = "polynomial") -> float:
    """Faratin's alpha(t): the share of [ip, rp] conceded at relative time ``tau``."""
    tau = min(max(tau, 0.0), 1.0)
    if family == "polynomial":
        return kappa + (1.0 - kappa) * tau ** (1.0 / beta)
    if family == "exponential":
        if kappa <= 0:
            raise ValueError("the exponential family needs kappa > 0")
        return math.exp((1.0 - tau) ** beta * math.log(kappa))
    raise ValueError(f"family must be 'polynomial' or 'exponential', got {family!r}")


class _Imitative(PriceNegotiator):
    """Common bookkeeping of the behaviour-dependent tactics."""
    plays = FARATIN_WORLDS

    window = 1

    def imitate(self) -> float:
        raise NotImplementedError

    def next_price(self, state: SAOState) -> float:
        if not self.my_offers_:
            return self.ip
        if len(self.opponent_offers_) < self.window + 1:
            return self.my_offers_[-1]
        return self.clamp(self.imitate())


class RelativeTFT(_Imitative):
    """Relative tit-for-tat: concede in the ratio the opponent conceded ``delta`` steps ago."""

    param_constraints = {"delta": [Interval(int, 1, None)]}

    def __init__(self, delta: int = 1, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.delta = delta
        self.window = delta

    def imitate(self) -> float:
        opp, d = self.opponent_offers_, self.delta
        return opp[-(d + 1)] / opp[-d] * self.my_offers_[-1]


class RandomAbsoluteTFT(_Imitative):
    """Random absolute tit-for-tat: concede the opponent's absolute step plus R(M)."""

    param_constraints = {"delta": [Interval(int, 1, None)], "m": [Interval(int, 0, None)]}

    def __init__(
        self, delta: int = 1, m: int = 2, seed: int | None = None, name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.delta = delta
        self.m = m
        self.seed = seed
        self.window = delta
        self.rng_ = np.random.default_rng(seed)

    def imitate(self) -> float:
        opp, d = self.opponent_offers_, self.delta
        # (-1)^s R(M): s = 0 when our score falls with price (buyer), so a buyer adds.
        sign = 1 if self.is_buyer else -1
        noise = int(self.rng_.integers(0, self.m + 1))
        return self.my_offers_[-1] + (opp[-(d + 1)] - opp[-d]) + sign * noise


class AveragedTFT(_Imitative):
    """Averaged tit-for-tat: concede as the opponent did over the last ``gamma`` offers."""

    param_constraints = {"gamma": [Interval(int, 1, None)]}

    def __init__(self, gamma: int = 2, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.gamma = gamma
        self.window = gamma

    def imitate(self) -> float:
        opp, g = self.opponent_offers_, self.gamma
        return opp[-(g + 1)] / opp[-1] * self.my_offers_[-1]
