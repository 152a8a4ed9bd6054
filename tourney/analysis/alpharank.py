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
    stationary: np.ndarray = pi / pi.sum(axis=-1, keepdims=True)
    return stationary


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


# --- two populations (a role-restricted league: buyers only meet sellers) ---
MAX_CHAIN_CELLS = 4_000_000  # transition-matrix entries built at once when ranking a stack of games


def two_population_transition(row: np.ndarray, col: np.ndarray, alpha: float = ALPHA,
                              m: int = POPULATION) -> np.ndarray:
    """(…, P, P) chain over strategy profiles (i, j), P = n1 n2, profile id i n2 + j.

    ``row[i, j]`` / ``col[i, j]``: the payoff of population 1's strategy i / population 2's
    strategy j in profile (i, j). A mutant strategy enters one population with the
    other fixed (each of the n1 - 1 + n2 - 1 mutants equally likely) and fixes with
    rho(u), u = alpha (its payoff - the resident's) in that profile (Omidshafiei et
    al. 2019, multi-population model; open_spiel's ``_get_multipop_transition_matrix``).
    """
    row, col = np.asarray(row, dtype=float), np.asarray(col, dtype=float)
    n1, n2 = row.shape[-2:]
    eta = 1.0 / max(n1 - 1 + n2 - 1, 1)
    e1, e2 = np.eye(n1), np.eye(n2)
    # rho1[..., i, j, k]: population 1 moves from i to k against j; rho2[..., i, j, l]: 2 moves from j to l
    rho1 = _rho_rows(row, alpha, m)
    rho2 = fixation(alpha * (col[..., :, None, :] - col[..., :, :, None]), m)
    c = (rho1[..., :, :, :, None] * e2[:, None, :] * (1 - e1)[:, None, :, None]
         + rho2[..., :, :, None, :] * e1[:, None, :, None] * (1 - e2)[None, :, None, :]) * eta
    c = c.reshape(*row.shape[:-2], n1 * n2, n1 * n2)
    diag = 1.0 - c.sum(axis=-1)
    idx = np.arange(n1 * n2)
    c[..., idx, idx] = diag
    chain: np.ndarray = c
    return chain


def _rho_rows(row: np.ndarray, alpha: float, m: int) -> np.ndarray:
    """rho1[..., i, j, k] = rho(alpha (row[k, j] - row[i, j])): population 1 from i to k against j."""
    gain = np.swapaxes(row, -1, -2)[..., :, None, :] - np.swapaxes(row, -1, -2)[..., :, :, None]  # [j, i, k]
    return np.swapaxes(fixation(alpha * gain, m), -2, -3)


def alpharank_two_population(row: np.ndarray, col: np.ndarray, alpha: float = ALPHA,
                             m: int = POPULATION) -> np.ndarray:
    """alpha-Rank mass of each profile, (…, n1, n2), for one game or a stack (ranked in chunks)."""
    row, col = np.asarray(row, dtype=float), np.asarray(col, dtype=float)
    n1, n2 = row.shape[-2:]
    if n1 * n2 == 1:
        return np.ones(row.shape)
    if row.ndim == 2:
        return stationary(two_population_transition(row, col, alpha, m)).reshape(n1, n2)
    flat_r, flat_c = row.reshape(-1, n1, n2), col.reshape(-1, n1, n2)
    step = max(1, MAX_CHAIN_CELLS // (n1 * n2) ** 2)
    out = [stationary(two_population_transition(flat_r[k:k + step], flat_c[k:k + step], alpha, m))
           for k in range(0, len(flat_r), step)]
    return np.concatenate(out).reshape(row.shape)
