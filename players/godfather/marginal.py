"""Expected marginal utility of one negotiation's outcomes, eq. (1) of the paper:

    mu(w^x; P) = E_{Omega ~ P^{-x}} [ u({w^x} u Omega) - u(Omega) ]

estimated by a sample average (Algorithm 1). The outcomes of the other
negotiations are drawn independently from their predicted distributions (the
paper's independence assumption, Section 4).

Choices where the paper is silent: one set of ``n_samples`` draws is shared by
every outcome of the grid (common random numbers, so two outcomes are compared
on the same draws), identical draws are evaluated once and weighted, and when
every other prediction is certain one draw is exact and is all we take.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Hashable, Mapping, Sequence, TypeVar

import numpy as np

Outcome = Any  # an outcome of one negotiation, or None for disagreement
Distribution = Sequence[tuple[Outcome, float]]  # (outcome, probability) pairs
K = TypeVar("K", bound=Hashable)  # what names a negotiation (the partner's id)


def sample_others(
    others: Mapping[K, Distribution], n_samples: int, rng: np.random.Generator
) -> list[tuple[dict[K, Outcome], float]]:
    """Draw ``n_samples`` joint outcomes of the other negotiations.

    Returns distinct draws with their weights (summing to 1).
    """
    keys = list(others)
    if all(len(others[k]) == 1 for k in keys):
        n_samples = 1
    columns = []
    for key in keys:
        dist = others[key]
        probs = np.asarray([p for _, p in dist], dtype=float)
        probs = probs / probs.sum()
        columns.append(rng.choice(len(dist), size=n_samples, p=probs))
    counts = Counter(tuple(int(col[i]) for col in columns) for i in range(n_samples))
    return [
        ({k: others[k][j][0] for k, j in zip(keys, draw)}, count / n_samples)
        for draw, count in counts.items()
    ]


def expected_marginal_utility(
    key: K,
    grid: Sequence[Outcome],
    utility: Callable[[dict[K, Outcome]], float],
    others: Mapping[K, Distribution],
    n_samples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Algorithm 1 for every outcome in ``grid`` of negotiation ``key``.

    ``utility`` takes a mapping negotiation -> outcome (None = no agreement)
    and returns the agent's utility of that set of outcomes.
    """
    mu = np.zeros(len(grid))
    for omega, weight in sample_others(others, n_samples, rng):
        base = utility(omega)
        with_x = dict(omega)
        values = np.empty(len(grid))
        for i, outcome in enumerate(grid):
            with_x[key] = outcome
            values[i] = utility(with_x)
        mu += weight * (values - base)
    return mu
