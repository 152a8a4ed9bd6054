"""CONAN, the concurrent buyer of Alrayes, Kafali & Stathis (2018), as summarised in
``docs/conan.md``.

Offer to seller s_i (eq. 2): ``x = IP_b + (RP_b - IP_b) CR_{t,si}``.
Concession rate (eq. 3), first matching case:
1. ``t = T_s``: 0;  2. ``t >= T_e - alpha`` and nothing reserved: 0.99;
3. the new rate is below the thread's last: keep the last (never retreat);
4. another seller's offer is reserved: ``0.9 CR_{t-1,sj}`` (s_j the reserved thread);
5. otherwise ``wEnv E_t + wSelf S_t``.
Self factor (eq. 4) ``S_t = (1/(RO+1) + NS + TE + EG)/4``, ``TE = (t - T_s)/T_b``,
``NS = (sigma - 2y)/(4y)`` from two 1/2/3 scores per thread (response time
``(t_reply - t_offer)/T_b`` and the seller's concession
``1 - (offer_{k-phi} - offer_{k-1})/(RP_b - IP_b)``). Environment (eq. 11)
``E_t = (1/Se + C + R_ds)/3``. Weights (eqs. 12-14) ``DM = (IP_si/RP_b) TE``,
``wSelf = DM x {0.75, 0.5, 0.25}`` for S_t low/medium/high, ``wEnv = 1 - wSelf``.
Actions (section 4.3) as listed in docs/conan.md: reqToReserve on (a)/(b) before
the deadline, accept/confirm on them near it, accept the best reservation at
``T_e``, cancel the least-preferred reservation beyond MRO.

Choices where the sources are silent or unconfirmed (each a parameter or
written here):

- ``C = NC/(NC + 1)`` (competitors) and ``R_ds = B/(B + S)`` (buyers over all
  agents) normalise the environment terms into [0, 1]; ``Se`` counts sellers
  in the market (at least 1).
- ``phi = 3`` offers for the concession window (``phi`` param); with fewer
  offers the seller's first offer is used.
- ``wSelf`` clamped to [0, 1]; ``IP_si`` is the seller's first offer (the
  thread's ``TE``-weighted DM needs a seller price: ``RP_b`` before one).
- A thread opened after ``T_s`` (a seller who entered later) skips case 1: it
  starts at the rule-5 rate rather than at the initial price.
- ``Penalty_b`` for a new reservation is ``D x`` the price of the reservation
  it would displace when ``RO >= MRO`` (0 otherwise) -- what cancelling costs;
  condition (a) asks ``y + Penalty_b`` (not ``y`` alone) to beat every reserved
  offer, as (b) does: read literally, (a) swaps a reservation for one a unit
  cheaper and pays ``D x price`` (~40) for it, and CONAN's utility went
  negative in dense markets.
- "Near the deadline" is ``t >= T_e - alpha`` with ``alpha`` one round
  (``alpha_rounds``).
- ``Penalty_b`` enters (a) and (b) only when they lead to a reservation:
  buying (accept/confirm near the deadline) drops our other reservations at no
  cost in this world, so there the offer need only beat them.
- In S3 when (b) fails (we hold a better reservation) we exit the thread.
- Several purchases possible at once (two sellers accepting, or a reserved and
  an offered price at ``T_e``): keep the cheapest.
- New threads beyond ``man`` active threads are left unopened.
- ``bilateral`` world (plain SAO, one thread, no reservations): ``Se = 1``,
  ``C = 0``, ``R_ds = 1/2``; condition (a) accepts at any time (there is no
  reservation to ask for), and ``T_e`` is the last step.
"""

from __future__ import annotations

from typing import Any

from negmas.sao import ResponseType, SAOState

from players.base import PriceNegotiator
from tourney.worlds.emarket_protocol import (
    ACCEPT, CANCEL, CONFIRM, EXIT, OFFER, RESERVE, S0, S2, S3, S4, S5, EMarketBuyer, MarketView, Thread,
)
from tourney.params import Interval


def _score(value: float) -> int:
    """1/2/3 for a value in (0, 1/3], (1/3, 2/3], (2/3, 1] (0 and below score 1)."""
    if value <= 1 / 3:
        return 1
    if value <= 2 / 3:
        return 2
    return 3


class Conan(PriceNegotiator, EMarketBuyer):
    """CONAN concurrent buyer; also a plain SAO price negotiator (one thread)."""
    plays = {"emarket": ("buyer",), "bilateral": ("buyer",)}

    param_constraints = {
        "eagerness": [Interval(float, 0, 1)],
        "phi": [Interval(int, 2, None)],
        "mro": [Interval(int, 1, None)],
        "man": [Interval(int, 1, None)],
        "alpha_rounds": [Interval(int, 0, None)],
        "penalty_rate": [Interval(float, 0, 1)],
    }

    def __init__(
        self,
        eagerness: float = 0.5,
        phi: int = 3,
        mro: int = 1,
        man: int = 100,
        alpha_rounds: int = 1,
        penalty_rate: float = 0.1,
        seed: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.eagerness = eagerness
        self.phi = phi
        self.mro = mro
        self.man = man
        self.alpha_rounds = alpha_rounds
        self.penalty_rate = penalty_rate
        self.seed = seed
        self.cr_: dict[int, float] = {}

    # --- the formulas ---
    def _ns(self, threads, t_b: float, span: float) -> float:
        """NS: the sellers' slowness and stubbornness, in [0, 1]."""
        sigma, y = 0, 0
        phi = self.phi
        for th in threads:
            offers = th.seller_offers
            if not offers:
                continue
            y += 1
            mine = th.buyer_offers
            reply = offers[-1][0] - mine[-1][0] if mine else 0.0
            first = offers[-phi][1] if len(offers) >= phi else offers[0][1]
            conceded = 1.0 - (first - offers[-1][1]) / span
            sigma += _score(reply / t_b) + _score(conceded)
        return (sigma - 2 * y) / (4 * y) if y else 0.0

    def _rates(self, view: MarketView, threads, t: float, t_end: float, reserved, environment: float):
        """CR per thread for this round (eq. 3), updating ``cr_``."""
        ip, rp = view.ip, view.rp
        span = rp - ip
        t_b = max(t_end, 1e-9)
        te = min(max(t / t_b, 0.0), 1.0)
        ns = self._ns(threads, t_b, span)
        s_t = (1.0 / (len(reserved) + 1) + ns + te + self.eagerness) / 4.0
        level = 0.75 if s_t <= 1 / 3 else 0.5 if s_t <= 2 / 3 else 0.25
        near = t >= t_end - self.alpha_rounds * view.round_seconds
        best_reserved = min(reserved, key=lambda th: th.reserved_price) if reserved else None
        cr_reserved = self.cr_.get(best_reserved.id, 0.0) if best_reserved is not None else 0.0
        rates = {}
        for th in threads:
            previous = self.cr_.get(th.id)
            if previous is None and t <= 0:
                cr = 0.0
            elif near and not reserved:
                cr = 0.99
            else:
                ip_s = th.seller_offers[0][1] if th.seller_offers else rp
                w_self = min(max((ip_s / rp) * te * level, 0.0), 1.0)
                new = (1.0 - w_self) * environment + w_self * s_t
                if previous is not None and new < previous:
                    cr = previous
                elif reserved and th is not best_reserved:
                    cr = 0.9 * cr_reserved
                else:
                    cr = new
            cr = min(max(cr, 0.0), 1.0)
            self.cr_[th.id] = cr
            rates[th.id] = cr
        return rates

    # --- the e-market ---
    def begin(self, view: MarketView) -> None:
        self.cr_ = {}

    def act(self, view: MarketView) -> dict[int, tuple]:
        t, t_end = view.t, view.t_end
        ip, rp = view.ip, view.rp
        span = rp - ip
        threads = list(view.threads.values())
        reserved = [th for th in threads if th.state == S5]
        n_sellers = max(view.n_sellers, 1)
        n_comp = view.n_competitors
        environment = (1.0 / n_sellers + n_comp / (n_comp + 1.0)
                       + view.n_buyers / (view.n_buyers + n_sellers)) / 3.0
        active = [th for th in threads if th.state != S0]
        openable = max(self.man - len(active), 0)
        for th in threads:
            if th.state == S0 and openable > 0:
                active.append(th)
                openable -= 1
        rates = self._rates(view, active, t, t_end, reserved, environment)
        near = t >= t_end - self.alpha_rounds * view.round_seconds
        last = view.is_last_round
        # Requests in flight (S4) count as reservations: they are granted next round.
        held = reserved + [th for th in threads if th.state == S4]
        reserved_prices = [th.reserved_price for th in held]
        worst = max(reserved_prices) if reserved_prices else None
        penalty = self.penalty_rate * worst if worst is not None and len(held) >= self.mro else 0.0
        best_reserved = min(reserved_prices) if reserved_prices else float("inf")
        requests: list[tuple[float, int]] = []

        actions: dict[int, tuple] = {}
        buys: list[tuple[float, int, tuple]] = []
        for th in active:
            st = th.state
            if st == S0:
                actions[th.id] = (OFFER, ip + span * rates[th.id])
            elif st == S2:
                y = th.last_seller_offer
                mine = ip + span * rates[th.id]
                if near and y <= mine and y < best_reserved:  # (a) near the deadline: buy
                    buys.append((y, th.id, (ACCEPT,)))
                elif y + penalty <= mine and y + penalty < best_reserved:  # condition (a)
                    if near:
                        buys.append((y, th.id, (ACCEPT,)))
                    else:
                        requests.append((y, th.id))
                        actions[th.id] = (OFFER, min(mine, y))
                else:
                    actions[th.id] = (OFFER, min(mine, y))
            elif st == S3:
                x = th.accepted_price
                if near and x < best_reserved:  # (b) near the deadline: buy
                    buys.append((x, th.id, (CONFIRM,)))
                elif x + penalty <= best_reserved:  # condition (b)
                    requests.append((x, th.id))
                else:
                    actions[th.id] = (EXIT,)
            elif st == S5 and last:
                buys.append((th.reserved_price, th.id, (ACCEPT,)))
        if buys:
            price, tid, action = min(buys)
            if price <= best_reserved or last:
                actions[tid] = action
                return {k: v for k, v in actions.items() if k == tid or v[0] != ACCEPT and v[0] != CONFIRM}
        # One reservation request per round, for the best offer that qualifies
        # (several at once would all be granted and all but one cancelled at a
        # cost); the other qualifying threads bargain on (S2) or wait (S3).
        if requests:
            _, tid = min(requests)
            actions[tid] = (RESERVE,)
        # Beyond MRO reservations: cancel the least preferred (dearest) ones.
        if len(reserved) > self.mro:
            for th in sorted(reserved, key=lambda th: (th.reserved_price, th.id))[self.mro:]:
                actions[th.id] = (CANCEL,)
        return actions

    # --- the bilateral world: one SAO thread ---
    def on_negotiation_start(self, state: SAOState) -> None:
        super().on_negotiation_start(state)
        self.cr_ = {}
        self.thread_ = Thread(id=0, seller=0, opened=0.0)
        self.view_: MarketView | None = None  # made on the first offer, once the round limit is known

    def _bilateral_rate(self, state: SAOState) -> float:
        view = self.view_
        if view is None:
            n_steps = self.nmi.n_steps
            view = self.view_ = MarketView(ip=self.ip, rp=self.rp, t_end=float(max(n_steps - 1, 1)),
                                           round_seconds=1.0, penalty_rate=0.0, max_reservations=1,
                                           n_sellers=1, n_buyers=1)
        view.t = float(state.step)
        return self._rates(view, [self.thread_], float(state.step), view.t_end, [], 0.5)[0]

    def next_price(self, state: SAOState) -> float:
        return self.price_at(self._bilateral_rate(state))

    def planned_offer(self, state: SAOState) -> tuple:
        if self.planned_ is None or self.planned_[0] != state.step:
            self.planned_ = (state.step, self.to_outcome(self.next_price(state)))
        return self.planned_[1]

    def propose(self, state: SAOState, dest: str | None = None) -> tuple:
        offer = super().propose(state, dest)
        self.thread_.buyer_offers.append((float(state.step), float(offer[0])))
        return offer

    def respond(self, state: SAOState, source: str | None = None) -> ResponseType:
        offer = state.current_offer
        if offer is None:
            return ResponseType.REJECT_OFFER
        self.thread_.seller_offers.append((float(state.step), float(offer[0])))
        return super().respond(state, source)
