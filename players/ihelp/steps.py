"""Offer prices of the I-Help agents (section 3.1 of Vassileva & Mudgal).

Opening offer (the paper's "offered price" rules)::

    buyer:  base = std_price if max_price > std_price else max_price;  offer = base - Delta
    seller: base = min_price if min_price > std_price else std_price;  offer = base + Delta

Delta for a very urgent user (x the offered price, R the preferred price)::

    buyer, risk seeking:  Delta = 1 - exp(-x / R)   (x > R)
    buyer, risk averse:   Delta = 1 - exp(-x / R)   (x < R)
    seller, risk seeking: Delta = sqrt(min_price)
    seller, risk averse:  Delta = log(min_price)

Choices where the paper is silent or unclear:

- Delta is the step by which an agent moves each later offer toward its limit
  (the paper calls these "the functions the agents use to increase or
  decrease their offers"); the opening subtracts/adds one step from the base.
  x is the agent's last offer (its base before the first one).
- The seller's Delta is in price units (square root or log of a price). The
  buyer's ``1 - exp(-x/R)`` is a pure number below 0.64 (x <= R); read as ICU
  it would make a buyer concede a few percent of a price per round while a
  seller concedes tens of percent, so we read it as the share of the
  remaining room to its maximum price conceded: ``Delta = (max_price - x)
  (1 - exp(-x/R))`` (it shrinks to 0 at the limit, which the paper requires).
- The two buyer formulas are the same expression; their side conditions
  (x > R, x < R) cannot separate them since a buyer's offers never pass its
  limit, so the buyer's risk behaviour acts through its utility in the
  influence diagram (``players.ihelp.decision``), which the paper also says
  varies with risk behaviour.
- Only "very urgent" is given. Other urgencies scale Delta by
  ``URGENCY_SCALE`` (urgent 1/2, not urgent 1/4), and "the price-offer decay
  and raise function are dependent on the money importance" by
  ``MONEY_SCALE`` (low 1, medium 3/4, high 1/2: money-minded users concede less).
- log of a minimum price below 1 is negative; Delta is floored at 0 (the
  agent then stays rigid, which the protocol allows).

Monotonicity (section 4.1): a buyer never lowers its bid and never bids above
its maximum price; a seller never raises its ask and never asks below its
minimum price. ``next_offer`` enforces both.
"""

from __future__ import annotations

import math

from tourney.worlds.ihelp import UserPreferences

URGENCY_SCALE = {"very urgent": 1.0, "urgent": 0.5, "not urgent": 0.25}
MONEY_SCALE = {"low": 1.0, "medium": 0.75, "high": 0.5}


def delta(role: str, prefs: UserPreferences, x: float, preferred: float, limit: float) -> float:
    """The paper's Delta for ``role``, scaled by urgency and money importance."""
    if role == "buyer":
        share = 1.0 - math.exp(-x / preferred) if preferred > 0 else 0.0
        base = share * max(limit - x, 0.0)
    elif prefs.risk == "seeking":
        base = math.sqrt(max(limit, 0.0))
    else:
        base = math.log(limit) if limit > 0 else 0.0
    return max(base, 0.0) * URGENCY_SCALE[prefs.urgency] * MONEY_SCALE[prefs.money_importance]


def opening_offer(role: str, prefs: UserPreferences, std_price: float, preferred: float, limit: float) -> float:
    """The first offer: the paper's rule, never past the user's limit."""
    if role == "buyer":
        base = std_price if limit > std_price else limit
        return min(base - delta(role, prefs, base, preferred, limit), limit)
    base = limit if limit > std_price else std_price
    return max(base + delta(role, prefs, base, preferred, limit), limit)


def next_offer(role: str, last: float, step: float, limit: float) -> float:
    """Move ``last`` by ``step`` toward the limit: monotone and within the limit."""
    step = max(step, 0.0)
    if role == "buyer":
        return max(min(last + step, limit), last) if last <= limit else last
    return min(max(last - step, limit), last) if last >= limit else last


def better_for(role: str, a: float, b: float) -> bool:
    """True if price ``a`` is at least as good as ``b`` for ``role``."""
    return a <= b if role == "buyer" else a >= b


def within_limit(role: str, price: float, limit: float) -> bool:
    return price <= limit + 1e-9 if role == "buyer" else price >= limit - 1e-9
