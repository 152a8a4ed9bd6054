"""Plots of an analysis (matplotlib figures; the caller saves them)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tourney.analysis.analyze import Analysis, GameAnalysis  # noqa: E402


def alpharank_bars(g: GameAnalysis) -> Figure:
    f = g.players.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(f) + 1.3))
    mass = f["alpharank"].to_numpy(dtype=float)
    err = [np.nan_to_num(mass - f["alpharank_low"].to_numpy(dtype=float)).clip(0),
           np.nan_to_num(f["alpharank_high"].to_numpy(dtype=float) - mass).clip(0)]
    labels = f["player"] + (" (" + f["population"] + ")" if g.populations else "")
    ax.barh(labels, mass, xerr=err, color="#55A868", capsize=3)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("alpha-Rank mass in its population (95 % bootstrap CI)" if g.populations
                  else "alpha-Rank mass (95 % bootstrap CI)")
    ax.set_title(f"alpha-Rank, {g.game.label}")
    ax.grid(axis="x", alpha=0.3)
    return fig


def replicator_paths(g: GameAnalysis) -> Figure:
    times, path = g.trajectory
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, player in enumerate(g.game.players):
        ax.plot(times, path[:, k], label=player)
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel("time (payoffs rescaled to [0, 1])")
    ax.set_ylabel("population share")
    ax.set_title(f"replicator dynamics from the uniform population, {g.game.label}")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    return fig


def rating_bars(a: Analysis) -> Figure:
    r = a.ratings.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(r) + 1.3))
    elo = r["elo"].to_numpy(dtype=float)
    err = [np.nan_to_num(elo - r["elo_low"].to_numpy(dtype=float)).clip(0),
           np.nan_to_num(r["elo_high"].to_numpy(dtype=float) - elo).clip(0)]
    ax.errorbar(elo, r["player"], xerr=err, fmt="o", color="#C44E52", capsize=3)
    ax.axvline(1500, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("Bradley-Terry strength on the Elo scale (95 % bootstrap CI)")
    ax.set_title("ratings")
    ax.grid(axis="x", alpha=0.3)
    return fig
