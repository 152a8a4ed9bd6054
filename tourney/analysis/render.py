"""An analysis as text (terminal, Markdown), JSON, and CSV files in RUN_DIR/analysis/."""

from __future__ import annotations

import json
import math
from typing import Any
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from tourney.analysis.analyze import Analysis, GameAnalysis
from tourney.store import clean_json

ANALYSIS_DIR = "analysis"


def _f(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.000"


def _ci(low: float, high: float, digits: int = 3) -> str:
    return "" if math.isnan(low) else f"[{_f(low, digits)}, {_f(high, digits)}]"


def game_frame(g: GameAnalysis) -> pd.DataFrame:
    """The per-player game-theoretic table of one meta-game, for people."""
    f = g.players
    role = {"population": f["population"]} if g.populations else {}
    return pd.DataFrame({
        "player": f["player"], **role,
        "alpha-Rank": [_f(v) for v in f["alpharank"]],
        "95% CI": [_ci(a, b) for a, b in zip(f["alpharank_low"], f["alpharank_high"])],
        "rank [CI]": [f"{r} [{a}-{b}]" for r, a, b in zip(f["alpharank_rank"], f["rank_low"], f["rank_high"])],
        "Nash": [_f(v) for v in f["nash"]],
        "P(support)": [_f(v, 2) for v in f["p_nash_support"]],
        "replicator": [_f(v) for v in f["replicator"]],
        "P(survive)": [_f(v, 2) for v in f["p_survive"]],
        "Nash-avg skill [CI]": [f"{_f(s)} {_ci(a, b)}" for s, a, b in
                                zip(f["nash_avg_skill"], f["skill_low"], f["skill_high"])],
    })


def profiles_line(g: GameAnalysis, top: int = 5) -> str:
    """The two-population alpha-Rank of a role-restricted league in one line: its top profiles."""
    assert g.populations is not None and g.profiles is not None
    role1, role2 = g.populations
    shown = "; ".join(f"{r[role1]} / {r[role2]} {_f(r['mass'])} {_ci(r['mass_low'], r['mass_high'])}"
                      for _, r in g.profiles.head(top).iterrows())
    return (f"alpha-Rank over two populations ({role1}: {', '.join(g.populations[role1])}; {role2}: "
            f"{', '.join(g.populations[role2])}); per player its population's share; top profiles "
            f"{role1} / {role2}: {shown}")


def ratings_frame(a: Analysis) -> pd.DataFrame:
    r = a.ratings
    return pd.DataFrame({
        "player": r["player"],
        "Bradley-Terry": [_f(v) for v in r["strength"]],
        "95% CI": [_ci(x, y) for x, y in zip(r["strength_low"], r["strength_high"])],
        "Elo scale [CI]": [f"{_f(e, 0)} {_ci(x, y, 0)}" for e, x, y in zip(r["elo"], r["elo_low"], r["elo_high"])],
        "win rate": [_f(v, 3) for v in r["win_rate"]],
        "comparisons": r["comparisons"],
    })


def pairs_frame(a: Analysis) -> pd.DataFrame:
    p = a.pairs
    return pd.DataFrame({
        "a": p["a"], "b": p["b"], "mean a": [_f(v) for v in p["mean_a"]], "mean b": [_f(v) for v in p["mean_b"]],
        "test": p["test"], "p": [_f(v, 4) for v in p["p"]], "p (Holm)": [_f(v, 4) for v in p["p_holm"]],
        "sig": ["*" if v is True else "" for v in (None if pd.isna(x) else bool(x) for x in p["significant"])],
    })


def render_analysis(a: Analysis, fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps(analysis_json(a), indent=2)
    style = "github" if fmt == "markdown" else "simple"

    def table(frame: pd.DataFrame) -> str:
        return str(tabulate(frame, headers="keys", tablefmt=style, showindex=False, disable_numparse=True))

    parts = [f"analysis: {a.samples} bootstrap samples (matches resampled within cells), seed {a.seed}, "
             f"alpha-Rank alpha={a.alpha:g} m={a.population}"]
    for g in a.games:
        head = f"meta-game {g.game.label}: {len(g.game.players)} players, {int(g.game.count.sum())} scores"
        if not g.nash_found:
            head += "; no symmetric Nash equilibrium found within the support budget"
        parts += ["", head, table(game_frame(g))]
        if g.populations:
            parts.append(profiles_line(g))
        if g.nash_found_share < 1:
            parts.append(f"(equilibrium found in {g.nash_found_share:.0%} of bootstrap samples)")
    parts += ["", "ratings (Bradley-Terry from pairwise wins; seat with the higher score wins)",
              table(ratings_frame(a))]
    significant = a.pairs["significant"].fillna(False).astype(bool)
    parts += ["", f"pairwise tests: {int(significant.sum())} of {len(a.pairs)} pairs differ at 5 % after "
                  "Holm's correction", table(pairs_frame(a))]
    parts += [""] + [f"note: {n}" for n in a.notes]
    return "\n".join(parts).rstrip()


def analysis_json(a: Analysis) -> dict[str, Any]:
    data: dict[str, Any] = clean_json({
        "seed": a.seed, "samples": a.samples, "alpha": a.alpha, "population": a.population, "notes": a.notes,
        "games": [{
            "game": g.game.label, "players": g.game.players, "nash_found": g.nash_found,
            "nash_found_share": g.nash_found_share,
            "payoff": {"mean": g.game.mean.tolist(), "n": g.game.count.tolist(), "se": g.game.se.tolist()},
            "per_player": g.players.to_dict(orient="records"),
            "populations": g.populations,
            "profiles": None if g.profiles is None else g.profiles.to_dict(orient="records"),
            "replicator_trajectory": {"t": g.trajectory[0].tolist(), "x": g.trajectory[1].tolist()},
        } for g in a.games],
        "ratings": a.ratings.to_dict(orient="records"),
        "pairs": [{k: (None if k == "significant" and pd.isna(v) else v) for k, v in r.items()}
                  for r in a.pairs.astype({"significant": object}).to_dict(orient="records")],
    })
    return data


def write_analysis(run_dir: Path, a: Analysis) -> Path:
    out = Path(run_dir) / ANALYSIS_DIR
    out.mkdir(exist_ok=True)
    pd.concat([g.game.frame() for g in a.games]).to_csv(out / "metagame.csv", index=False, float_format="%.6f")
    pd.concat([g.players for g in a.games]).to_csv(out / "players.csv", index=False, float_format="%.6f")
    a.ratings.to_csv(out / "ratings.csv", index=False, float_format="%.6f")
    a.pairs.to_csv(out / "pairs.csv", index=False, float_format="%.6g")
    (out / "analysis.json").write_text(json.dumps(analysis_json(a), indent=1, sort_keys=True) + "\n")
    return out
