"""Role-restricted leagues: alpha-Rank over two populations (buyers x sellers), against open_spiel and
textbook games; and the mixed league analysed on a small run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from tourney.analysis import analyze
from tourney.analysis.alpharank import alpharank_two_population
from tourney.analysis.metagame import role_populations
from tourney.analysis.render import render_analysis

from conftest import ROOT, bilateral_rows, run_cli

# Matching pennies: the row player wants to match, the column player to differ. The chain cycles
# through the four profiles with equal fixation probabilities: alpha-Rank is uniform.
PENNIES = np.array([[1.0, -1.0], [-1.0, 1.0]])
# Prisoner's dilemma (C, D) for both: defecting strictly dominates, (D, D) takes all mass.
PD_ROW = np.array([[3.0, 0.0], [5.0, 1.0]])


def test_two_population_alpharank_matches_open_spiel():
    from open_spiel.python.egt import alpharank as reference

    rng = np.random.default_rng(7)
    for n1, n2, alpha in ((2, 3, 1.0), (3, 2, 10.0), (4, 4, 0.5), (2, 5, 3.0)):
        row, col = rng.uniform(0, 1, size=(n1, n2)), rng.uniform(0, 1, size=(n1, n2))
        _, _, pi, _, _ = reference.compute([row, col], m=50, alpha=alpha)
        assert np.allclose(alpharank_two_population(row, col, alpha, 50).ravel(), pi, atol=1e-9)
    rows, cols = rng.uniform(0, 1, size=(9, 3, 4)), rng.uniform(0, 1, size=(9, 3, 4))
    one_by_one = [alpharank_two_population(r, c, 2.0) for r, c in zip(rows, cols)]
    assert np.allclose(alpharank_two_population(rows, cols, 2.0), one_by_one)


def test_two_population_textbook_games():
    assert np.allclose(alpharank_two_population(PENNIES, -PENNIES, alpha=2.0), 0.25)
    dd = alpharank_two_population(PD_ROW, PD_ROW.T, alpha=100.0)
    assert dd[1, 1] > 1 - 1e-9
    # a single strategy in one population: the other population's dominant strategy takes all mass
    lone = alpharank_two_population(np.array([[1.0], [2.0], [0.5]]), np.zeros((3, 1)), alpha=50.0)
    assert lone.shape == (3, 1) and lone[1, 0] > 1 - 1e-9


def _market(n_matches: int = 20, seed: int = 0) -> pd.DataFrame:
    """Buyers B1, B2 only buy and sellers S1, S2 only sell. B1 is the better buyer against either
    seller, S2 the better seller against either buyer."""
    skill = {"B1": 0.2, "B2": 0.0, "S1": 0.0, "S2": 0.15}
    pairs = [(b, s) for b in ("B1", "B2") for s in ("S1", "S2")]
    return bilateral_rows(pairs, skill, n_matches, 0.05, np.random.default_rng(seed))


def test_role_restricted_league_is_analysed_as_two_populations():
    rows = _market()
    players = ["B1", "B2", "S1", "S2"]
    assert role_populations(rows, players) == {"buyer": ["B1", "B2"], "seller": ["S1", "S2"]}
    both = rows.assign(role=np.where(rows.index % 4 == 0, "seller", rows["role"]))  # a buyer also sells
    assert role_populations(both, players) is None
    result = analyze(rows, players, seed=3, samples=80)
    game = result.games[0]
    assert game.populations == {"buyer": ["B1", "B2"], "seller": ["S1", "S2"]}
    per = game.players.set_index("player")
    assert per.loc[["B1", "B2"], "alpharank"].sum() == pytest.approx(1)
    assert per.loc[["S1", "S2"], "alpharank"].sum() == pytest.approx(1)
    assert list(per["population"][["B1", "S1"]]) == ["buyer", "seller"]
    # the better buyer and the better seller: first in their populations, with every bootstrap replicate
    assert per.loc["B1", "alpharank"] > 0.99 and per.loc["S2", "alpharank"] > 0.99
    assert per.loc["B1", "alpharank_rank"] == per.loc["S2", "alpharank_rank"] == 1
    assert per.loc["B1", "rank_high"] == per.loc["S2", "rank_high"] == 1
    top = game.profiles.iloc[0]
    assert (top["buyer"], top["seller"]) == ("B1", "S2") and top["mass_low"] <= top["mass"] <= top["mass_high"]
    assert game.profiles["mass"].sum() == pytest.approx(1)
    # what the game analysis reads of the payoffs: the two role blocks of the meta-game
    text = render_analysis(result)
    assert "alpha-Rank over two populations (buyer: B1, B2; seller: S1, S2)" in text and "B1 / S2 1.000" in text
    again = analyze(rows, players, seed=3, samples=80).games[0]
    pd.testing.assert_frame_equal(game.players, again.players)
    pd.testing.assert_frame_equal(game.profiles, again.profiles)


def test_mixed_league_analysed_on_a_small_run(tmp_path):
    league = yaml.safe_load((ROOT / "leagues" / "mixed.yaml").read_text())
    # Small: one setting, one repetition, 8 rounds. The language model is left out: with it the
    # same run plays 303 s on the shared machine (its 34 matches), without it ~10 s.
    league["repetitions"] = 1
    league["worlds"][0]["settings"] = {"zoa": [100], "n_steps": [8]}
    league["worlds"][0]["params"]["episodes"] = 1
    league["players"] = [p for p in league["players"] if p["type"] != "llm"]
    path = tmp_path / "mixed.yaml"
    path.write_text(yaml.safe_dump(league, sort_keys=False))
    out = tmp_path / "mixed"
    run_cli("run", str(path), "-j", "1", "--out", str(out), "--quiet", check=True, timeout=600)
    from tourney.analysis.render import analysis_json
    from tourney.analysis.run import analyze_tables
    from tourney.html_report import write_html_report
    from tourney.report import compute_tables

    tables = compute_tables(out)
    result = analyze_tables(tables, samples=20)  # 20 bootstrap samples: the numbers are not checked here
    analysis = analysis_json(result)
    names = [p["name"] for p in league["players"]]
    pooled = analysis["games"][0]
    assert sorted(pooled["players"]) == sorted(names) and len(names) == 20
    # buyer-only (CONAN, Williams, DDPG) and seller-only (the INSIGHT sellers) players never meet their own
    # kind: those cells and the diagonal (no self-play) are the only ones never played
    counts = np.array(pooled["payoff"]["n"])
    one_sided = [{"CONAN", "Williams", "DDPG"}, {"Q-seller", "DescentArithmetic", "Copycat"}]
    index = {p: k for k, p in enumerate(pooled["players"])}
    expected = {(index[a], index[b]) for group in one_sided for a in group for b in group if a != b}
    expected |= {(k, k) for k in range(len(names))}
    assert {(int(i), int(j)) for i, j in zip(*np.nonzero(counts == 0))} == expected
    assert pooled["populations"] is None  # most players take both roles: one symmetric meta-game
    assert sum(r["alpharank"] for r in pooled["per_player"]) == pytest.approx(1)
    assert any("32 of 400 cells never played" in n for n in analysis["notes"])
    assert len(analysis["ratings"]) == 20 and len(analysis["pairs"]) == 20 * 19 // 2
    page = write_html_report(out, tables, result).read_text()
    assert all(name in page for name in names)
    assert "Meta-game: pooled" in page and "Bradley-Terry" in page and "32 of 400 cells never played" in page
