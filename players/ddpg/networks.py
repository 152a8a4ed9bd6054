"""The actor (f_c and f_r in one network) and the critic, small enough for 2 CPU cores.

Actor: state -> shared trunk (two ReLU layers with dropout) -> two heads,
f_c the logits over ``ACTIONS`` (eq. 1) and f_r a sigmoid share ``a`` in [0, 1]
of [IP_b, RP_b] (eq. 2). Dropout (the paper's regulariser in supervised
pre-training) is active only in ``train()`` mode.

Critic: Q(s, p, a) with ``p`` the discrete action as a probability vector (a
one-hot for stored actions, the actor's softmax when the actor learns): the
parameterised-action form of DDPG (Hausknecht & Stone 2016), our choice since
the paper gives no architecture.
"""

from __future__ import annotations

import torch
from torch import nn

from players.ddpg.spaces import N_ACTIONS, STATE_DIM

MASKED = -1e9  # logit of a forbidden action: exp() underflows to exactly 0


def _mlp(n_in: int, hidden: tuple[int, ...], dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width in hidden:
        # Dropout is always present (p = 0 is the identity) so weight names do not
        # depend on it: an ANN trained with dropout loads into a DDPG actor without.
        layers += [nn.Linear(n_in, width), nn.ReLU(), nn.Dropout(dropout)]
        n_in = width
    return nn.Sequential(*layers)


class Actor(nn.Module):
    """f_c (discrete logits) and f_r (offer share in [0, 1]) over a shared trunk."""

    def __init__(self, state_dim: int = STATE_DIM, hidden: tuple[int, ...] = (64, 64), dropout: float = 0.0) -> None:
        super().__init__()
        self.trunk = _mlp(state_dim, hidden, dropout)
        self.f_c = nn.Linear(hidden[-1], N_ACTIONS)
        self.f_r = nn.Linear(hidden[-1], 1)

    def forward(self, state: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(state)
        logits = self.f_c(h)
        if mask is not None:
            logits = logits.masked_fill(~mask, MASKED)
        share = torch.sigmoid(self.f_r(h)).squeeze(-1)
        return logits, share


class Critic(nn.Module):
    """Q(s, discrete action probabilities, offer share)."""

    def __init__(self, state_dim: int = STATE_DIM, hidden: tuple[int, ...] = (64, 64)) -> None:
        super().__init__()
        self.body = _mlp(state_dim + N_ACTIONS + 1, hidden, 0.0)
        self.out = nn.Linear(hidden[-1], 1)

    def forward(self, state: torch.Tensor, probs: torch.Tensor, share: torch.Tensor) -> torch.Tensor:
        x = torch.cat([state, probs, share.unsqueeze(-1)], dim=-1)
        return self.out(self.body(x)).squeeze(-1)
