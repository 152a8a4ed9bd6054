"""The I-Help claim checks can fail: synthetic match logs where every claim of
the paper is true (-> holds), false (-> fails) and unresolvable (-> not
resolved); all 18 rows of Table 16.2; the setting's median-rounds property."""

from __future__ import annotations

import itertools
import math

import pytest
from conftest import match_record

from tourney.records import MatchRecord
from tourney.reproduce.ihelp import PAPER_16_2, SESSIONS, better_deal_table, render_table_16_2, runs_frame
from tourney.reproduce.ihelp_claims import CLAIMS, judge_claims
from tourney.reproduce.ihelp_setting import identical_share, length_table, play_grid

APPROACHES = (1, 2, 3)
SEEDS = range(10)
PREFERENCES = range(1, 6)


def _price_shift(role: str, approach: int, session: str, truth: bool) -> float:
    """How much an approach moves the price in favour of its side (the claims' story when ``truth``).

    True story: in S1 and S2 every step up in sophistication buys a better deal;
    in S3 Approach 1 is better, except for a seller with Approach 3 (it is one
    step ahead), so the seller gains more from Approach 3 than the buyer. The
    false story is its mirror image.
    """
    if session in ("S1", "S2"):
        gain = approach - 1
    else:
        gain = 2 if (role == "seller" and approach == 3) else 1 - approach
    return gain if truth else -gain


def _rejector(seller: int, buyer: int, session: str, truth: bool) -> str | None:
    """True story: rejections only in S3, by the more advanced side, where sophistication is high."""
    if truth and session == "S3" and seller + buyer >= 5:
        return "seller" if seller > buyer else "buyer"
    if not truth and session == "S1" and seller + buyer <= 3:
        return "seller" if seller < buyer else "buyer"
    return None


def synthetic_log(truth_of_seed) -> list[MatchRecord]:
    """Match records of the ``ihelp`` world: one run per cell, prices and rejections by the story of each seed."""
    records = []
    for seed, seller, buyer, session, prefs in itertools.product(
            SEEDS, APPROACHES, APPROACHES, SESSIONS, PREFERENCES):
        truth = truth_of_seed(seed)
        rejector = _rejector(seller, buyer, session, truth) if prefs == 5 else None
        # A lower price is better for the buyer, a higher one for the seller.
        price = 100.0 - _price_shift("buyer", buyer, session, truth) + _price_shift("seller", seller, session, truth)
        run = ({"outcome": "rejected", "rejected_by": rejector, "price": None, "rounds": 3} if rejector
               else {"outcome": "agreement", "rejected_by": None, "price": price, "rounds": 6})
        records.append(match_record({
            "world": "ihelp", "world_type": "ihelp", "status": "ok", "rep": 0,
            "assignment": {"buyer": f"A{buyer}", "seller": f"A{seller}"},
            "setting": {"session": session, "preferences": prefs, "scenario_seed": seed},
            "details": {"runs": [run]},
        }))
    return records


def _verdicts(truth_of_seed) -> dict[str, str]:
    runs = runs_frame(synthetic_log(truth_of_seed), {"A1": 1, "A2": 2, "A3": 3})
    return {v.claim.id: v.verdict for v in judge_claims(runs)}


def test_every_claim_holds_on_a_log_where_it_is_true():
    assert _verdicts(lambda seed: True) == {c.id: "holds" for c in CLAIMS}


def test_every_claim_fails_on_a_log_where_it_is_false():
    assert _verdicts(lambda seed: False) == {c.id: "fails" for c in CLAIMS}


def test_every_claim_is_not_resolved_when_seeds_disagree():
    # Half the seeds tell the true story, half its mirror: no claim can be decided.
    assert _verdicts(lambda seed: seed % 2 == 0) == {c.id: "not resolved" for c in CLAIMS}


def test_claim_quantities_carry_the_numbers():
    runs = runs_frame(synthetic_log(lambda seed: True), {"A1": 1, "A2": 2, "A3": 3})
    verdicts = {v.claim.id: v for v in judge_claims(runs)}
    # S1, S2: every switch to Approach 3 is better -> 100 % - 50.
    assert verdicts["approach3-better-s1-s2"].difference == pytest.approx(50.0)
    # S3: leaving Approach 1 is worse in 3 of the 4 kinds of 1 -> rows, better in S: 1 -> 3.
    assert -100.0 < verdicts["approach1-better-s3"].difference < 0.0
    assert verdicts["rejections-in-s3"].n == len(SEEDS)


def test_table_16_2_has_all_18_rows_including_seller_1_to_3():
    assert len(PAPER_16_2) == 18
    assert {("seller", 1, 3, other) for other in APPROACHES} <= set(PAPER_16_2)
    runs = runs_frame(synthetic_log(lambda seed: True), {"A1": 1, "A2": 2, "A3": 3})
    table = better_deal_table(runs)
    assert len(table) == 18
    row = table.set_index(["side", "from", "to", "other"]).loc[("seller", 1, 3, 2)]
    assert row["better_S1"] == 100.0 and row["pairs_S1"] == 50  # 10 seeds x 5 preference combinations
    rendered = render_table_16_2(table)
    assert rendered.count("\n| S: 1->3, B:") == 3 and len(rendered.splitlines()) == 2 + 18


def test_identical_prices_in_the_2_to_3_rows():
    runs = runs_frame(synthetic_log(lambda seed: True), {"A1": 1, "A2": 2, "A3": 3})
    share, n = identical_share(runs)
    assert n > 0 and share == 0.0  # Approach 3 always moves the price in this log
    same = runs.assign(price=runs["price"].where(runs["price"].isna(), 100.0))
    assert identical_share(same)[0] == 100.0


def test_median_rounds_of_a_small_real_run():
    # One scenario seed, every configuration, session and preference combination, the league's world.
    runs = play_grid({"runs": 1, "limit_slack": 0.16}, {1: {"n_concessions": 8}}, seeds=(7,))
    assert len(runs) == 9 * 3 * 5
    lengths = length_table(runs).set_index(["seller", "buyer"])
    for session in SESSIONS:
        rounds = runs.loc[runs["session"] == session, "rounds"]
        assert lengths.loc[("all", "all"), session] == rounds.median()
        # Two Approach-1 agents meet half way after n_concessions / 2 = 4 offers each.
        assert lengths.loc[(1, 1), session] >= 4
    assert (runs["rounds"] >= 1).all() and runs["rounds"].max() <= 20


# --- the zone valuation (issue 21) and the setting checks ---
def test_zone_valuation_by_hand():
    from players.ihelp.decision import ZoneUtility, utility_table
    from tourney.worlds.ihelp import UserPreferences

    # A buyer who opened at 14, facing a seller who opened at 22; limit 25, standard price 18.
    prefs = UserPreferences("urgent", "medium", "averse")  # w = 0.5, e = 0.5
    user = ZoneUtility("buyer", ideal=8.0, limit=25.0, prefs=prefs, std_price=18.0, best=14.0, worst=22.0)
    assert user.gain(14.0) == 1.0 and user.gain(22.0) == 0.0 and user.gain(20.0) == pytest.approx(0.25)
    assert user.gain(10.0) == 1.0 and user.gain(24.0) == 0.0 and user.gain(25.5) is None  # clipped; past the limit
    assert user.deal(20.0) == pytest.approx(0.5 * 0.5 + 0.5)  # sqrt(0.25) = 0.5
    assert user.deal(26.0) == -1.0
    # The next helper at the standard price 18 (gain 0.5), the help half as good for waiting:
    assert user.no_deal() == pytest.approx(0.5 * math.sqrt(0.5) + 0.5 * 0.5)
    assert user.round_cost() == 0.0
    # Not flat near the openings: from the seller's opening to the buyer's counter 16 the deal value moves by
    # 0.5 * sqrt(0.75) = 0.433 (session 1's ideal-limit valuation: 0.5 * (sqrt(9/17) - sqrt(3/17)) = 0.154).
    assert user.deal(16.0) - user.deal(22.0) == pytest.approx(0.5 * math.sqrt(0.75))
    table = utility_table(user, offer=22.0, counter=16.0, meeting=(18.0, 2.0), rounds_left=10)
    assert table["accept"]["counter"] == pytest.approx(0.5)
    assert table["counter"]["counter"] == pytest.approx(max(user.deal(18.0), user.no_deal()))
    # A risk-seeking seller (convex), standard price past its limit: the outside option is its limit's money.
    seller = ZoneUtility("seller", ideal=30.0, limit=20.0, prefs=UserPreferences("not urgent", "high", "seeking"),
                         std_price=18.0, best=26.0, worst=16.0)
    assert seller.gain(21.0) == pytest.approx(0.5) and seller.deal(21.0) == pytest.approx(0.8 * 0.25 + 0.2)
    assert seller.gain(19.0) is None
    assert seller.no_deal() == pytest.approx(0.8 * 0.4 ** 2 + 0.2 * 0.8)


def test_setting_checks_fail_on_the_flat_model_and_pass_rounds_on_the_zone_model():
    from tourney.reproduce.ihelp_setting import decider_lengths, meets_targets

    world = {"runs": 1, "limit_slack": 0.16}
    one = {"n_concessions": 8}
    flat = play_grid(world, {1: one, 2: {"valuation": "ideal-limit"}, 3: {"valuation": "ideal-limit"}}, seeds=(100,))
    assert meets_targets(flat) == {"median rounds": False, "identical prices": False}
    assert decider_lengths(flat) == {"S1": 2.0, "S2": 2.0, "S3": 2.0}
    zone = {"valuation": "zone", "concession_scale": 0.25}
    league = play_grid(world, {1: one, 2: zone, 3: zone}, seeds=(100,))
    assert meets_targets(league)["median rounds"]
    assert all(v >= 3 for v in decider_lengths(league).values())


def test_whole_delta_steps_end_approaches_2_3_in_round_2_even_if_the_diagram_never_stops():
    # The measured argument: the paper's step crosses at the standard price after one concession each.
    from players.ihelp import Approach1, Approach2, Approach3
    from tourney.reproduce.ihelp_setting import _never_decides, decider_lengths, identical_share

    classes = {1: Approach1, 2: _never_decides(Approach2), 3: _never_decides(Approach3)}
    runs = play_grid({"runs": 1, "limit_slack": 0.16}, {1: {"n_concessions": 8}}, seeds=(100,), classes=classes)
    lengths = decider_lengths(runs)
    assert lengths["S1"] == 2.0 and lengths["S2"] == 2.0 and lengths["S3"] <= 3.0
    assert identical_share(runs)[0] == 100.0  # the same offers, nobody decides: the same prices
    assert (runs["outcome"] == "agreement").all()
