"""The INSIGHT bidding worlds: buyers, impatience, ties, metrics, optimum, faults, determinism."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run_cli, write_league
from tourney.errors import PlayerFault
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.bidding import (
    BiddingWorld,
    TwoSellerBiddingWorld,
    optimal_single_seller,
    sequence_profit,
    walk_probability,
)


class ConstantSeller:
    """Offers one price every turn and records how each buyer ended (a real
    seller of the bidding protocol, kept deliberately simple)."""

    played: list["ConstantSeller"] = []

    def __init__(self, price: int = 30) -> None:
        self.price = price
        self.turns_: list[int] = []
        self.profits_: list[float] = []
        ConstantSeller.played.append(self)

    def begin_match(self, low, high, unit_cost, rivals, episodes):
        self.market_ = (low, high, unit_cost, rivals, episodes)

    def begin_episode(self):
        self.turn_ = 0
        self.profit_ = 0.0

    def make_offer(self, rival_last):
        self.turn_ += 1
        return self.price

    def observe(self, rival_offer, profit, done):
        self.profit_ += profit
        if done:
            self.turns_.append(self.turn_)
            self.profits_.append(self.profit_)

    def end_match(self):
        pass


def seat(role: str, cls: type, **params) -> Seat:
    return Seat(role, cls.__name__, cls.__name__, cls, params)


def play_constant(price: int, episodes: int, seed: int = 1, **world):
    ConstantSeller.played.clear()
    result = BiddingWorld(episodes=episodes, **world).play(
        {"seller": seat("seller", ConstantSeller, price=price)}, seed, MatchContext(seed))
    return result, ConstantSeller.played[-1]


def test_walk_probability_grows_by_the_step_and_caps_at_one():
    assert [walk_probability(k, 0.1, 0.1) for k in range(1, 12)] == pytest.approx(
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0])
    assert walk_probability(5, 0.25, 0.0) == 0.25


def test_buyer_accepts_at_or_below_its_maximum_and_walks_away_with_growing_impatience():
    # Range 11-30, the seller always asks 30: only a buyer with maximum 30 buys
    # (probability 1/20), on the first turn. Every other buyer refuses until it
    # walks away: P(leaves after turn k) = w_k * prod_{j<k} (1 - w_j), w_k = 0.1 k.
    n = 20000
    result, seller = play_constant(30, n, seed=5)
    leave = [0.1, 0.9 * 0.2, 0.9 * 0.8 * 0.3, 0.9 * 0.8 * 0.7 * 0.4, 0.9 * 0.8 * 0.7 * 0.6 * 0.5]
    assert leave == pytest.approx([0.1, 0.18, 0.216, 0.2016, 0.1512])
    sold = [t for t, p in zip(seller.turns_, seller.profits_) if p > 0]
    refused = [t for t, p in zip(seller.turns_, seller.profits_) if p == 0]
    assert set(sold) == {1}
    assert result.roles["seller"]["sale_rate"] == pytest.approx(1 / 20, abs=4 * (0.05 * 0.95 / n) ** 0.5)
    assert result.roles["seller"]["profit"] == pytest.approx(20 * result.roles["seller"]["sale_rate"])
    m = len(refused)
    for k, p in enumerate(leave, start=1):
        freq = sum(t == k for t in refused) / m
        assert freq == pytest.approx(p, abs=4 * (p * (1 - p) / m) ** 0.5), k
    assert max(refused) <= 10  # impatience reaches 1 after the 10th refusal
    expected_turns = sum(k * p for k, p in enumerate(
        [0.1, 0.18, 0.216, 0.2016, 0.1512, 0.09072, 0.042336, 0.0145152, 0.00326592, 0.00036288], start=1))
    assert expected_turns == pytest.approx(3.66021, abs=1e-4)
    assert result.metrics["turns"] == pytest.approx(0.05 + 0.95 * expected_turns, abs=0.05)


def test_price_at_the_floor_always_sells_on_the_first_turn_for_a_profit_of_one():
    result, seller = play_constant(11, 500)
    assert result.roles["seller"]["sale_rate"] == 1.0
    assert result.roles["seller"]["profit"] == 1.0  # unit cost defaults to low - 1
    assert set(seller.turns_) == {1}
    result, _ = play_constant(11, 200, unit_cost=5.0)
    assert result.roles["seller"]["profit"] == 6.0


def test_patient_buyer_stays_until_the_turn_cap():
    result, seller = play_constant(30, 300, impatience=0.0, impatience_step=0.0, max_turns=7)
    assert set(seller.turns_) == {1, 7}


def test_two_sellers_lowest_acceptable_offer_wins_and_ties_split_at_random():
    n = 20000
    world = TwoSellerBiddingWorld(episodes=n)
    ConstantSeller.played.clear()
    r = world.play({"seller_a": seat("seller_a", ConstantSeller, price=25),
                    "seller_b": seat("seller_b", ConstantSeller, price=20)}, 2, MatchContext(2))
    assert r.roles["seller_a"]["sale_rate"] == 0.0
    assert r.roles["seller_b"]["sale_rate"] == pytest.approx(11 / 20, abs=0.015)  # maximum 20..30
    assert ConstantSeller.played[0].market_[3] == 1  # each knows it has one rival
    r = world.play({"seller_a": seat("seller_a", ConstantSeller, price=20),
                    "seller_b": seat("seller_b", ConstantSeller, price=20)}, 3, MatchContext(3))
    a, b = r.roles["seller_a"]["sale_rate"], r.roles["seller_b"]["sale_rate"]
    assert a + b == pytest.approx(11 / 20, abs=0.015)
    assert a / (a + b) == pytest.approx(0.5, abs=0.02)
    combined = r.roles["seller_a"]["profit"] + r.roles["seller_b"]["profit"]
    assert r.metrics["pareto_efficiency"] == pytest.approx(combined / r.metrics["optimal_profit"])


def test_optimum_by_backward_induction_on_a_hand_computed_game():
    # Prices 1-2, cost 0, walk probability 0.5: ask 2 (sells half the time),
    # then 1 to the half of the remaining buyers who stay: 1 + 0.5 * 0.5 * 1.
    value, offers = optimal_single_seller(1, 2, 0.0, 0.5, 0.0, 50)
    assert value == pytest.approx(1.25)
    assert offers == (2, 1)
    assert sequence_profit([2, 1], 1, 2, 0.0, 0.5, 0.0, 50) == pytest.approx(1.25)
    assert sequence_profit([1], 1, 2, 0.0, 0.5, 0.0, 50) == pytest.approx(1.0)
    value, offers = optimal_single_seller(11, 30, 10.0, 0.1, 0.1, 50)
    assert sequence_profit(list(offers), 11, 30, 10.0, 0.1, 0.1, 50) == pytest.approx(value)
    # the paper's example heuristic sequence is good but not optimal
    assert sequence_profit([30, 24, 19, 15, 12, 11], 11, 30, 10.0, 0.1, 0.1, 50) < value


def test_simulated_profit_matches_the_exact_expectation_of_a_fixed_sequence():
    class Sequence(ConstantSeller):
        def make_offer(self, rival_last):
            self.turn_ += 1
            return [30, 24, 19, 15, 12, 11][min(self.turn_, 6) - 1]

    r = BiddingWorld(episodes=20000).play({"seller": seat("seller", Sequence)}, 7, MatchContext(7))
    exact = sequence_profit([30, 24, 19, 15, 12, 11], 11, 30, 10.0, 0.1, 0.1, 50)
    assert exact == pytest.approx(7.00228)
    assert r.roles["seller"]["profit"] == pytest.approx(exact, abs=0.2)


def test_learning_curve_and_last_episode_metrics():
    r, _ = play_constant(20, 1000, curve_points=10, last_episodes=250)
    curve = r.details["curve"]
    assert curve["episodes"] == list(range(100, 1001, 100))
    assert curve["window"] == 100
    assert all(p == 20 for p in curve["price"])
    assert sum(curve["profit"]["seller"]) / 10 == pytest.approx(r.roles["seller"]["profit"])
    assert 0 < r.roles["seller"]["profit_last"] < 10
    assert r.details["optimal_offers"][-1] == 11
    json.dumps(r.details)  # the record must serialise


class OffRange(ConstantSeller):
    pass


@pytest.mark.parametrize("price", [31, 10, 12.5, "20"])
def test_offers_outside_the_range_or_not_integers_are_the_sellers_fault(price):
    with pytest.raises(PlayerFault) as err:
        play_constant(price, 3)
    assert err.value.role == "seller"


def test_same_seed_same_match_other_seed_other_match():
    world = BiddingWorld(episodes=2000)
    a, _ = play_constant(22, 2000, seed=9)
    b, _ = play_constant(22, 2000, seed=9)
    c, _ = play_constant(22, 2000, seed=10)
    assert a.roles == b.roles and a.details == b.details
    assert a.roles != c.roles
    assert world.get_params()["episodes"] == 2000


def test_params_are_checked_with_the_key_named():
    with pytest.raises(ValueError, match="^price_range"):
        BiddingWorld.validate({"price_range": [30, 30]})
    with pytest.raises(ValueError, match="^unit_cost"):
        BiddingWorld.validate({"unit_cost": 40})
    with pytest.raises(ValueError, match="^impatience"):
        BiddingWorld.validate({"impatience": 1.5})
    with pytest.raises(ValueError, match="^episode"):
        BiddingWorld.validate({"episode": 10})
    BiddingWorld.validate({"price_range": [11, 100], "episodes": 5})


def test_classes_with_the_seller_protocol_can_take_the_roles():
    assert BiddingWorld.roles_for_class(ConstantSeller) == ("seller",)
    assert TwoSellerBiddingWorld.roles_for_class(ConstantSeller) == ("seller_a", "seller_b")
    assert BiddingWorld.roles_for_class(dict) == ()


def test_league_gives_the_same_records_with_one_and_two_jobs_and_reproduces(tmp_path):
    from tourney.reproduce.insight import one_seller, two_seller

    league = write_league(
        tmp_path / "l.yaml", name="bid", repetitions=2,
        worlds=[{"type": "bidding", "params": {"episodes": 600, "curve_points": 5}},
                {"type": "bidding2", "params": {"episodes": 600, "curve_points": 5,
                                                "price_range": [10, 30]}}],
        players=[{"name": "Q", "type": "qlearning"}, {"name": "Random", "type": "insight-random"},
                 {"name": "Heuristic", "type": "descent-arithmetic", "params": {"initial": 18}}],
        format={"both_roles": False, "timeout": 60},
        scoring={"metric": "profit"},
    )
    runs = {}
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        run_cli("run", str(league), "-j", jobs, "--out", str(out), "--quiet", check=True)
        records = [json.loads(line) for line in (out / "matches.jsonl").read_text().splitlines()]
        assert {r["status"] for r in records} == {"ok"}
        runs[jobs] = {r["key"]: (r["roles"], r["metrics"], r["details"]) for r in records}
    assert len(runs["1"]) == (3 + 3) * 2
    assert runs["1"] == runs["2"]
    assert (tmp_path / "1" / "scores.csv").read_bytes() == (tmp_path / "2" / "scores.csv").read_bytes()

    text = one_seller(tmp_path / "1")
    assert "| Q (`Q`) | paper's game | 2 |" in text
    assert "| claim | source | quantity | difference | 95 % CI | n | verdict |" in text
    assert re.search(r"\*\*\d+ of 4 claims hold, \d+ fail, \d+ not resolved\*\*", text)
    assert (tmp_path / "1" / "plots" / "fig3_one_seller.png").stat().st_size > 1000
    text = two_seller(tmp_path / "1")
    assert "| Heuristic vs Q | 2 |" in text and "| Q vs Random | 2 |" in text
    assert "| q-beats-random: " in text and "2 seeds" in text
    for stem in ("fig4_heuristic_vs_random", "fig5_q_vs_random", "fig6_q_vs_heuristic"):
        assert (tmp_path / "1" / "plots" / f"{stem}.png").stat().st_size > 1000


@pytest.mark.slow
def test_full_insight_reproduction_judges_every_claim(tmp_path):
    """`make reproduce-insight` in a temporary directory: every claim gets a verdict with its CI, in both
    settings. Which verdicts come out is the reproduction's finding, not something a test may require."""
    import subprocess
    import sys

    import yaml

    from conftest import ROOT
    from tourney.reproduce.insight import one_seller, two_seller

    for suffix, flag in (("", []), ("-never-raise", ["--never-raise"])):
        subprocess.run([sys.executable, "-m", "players.insight.train", "--price-range", "11", "100",
                        "--episodes", "100000", "--seed", "11", *flag,
                        "--out", str(tmp_path / f"q-11-100{suffix}.json")], check=True, cwd=ROOT)
    for name in ("insight-one-seller", "insight-two-seller", "insight-two-seller-never-raise"):
        league = yaml.safe_load((ROOT / "leagues" / f"{name}.yaml").read_text())
        for player in league["players"]:
            path = player.get("params", {}).get("load_path")
            if path:
                player["params"]["load_path"] = str(tmp_path / Path(path).name.replace("one-seller-", "q-"))
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(league))
        run_cli("run", str(tmp_path / f"{name}.yaml"), "-j", "2", "--out", str(tmp_path / name), "--quiet",
                check=True, timeout=3600)
    one, two = one_seller(tmp_path / "insight-one-seller"), two_seller(tmp_path / "insight-two-seller")
    assert re.search(r"\*\*\d+ of 4 claims hold", one) and "| never raise (not in the paper) |" in one
    summary = re.search(r"\*\*(\d+) of (\d+) claims hold, (\d+) fail, (\d+) not resolved\*\*", two)
    assert summary and int(summary.group(2)) >= 20
    assert "## Both settings side by side" in two and two.count("20 seeds") >= 20