"""Pareto aspiration toward the Nash bargaining point (Section 3, Appendix A.2).

- Relative time, eq. (2): ``t = max(0, (2k - 0.5) / n)`` with ``k`` our offers
  so far and ``n`` the number of turns (both agents' offers; 40 in SCML 2021,
  twice the 20 rounds of a negmas SAO negotiation). The paper's worked example
  ("t = 1.5 ... t = 39.5") counts turns before dividing by ``n``; we divide, so
  ``t`` lies in [0, 1] as the concession rate needs, and clip at 1.
- Concession rate ``rho = 1 - t^lambda`` (lambda = 0.5).
- Target ``u_asp = rho u_max + (1 - rho) u_tol``,
  ``u_tol = 0.75 u(Nash) + 0.25 u(disagreement)``.
- Accept an offer worth at least the target; propose the frontier outcome that
  reaches the target and is best for the opponent.
- Pareto frontier (Def. 1) and Nash point (Def. 2) over a finite outcome grid.
  When no outcome is better than disagreement for both sides the Nash product
  has no positive maximum; we then take the Nash point to be the disagreement
  point itself (the paper is silent).
"""

from __future__ import annotations

import numpy as np

LAMBDA = 0.5
NASH_WEIGHT = 0.75


def relative_time(offers_made: int, n_turns: int) -> float:
    """Eq. (2): expected share of the negotiation elapsed, in [0, 1]."""
    return min(1.0, max(0.0, (2 * offers_made - 0.5) / n_turns))


def concession_rate(t: float, lam: float = LAMBDA) -> float:
    return 1.0 - t**lam


def tolerance(u_nash: float, u_disagreement: float, weight: float = NASH_WEIGHT) -> float:
    """The least utility accepted: ``weight`` of the way from disagreement to Nash."""
    return weight * u_nash + (1.0 - weight) * u_disagreement


def target_utility(t: float, u_max: float, u_tol: float, lam: float = LAMBDA) -> float:
    rho = concession_rate(t, lam)
    return rho * u_max + (1.0 - rho) * u_tol


def pareto_frontier(u_self: np.ndarray, u_opp: np.ndarray) -> np.ndarray:
    """Indices of the outcomes no other outcome dominates (Def. 1), best for us first."""
    order = np.lexsort((-u_opp, -u_self))  # by u_self desc, then u_opp desc
    frontier = []
    best_opp = -np.inf
    for i in order:
        if u_opp[i] > best_opp:
            frontier.append(i)
            best_opp = u_opp[i]
    return np.asarray(frontier, dtype=int)


def nash_point(
    u_self: np.ndarray, u_opp: np.ndarray, frontier: np.ndarray, d_self: float, d_opp: float
) -> int | None:
    """Index of the frontier outcome maximising the Nash product (Def. 2), or None
    when no outcome gains over disagreement for both sides."""
    gain_self = u_self[frontier] - d_self
    gain_opp = u_opp[frontier] - d_opp
    ok = (gain_self > 0) & (gain_opp > 0)
    if not ok.any():
        return None
    product = np.where(ok, gain_self * gain_opp, -np.inf)
    return int(frontier[int(np.argmax(product))])


class ParetoAspiration:
    """The strategy in one negotiation, given both (marginal) utilities on a grid."""

    def __init__(
        self,
        u_self: np.ndarray,
        u_opp: np.ndarray,
        d_self: float,
        d_opp: float,
        lam: float = LAMBDA,
        nash_weight: float = NASH_WEIGHT,
    ) -> None:
        self.u_self = np.asarray(u_self, dtype=float)
        self.u_opp = np.asarray(u_opp, dtype=float)
        self.d_self = d_self
        self.lam = lam
        self.frontier = pareto_frontier(self.u_self, self.u_opp)
        self.nash = nash_point(self.u_self, self.u_opp, self.frontier, d_self, d_opp)
        u_nash = d_self if self.nash is None else float(self.u_self[self.nash])
        self.u_max = float(self.u_self.max())
        self.u_tol = tolerance(u_nash, d_self, nash_weight)

    def target(self, t: float) -> float:
        return target_utility(t, self.u_max, self.u_tol, self.lam)

    def acceptable(self, u: float, t: float) -> bool:
        return u >= self.target(t) and u > self.d_self

    def offer(self, t: float) -> int:
        """Index of the frontier outcome that minimally surpasses the target."""
        target = self.target(t)
        reach = self.frontier[self.u_self[self.frontier] >= target - 1e-12]
        if len(reach) == 0:
            return int(self.frontier[0])
        return int(reach[np.argmax(self.u_opp[reach])])
