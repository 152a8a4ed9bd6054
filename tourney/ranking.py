"""Is a rank gap real? A test for each pair of adjacent ranks.

Two players are compared on matched matches: the same world, setting, role,
opponent and repetition, so each difference isolates the player. With at
least ``MIN_PAIRS`` matched pairs the test is Wilcoxon's signed-rank test on
the differences; otherwise a seeded bootstrap of the difference of means over
all their scores. A gap whose p-value is at least ``alpha`` is marked as not
significant in the tables.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

MIN_PAIRS = 6
BOOTSTRAP_SAMPLES = 2000
MATCH_KEYS = ["world", "setting", "role", "opponent", "rep"]


def gap_pvalue(rows: pd.DataFrame, a: str, b: str, seed: int = 0) -> tuple[float, str]:
    """(p-value, test name) for the score difference between players ``a`` and ``b``."""
    ra = rows[(rows["player"] == a)].dropna(subset=["score"])
    rb = rows[(rows["player"] == b)].dropna(subset=["score"])
    paired = ra.merge(rb, on=MATCH_KEYS, suffixes=("_a", "_b"))
    if len(paired) >= MIN_PAIRS:
        diff = (paired["score_a"] - paired["score_b"]).to_numpy(dtype=float)
        if np.allclose(diff, 0.0):
            return 1.0, "wilcoxon"
        return float(stats.wilcoxon(diff, zero_method="zsplit").pvalue), "wilcoxon"
    x, y = ra["score"].to_numpy(dtype=float), rb["score"].to_numpy(dtype=float)
    if len(x) < 2 or len(y) < 2:
        return math.nan, "none"
    return bootstrap_pvalue(x, y, seed), "bootstrap"


def bootstrap_pvalue(x: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """Two-sided bootstrap p-value of mean(x) - mean(y) = 0 (pooled null)."""
    rng = np.random.default_rng(seed)
    observed = abs(x.mean() - y.mean())
    pooled = np.concatenate([x, y])
    bx = rng.choice(pooled, size=(BOOTSTRAP_SAMPLES, len(x)))
    by = rng.choice(pooled, size=(BOOTSTRAP_SAMPLES, len(y)))
    extreme = np.abs(bx.mean(axis=1) - by.mean(axis=1)) >= observed - 1e-12
    return float((extreme.sum() + 1) / (BOOTSTRAP_SAMPLES + 1))


def adjacent_gaps(table: pd.DataFrame, rows: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Add ``p_next`` (p-value of the gap to the next rank) and ``sig_next`` to a score table."""
    table = table.copy()
    pvalues, significant = [], []
    players = list(table["player"])
    for i, player in enumerate(players):
        if i + 1 >= len(players):
            pvalues.append(math.nan)
            significant.append(pd.NA)
            continue
        p, _ = gap_pvalue(rows, player, players[i + 1])
        pvalues.append(p)
        significant.append(pd.NA if math.isnan(p) else bool(p < alpha))
    table["p_next"] = pvalues
    table["sig_next"] = pd.array(significant, dtype="boolean")
    return table
