"""Does the I-Help setting let the approaches decide? Properties of the setting,
fixed before looking at any claim (issue 21): negotiations last several rounds
(median rounds >= ``MIN_MEDIAN_ROUNDS`` in every session) and switching from
Approach 2 to 3 changes the price (< ``MAX_IDENTICAL_SHARE`` % of the paired
deals of the 2 -> 3 rows at the same price).

``length_table`` and ``identical_share`` read a run's match log (the frame of
``tourney.reproduce.ihelp.runs_frame``); ``meets_targets`` judges both.
``setting_comparison`` plays the world match by match through
``tourney.play_match`` (no runner, no run directory) under the
league's setting with a few variants of Approaches 2-3 (their valuation and
concession scale, and an upper bound: an influence diagram that never accepts
or rejects), on calibration scenario seeds that the reproduction league does
not use, and looks at rounds, identical prices and deadlines only (never at
rejections or better deals):

    python -m tourney.reproduce.ihelp_setting RUN_DIR

writes ``RUN_DIR/setting.json`` (with its duration), which the reproduction
reports. The measured argument it carries: with the paper's whole-Delta
concessions the two sides' second offers cross at the standard price, so
Approaches 2-3 end in round 2 even when their diagram never stops them.
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
CALIBRATION_SEEDS = (100, 101, 102, 103, 104)  # the league's scenario seeds are 0-19
DECIDERS = (2, 3)  # the approaches that decide with an influence diagram


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
        "median rounds": bool(all(lengths[s] is not None and lengths[s] >= MIN_MEDIAN_ROUNDS for s in SESSIONS)),
        "identical prices": bool(share is not None and share < MAX_IDENTICAL_SHARE),
    }


def decider_lengths(runs: pd.DataFrame) -> dict[str, float | None]:
    """Median rounds per session over the configurations where both sides use Approach 2 or 3."""
    mine = runs[runs["seller"].isin(DECIDERS) & runs["buyer"].isin(DECIDERS)]
    row = length_table(mine).iloc[0] if len(mine) else {}
    return {s: (None if not len(mine) or row[s] is None else float(row[s])) for s in SESSIONS}


def play_grid(world_params: dict, player_params: dict[int, dict], seeds: tuple[int, ...],
              classes: dict[int, type] | None = None) -> pd.DataFrame:
    """Every configuration x session x preference combination on ``seeds``, played one match at a
    time by ``tourney.play_match``: approach ``a`` is the short name ``ihelp-a``, or ``classes[a]``."""
    from tourney.match import SeatLike, play_match
    from tourney.worlds.ihelp import PREFERENCE_COMBINATIONS, IHelpWorld

    kinds: dict[int, str | type] = dict(classes) if classes else {a: f"ihelp-{a}" for a in (1, 2, 3)}
    rows = []
    for seed, seller, buyer, session, prefs in itertools.product(
            seeds, kinds, kinds, SESSIONS, PREFERENCE_COMBINATIONS):
        world = IHelpWorld(session=session, preferences=prefs, scenario_seed=seed, **world_params)
        seats: dict[str, SeatLike] = {role: (kinds[a], dict(player_params.get(a, {})))
                                      for role, a in (("buyer", buyer), ("seller", seller))}
        result = play_match(world, seats, seed).result()
        for index, run in enumerate(result.details["runs"]):
            rows.append({"seed": seed, "buyer": buyer, "seller": seller, "session": session,
                         "preferences": prefs, "rep": 0, "run": index, "outcome": run["outcome"],
                         "rejected_by": run["rejected_by"], "price": run["price"], "rounds": run["rounds"]})
    return pd.DataFrame(rows)


def approach_class(approach: int) -> type:
    """The class registered as ``ihelp-<approach>`` (through the registry, as any plug-in's player)."""
    from tourney.registry import resolve_player

    resolved = resolve_player(f"ihelp-{approach}", "ihelp")
    if resolved is None:
        raise LookupError(f"player ihelp-{approach} cannot play the ihelp world")
    return resolved.cls


def _never_decides(cls: type) -> type:
    """``cls`` with an influence diagram that always counter-offers: the longest its offer rule allows."""

    class NeverDecides(cls):  # type: ignore[valid-type, misc]
        def choose(self, state, offer, counter):
            return "counter"

    NeverDecides.__name__ = f"NeverDecides{cls.__name__}"
    return NeverDecides


def variants(approach_params: dict[int, dict]) -> list[tuple[str, dict[int, dict], bool]]:
    """(label, params of Approaches 2-3, never decides) compared on the calibration seeds; the league's last."""
    league = {a: dict(approach_params.get(a, {})) for a in DECIDERS}
    scale = league[2].get("concession_scale", 1.0)

    def with_(**changes: Any) -> dict[int, dict]:
        return {a: {**league[a], **changes} for a in DECIDERS}

    return [
        ("session 1: ideal-limit valuation, whole Delta", with_(valuation="ideal-limit", concession_scale=1.0), False),
        ("zone valuation, whole Delta (the paper's step)", with_(valuation="zone", concession_scale=1.0), False),
        ("upper bound: whole Delta, the diagram never accepts or rejects", with_(concession_scale=1.0), True),
        (f"ideal-limit valuation, Delta x {scale:g}", with_(valuation="ideal-limit"), False),
        (f"the league: zone valuation, Delta x {scale:g}", with_(), False),
    ]


def setting_comparison(world_params: dict, approach_params: dict[int, dict],
                       seeds=CALIBRATION_SEEDS) -> list[dict[str, Any]]:
    """Per variant: median rounds per session (all configurations; Approaches 2-3 only), 2 -> 3 identical share."""
    out = []
    for label, params, never in variants(approach_params):
        classes = None  # the registered approaches, by short name
        if never:
            classes = {1: approach_class(1), 2: _never_decides(approach_class(2)),
                       3: _never_decides(approach_class(3))}
        runs = play_grid(world_params, {1: dict(approach_params.get(1, {})), **params}, seeds, classes)
        lengths = length_table(runs).iloc[0]
        share, n = identical_share(runs)
        out.append({
            "variant": label, "params": params[2],
            "median_rounds": {s: float(lengths[s]) for s in SESSIONS},
            "median_rounds_approaches_2_3": decider_lengths(runs),
            "identical_2_to_3": None if share is None else float(share), "pairs_2_to_3": int(n),
            "deadline": 100.0 * float((runs["outcome"] == "deadline").mean()),
            "targets": meets_targets(runs),
        })
    return out


def render_comparison(rows: list[dict[str, Any]]) -> str:
    lines = ["| Approaches 2-3 | median rounds S1 / S2 / S3 (all configurations) | "
             "median rounds S1 / S2 / S3 (Approaches 2-3 only) | 2 -> 3 pairs at the same price | deadline % | "
             "targets (rounds, prices) |",
             "|---|---|---|---|---|---|"]
    yes = {True: "met", False: "not met"}
    for row in rows:
        all_ = " / ".join(f"{row['median_rounds'][s]:g}" for s in SESSIONS)
        two3 = " / ".join(f"{row['median_rounds_approaches_2_3'][s]:g}" for s in SESSIONS)
        share = "-" if row["identical_2_to_3"] is None else f"{row['identical_2_to_3']:.0f} % of {row['pairs_2_to_3']}"
        targets = f"{yes[row['targets']['median rounds']]}, {yes[row['targets']['identical prices']]}"
        lines.append(f"| {row['variant']} | {all_} | {two3} | {share} | {row['deadline']:.1f} | {targets} |")
    return "\n".join(lines)


def league_params(target: Path) -> tuple[dict, dict[int, dict]]:
    """The ihelp world params and each approach's params of a run (its league as played) or a league file."""
    from tourney.league import load_league
    from tourney.reproduce.ihelp import approach_of
    from tourney.run_reader import read_run

    league = read_run(target).league if Path(target).is_dir() else load_league(target)
    world = dict(next(w for w in league.worlds if w.type == "ihelp").params)
    world.pop("scenario_seed", None)
    approaches: dict[int, dict] = {}
    for player in league.players:
        approach = approach_of(player.type)
        if approach is not None:
            approaches.setdefault(approach, dict(player.params))
    return world, approaches


def main() -> None:
    target = Path(sys.argv[1])
    world, approaches = league_params(target)
    started = time.perf_counter()
    rows = setting_comparison(world, approaches)
    elapsed = time.perf_counter() - started
    if target.is_dir():
        (target / "setting.json").write_text(json.dumps(
            {"elapsed_s": round(elapsed, 1), "seeds": list(CALIBRATION_SEEDS), "rows": rows}, indent=1))
    print(render_comparison(rows))
    print(f"setting comparison on calibration seeds {list(CALIBRATION_SEEDS)}: {elapsed:.0f} s")


if __name__ == "__main__":
    main()
