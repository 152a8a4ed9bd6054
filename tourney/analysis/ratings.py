"""Bradley-Terry ratings from pairwise outcomes, with bootstrap intervals.

Every pair of seats in a match is one comparison: the seat with the higher
score wins; equal scores count half a win to each. (A seat's score is its
mean over the match's games.) A failed match compares its blamed seat, at the
error score, with no one: the others did not play. Strengths are fitted by
choix's ILSR (Maystre & Grossglauser 2015) on the matrix of wins with a small
fixed regularisation ``REGULARISATION`` (it keeps an unbeaten player's
strength finite and moves the others by well under 1 %). They are shown
centred on 0, and on the Elo scale (1500 + 400 / ln 10 x strength).

Bootstrap: the matches of each pair of players are resampled (a multinomial
draw over that pair's win / loss / tie counts), the strengths refitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

REGULARISATION = 1e-3
ELO_SCALE = 400 / math.log(10)


@dataclass
class Outcomes:
    players: list[str]
    wins: np.ndarray  # (n, n): i beat j
    ties: np.ndarray  # (n, n) symmetric: i and j tied

    def matrix(self) -> np.ndarray:
        return self.wins + 0.5 * self.ties


def pairwise_outcomes(rows: pd.DataFrame, players: list[str]) -> Outcomes:
    n = len(players)
    index = {p: k for k, p in enumerate(players)}
    ok = rows[(rows["status"] == "ok") & rows["score"].notna()]
    match_codes = pd.factorize(ok["id"])[0]
    seats = pd.DataFrame({"m": match_codes, "role": ok["role"].to_numpy(), "p": ok["player"].map(index).to_numpy(),
                          "s": ok["score"].to_numpy(dtype=float)})
    seats = seats.groupby(["m", "role"], sort=True).agg(p=("p", "first"), s=("s", "mean")).reset_index()
    seats = seats[seats["p"].notna()]
    pairs = seats.merge(seats, on="m", suffixes=("_a", "_b"))
    pairs = pairs[pairs["role_a"] < pairs["role_b"]]
    pa, pb = pairs["p_a"].to_numpy(dtype=np.int64), pairs["p_b"].to_numpy(dtype=np.int64)
    sa, sb = pairs["s_a"].to_numpy(), pairs["s_b"].to_numpy()
    other = pa != pb
    pa, pb, sa, sb = pa[other], pb[other], sa[other], sb[other]
    wins = np.zeros((n, n))
    ties = np.zeros((n, n))
    np.add.at(wins, (pa[sa > sb], pb[sa > sb]), 1.0)
    np.add.at(wins, (pb[sb > sa], pa[sb > sa]), 1.0)
    tied = sa == sb
    np.add.at(ties, (pa[tied], pb[tied]), 1.0)
    np.add.at(ties, (pb[tied], pa[tied]), 1.0)
    return Outcomes(list(players), wins, ties)


def bradley_terry(matrix: np.ndarray) -> np.ndarray:
    """Centred log-strengths from a (fractional) wins matrix; NaN for a player with no comparisons."""
    import choix

    n = len(matrix)
    played = (matrix + matrix.T).sum(axis=1) > 0
    out = np.full(n, np.nan)
    if played.sum() < 2:
        return out
    idx = np.flatnonzero(played)
    sub = matrix[np.ix_(idx, idx)]
    params = choix.ilsr_pairwise_dense(sub, alpha=REGULARISATION, max_iter=1000, tol=1e-10)
    out[idx] = params - params.mean()
    return out


def bootstrap_strengths(outcomes: Outcomes, samples: int, seed: int) -> np.ndarray:
    """(samples, n) strengths refitted on matches resampled within each pair of players."""
    n = len(outcomes.players)
    rng = np.random.default_rng(seed)
    upper = [(i, j) for i in range(n) for j in range(i + 1, n)]
    counts = np.array([[outcomes.wins[i, j], outcomes.wins[j, i], outcomes.ties[i, j]] for i, j in upper])
    totals = counts.sum(axis=1).astype(np.int64) if len(upper) else np.zeros(0, np.int64)
    out = np.empty((samples, n))
    for b in range(samples):
        matrix = np.zeros((n, n))
        for (i, j), total, c in zip(upper, totals, counts):
            if total:
                w, l, t = rng.multinomial(total, c / total)
                matrix[i, j] += w + 0.5 * t
                matrix[j, i] += l + 0.5 * t
        out[b] = bradley_terry(matrix)
    return out
