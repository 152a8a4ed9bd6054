"""Turns a buyer's decisions into rewarded transitions, one chain per thread.

A decision in a thread waits for the next decision in the same thread (its
``s_t+1``) or for the end of the episode. Rewards follow eqs. (3)-(4)
(``players.ddpg.rewards``): a counter-offer earns ``offer_weight * r'_t`` when
the next decision comes; at the episode's end every thread's last decision
becomes terminal.

Choices where the paper is silent:

- Terminal rewards with many threads: the thread where the buyer bought earns
  ``U_b(price, t)``; if the buyer bought nothing, every thread's last
  decision earns -1 (eq. 3, "no deal"); other threads of a buyer that did buy
  earn 0 (eq. 3, "otherwise"), so threads are not blamed for a deal made
  elsewhere.
- ``offer_weight`` scales the counter-offer reward r'_t in eq. (3). At 1 (the
  printed equations) a counter-offer at or below the seller's offer earns
  about as much as an agreement, every round, so the return of never
  agreeing (many positive r'_t, then -1) dwarfs any deal and DDPG learns to
  stall. The default 1/50 keeps r'_t's sign (the "do not offer above what
  sellers offer" lesson) while an episode's shaping stays near one deal's worth.
"""

from __future__ import annotations

from typing import Any, Hashable

import numpy as np

from players.ddpg.rewards import buyer_utility, offer_reward
from players.ddpg.spaces import ACTIONS


class EpisodeExperience:
    """Pending decisions of one episode, handed to the learner as transitions."""

    def __init__(self, learner, ip: float, rp: float, t_end: float, d_t: float, offer_weight: float) -> None:
        self.learner = learner
        self.ip = ip
        self.rp = rp
        self.t_end = t_end
        self.d_t = d_t
        self.offer_weight = offer_weight
        self.pending: dict[Hashable, dict[str, Any]] = {}
        self.n_transitions = 0

    def decided(
        self, key: Hashable, state: np.ndarray, mask: np.ndarray, action: int, share: float,
        t: float, offer: float | None = None, seller_offers=(),
    ) -> None:
        """Record a decision in thread ``key``; closes the thread's previous one."""
        previous = self.pending.pop(key, None)
        if previous is not None:
            self._push(previous, previous["reward"], state, mask, done=False)
        reward = 0.0
        if ACTIONS[action] == "offer" and offer is not None:
            reward = self.offer_weight * offer_reward(
                offer, t, seller_offers, self.ip, self.rp, self.t_end, self.d_t
            )
        self.pending[key] = {"state": state, "mask": mask, "action": action, "share": share,
                             "reward": reward, "t": t}

    def finish(self, deal_key: Hashable | None = None, price: float | None = None, t: float | None = None) -> None:
        """End the episode: ``deal_key`` names the thread that bought at ``price`` (None: no deal)."""
        for key, p in self.pending.items():
            if deal_key is None:
                reward = -1.0
            elif key == deal_key:
                if price is None:
                    raise ValueError("a deal needs its price")
                reward = buyer_utility(price, p["t"] if t is None else t, self.ip, self.rp, self.t_end, self.d_t)
            else:
                reward = 0.0
            self._push(p, reward, p["state"], p["mask"], done=True)
        self.pending.clear()

    def _push(self, p: dict[str, Any], reward: float, next_state, next_mask, done: bool) -> None:
        self.learner.remember(p["state"], p["mask"], p["action"], p["share"], reward, next_state, next_mask, done)
        self.n_transitions += 1
