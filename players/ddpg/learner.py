"""DDPG (Lillicrap et al.) for the ANEGMA buyer: actor-critic with target networks.

Update for a minibatch of K transitions (section 4.3; Lillicrap et al. 2016)::

    a'     = argmax f_c'(s')  (over the actions allowed in s')
    y      = r + gamma (1 - done) Q'(s', onehot(a'), f_r'(s'))
    L_Q    = mean (Q(s, onehot(a), a_r) - y)^2
    L_r    = - mean_{offer allowed} Q(s, onehot(offer), f_r(s))       (deterministic policy gradient)
    L_c    = cross-entropy(f_c(s), argmax_k allowed Q(s, onehot(k), f_r(s)))
    theta' <- tau theta + (1 - tau) theta'       (both target networks)

f_r follows DDPG's deterministic policy gradient. For the discrete head the
paper gives no rule; feeding f_c's softmax into the critic (the "P-DDPG" way)
made the actor follow the critic's arbitrary slope between one-hot inputs it
never saw and collapse onto one action in our runs, so f_c is instead moved
toward the critic's best allowed action (policy improvement by classification,
as in parameterised-action Q-learning, Xiong et al. 2018).

Exploration (the paper names none): epsilon-greedy over the allowed discrete
actions and Gaussian noise of std ``noise`` on f_r's share, clipped to [0, 1]
(Lillicrap's OU process models inertia in physical control; a price has none).
Gradient norms are clipped at 1 for stability on the small batches we use.
``warmup``: the first ``warmup`` updates train the critic only, so a
pre-trained actor (ANN-C/ANN-W) is not pulled around by a random critic
(our choice; the paper starts DDPG from the ANN without saying more).
The actor runs in eval mode during RL (its dropout is for supervised
pre-training only), so an update draws no torch random numbers: the only
randomness is the learner's numpy generator, seeded from the player's seed.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn

from players.ddpg.networks import Actor, Critic
from players.ddpg.replay import ReplayBuffer
from players.ddpg.spaces import ACTION_INDEX, N_ACTIONS
from players.ddpg.torchsetup import seeded, setup_torch


OFFER = ACTION_INDEX["offer"]


class DDPGLearner:
    """The actor, the critic, their targets, the experience and the optimisers."""

    def __init__(
        self,
        hidden: tuple[int, ...] = (64, 64),
        dropout: float = 0.0,
        gamma: float = 0.99,
        tau: float = 0.01,
        lr_actor: float = 1e-4,
        lr_critic: float = 1e-3,
        batch_size: int = 64,
        capacity: int = 50_000,
        noise: float = 0.1,
        epsilon: float = 0.1,
        warmup: int = 0,
        seed: int = 0,
    ) -> None:
        setup_torch()
        self.hidden = tuple(hidden)
        self.dropout = dropout
        self.gamma = gamma
        self.tau = tau
        self.lr_actor = lr_actor
        self.lr_critic = lr_critic
        self.batch_size = batch_size
        self.noise = noise
        self.epsilon = epsilon
        self.warmup = warmup
        self.seed = seed
        self.n_updates = 0
        with seeded(seed):
            self.actor = Actor(hidden=self.hidden, dropout=dropout)
            self.critic = Critic(hidden=self.hidden)
        self.actor.eval()
        self.actor_target = copy.deepcopy(self.actor)
        self.critic_target = copy.deepcopy(self.critic)
        self.buffer = ReplayBuffer(capacity)
        self.rng = np.random.default_rng(seed)
        self._make_optimisers()

    def _make_optimisers(self) -> None:
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=self.lr_actor)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=self.lr_critic)

    # --- acting ---
    @torch.no_grad()
    def act(self, state: np.ndarray, mask: np.ndarray, explore: bool = False) -> tuple[int, float]:
        """(index into ACTIONS, offer share in [0, 1]) for one state."""
        logits, share = self.actor(torch.as_tensor(state)[None], torch.as_tensor(mask)[None])
        action = int(torch.argmax(logits[0]))
        a = float(share[0])
        if explore:
            if self.epsilon > 0 and self.rng.random() < self.epsilon:
                action = int(self.rng.choice(np.flatnonzero(mask)))
            if self.noise > 0:
                a = float(np.clip(a + self.rng.normal(0.0, self.noise), 0.0, 1.0))
        return action, a

    # --- learning ---
    def remember(self, state, mask, action: int, share: float, reward: float, next_state, next_mask, done: bool) -> None:
        self.buffer.add(state, mask, action, share, reward, next_state, next_mask, done)

    def update(self, steps: int = 1) -> dict[str, float]:
        """``steps`` gradient steps on minibatches; returns the last losses."""
        losses = {"critic": float("nan"), "actor": float("nan")}
        if len(self.buffer) < min(self.batch_size, 8):
            return losses
        for _ in range(steps):
            b = {k: torch.as_tensor(v) for k, v in self.buffer.sample(self.batch_size, self.rng).items()}
            with torch.no_grad():
                logits2, share2 = self.actor_target(b["next_state"], b["next_mask"])
                a2 = nn.functional.one_hot(logits2.argmax(-1), N_ACTIONS).float()
                q2 = self.critic_target(b["next_state"], a2, share2)
                y = b["reward"] + self.gamma * (1.0 - b["done"]) * q2
            onehot = nn.functional.one_hot(b["action"], N_ACTIONS).float()
            q = self.critic(b["state"], onehot, b["share"])
            critic_loss = nn.functional.mse_loss(q, y)
            self.critic_opt.zero_grad()
            critic_loss.backward()
            nn.utils.clip_grad_norm_(self.critic.parameters(), 1.0)
            self.critic_opt.step()

            self.n_updates += 1
            losses = {"critic": critic_loss.item(), "actor": float("nan")}
            if self.n_updates > self.warmup:
                actor_loss = self._actor_loss(b)
                self.actor_opt.zero_grad()
                actor_loss.backward()
                nn.utils.clip_grad_norm_(self.actor.parameters(), 1.0)
                self.actor_opt.step()
                _soft_update(self.actor_target, self.actor, self.tau)
                losses["actor"] = actor_loss.item()
            _soft_update(self.critic_target, self.critic, self.tau)
        return losses

    def _actor_loss(self, b: dict[str, torch.Tensor]) -> torch.Tensor:
        logits, share = self.actor(b["state"], b["mask"])
        n = share.shape[0]
        eye = torch.eye(N_ACTIONS)
        with torch.no_grad():
            q_all = torch.stack(
                [self.critic(b["state"], eye[k].expand(n, N_ACTIONS), share) for k in range(N_ACTIONS)], -1
            ).masked_fill(~b["mask"], float("-inf"))
            best = q_all.argmax(-1)
        loss = nn.functional.cross_entropy(logits, best)
        offer_ok = b["mask"][:, OFFER]
        if offer_ok.any():
            q_offer = self.critic(b["state"][offer_ok], eye[OFFER].expand(int(offer_ok.sum()), N_ACTIONS),
                                  share[offer_ok])
            loss = loss - q_offer.mean()
        return loss

    # --- weights in and out ---
    def weights(self) -> dict[str, Any]:
        return {
            "actor": {k: v.clone() for k, v in self.actor.state_dict().items()},
            "critic": {k: v.clone() for k, v in self.critic.state_dict().items()},
            "actor_target": {k: v.clone() for k, v in self.actor_target.state_dict().items()},
            "critic_target": {k: v.clone() for k, v in self.critic_target.state_dict().items()},
        }

    def load_weights(self, weights: dict[str, Any]) -> None:
        self.actor.load_state_dict(weights["actor"])
        self.critic.load_state_dict(weights["critic"])
        self.actor_target.load_state_dict(weights.get("actor_target", weights["actor"]))
        self.critic_target.load_state_dict(weights.get("critic_target", weights["critic"]))
        self.actor.eval()
        self._make_optimisers()


@torch.no_grad()
def _soft_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    for t, s in zip(target.parameters(), source.parameters()):
        t.mul_(1.0 - tau).add_(s, alpha=tau)
