"""The "goldfish" estimate of an opponent's marginal utility (Section 3).

The SCML OneShot utility of the opponent in this one negotiation, with: its
level exact (it sits one level above or below us); no contracts in its other
negotiations; its exogenous quantity equal to the quantity of its most recent
offer to us (the goldfish memory); every other parameter at the mean of the
distribution ``SCML2020OneShotWorld.generate`` draws it from:

- production cost: ``production_costs = (1, 4)`` -> 2.5, times ``level + 1``
  (``cost_increases_with_level``, as generate scales it);
- shortfall penalty ``(0.2, 1.0)`` -> 0.6 and disposal cost ``(0.0, 0.2)`` ->
  0.1, both per unit of the product's trading price (``penalties_scale =
  "trading"``).

A seller opponent earns ``p`` per unit it can deliver (at most its exogenous
input ``Q``), pays production on those, the disposal cost on unsold inputs and
the shortfall penalty on units it sold but lacks. A buyer opponent pays ``p q``
and production on the units it can sell on (at most its exogenous output
``Q``), the shortfall penalty on units of ``Q`` not bought and the disposal cost
on units bought beyond ``Q``. Constant terms (its exogenous revenue or cost)
are left out: the frontier and the Nash point depend on differences only.
Before the opponent has made any offer, ``Q`` is the midpoint of the quantity
issue (the paper is silent).
"""

from __future__ import annotations

import numpy as np

MEAN_PRODUCTION_COST = 2.5
MEAN_SHORTFALL_PENALTY = 0.6
MEAN_DISPOSAL_COST = 0.1


def goldfish_utility(
    q: np.ndarray,
    p: np.ndarray,
    opponent_is_seller: bool,
    opponent_level: int,
    exogenous_quantity: float,
    input_price: float,
    output_price: float,
) -> np.ndarray:
    """Estimated utility to the opponent of each outcome ``(q[i], p[i])``; ``q = 0``
    is disagreement. ``input_price``/``output_price`` are the trading prices of
    the opponent's input and output products."""
    q = np.asarray(q, dtype=float)
    p = np.asarray(p, dtype=float)
    big_q = float(exogenous_quantity)
    cost = MEAN_PRODUCTION_COST * (opponent_level + 1)
    if opponent_is_seller:
        delivered = np.minimum(q, big_q)
        return (
            (p - cost) * delivered
            - MEAN_DISPOSAL_COST * input_price * np.maximum(0.0, big_q - q)
            - MEAN_SHORTFALL_PENALTY * output_price * np.maximum(0.0, q - big_q)
        )
    produced = np.minimum(q, big_q)
    return (
        -p * q
        - cost * produced
        - MEAN_SHORTFALL_PENALTY * output_price * np.maximum(0.0, big_q - q)
        - MEAN_DISPOSAL_COST * input_price * np.maximum(0.0, q - big_q)
    )
