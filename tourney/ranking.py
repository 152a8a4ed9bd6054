"""Is a rank gap real? A test for each pair of adjacent ranks.

Two players are compared on matched matches: the same world, setting, role,
opponent and repetition, so each difference isolates the player. With at
least ``MIN_PAIRS`` matched pairs the test is Wilcoxon's signed-rank test on
the differences; otherwise a seeded bootstrap of the difference of means over
all their scores (its normal limit, a z-test with the pooled variance, above
``BOOTSTRAP_LIMIT`` scores, where 2000 resamples would cost minutes). A gap
whose p-value is at least ``alpha`` is marked as not significant in the tables.
Memory is bounded: resamples are drawn in batches.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

MIN_PAIRS = 6
BOOTSTRAP_SAMPLES = 2000
MATCH_KEYS = ["world", "setting", "role", "opponent", "rep"]
BATCH_VALUES = 1 << 21  # numbers drawn at once by the bootstrap (16 MB)
# Above this many scores the bootstrap (2000 resamples of each) gives way to its normal limit.
BOOTSTRAP_LIMIT = 20_000


def gap_pvalue(rows: pd.DataFrame, a: str, b: str, seed: int = 0) -> tuple[float, str]:
    """(p-value, test name) for the score difference between players ``a`` and ``b``."""
    needed = rows[MATCH_KEYS + ["score"]]  # only the columns the tests read: no copy of the rest
    ra = needed[rows["player"] == a].dropna(subset=["score"])
    rb = needed[rows["player"] == b].dropna(subset=["score"])
    return pair_pvalue(ra, rb, seed)


def pair_pvalue(ra: pd.DataFrame, rb: pd.DataFrame, seed: int = 0) -> tuple[float, str]:
    """(p-value, test name) for two players' scored rows (``gap_pvalue`` on rows already split by player)."""
    paired = ra.merge(rb, on=MATCH_KEYS, suffixes=("_a", "_b"))
    if len(paired) >= MIN_PAIRS:
        diff = (paired["score_a"] - paired["score_b"]).to_numpy(dtype=float)
        if np.allclose(diff, 0.0):
            return 1.0, "wilcoxon"
        return float(stats.wilcoxon(diff, zero_method="zsplit").pvalue), "wilcoxon"
    x, y = ra["score"].to_numpy(dtype=float), rb["score"].to_numpy(dtype=float)
    if len(x) < 2 or len(y) < 2:
        return math.nan, "none"
    if len(x) + len(y) > BOOTSTRAP_LIMIT:
        return pooled_z_pvalue(x, y), "z"
    return bootstrap_pvalue(x, y, seed), "bootstrap"


def bootstrap_pvalue(x: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """Two-sided bootstrap p-value of mean(x) - mean(y) = 0 (pooled null).

    The draws are made in batches of at most ``BATCH_VALUES`` numbers (all of
    x's resamples, then all of y's, as one (2000, n) draw would make them), so
    memory is bounded and the p-value is the same as drawing everything at once.
    """
    rng = np.random.default_rng(seed)
    observed = abs(x.mean() - y.mean())
    pooled = np.concatenate([x, y])
    mx = _resampled_means(rng, pooled, len(x))
    my = _resampled_means(rng, pooled, len(y))
    extreme = np.abs(mx - my) >= observed - 1e-12
    return float((extreme.sum() + 1) / (BOOTSTRAP_SAMPLES + 1))


def _resampled_means(rng: np.random.Generator, pooled: np.ndarray, size: int) -> np.ndarray:
    # An even number of rows per batch: numpy's bounded integers come from 32-bit halves, so
    # batches of an even count consume the stream exactly as one big draw does.
    rows = max(2, (BATCH_VALUES // max(size, 1)) // 2 * 2)
    means = np.empty(BOOTSTRAP_SAMPLES)
    for start in range(0, BOOTSTRAP_SAMPLES, rows):
        stop = min(BOOTSTRAP_SAMPLES, start + rows)
        means[start:stop] = rng.choice(pooled, size=(stop - start, size)).mean(axis=1)
    return means


def pooled_z_pvalue(x: np.ndarray, y: np.ndarray) -> float:
    """The large-sample limit of ``bootstrap_pvalue``: under its pooled null, mean(x) - mean(y) is
    normal with variance var(pooled) (1/nx + 1/ny)."""
    pooled_var = float(np.var(np.concatenate([x, y])))
    if pooled_var == 0.0:
        return 1.0
    z = abs(float(x.mean() - y.mean())) / math.sqrt(pooled_var * (1 / len(x) + 1 / len(y)))
    return float(2 * stats.norm.sf(z))


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
