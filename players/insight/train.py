"""Learn a Q-table in the one-seller bidding world and save it, for the
exploit-only seller (the paper's "Q-learning exploit only" of Figure 3: the
greedy policy of a table learnt beforehand).

    python -m players.insight.train --price-range 11 100 --episodes 100000 \\
        --seed 11 --out results/insight-tables/one-seller-11-100.json

(``--never-raise`` learns with the seller's actions capped below its last offer.)

Training is one match of ``tourney.worlds.bidding.BiddingWorld`` with a
``QLearningSeller`` whose ``save_path`` is ``--out``; every draw derives from
``--seed``.
"""

from __future__ import annotations

from pathlib import Path

import click

from players.insight.qlearning import QLearningSeller
from tourney import play_match
from tourney.worlds.bidding import BiddingWorld


def train_one_seller(out: Path, price_range: tuple[int, int] = (11, 100), episodes: int = 100000,
                     seed: int = 0, impatience: float = 0.1, impatience_step: float = 0.1,
                     **q_params) -> dict:
    """Play one learning match, save the table to ``out``; return the match metrics."""
    low, high = price_range  # two prices (a list from the command line is fine)
    world = BiddingWorld(price_range=(low, high), episodes=episodes, impatience=impatience,
                         impatience_step=impatience_step, last_episodes=min(1000, episodes))
    record = play_match(world, {"seller": (QLearningSeller, {**q_params, "save_path": str(out)})}, seed)
    result = record.result()  # ValueError with the traceback if the match failed
    return {**result.roles["seller"], "pareto_efficiency_last": result.metrics["pareto_efficiency_last"]}


@click.command(name="insight")
@click.option("--price-range", nargs=2, type=int, default=(11, 100), show_default=True)
@click.option("--episodes", type=click.IntRange(min=1), default=100000, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--impatience", type=click.FloatRange(0, 1), default=0.1, show_default=True)
@click.option("--impatience-step", type=click.FloatRange(0, 1), default=0.1, show_default=True)
@click.option("--never-raise", is_flag=True,
              help="learn with the seller's actions capped below its last offer (players.insight.base)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def command(price_range, episodes, seed, impatience, impatience_step, never_raise, out):
    """Learn a one-seller INSIGHT Q-table and save it to OUT."""
    metrics = train_one_seller(out, price_range, episodes, seed, impatience, impatience_step,
                               never_raise=never_raise)
    click.echo(f"saved {out}: profit per buyer {metrics['profit']:.3f}, "
               f"last episodes {metrics['profit_last']:.3f} "
               f"({metrics['pareto_efficiency_last']:.1%} of the optimum)")


if __name__ == "__main__":
    command()
