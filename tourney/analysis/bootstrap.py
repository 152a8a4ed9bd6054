"""Seeded bootstrap of a meta-game: resample the matches within each cell.

Replicate b of cell c is the mean of ``count[c]`` scores drawn with
replacement from that cell. Each cell draws from its own generator
(``default_rng([*seed, c])``), so a replicate does not depend on the other
cells or on how the draws are batched. Draws are made in batches of at most
``BATCH_VALUES`` numbers, so memory stays bounded whatever the log size.

A cell with more than ``EXACT_LIMIT`` scores uses the normal limit of the
bootstrap mean instead, N(mean, sd/sqrt(n)) with the plug-in sd: its error
is of order skewness/sqrt(n) (Berry-Esseen), below 1 % of the spread there,
and resampling a million scores a thousand times would cost minutes.
"""

from __future__ import annotations

import numpy as np

from tourney.analysis.metagame import MetaGame

BATCH_VALUES = 1 << 21
EXACT_LIMIT = 20_000


def bootstrap_means(game: MetaGame, samples: int, seed: int | list[int]) -> np.ndarray:
    """(samples, n, n) replicate payoff matrices; NaN where the cell is missing.

    ``seed`` is an int or a list of ints (a stream key, e.g. [league seed, game index])."""
    key = list(seed) if isinstance(seed, (list, tuple)) else [seed]
    n = len(game.players)
    out = np.full((samples, n * n), np.nan)
    for c in range(n * n):
        values = game.values[game.offsets[c]:game.offsets[c + 1]]
        if len(values):
            out[:, c] = resampled_means(values, samples, np.random.default_rng([*key, c]))
    return out.reshape(samples, n, n)


def resampled_means(values: np.ndarray, samples: int, rng: np.random.Generator) -> np.ndarray:
    """``samples`` bootstrap means of ``values`` in bounded memory."""
    k = len(values)
    if k > EXACT_LIMIT:
        return rng.normal(values.mean(), values.std() / np.sqrt(k), size=samples)
    rows = max(1, BATCH_VALUES // k)
    means = np.empty(samples)
    for start in range(0, samples, rows):
        stop = min(samples, start + rows)
        picks = rng.integers(0, k, size=(stop - start, k))
        means[start:stop] = values[picks].mean(axis=1)
    return means


def percentile_interval(replicates: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval along axis 0 (NaN replicates ignored)."""
    tail = (1 - level) / 2 * 100
    return np.nanpercentile(replicates, tail, axis=0), np.nanpercentile(replicates, 100 - tail, axis=0)
