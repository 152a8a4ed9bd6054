"""The ANEGMA state (Table 1) and action sets, as vectors a network reads.

Table 1 attributes and their encoding (13 numbers); the attribute values are
those ``tourney.worlds.emarket_protocol.MarketView.table1`` gives:

====================  =======================================================
NS_r                  sellers b deals with now, divided by ``COUNT_SCALE``
NC_r                  competing buyers now, divided by ``COUNT_SCALE``
S_neg                 protocol state S0..S5 (Alrayes et al. 2018 and S0, a
                      thread nobody has offered in yet), one-hot
X_best                best price in the thread (the seller's lowest offer,
                      else our last offer), as the share of [IP_b, RP_b]:
                      ``(X_best - IP_b)/(RP_b - IP_b)`` clipped to [-1, 3]
has X_best            1 when an offer exists, else 0 (X_best is then 0)
T_left                t_end minus the time of the seller's last action,
                      as a share of b's negotiation time t_end
IP_b, RP_b            divided by ``PRICE_SCALE``
====================  =======================================================

Where the paper is silent: it lists raw attributes; we scale them so one
network serves any price range and market size (prices relative to the
buyer's own [IP_b, RP_b], counts by the largest market density of Table 3).
The flag for a missing X_best is ours.

Actions (eq. 1): f_c picks one of ``ACTIONS``; f_r (eq. 2) gives the
counter-offer ``x = IP_b + a (RP_b - IP_b)`` with ``a`` in [0, 1], so x lies in
[IP_b, RP_b] by construction. A world passes a mask of the actions its
protocol allows in the current state (the bilateral world allows offer,
accept and exit).
"""

from __future__ import annotations

import numpy as np

ACTIONS = ("offer", "accept", "confirm", "reqToReserve", "exit")
ACTION_INDEX = {name: i for i, name in enumerate(ACTIONS)}
# The actions of ACTIONS the e-market protocol allows a buyer in each state where
# it is its turn ("exit" in S5 cancels the reservation); one table for the
# player and for the supervised traces.
ALLOWED = {
    "S0": ("offer", "exit"),
    "S2": ("offer", "accept", "reqToReserve", "exit"),
    "S3": ("confirm", "reqToReserve", "exit"),
    "S5": ("accept", "exit"),
}
N_ACTIONS = len(ACTIONS)
PROTOCOL_STATES = ("S0", "S1", "S2", "S3", "S4", "S5")
STATE_DIM = 13
COUNT_SCALE = 50.0
PRICE_SCALE = 1000.0


def encode_state(
    ns: float,
    nc: float,
    s_neg: int,
    x_best: float | None,
    t_left: float,
    ip: float,
    rp: float,
) -> np.ndarray:
    """The Table 1 attributes as a float32 vector of length ``STATE_DIM``.

    ``s_neg`` is the protocol state's index (0 for S0 ... 5 for S5);
    ``t_left`` the share of the buyer's negotiation time still left, in [0, 1].
    """
    v = np.zeros(STATE_DIM, dtype=np.float32)
    v[0] = ns / COUNT_SCALE
    v[1] = nc / COUNT_SCALE
    v[2 + int(s_neg)] = 1.0
    if x_best is not None:
        v[8] = min(max((x_best - ip) / (rp - ip), -1.0), 3.0)
        v[9] = 1.0
    v[10] = min(max(t_left, 0.0), 1.0)
    v[11] = ip / PRICE_SCALE
    v[12] = rp / PRICE_SCALE
    return v


def encode_table1(row, t_end: float) -> np.ndarray:
    """``encode_state`` for a ``MarketView.table1`` tuple (T_left in seconds)."""
    ns, nc, s_neg, x_best, t_left, ip, rp = row
    return encode_state(ns, nc, s_neg, x_best, t_left / t_end, ip, rp)


def action_mask(allowed) -> np.ndarray:
    """A boolean mask over ``ACTIONS`` from the names allowed."""
    mask = np.zeros(N_ACTIONS, dtype=bool)
    for name in allowed:
        mask[ACTION_INDEX[name]] = True
    if not mask.any():
        raise ValueError("at least one action must be allowed")
    return mask


def offer_price(a: float, ip: float, rp: float) -> float:
    """eq. (2): f_r's output ``a`` in [0, 1] as a price in [IP_b, RP_b]."""
    a = min(max(float(a), 0.0), 1.0)
    return ip + a * (rp - ip)


def offer_share(x: float, ip: float, rp: float) -> float:
    """The inverse of ``offer_price``: a price as a share of [IP_b, RP_b], clipped to [0, 1]."""
    return min(max((x - ip) / (rp - ip), 0.0), 1.0)
