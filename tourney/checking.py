"""Regression check: a run's scores against a committed baseline scores.csv."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from tourney.errors import LeagueError


def compare_scores(current: pd.DataFrame, baseline_path: Path, tol: float) -> tuple[bool, str]:
    """(ok, text): ok when every player is in both and no score moved by more than ``tol``."""
    try:
        baseline = pd.read_csv(baseline_path)
    except FileNotFoundError:
        raise LeagueError(f"{baseline_path}: no such baseline file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise LeagueError(f"{baseline_path}: not a scores CSV: {exc}") from None
    if not {"player", "score"} <= set(baseline.columns):
        raise LeagueError(f"{baseline_path}: a baseline needs 'player' and 'score' columns")
    old = dict(zip(baseline["player"], baseline["score"]))
    new = dict(zip(current["player"], current["score"]))
    rows, ok = [], True
    for player in sorted(set(old) | set(new)):
        a, b = old.get(player), new.get(player)
        if a is None or b is None:
            rows.append([player, a, b, "", "missing in " + ("baseline" if a is None else "run")])
            ok = False
            continue
        both_nan = _isnan(a) and _isnan(b)
        delta = 0.0 if both_nan else (math.inf if _isnan(a) or _isnan(b) else b - a)
        drift = abs(delta) > tol
        ok &= not drift
        rows.append([player, f"{a:.6f}", f"{b:.6f}", f"{delta:+.6f}", "DRIFT" if drift else "ok"])
    text = tabulate(rows, headers=["player", "baseline", "run", "change", ""], tablefmt="simple",
                    disable_numparse=True)
    return ok, text


def _isnan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)
