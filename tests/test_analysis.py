"""Game-theoretic analysis: textbook games, reference implementations, determinism, the CLI."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from tourney.analysis import analyze
from tourney.analysis.alpharank import alpharank
from tourney.analysis.bootstrap import bootstrap_means
from tourney.analysis.equilibrium import is_symmetric_nash, nash_averaging, symmetric_nash
from tourney.analysis.metagame import build_metagame
from tourney.analysis.ratings import bradley_terry, pairwise_outcomes
from tourney.analysis.replicator import replicator
from tourney.analysis.significance import holm
from tourney.ranking import bootstrap_pvalue, pair_pvalue

from conftest import bilateral_rows, run_cli, write_league

RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
# Strategy 0 strictly dominates: it earns more than any other against every opponent.
DOMINANT = np.array([[3.0, 4.0, 5.0], [1.0, 2.0, 3.5], [0.5, 1.5, 2.5]])
# Hawk-Dove with V = 2, C = 4: the mixed equilibrium plays Hawk with probability V / C = 1/2.
HAWK_DOVE = np.array([[-1.0, 2.0], [0.0, 1.0]])


def test_rock_paper_scissors_is_uniform_everywhere():
    assert np.allclose(symmetric_nash(RPS), 1 / 3)
    p, skill = nash_averaging(RPS)
    assert np.allclose(p, 1 / 3, atol=1e-6) and np.allclose(skill, 0, atol=1e-6)
    assert np.allclose(alpharank(RPS, alpha=5), 1 / 3)
    _, _, rest = replicator(RPS)
    assert np.allclose(rest, 1 / 3)  # the uniform start is the interior rest point (a centre)


def test_strictly_dominant_strategy_takes_all_mass():
    assert np.allclose(symmetric_nash(DOMINANT), [1, 0, 0])
    p, skill = nash_averaging(DOMINANT)
    assert np.allclose(p, [1, 0, 0], atol=1e-6) and skill[0] == pytest.approx(0, abs=1e-9) and (skill[1:] < 0).all()
    assert alpharank(DOMINANT, alpha=100)[0] > 1 - 1e-9
    _, _, rest = replicator(DOMINANT)
    assert rest[0] > 1 - 1e-6


def test_hawk_dove_mixed_equilibrium():
    assert np.allclose(symmetric_nash(HAWK_DOVE), [0.5, 0.5])
    _, _, rest = replicator(HAWK_DOVE)
    assert np.allclose(rest, [0.5, 0.5], atol=1e-6)  # the mixed equilibrium is the ESS


def test_symmetric_nash_is_an_equilibrium_nashpy_finds():
    import nashpy

    rng = np.random.default_rng(7)
    for _ in range(20):
        a = rng.uniform(0, 1, size=(4, 4))  # continuous payoffs: non-degenerate almost surely
        x = symmetric_nash(a)
        assert x is not None and is_symmetric_nash(a, x)
        # Vertex enumeration, not support enumeration: nashpy 0.0.43's support enumeration returns
        # no equilibrium at all for one of these games (every finite game has one) and warns.
        found = [(r, c) for r, c in nashpy.Game(a, a.T).vertex_enumeration()]
        assert any(np.allclose(r, x, atol=1e-7) and np.allclose(c, x, atol=1e-7) for r, c in found), (a, x)


def test_nash_averaging_matches_the_lp_value_and_duplicates_share_mass():
    # Rock copied: maximum entropy splits rock's third between the two copies.
    a = np.array([[0, -1, 1, 0], [1, 0, -1, 1], [-1, 1, 0, -1], [0, -1, 1, 0]], dtype=float)
    p, skill = nash_averaging(a)
    assert np.allclose(p, [1 / 6, 1 / 3, 1 / 3, 1 / 6], atol=1e-5)
    assert np.allclose(skill, 0, atol=1e-6)


def test_alpharank_matches_open_spiel():
    from open_spiel.python.egt import alpharank as alpharank_ref  # the analysis extra
    rng = np.random.default_rng(3)
    for n, alpha in ((2, 1.0), (3, 10.0), (4, 0.5), (5, 3.0)):
        a = rng.uniform(0, 1, size=(n, n))
        _, _, pi, _, _ = alpharank_ref.compute([a], m=50, alpha=alpha)
        assert np.allclose(alpharank(a, alpha=alpha, m=50), pi, atol=1e-9)
    stack = rng.uniform(0, 1, size=(6, 3, 3))
    batched = alpharank(stack, alpha=2.0)
    assert np.allclose(batched, [alpharank(m, alpha=2.0) for m in stack])


def test_holm_textbook_example():
    # sorted p: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> monotone 0.06
    assert np.allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    out = holm([0.2, np.nan, 0.01])
    assert np.isnan(out[1]) and np.allclose(out[[0, 2]], [0.2, 0.02])


def test_bradley_terry_recovers_a_known_odds_ratio():
    wins = np.array([[0.0, 75.0], [25.0, 0.0]])  # A beat B 75 times, B beat A 25 times
    strength = bradley_terry(wins)
    assert strength[0] - strength[1] == pytest.approx(np.log(3), rel=1e-3)
    assert strength.sum() == pytest.approx(0, abs=1e-12)


def _rows(n_matches: int = 40, seed: int = 0) -> pd.DataFrame:
    """Three players in a round robin of one-shot bilateral matches; A beats B beats C by construction."""
    strength = {"A": 0.7, "B": 0.5, "C": 0.3}
    pairs = (("A", "B"), ("A", "C"), ("B", "C"), ("B", "A"), ("C", "A"), ("C", "B"))
    return bilateral_rows(pairs, strength, n_matches, 0.1, np.random.default_rng(seed))


def test_metagame_cells_counts_means_and_standard_errors():
    rows = _rows(10)
    game = build_metagame(rows, ["A", "B", "C"])
    assert game.count[0, 1] == 20 and game.count[0, 0] == 0 and game.missing.sum() == 3
    ab = rows[(rows.player == "A") & (rows.opponent == "B")]["score"]
    assert game.mean[0, 1] == pytest.approx(ab.mean())
    assert game.se[0, 1] == pytest.approx(ab.std(ddof=1) / np.sqrt(len(ab)))
    filled = game.filled()
    assert filled[0, 0] == pytest.approx(rows["score"].mean())  # the grand mean


def test_multi_opponent_seat_counts_toward_each_opponent():
    rows = pd.DataFrame([["m1", "w", "-", 0, "a", "A", "B+C", 1.0, np.nan, "ok", False]],
                        columns=["id", "world", "setting", "rep", "role", "player", "opponent", "score",
                                 "agreement", "status", "fault"])
    game = build_metagame(rows, ["A", "B", "C"])
    assert game.count.tolist() == [[0, 1, 1], [0, 0, 0], [0, 0, 0]]


def test_bootstrap_is_deterministic_by_seed_and_centred_on_the_cell_means():
    game = build_metagame(_rows(30), ["A", "B", "C"])
    one, two = bootstrap_means(game, 200, [5, 0]), bootstrap_means(game, 200, [5, 0])
    assert np.array_equal(one, two, equal_nan=True)
    assert not np.array_equal(one, bootstrap_means(game, 200, [6, 0]), equal_nan=True)
    spread = np.nanstd(one[:, 0, 1])
    assert spread == pytest.approx(game.se[0, 1], rel=0.25)
    assert np.nanmean(one[:, 0, 1]) == pytest.approx(game.mean[0, 1], abs=3 * game.se[0, 1])


def test_analysis_is_deterministic_and_ranks_the_constructed_order():
    rows = _rows(30)
    first = analyze(rows, ["A", "B", "C"], seed=11, samples=60)
    second = analyze(rows, ["A", "B", "C"], seed=11, samples=60)
    pd.testing.assert_frame_equal(first.games[0].players, second.games[0].players)
    pd.testing.assert_frame_equal(first.ratings, second.ratings)
    game = first.games[0].players.set_index("player")
    assert game.loc["A", "nash"] == 1.0 and game.loc["A", "p_nash_support"] > 0.95
    assert game.loc["A", "alpharank"] > 0.99 and game.loc["A", "rank_high"] == 1
    assert list(first.ratings["player"]) == ["A", "B", "C"]
    assert (first.ratings["strength_low"] <= first.ratings["strength"]).all()
    assert (first.pairs["significant"] == True).all()  # noqa: E712
    other = analyze(rows, ["A", "B", "C"], seed=12, samples=60)
    assert not other.ratings["strength_low"].equals(first.ratings["strength_low"])


def test_pairwise_outcomes_count_wins_and_ties():
    rows = _rows(5)
    out = pairwise_outcomes(rows, ["A", "B", "C"])
    assert out.wins[0, 1] + out.wins[1, 0] + out.ties[0, 1] == 10
    assert out.wins[0, 2] == 10  # A always beats C by construction (0.9 share, noise 0.1)


def test_batched_bootstrap_pvalue_equals_one_big_draw(monkeypatch):
    import tourney.ranking as ranking

    rng = np.random.default_rng(2)
    x, y = rng.normal(0, 1, 301), rng.normal(0.1, 1, 199)
    gen = np.random.default_rng(0)
    pooled = np.concatenate([x, y])
    bx, by = gen.choice(pooled, size=(2000, 301)), gen.choice(pooled, size=(2000, 199))
    expected = ((np.abs(bx.mean(1) - by.mean(1)) >= abs(x.mean() - y.mean()) - 1e-12).sum() + 1) / 2001
    monkeypatch.setattr(ranking, "BATCH_VALUES", 1000)
    assert bootstrap_pvalue(x, y) == pytest.approx(expected, abs=0)


def test_unmatched_pvalue_is_bounded_in_memory():
    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 1, 9_000), rng.normal(0, 1, 9_000)
    frame = lambda v, who: pd.DataFrame({"world": "w", "setting": "-", "role": who, "opponent": "o", "rep": 0,  # noqa
                                         "score": v})
    tracemalloc.start()
    p, test = pair_pvalue(frame(x, "buyer"), frame(y, "seller"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert test == "bootstrap" and 0 < p <= 1
    assert peak < 60e6  # one (2000, 9000) draw per side would be 290 MB
    big = rng.normal(0, 1, 40_000)
    p, test = pair_pvalue(frame(big[:20_000] + 0.05, "buyer"), frame(big[20_000:], "seller"))
    assert test == "z" and p < 0.001


def test_analyze_cli_on_a_small_run(tmp_path):
    league = write_league(tmp_path / "l.yaml", players=[
        {"name": "Boulware", "type": "boulware"}, {"name": "Conceder", "type": "conceder"},
        {"name": "Random", "type": "random"}],
        worlds=[{"type": "bilateral", "params": {"n_steps": 20, "episodes": 1}, "settings": {"zoa": [100, 60]}}],
        repetitions=2)
    out = tmp_path / "run"
    run_cli("run", str(league), "--out", str(out), "--quiet", "-j", "1", check=True)
    proc = run_cli("analyze", str(out), "--samples", "40", check=True)
    for text in ("meta-game pooled", "alpha-Rank", "Bradley-Terry", "Holm"):
        assert text in proc.stdout
    data = json.loads((out / "analysis" / "analysis.json").read_text())
    assert data["samples"] == 40 and data["seed"] == 3
    again = run_cli("analyze", str(out), "--samples", "40", "--format", "json", check=True)
    assert json.loads(again.stdout)["games"] == data["games"]
    bad = run_cli("analyze", str(out), "--samples", "3")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    # Played on two workers (matches finish in another order): the same analysis, bit for bit.
    other = tmp_path / "run-j2"
    run_cli("run", str(league), "--out", str(other), "--quiet", "-j", "2", check=True)
    parallel = json.loads(run_cli("analyze", str(other), "--samples", "40", "--format", "json", check=True).stdout)
    assert parallel["games"] == data["games"] and parallel["ratings"] == data["ratings"]
    assert parallel["pairs"] == data["pairs"]


def test_analyze_a_generated_2500_match_log_of_seven_players(tmp_path):
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic_log import SKILL, write_synthetic_run

    run = write_synthetic_run(tmp_path / "log", 2_500, players=7, seed=4)
    proc = run_cli("analyze", str(run), "--format", "json", check=True)
    data = json.loads(proc.stdout)
    ratings = [r["player"] for r in data["ratings"]]
    assert ratings[0] == max(SKILL, key=SKILL.get) and ratings[-1] == min(SKILL, key=SKILL.get)
    pooled = data["games"][0]
    assert pooled["game"] == "pooled" and sum(map(sum, pooled["payoff"]["n"])) > 4_800
    top = pooled["per_player"][0]
    assert top["player"] == "Boulware" and top["p_nash_support"] > 0.9
    assert sum(r["alpharank"] for r in pooled["per_player"]) == pytest.approx(1)


def test_pairwise_outcomes_do_not_depend_on_row_order():
    rows = _rows(8)
    shuffled = rows.sample(frac=1.0, random_state=3)
    a, b = pairwise_outcomes(rows, ["A", "B", "C"]), pairwise_outcomes(shuffled, ["A", "B", "C"])
    assert np.array_equal(a.wins, b.wins) and np.array_equal(a.ties, b.ties)


def test_pairwise_p_values_agree_with_the_adjacent_rank_test():
    from tourney.ranking import adjacent_gaps
    from tourney.scoring import score_table

    rows = _rows(12)
    pairs = analyze(rows, ["A", "B", "C"], seed=9, samples=20).pairs.set_index(["a", "b"])
    table = adjacent_gaps(score_table(rows), rows)
    for upper, lower, p in zip(table["player"], table["player"][1:], table["p_next"]):
        key = tuple(sorted((upper, lower)))
        assert pairs.loc[key, "p"] == pytest.approx(p, abs=0)
    assert (pairs["p_holm"] >= pairs["p"]).all()


def test_nash_averaging_by_lp_equals_maximum_entropy_on_generic_games():
    rng = np.random.default_rng(8)
    for n in (3, 5, 8):
        a = rng.uniform(0, 1, size=(n, n))
        p_max, skill_max = nash_averaging(a)
        p_lp, skill_lp = nash_averaging(a, maxent=False)
        assert np.allclose(p_max, p_lp, atol=1e-5) and np.allclose(skill_max, skill_lp, atol=1e-5)


def test_a_player_who_never_played_is_reported_not_fatal():
    from tourney.analysis.render import analysis_json, render_analysis

    result = analyze(_rows(6), ["A", "B", "C", "Idle"], seed=1, samples=20)
    data = json.loads(json.dumps(analysis_json(result)))
    idle = [p for p in data["pairs"] if "Idle" in (p["a"], p["b"])]
    assert idle and all(p["p"] is None and p["significant"] is None for p in idle)
    ratings = {r["player"]: r for r in data["ratings"]}
    assert ratings["Idle"]["strength"] is None and ratings["A"]["strength"] is not None
    assert "Idle" in render_analysis(result)
