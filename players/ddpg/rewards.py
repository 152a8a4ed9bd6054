"""The ANEGMA rewards, eqs. (3)-(5) of Bagga et al. (2020).

eq. (5), the buyer's utility of a price ``x`` at time ``t``::

    U_b(x, t) = (RP_b - x) / (RP_b - IP_b) * (t / t_end) ** d_t,   d_t = 0.6

eq. (4), the reward of a counter-offer ``x`` (regression head f_r), with
``O_t`` the sellers' current offers::

    r'_t = U_b(x, t)  if t <= t_end and x <= every offer in O_t
           -1         if t <= t_end and x >  every offer in O_t
           0          otherwise

eq. (3), the reward of the discrete action (classification head f_c)::

    r_t = U_b(x, t)  if t <= t_end and the negotiation ends in an agreement at x
          -1         if t <= t_end and it ends without a deal
          r'_t       if a_t is a counter-offer
          0          otherwise

Choices where the paper is silent or self-contradictory, kept as parameters:

- eq. (5) as printed rewards *later* agreements more (``(t/t_end)^d_t`` grows
  with t) although the text says d_t "encourages b to negotiate without
  delay". We follow the printed formula (``d_t`` is a parameter; 0 removes the
  time term) and flag it in the reproduction report.
- ``x > every offer in O_t`` is read literally (above the highest offer); an
  ``x`` between the lowest and the highest seller offer earns 0. With one
  seller (the bilateral world) the two readings agree.
- With no seller offer yet (``O_t`` empty) the counter-offer earns
  ``U_b(x, t)``: "x <= every offer" holds vacuously, and the first case wins.
- An agreement or a breakdown is the outcome of the episode's last decision: its
  reward replaces the counter-offer reward of that decision (a seller accepting
  our counter-offer ``x`` pays ``U_b(x, t)``, not ``r'_t`` and then ``U_b``).
"""

from __future__ import annotations

from typing import Iterable

from tourney.worlds.emarket_protocol import buyer_utility as _eq5

DEFAULT_DT = 0.6


def buyer_utility(x: float, t: float, ip: float, rp: float, t_end: float, d_t: float = DEFAULT_DT) -> float:
    """eq. (5) (the world's one definition) with the paper's d_t by default."""
    return _eq5(x, t, ip, rp, t_end, d_t)


def offer_reward(
    x: float, t: float, seller_offers: Iterable[float], ip: float, rp: float, t_end: float,
    d_t: float = DEFAULT_DT,
) -> float:
    """eq. (4): the reward of counter-offering ``x`` when the sellers offer ``seller_offers``."""
    if t > t_end:
        return 0.0
    offers = list(seller_offers)
    if not offers or all(x <= o for o in offers):
        return buyer_utility(x, t, ip, rp, t_end, d_t)
    if all(x > o for o in offers):
        return -1.0
    return 0.0


def action_reward(
    action: str,
    t: float,
    ip: float,
    rp: float,
    t_end: float,
    *,
    outcome: str | None = None,
    price: float | None = None,
    offer: float | None = None,
    seller_offers: Iterable[float] = (),
    d_t: float = DEFAULT_DT,
) -> float:
    """eq. (3): the reward of discrete ``action`` taken at ``t``.

    ``outcome`` is ``"agreement"`` (at ``price``) or ``"no_deal"`` when this
    decision ended the episode, None otherwise; ``offer`` is the counter-offer's
    price when ``action == "offer"``.
    """
    if outcome is not None and t <= t_end:
        if outcome == "agreement":
            if price is None:
                raise ValueError("an agreement needs its price")
            return buyer_utility(price, t, ip, rp, t_end, d_t)
        if outcome == "no_deal":
            return -1.0
        raise ValueError(f"outcome must be 'agreement' or 'no_deal', got {outcome!r}")
    if action == "offer":
        if offer is None:
            raise ValueError("a counter-offer needs its price")
        return offer_reward(offer, t, seller_offers, ip, rp, t_end, d_t)
    return 0.0
