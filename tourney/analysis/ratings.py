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

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tourney.analysis.metagame import codes_of

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
    """Wins and ties of every pair of seats in every scored match (rows sorted by id then role)."""
    n = len(players)
    index = {p: k for k, p in enumerate(players)}
    ok = rows.loc[(rows["status"] == "ok") & rows["score"].notna(), ["id", "role", "player", "score"]]
    wins, ties = np.zeros((n, n)), np.zeros((n, n))
    if ok.empty:
        return Outcomes(list(players), wins, ties)
    match = pd.factorize(ok["id"])[0]
    role = pd.factorize(ok["role"])[0]
    player = codes_of(ok["player"], index)
    score = ok["score"].to_numpy(dtype=float)
    if len(match) > 1 and ((np.diff(match) < 0).any() or ((np.diff(match) == 0) & (np.diff(role) < 0)).any()):
        order = np.lexsort((role, match))  # match_rows sorts by id and role; other frames may not be
        match, role, player, score = match[order], role[order], player[order], score[order]
    # A seat = a run of rows with the same (match, role) (several rows when a match has several games);
    # its score is the mean of its rows.
    starts = np.flatnonzero(np.r_[True, (match[1:] != match[:-1]) | (role[1:] != role[:-1])])
    sizes = np.diff(np.r_[starts, len(match)])
    seat_score = np.add.reduceat(score, starts) / sizes
    seat_match, seat_player = match[starts], player[starts]
    # Seats of one match are adjacent; pair them up match by match, grouped by seat count.
    first = np.flatnonzero(np.r_[True, seat_match[1:] != seat_match[:-1]])
    count = np.diff(np.r_[first, len(seat_match)])
    for k in np.unique(count[count >= 2]):
        base = first[count == k]
        for x, y in itertools.combinations(range(k), 2):
            a, b = base + x, base + y
            pa, pb, sa, sb = seat_player[a], seat_player[b], seat_score[a], seat_score[b]
            keep = (pa >= 0) & (pb >= 0) & (pa != pb)
            pa, pb, sa, sb = pa[keep], pb[keep], sa[keep], sb[keep]
            np.add.at(wins, (pa[sa > sb], pb[sa > sb]), 1.0)
            np.add.at(wins, (pb[sb > sa], pa[sb > sa]), 1.0)
            tied = sa == sb
            np.add.at(ties, (pa[tied], pb[tied]), 1.0)
            np.add.at(ties, (pb[tied], pa[tied]), 1.0)
    return Outcomes(list(players), wins, ties)


def bradley_terry(matrix: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Centred log-strengths from a (fractional) wins matrix; NaN for a player with no comparisons.

    ``start``: strengths to start the iterations from (the fit converges to the same point)."""
    try:
        import choix
    except ImportError as exc:
        from tourney.errors import TourneyError

        raise TourneyError("Bradley-Terry ratings need choix: pip install 'tourney[analysis]'") from exc

    n = len(matrix)
    played = (matrix + matrix.T).sum(axis=1) > 0
    out = np.full(n, np.nan)
    if played.sum() < 2:
        return out
    idx = np.flatnonzero(played)
    sub = matrix[np.ix_(idx, idx)]
    init = None if start is None or np.isnan(start[idx]).any() else start[idx] - start[idx].mean()
    params = choix.ilsr_pairwise_dense(sub, alpha=REGULARISATION, initial_params=init, max_iter=1000, tol=1e-10)
    out[idx] = params - params.mean()
    return out


def bootstrap_strengths(outcomes: Outcomes, samples: int, seed: int, start: np.ndarray | None = None) -> np.ndarray:
    """(samples, n) strengths refitted on matches resampled within each pair of players."""
    n = len(outcomes.players)
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, 1)
    counts = np.stack([outcomes.wins[i, j], outcomes.wins[j, i], outcomes.ties[i, j]], axis=1)
    totals = counts.sum(axis=1)
    played = totals > 0
    i, j, counts, totals = i[played], j[played], counts[played], totals[played].astype(np.int64)
    # One multinomial draw per pair and sample: (samples, pairs, [win, loss, tie]).
    draws = rng.multinomial(np.broadcast_to(totals, (samples, len(totals))), counts / totals[:, None]) \
        if len(totals) else np.zeros((samples, 0, 3))
    out = np.empty((samples, n))
    for b in range(samples):
        matrix = np.zeros((n, n))
        matrix[i, j] = draws[b, :, 0] + 0.5 * draws[b, :, 2]
        matrix[j, i] = draws[b, :, 1] + 0.5 * draws[b, :, 2]
        out[b] = bradley_terry(matrix, start)
    return out
