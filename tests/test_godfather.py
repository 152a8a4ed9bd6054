"""Godfather: Algorithm 1, Pareto/Nash, the aspiration schedule, the goldfish
estimate, the GBM models, and the agent in real OneShot and bilateral matches."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import match_record, write_league

from players.godfather.features import FEATURES, N_QUANTITY_CLASSES
from players.godfather.marginal import expected_marginal_utility, sample_others
from players.godfather.opponent import goldfish_utility
from players.godfather.pareto import (
    ParetoAspiration,
    concession_rate,
    nash_point,
    pareto_frontier,
    relative_time,
    target_utility,
    tolerance,
)
from players.godfather.predictors import MODEL_DIR, EmpiricalPredictor, GBMPredictor


def capped_utility(outcomes):
    """Worth 10 a unit up to 5 units, minus what is paid: u = 10 min(Q, 5) - sum q p."""
    total_q = sum(o[0] for o in outcomes.values() if o is not None)
    paid = sum(o[0] * o[1] for o in outcomes.values() if o is not None)
    return 10 * min(total_q, 5) - paid


def test_marginal_utility_with_a_deterministic_predictor():
    grid = [None, (4, 1), (1, 1), (2, 9)]
    mu = expected_marginal_utility("x", grid, capped_utility, {"y": [((3, 2), 1.0)]}, 50,
                                   np.random.default_rng(0))
    # with y = (3, 2) agreed: u({x, y}) - u({y}) = (10 min(3 + q, 5) - 6 - q p) - (30 - 6)
    assert mu.tolist() == [0.0, 16.0, 9.0, 20 - 18 - 0.0]


def test_marginal_utility_averages_over_predicted_outcomes():
    others = {"y": [((3, 2), 0.5), (None, 0.5)]}
    mu = expected_marginal_utility("x", [(4, 1)], capped_utility, others, 4000, np.random.default_rng(1))
    # 0.5 * 16 (y agreed) + 0.5 * 36 (y fails: u({x}) - u({}) = 40 - 4)
    assert mu[0] == pytest.approx(26.0, abs=0.6)


def test_certain_predictions_take_one_sample():
    draws = sample_others({"a": [((1, 1), 1.0)], "b": [(None, 1.0)]}, 100, np.random.default_rng(0))
    assert draws == [({"a": (1, 1), "b": None}, 1.0)]


def test_pareto_frontier_and_nash_point_on_a_grid():
    u_self = np.array([1.0, 0.8, 0.5, 0.2, 0.5, 0.1])
    u_opp = np.array([0.1, 0.5, 0.7, 0.9, 0.3, 0.9])
    frontier = pareto_frontier(u_self, u_opp)
    assert sorted(frontier.tolist()) == [0, 1, 2, 3]  # 4 is dominated by 2, 5 by 3
    # Nash products with d = 0: 0.1, 0.4, 0.35, 0.18
    assert nash_point(u_self, u_opp, frontier, 0.0, 0.0) == 1
    # opponent's disagreement at 0.6 leaves 2 (0.5 x 0.1) and 3 (0.2 x 0.3) above it
    assert nash_point(u_self, u_opp, frontier, 0.0, 0.6) == 3
    assert nash_point(u_self, u_opp, frontier, 0.0, 0.95) is None


def test_aspiration_schedule_at_the_papers_time_points():
    n = 40  # turns in an SCML 2021 negotiation
    assert relative_time(0, n) == 0.0  # pondering the first proposal
    assert relative_time(1, n) == pytest.approx(1.5 / 40)  # first response
    assert relative_time(20, n) == pytest.approx(39.5 / 40)  # just before the last response
    assert relative_time(25, n) == 1.0
    assert concession_rate(0.25, 0.5) == pytest.approx(0.5)
    assert concession_rate(1.0, 0.5) == 0.0
    assert tolerance(8.0, 0.0) == pytest.approx(6.0)  # 0.75 u(Nash) + 0.25 u(d)
    assert target_utility(0.0, 10.0, 6.0) == 10.0
    assert target_utility(0.25, 10.0, 6.0) == pytest.approx(8.0)
    assert target_utility(1.0, 10.0, 6.0) == pytest.approx(6.0)


def test_pareto_aspiration_offers_the_frontier_point_best_for_the_opponent():
    u_self = np.array([1.0, 0.8, 0.5, 0.2])
    u_opp = np.array([0.1, 0.5, 0.7, 0.9])
    strategy = ParetoAspiration(u_self, u_opp, 0.0, 0.0)
    assert strategy.nash == 1 and strategy.u_tol == pytest.approx(0.6)
    assert strategy.offer(0.0) == 0  # target = u_max
    # t = 0.25: target 0.5 * 1 + 0.5 * 0.6 = 0.8 -> outcome 1 reaches it with more for the opponent
    assert strategy.offer(0.25) == 1
    assert strategy.acceptable(0.8, 0.25) and not strategy.acceptable(0.79, 0.25)
    assert strategy.offer(1.0) == 1  # never below u_tol = 0.6


def test_goldfish_estimate_of_a_seller():
    q = np.array([0, 3, 5, 8])
    p = np.full(4, 20.0)
    u = goldfish_utility(q, p, opponent_is_seller=True, opponent_level=0, exogenous_quantity=5,
                         input_price=10.0, output_price=20.0)
    # cost 2.5; disposal 0.1 * 10 per unsold input; shortfall 0.6 * 20 per missing unit
    assert u.tolist() == pytest.approx([-5.0, 3 * 17.5 - 2.0, 5 * 17.5, 5 * 17.5 - 3 * 12.0])


def test_empirical_predictor_weights_disagreement():
    predictor = EmpiricalPredictor(disagreement_prior=1.0)
    assert predictor.predict("a") == [(None, 1.0)]
    predictor.observe("a", (3, 10))
    predictor.observe("a", (3, 10))
    predictor.observe("a", None)
    dist = dict(predictor.predict("a"))
    assert dist == {(3, 10): pytest.approx(0.5), None: pytest.approx(0.5)}
    assert predictor.summary("a") == pytest.approx((0.5, 3.0, 10.0))


def test_shipped_gbm_models_load_and_predict_distributions():
    meta = json.loads((MODEL_DIR / "meta.json").read_text())
    assert meta["features"] == FEATURES and meta["rows"] > 1000
    gbm = GBMPredictor()
    rows = np.zeros((2, len(FEATURES)))
    rows[1, FEATURES.index("turn")] = 0.9
    dists = gbm.predict_many(rows, [(10, 20), (10, 20)], [10, 10])
    for dist in dists:
        assert sum(w for _, w in dist) == pytest.approx(1.0)
        for outcome, _ in dist:
            assert outcome is None or (1 <= outcome[0] <= 10 and 10 <= outcome[1] <= 20)


def test_training_writes_models_that_the_predictor_reads(tmp_path):
    from players.godfather.train import train_models

    rng = np.random.default_rng(0)
    x = rng.random((400, len(FEATURES)))
    q = (x[:, 0] * N_QUANTITY_CLASSES).astype(int)  # learnable from the first feature
    p = x[:, 1]
    rows = np.c_[x, q, p]
    meta = train_models(rows, np.arange(400) % 10, 0, tmp_path, n_estimators=15)
    assert meta["scores"]["quantity_macro_auc"] > 0.9
    assert meta["scores"]["price_rmse_scaled"] < 0.15
    dist = GBMPredictor(tmp_path).predict_many(np.array([[0.95] + [0.5] * (len(FEATURES) - 1)]), [(0, 10)], [10])
    assert max(dist[0], key=lambda item: item[1])[0][0] == 10


def _oneshot_match(players, seed=11, **params):
    from tourney.worlds.base import MatchContext, Seat
    from tourney.worlds.oneshot import SLOTS, OneShotWorld

    seats = {slot: Seat(slot, name, name, cls, {}) for slot, (name, cls) in zip(SLOTS, players)}
    world = OneShotWorld(**{"n_steps": 5, "rotations": 1, "n_agents_per_process": 2, **params})
    return seats, world.play(seats, seed, MatchContext(seed))


@pytest.mark.parametrize("agent", ["GodfatherAgent", "GodfatherGBMAgent"])
def test_godfather_signs_contracts_in_a_oneshot_match(agent):
    from scml.oneshot.agents import GreedyOneShotAgent, RandDistOneShotAgent

    import players.godfather.agent as godfather

    players = [("Godfather", getattr(godfather, agent)), ("Greedy", GreedyOneShotAgent),
               ("Rand", RandDistOneShotAgent)]
    # the world runs with every ignore_*_exceptions off: any exception fails the test
    _, result = _oneshot_match(players)
    mine = result.roles["agent1"]
    assert mine["contracts"] > 0
    assert math.isfinite(mine["score"]) and mine["score"] > 0


def test_godfather_plays_the_bilateral_world():
    from players.faratin import TimeDependent
    from players.godfather.bilateral import GodfatherNegotiator
    from tourney.worlds.base import MatchContext, Seat
    from tourney.worlds.bilateral import BilateralWorld

    world = BilateralWorld(n_steps=40, episodes=3)
    seats = {"buyer": Seat("buyer", "Godfather", "godfather", GodfatherNegotiator, {}),
             "seller": Seat("seller", "Linear", "linear", TimeDependent, {"beta": 1.0})}
    first = world.play(seats, 5, MatchContext(5))
    assert first.roles["buyer"]["agreement"] == 1.0
    # conceding toward the Nash point keeps the buyer above its reservation price, short of its ideal
    assert 0.0 < first.roles["buyer"]["utility"] < 1.0
    assert first.roles == world.play(seats, 5, MatchContext(5)).roles


@pytest.mark.slow
def test_train_command_end_to_end(tmp_path):
    from conftest import run_cli

    out = tmp_path / "models"
    proc = run_cli("train", "godfather", "--worlds", "2", "--steps", "3", "--out", str(out), timeout=900)
    assert proc.returncode == 0, proc.stderr
    meta = json.loads((out / "meta.json").read_text())
    assert meta["worlds"] == 2 and meta["rows"] > 0
    assert GBMPredictor(out).meta_["rows"] == meta["rows"]


def test_reproduction_uses_scmls_truncated_mean(tmp_path):
    from tourney.reproduce.godfather import reproduce, scml_truncated_mean

    # SCML's aggregate drops scores above Q3 + 2 IQR and nothing below
    assert scml_truncated_mean([1.0, 1.0, 1.1, 0.9, 10.0]) == pytest.approx(1.0)
    assert scml_truncated_mean([-10.0, 1.0, 1.0, 1.1, 0.9]) == pytest.approx(-6.0 / 5)

    players = {"agent1": "GodfatherEmpirical", "agent2": "GodfatherGBM", "agent3": "BetterAgent"}
    base = {"agent1": 1.0, "agent2": 1.1, "agent3": 1.3}
    records = []
    for i in range(3):
        worlds = [{"scores": {r: s + 0.01 * (i + k) for r, s in base.items()}} for k in range(2)]
        records.append(match_record({"id": f"m{i}", "rep": i, "world": "oneshot", "status": "ok",
                                     "assignment": players, "details": {"worlds": worlds}}))
    (tmp_path / "matches.jsonl").write_text("".join(json.dumps(r.to_json()) + "\n" for r in records))
    write_league(tmp_path / "league.yaml", name="godfather", repetitions=3, worlds=[{"type": "oneshot"}],
                 players=[{"name": "GodfatherEmpirical", "type": "godfather"},
                          {"name": "GodfatherGBM", "type": "godfather-gbm"},
                          {"name": "BetterAgent", "type": "better-2021"}])
    text = reproduce(tmp_path)
    # offsets 0..3 over 3 configs: SCML aggregate 1.115, per-config means 1.105, 1.115, 1.125
    assert "| GodfatherGBM | 1.126 | GodfatherGBM | 1.115 | 1.115 [1.090, 1.140] | 2 | 3 |" in text
    assert "| Adaptive | 1.011 | AdaptiveAgent | not played |" in text
    assert "gbm-above-empirical" in text and (tmp_path / "plots" / "godfather_scores.png").stat().st_size > 0


@pytest.mark.parametrize("cls_name", ["GodfatherAgent", "GodfatherGBMAgent"])
def test_the_world_seeds_both_godfathers(cls_name):
    # an unseeded GBM agent drew from the OS: every run of a league gave another table
    import players.godfather.agent as agent_module
    from tourney.worlds.base import Seat
    from tourney.worlds.oneshot import agent_params

    cls = getattr(agent_module, cls_name)
    params = agent_params(Seat("agent1", "g", cls_name, cls, {}), 5)
    assert params["seed"] == 5
    assert cls(**params).seed == 5
