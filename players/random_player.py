"""A random price player: the floor every strategy should beat."""

from __future__ import annotations

from typing import Any

import numpy as np
from negmas.sao import SAOState

from players.base import PriceNegotiator


class RandomPlayer(PriceNegotiator):
    """Offers a uniformly random integer price between its initial and
    reservation prices; accepts an offer worth at least the one it would make."""
    plays = {"bilateral": ("buyer", "seller")}

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.seed = seed
        self.rng_ = np.random.default_rng(seed)

    def next_price(self, state: SAOState) -> float:
        return self.price_at(float(self.rng_.random()))
