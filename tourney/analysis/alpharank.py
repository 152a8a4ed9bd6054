"""alpha-Rank (Omidshafiei et al. 2019, Sci. Rep. 9:9937) of a symmetric meta-game.

Single population of ``m`` individuals; the Markov chain runs over monomorphic
populations. A mutant r in a population playing s fixes with probability

    rho(s -> r) = (1 - exp(-u)) / (1 - exp(-m u)),  u = alpha (A[r, s] - A[s, r])

(the local selection model: a mutant's fitness is its payoff against the
resident; 1/m when u = 0), and the chain moves s -> r with probability
rho / (n - 1). The ranking is the chain's stationary distribution. Defaults
are open_spiel's ``alpharank.compute`` (m = 50, alpha = 100). alpha is in
units of 1/score, so it is applied to payoffs as they are in the log.
Many games (bootstrap replicates) are ranked at once.
"""

from __future__ import annotations

import numpy as np

ALPHA = 100.0
POPULATION = 50


def fixation(u: np.ndarray, m: int) -> np.ndarray:
    """rho(u) = (1 - e^-u) / (1 - e^-mu), computed without overflow for either sign of u."""
    u = np.asarray(u, dtype=float)
    out = np.full(u.shape, 1.0 / m)
    pos, neg = u > 1e-14, u < -1e-14
    up = u[pos]
    out[pos] = np.expm1(-up) / np.expm1(-m * up)
    v = -u[neg]
    # (e^v - 1)/(e^mv - 1) = e^-(m-1)v (1 - e^-v)/(1 - e^-mv)
    out[neg] = np.exp(-(m - 1) * v) * np.expm1(-v) / np.expm1(-m * v)
    return out


def transition_matrix(a: np.ndarray, alpha: float = ALPHA, m: int = POPULATION) -> np.ndarray:
    """(…, n, n) Markov chain over monomorphic populations: c[s, r] = P(s -> r)."""
    a = np.asarray(a, dtype=float)
    n = a.shape[-1]
    gain = a - np.swapaxes(a, -1, -2)  # gain[r, s] = A[r, s] - A[s, r]
    rho = fixation(alpha * np.swapaxes(gain, -1, -2), m)  # rho[s, r] uses u = alpha gain[r, s]
    c = rho / max(n - 1, 1)
    eye = np.eye(n, dtype=bool)
    c = np.where(eye, 0.0, c)
    c = c + np.where(eye, 1.0 - c.sum(axis=-1, keepdims=True), 0.0)
    return c


def stationary(c: np.ndarray) -> np.ndarray:
    """Stationary distribution(s) pi = pi c of (…, n, n) transition matrices."""
    c = np.asarray(c, dtype=float)
    n = c.shape[-1]
    # pi (c - I) = 0 with the last equation replaced by sum(pi) = 1.
    system = np.swapaxes(c - np.eye(n), -1, -2).copy()
    system[..., -1, :] = 1.0
    rhs = np.zeros(c.shape[:-1])
    rhs[..., -1] = 1.0
    try:
        pi = np.linalg.solve(system, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        pi = np.stack([_stationary_lstsq(x) for x in c.reshape(-1, n, n)]).reshape(c.shape[:-1])
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum(axis=-1, keepdims=True)


def _stationary_lstsq(c: np.ndarray) -> np.ndarray:
    n = len(c)
    system = np.vstack([(c - np.eye(n)).T, np.ones((1, n))])
    rhs = np.zeros(n + 1)
    rhs[-1] = 1.0
    return np.linalg.lstsq(system, rhs, rcond=None)[0]


def alpharank(a: np.ndarray, alpha: float = ALPHA, m: int = POPULATION) -> np.ndarray:
    """alpha-Rank mass of each strategy, for one matrix or a stack of them."""
    a = np.asarray(a, dtype=float)
    if a.shape[-1] == 1:
        return np.ones(a.shape[:-1])
    return stationary(transition_matrix(a, alpha, m))
