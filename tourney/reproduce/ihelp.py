"""Reproduce I-Help (Vassileva & Mudgal, ch. 16), Tables 16.1 and 16.2, from the
match log of ``leagues/ihelp.yaml``.

Table 16.1, per configuration S:x, B:y (seller approach x, buyer approach y):
the share of runs that ended in a rejection over all sessions and preference
combinations, and, per session, the shares of that session's rejections made
by the buyer and by the seller ("-" when the session had none). The paper's
15 runs per configuration are 5 preference combinations x 3 sessions; ours are
those cells x the world's ``runs``. Runs that hit the deadline are no
rejection; we count them in a column of their own.

Table 16.2 (all 18 rows): for each pair of configurations that differ only in
one side's approach (B: 1->2 with S fixed, ...), the runs are paired by
scenario seed, session, preference combination and run index (the world draws a run's prices from the
setting only, so paired runs face the same prices); among the pairs that end
in a deal both times, the share in which the switching side got a strictly
better price with the new approach. The paper's denominators (25 %, 33.3 %,
66.6 % appear) suggest deals only too.

The unit of replication is the world's ``scenario_seed`` (a settings axis of
the league): each seed is one replication of the paper's experiment, with
prices of its own; the claims (``tourney.reproduce.ihelp_claims``) are judged
by 95 % CIs over seeds.

Approaches are read from the league's player types (``ihelp-1`` or a dotted
path ending in ``Approach1``...) in the run's copy of the league.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from tourney.records import MatchRecord
from tourney.run_reader import Run, read_run

SESSIONS = ("S1", "S2", "S3")
ROLES = ("buyer", "seller")

# Table 16.1: (seller, buyer) -> (total %, buyer share S1-S3, seller share S1-S3); None is "-".
PAPER_16_1: dict[tuple[int, int], tuple[float, tuple, tuple]] = {
    (1, 1): (0.0, (None, None, None), (None, None, None)),
    (1, 2): (0.0, (None, None, None), (None, None, None)),
    (1, 3): (20.0, (None, None, 100.0), (None, None, 0.0)),
    (2, 1): (0.0, (None, None, None), (None, None, None)),
    (2, 2): (6.67, (None, None, 100.0), (None, None, 0.0)),
    (2, 3): (20.0, (None, None, 33.3), (None, None, 66.6)),
    (3, 1): (26.6, (None, None, 0.0), (None, None, 100.0)),
    (3, 2): (26.6, (None, 0.0, 0.0), (None, 100.0, 100.0)),
    (3, 3): (53.3, (50.0, 0.0, 66.6), (50.0, 100.0, 33.3)),
}

# Table 16.2: (switching side, from, to, other side's approach) -> better deals % in S1, S2, S3.
PAPER_16_2: dict[tuple[str, int, int, int], tuple[float, float, float]] = {
    ("buyer", 1, 2, 1): (60, 25, 20),
    ("buyer", 1, 2, 2): (100, 80, 0),
    ("buyer", 1, 2, 3): (60, 0, 0),
    ("buyer", 2, 3, 1): (100, 80, 100),
    ("buyer", 2, 3, 2): (60, 40, 50),
    ("buyer", 2, 3, 3): (100, 50, 0),
    ("buyer", 1, 3, 1): (80, 60, 50),
    ("buyer", 1, 3, 2): (80, 80, 50),
    ("buyer", 1, 3, 3): (66.6, 0, 0),
    ("seller", 1, 2, 1): (60, 40, 25),
    ("seller", 1, 2, 2): (0, 33.3, 0),
    ("seller", 1, 2, 3): (80, 60, 0),
    ("seller", 2, 3, 1): (80, 100, 100),
    ("seller", 2, 3, 2): (100, 100, 100),
    ("seller", 2, 3, 3): (33.3, 100, 100),
    ("seller", 1, 3, 1): (100, 100, 100),
    ("seller", 1, 3, 2): (100, 100, 100),
    ("seller", 1, 3, 3): (66.6, 100, 100),
}
PAPER_OVERALL_REJECTIONS = sum(v[0] for v in PAPER_16_1.values()) / len(PAPER_16_1)  # ~17 %


# --- reading a run ---
def approach_of(type_name: str) -> int | None:
    """1, 2 or 3 for an I-Help player type, None for anything else."""
    match = re.search(r"(?:ihelp-|Approach)([123])$", type_name)
    return int(match.group(1)) if match else None


def league_approaches(run: Run) -> dict[str, int]:
    """League player name -> its I-Help approach, for the run's I-Help players."""
    out = {}
    for name, kind in run.player_types().items():
        approach = approach_of(kind)
        if approach is not None:
            out[name] = approach
    return out


def runs_frame(records: Iterable[MatchRecord], approaches: dict[str, int]) -> pd.DataFrame:
    """One row per negotiation run of the ok ``ihelp`` matches between I-Help approaches."""
    rows = []
    for record in records:
        if record.world_type != "ihelp" or not record.ok:
            continue
        assignment = record.assignment
        if not all(assignment.get(role) in approaches for role in ROLES):
            continue
        setting = record.setting
        for index, run in enumerate(record.details["runs"]):
            rows.append({
                "seed": setting.get("scenario_seed", 0),
                "buyer": approaches[assignment["buyer"]],
                "seller": approaches[assignment["seller"]],
                "session": setting.get("session", "S1"),
                "preferences": setting.get("preferences", 1),
                "rep": record.rep,
                "run": index,
                "outcome": run["outcome"],
                "rejected_by": run["rejected_by"],
                "price": run["price"],
                "rounds": run.get("rounds"),
            })
    columns = ["seed", "buyer", "seller", "session", "preferences", "rep", "run", "outcome", "rejected_by", "price",
               "rounds"]
    return pd.DataFrame(rows, columns=columns)


# --- Table 16.1 ---
def rejection_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (seller, buyer): total rejection %, deadline %, and who rejected per session (% of that session's rejections)."""
    rows = []
    for (seller, buyer), group in runs.groupby(["seller", "buyer"], sort=True):
        row: dict[str, Any] = {"seller": seller, "buyer": buyer, "runs": len(group)}
        rejected = group[group["outcome"] == "rejected"]
        row["total"] = 100.0 * len(rejected) / len(group)
        row["deadline"] = 100.0 * (group["outcome"] == "deadline").sum() / len(group)
        for session in SESSIONS:
            in_session = rejected[rejected["session"] == session]
            for role in ROLES:
                share = 100.0 * (in_session["rejected_by"] == role).sum() / len(in_session) if len(in_session) else None
                row[f"{role}_{session}"] = share
        rows.append(row)
    return pd.DataFrame(rows)


# --- Table 16.2 ---
PAIR_KEYS = ["seed", "session", "preferences", "rep", "run"]


def deal_pairs(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run paired across a switch of Table 16.2 that ends in a deal both times.

    Columns: side, from, to, other, the pairing keys, price_old, price_new and
    ``change``: +1 if the switching side got a strictly better price with the
    new approach, -1 if worse, 0 if the same.
    """
    frames = []
    for (side, old, new, other) in PAPER_16_2:
        other_role = "seller" if side == "buyer" else "buyer"
        base = runs[(runs[side] == old) & (runs[other_role] == other)]
        switched = runs[(runs[side] == new) & (runs[other_role] == other)]
        pairs = base.merge(switched, on=PAIR_KEYS, suffixes=("_old", "_new"))
        pairs = pairs[pairs["price_old"].notna() & pairs["price_new"].notna()][PAIR_KEYS + ["price_old", "price_new"]]
        gain = (pairs["price_old"] - pairs["price_new"]) if side == "buyer" else (pairs["price_new"] - pairs["price_old"])
        pairs = pairs.assign(side=side, **{"from": old, "to": new, "other": other},
                             change=(gain > 1e-9).astype(int) - (gain < -1e-9).astype(int))
        frames.append(pairs)
    columns = ["side", "from", "to", "other", *PAIR_KEYS, "price_old", "price_new", "change"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def better_deal_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per switch (side, from -> to, other side's approach) and session: % of paired deals made better."""
    pairs = deal_pairs(runs)
    rows = []
    for (side, old, new, other) in PAPER_16_2:
        row: dict[str, Any] = {"side": side, "from": old, "to": new, "other": other}
        mine = pairs[(pairs["side"] == side) & (pairs["from"] == old) & (pairs["to"] == new) & (pairs["other"] == other)]
        for session in SESSIONS:
            p = mine[mine["session"] == session]
            row[f"better_{session}"] = 100.0 * (p["change"] > 0).sum() / len(p) if len(p) else None
            row[f"pairs_{session}"] = len(p)
            row[f"ties_{session}"] = int((p["change"] == 0).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _pct(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:.1f}"


# --- Markdown ---
def seed_rejection_rates(runs: pd.DataFrame) -> pd.DataFrame:
    """Rejection % per scenario seed and configuration (rows: seed; columns: (seller, buyer))."""
    rejected = runs.assign(rejected=100.0 * (runs["outcome"] == "rejected"))
    return rejected.pivot_table(index="seed", columns=["seller", "buyer"], values="rejected", aggfunc="mean")


def _with_ci(values) -> str:
    from tourney.reproduce.claims import mean_interval

    mean, low, high = mean_interval(list(values))
    return "-" if mean != mean else f"{mean:.1f} [{low:.1f}, {high:.1f}]"


def render_table_16_1(rejections: pd.DataFrame, runs: pd.DataFrame | None = None) -> str:
    per_seed = seed_rejection_rates(runs) if runs is not None and len(runs) else None
    head = ("| Configuration | runs | Total rejections % (ours [95 % CI over seeds] / paper) | deadline % (ours) | "
            + " | ".join(f"by buyer {s} (ours / paper)" for s in SESSIONS) + " | "
            + " | ".join(f"by seller {s} (ours / paper)" for s in SESSIONS) + " |")
    lines = [head, "|" + "---|" * (4 + 2 * len(SESSIONS))]
    ours = {(r["seller"], r["buyer"]): r for r in rejections.to_dict("records")}
    for key, (total, by_buyer, by_seller) in PAPER_16_1.items():
        r = ours.get(key)
        ours_total = _pct(r["total"] if r else None)
        if per_seed is not None and key in per_seed.columns:
            ours_total = _with_ci(per_seed[key])
        cells = [f"S:{key[0]}, B:{key[1]}", str(r["runs"]) if r else "0",
                 f"{ours_total} / {_pct(total)}",
                 _pct(r["deadline"] if r else None)]
        for role, paper in (("buyer", by_buyer), ("seller", by_seller)):
            for session, p in zip(SESSIONS, paper):
                cells.append(f"{_pct(r[f'{role}_{session}'] if r else None)} / {_pct(p)}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_table_16_2(better: pd.DataFrame) -> str:
    head = ("| Case | " + " | ".join(f"better in {s} % (ours / paper) [pairs, same price]" for s in SESSIONS) + " |")
    lines = [head, "|---|" + "---|" * len(SESSIONS)]
    for row in better.to_dict("records"):
        side, old, new, other = row["side"], row["from"], row["to"], row["other"]
        other_label = "S" if side == "buyer" else "B"
        label = f"{'B' if side == 'buyer' else 'S'}: {old}->{new}, {other_label}: {other}"
        paper = PAPER_16_2[(side, old, new, other)]
        cells = [f"{_pct(row[f'better_{s}'])} / {_pct(p)} [{row[f'pairs_{s}']}, {row[f'ties_{s}']} same]"
                 for s, p in zip(SESSIONS, paper)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def score_table(records: Iterable[MatchRecord], approaches: dict[str, int]) -> pd.DataFrame:
    """Mean score (the world's utility) and agreement rate per role, approach and session."""
    rows = []
    for record in records:
        if record.world_type != "ihelp" or not record.ok:
            continue
        assignment = record.assignment
        if not all(assignment.get(role) in approaches for role in ROLES):
            continue
        for role in ROLES:
            rows.append({"role": role, "approach": approaches[assignment[role]],
                         "session": record.setting.get("session", "S1"),
                         "utility": record.roles[role]["utility"],
                         "agreement": record.roles[role]["agreement"]})
    frame = pd.DataFrame(rows, columns=["role", "approach", "session", "utility", "agreement"])
    return frame.groupby(["role", "approach", "session"], as_index=False)[["utility", "agreement"]].mean()


def render_scores(scores: pd.DataFrame) -> str:
    lines = ["| role | approach | " + " | ".join(f"utility {s} (agreement)" for s in SESSIONS) + " |",
             "|---|---|" + "---|" * len(SESSIONS)]
    for (role, approach), group in scores.groupby(["role", "approach"]):
        by_session = {r.session: r for r in group.itertuples()}
        cells = [f"{by_session[s].utility:.3f} ({by_session[s].agreement:.2f})" if s in by_session else "-"
                 for s in SESSIONS]
        lines.append(f"| {role} | {approach} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def count_differences(rejections: pd.DataFrame, better: pd.DataFrame, threshold: float = 25.0) -> dict[str, tuple[int, int]]:
    """(cells differing from the paper by more than ``threshold`` points, cells compared) per table."""
    off = compared = 0
    for r in rejections.to_dict("records"):
        paper = PAPER_16_1.get((r["seller"], r["buyer"]))
        if paper is not None:
            compared += 1
            off += abs(r["total"] - paper[0]) > threshold
    off2 = compared2 = 0
    for r in better.to_dict("records"):
        paper = PAPER_16_2[(r["side"], r["from"], r["to"], r["other"])]
        for session, p in zip(SESSIONS, paper):
            ours = r[f"better_{session}"]
            if ours is not None and ours == ours:
                compared2 += 1
                off2 += abs(ours - p) > threshold
    return {"16.1 totals": (off, compared), "16.2 cells": (off2, compared2)}


def _plots(run_dir: Path, rejections: pd.DataFrame, better: pd.DataFrame) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(run_dir) / "plots"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if len(rejections):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        labels = [f"S:{r.seller},B:{r.buyer}" for r in rejections.itertuples()]
        x = range(len(labels))
        ours = list(rejections["total"])
        paper = [PAPER_16_1.get((r.seller, r.buyer), (float("nan"),))[0] for r in rejections.itertuples()]
        ax.bar([i - 0.2 for i in x], ours, width=0.4, label="ours")
        ax.bar([i + 0.2 for i in x], paper, width=0.4, label="paper")
        ax.set_xticks(list(x), labels, rotation=45)
        ax.set_ylabel("rejections %")
        ax.set_title("Table 16.1: rejections per configuration")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "ihelp_rejections.png", dpi=100)
        plt.close(fig)
        written.append("plots/ihelp_rejections.png")
    if len(better):
        fig, axes = plt.subplots(1, 2, figsize=(8, 4.5), sharey=True)
        labels = [f"{'B' if r.side == 'buyer' else 'S'}:{r._2}->{r.to},{'S' if r.side == 'buyer' else 'B'}:{r.other}"
                  for r in better.itertuples()]
        ours = better[[f"better_{s}" for s in SESSIONS]].astype(float).to_numpy()
        paper = [PAPER_16_2[(r.side, r._2, r.to, r.other)] for r in better.itertuples()]
        for ax, data, title in ((axes[0], ours, "ours"), (axes[1], paper, "paper")):
            image = ax.imshow(data, vmin=0, vmax=100, cmap="RdYlGn", aspect="auto")
            ax.set_xticks(range(len(SESSIONS)), SESSIONS)
            ax.set_yticks(range(len(labels)), labels)
            ax.set_title(title)
        fig.suptitle("Table 16.2: better deals % when one side switches approach")
        fig.colorbar(image, ax=axes, shrink=0.8)
        fig.savefig(out / "ihelp_better_deals.png", dpi=100)
        plt.close(fig)
        written.append("plots/ihelp_better_deals.png")
    return written


def reproduce(run_dir: Path) -> str:
    """Markdown: Tables 16.1 and 16.2, ours beside the paper's, the setting's properties and the claims judged."""
    from tourney.reproduce import ihelp_setting as setting
    from tourney.reproduce.claims import summary_line, verdict_table
    from tourney.reproduce.ihelp_claims import judge_claims

    run_dir = Path(run_dir)
    run = read_run(run_dir)
    approaches = league_approaches(run)
    runs = runs_frame(run.records("ihelp", ok=True), approaches)
    if runs.empty:
        return "# I-Help reproduction\n\nNo ok `ihelp` matches between I-Help approaches in this run.\n"
    rejections = rejection_table(runs)
    better = better_deal_table(runs)
    verdicts = judge_claims(runs)
    plots = _plots(run_dir, rejections, better)
    scores = score_table(run.records("ihelp", ok=True), approaches)
    differences = count_differences(rejections, better)
    seeds = runs["seed"].nunique()
    per_cell = len(runs) // max(1, runs.groupby(["seller", "buyer", "session", "preferences", "seed"]).ngroups)
    overall = runs.groupby("seed")["outcome"].apply(lambda o: 100.0 * (o == "rejected").mean())
    lengths = setting.length_table(runs)
    share, n_pairs = setting.identical_share(runs)
    targets = setting.meets_targets(runs)
    setting_path = run_dir / "setting.json"
    parts = [
        "# I-Help (Vassileva & Mudgal, ch. 16): Tables 16.1 and 16.2",
        f"{len(runs)} negotiation runs: {runs.groupby(['seller', 'buyer']).ngroups} configurations x "
        f"{runs.groupby(['session', 'preferences']).ngroups} session/preference cells x {seeds} scenario seeds x "
        f"{per_cell} run(s). One seed is one replication of the paper's experiment (one run per cell, 15 per "
        "configuration); CIs are 95 % Student's t over seeds.",
        f"**Overall rejection rate: {_with_ci(overall)} % of our runs (mean [95 % CI] over seeds); the paper "
        f"{PAPER_OVERALL_REJECTIONS:.1f} % (mean of Table 16.1's totals).**",
        "## Claims",
        f"**{summary_line(verdicts)}.** Each claim's quantity is computed per scenario seed "
        "(`tourney/reproduce/ihelp_claims.py`); the difference is its mean over seeds.",
        verdict_table(verdicts),
        "## Does the setting let the approaches decide?",
        f"Targets fixed before the run (issue 21): median rounds >= {setting.MIN_MEDIAN_ROUNDS} in every session, "
        f"and fewer than {setting.MAX_IDENTICAL_SHARE:g} % of the 2 -> 3 paired deals at the same price. "
        f"Median rounds: {', '.join(f'{s} {_rounds(lengths.iloc[0][s])}' for s in SESSIONS)} "
        f"({'met' if targets['median rounds'] else '**not met**'}); 2 -> 3 pairs at the same price: "
        f"{_pct(share)} % of {n_pairs} ({'met' if targets['identical prices'] else '**not met**'}).",
        render_lengths(lengths),
    ]
    decide = setting.decider_lengths(runs)
    parts.append(f"Between Approaches 2-3 only (where the influence diagrams decide), median rounds "
                 f"{', '.join(f'{s} {_rounds(decide[s])}' for s in SESSIONS)}.")
    if setting_path.exists():
        comparison = json.loads(setting_path.read_text())
        parts += [
            "Setting checks on calibration scenario seeds "
            f"{', '.join(map(str, comparison['seeds']))} that the league does not use, for the league's "
            "Approaches 2-3 and the variants the choice was made against (rounds, identical prices and "
            "deadlines only; `python -m tourney.reproduce.ihelp_setting`, "
            f"{comparison['elapsed_s']:.0f} s):",
            setting.render_comparison(comparison["rows"]),
        ]
    parts += [
        "## Table 16.1: rejections",
        "Who rejected: % of that session's rejections ('-': none in that session). "
        "Deadline: runs that ran out of rounds (not rejections).",
        render_table_16_1(rejections, runs),
        "## Table 16.2: better deals when one side switches approach (18 rows)",
        "Share of paired runs (same scenario seed, session, preferences, run) ending in a deal both times "
        "where the switching side got a strictly better price; [pairs] is the denominator.",
        render_table_16_2(better),
        "## Where ours differ",
        "; ".join(f"{name}: {off} of {n} cells more than 25 points from the paper's"
                  for name, (off, n) in differences.items()) + ". "
        "The paper does not give its preferred prices, standard price, five preference combinations, "
        "utility numbers or the opponent network's tables; ours are documented in `leagues/ihelp.yaml`, "
        "`tourney/worlds/ihelp.py` and `players/ihelp/`.",
        "## Scores (not in the paper)",
        "Mean score (utility of the deal: 1 at the user's ideal price, 0 at its limit or with no deal) "
        "and agreement rate per role and approach, over all opponents and preference combinations.",
        render_scores(scores),
    ]
    if plots:
        parts.append("Plots: " + ", ".join(plots))
    return "\n\n".join(parts) + "\n"


def _rounds(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:g}"


def render_lengths(lengths: pd.DataFrame) -> str:
    lines = ["| configuration | " + " | ".join(f"median rounds {s}" for s in SESSIONS) + " |",
             "|---|" + "---|" * len(SESSIONS)]
    for row in lengths.to_dict("records"):
        label = "all" if row["seller"] == "all" else f"S:{row['seller']}, B:{row['buyer']}"
        lines.append(f"| {label} | " + " | ".join(_rounds(row[s]) for s in SESSIONS) + " |")
    return "\n".join(lines)
