"""PNG plots of a run, written to ``RUN_DIR/plots``.

- ``scores.png``: each player's score with its 95 % confidence interval;
- ``pairwise.png``: the player x opponent heatmap;
- ``settings.png``: mean score per setting, one line per player;
- ``trace-<match>.png``: offers over time for both sides of a bilateral match and
  the agreement point (as Figure 3 of the Godfather paper); a match played
  without ``--trace`` is replayed from its seed with tracing on;
- ``learning.png``: learning curves of the players in matches that keep one
  (``details["curve"]``) or that hold many episodes (utility per episode).
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tourney.errors import TourneyError  # noqa: E402
from tourney.report import Tables, compute_tables  # noqa: E402
from tourney.schedule import iter_schedule  # noqa: E402
from tourney.store import iter_records  # noqa: E402

MIN_EPISODES_FOR_CURVE = 10


def make_plots(run_dir: Path, match_id: str | None = None) -> list[Path]:
    run_dir = Path(run_dir)
    tables = compute_tables(run_dir)
    out = run_dir / "plots"
    out.mkdir(exist_ok=True)
    paths = [score_bars(tables, out / "scores.png")]
    if not tables.pairwise.empty:
        paths.append(pairwise_heatmap(tables, out / "pairwise.png"))
    if tables.breakdown["setting"].nunique() > 1:
        paths.append(setting_lines(tables, out / "settings.png"))
    learning = learning_curves(run_dir, out / "learning.png")
    if learning:
        paths.append(learning)
    if match_id is None:
        match_id = _default_trace_match(run_dir)
    if match_id is not None:
        trace = negotiation_trace(run_dir, tables, match_id, out)
        if trace:
            paths.append(trace)
    return paths


def score_bars(tables: Tables, path: Path) -> Path:
    s = tables.scores.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(s) + 1.2))
    means = s["score"].to_numpy(dtype=float)
    low = np.nan_to_num(means - s["ci_low"].to_numpy(dtype=float))
    high = np.nan_to_num(s["ci_high"].to_numpy(dtype=float) - means)
    ax.barh(s["player"], means, xerr=[low, high], color="#4C72B0", capsize=3)
    ax.set_xlabel(f"{tables.league.scoring.aggregate} {tables.league.scoring.metric or 'score'} (95 % CI of the mean)")
    ax.set_title(f"{tables.league.name}: scores")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def pairwise_heatmap(tables: Tables, path: Path) -> Path:
    m = tables.pairwise
    fig, ax = plt.subplots(figsize=(max(5.0, 1.5 + 0.7 * len(m.columns)), max(3.5, 1.5 + 0.5 * len(m.index))))
    image = ax.imshow(m.to_numpy(dtype=float), cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(m.columns)), m.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(m.index)), m.index)
    for i in range(len(m.index)):
        for j in range(len(m.columns)):
            v = m.iat[i, j]
            if not (isinstance(v, float) and math.isnan(v)):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="white", fontsize=7)
    ax.set_xlabel("opponent")
    ax.set_ylabel("player")
    ax.set_title("mean score against each opponent")
    fig.colorbar(image, ax=ax)
    return _save(fig, path)


def setting_lines(tables: Tables, path: Path) -> Path:
    b = tables.breakdown.groupby(["setting", "player"])["mean"].mean().unstack("player")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for player in b.columns:
        ax.plot(range(len(b.index)), b[player], marker="o", label=player)
    ax.set_xticks(range(len(b.index)), b.index, rotation=30, ha="right")
    ax.set_ylabel("mean score")
    ax.set_title("score per setting")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _curves(record: dict[str, Any]) -> dict[str, tuple[list[Any], list[Any]]]:
    """role -> (x, y) learning curve of one match record, if it has one."""
    details = record.get("details") or {}
    curve = details.get("curve")
    if isinstance(curve, dict) and curve.get("episodes"):
        for key, value in curve.items():
            if isinstance(value, dict) and set(value) <= set(record["assignment"]):
                return {role: (curve["episodes"], ys) for role, ys in value.items()}
    episodes = details.get("episodes")
    if isinstance(episodes, list) and len(episodes) >= MIN_EPISODES_FOR_CURVE and isinstance(
            episodes[0].get("utility"), dict):
        xs = list(range(1, len(episodes) + 1))
        return {role: (xs, [e["utility"].get(role) for e in episodes]) for role in record["assignment"]}
    return {}


def learning_curves(run_dir: Path, path: Path) -> Path | None:
    sums: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in iter_records(run_dir):
        if record["status"] != "ok":
            continue
        for role, (xs, ys) in _curves(record).items():
            player = record["assignment"][role]
            for x, y in zip(xs, ys):
                if y is not None:
                    sums[player][x].append(y)
    if not sums:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for player, points in sorted(sums.items()):
        xs = sorted(points)
        ax.plot(xs, [float(np.mean(points[x])) for x in xs], label=player)
    ax.set_xlabel("episode")
    ax.set_ylabel("score (mean over matches)")
    ax.set_title("learning curves")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _default_trace_match(run_dir: Path) -> str | None:
    for record in iter_records(run_dir):
        if record["status"] == "ok" and record.get("world_type") == "bilateral":
            return str(record["id"])
    return None


def negotiation_trace(run_dir: Path, tables: Tables, match_id: str, out: Path) -> Path | None:
    record = next((r for r in iter_records(run_dir) if r["id"].startswith(match_id)), None)
    if record is None:
        raise TourneyError(f"no match with id {match_id!r} in {run_dir}")
    fig = trace_figure(tables, record)
    return None if fig is None else _save(fig, out / f"trace-{record['id'][:8]}.png")


def trace_figure(tables: Tables, record: dict[str, Any]) -> Figure | None:
    """Offers over time of a bilateral match record (replayed with traces if it has none), or None."""
    if record.get("world_type") != "bilateral":
        return None
    episodes = (record.get("details") or {}).get("episodes") or []
    if not episodes or "offers" not in episodes[0]:
        record = _replay_with_trace(tables, record["id"])
        episodes = record["details"]["episodes"]
    episode = episodes[0]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for role, color in (("buyer", "#4C72B0"), ("seller", "#DD8452")):
        points = [(step, price) for step, who, price in episode["offers"] if who == role]
        if points:
            ax.plot(*zip(*points), marker=".", color=color,
                    label=f"{role}: {record['assignment'][role]}")
        ip, rp = episode["prices"][role]
        ax.axhline(rp, color=color, ls=":", lw=1)
    if episode.get("agreement") is not None:
        last_step = max(step for step, _, _ in episode["offers"]) if episode["offers"] else episode["rounds"]
        ax.scatter([last_step], [episode["agreement"]], s=120, marker="*", color="black", zorder=5,
                   label=f"agreement {episode['agreement']}")
    ax.set_xlabel("round")
    ax.set_ylabel("price")
    ax.set_title(f"match {record['id'][:8]}: offers over time (dotted: reservation prices)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _replay_with_trace(tables: Tables, match_id: str) -> dict[str, Any]:
    """Play a match again from its seed with traces on (same seed, same moves)."""
    import os

    from tourney.supervisor import Isolation, close_all, supervisor_for

    match = next((m for m in iter_schedule(tables.league) if m.id == match_id), None)
    if match is None:
        raise TourneyError(f"match {match_id} is not in the league's schedule")
    fmt = tables.league.format
    try:  # in a player host, as in a run: a player's crash must not take the plot command with it
        record = supervisor_for(Isolation(memory_mb=fmt.memory_mb), os.getpid()).play(match, fmt.timeout, trace=True)
    finally:
        close_all()
    if not record.ok:
        raise TourneyError(f"replaying match {match_id} failed: {record.error}")
    return record.to_json()


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
