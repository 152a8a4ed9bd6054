"""Match log -> score tables (pandas). Pure functions of the records.

Rules:
- A seat's score is the league's scoring metric (or its world's default metric)
  from the seat's numbers in the record.
- A failed match (error, timeout, crashed) scores ``error_score`` for the player
  blamed and nothing for the others: they did nothing wrong, and a crash with
  no one to blame scores for no one. Failures are counted per player.
- A world that plays several games in one match (SCML's rotations) may give
  ``<metric>_samples``, one value per game; each becomes a row, so aggregates
  run over games as SCML's own tournaments do.
- Records are sorted by match id before any sum, so the table is the same bit
  for bit whatever order the matches finished in.
- ``truncated_mean`` cuts a fraction ``trim`` from each end (``truncation:
  fraction``) or, as SCML does, drops values above Q3 + 2 IQR (``truncation:
  tukey``, negmas' own ``truncated_mean``).
"""

from __future__ import annotations

import math
from array import array
from typing import Any, Iterable

import numpy as np
import pandas as pd
from scipy import stats

_STR = pd.Series(["x"]).dtype  # pandas' default string dtype
ROW_COLUMNS = ["id", "world", "setting", "rep", "role", "player", "opponent", "score", "agreement",
               "status", "fault"]


def _setting_text(setting: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(setting.items())) or "-"


class _Codes:
    """Distinct strings -> small ints, so a repeated text is stored once and rows hold an int."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.codes = array("i")

    def add(self, text: str) -> None:
        code = self.index.get(text)
        if code is None:
            code = self.index[text] = len(self.index)
        self.codes.append(code)

    def column(self, order: np.ndarray) -> pd.Categorical:
        """The rows' strings (in ``order``) as a categorical with sorted categories: one small int per row,
        and sorting or grouping by it orders the strings as text would."""
        names = list(self.index)
        sorted_names = sorted(names)
        where = {name: k for k, name in enumerate(sorted_names)}
        recode = np.array([where[name] for name in names], dtype=np.int32)
        codes = recode[np.frombuffer(self.codes, dtype=np.int32)[order]] if len(self.codes) else np.zeros(0, np.int32)
        return pd.Categorical.from_codes(codes, categories=pd.Index(sorted_names, dtype=_STR))

    def sort_rank(self) -> np.ndarray:
        """Per row, the rank of its string in sorted order (for sorting rows by this column)."""
        names = list(self.index)
        rank = np.empty(len(names), dtype=np.int64)
        rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
        return rank[np.frombuffer(self.codes, dtype=np.int32)]


def match_rows(records: Iterable[dict[str, Any]], metric: str | None = None, error_score: float = 0.0) -> pd.DataFrame:
    """One row per (match, seat) that scores, sorted by match id and role.

    ``records`` is consumed once, as a stream. Each row costs about 60 bytes
    while reading: numbers go to typed arrays, repeated strings (world,
    setting, role, player, opponent, status) to small int codes, and the id
    string is the record's own (kept once, not per seat); no Python object is
    made per number. The repeated strings stay categorical in the frame (with
    sorted categories, so sorting and grouping order them as text).
    """
    ids: list[str] = []
    id_of_row = array("q")
    strings = {name: _Codes() for name in ("world", "setting", "role", "player", "opponent", "status")}
    reps, scores, agreements, faults = array("q"), array("d"), array("d"), array("b")
    world_c, setting_c, role_c, player_c, opponent_c, status_c = (strings[k] for k in
                                                                  ("world", "setting", "role", "player",
                                                                   "opponent", "status"))

    def append(match: int, world: str, setting: str, rep: int, role: str, player: str, opponent: str,
               score: float, agreement: float, status: str, fault: bool) -> None:
        id_of_row.append(match)
        world_c.add(world)
        setting_c.add(setting)
        reps.append(rep)
        role_c.add(role)
        player_c.add(player)
        opponent_c.add(opponent)
        scores.append(score)
        agreements.append(agreement)
        status_c.add(status)
        faults.append(fault)

    for r in records:
        assignment = r["assignment"]
        world, setting = r["world"], _setting_text(r.get("setting", {}))
        status = r["status"]
        match = len(ids)
        ids.append(r["id"])
        rep = int(r.get("rep", 0))
        for role, player in sorted(assignment.items()):
            opponent = "+".join(sorted(p for rl, p in assignment.items() if rl != role)) or "-"
            if status == "ok":
                numbers = (r.get("roles") or {}).get(role, {})
                name = metric or r.get("metric") or "utility"
                value = numbers.get(name)
                agreement = numbers.get("agreement")
                agreement = math.nan if agreement is None else float(agreement)
                samples = numbers.get(f"{name}_samples")
                for v in samples if isinstance(samples, list) and samples else [value]:
                    append(match, world, setting, rep, role, player, opponent,
                           math.nan if v is None else float(v), agreement, "ok", False)
            elif r.get("blamed_role") == role:
                append(match, world, setting, rep, role, player, opponent, float(error_score), math.nan, status, True)
    # Sums run in this order (id, then role, stable), so the table is the same whatever order the
    # matches finished in.
    match_of_row = np.frombuffer(id_of_row, dtype=np.int64)
    id_names = pd.Series(ids, dtype=object)
    del ids
    id_rank = np.empty(len(id_names), dtype=np.int64)
    id_rank[np.argsort(id_names.to_numpy(), kind="stable")] = np.arange(len(id_names))
    order = np.lexsort((role_c.sort_rank(), id_rank[match_of_row])) if len(match_of_row) else np.zeros(0, int)
    del id_rank, append, world_c, setting_c, role_c, player_c, opponent_c, status_c
    columns = {"id": id_names.astype(_STR).array.take(match_of_row[order])}
    del id_names, match_of_row, id_of_row
    typed: dict[str, tuple[array[Any], type[np.generic]]] = {
        "rep": (reps, np.int64), "score": (scores, np.float64), "agreement": (agreements, np.float64)}
    del reps, scores, agreements
    # Column by column, each typed array dropped once reordered, so the peak holds one spare column.
    for name in ROW_COLUMNS[1:]:
        if name in strings:
            columns[name] = strings.pop(name).column(order)
        elif name in typed:
            values, dtype = typed.pop(name)
            columns[name] = np.frombuffer(values, dtype=dtype)[order]
            del values
        else:
            columns[name] = np.frombuffer(faults, dtype=np.int8)[order].astype(bool)
    frame = pd.DataFrame(columns, columns=ROW_COLUMNS)
    return frame


def confidence_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean; NaN bounds for fewer than two values."""
    n = len(values)
    if n < 2:
        return (math.nan, math.nan)
    mean = float(np.mean(values))
    sem = float(np.std(values, ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sem
    return (mean - half, mean + half)


def truncated_mean(values: np.ndarray, trim: float, truncation: str = "fraction") -> float:
    """Mean after cutting ``trim`` of the values from each end (scipy's trim_mean),
    or, with ``truncation="tukey"``, after dropping values above Q3 + 2 IQR
    (negmas' ``truncated_mean``, which SCML tournaments use)."""
    if len(values) == 0:
        return math.nan
    if truncation == "tukey":
        from negmas.helpers.numeric import truncated_mean as tukey_mean

        return float(tukey_mean(np.asarray(values, dtype=float)))
    return float(stats.trim_mean(values, trim))


def score_table(rows: pd.DataFrame, aggregate: str = "mean", trim: float = 0.1,
                players: Iterable[str] | None = None, truncation: str = "fraction") -> pd.DataFrame:
    """Per player: matches, mean, std, 95 % CI, median, truncated mean, agreement, faults, rank."""
    names = sorted(set(rows["player"]) | set(players or []))
    out = []
    numbers = rows[["score", "agreement", "fault"]]
    player = rows["player"]
    for name in names:
        mine = numbers[player == name]
        values = mine["score"].dropna().to_numpy(dtype=float)
        low, high = confidence_interval(values)
        agreement = mine["agreement"].dropna()
        out.append({
            "player": name,
            "matches": int(len(values)),
            "mean": float(np.mean(values)) if len(values) else math.nan,
            "std": float(np.std(values, ddof=1)) if len(values) > 1 else math.nan,
            "ci_low": low,
            "ci_high": high,
            "median": float(np.median(values)) if len(values) else math.nan,
            "truncated_mean": truncated_mean(values, trim, truncation),
            "agreement": float(agreement.mean()) if len(agreement) else math.nan,
            "faults": int(mine["fault"].sum()),
        })
    table = pd.DataFrame(out, columns=["player", "matches", "mean", "std", "ci_low", "ci_high", "median",
                                       "truncated_mean", "agreement", "faults"])
    table["score"] = table[aggregate]
    table = table.sort_values(["score", "player"], ascending=[False, True], na_position="last")
    table["rank"] = table["score"].rank(method="min", ascending=False).astype("Int64")
    cols = ["rank", "player", "score"] + [c for c in table.columns if c not in ("rank", "player", "score")]
    return table[cols].reset_index(drop=True)


def pairwise_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean score of each player (row) against each opponent (column)."""
    ok = rows.dropna(subset=["score"])
    if ok.empty:
        return pd.DataFrame()
    return ok.pivot_table(index="player", columns="opponent", values="score", aggfunc="mean").sort_index(
        axis=0).sort_index(axis=1)


def breakdown_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean score per world, setting, role and player."""
    ok = rows.dropna(subset=["score"])
    if ok.empty:
        return pd.DataFrame(columns=["world", "setting", "role", "player", "matches", "mean"])
    grouped = ok.groupby(["world", "setting", "role", "player"], sort=True)["score"]
    return grouped.agg(matches="count", mean="mean").reset_index()


def failure_summary(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts
