"""One call that runs every analysis of a run's rows: meta-games, equilibria, ratings, tests.

All randomness comes from ``seed`` (the league seed unless given), through
independent streams per analysis and game, so the same log and seed give
the same numbers bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tourney.analysis.alpharank import ALPHA, POPULATION, alpharank, alpharank_two_population
from tourney.analysis.bootstrap import bootstrap_means, percentile_interval
from tourney.analysis.equilibrium import nash_averaging, support, symmetric_nash
from tourney.analysis.metagame import MetaGame, build_metagames, fill_missing, role_populations
from tourney.analysis.ratings import ELO_SCALE, bootstrap_strengths, bradley_terry, pairwise_outcomes
from tourney.analysis.replicator import SURVIVAL, replicator
from tourney.analysis.significance import pairwise_tests

SAMPLES = 500
LEVEL = 0.95


@dataclass
class GameAnalysis:
    game: MetaGame
    players: pd.DataFrame  # per player: every game-theoretic number with its bootstrap uncertainty
    trajectory: tuple[np.ndarray, np.ndarray]  # replicator dynamics from uniform: times, (t, n) masses
    nash_found: bool
    nash_found_share: float  # share of bootstrap replicates where an equilibrium was found
    # Role-restricted league: role -> players, and alpha-Rank over (role 1, role 2) profiles
    # (mass with its bootstrap CI, most mass first); the per-player alpha-Rank is then its
    # population's marginal. None for a symmetric meta-game.
    populations: dict[str, list[str]] | None = None
    profiles: pd.DataFrame | None = None


@dataclass
class Analysis:
    seed: int
    samples: int
    alpha: float
    population: int
    games: list[GameAnalysis]
    ratings: pd.DataFrame
    pairs: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def analyze(rows: pd.DataFrame, players: list[str], seed: int = 0, samples: int = SAMPLES,
            alpha: float = ALPHA, population: int = POPULATION) -> Analysis:
    players = sorted(players)
    populations = role_populations(rows, players)
    games = [analyze_game(g, k, seed, samples, alpha, population, populations)
             for k, g in enumerate(build_metagames(rows, players))]
    outcomes = pairwise_outcomes(rows, players)
    strength = bradley_terry(outcomes.matrix())
    boot = bootstrap_strengths(outcomes, samples, seed, start=strength)
    low, high = _interval(boot)
    comparisons = (outcomes.wins + outcomes.wins.T + outcomes.ties).sum(axis=1)
    ratings = pd.DataFrame({"player": players, "comparisons": comparisons.astype(int), "strength": strength,
                            "strength_low": low, "strength_high": high, "elo": 1500 + ELO_SCALE * strength,
                            "elo_low": 1500 + ELO_SCALE * low, "elo_high": 1500 + ELO_SCALE * high,
                            "win_rate": _win_rate(outcomes.matrix())})
    ratings = ratings.sort_values(["strength", "player"], ascending=[False, True], na_position="last")
    pairs = pairwise_tests(rows, players)  # the adjacent-rank test's own seed, so both tables agree
    notes = []
    for g in games:
        missing = int(g.game.missing.sum())
        if missing:
            notes.append(f"{g.game.label}: {missing} of {len(players) ** 2} cells never played "
                         "(filled with the grand mean for the game analyses)")
    return Analysis(seed, samples, alpha, population, games, ratings.reset_index(drop=True), pairs, notes)


def _win_rate(matrix: np.ndarray) -> np.ndarray:
    total = (matrix + matrix.T).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, matrix.sum(axis=1) / total, np.nan)


def _interval(replicates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column; NaN for a column with no finite replicate."""
    n = replicates.shape[1]
    low, high = np.full(n, np.nan), np.full(n, np.nan)
    finite = np.isfinite(replicates).any(axis=0)
    if finite.any():
        lo, hi = percentile_interval(replicates[:, finite], LEVEL)
        low[finite], high[finite] = lo, hi
    return low, high


def _rank(mass: np.ndarray) -> np.ndarray:
    """Rank by mass, 1 = most; ties share the best rank. Works on (n,) or (b, n)."""
    m = np.atleast_2d(mass)
    ranks: np.ndarray = 1 + (m[:, None, :] > m[:, :, None] + 1e-12).sum(axis=2)
    return ranks[0] if mass.ndim == 1 else ranks


def _rank_interval(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - LEVEL) / 2
    return (np.quantile(ranks, tail, axis=0, method="inverted_cdf"),
            np.quantile(ranks, 1 - tail, axis=0, method="inverted_cdf"))


def analyze_game(game: MetaGame, index: int, seed: int, samples: int, alpha: float,
                 population: int, populations: dict[str, list[str]] | None = None) -> GameAnalysis:
    a = game.filled()
    boot = fill_missing(bootstrap_means(game, samples, [seed, index]), game.count)

    times, path, rest = replicator(a)
    _, _, boot_rest = replicator(boot)
    rest_low, rest_high = _interval(boot_rest)

    nash = symmetric_nash(a)
    boot_nash = [symmetric_nash(m) for m in boot]
    found = [x for x in boot_nash if x is not None]
    in_support = np.mean([support(x) for x in found], axis=0) if found else np.full(len(a), np.nan)

    avg_p, skill = nash_averaging(a)
    boot_avg = [nash_averaging(m, maxent=False) for m in boot]  # replicates are generic: one equilibrium
    boot_skill = np.stack([s for _, s in boot_avg])
    avg_support = np.mean([support(p) for p, _ in boot_avg], axis=0)
    skill_low, skill_high = _interval(boot_skill)

    profiles = None
    group = np.full(len(a), "all", dtype=object)
    if populations is None:
        mass = alpharank(a, alpha, population)
        boot_mass = alpharank(boot, alpha, population)
        ranks, boot_ranks = _rank(mass), _rank(boot_mass)
    else:
        mass, boot_mass, ranks, boot_ranks, profiles = _two_population(game, a, boot, populations, alpha,
                                                                       population)
        for role, members in populations.items():
            group[[game.players.index(p) for p in members]] = role
    mass_low, mass_high = _interval(boot_mass)
    rank_low, rank_high = _rank_interval(boot_ranks)

    frame = pd.DataFrame({
        "game": game.label, "player": game.players,
        "replicator": rest, "replicator_low": rest_low, "replicator_high": rest_high,
        "p_survive": (boot_rest > SURVIVAL).mean(axis=0),
        "nash": nash if nash is not None else np.full(len(a), np.nan),
        "p_nash_support": in_support,
        "nash_avg_mass": avg_p, "nash_avg_skill": skill, "skill_low": skill_low, "skill_high": skill_high,
        "p_nash_avg_support": avg_support,
        "alpharank": mass, "alpharank_low": mass_low, "alpharank_high": mass_high,
        "population": group, "alpharank_rank": ranks, "rank_low": rank_low.astype(int), "rank_high": rank_high.astype(int),
    })
    frame = frame.sort_values(["alpharank", "player"], ascending=[False, True]).reset_index(drop=True)
    return GameAnalysis(game, frame, (times, path), nash is not None, len(found) / max(samples, 1),
                        populations, profiles)


def _two_population(game: MetaGame, a: np.ndarray, boot: np.ndarray, populations: dict[str, list[str]],
                    alpha: float, population: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """alpha-Rank of the two-population game of a role-restricted league: per player its
    population's marginal mass and rank within the population (also per bootstrap replicate),
    and the profiles with their mass and CI."""
    (role1, first), (role2, second) = populations.items()
    i1 = [game.players.index(p) for p in first]
    i2 = [game.players.index(p) for p in second]
    row = a[np.ix_(i1, i2)]  # payoff of population 1's player against population 2's
    col = a[np.ix_(i2, i1)].T
    pm = alpharank_two_population(row, col, alpha, population)
    boot_pm = alpharank_two_population(boot[:, i1][:, :, i2], np.swapaxes(boot[:, i2][:, :, i1], -1, -2),
                                       alpha, population)
    n = len(game.players)
    mass, boot_mass = np.zeros(n), np.zeros((len(boot), n))
    ranks, boot_ranks = np.zeros(n, dtype=int), np.zeros((len(boot), n), dtype=int)
    for idx, axis in ((i1, -1), (i2, -2)):
        marginal, boot_marginal = pm.sum(axis=axis), boot_pm.sum(axis=axis)
        mass[idx], boot_mass[:, idx] = marginal, boot_marginal
        ranks[idx], boot_ranks[:, idx] = _rank(marginal), _rank(boot_marginal)
    low, high = _interval(boot_pm.reshape(len(boot), -1))
    profiles = pd.DataFrame({
        role1: np.repeat(first, len(second)), role2: np.tile(second, len(first)), "mass": pm.ravel(),
        "mass_low": low, "mass_high": high})
    profiles = profiles.sort_values(["mass", role1, role2], ascending=[False, True, True]).reset_index(drop=True)
    return mass, boot_mass, ranks, boot_ranks, profiles
