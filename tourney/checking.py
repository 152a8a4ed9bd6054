"""Regression check: a run's scores against a committed baseline scores.csv."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from tourney.errors import LeagueError


def read_baseline(path: Path) -> dict[str, float]:
    """player -> score from a baseline CSV; a LeagueError (exit 2) naming the line for anything malformed.

    Every player once, every score a number (``nan`` allowed: a player with
    no scored match): a duplicate row would otherwise silently win.
    """
    try:
        baseline = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise LeagueError(f"{path}: no such baseline file") from None
    except IsADirectoryError:
        raise LeagueError(f"{path}: is a directory, not a baseline scores.csv") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise LeagueError(f"{path}: not a scores CSV: {str(exc).strip().splitlines()[0]}") from None
    if not {"player", "score"} <= set(baseline.columns):
        raise LeagueError(f"{path}:1: a baseline needs 'player' and 'score' columns")
    scores: dict[str, float] = {}
    first_line: dict[str, int] = {}
    for i, (player, text) in enumerate(zip(baseline["player"], baseline["score"])):
        line = i + 2  # the header is line 1
        if not player.strip():
            raise LeagueError(f"{path}:{line}: player: empty player name")
        if player in scores:
            raise LeagueError(f"{path}:{line}: player: '{player}' is listed twice (first on line "
                              f"{first_line[player]})")
        try:
            value = float(text) if text.strip() else math.nan
        except ValueError:
            raise LeagueError(f"{path}:{line}: score: not a number: {text!r}") from None
        if math.isinf(value):
            raise LeagueError(f"{path}:{line}: score: not a finite number: {text!r}")
        scores[player] = value
        first_line[player] = line
    return scores


def compare_scores(current: pd.DataFrame, baseline_path: Path, tol: float) -> tuple[bool, str]:
    """(ok, text): ok when every player is in both and no score moved by more than ``tol``."""
    if not (isinstance(tol, (int, float)) and tol >= 0):  # also refuses NaN, which every comparison passes
        raise LeagueError(f"--tol must be a number >= 0; got {tol!r}")
    old = read_baseline(baseline_path)
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


def _isnan(x: object) -> bool:
    return isinstance(x, float) and math.isnan(x)
