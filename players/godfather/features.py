"""What the GBM predictor reads about one negotiation (Section 4, "GBM Model").

Three groups, as in the paper:

- the world: the day (share of the simulation elapsed), our level, the number
  of negotiation partners on this side, and the market's competitiveness:
  total exogenous input minus total exogenous output quantity of today (from
  the world's published exogenous summary; 0 when the world does not publish
  it), plus what we still need on this side;
- the negotiation: the turn (share of the negotiation elapsed), the
  opponent's and our last offers (quantity, price scaled to [0, 1] over the
  price issue), the number of offers so far;
- what our agent generates: the empirical predictor's P(agreement), mean
  quantity and mean scaled price, and the marginal utility function as a
  degree-3 polynomial in quantity (of the best marginal utility over prices,
  scaled by the largest absolute value).

Labels: the final quantity (0 = no agreement) and the scaled agreed price.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

FEATURES = [
    "day", "level", "is_seller", "n_partners", "competitiveness", "needed",
    "turn", "opp_q", "opp_p", "my_q", "my_p", "n_offers",
    "emp_agree", "emp_q", "emp_p", "mu0", "mu1", "mu2", "mu3",
]
N_QUANTITY_CLASSES = 11  # quantities 0 (disagreement) .. 10 (n_lines in SCML 2021)


def scale_price(price: float, low: float, high: float) -> float:
    return 0.0 if high <= low else (price - low) / (high - low)


def mu_polynomial(quantities: Sequence[float] | np.ndarray, mu_by_quantity: Sequence[float] | np.ndarray) -> list[float]:
    """Degree-3 fit of marginal utility against quantity, coefficients highest power first."""
    q = np.asarray(quantities, dtype=float)
    mu = np.asarray(mu_by_quantity, dtype=float)
    scale = float(np.max(np.abs(mu))) or 1.0
    if len(q) < 4:
        coeffs = np.polyfit(q, mu / scale, min(len(q) - 1, 3)) if len(q) > 0 else np.zeros(1)
        return [0.0] * (4 - len(coeffs)) + coeffs.tolist()
    return np.polyfit(q / q.max(), mu / scale, 3).tolist()
