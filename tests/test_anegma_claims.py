"""Hypothesis A's claims judged over matches (tourney.reproduce.anegma_a_claims), on made-up matches."""

import itertools

import numpy as np

from tourney.reproduce.anegma_a_claims import LEVELS, check, marginal, rows_of

MD_S = {"L": 90.0, "A": 70.0, "H": 50.0}
ZOA_S = {100: 0.0, 60: 0.0, 10: -30.0}


def _matches(md_s, zoa_s, mr_effect=0.0, reps=3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for tactic, rep, md, mr, zoa, t_end in itertools.product(
            ("conceder", "linear"), range(reps), *(LEVELS[f] for f in ("md", "mr", "zoa", "t_end"))):
        s = md_s[md] + zoa_s[zoa] + mr_effect * LEVELS["mr"].index(mr) + rng.normal(0, 3)
        wins = int(round(min(max(s, 0.0), 100.0) / 5))  # 20 simulations per match
        eps = [{"success": i < wins} for i in range(20)]
        out.append(("time-dependent", tactic, {"md": md, "mr": mr, "zoa": zoa, "t_end": t_end}, rep, eps))
    return rows_of(out)


def test_the_papers_pattern_holds_and_its_opposite_fails():
    rows = _matches(MD_S, ZOA_S)
    verdicts = {v.claim.id.split(": ")[1]: v for v in check(rows, "time-dependent")}
    assert len(verdicts) == 9
    for cid in ("md L>A", "md A>H", "zoa 100>10", "zoa 60~100 at md L", "effect md>mr", "effect md>t_end",
                "effect zoa>mr", "effect zoa>t_end"):
        assert verdicts[cid].verdict == "holds", (cid, verdicts[cid])
    assert verdicts["zoa 10 < 25 %"].verdict == "fails"  # 70 - 30 on average is not "very low"
    reversed_md = _matches({"L": 50.0, "A": 70.0, "H": 90.0}, ZOA_S, mr_effect=30.0)
    verdicts = {v.claim.id.split(": ")[1]: v for v in check(reversed_md, "time-dependent")}
    assert verdicts["md L>A"].verdict == "fails" and verdicts["md A>H"].verdict == "fails"
    assert verdicts["effect md>mr"].verdict == "fails"  # MR's effect (60 points) beats MD's (40)


def test_marginal_is_the_pooled_share_with_an_interval():
    rows = _matches(MD_S, ZOA_S)
    m = marginal(rows, "time-dependent", "md")
    pooled_l = np.mean([r["s"] for r in rows if r["md"] == "L"])
    mean, low, high, n = m["L"]
    assert mean == pooled_l and low < mean < high and n == 2 * 3 * 27
    assert m["L"][0] > m["A"][0] > m["H"][0]
