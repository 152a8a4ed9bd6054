"""The claims of I-Help (Vassileva & Mudgal, ch. 16, sections 4.2-4.3), judged
over scenario seeds by the shared claim checker (``tourney.reproduce.claims``).

Each claim is the paper's words, a quantity computed once per scenario seed
from the match log (``tourney.reproduce.ihelp.runs_frame``) and the direction
the paper asserts; ``judge`` turns the per-seed values into a difference, its
95 % CI (Student's t over seeds) and holds / fails / not resolved.

How the words become quantities (our reading, fixed before any run):

- "better deals in most of the cases" / "usually" / "always": the share of
  paired deals (Table 16.2's pairs) in which the switching side got a strictly
  better price, minus 50 %: claimed > 0 (a tie is not a better deal, as in the
  paper's percentages).
- "Approach 1 is better": switching away from Approach 1 makes the deal worse
  more often than better: (% better - % worse) over the 1 -> rows, claimed < 0.
- Rejection claims count rejections as % of a seed's runs.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from tourney.reproduce.claims import Claim, Verdict, judge
from tourney.reproduce.ihelp import deal_pairs

CLAIMS: tuple[Claim, ...] = (
    Claim("rejections-rise",
          "increasing the \u201cintelligence\u201d of the negotiating parties leads to increase in the percentage "
          "of rejections in negotiation",
          "section 4.2, Table 16.1",
          "slope of a configuration's rejection % on its sophistication (seller + buyer approach), over the 9 "
          "configurations", ">"),
    Claim("rejections-in-s3",
          "most of the rejections happened in session 3, where there is no overlap between the preferred price "
          "intervals",
          "section 4.2, Table 16.1",
          "rejections in S3 minus rejections in S1 and S2, % of all runs", ">"),
    Claim("advanced-rejects",
          "the agent using the more advanced approach is usually the one that rejects",
          "section 4.2, Table 16.1",
          "in configurations with different approaches: rejections by the more advanced side minus by the less "
          "advanced side, % of those configurations' runs", ">"),
    Claim("approach3-better-s1-s2",
          "using the decision theoretic approach and modelling the opponent (Approach 3) brings better quality deals "
          "in most of the cases when there is a large preferred price overlap (session 1 and session 2)",
          "section 4.3, Table 16.2",
          "% of paired deals better for the side switching to Approach 3 (rows x -> 3, S1 and S2) minus 50", ">"),
    Claim("approach1-better-s3",
          "Approach 1 is only better when there is little or no scope for negotiation (session 3)",
          "section 4.3, Table 16.2",
          "S3, rows 1 -> x: % of paired deals better minus % worse for the side leaving Approach 1", "<"),
    Claim("approach1-not-better-s1-s2",
          "Approach 1 is only better when there is little or no scope for negotiation (session 3) [the \u201conly\u201d: "
          "not in S1, S2]",
          "section 4.3, Table 16.2",
          "S1 and S2, rows 1 -> x: % of paired deals better minus % worse for the side leaving Approach 1", ">"),
    Claim("seller-approach3-better",
          "the helper/seller gets always a better deal (the last three lines in the right side of the table)",
          "section 4.3, Table 16.2 rows S: 1->3",
          "% of paired deals better for the seller in rows S: 1 -> 3 (all sessions) minus 50", ">"),
    Claim("opener-disadvantaged",
          "The agent that starts the negotiation is in a disadvantaged position, since it reveals its starting "
          "price first.",
          "section 4.3, Table 16.2",
          "% of paired deals better for the switcher: seller's rows S: x -> 3 minus buyer's rows B: x -> 3 "
          "(all sessions)", ">"),
    Claim("opponent-model-pays",
          "a decision-theoretic approach to negotiation with modelling the opponent has proven to be quite "
          "advantageous",
          "section 6 (conclusions), Table 16.2 rows 2 -> 3",
          "% of paired deals better for the side switching from Approach 2 to 3 (all sessions) minus 50", ">"),
)
CLAIM_BY_ID = {c.id: c for c in CLAIMS}


def _share_better(pairs: pd.DataFrame) -> float | None:
    return 100.0 * (pairs["change"] > 0).sum() / len(pairs) if len(pairs) else None


def _net_better(pairs: pd.DataFrame) -> float | None:
    return 100.0 * pairs["change"].sum() / len(pairs) if len(pairs) else None


def _minus(x: float | None, y: float) -> float | None:
    return None if x is None else x - y


def _rejection_slope(runs: pd.DataFrame) -> float | None:
    rates = runs.groupby(["seller", "buyer"])["outcome"].apply(lambda o: 100.0 * (o == "rejected").mean())
    if len(rates) < 2:
        return None
    sophistication = np.array([s + b for s, b in rates.index], dtype=float)
    if np.ptp(sophistication) == 0:
        return None
    return float(np.polyfit(sophistication, rates.to_numpy(dtype=float), 1)[0])


def _rejections_in_s3(runs: pd.DataFrame) -> float | None:
    if not len(runs):
        return None
    rejected = runs["outcome"] == "rejected"
    s3 = (rejected & (runs["session"] == "S3")).sum()
    return 100.0 * (s3 - (rejected.sum() - s3)) / len(runs)


def _advanced_rejects(runs: pd.DataFrame) -> float | None:
    mixed = runs[runs["seller"] != runs["buyer"]]
    if not len(mixed):
        return None
    advanced = np.where(mixed["seller"] > mixed["buyer"], "seller", "buyer")
    by = mixed["rejected_by"].to_numpy()
    rejected = (mixed["outcome"] == "rejected").to_numpy()
    more = (rejected & (by == advanced)).sum()
    less = (rejected & (by != advanced)).sum()
    return 100.0 * (more - less) / len(mixed)


def _pairs_where(pairs: pd.DataFrame, *, side: str | None = None, old: int | None = None, new: int | None = None,
                 sessions: tuple[str, ...] | None = None) -> pd.DataFrame:
    mask = pd.Series(True, index=pairs.index)
    if side is not None:
        mask &= pairs["side"] == side
    if old is not None:
        mask &= pairs["from"] == old
    if new is not None:
        mask &= pairs["to"] == new
    if sessions is not None:
        mask &= pairs["session"].isin(sessions)
    return pairs[mask]


# claim id -> per-seed quantity a (and b, for a paired difference a - b), from (runs, pairs) of one seed
Quantity = Callable[[pd.DataFrame, pd.DataFrame], tuple[float | None, float | None]]
QUANTITIES: dict[str, Quantity] = {
    "rejections-rise": lambda runs, pairs: (_rejection_slope(runs), None),
    "rejections-in-s3": lambda runs, pairs: (_rejections_in_s3(runs), None),
    "advanced-rejects": lambda runs, pairs: (_advanced_rejects(runs), None),
    "approach3-better-s1-s2": lambda runs, pairs: (
        _minus(_share_better(_pairs_where(pairs, new=3, sessions=("S1", "S2"))), 50.0), None),
    "approach1-better-s3": lambda runs, pairs: (_net_better(_pairs_where(pairs, old=1, sessions=("S3",))), None),
    "approach1-not-better-s1-s2": lambda runs, pairs: (
        _net_better(_pairs_where(pairs, old=1, sessions=("S1", "S2"))), None),
    "seller-approach3-better": lambda runs, pairs: (
        _minus(_share_better(_pairs_where(pairs, side="seller", old=1, new=3)), 50.0), None),
    "opener-disadvantaged": lambda runs, pairs: (
        _share_better(_pairs_where(pairs, side="seller", new=3)),
        _share_better(_pairs_where(pairs, side="buyer", new=3))),
    "opponent-model-pays": lambda runs, pairs: (
        _minus(_share_better(_pairs_where(pairs, old=2, new=3)), 50.0), None),
}


def per_seed(runs: pd.DataFrame) -> dict[str, tuple[list, list | None]]:
    """claim id -> (a per seed, b per seed or None), seeds in ascending order."""
    pairs = deal_pairs(runs)
    seeds = sorted(runs["seed"].unique())
    out: dict[str, tuple[list, list | None]] = {}
    for claim in CLAIMS:
        a, b = [], []
        for seed in seeds:
            x, y = QUANTITIES[claim.id](runs[runs["seed"] == seed], pairs[pairs["seed"] == seed])
            a.append(x)
            b.append(y)
        out[claim.id] = (a, None if all(y is None for y in b) else b)
    return out


def judge_claims(runs: pd.DataFrame) -> list[Verdict]:
    """Every claim of the paper, judged over the run's scenario seeds."""
    values = per_seed(runs)
    return [judge(claim, *values[claim.id]) for claim in CLAIMS]
