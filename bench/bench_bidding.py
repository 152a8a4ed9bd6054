"""The bidding-world benchmark of issue 5: how fast a match plays, and what the
runner adds on top.

1. Episodes per second of ``World.play`` called directly, for the sellers the
   INSIGHT leagues use (heuristic, random and Q-learning in the one-seller game,
   two Q-learners in the two-seller game), 11-100 and 10-30 price ranges.
2. The same matches through ``tourney run -j JOBS`` on a generated league,
   timed as a subprocess (start-up, scoring and report included), against the
   direct sequential time divided by the jobs.

Targets: every direct match >= 10,000 episodes/s (a paper-sized 30,000-buyer
match in under 3 s), and ``tourney run`` within 1.5x of (direct time / jobs)
plus 15 s of start-up and report. Exit 1 when a target is missed.

    python bench/bench_bidding.py [--jobs 2] [--episodes 30000] [--reps 4]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tourney.registry import resolve_player
from tourney.seeding import derive_seed
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.bidding import BiddingWorld, TwoSellerBiddingWorld

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    ("one seller 11-100, heuristic", BiddingWorld, (11, 100), [("descent-arithmetic", {"descent": 40})]),
    ("one seller 11-100, random", BiddingWorld, (11, 100), [("insight-random", {})]),
    ("one seller 11-100, Q-learning", BiddingWorld, (11, 100), [("qlearning", {})]),
    ("two sellers 10-30, Q vs Q", TwoSellerBiddingWorld, (10, 30), [("qlearning", {}), ("qlearning", {})]),
]


def direct(episodes: int, reps: int) -> tuple[float, list[str], bool]:
    total, lines, ok = 0.0, [], True
    for label, world_cls, price_range, players in CASES:
        world = world_cls(price_range=price_range, episodes=episodes)
        seconds = []
        for rep in range(reps):
            seats = {}
            for role, (type_name, params) in zip(world_cls.roles, players):
                resolved = resolve_player(type_name, world_cls.name)
                seats[role] = Seat(role, type_name, type_name, resolved.cls, {**resolved.defaults, **params})
            seed = derive_seed(1, label, rep)
            started = time.perf_counter()
            world.play(seats, seed, MatchContext(seed))
            seconds.append(time.perf_counter() - started)
        total += sum(seconds)
        rate = episodes * reps / sum(seconds)
        ok &= rate >= 10000
        lines.append(f"{label:34s} {rate:10,.0f} episodes/s {'ok' if rate >= 10000 else 'BELOW 10,000'}")
    return total, lines, ok


def through_tourney(episodes: int, reps: int, jobs: int) -> float:
    worlds = [{"type": cls.name, "params": {"price_range": list(pr), "episodes": episodes}}
              for _, cls, pr, _ in CASES[:1] + CASES[3:]]
    league = {
        "name": "bench-bidding", "seed": 1, "repetitions": reps, "worlds": worlds,
        "players": [{"name": "Heuristic", "type": "descent-arithmetic", "params": {"descent": 40}},
                    {"name": "Random", "type": "insight-random"},
                    {"name": "Q", "type": "qlearning"}],
        "format": {"both_roles": False, "timeout": 600},
        "scoring": {"metric": "profit"},
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "league.yaml"
        path.write_text(yaml.safe_dump(league))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tourney.cli", "run", str(path), "-j", str(jobs),
                        "--out", str(Path(tmp) / "run"), "--quiet"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


def direct_league_time(episodes: int, reps: int) -> float:
    """Sequential time of the league ``through_tourney`` plays."""
    total = 0.0
    names = ["descent-arithmetic", "insight-random", "qlearning"]
    params = {"descent-arithmetic": {"descent": 40}}
    for world_cls, price_range, groups in ((BiddingWorld, (11, 100), [[n] for n in names]),
                                           (TwoSellerBiddingWorld, (10, 30),
                                            [[a, b] for i, a in enumerate(names) for b in names[i + 1:]])):
        world = world_cls(price_range=price_range, episodes=episodes)
        for group in groups:
            for rep in range(reps):
                seats = {}
                for role, name in zip(world_cls.roles, group):
                    cls = resolve_player(name, world_cls.name).cls
                    seats[role] = Seat(role, name, name, cls, params.get(name, {}))
                started = time.perf_counter()
                world.play(seats, rep, MatchContext(rep))
                total += time.perf_counter() - started
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--episodes", type=int, default=30000)
    parser.add_argument("--reps", type=int, default=4)
    args = parser.parse_args()
    _, lines, ok = direct(args.episodes, args.reps)
    print(f"bidding worlds, {args.episodes} episodes per match, {args.reps} matches each:")
    print("\n".join("  " + line for line in lines))
    sequential = direct_league_time(args.episodes, args.reps)
    wall = through_tourney(args.episodes, args.reps, args.jobs)
    limit = 1.5 * sequential / args.jobs + 15.0
    print(f"league of {6 * args.reps} matches: direct sequential {sequential:.1f} s, "
          f"tourney run -j {args.jobs} {wall:.1f} s (target <= {limit:.1f} s: "
          f"{'ok' if wall <= limit else 'MISSED'})")
    return 0 if ok and wall <= limit else 1


if __name__ == "__main__":
    sys.exit(main())
