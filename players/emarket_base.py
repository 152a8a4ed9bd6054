"""E-market buyers that need no coordination (the floor a concurrent buyer must beat).

The protocol (states, actions, ``MarketView``, ``EMarketBuyer``) is the world's:
``tourney.worlds.emarket_protocol``.
"""

from __future__ import annotations

from tourney.worlds.emarket_protocol import (
    ACCEPT, CONFIRM, EXIT, OFFER, S0, S2, S3, S5, EMarketBuyer, MarketView, Thread, ThreadNMI, fast_ufun_class,
)


class IndependentThreadsBuyer(EMarketBuyer):
    """Any price negotiator run on every thread on its own, without coordination.

    ``tactic`` is a ``"module:Class"`` of a negmas ``SAOPRNegotiator`` that reads
    ``ufun.ip``/``ufun.rp`` (the Faratin tactics, the random player...). Each
    thread gets a fresh one, called exactly as ``SAOMechanism`` would call a
    buyer that opens: ``propose`` on the thread's first round, then
    ``respond`` to the seller's counter-offer and ``propose`` after a
    rejection, with ``step`` = rounds since the thread opened and ``n_steps`` =
    rounds left to our deadline. A seller's acceptance is confirmed at once and
    a reservation (never asked for here) would be accepted. The baseline a
    concurrent strategy must beat, and the single-thread bridge the
    equivalence test checks against ``SAOMechanism``.
    """
    plays = {"emarket": ("buyer",)}

    param_constraints: dict = {}

    def __init__(self, tactic: str = "players.random_player:RandomPlayer",
                 tactic_params: dict | None = None, seed: int | None = None) -> None:
        self.tactic = tactic
        self.tactic_params = tactic_params
        self.seed = seed

    def begin(self, view: MarketView) -> None:
        from negmas import make_issue
        from negmas.outcomes import make_os

        from tourney.registry import import_object
        from tourney.seeding import derive_seed
        from tourney.worlds.pricing import PriceUtility

        self.cls_ = import_object(self.tactic)
        self.episode_ = getattr(self, "episode_", -1) + 1
        self.negotiators_: dict = {}
        self.outcome_space_ = make_os([make_issue((0, 10_000), "price")])
        self.ufun_ = PriceUtility(view.ip, view.rp, outcome_space=self.outcome_space_)
        self.derive_ = derive_seed

    def _negotiator(self, view: MarketView, thread: Thread):
        from negmas.sao import SAOState

        from tourney.params import signature_params

        entry = self.negotiators_.get(thread.id)
        if entry is None:
            params = dict(self.tactic_params or {})
            names, _ = signature_params(self.cls_)
            if "seed" in names and self.seed is not None:
                params["seed"] = self.derive_(self.seed, self.episode_, thread.id)
            neg = fast_ufun_class(self.cls_)(**params)
            n_steps = int(round((view.t_end - thread.opened) / view.round_seconds)) + 1
            nmi = ThreadNMI(n_steps, self.outcome_space_)
            state = SAOState(running=True, started=True, step=0)
            neg.join(nmi, state, preferences=self.ufun_)
            neg.on_negotiation_start(state)
            entry = self.negotiators_[thread.id] = (neg, state)
        neg, state = entry
        state.step = int(round((view.t - thread.opened) / view.round_seconds))
        n = neg.nmi.n_steps
        state.relative_time = min((state.step + 1) / (n + 1), 1.0)
        return neg, state

    def act(self, view: MarketView) -> dict[int, tuple]:
        from negmas.sao import ResponseType

        actions: dict[int, tuple] = {}
        for tid, thread in view.threads.items():
            st = thread.state
            if st == S0:
                neg, state = self._negotiator(view, thread)
                state.current_offer = None
                actions[tid] = (OFFER, float(neg.propose(state)[0]))
            elif st == S2:
                neg, state = self._negotiator(view, thread)
                state.current_offer = (thread.last_seller_offer,)
                response = neg.respond(state)
                if response == ResponseType.ACCEPT_OFFER:
                    actions[tid] = (ACCEPT,)
                elif response == ResponseType.REJECT_OFFER:
                    offer = neg.propose(state)
                    actions[tid] = (EXIT,) if offer is None else (OFFER, float(offer[0]))
                else:
                    actions[tid] = (EXIT,)
            elif st == S3:
                actions[tid] = (CONFIRM,)
            elif st == S5:
                actions[tid] = (ACCEPT,)
        # One item wanted: if several threads would buy, keep the cheapest.
        buys = [tid for tid, a in actions.items() if a[0] in (ACCEPT, CONFIRM)]
        if len(buys) > 1:
            def price(tid):
                th = view.threads[tid]
                return (th.reserved_price if th.state == S5 else
                        th.accepted_price if th.state == S3 else th.last_seller_offer)
            best = min(buys, key=lambda tid: (price(tid), tid))
            for tid in buys:
                if tid != best:
                    del actions[tid]
        return actions
