"""Match rows -> the empirical meta-game: a player x player payoff matrix.

Cell (i, j) holds player i's scores in the matches where j was among i's
opponents (a seat whose opponents are ``a+b`` counts toward both cells), so
for bilateral worlds it is exactly "i against j". Per cell we keep n, mean and
the standard error of the mean, and the scores themselves (one float each,
ordered by cell) so the bootstrap can resample matches within cells.

Cells never played (no self-play, or two players whose roles never meet) are
missing. The game analyses need a full matrix: a missing cell is filled with
the grand mean of all observed scores (a neutral value that favours no one),
and the filled cells are listed next to every result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

POOLED = "pooled"


@dataclass
class MetaGame:
    label: str  # a world label, or "pooled"
    players: list[str]
    count: np.ndarray  # (n, n) int: scores in each cell
    mean: np.ndarray  # (n, n) float, NaN where count == 0
    se: np.ndarray  # (n, n) float, NaN where count < 2
    values: np.ndarray = field(repr=False)  # the scores, grouped by cell in row-major cell order
    offsets: np.ndarray = field(repr=False)  # values[offsets[c]:offsets[c + 1]] are cell c's scores

    @property
    def missing(self) -> np.ndarray:
        empty: np.ndarray = self.count == 0
        return empty

    def grand_mean(self) -> float:
        return float(self.values.mean()) if len(self.values) else math.nan

    def filled(self, mean: np.ndarray | None = None) -> np.ndarray:
        """The payoff matrix with missing cells set to the count-weighted grand mean of ``mean``."""
        return fill_missing(self.mean if mean is None else mean, self.count)

    def frame(self) -> pd.DataFrame:
        """Long table: player, opponent, n, mean, se."""
        n = len(self.players)
        i, j = np.divmod(np.arange(n * n), n)
        return pd.DataFrame({"game": self.label, "player": np.array(self.players)[i],
                             "opponent": np.array(self.players)[j], "n": self.count.ravel(),
                             "mean": self.mean.ravel(), "se": self.se.ravel()})


def fill_missing(mean: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``mean`` (one matrix or a stack) with the cells where ``count == 0`` set to the weighted grand mean."""
    observed = count > 0
    weights = np.where(observed, count, 0).astype(float)
    values = np.where(observed, mean, 0.0)
    total = weights.sum()
    grand = (values * weights).sum(axis=(-2, -1), keepdims=True) / total if total else 0.0
    return np.where(observed, mean, grand)


def codes_of(column: pd.Series, index: dict[str, int]) -> np.ndarray:
    """Each value's position in ``index`` (-1 when absent), without a Python object per row for a categorical."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        lookup = np.array([index.get(c, -1) for c in column.cat.categories] + [-1], dtype=np.int64)
        codes: np.ndarray = lookup[column.cat.codes.to_numpy()]
        return codes  # code -1 (missing) picks the trailing -1
    return np.array([index.get(v, -1) for v in column], dtype=np.int64)


def build_metagame(rows: pd.DataFrame, players: list[str], label: str = POOLED) -> MetaGame:
    """The meta-game of ``rows`` (scoring.match_rows) over ``players`` (in this order)."""
    n = len(players)
    index = {p: k for k, p in enumerate(players)}
    ok = rows.loc[rows["score"].notna(), ["player", "opponent", "score"]]
    player_codes = codes_of(ok["player"], index)
    scores = ok["score"].to_numpy(dtype=float)
    opp_codes, opp_names = pd.factorize(ok["opponent"], sort=True)
    # Each distinct opponent text -> the player indices in it (interned strings: few distinct values).
    members = [[index[o] for o in str(name).split("+") if o in index] for name in opp_names]
    lengths = np.array([len(m) for m in members], dtype=np.int64)
    per_row = lengths[opp_codes] if len(opp_codes) else np.zeros(0, dtype=np.int64)
    keep = (player_codes >= 0) & (per_row > 0)
    player_codes = player_codes[keep]
    scores, opp_codes, per_row = scores[keep], opp_codes[keep], per_row[keep]
    # Expand a seat with k opponents into k cells.
    starts = np.concatenate([[0], np.cumsum(lengths)])[:-1]
    flat_members = np.array([x for m in members for x in m], dtype=np.int64)
    row_of = np.repeat(np.arange(len(scores)), per_row)
    within = np.arange(len(row_of)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    opponents = flat_members[starts[opp_codes[row_of]] + within] if len(row_of) else np.zeros(0, np.int64)
    cells = player_codes[row_of] * n + opponents
    values = scores[row_of]
    order = np.argsort(cells, kind="stable")
    cells, values = cells[order], values[order]
    count = np.bincount(cells, minlength=n * n)
    sums = np.bincount(cells, weights=values, minlength=n * n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / count
        centred = values - mean[cells]
        ss = np.bincount(cells, weights=centred * centred, minlength=n * n)
        se = np.sqrt(ss / (count - 1) / count)
    mean[count == 0] = np.nan
    se[count < 2] = np.nan
    offsets = np.concatenate([[0], np.cumsum(count)])
    shape = (n, n)
    return MetaGame(label, list(players), count.reshape(shape), mean.reshape(shape), se.reshape(shape),
                    values, offsets)


def build_metagames(rows: pd.DataFrame, players: list[str]) -> list[MetaGame]:
    """One meta-game per world (when there are several) and the pooled one, pooled first."""
    games = [build_metagame(rows, players, POOLED)]
    worlds = sorted(set(rows["world"].astype(object)))
    if len(worlds) > 1:
        games += [build_metagame(rows[rows["world"] == w], players, w) for w in worlds]
    return games


def role_populations(rows: pd.DataFrame, players: list[str]) -> dict[str, list[str]] | None:
    """Role -> its players, when the league is role-restricted: two roles, every player seated in
    exactly one, every match bilateral (one opponent). None otherwise (the symmetric meta-game then)."""
    seats = rows[["role", "player", "opponent"]].astype(object).drop_duplicates()
    if seats.empty or seats["opponent"].str.contains("+", regex=False).any():
        return None
    roles_of = seats.groupby("player")["role"].agg(lambda r: sorted(set(r)))
    if len(set(seats["role"])) != 2 or any(len(r) != 1 for r in roles_of):
        return None
    if set(roles_of.index) != set(players):  # a player never seated: no population to put it in
        return None
    out: dict[str, list[str]] = {}
    for player in players:
        out.setdefault(roles_of[player][0], []).append(player)
    return dict(sorted(out.items()))
