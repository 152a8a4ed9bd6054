"""Nash equilibria of a symmetric meta-game, and Nash averaging.

``symmetric_nash``: a symmetric equilibrium (x, x) of the two-player game
(A, A^T) by support enumeration: supports are tried smallest first, then in
index order (players sorted by name), so the answer is the same on every
run; the first equilibrium found is returned. All supports of one size are
solved at once (one batched linear solve). Supports whose indifference system
is singular are skipped (degenerate games keep an equilibrium on a smaller
support). Enumeration stops after ``max_supports`` supports; beyond that (many
players, large mixed supports) no equilibrium is reported rather than a guess.

``nash_averaging``: Balduzzi et al. (2018), "Re-evaluating evaluation". The
antisymmetric part A - A^T is a symmetric zero-sum game of value 0; its
maximum-entropy Nash equilibrium p is unique, and a player's Nash-averaged
skill is its payoff against p: 0 on the support, negative off it.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import optimize

MAX_SUPPORTS = 30_000


def _tolerance(a: np.ndarray) -> float:
    spread = float(np.ptp(a)) if a.size else 0.0
    return 1e-9 * max(1.0, spread)


def is_symmetric_nash(a: np.ndarray, x: np.ndarray, tol: float | None = None) -> bool:
    """No pure strategy earns more against x than x earns against itself."""
    tol = _tolerance(a) * 100 if tol is None else tol
    payoffs = a @ x
    return bool(payoffs.max() <= x @ payoffs + tol)


def symmetric_nash(a: np.ndarray, max_supports: int = MAX_SUPPORTS) -> np.ndarray | None:
    """A symmetric Nash equilibrium of (a, a^T), or None if none was found within ``max_supports`` supports."""
    a = np.asarray(a, dtype=float)
    n = len(a)
    tol = _tolerance(a)
    tried = 0
    for k in range(1, n + 1):
        combos = np.array(list(itertools.combinations(range(n), k)), dtype=np.int64)
        if tried + len(combos) > max_supports:
            return None
        tried += len(combos)
        found = _first_equilibrium(a, combos, tol)
        if found is not None:
            return found
    return None


def _first_equilibrium(a: np.ndarray, combos: np.ndarray, tol: float) -> np.ndarray | None:
    n, (c, k) = len(a), combos.shape
    sub = a[combos[:, :, None], combos[:, None, :]]  # (c, k, k)
    # Indifference on the support: sub @ x = v, sum(x) = 1.
    system = np.zeros((c, k + 1, k + 1))
    system[:, :k, :k] = sub
    system[:, :k, k] = -1.0
    system[:, k, :k] = 1.0
    rhs = np.zeros((c, k + 1))
    rhs[:, k] = 1.0
    det = np.linalg.det(system)
    scale = np.abs(system).max(axis=(1, 2)) ** (k + 1)
    regular = np.abs(det) > 1e-12 * np.maximum(scale, 1e-300)
    if not regular.any():
        return None
    idx = np.flatnonzero(regular)
    solution = np.linalg.solve(system[idx], rhs[idx][..., None])[..., 0]
    weights, value = solution[:, :k], solution[:, k]
    x = np.zeros((len(idx), n))
    np.put_along_axis(x, combos[idx], weights, axis=1)
    payoffs = x @ a.T  # (c, n): each pure strategy against x
    good = (weights >= -tol).all(axis=1) & (payoffs <= value[:, None] + 100 * tol).all(axis=1)
    if not good.any():
        return None
    best = np.clip(x[np.flatnonzero(good)[0]], 0.0, None)
    mixed: np.ndarray = best / best.sum()
    return mixed


def nash_averaging(a: np.ndarray, maxent: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(maximum-entropy Nash p of A - A^T, Nash-averaged skill (A - A^T) p).

    ``maxent=False``: the equilibrium a linear program finds. A generic
    antisymmetric game (one whose payoffs carry sampling noise, as bootstrap
    replicates do) has a single equilibrium, which is then the maximum-entropy
    one; the entropy maximisation (SLSQP, ~1 s at 20 players) only matters for
    degenerate games such as exact copies of a player."""
    a = np.asarray(a, dtype=float)
    anti = a - a.T
    p = _maxent_maximin(anti) if maxent else _lp_maximin(anti)
    return p, anti @ p


def _maxent_maximin(anti: np.ndarray) -> np.ndarray:
    n = len(anti)
    if n == 1:
        return np.ones(1)

    def neg_entropy(p: np.ndarray) -> float:
        q = np.clip(p, 1e-300, None)
        return float(np.sum(q * np.log(q)))

    def grad(p: np.ndarray) -> np.ndarray:
        slope: np.ndarray = np.log(np.clip(p, 1e-300, None)) + 1.0
        return slope

    # p is a maximin strategy of the value-0 game iff it loses to no pure strategy: anti @ p <= 0.
    constraints = [{"type": "ineq", "fun": lambda p: -(anti @ p), "jac": lambda p: -anti},
                   {"type": "eq", "fun": lambda p: p.sum() - 1.0, "jac": lambda p: np.ones((1, n))}]
    result = optimize.minimize(neg_entropy, np.full(n, 1.0 / n), jac=grad, bounds=[(0.0, 1.0)] * n,
                               constraints=constraints, method="SLSQP", options={"maxiter": 500, "ftol": 1e-12})
    p = np.clip(result.x, 0.0, None)
    p[p < 1e-7] = 0.0
    if p.sum() <= 0 or (anti @ (p / p.sum())).max() > 1e-6 * max(1.0, float(np.abs(anti).max())):
        return _lp_maximin(anti)  # the optimiser left the equilibrium set: an LP equilibrium instead
    maxent: np.ndarray = p / p.sum()
    return maxent


def _lp_maximin(anti: np.ndarray) -> np.ndarray:
    """A maximin strategy of the zero-sum game ``anti`` (row payoff anti[i, j] = -(column's)), by LP."""
    n = len(anti)
    # maximise v subject to (p^T anti)_j >= v for all j, sum p = 1, p >= 0; variables (p, v).
    c = np.zeros(n + 1)
    c[-1] = -1.0
    a_ub = np.hstack([-anti.T, np.ones((n, 1))])
    a_eq = np.hstack([np.ones((1, n)), np.zeros((1, 1))])
    res = optimize.linprog(c, A_ub=a_ub, b_ub=np.zeros(n), A_eq=a_eq, b_eq=[1.0],
                           bounds=[(0, None)] * n + [(None, None)], method="highs")
    p = np.clip(res.x[:n], 0.0, None) if res.success else np.full(n, 1.0 / n)
    maximin: np.ndarray = p / p.sum()
    return maximin


def support(x: np.ndarray | None, tol: float = 1e-6) -> np.ndarray:
    """Boolean mask of the strategies played with probability above ``tol``."""
    if x is None:
        return np.zeros(0, dtype=bool)
    return np.asarray(x) > tol

