"""``tourney train ddpg``: DDPG training from a league file, and evaluation.

The league names the world(s) and settings to train in and the opponents (the
league players that can take the non-buyer roles); a player of type ``ddpg``
in it, if any, gives the trainee's hyper-parameters. Training plays matches
of the league's worlds directly (no runner: one learner carries over from match
to match, in this process), ``episodes_per_match`` negotiations each, cycling
through every (setting, opponent) pair in a seeded order, until ``episodes``
negotiations have been played. Seeds derive from ``seed`` and the match
index, torch is deterministic on one thread, so the same command writes the
same checkpoint bytes.

``--init``: ``random`` (ANEGMA(RL)), a shipped name (``ann-c``, ``ann-w``) or
a path. Writes the checkpoint to ``--out`` and the learning curve (mean
utility of the trainee per training match, exploring) to ``--out`` with
``.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from tourney.errors import LeagueError
from tourney.params import signature_params
from tourney.seeding import derive_seed, make_rng

TRAINEE_ROLE = "buyer"


def _ddpg_class_for(world_type: str) -> type:
    from tourney.registry import resolve_player

    resolved = resolve_player("ddpg", world_type)
    if resolved is None:
        raise LeagueError(f"the ddpg player cannot play world '{world_type}'")
    return resolved.cls


def _bind(cls: type, learner) -> type:
    """A subclass of the player whose every instance shares ``learner``."""

    class Bound(cls):  # type: ignore[misc, valid-type]
        def make_learner(self):
            return learner

    Bound.__name__ = Bound.__qualname__ = f"Bound{cls.__name__}"
    return Bound


def _opponents(league, world) -> dict[str, list]:
    """role -> league players that can take it (every role but the trainee's)."""
    from tourney.registry import world_class

    roles = [r for r in world_class(world.type).roles if r != TRAINEE_ROLE]
    out: dict[str, list] = {}
    for role in roles:
        out[role] = [p for p in league.players
                     if p.type != "ddpg" and (r := league.resolved.get((p.name, world.index))) is not None
                     and role in r.roles]
        if not out[role]:
            raise LeagueError(f"{league.path}: no player can take the '{role}' role of world '{world.label}'")
    return out


def training_plan(league, seed: int) -> list[dict[str, Any]]:
    """Every (world, setting, opponents) combination, in a seeded order."""
    plan = []
    for world in league.worlds:
        opponents = _opponents(league, world)
        combos: list[dict[str, Any]] = [{}]
        for role, players in opponents.items():
            combos = [{**c, role: p} for c in combos for p in players]
        for setting in world.setting_grid():
            for combo in combos:
                plan.append({"world": world, "setting": setting, "opponents": combo})
    order = make_rng(derive_seed(seed, "plan")).permutation(len(plan))
    return [plan[i] for i in order]


def trainee_params(league) -> dict[str, Any]:
    for p in league.players:
        if p.type == "ddpg":
            return dict(p.params)
    return {}


def play_training_match(item: dict[str, Any], player_cls: type, params: dict[str, Any],
                        episodes: int, seed: int) -> dict[str, Any]:
    """One match of the trainee against ``item``'s opponents; returns the result as a dict."""
    from tourney import play_match
    from tourney.registry import world_class
    from tourney.schedule import SeatSpec

    world_entry = item["world"]
    world_cls = world_class(world_entry.type)
    wparams = {**world_entry.params, **item["setting"]}
    if "episodes" in signature_params(world_cls)[0]:
        wparams["episodes"] = episodes
    seats: dict[str, Any] = {TRAINEE_ROLE: (player_cls, params)}
    for role, p in item["opponents"].items():  # league params: presets already applied
        seats[role] = SeatSpec(role, p.name, p.type, dict(p.params))
    record = play_match(world_cls(**wparams), seats, seed)
    if not record.ok:
        raise RuntimeError(f"training match failed ({record.status}, blamed {record.blamed_role}): {record.error}")
    return {"score": record.score(TRAINEE_ROLE), "roles": record.roles,
            "metrics": record.metrics, "details": record.details}


def train(league_path: str | Path, init: str, episodes: int, seed: int = 0,
          episodes_per_match: int = 10, progress: bool = True,
          on_match: Callable[[int, dict], None] | None = None) -> tuple[Any, dict[str, Any]]:
    """Train a learner; returns (learner, meta with the learning curve)."""
    from tqdm import tqdm

    from players.ddpg.learner import DDPGLearner
    from tourney.league import load_league

    league = load_league(league_path)
    params = trainee_params(league)
    params.update(learn=True, seed=derive_seed(seed, "trainee"),
                  checkpoint=None if init == "random" else init)
    plan = training_plan(league, seed)
    world_types = sorted({item["world"].type for item in plan})
    classes = {wt: _ddpg_class_for(wt) for wt in world_types}
    # One learner for every world: built by the first class, from the checkpoint or the seed.
    probe = classes[world_types[0]](**params)
    learner: DDPGLearner = probe.make_learner()
    bound = {wt: _bind(cls, learner) for wt, cls in classes.items()}
    curve: list[float] = []
    done, index = 0, 0
    bar = tqdm(total=episodes, desc="ddpg", unit="ep", disable=not progress, leave=False)
    try:
        while done < episodes:
            item = plan[index % len(plan)]
            n = min(episodes_per_match, episodes - done)
            out = play_training_match(item, bound[item["world"].type], params, n,
                                      derive_seed(seed, "train", index))
            curve.append(round(out["score"], 6))
            if on_match is not None:
                on_match(index, out)
            done += n
            index += 1
            bar.update(n)
            bar.set_postfix(score=f"{out['score']:.3f}", refresh=False)
    finally:
        bar.close()
    meta = {"init": init, "episodes": episodes, "seed": seed, "league": league.name,
            "episodes_per_match": episodes_per_match, "curve": curve}
    return learner, meta


def evaluate(league_path: str | Path, checkpoint: str | None, episodes: int, seed: int = 0,
             learn: bool = False, episodes_per_match: int = 10, player_seed: int = 0) -> dict[str, float]:
    """Mean trainee score over ``episodes`` negotiations of the league's plan (greedy unless ``learn``)."""
    from tourney.league import load_league

    league = load_league(league_path)
    params = trainee_params(league)
    params.update(learn=learn, seed=player_seed, checkpoint=checkpoint)
    plan = training_plan(league, seed)
    scores, weights, done, index = [], [], 0, 0
    while done < episodes:
        item = plan[index % len(plan)]
        n = min(episodes_per_match, episodes - done)
        cls = _ddpg_class_for(item["world"].type)
        out = play_training_match(item, cls, params, n, derive_seed(seed, "eval", index))
        scores.append(out["score"] * n)
        weights.append(n)
        done += n
        index += 1
    return {"score": sum(scores) / sum(weights), "episodes": done}


def plot_curve(curve: list[float], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, len(curve) + 1), curve, lw=0.8, alpha=0.5, label="per match")
    if len(curve) >= 5:
        k = max(len(curve) // 10, 3)
        smooth = [sum(curve[max(0, i - k + 1): i + 1]) / len(curve[max(0, i - k + 1): i + 1])
                  for i in range(len(curve))]
        ax.plot(range(1, len(curve) + 1), smooth, lw=1.8, label=f"mean of last {k}")
    ax.set_xlabel("training match")
    ax.set_ylabel("trainee utility (exploring)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(league: str | Path, init: str, episodes: int, out: str | Path, seed: int = 0,
         episodes_per_match: int = 10, teacher: str | None = None, progress: bool = True,
         plot: bool = True) -> Path:
    """Train and write the checkpoint (and its learning-curve PNG); returns the checkpoint path.

    With ``teacher`` (``conan`` or ``williams``) this is supervised pre-training
    instead: ``episodes`` teacher negotiations are traced in the league's worlds
    and the ANN is fitted to them (``players.ddpg.supervised``).
    """
    from players.ddpg import checkpoint as ckpt

    out = Path(out)
    if teacher is not None:
        from players.ddpg.supervised import pretrain

        weights, hidden, meta = pretrain(league, teacher, episodes, seed=seed, progress=progress)
        path = ckpt.save(out, weights, hidden, meta)
        if plot:
            plot_curve(meta["loss_curve"], out.with_suffix(".png"), f"{out.stem}: supervised loss")
        return path
    if init not in ("random",):
        ckpt.resolve(init)  # fail before training on a bad name
    learner, meta = train(league, init, episodes, seed=seed, episodes_per_match=episodes_per_match,
                          progress=progress)
    path = ckpt.save(out, learner.weights(), learner.hidden, meta)
    if plot:
        plot_curve(meta["curve"], out.with_suffix(".png"), f"{out.stem}: DDPG from {init}")
    return path


@click.command("ddpg")
@click.option("--league", "league", required=True, type=click.Path(exists=True, dir_okay=False),
              help="League file naming the worlds, settings and opponents to train against.")
@click.option("--init", default="random", show_default=True,
              help="random, a shipped checkpoint name (ann-c, ann-w) or a path.")
@click.option("--episodes", type=click.IntRange(min=1), default=500, show_default=True,
              help="Negotiations to learn from (teacher negotiations with --teacher).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Checkpoint file to write (.pt).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--episodes-per-match", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--teacher", type=click.Choice(["conan", "williams"]), default=None,
              help="Supervised pre-training (ANN-C/ANN-W) from this teacher's traces instead of DDPG.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(league, init, episodes, out, seed, episodes_per_match, teacher, quiet):
    """Train the ANEGMA DDPG buyer and write a checkpoint and its learning curve."""
    from players.ddpg.checkpoint import CheckpointError

    try:
        path = main(league, init, episodes, out, seed=seed, episodes_per_match=episodes_per_match,
                    teacher=teacher, progress=not quiet)
    except CheckpointError as exc:
        raise click.BadParameter(str(exc), param_hint="--init") from None
    click.echo(f"wrote {path} ({path.stat().st_size // 1024} KB)")
