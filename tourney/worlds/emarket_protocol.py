"""The ``emarket`` world's protocol (ANEGMA's concurrent e-market): what a buyer sees and does.

The world (``tourney/worlds/emarket.py``, the market in ``emarket_market.py``)
owns this protocol; a buyer only reads the objects defined here and returns
actions. Players import it from here; nothing here imports a player. One buyer negotiates with every
seller in the market at once, one *thread* per seller, under the protocol of
Alrayes et al. (2018) as the ANEGMA paper (section 3.1) adopts it.

Time
----
Simulated seconds. The market advances in rounds of ``round_seconds`` (1 s by
default). ``view.t`` is the time since the buyer entered (``T_s = 0`` for
it); ``view.t_end`` its deadline ``t_b`` (Table 3: Sh 30-90 s, A 91-150 s,
Lg 151-210 s). The buyer acts on every round with ``t <= t_end``; the last
round (``view.is_last_round``) is its ``T_e``.

A round
-------
1. every buyer (in a seeded random order) gets ``act(view)`` once and returns
   ``{thread_id: action}`` for the threads where it is its turn; a missing
   thread means "wait" (the thread stays where it is);
2. every seller answers the threads where it is its turn (S1 offer or accept,
   S4 reserve or exit);
3. agents past their deadline leave, new agents enter (the market keeps its
   density), new sellers open new threads in state ``S0``.

Thread states (``Thread.state``; Fig. 4 of Alrayes et al. 2018)
-----------------------------------------------------------------
===== ===================================== ==================================
state meaning                               the buyer may
===== ===================================== ==================================
S0    new seller, nobody has offered yet    ``offer(x)`` (opens the thread)
S1    our offer stands, seller's turn        nothing (wait)
S2    the seller countered, buyer's turn     ``offer(x)``, ``accept``, ``reqToReserve``, ``exit``
S3    the seller accepted our last offer     ``confirm``, ``reqToReserve``, ``exit``
S4    we asked the seller to reserve         nothing (wait; the seller reserves or exits)
S5    the seller reserved its offer for us   ``accept``, ``cancel`` (we pay ``D x price``)
===== ===================================== ==================================

``accept`` in S2 buys at the seller's last offer, in S5 at the reserved price;
``confirm`` in S3 buys at our own last offer. The first purchase ends the
buyer's negotiation (one item wanted): its other threads end and its
reservations are cancelled without penalty to it (the deal was reached, Alrayes
et al.'s "cancel all reservations after an accept" costs the buyer nothing in
our implementation: the paper is silent on it; see the world's docstring).
``reqToReserve`` in S2 reserves the seller's last offer, in S3 our own last
offer. A seller may cancel a reservation (it sold elsewhere, or left): it pays
``D x price`` to the buyer; the thread's ``end_reason`` says so.

Actions are small tuples: ``(OFFER, price)``, ``(ACCEPT,)``, ``(CONFIRM,)``,
``(RESERVE,)``, ``(CANCEL,)``, ``(EXIT,)``. An illegal action in a state is a
protocol breach (the buyer loses the match).

The state a learning buyer sees (ANEGMA Table 1), per thread
----------------------------------------------------------------
``view.table1(thread)`` returns, in this order (``TABLE1_FIELDS``):

- ``NS_r``: the number of sellers we are dealing with now (our open threads);
- ``NC_r``: the number of other buyers active in the market now (the paper's
  competitors negotiate with the same sellers; every buyer here negotiates with
  every seller, so that is every other buyer);
- ``S_neg``: the thread's protocol state as an int 0..5 (S0..S5);
- ``X_best``: the best price offered in the thread by either side (the paper
  says "best offer made by either b or s"; for a buyer the lowest price: the
  seller's lowest offer if it has offered, else our last offer; ``None`` before
  any offer);
- ``T_left``: ``t_end`` minus the time of the seller's last action in the
  thread (``t_end - t`` before the seller has acted);
- ``IP_b`` and ``RP_b``.

With ``record=True`` (``run_episode``) or ``trace: true`` (world param) the
world keeps, for the buyer under test, one ``(t, thread_id, table1, action)``
row per thread where it was the buyer's turn (action ``None`` = waited): the
supervised-learning data of ANEGMA section 4.1.

Learning players train by running episodes directly, without the runner:
``tourney.worlds.emarket.run_episodes(buyer, n, seed, seller="conceder",
md="L", mr="H", zoa=60, t_end="Lg", record=True)`` returns the episode
summaries (and Table-1 traces) -- see that module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

OFFER = "offer"
ACCEPT = "accept"
CONFIRM = "confirm"
RESERVE = "reqToReserve"
CANCEL = "cancel"
EXIT = "exit"

S0, S1, S2, S3, S4, S5 = "S0", "S1", "S2", "S3", "S4", "S5"
SUCCESS, FAILED = "success", "failed"
STATE_INDEX = {S0: 0, S1: 1, S2: 2, S3: 3, S4: 4, S5: 5}
OPEN_STATES = frozenset(STATE_INDEX)
# Where each action is legal for the buyer.
LEGAL = {
    OFFER: frozenset({S0, S2}),
    ACCEPT: frozenset({S2, S5}),
    CONFIRM: frozenset({S3}),
    RESERVE: frozenset({S2, S3}),
    CANCEL: frozenset({S5}),
    EXIT: frozenset({S0, S1, S2, S3, S4}),
}
BUYER_TURN = frozenset({S0, S2, S3, S5})

Action = tuple[Any, ...]  # (OFFER, price), (ACCEPT,), ...
TimedOffer = tuple[float, float]  # (time, price) in a thread's history
Table1Row = tuple[int, int, int, float | None, float, float, float]  # in TABLE1_FIELDS order
TABLE1_FIELDS = ("NS_r", "NC_r", "S_neg", "X_best", "T_left", "IP_b", "RP_b")


@dataclass(eq=False)
class Thread:
    """One buyer-seller negotiation thread, as the buyer sees it.

    The world mutates it; buyers only read it. Offers are ``(t, price)`` pairs,
    ``t`` in the buyer's time.
    """

    id: int
    seller: int
    opened: float  # time the thread appeared (the seller entered or we entered)
    state: str = S0
    buyer_offers: list[TimedOffer] = field(default_factory=list)
    seller_offers: list[TimedOffer] = field(default_factory=list)
    accepted_price: float | None = None  # S3: the seller accepted this offer of ours
    reserved_price: float | None = None  # S4 (asked) / S5 (held)
    last_seller_time: float | None = None
    end_reason: str | None = None  # once closed: bought, exit, seller-left, ...

    @property
    def last_seller_offer(self) -> float | None:
        return self.seller_offers[-1][1] if self.seller_offers else None

    @property
    def last_buyer_offer(self) -> float | None:
        return self.buyer_offers[-1][1] if self.buyer_offers else None

    def best_price(self) -> float | None:
        """X_best: the seller's lowest offer, else our last offer."""
        if self.seller_offers:
            return min(p for _, p in self.seller_offers)
        return self.last_buyer_offer


@dataclass(eq=False)
class MarketView:
    """Everything a buyer may know at its turn (the world updates it in place)."""

    ip: float
    rp: float
    t_end: float
    round_seconds: float
    penalty_rate: float  # D: a cancelled reservation costs D x reserved price
    max_reservations: int  # MRO
    t: float = 0.0
    threads: dict[int, Any] = field(default_factory=dict)  # id -> Thread (open threads only; Any: players/ read it untyped)
    n_sellers: int = 0  # sellers in the market now
    n_buyers: int = 0  # buyers in the market now, us included
    penalty_paid: float = 0.0  # what our cancellations cost (minus what sellers paid us)

    @property
    def n_competitors(self) -> int:
        return max(self.n_buyers - 1, 0)

    @property
    def is_last_round(self) -> bool:
        return self.t + self.round_seconds > self.t_end

    def reserved(self) -> list[Thread]:
        return [th for th in self.threads.values() if th.state == S5]

    def table1(self, thread: Thread) -> Table1Row:
        """ANEGMA Table 1 state for ``thread`` (order: ``TABLE1_FIELDS``)."""
        last = thread.last_seller_time
        t_left = self.t_end - (self.t if last is None else last)
        return (
            len(self.threads),
            self.n_competitors,
            STATE_INDEX[thread.state],
            thread.best_price(),
            t_left,
            self.ip,
            self.rp,
        )


class EMarketBuyer:
    """Interface of an e-market buyer (CONAN, Williams, DDPG ...).

    ``begin(view)`` is called once per episode before the first round (the
    view holds ``ip``, ``rp``, ``t_end``...); ``act(view)`` once per round with
    the threads' states current; ``end(outcome)`` once at the episode end with
    ``{"price", "t", "utility", "success", "penalty"}`` (price/t None without a
    deal). Subclasses implement ``act``; players keep keyword params unchanged
    in ``__init__`` and per-episode state in attributes ending in ``_``.
    """

    def begin(self, view: MarketView) -> None:
        """Called at the start of each episode."""

    def act(self, view: MarketView) -> dict[int, Action]:
        raise NotImplementedError

    def end(self, outcome: dict[str, Any]) -> None:
        """Called at the end of each episode (learning players learn here)."""


@runtime_checkable
class Buyer(Protocol):
    """The buyer role: ``begin``/``act``/``end`` (``EMarketBuyer`` below gives no-op defaults)."""

    def begin(self, view: MarketView) -> None: ...

    def act(self, view: MarketView) -> dict[int, Action]: ...

    def end(self, outcome: dict[str, Any]) -> None: ...


@runtime_checkable
class Seller(Protocol):
    """The seller role: a negmas SAO price negotiator (``propose``/``respond``), called on
    each thread through a ``ThreadNMI`` as ``SAOMechanism`` would call it."""

    def propose(self, state: Any) -> Any: ...

    def respond(self, state: Any) -> Any: ...


def buyer_utility(x: float, t: float, ip: float, rp: float, t_end: float, d_t: float) -> float:
    """ANEGMA eq. (5): ``(RP_b - x)/(RP_b - IP_b) * (t/t_end)^d_t``, ``t`` clipped to [0, t_end].

    The one definition: the world scores with it (``d_t = 0`` by default, the
    paper's tables), the DDPG rewards learn with it (``d_t = 0.6`` as printed).
    """
    if rp == ip:
        raise ValueError("initial and reservation prices must differ")
    if t_end <= 0:
        raise ValueError("t_end must be positive")
    base = (rp - x) / (rp - ip)
    if d_t == 0:
        return base
    factor: float = min(max(t / t_end, 0.0), 1.0) ** d_t
    return base * factor


class ThreadNMI:
    """The part of negmas' ``SAONMI`` a price negotiator reads."""

    __slots__ = ("n_steps", "outcome_space", "time_limit", "id")

    def __init__(self, n_steps: int, outcome_space: Any, ident: str = "") -> None:
        self.n_steps = n_steps
        self.outcome_space = outcome_space
        self.time_limit = float("inf")
        self.id = ident


_FAST: dict[type, type] = {}


def fast_ufun_class(cls: type) -> type:
    """``cls`` with negmas' ``ufun`` property replaced by a plain read.

    negmas 0.16's ``Rational.ufun`` imports a module and runs an ``isinstance``
    check on every read (~2.5 us); the price tactics read it a dozen times per
    move, which made it 60 % of an e-market's run time. The subclass returns the
    same object (our sellers always hold a ``PriceUtility``), so behaviour is
    unchanged; the cleaner fix is for ``PriceNegotiator`` to cache ``ip``/``rp``.
    """
    fast = _FAST.get(cls)
    if fast is None:
        fast = type(cls.__name__, (cls,), {
            "ufun": property(lambda self: self._preferences),
            "__module__": cls.__module__,
            "__doc__": cls.__doc__,
        })
        _FAST[cls] = fast
    return fast
