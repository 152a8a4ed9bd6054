"""Every pair of players tested, with Holm's correction for the number of tests.

Each pair uses the adjacent-rank test of ``tourney.ranking`` (Wilcoxon on
matched matches, else a seeded bootstrap or its normal limit). Holm (1979)
controls the family-wise error rate at ``alpha`` over all the pairs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tourney.ranking import MATCH_KEYS, pair_pvalue


def holm(pvalues: list[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values (NaN stays NaN and does not count as a test)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    if not m:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def pairwise_tests(rows: pd.DataFrame, players: list[str], alpha: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """One row per pair (a before b in ``players`` order): p, test, Holm-adjusted p, significant."""
    scored = rows[MATCH_KEYS + ["player", "score"]].dropna(subset=["score"])
    by_player = {name: frame for name, frame in scored.groupby("player", sort=False, observed=True)}
    empty = scored.iloc[:0]
    out = []
    for i, a in enumerate(players):
        for b in players[i + 1:]:
            p, test = pair_pvalue(by_player.get(a, empty), by_player.get(b, empty), seed)
            ma, mb = (float(by_player[x]["score"].mean()) if x in by_player else math.nan for x in (a, b))
            out.append({"a": a, "b": b, "mean_a": ma, "mean_b": mb, "p": p, "test": test})
    table = pd.DataFrame(out, columns=["a", "b", "mean_a", "mean_b", "p", "test"])
    table["p_holm"] = holm(table["p"].to_numpy()) if len(table) else []
    table["significant"] = pd.array([pd.NA if math.isnan(v) else bool(v < alpha) for v in table["p_holm"]],
                                    dtype="boolean")
    return table
