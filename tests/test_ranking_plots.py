"""Significance markers on synthetic logs; plots of a small run are real PNGs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tourney.ranking import adjacent_gaps, bootstrap_pvalue, gap_pvalue
from tourney.scoring import score_table

from conftest import run_cli, write_league


def _rows(gap: float, n: int = 30, seed: int = 0) -> pd.DataFrame:
    """Players A and B meet the same opponents in the same conditions; A is ``gap`` better."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        base = rng.uniform(0.2, 0.6)
        noise = rng.normal(0, 0.05, size=2)
        for player, shift, eps in (("A", gap, noise[0]), ("B", 0.0, noise[1])):
            rows.append(["m", "bilateral", "zoa=100", i, "buyer", player, f"O{i % 3}", base + shift + eps,
                         1.0, "ok", False])
    return pd.DataFrame(rows, columns=["id", "world", "setting", "rep", "role", "player", "opponent", "score",
                                       "agreement", "status", "fault"])


def test_large_gap_is_significant_and_zero_gap_is_not():
    big = _rows(0.2)
    p_big, test = gap_pvalue(big, "A", "B")
    assert test == "wilcoxon" and p_big < 1e-4
    table = adjacent_gaps(score_table(big), big)
    assert list(table["player"]) == ["A", "B"] and bool(table.loc[0, "sig_next"]) is True

    none = _rows(0.0)
    p_none, _ = gap_pvalue(none, "A", "B")
    assert p_none > 0.05
    table = adjacent_gaps(score_table(none), none)
    assert bool(table.loc[0, "sig_next"]) is False


def test_bootstrap_fallback_on_unmatched_scores():
    rng = np.random.default_rng(1)
    assert bootstrap_pvalue(rng.normal(1, 0.1, 20), rng.normal(0, 0.1, 20)) < 0.01
    assert bootstrap_pvalue(rng.normal(0, 0.1, 20), rng.normal(0, 0.1, 20)) > 0.05


def test_plots_of_a_small_run_are_valid_pngs(tmp_path):
    league = write_league(tmp_path / "l.yaml", players=[
        {"name": "Boulware", "type": "boulware"}, {"name": "Conceder", "type": "conceder"},
        {"name": "Random", "type": "random"}],
        worlds=[{"type": "bilateral", "params": {"n_steps": 30, "episodes": 12}, "settings": {"zoa": [100, 60]}}])
    out = tmp_path / "run"
    proc = run_cli("run", str(league), "--out", str(out), "--quiet", "--plot", check=True)
    names = {p.name for p in (out / "plots").iterdir()}
    assert {"scores.png", "pairwise.png", "settings.png", "learning.png"} <= names
    assert any(n.startswith("trace-") for n in names)
    for path in (out / "plots").iterdir():
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, path
    assert "wrote" in proc.stderr
