"""Does the I-Help setting let the approaches decide? Properties of the setting,
fixed before looking at any claim (issue 21): negotiations last several rounds
(median rounds >= ``MIN_MEDIAN_ROUNDS`` in every session) and switching from
Approach 2 to 3 changes the price (< ``MAX_IDENTICAL_SHARE`` % of the paired
deals of the 2 -> 3 rows at the same price).

``length_table`` and ``identical_share`` read a run's match log (the frame of
``tourney.reproduce.ihelp.runs_frame``). ``concession_sweep`` plays the world
directly for a few values of Approaches 2-3's ``concession_scale`` on
calibration scenario seeds that the reproduction league does not use, and looks
at rounds and identical prices only (never at rejections or better deals):

    python -m tourney.reproduce.ihelp_setting RUN_DIR

writes ``RUN_DIR/concession_sweep.json`` (with the sweep's duration), which the
reproduction reports.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from tourney.reproduce.ihelp import SESSIONS, deal_pairs

MIN_MEDIAN_ROUNDS = 4
MAX_IDENTICAL_SHARE = 25.0
SWEEP_SCALES = (1.0, 0.5, 0.25, 0.125)
CALIBRATION_SEEDS = (100, 101)  # the league's scenario seeds are 0-19


def length_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Median rounds per configuration (seller, buyer) and session, and over all configurations ("all")."""
    rows = []
    for (seller, buyer), group in [(("all", "all"), runs)] + list(runs.groupby(["seller", "buyer"], sort=True)):
        row: dict[str, Any] = {"seller": seller, "buyer": buyer}
        for session in SESSIONS:
            rounds = group.loc[group["session"] == session, "rounds"].dropna()
            row[session] = float(rounds.median()) if len(rounds) else None
        rows.append(row)
    return pd.DataFrame(rows)


def identical_share(runs: pd.DataFrame) -> tuple[float | None, int]:
    """(% of the paired deals of the 2 -> 3 rows at the same price, number of such pairs)."""
    pairs = deal_pairs(runs)
    pairs = pairs[(pairs["from"] == 2) & (pairs["to"] == 3)]
    if not len(pairs):
        return None, 0
    return 100.0 * (pairs["change"] == 0).sum() / len(pairs), len(pairs)


def meets_targets(runs: pd.DataFrame) -> dict[str, bool]:
    lengths = length_table(runs).iloc[0]
    share, _ = identical_share(runs)
    return {
        "median rounds": all(lengths[s] is not None and lengths[s] >= MIN_MEDIAN_ROUNDS for s in SESSIONS),
        "identical prices": share is not None and share < MAX_IDENTICAL_SHARE,
    }


def play_grid(world_params: dict, player_params: dict[int, dict], seeds: tuple[int, ...]) -> pd.DataFrame:
    """Every configuration x session x preference combination on ``seeds``, played directly (no runner)."""
    from players.ihelp import Approach1, Approach2, Approach3
    from tourney.worlds.base import MatchContext, Seat
    from tourney.worlds.ihelp import PREFERENCE_COMBINATIONS, IHelpWorld

    classes = {1: Approach1, 2: Approach2, 3: Approach3}
    rows = []
    for seed, seller, buyer, session, prefs in itertools.product(
            seeds, classes, classes, SESSIONS, PREFERENCE_COMBINATIONS):
        world = IHelpWorld(session=session, preferences=prefs, scenario_seed=seed, **world_params)
        seats = {role: Seat(role, f"A{a}", f"ihelp-{a}", classes[a], dict(player_params.get(a, {})))
                 for role, a in (("buyer", buyer), ("seller", seller))}
        result = world.play(seats, seed, MatchContext(seed))
        for index, run in enumerate(result.details["runs"]):
            rows.append({"seed": seed, "buyer": buyer, "seller": seller, "session": session,
                         "preferences": prefs, "rep": 0, "run": index, "outcome": run["outcome"],
                         "rejected_by": run["rejected_by"], "price": run["price"], "rounds": run["rounds"]})
    return pd.DataFrame(rows)


def concession_sweep(world_params: dict, approach1: dict, scales=SWEEP_SCALES,
                     seeds=CALIBRATION_SEEDS) -> list[dict[str, Any]]:
    """Per ``concession_scale`` of Approaches 2-3: median rounds per session and the 2 -> 3 identical share."""
    out = []
    for scale in scales:
        runs = play_grid(world_params, {1: approach1, 2: {"concession_scale": scale},
                                        3: {"concession_scale": scale}}, seeds)
        lengths = length_table(runs)
        pair23 = lengths[lengths["seller"].isin([2, 3]) & lengths["buyer"].isin([2, 3])]
        share, n = identical_share(runs)
        out.append({
            "concession_scale": scale,
            "median_rounds": {s: lengths.iloc[0][s] for s in SESSIONS},
            "median_rounds_approaches_2_3": {s: float(pair23[s].median()) for s in SESSIONS},
            "identical_2_to_3": share, "pairs_2_to_3": n,
        })
    return out


def render_sweep(sweep: list[dict[str, Any]]) -> str:
    lines = ["| concession_scale | median rounds S1 / S2 / S3 (all configurations) | "
             "median rounds S1 / S2 / S3 (Approaches 2-3 only) | 2 -> 3 pairs at the same price |",
             "|---|---|---|---|"]
    for row in sweep:
        all_ = " / ".join(f"{row['median_rounds'][s]:g}" for s in SESSIONS)
        two3 = " / ".join(f"{row['median_rounds_approaches_2_3'][s]:g}" for s in SESSIONS)
        share = "-" if row["identical_2_to_3"] is None else f"{row['identical_2_to_3']:.0f} % of {row['pairs_2_to_3']}"
        lines.append(f"| {row['concession_scale']:g} | {all_} | {two3} | {share} |")
    return "\n".join(lines)


def _league_params(run_dir: Path) -> tuple[dict, dict]:
    """The world params and Approach 1's params of the run's league (sweep in the league's setting)."""
    import yaml

    league = yaml.safe_load((run_dir / "league.yaml").read_text())
    world = dict(next(w for w in league["worlds"] if w["type"] == "ihelp").get("params") or {})
    approach1 = next((dict(p.get("params") or {}) for p in league["players"] if p["type"] == "ihelp-1"), {})
    return world, approach1


def main() -> None:
    run_dir = Path(sys.argv[1])
    world, approach1 = _league_params(run_dir)
    world.pop("scenario_seed", None)
    started = time.perf_counter()
    sweep = concession_sweep(world, approach1)
    elapsed = time.perf_counter() - started
    (run_dir / "concession_sweep.json").write_text(json.dumps(
        {"elapsed_s": round(elapsed, 1), "seeds": list(CALIBRATION_SEEDS), "rows": sweep}, indent=1))
    print(render_sweep(sweep))
    print(f"concession sweep: {elapsed:.0f} s")


if __name__ == "__main__":
    main()
