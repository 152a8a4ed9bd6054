"""The ANEGMA buyer in the ``emarket`` world: one policy over every thread.

Each round, for every thread where it is the buyer's turn, the actor reads
the thread's Table 1 state (``MarketView.table1``) and f_c picks among the
actions the protocol allows there (``tourney.worlds.emarket_protocol.LEGAL``):

===== ==========================================================
S0    offer, exit
S2    offer, accept, reqToReserve, exit
S3    confirm, reqToReserve, exit
S5    accept, exit (played as ``cancel``: f_c has no cancel)
===== ==========================================================

reqToReserve is masked once the buyer holds or has asked for ``MRO``
reservations. Coordination across threads (the paper's centralised
multi-threading, section 3.2, gives no rule; ours): the buyer wants one
item, so of the threads where f_c chose to buy (accept/confirm) only the
cheapest buys; the others fall back to a counter-offer (S2) or wait (S3,
S5). Buying is f_c's decision alone: a counter-offer at or above the
seller's last offer is sent as the counter-offer it is (the seller may
accept it, and the buyer pays its own price on confirm); eq. (4) gives it -1
when it is above every seller's offer. Transitions are learnt
per thread (``players.ddpg.experience``), rewarded by eqs. (3)-(4) with
t and t_end in the buyer's simulated seconds.
"""

from __future__ import annotations

from typing import Any

from players.ddpg.agent import POLICY_DEFAULTS, AnegmaPolicyMixin
from players.ddpg.experience import EpisodeExperience
from players.ddpg.spaces import ACTION_INDEX, ALLOWED, ACTIONS, action_mask, encode_table1, offer_price
from tourney.worlds.emarket_protocol import (
    ACCEPT, CANCEL, CONFIRM, EXIT, OFFER, RESERVE, S2, S3, S4, S5, EMarketBuyer, MarketView,
)

_MASKS = {
    (state, reserve): action_mask([a for a in names if reserve or a != "reqToReserve"])
    for state, names in ALLOWED.items() for reserve in (True, False)
}


class DDPGEMarketBuyer(AnegmaPolicyMixin, EMarketBuyer):
    """ANEGMA's actor over every thread of the e-market; learns online with ``learn: true``."""
    plays = {"emarket": ("buyer",)}

    def __init__(
        self,
        checkpoint: str | None = POLICY_DEFAULTS["checkpoint"],
        learn: bool = POLICY_DEFAULTS["learn"],
        explore: bool | None = POLICY_DEFAULTS["explore"],
        d_t: float = POLICY_DEFAULTS["d_t"],
        offer_weight: float = POLICY_DEFAULTS["offer_weight"],
        gamma: float = POLICY_DEFAULTS["gamma"],
        tau: float = POLICY_DEFAULTS["tau"],
        lr_actor: float = POLICY_DEFAULTS["lr_actor"],
        lr_critic: float = POLICY_DEFAULTS["lr_critic"],
        batch_size: int = POLICY_DEFAULTS["batch_size"],
        noise: float = POLICY_DEFAULTS["noise"],
        epsilon: float = POLICY_DEFAULTS["epsilon"],
        updates_per_episode: int = POLICY_DEFAULTS["updates_per_episode"],
        warmup: int = POLICY_DEFAULTS["warmup"],
        hidden: tuple[int, ...] = POLICY_DEFAULTS["hidden"],
        seed: int | None = POLICY_DEFAULTS["seed"],
    ) -> None:
        self._set_policy_params(
            checkpoint=checkpoint, learn=learn, explore=explore, d_t=d_t, offer_weight=offer_weight,
            gamma=gamma, tau=tau, lr_actor=lr_actor, lr_critic=lr_critic, batch_size=batch_size,
            noise=noise, epsilon=epsilon, updates_per_episode=updates_per_episode, warmup=warmup,
            hidden=hidden, seed=seed,
        )
        self.experience_: EpisodeExperience | None = None  # the episode's transitions, when learning
        self.bought_from_ = None

    def begin(self, view: MarketView) -> None:
        self.experience_ = EpisodeExperience(
            self.learner, view.ip, view.rp, view.t_end, self.d_t, self.offer_weight
        ) if self.learn else None
        self.bought_from_ = None

    def act(self, view: MarketView) -> dict[int, tuple]:
        learner, explore = self.learner, self.exploring
        held = sum(1 for th in view.threads.values() if th.state in (S4, S5))
        can_reserve = held < view.max_reservations
        decisions = []
        for tid, th in view.threads.items():
            if th.state not in ALLOWED:
                continue
            vec = encode_table1(view.table1(th), view.t_end)
            mask = _MASKS[(th.state, can_reserve)]
            action, share = learner.act(vec, mask, explore=explore)
            price = float(round(offer_price(share, view.ip, view.rp)))
            name = ACTIONS[action]
            decisions.append([tid, th, vec, mask, name, share, price])
        # Reservations beyond MRO and every purchase but the cheapest fall back.
        buys = [d for d in decisions if d[4] in ("accept", "confirm")]
        best = min(buys, key=lambda d: _purchase_price(d[1]), default=None)
        for d in decisions:
            if d[4] in ("accept", "confirm") and d is not best:
                d[4] = "offer" if d[1].state == S2 else None
            elif d[4] == "reqToReserve":
                if held < view.max_reservations:
                    held += 1
                else:
                    d[4] = "offer" if d[1].state == S2 else None
        actions: dict[int, tuple] = {}
        for tid, th, vec, mask, name, share, price in decisions:
            if name is None:
                continue  # wait
            if self.experience_ is not None:
                seller_offers = [t.last_seller_offer for t in view.threads.values()
                                 if t.last_seller_offer is not None]
                self.experience_.decided(
                    tid, vec, mask, ACTION_INDEX[name], share, view.t,
                    offer=price if name == "offer" else None, seller_offers=seller_offers,
                )
            actions[tid] = _to_protocol(name, th.state, price)
            if name in ("accept", "confirm"):
                self.bought_from_ = tid
        return actions

    def end(self, outcome: dict[str, Any]) -> None:
        if self.experience_ is None:
            return
        if outcome.get("success"):
            self.experience_.finish(self.bought_from_, float(outcome["price"]), float(outcome["t"]))
        else:
            self.experience_.finish(None)
        self.experience_ = None
        self.learn_from_episode()


def _purchase_price(th) -> float:
    if th.state == S2:
        return th.last_seller_offer
    if th.state == S3:
        return th.accepted_price
    return th.reserved_price


def _to_protocol(name: str, state: str, price: float) -> tuple:
    if name == "offer":
        return (OFFER, price)
    if name == "accept":
        return (ACCEPT,)
    if name == "confirm":
        return (CONFIRM,)
    if name == "reqToReserve":
        return (RESERVE,)
    return (CANCEL,) if state == S5 else (EXIT,)
