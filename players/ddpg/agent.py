"""What the DDPG players of every world share: params, the learner, checkpoints.

``checkpoint`` names the starting policy: a shipped name (``ann-c``,
``ann-c+rl``, ...), a path, or None for a random policy seeded by ``seed``
(ANEGMA(RL) before any training). With ``learn: true`` the player keeps
learning during the match (DDPG updates after every episode, with
exploration) -- the paper's adaptation experiments (section 5.2.3); its
changes live only in that match's player object. Without it the policy is
frozen and acts greedily.
"""

from __future__ import annotations

from typing import Any

from players.ddpg import checkpoint as ckpt
from players.ddpg.learner import DDPGLearner
from players.ddpg.rewards import DEFAULT_DT
from tourney.params import NONE, Check, Interval, OfType

POLICY_PARAMS: dict[str, list] = {
    "checkpoint": [NONE, OfType(str)],
    "learn": [OfType(bool)],
    "explore": [NONE, OfType(bool)],
    "d_t": [Interval(float, 0, None)],
    "offer_weight": [Interval(float, 0, None)],
    "gamma": [Interval(float, 0, 1)],
    "tau": [Interval(float, 0, 1, closed="right")],
    "lr_actor": [Interval(float, 0, None, closed="neither")],
    "lr_critic": [Interval(float, 0, None, closed="neither")],
    "batch_size": [Interval(int, 1, None)],
    "noise": [Interval(float, 0, None)],
    "epsilon": [Interval(float, 0, 1)],
    "updates_per_episode": [Interval(int, 0, None)],
    "warmup": [Interval(int, 0, None)],
    "hidden": [Check(lambda h: isinstance(h, (list, tuple)) and len(h) > 0
                     and all(isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in h),
                     "a non-empty list of positive ints")],
    "seed": [NONE, Interval(int, 0, None)],
}

POLICY_DEFAULTS: dict[str, Any] = dict(
    checkpoint=None, learn=False, explore=None, d_t=DEFAULT_DT, offer_weight=0.02, gamma=0.99,
    tau=0.01, lr_actor=1e-4, lr_critic=1e-3, batch_size=64, noise=0.1, epsilon=0.1,
    updates_per_episode=20, warmup=0, hidden=(64, 64), seed=None,
)


class AnegmaPolicyMixin:
    """Builds the learner lazily from the params (stored unchanged by the player)."""

    param_constraints = POLICY_PARAMS

    # The params, set by ``_set_policy_params`` from the player's constructor (POLICY_PARAMS).
    checkpoint: str | None
    learn: bool
    explore: bool | None
    d_t: float
    offer_weight: float
    gamma: float
    tau: float
    lr_actor: float
    lr_critic: float
    batch_size: int
    noise: float
    epsilon: float
    updates_per_episode: int
    warmup: int
    hidden: tuple[int, ...]
    seed: int | None
    learner_: DDPGLearner | None  # built on first use

    @staticmethod
    def checkpoint_meta(name: str) -> dict[str, Any] | None:
        """What training recorded in checkpoint ``name`` (None if it is not there)."""
        try:
            return dict(ckpt.load(name)["meta"])
        except ckpt.CheckpointError:
            return None

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        """Fail early (league validation) on a missing or corrupt checkpoint."""
        name = params.get("checkpoint")
        if name is not None:
            try:
                ckpt.load(name)
            except ckpt.CheckpointError as exc:
                raise ValueError(f"checkpoint: {exc}") from None

    def _set_policy_params(self, **params: Any) -> None:
        for key, value in params.items():
            setattr(self, key, value)
        self.learner_ = None

    @property
    def exploring(self) -> bool:
        return self.learn if self.explore is None else bool(self.explore)

    def make_learner(self) -> DDPGLearner:
        """A fresh learner from the checkpoint (or random weights from the seed)."""
        seed = 0 if self.seed is None else int(self.seed)
        hidden = tuple(self.hidden)
        data = None
        if self.checkpoint is not None:
            data = ckpt.load(self.checkpoint)
            hidden = tuple(data["hidden"])
        learner = DDPGLearner(
            hidden=hidden, gamma=self.gamma, tau=self.tau, lr_actor=self.lr_actor,
            lr_critic=self.lr_critic, batch_size=self.batch_size, noise=self.noise,
            epsilon=self.epsilon, warmup=self.warmup, seed=seed,
        )
        if data is not None:
            learner.load_weights(data["weights"])
        return learner

    @property
    def learner(self) -> DDPGLearner:
        if self.learner_ is None:
            self.learner_ = self.make_learner()
        return self.learner_

    def learn_from_episode(self) -> None:
        if self.learn and self.updates_per_episode > 0:
            self.learner.update(self.updates_per_episode)
