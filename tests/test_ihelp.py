"""I-Help world, approaches 1-3 and the Tables 16.1-16.2 reproduction."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import match_record
from negmas.sao import ResponseType

from players.base import PriceNegotiator
from players.ihelp import Approach1, Approach2, Approach3
from players.ihelp.decision import UNIFORM, DecisionDiagram, UserUtility, meeting_point, utility_table
from players.ihelp.opponent import LIMIT_GRID, OpponentModel, answer_table, limit_prior, opening_likelihood
from players.ihelp.steps import delta, next_offer, opening_offer
from tourney.errors import PlayerFault
from tourney.reproduce.ihelp import better_deal_table, rejection_table, runs_frame
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.bilateral import BilateralWorld
from tourney.worlds.ihelp import IHelpWorld, UserPreferences, check_offers, standard_price

VERY_URGENT_LOW = UserPreferences("very urgent", "low", "seeking")


def seat(role, cls, **params):
    return Seat(role, cls.__name__, cls.__name__, cls, params)


# --- Delta formulas and monotonicity ---
def test_seller_delta_is_sqrt_or_log_of_min_price_when_very_urgent():
    seeking = UserPreferences("very urgent", "low", "seeking")
    averse = UserPreferences("very urgent", "low", "averse")
    assert delta("seller", seeking, 30.0, 12.0, 9.0) == pytest.approx(3.0)
    assert delta("seller", averse, 30.0, 12.0, 9.0) == pytest.approx(math.log(9.0))


def test_buyer_delta_is_the_exponential_share_of_the_room_left():
    # (max_price - x) * (1 - exp(-x / R)) with x = 10, R = 20, max 30
    assert delta("buyer", VERY_URGENT_LOW, 10.0, 20.0, 30.0) == pytest.approx(20 * (1 - math.exp(-0.5)))
    assert delta("buyer", VERY_URGENT_LOW, 30.0, 20.0, 30.0) == 0.0  # nothing left at the limit


def test_delta_scales_with_urgency_and_money_importance():
    base = delta("seller", UserPreferences("very urgent", "low", "seeking"), 0, 0, 16.0)
    assert delta("seller", UserPreferences("urgent", "low", "seeking"), 0, 0, 16.0) == pytest.approx(base / 2)
    assert delta("seller", UserPreferences("not urgent", "high", "seeking"), 0, 0, 16.0) == pytest.approx(base / 8)


def test_opening_follows_the_standard_price_rule():
    prefs = UserPreferences("very urgent", "low", "averse")
    # buyer: max 30 > std 18 -> std - Delta(x = std)
    assert opening_offer("buyer", prefs, 18.0, 20.0, 30.0) == pytest.approx(18 - 12 * (1 - math.exp(-0.9)))
    # buyer: max 15 < std 18 -> max - Delta(x = max) = 15 - 0
    assert opening_offer("buyer", prefs, 18.0, 14.0, 15.0) == pytest.approx(15.0)
    # seller: min 9 < std 18 -> std + log(9); min 20 > std -> 20 + log(20)
    assert opening_offer("seller", prefs, 18.0, 12.0, 9.0) == pytest.approx(18 + math.log(9))
    assert opening_offer("seller", prefs, 18.0, 22.0, 20.0) == pytest.approx(20 + math.log(20))


def test_next_offer_is_monotone_and_stops_at_the_limit():
    assert next_offer("buyer", 10.0, 3.0, 12.0) == 12.0
    assert next_offer("buyer", 10.0, -3.0, 12.0) == 10.0
    assert next_offer("seller", 20.0, 3.0, 18.5) == 18.5
    assert next_offer("seller", 20.0, -3.0, 18.5) == 20.0


@pytest.mark.parametrize("offers, role", [
    ([(0, "buyer", 10.0), (0, "seller", 20.0), (1, "buyer", 9.5)], "buyer"),   # lowered its bid
    ([(0, "buyer", 10.0), (0, "seller", 20.0), (1, "buyer", 10.0), (1, "seller", 20.5)], "seller"),  # raised its ask
    ([(0, "buyer", 25.0)], "buyer"),   # above its maximum price
    ([(0, "buyer", 10.0), (0, "seller", 7.0)], "seller"),  # below its minimum price
])
def test_protocol_breaches_are_blamed(offers, role):
    with pytest.raises(PlayerFault) as err:
        check_offers(offers, {"buyer": 24.0, "seller": 8.0}, 60.0)
    assert err.value.role == role


def test_repeating_an_offer_is_allowed():
    check_offers([(0, "buyer", 10.0), (0, "seller", 20.0), (1, "buyer", 10.0), (1, "seller", 20.0)],
                 {"buyer": 24.0, "seller": 8.0}, 60.0)


class RaisingSeller(PriceNegotiator):
    """Asks its limit, then raises its ask: a breach the world must catch."""

    def propose(self, state, dest=None):
        return (self.rp + 1.0 + state.step,)

    def respond(self, state, source=None):
        return ResponseType.REJECT_OFFER


class Stubborn(PriceNegotiator):
    """Repeats its ideal price and never accepts."""

    def propose(self, state, dest=None):
        return (self.ip,)

    def respond(self, state, source=None):
        return ResponseType.REJECT_OFFER


def test_world_blames_a_seller_that_raises_its_ask():
    world = IHelpWorld(runs=1, n_steps=5)
    seats = {"buyer": seat("buyer", Stubborn), "seller": seat("seller", RaisingSeller)}
    with pytest.raises(PlayerFault) as err:
        world.play(seats, 3, MatchContext(3))
    assert err.value.role == "seller"


class Quitter(PriceNegotiator):
    def propose(self, state, dest=None):
        return (self.rp,)

    def respond(self, state, source=None):
        return ResponseType.END_NEGOTIATION


def test_rejection_is_attributed_to_the_side_that_ended_it():
    world = IHelpWorld(runs=2, n_steps=5)
    result = world.play({"buyer": seat("buyer", Approach1), "seller": seat("seller", Quitter)}, 1, MatchContext(1))
    assert [r["rejected_by"] for r in result.details["runs"]] == ["seller", "seller"]
    assert result.roles["seller"]["rejected"] == 1.0 and result.roles["buyer"]["rejected"] == 0.0


# --- the world ---
def test_standard_price_rises_with_difficulty_and_falls_with_helpers_online():
    assert standard_price(3, 4) == pytest.approx(4.0 * 3 * 1.5)
    assert standard_price(4, 4) > standard_price(3, 4) > standard_price(3, 8)


def test_sessions_set_the_overlap_of_preferred_prices():
    for session, overlaps in (("S1", True), ("S2", True), ("S3", False)):
        sc = IHelpWorld(session=session).scenario(0)
        assert (sc.preferred["buyer"] > sc.preferred["seller"]) is overlaps
        assert sc.limit["buyer"] > sc.preferred["buyer"] and sc.limit["seller"] < sc.preferred["seller"]
    s1, s2 = IHelpWorld(session="S1").scenario(0), IHelpWorld(session="S2").scenario(0)
    assert s1.preferred["buyer"] - s1.preferred["seller"] > s2.preferred["buyer"] - s2.preferred["seller"]


def test_runs_are_paired_across_assignments_and_deterministic():
    world = IHelpWorld(session="S2", preferences=3, runs=4)
    a = world.play({"buyer": seat("buyer", Approach1), "seller": seat("seller", Approach2)}, 1, MatchContext(1))
    b = world.play({"buyer": seat("buyer", Approach3), "seller": seat("seller", Approach2)}, 99, MatchContext(99))
    c = world.play({"buyer": seat("buyer", Approach1), "seller": seat("seller", Approach2)}, 1, MatchContext(1))
    assert [r["std_price"] for r in a.details["runs"]] == [r["std_price"] for r in b.details["runs"]]
    assert [r["limit"] for r in a.details["runs"]] == [r["limit"] for r in b.details["runs"]]
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in a.details["runs"]] == \
        [{k: v for k, v in r.items() if k != "seconds"} for r in c.details["runs"]]


def test_limits_are_whole_units_so_integer_pricing_players_keep_to_them():
    from players.faratin import TimeDependent

    sc = IHelpWorld(session="S3").scenario(2)
    assert all(float(v).is_integer() for v in [*sc.limit.values(), *sc.ideal.values()])
    exact = IHelpWorld(session="S3", price_step=0.0).scenario(2)
    assert not float(exact.limit["seller"]).is_integer()
    world = IHelpWorld(session="S3", runs=5)
    seats = {"buyer": seat("buyer", TimeDependent), "seller": seat("seller", TimeDependent, beta=0.5)}
    result = world.play(seats, 4, MatchContext(4))  # Faratin rounds its offers to integers: no fault
    assert result.roles["buyer"]["agreement"] > 0


def test_bad_world_params_are_rejected():
    with pytest.raises(ValueError, match="session"):
        IHelpWorld.validate({"session": "S4"})
    with pytest.raises(ValueError, match="preferences"):
        IHelpWorld.validate({"preferences": 6})


@pytest.mark.parametrize("session", ["S1", "S3"])
def test_two_approach_1_agents_meet_half_way_between_their_openings(session):
    # Fair trade (section 4.1): each opens at its ideal price and moves by the same fixed amount.
    world = IHelpWorld(session=session, runs=3, n_steps=20, trace=True, limit_slack=0.5)
    one = lambda role: seat(role, Approach1, n_concessions=8)  # noqa: E731
    result = world.play({"buyer": one("buyer"), "seller": one("seller")}, 1, MatchContext(1))
    for index, run in enumerate(result.details["runs"]):
        sc = world.scenario(index)
        assert run["outcome"] == "agreement"
        (_, first, opening_b), (_, second, opening_s) = run["offers"][:2]
        assert (first, second) == ("buyer", "seller")
        assert (opening_b, opening_s) == pytest.approx((sc.ideal["buyer"], sc.ideal["seller"]), abs=1e-5)
        assert run["price"] == pytest.approx((opening_b + opening_s) / 2, abs=1e-3)
        assert run["rounds"] >= 4  # four offers each: n_concessions / 2


@pytest.mark.parametrize("cls", [Approach1, Approach2, Approach3])
def test_approaches_play_bilateral_in_both_roles(cls):
    from players.faratin import TimeDependent

    world = BilateralWorld(n_steps=40, episodes=3)
    for seats in ({"buyer": seat("buyer", cls), "seller": seat("seller", TimeDependent)},
                  {"buyer": seat("buyer", TimeDependent), "seller": seat("seller", cls)}):
        result = world.play(seats, 5, MatchContext(5))
        assert result.roles["buyer"]["agreement"] > 0
        for role in ("buyer", "seller"):
            assert -1e-9 <= result.roles[role]["utility"] <= 1.0 + 1e-9


# --- the influence diagram ---
def test_influence_diagram_expected_utilities_by_hand():
    table = {
        "accept": {"accept": 0.6, "reject": 0.6, "counter": 0.6},
        "reject": {"accept": 0.2, "reject": 0.2, "counter": 0.2},
        "counter": {"accept": 0.9, "reject": 0.1, "counter": 0.5},
    }
    diagram = DecisionDiagram()
    action, eu = diagram.decide(table, UNIFORM)
    assert eu == pytest.approx({"accept": 0.6, "reject": 0.2, "counter": 0.5})
    assert action == "accept"
    action, eu = diagram.decide(table, {"accept": 0.5, "reject": 0.1, "counter": 0.4})
    assert eu["counter"] == pytest.approx(0.5 * 0.9 + 0.1 * 0.1 + 0.4 * 0.5)
    assert action == "counter"


def test_utility_table_from_the_user_model():
    user = UserUtility("buyer", ideal=10.0, limit=30.0, prefs=UserPreferences("urgent", "medium", "averse"),
                       std_price=20.0)
    # w = 0.5, e = 0.5, cost = 0.005 + 0.015 * 0.5 = 0.0125
    assert user.deal(20.0) == pytest.approx(0.5 * math.sqrt(0.5) + 0.5)
    assert user.deal(31.0) == -1.0
    assert user.no_deal() == pytest.approx(0.5 * user.deal(20.0))  # the next helper at the standard price
    poor = UserUtility("buyer", ideal=10.0, limit=15.0, prefs=user.prefs, std_price=20.0)
    assert poor.no_deal() == pytest.approx(0.5 * 0.5)  # standard price past its limit: no money part
    # Offers 25 (seller) and 15 (our counter) close at 1 + 1 per round: they meet at 20 after 5 rounds.
    meeting = meeting_point(offer=25.0, counter=15.0, my_rate=1.0, their_rate=1.0)
    assert meeting == pytest.approx((20.0, 5.0))
    table = utility_table(user, offer=25.0, counter=15.0, meeting=meeting, rounds_left=10)
    assert table["counter"]["accept"] == pytest.approx(user.deal(15.0) - 0.0125)
    assert table["counter"]["reject"] == pytest.approx(user.no_deal() - 0.0125)
    assert table["counter"]["counter"] == pytest.approx(user.deal(20.0) - 6 * 0.0125)
    assert table["accept"]["reject"] == pytest.approx(user.deal(25.0))
    # Too few rounds left to meet, or a seller that does not move and we at our limit: no deal, one round later.
    late = utility_table(user, offer=25.0, counter=15.0, meeting=meeting, rounds_left=4)
    assert late["counter"]["counter"] == pytest.approx(user.no_deal() - 0.0125)
    assert meeting_point(offer=25.0, counter=15.0, my_rate=0.0, their_rate=0.0) is None
    # A seller that stops at 22 leaves us to cover the rest: 22 after 7 rounds; if we stop at 17, never.
    assert meeting_point(25.0, 15.0, 1.0, 1.0, my_limit=30.0, their_limit=22.0) == pytest.approx((22.0, 7.0))
    assert meeting_point(25.0, 15.0, 1.0, 1.0, my_limit=17.0, their_limit=22.0) is None
    # We stop at 18: the seller covers the rest, 18 after 7 rounds.
    assert meeting_point(25.0, 15.0, 1.0, 1.0, my_limit=18.0) == pytest.approx((18.0, 7.0))
    # Our room short of the gap by a rounding error and a seller that stands still: no division by zero.
    assert meeting_point(25.0, 15.0, 1.0, 0.0, my_limit=25.0 - 1e-13) == pytest.approx((25.0, 10.0))
    seeking = UserUtility("seller", ideal=30.0, limit=10.0, prefs=UserPreferences("urgent", "medium", "seeking"))
    assert seeking.deal(20.0) == pytest.approx(0.5 * 0.25 + 0.5)  # convex: g^2


# --- the Bayesian opponent model ---
def _posterior_by_hand(prior_limit, tables_and_answers, opening=1.0):
    joint = np.ones((3, 3, 2, len(LIMIT_GRID))) / 18.0 * prior_limit * opening
    for table, answer in tables_and_answers:
        joint = joint * table[..., answer]
    return joint / joint.sum()


def test_opponent_model_prior_comes_from_the_first_offer():
    prior = limit_prior("seller", 20.0, 21.0)  # a seller's limit lies at or below its first ask
    allowed = [k * 20.0 <= 21.0 for k in LIMIT_GRID]
    assert np.allclose(prior, np.array(allowed) / sum(allowed))
    # A very urgent, money-careless, risk-seeking seller with limit 16 opens at 20 + sqrt(16) = 24:
    # that opening makes such a type far likelier than a not-urgent, money-minded one.
    likelihood = opening_likelihood("seller", 20.0, 24.0)
    il = LIMIT_GRID.index(0.8)
    assert likelihood[2, 0, 1, il] == pytest.approx(1.0)
    assert likelihood[0, 2, 1, il] < 1e-3
    model = OpponentModel("seller", 20.0, 24.0)
    assert model.posterior("urgency")["very urgent"] > 0.5


def test_bayes_update_only_on_mispredicted_moves():
    model = OpponentModel("seller", 20.0, 25.0)
    first = model.predict(counter=18.0, last_offer=25.0)
    assert max(first, key=first.get) == "counter"
    assert model.observe("counter") is False  # as predicted: no update
    assert model.evidence_ == []
    # A counter most types would accept: predicted accept, but it counters.
    probs = model.predict(counter=24.5, last_offer=25.0)
    assert max(probs, key=probs.get) == "accept"
    table_1 = answer_table("seller", 20.0, 24.5, 25.0)
    assert model.observe("counter") is True
    probs = model.predict(counter=22.0, last_offer=24.8)
    table_2 = answer_table("seller", 20.0, 22.0, 24.8)
    predicted = max(probs, key=probs.get)
    assert model.observe("reject") is (predicted != "reject")
    opening = opening_likelihood("seller", 20.0, 25.0)
    expected = _posterior_by_hand(limit_prior("seller", 20.0, 25.0), [(table_1, 2), (table_2, 1)], opening)
    limits = model.posterior("limit")
    assert list(limits.values()) == pytest.approx(list(expected.sum(axis=(0, 1, 2))), abs=1e-9)
    # Its countering 24.5 (which a low-limit type would take) moves belief toward higher limits.
    before = _posterior_by_hand(limit_prior("seller", 20.0, 25.0), [], opening).sum(axis=(0, 1, 2))
    after_first = _posterior_by_hand(limit_prior("seller", 20.0, 25.0), [(table_1, 2)], opening).sum(axis=(0, 1, 2))
    assert np.dot(after_first, LIMIT_GRID) > np.dot(before, LIMIT_GRID)


def test_bayes_prediction_marginalises_the_hidden_nodes():
    model = OpponentModel("buyer", 20.0, 12.0)
    probs = model.predict(counter=15.0, last_offer=12.0)
    table = answer_table("buyer", 20.0, 15.0, 12.0)
    joint = _posterior_by_hand(limit_prior("buyer", 20.0, 12.0), [], opening_likelihood("buyer", 20.0, 12.0))
    by_hand = (joint[..., None] * table).sum(axis=(0, 1, 2, 3))
    assert list(probs.values()) == pytest.approx(list(by_hand), abs=1e-9)


# --- Tables 16.1 and 16.2 from a synthetic match log ---
def _record(buyer, seller, session, runs, preferences=1):
    return match_record({
        "world": "ihelp", "world_type": "ihelp", "status": "ok", "rep": 0,
        "assignment": {"buyer": buyer, "seller": seller},
        "setting": {"session": session, "preferences": preferences},
        "details": {"runs": [
            {"outcome": o, "rejected_by": by, "price": p} for o, by, p in runs
        ]},
    })


def test_tables_from_a_synthetic_match_log():
    deal = lambda p: ("agreement", None, p)  # noqa: E731
    rej = lambda by: ("rejected", by, None)  # noqa: E731
    records = [
        _record("A1", "A1", "S1", [deal(10), deal(12), deal(14), deal(16)]),
        _record("A1", "A1", "S3", [deal(10), deal(12), rej("buyer"), ("deadline", None, None)]),
        _record("A3", "A1", "S1", [deal(9), deal(12), deal(15), rej("buyer")]),
        _record("A3", "A1", "S3", [rej("seller"), rej("buyer"), rej("buyer"), deal(8)]),
        _record("A2", "A1", "S1", [deal(9), deal(12), deal(15), deal(16)], preferences=2),  # other cell
        match_record({"world": "bilateral", "status": "ok", "assignment": {"buyer": "A1", "seller": "A1"}}),
    ]
    runs = runs_frame(records, {"A1": 1, "A2": 2, "A3": 3})
    assert len(runs) == 20
    table = rejection_table(runs).set_index(["seller", "buyer"])
    one = table.loc[(1, 1)]
    assert one["runs"] == 8 and one["total"] == pytest.approx(12.5) and one["deadline"] == pytest.approx(12.5)
    assert one["buyer_S3"] == 100.0 and one["seller_S3"] == 0.0 and pd.isna(one["buyer_S1"])
    three = table.loc[(1, 3)]
    assert three["total"] == pytest.approx(50.0)
    assert three["buyer_S1"] == 100.0
    assert three["buyer_S3"] == pytest.approx(200 / 3) and three["seller_S3"] == pytest.approx(100 / 3)
    better = better_deal_table(runs).set_index(["side", "from", "to", "other"])
    row = better.loc[("buyer", 1, 3, 1)]
    # S1: runs 0-2 are deals both times, only run 0 got cheaper (10 -> 9); S3: no run is a deal both times.
    assert row["pairs_S1"] == 3 and row["better_S1"] == pytest.approx(100 / 3)
    assert row["pairs_S3"] == 0 and pd.isna(row["better_S3"])
    assert better.loc[("buyer", 1, 2, 1)]["pairs_S1"] == 0  # approach 2 played other preferences only


# --- end to end: league -> match log -> reproduction ---
def test_league_run_and_reproduction_end_to_end(tmp_path):
    from conftest import run_cli, write_league

    league = write_league(
        tmp_path / "ihelp.yaml", name="ihelp-e2e",
        worlds=[{"type": "ihelp", "params": {"runs": 2, "n_steps": 12},
                 "settings": {"session": ["S1", "S3"], "preferences": [4]}}],
        players=[{"name": "A1", "type": "ihelp-1"}, {"name": "A2", "type": "ihelp-2"},
                 {"name": "A3", "type": "players.ihelp.Approach3"}],
        format={"self_play": True, "both_roles": True, "timeout": 60},
    )
    out = tmp_path / "run"
    run_cli("run", str(league), "--out", str(out), "-j", "1", "--quiet", check=True)
    run_cli("reproduce", "ihelp", str(out), check=True)
    assert "Setting checks on calibration" not in (out / "reproduction.md").read_text()  # none run yet
    row = {"variant": "the league: zone valuation, Delta x 0.25", "params": {},
           "median_rounds": {"S1": 4.0, "S2": 5.0, "S3": 6.5}, "median_rounds_approaches_2_3": {"S1": 4.0, "S2": 3.5,
                                                                                                "S3": 5.0},
           "identical_2_to_3": 59.0, "pairs_2_to_3": 417, "deadline": 0.3,
           "targets": {"median rounds": True, "identical prices": False}}
    (out / "setting.json").write_text(json.dumps({"elapsed_s": 1.0, "seeds": [100], "rows": [row]}))
    proc = run_cli("reproduce", "ihelp", str(out), check=True)
    text = (out / "reproduction.md").read_text() if (out / "reproduction.md").exists() else proc.stdout
    assert "Table 16.1" in text and "Table 16.2" in text
    assert "| S:3, B:3 | 4 |" in text  # 2 sessions x 1 preference combination x 2 runs
    assert (out / "plots" / "ihelp_rejections.png").exists()
    assert "calibration scenario seeds 100 that the league does not use" in text
    assert "| the league: zone valuation, Delta x 0.25 | 4 / 5 / 6.5 | 4 / 3.5 / 5 | 59 % of 417 | 0.3 | met, not met |" \
        in text
    assert "Between Approaches 2-3 only" in text


@pytest.mark.slow
def test_full_reproduction_league(tmp_path):
    """`make reproduce-ihelp` in miniature: the real league, every cell, 20 scenario seeds."""
    from conftest import ROOT, run_cli

    out = tmp_path / "ihelp"
    run_cli("run", str(ROOT / "leagues" / "ihelp.yaml"), "--out", str(out), "-j", "2", "--quiet", check=True,
            timeout=1200)
    run_cli("reproduce", "ihelp", str(out), check=True)
    text = (out / "reproduction.md").read_text()
    for config in PAPER_CONFIGS:
        assert f"| {config} | 300 |" in text  # 15 cells x 20 scenario seeds x 1 run
    assert sum(text.count(f"| **{v}** |") for v in ("holds", "fails", "not resolved")) == 9


PAPER_CONFIGS = [f"S:{s}, B:{b}" for s in (1, 2, 3) for b in (1, 2, 3)]
