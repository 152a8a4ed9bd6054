"""The ANEGMA buyer in the ``bilateral`` world: one thread, negmas SAO.

The bilateral world is a one-seller market, so Table 1 reads: NS_r = 1,
NC_r = 0, S_neg = S0 before the first offer and S2 when the seller has
countered (buyer's turn), X_best the seller's lowest offer so far (our last
offer before it has offered), T_left = 1 - the relative time, IP_b and RP_b
from the utility function. Time for eq. (5) is the round: t / t_end is the
relative time of ``PriceNegotiator.relative_time``. The SAO protocol allows
offer, accept and exit (end the negotiation) once the seller has offered, and
only an offer before; f_c's other actions are masked. A counter-offer at or
above the seller's current price is played (and learnt) as accepting it.

Plays the buyer only: ANEGMA is a buyer model (a seller would need eq. (5)
mirrored and a policy trained for it).
"""

from __future__ import annotations

from typing import Any

from negmas.sao import ResponseType, SAOState

from players.base import PriceNegotiator
from players.ddpg.agent import POLICY_DEFAULTS, AnegmaPolicyMixin
from players.ddpg.experience import EpisodeExperience
from players.ddpg.spaces import ACTIONS, action_mask, encode_state, offer_price

_S0, _S2 = 0, 2
_OPEN = action_mask(["offer"])
_COUNTER = action_mask(["offer", "accept", "exit"])


class DDPGBilateralBuyer(AnegmaPolicyMixin, PriceNegotiator):
    """ANEGMA's actor as a negmas SAO buyer; learns online with ``learn: true``."""
    plays = {"bilateral": ("buyer",)}

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
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self._set_policy_params(
            checkpoint=checkpoint, learn=learn, explore=explore, d_t=d_t, offer_weight=offer_weight,
            gamma=gamma, tau=tau, lr_actor=lr_actor, lr_critic=lr_critic, batch_size=batch_size,
            noise=noise, epsilon=epsilon, updates_per_episode=updates_per_episode, warmup=warmup, hidden=hidden,
            seed=seed,
        )
        self.experience_: EpisodeExperience | None = None  # the episode's transitions, when learning
        self.planned_ = None
        self.last_t_ = 0.0

    def on_negotiation_start(self, state: SAOState) -> None:
        super().on_negotiation_start(state)
        if not self.is_buyer:
            raise ValueError("the DDPG player negotiates as a buyer only (its ip must lie below its rp)")
        self.experience_ = EpisodeExperience(
            self.learner if self.learn else None, self.ip, self.rp, 1.0, self.d_t, self.offer_weight
        ) if self.learn else None
        self.planned_ = None

    # --- one decision per round ---
    def _decide(self, state: SAOState, seller_offer: float | None) -> tuple[str, float]:
        t = self.relative_time(state)
        x_best = min(self.opponent_offers_) if self.opponent_offers_ else (
            self.my_offers_[-1] if self.my_offers_ else None)
        s_neg = _S2 if seller_offer is not None else _S0
        vec = encode_state(1, 0, s_neg, x_best, 1.0 - t, self.ip, self.rp)
        mask = _COUNTER if seller_offer is not None else _OPEN
        action, share = self.learner.act(vec, mask, explore=self.exploring)
        name = ACTIONS[action]
        price = float(self.to_outcome(offer_price(share, self.ip, self.rp))[0])
        if name == "offer" and seller_offer is not None and price >= seller_offer:
            # Counter-offering at or above the seller's price is accepting it at a
            # worse (or the same) price; negmas also refuses an offer equal to the one
            # just rejected.
            name, action = "accept", ACTIONS.index("accept")
        if self.experience_ is not None:
            self.experience_.decided(
                0, vec, mask, action, share, t, offer=price if name == "offer" else None,
                seller_offers=[seller_offer] if seller_offer is not None else [],
            )
        self.last_t_ = t
        return name, price

    def respond(self, state: SAOState, source: str | None = None) -> ResponseType:
        offer = state.current_offer
        if offer is None:
            return ResponseType.REJECT_OFFER
        self.opponent_offers_.append(offer[0])
        name, price = self._decide(state, offer[0])
        if name == "accept":
            return ResponseType.ACCEPT_OFFER
        if name == "exit":
            return ResponseType.END_NEGOTIATION
        self.planned_ = (state.step, (int(price),))
        return ResponseType.REJECT_OFFER

    def propose(self, state: SAOState, dest: str | None = None) -> tuple:
        if self.planned_ is not None and self.planned_[0] == state.step:
            outcome = self.planned_[1]
        else:
            # Opening: f_c may only offer here.
            _, price = self._decide(state, None)
            outcome = (int(price),)
        self.planned_ = None
        self.my_offers_.append(outcome[0])
        return outcome

    def on_negotiation_end(self, state: SAOState) -> None:
        super().on_negotiation_end(state)
        if self.experience_ is None:
            return
        if state.agreement is not None:
            self.experience_.finish(0, float(state.agreement[0]), self.last_t_)
        else:
            self.experience_.finish(None)
        self.experience_ = None
        self.learn_from_episode()
