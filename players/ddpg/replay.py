"""Negotiation Experience: a ring buffer of <s_t, a_t, r_t, s_t+1> (section 3.2.2).

Each row also keeps the action masks of s_t and s_t+1 (the actor's choices are
limited to the actions the protocol allows) and whether s_t+1 ends the
episode. Minibatches of K < N rows are drawn with the learner's own seeded
numpy generator, so a run depends on its seed only.
"""

from __future__ import annotations

import numpy as np

from players.ddpg.spaces import N_ACTIONS, STATE_DIM


class ReplayBuffer:
    """Fixed-capacity experience store; the oldest rows are overwritten first."""

    def __init__(self, capacity: int = 50_000, state_dim: int = STATE_DIM) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.state = np.zeros((capacity, state_dim), dtype=np.float32)
        self.mask = np.zeros((capacity, N_ACTIONS), dtype=bool)
        self.action = np.zeros(capacity, dtype=np.int64)
        self.share = np.zeros(capacity, dtype=np.float32)
        self.reward = np.zeros(capacity, dtype=np.float32)
        self.next_state = np.zeros((capacity, state_dim), dtype=np.float32)
        self.next_mask = np.zeros((capacity, N_ACTIONS), dtype=bool)
        self.done = np.zeros(capacity, dtype=np.float32)
        self.size = 0
        self._next = 0

    def __len__(self) -> int:
        return self.size

    def add(self, state, mask, action: int, share: float, reward: float, next_state, next_mask, done: bool) -> None:
        i = self._next
        self.state[i] = state
        self.mask[i] = mask
        self.action[i] = action
        self.share[i] = share
        self.reward[i] = reward
        self.next_state[i] = next_state
        self.next_mask[i] = next_mask
        self.done[i] = float(done)
        self._next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, k: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """K rows drawn uniformly with replacement."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty buffer")
        idx = rng.integers(0, self.size, size=k)
        return {
            "state": self.state[idx],
            "mask": self.mask[idx],
            "action": self.action[idx],
            "share": self.share[idx],
            "reward": self.reward[idx],
            "next_state": self.next_state[idx],
            "next_mask": self.next_mask[idx],
            "done": self.done[idx],
        }
