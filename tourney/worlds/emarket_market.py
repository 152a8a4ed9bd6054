"""The e-market engine: one episode of ANEGMA's concurrent e-market, in a plain loop.

ANEGMA (Bagga et al.) section 3.1 adopts the protocol of Alrayes et al. (2018)
(states S1-S5, actions offer, accept, reqToReserve/reserve, confirm, cancel,
exit; ``tourney/worlds/emarket_protocol.py`` documents what a buyer sees and may do). The
market holds one buyer under test, competitor buyers and sellers of one item
each; every buyer negotiates with every seller, one thread per pair.

Why not ``SAOMechanism``: it costs ~0.5 ms per step; a market has up to ~600
threads for up to ~210 rounds, 81 settings and hundreds of simulations. The
sellers keep their negmas interface -- the world calls their ``respond(state)``
and ``propose(state)`` with a real ``SAOState`` and a small NMI carrying
``n_steps`` and the outcome space, exactly what ``SAOMechanism`` would pass a
``SAOPRNegotiator`` -- and ``tests/test_emarket.py`` checks that one thread
gives the same outcome as ``SAOMechanism`` does.

Choices where the papers are silent (each a parameter of ``MarketConfig``):

- Rounds of ``round_seconds`` (1 s) simulated time; the buyer acts on rounds
  ``t = 0, 1, ..., t_end`` (``floor(t_end / round_seconds) + 1`` rounds).
- Order within a round: buyers act one at a time in a seeded random order
  (first come, first served for the same item), then sellers answer.
- A seller's thread-time: Faratin's ``t / t_max`` runs from the round the
  thread opened (``step = 0``) to the seller's deadline (``n_steps`` = rounds
  left to it), so every seller reaches its reservation price by its deadline.
  With ``seller_deadline = "drawn"`` (default) each seller draws its own
  ``t_s`` from the same Table 3 range as the buyer's ``t_b`` (ANEGMA 5.1.1:
  "Each seller's deadline is assumed to be same as that of buyer but private
  to the seller": the same distribution, a value the buyer cannot know);
  ``"buyer"`` gives every seller the buyer under test's own ``t_b`` (the
  literal reading, which tells the buyer every seller's deadline, kept for
  comparison); ``"any"`` draws ``t_s`` from all of Table 3's deadlines
  (30-210 s), whatever the buyer's class. Each counted from the seller's entry. Competitor buyers draw their own
  ``t_b`` from the same Table 3 range.
- Reservation (S4): a seller reserves if it holds fewer than
  ``seller_max_reservations`` (1) reservations, else exits the thread (no
  penalty), the two moves the protocol allows there.
- ``reservations``: with ``"sell"`` (default) a seller holding a reservation
  may still sell to another buyer (it then cancels the reservation, below);
  with ``"hold"`` it keeps the item for the holder: another buyer's accept or
  confirm with it is met by the seller's exit from that thread
  (``end_reason`` ``seller-reserved``). Alrayes et al. let a seller cancel a
  reservation (paying ``D``) without saying when; RECON is not public.
- A seller that sells or leaves cancels its reservations and pays
  ``D x price`` to each holder; a buyer that buys ends its other threads and
  drops its reservations without penalty (the paper's "cancel all reservations
  after an accept" is not said to cost anything).
- A seller accepting our offer on the buyer's last round cannot be confirmed
  any more (the buyer has no turn left): no deal. ``SAOMechanism`` would count
  it; the equivalence test uses deals before the last round.
- Density: ``n_buyers = max(1, round(MD * b / (b + s)))`` for ratio b:s,
  ``n_sellers = max(1, MD - n_buyers)``; an agent that leaves (deal, deadline,
  or spontaneously with probability ``churn`` per round) is replaced the next
  round, so MD holds "at any given time" (ANEGMA 5, Hypothesis A).
- Utility (eq. 5): ``U = (RP_b - x - P)/(RP_b - IP_b) * (t/t_end)^d_t``, with
  ``P`` the penalties the buyer paid minus those paid to it. ANEGMA 5.2.4 says
  the reported tables use eq. 5 *without* the discount term, so ``d_t = 0`` by
  default; ``d_t = 0.6`` gives the paper's eq. 5 as written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from negmas import make_issue
from negmas.outcomes import make_os
from negmas.sao import ResponseType, SAOState

from tourney.worlds.emarket_protocol import (
    ACCEPT, BUYER_TURN, CANCEL, CONFIRM, EXIT, FAILED, LEGAL, OFFER, RESERVE,
    S1, S2, S3, S4, S5, SUCCESS, MarketView, Table1Row, Thread, ThreadNMI, buyer_utility,
)
from tourney.worlds.pricing import PriceUtility


TraceRow = tuple[float, int, Table1Row, list[Any] | None]  # (t, thread id, Table 1 state, action)
T3_DEADLINES = (30, 210)  # every deadline Table 3 lists (Sh 30-90, A 91-150, Lg 151-210 s)


class ProtocolBreach(Exception):
    """A buyer sent an action its thread's state does not allow."""

    def __init__(self, buyer_id: int, message: str) -> None:
        super().__init__(message)
        self.buyer_id = buyer_id


@dataclass
class MarketConfig:
    """The quantitative values of one episode (drawn by the world from Table 3)."""

    n_buyers: int
    n_sellers: int
    t_end: float  # the buyer under test's deadline t_b (s)
    buyer_ip: float
    buyer_rp: float
    seller_ip: tuple[int, int]  # uniform range of integer prices, per seller
    seller_rp: tuple[int, int]
    competitor_t_end: tuple[float, float]  # range a competitor's t_b is drawn from (whole seconds)
    buyer_ip_range: tuple[int, int] = (300, 350)
    buyer_rp_range: tuple[int, int] = (500, 550)
    round_seconds: float = 1.0
    penalty_rate: float = 0.1
    max_reservations: int = 1  # MRO, told to buyers
    seller_max_reservations: int = 1
    seller_deadline: str = "drawn"  # "drawn": from the t_end range (Table 3); "any": from all of
    # Table 3's deadlines, 30-210 s; "buyer": the buyer under test's t_b
    reservations: str = "sell"  # "sell": a reserved item may be sold to another buyer; "hold": it may not
    churn: float = 0.0
    d_t: float = 0.0
    price_bounds: tuple[int, int] = (0, 1000)


def _reserved(thread: Thread) -> float:
    """The price a thread in S5 holds (set by the reserve that led there)."""
    assert thread.reserved_price is not None
    return thread.reserved_price


class _Seller:
    __slots__ = ("id", "ip", "rp", "ufun", "deadline", "reservations", "links", "gone")

    def __init__(self, ident: int, ip: int, rp: int, ufun: PriceUtility, deadline: int) -> None:
        self.id = ident
        self.ip, self.rp, self.ufun = ip, rp, ufun
        self.deadline = deadline  # last round it acts on
        self.reservations = 0
        self.links: dict[int, _Link] = {}  # buyer id -> link
        self.gone = False


class _Buyer:
    __slots__ = ("id", "player", "view", "start", "last", "done", "outcome", "links")

    def __init__(self, ident: int, player: Any, view: MarketView, start: int, last: int) -> None:
        self.id = ident
        self.player = player
        self.view = view
        self.start, self.last = start, last  # first and last rounds it acts on
        self.done = False
        self.outcome: dict[str, Any] | None = None
        self.links: dict[int, _Link] = {}  # thread id -> link


class _Link:
    """One thread seen from both sides."""

    __slots__ = ("thread", "buyer", "seller", "neg", "state", "start")

    def __init__(self, thread: Thread, buyer: _Buyer, seller: _Seller, start: int) -> None:
        self.thread, self.buyer, self.seller, self.start = thread, buyer, seller, start
        self.neg: Any = None  # the seller's negotiator (negmas), made on the buyer's first offer
        self.state: SAOState | None = None


@dataclass
class EpisodeResult:
    """The buyer under test's outcome and a few market counts."""

    success: bool
    price: float | None
    t: float | None  # simulated seconds from the buyer's entry to the deal
    utility: float | None
    penalty: float
    seller_utility: float | None
    rounds: int
    threads: int
    reservations: int
    cancellations: int
    sellers_seen: int
    competitor_deals: int
    trace: list[TraceRow] = field(default_factory=list)


class Market:
    """One episode. ``buyer`` is the buyer under test (an ``EMarketBuyer``);
    ``make_seller(seed)`` a fresh seller negotiator per thread;
    ``make_competitor(seed)`` a fresh competitor buyer per entry."""

    def __init__(
        self,
        config: MarketConfig,
        buyer: Any,
        make_seller: Callable[[int], Any],
        make_competitor: Callable[[int], Any],
        rng: np.random.Generator,
        record: bool = False,
        on_seller: Callable[[Any], None] | None = None,
    ) -> None:
        self.config = config
        self.rng = rng
        self.make_seller = make_seller
        self.make_competitor = make_competitor
        self.record = record
        self.on_seller = on_seller  # called with each new seller negotiator (blame)
        low, high = config.price_bounds
        self.outcome_space = make_os([make_issue((low, high), "price")])
        self.rs = config.round_seconds
        self.sellers: list[_Seller] = []
        self.buyers: list[_Buyer] = []
        self.next_id = 0
        self.next_thread = 0
        self.n_active = [0, 0]  # sellers, buyers in the market now (kept as they enter and leave)
        self.trace: list[TraceRow] = []
        self.counts = dict(threads=0, reservations=0, cancellations=0, sellers_seen=0, competitor_deals=0)
        self.last_round = int(math.floor(config.t_end / self.rs + 1e-9))
        self.test_buyer = self._add_buyer(buyer, 0, self.last_round, config.buyer_ip, config.buyer_rp)

    # --- entering and leaving ---
    def _seller_rounds(self) -> int:
        """Rounds from a seller's entry to its deadline."""
        if self.config.seller_deadline == "buyer":
            return self.last_round
        c = self.config
        low, high = T3_DEADLINES if c.seller_deadline == "any" else c.competitor_t_end
        # int(): a fractional deadline range draws as numpy truncates it (whole seconds)
        return int(math.floor(float(self.rng.integers(int(low), int(high + 1))) / self.rs + 1e-9))

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _seed(self) -> int:
        return int(self.rng.integers(0, 2**62))

    def _add_buyer(self, player: Any, start: int, last: int, ip: float, rp: float) -> _Buyer:
        c = self.config
        view = MarketView(ip=ip, rp=rp, t_end=(last - start) * self.rs, round_seconds=self.rs,
                          penalty_rate=c.penalty_rate, max_reservations=c.max_reservations)
        buyer = _Buyer(self._new_id(), player, view, start, last)
        self.buyers.append(buyer)
        self.n_active[1] += 1
        for seller in self.sellers:
            if not seller.gone:
                self._open(buyer, seller, start)
        player.begin(view)
        return buyer

    def _add_seller(self, start: int, deadline: int) -> _Seller:
        c, rng = self.config, self.rng
        ip = int(rng.integers(c.seller_ip[0], c.seller_ip[1] + 1))
        rp = int(rng.integers(c.seller_rp[0], c.seller_rp[1] + 1))
        seller = _Seller(self._new_id(), ip, rp,
                         PriceUtility(ip, rp, outcome_space=self.outcome_space), deadline)
        self.sellers.append(seller)
        self.n_active[0] += 1
        self.counts["sellers_seen"] += 1
        for buyer in self.buyers:
            if not buyer.done:
                self._open(buyer, seller, start)
        return seller

    def _add_competitor(self, start: int) -> _Buyer:
        c, rng = self.config, self.rng
        t_b = float(rng.integers(int(c.competitor_t_end[0]), int(c.competitor_t_end[1] + 1)))
        ip = int(rng.integers(c.buyer_ip_range[0], c.buyer_ip_range[1] + 1))
        rp = int(rng.integers(c.buyer_rp_range[0], c.buyer_rp_range[1] + 1))
        last = start + int(math.floor(t_b / self.rs + 1e-9))
        return self._add_buyer(self.make_competitor(self._seed()), start, last, ip, rp)

    def _open(self, buyer: _Buyer, seller: _Seller, start: int) -> None:
        self.next_thread += 1
        thread = Thread(id=self.next_thread, seller=seller.id, opened=(start - buyer.start) * self.rs)
        link = _Link(thread, buyer, seller, start)
        buyer.links[thread.id] = link
        buyer.view.threads[thread.id] = thread
        seller.links[buyer.id] = link
        self.counts["threads"] += 1

    def _close(self, link: _Link, state: str, reason: str) -> None:
        th = link.thread
        if th.state == S5:
            link.seller.reservations -= 1
        th.state = state
        th.end_reason = reason
        link.buyer.links.pop(th.id, None)
        link.buyer.view.threads.pop(th.id, None)
        link.seller.links.pop(link.buyer.id, None)

    def _seller_leaves(self, seller: _Seller, reason: str) -> None:
        if not seller.gone:
            self.n_active[0] -= 1
        seller.gone = True
        for link in list(seller.links.values()):
            if link.thread.state == S5:
                # the seller cancels a reservation: it pays D x price to the buyer
                link.buyer.view.penalty_paid -= self.config.penalty_rate * _reserved(link.thread)
                self.counts["cancellations"] += 1
            self._close(link, FAILED, reason)

    def _buyer_leaves(self, buyer: _Buyer) -> None:
        if not buyer.done:
            self.n_active[1] -= 1
        buyer.done = True
        for link in list(buyer.links.values()):
            self._close(link, FAILED, "buyer-left")

    def _deal(self, link: _Link, price: float, r: int) -> None:
        buyer, seller = link.buyer, link.seller
        t = (r - buyer.start) * self.rs
        self._close(link, SUCCESS, "bought")
        self._buyer_leaves(buyer)
        self._seller_leaves(seller, "seller-sold")
        buyer.outcome = {"price": price, "t": t, "seller": seller}
        if buyer is not self.test_buyer:
            self.counts["competitor_deals"] += 1

    # --- the two half-rounds ---
    def _buyer_turn(self, buyer: _Buyer, r: int) -> None:
        view = buyer.view
        t = (r - buyer.start) * self.rs
        view.t = t
        view.n_sellers, view.n_buyers = self.n_active
        record = self.record and buyer is self.test_buyer
        if record:
            before = {tid: view.table1(th) for tid, th in view.threads.items()
                      if th.state in BUYER_TURN}
        actions = buyer.player.act(view) or {}
        if record:
            for tid, row in before.items():
                action = actions.get(tid)
                self.trace.append((t, tid, row, list(action) if action is not None else None))
        deal = None
        for tid, action in actions.items():
            link = buyer.links.get(tid)
            if link is None:
                raise ProtocolBreach(buyer.id, f"acted on thread {tid}, which is not open")
            kind = action[0]
            th = link.thread
            if th.state not in LEGAL.get(kind, ()):
                raise ProtocolBreach(buyer.id, f"'{kind}' is not allowed in state {th.state} (thread {tid})")
            if kind == OFFER:
                price = action[1]
                if not isinstance(price, (int, float)) or not math.isfinite(price) or price < 0:
                    raise ProtocolBreach(buyer.id, f"offered {price!r}, not a price")
                th.buyer_offers.append((t, float(price)))
                th.state = S1
            elif kind == ACCEPT or kind == CONFIRM:
                price = (th.reserved_price if th.state == S5 else
                         th.accepted_price if th.state == S3 else th.last_seller_offer)
                if deal is not None:
                    raise ProtocolBreach(buyer.id, "bought twice in one round")
                if th.state != S5 and link.seller.reservations and self.config.reservations == "hold":
                    self._close(link, FAILED, "seller-reserved")  # the item is held for another buyer
                    continue
                assert price is not None  # S2: the seller offered; S3: it accepted ours; S5: reserved
                deal = (link, price)
            elif kind == RESERVE:
                th.reserved_price = th.accepted_price if th.state == S3 else th.last_seller_offer
                th.state = S4
            elif kind == CANCEL:
                view.penalty_paid += self.config.penalty_rate * _reserved(th)
                self.counts["cancellations"] += 1
                self._close(link, FAILED, "buyer-cancel")
            elif kind == EXIT:
                self._close(link, FAILED, "buyer-exit")
            else:
                raise ProtocolBreach(buyer.id, f"unknown action {action!r}")
        if deal is not None:
            self._deal(deal[0], deal[1], r)

    def _seller_turn(self, link: _Link, r: int) -> None:
        th, seller = link.thread, link.seller
        t_buyer = (r - link.buyer.start) * self.rs
        if th.state == S4:
            if seller.reservations < self.config.seller_max_reservations:
                seller.reservations += 1
                self.counts["reservations"] += 1
                th.state = S5
            else:
                self._close(link, FAILED, "seller-exit")
                return
            th.last_seller_time = t_buyer
            return
        # S1: the seller's negotiator answers our offer, as under SAOMechanism.
        if link.neg is None:
            link.neg = self.make_seller(self._seed())
            if self.on_seller is not None:
                self.on_seller(link.neg)
            n_steps = max(seller.deadline - link.start + 1, 1)
            nmi = ThreadNMI(n_steps, self.outcome_space, f"t{th.id}")
            link.state = SAOState(running=True, started=True, step=0)
            link.neg.join(nmi, link.state, preferences=seller.ufun)
            link.neg.on_negotiation_start(link.state)
        state = link.state
        assert state is not None  # made with the negotiator
        step = r - link.start
        state.step = step
        n_steps = link.neg.nmi.n_steps
        state.relative_time = min((step + 1) / (n_steps + 1), 1.0)
        state.time = step * self.rs
        state.current_offer = (th.buyer_offers[-1][1],)
        th.last_seller_time = t_buyer
        response = link.neg.respond(state)
        if response == ResponseType.ACCEPT_OFFER:
            th.accepted_price = th.buyer_offers[-1][1]
            th.state = S3
            return
        if response != ResponseType.REJECT_OFFER:
            self._close(link, FAILED, "seller-exit")
            return
        offer = link.neg.propose(state)
        if offer is None:
            self._close(link, FAILED, "seller-exit")
            return
        th.seller_offers.append((t_buyer, float(offer[0])))
        th.state = S2

    # --- the episode ---
    def run(self) -> EpisodeResult:
        c = self.config
        test = self.test_buyer
        for _ in range(c.n_sellers):
            self._add_seller(0, self._seller_rounds())
        for _ in range(c.n_buyers - 1):
            self._add_competitor(0)
        r = 0
        while True:
            active = [b for b in self.buyers if not b.done]
            for i in self.rng.permutation(len(active)):
                buyer = active[i]
                if not buyer.done:
                    self._buyer_turn(buyer, r)
            if test.done:
                break
            for seller in self.sellers:
                if seller.gone:
                    continue
                for link in list(seller.links.values()):
                    if link.thread.state == S1 or link.thread.state == S4:
                        self._seller_turn(link, r)
            # departures at deadlines and by churn, then replacements
            leaving_b = [b for b in self.buyers if not b.done and (b.last <= r or (
                b is not test and c.churn and self.rng.random() < c.churn))]
            if test in leaving_b:
                break
            for b in leaving_b:
                self._buyer_leaves(b)
            for s in self.sellers:
                if not s.gone and (s.deadline <= r or (c.churn and self.rng.random() < c.churn)):
                    self._seller_leaves(s, "seller-left")
            n_s, n_b = self.n_active
            for _ in range(c.n_sellers - n_s):
                self._add_seller(r + 1, r + 1 + self._seller_rounds())
            for _ in range(c.n_buyers - n_b):
                self._add_competitor(r + 1)
            self.sellers = [s for s in self.sellers if not s.gone]
            self.buyers = [b for b in self.buyers if not b.done or b is test]
            r += 1
        return self._result(r)

    def _result(self, rounds: int) -> EpisodeResult:
        c, test = self.config, self.test_buyer
        penalty = test.view.penalty_paid
        out = test.outcome
        if out is None:
            test.player.end({"price": None, "t": None, "utility": None, "success": False, "penalty": penalty})
            return EpisodeResult(False, None, None, None, penalty, None, rounds + 1,
                                 trace=self.trace, **self.counts)
        price, t, seller = out["price"], out["t"], out["seller"]
        utility = buyer_utility(price + penalty, t, c.buyer_ip, c.buyer_rp, c.t_end, c.d_t)
        seller_u = (seller.rp - price) / (seller.rp - seller.ip)
        test.player.end({"price": price, "t": t, "utility": utility, "success": True, "penalty": penalty})
        return EpisodeResult(True, price, t, utility, penalty, seller_u, rounds + 1,
                             trace=self.trace, **self.counts)
