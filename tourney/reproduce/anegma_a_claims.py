"""ANEGMA Hypothesis A (section 5.2.1) judged over matches with confidence intervals.

The replication is one match: one setting (MD, MR, ZoA, t_end), one seller
tactic, one repetition, its S% over the match's simulations. The design is
balanced (every setting x tactic x repetition), so a marginal S% is the mean
of its matches' S% and its 95 % t interval comes from them
(``claims.mean_interval``). Claims are judged by ``claims.judge``:

- "when MD is low, the agents reach more negotiation agreements": S% at MD L
  > A and A > H, paired by the other factors, tactic and repetition;
- "the very low number of successful negotiations for 10 % ZoA": S% at ZoA
  100 > 10 (paired), and S% at ZoA 10 below 25 (one sample);
- "not much difference in the agreement rate for 60 % and 100 % ZoA when MD is
  low": at MD L, S%(100) - S%(60) within +-5 points (equivalence: the 95 %
  interval inside the margin holds, wholly outside fails);
- "MR and t_end have a comparably minor impact": the effect of MD (and of
  ZoA) is larger than that of MR (and of t_end), where a factor's effect in a
  block (tactic, repetition and the two factors not compared fixed) is the
  range over its levels of the block's S% averaged over the other factor;
  paired over blocks.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any, Iterable

from tourney.reproduce.claims import Claim, Verdict, equivalence_verdict, judge, mean_interval

FACTORS = ("md", "mr", "zoa", "t_end")
LEVELS: dict[str, list[Any]] = {"md": ["L", "A", "H"], "mr": ["L", "A", "H"], "zoa": [100, 60, 10],
                                "t_end": ["Sh", "A", "Lg"]}
EQUIVALENCE = 5.0  # S% points: the tolerance of the market's calibration, fixed before these runs


def rows_of(matches: Iterable[tuple[str, str, dict, int, list[dict]]]) -> list[dict]:
    """(group, tactic, setting, rep, simulations) per match -> one row with the match's S%."""
    rows = []
    for group, tactic, setting, rep, episodes in matches:
        if not episodes:
            continue
        rows.append({"group": group, "tactic": tactic, "rep": rep, **{f: setting[f] for f in FACTORS},
                     "s": 100.0 * sum(e["success"] for e in episodes) / len(episodes)})
    return rows


def marginal(rows: list[dict], group: str, factor: str, **fixed: Any) -> dict[Any, tuple[float, float, float, int]]:
    """Level -> (mean S%, CI low, CI high, matches) of ``factor`` in ``group`` (other factors pooled)."""
    out = {}
    for level in LEVELS[factor]:
        xs = [r["s"] for r in rows if r["group"] == group and r[factor] == level
              and all(r[k] == v for k, v in fixed.items())]
        out[level] = (*mean_interval(xs), len(xs))
    return out


def _paired(rows: list[dict], group: str, factor: str, a: Any, b: Any, **fixed: Any) -> tuple[list, list]:
    """S% at level ``a`` and at ``b`` of ``factor``, paired by everything else."""
    by: dict[tuple, dict[Any, float]] = defaultdict(dict)
    for r in rows:
        if r["group"] != group or any(r[k] != v for k, v in fixed.items()):
            continue
        key = (r["tactic"], r["rep"], *(r[f] for f in FACTORS if f != factor))
        by[key][r[factor]] = r["s"]
    pairs = [(v[a], v[b]) for v in by.values() if a in v and b in v]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _effects(rows: list[dict], group: str, big: str, small: str) -> tuple[list, list]:
    """Per block, the effect (range of block-mean S% over levels) of ``big`` and of ``small``."""
    blocks: dict[tuple, list[dict]] = defaultdict(list)
    rest = [f for f in FACTORS if f not in (big, small)]
    for r in rows:
        if r["group"] == group:
            blocks[(r["tactic"], r["rep"], *(r[f] for f in rest))].append(r)
    eff_big, eff_small = [], []
    for block in blocks.values():
        means = []
        for factor in (big, small):
            per = [statistics.fmean(r["s"] for r in block if r[factor] == level)
                   for level in LEVELS[factor] if any(r[factor] == level for r in block)]
            means.append(max(per) - min(per) if len(per) == len(LEVELS[factor]) else None)
        if None not in means:
            eff_big.append(means[0])
            eff_small.append(means[1])
    return eff_big, eff_small


def _equivalent(claim: Claim, a: list, b: list, margin: float) -> Verdict:
    plain = judge(claim, a, b, paired=True)
    verdict = equivalence_verdict(plain.low, plain.high, margin)
    return Verdict(plain.claim, plain.difference, plain.low, plain.high, plain.n, verdict, plain.level, plain.method)


def check(rows: list[dict], group: str) -> list[Verdict]:
    src = "5.2.1, Figures 2-3"
    md_text = "when MD is low, the agents reach more negotiation agreements"
    zoa_text = "the very low number of successful negotiations for 10% ZoA"
    out = []
    for a, b in (("L", "A"), ("A", "H")):
        c = Claim(f"{group}: md {a}>{b}", md_text, src, f"S% at MD {a} minus MD {b}, per match pair", ">", "match")
        out.append(judge(c, *_paired(rows, group, "md", a, b)))
    c = Claim(f"{group}: zoa 100>10", zoa_text, src, "S% at ZoA 100 % minus ZoA 10 %, per match pair", ">", "match")
    out.append(judge(c, *_paired(rows, group, "zoa", 100, 10)))
    low = [r["s"] - 25.0 for r in rows if r["group"] == group and r["zoa"] == 10]
    out.append(judge(Claim(f"{group}: zoa 10 < 25 %", zoa_text, src, "S% at ZoA 10 % minus 25", "<", "match"), low))
    c = Claim(f"{group}: zoa 60~100 at md L", "not much difference in the agreement rate for 60% ZoA and "
              "100% ZoA when MD is low", src, f"S% at ZoA 100 % minus 60 % at MD L, within +-{EQUIVALENCE:g}",
              ">", "match")
    out.append(_equivalent(c, *_paired(rows, group, "zoa", 100, 60, md="L"), EQUIVALENCE))
    for big in ("md", "zoa"):
        for small in ("mr", "t_end"):
            c = Claim(f"{group}: effect {big}>{small}", "MR and t_end have ... a comparably minor impact on the "
                      "negotiation success", src, f"range of S% over {big} minus over {small}, per block", ">",
                      "match")
            out.append(judge(c, *_effects(rows, group, big, small)))
    return out
