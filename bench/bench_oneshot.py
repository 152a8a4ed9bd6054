"""Where the time of one SCML 2021 OneShot world goes (issue 20, step 1).

One market drawn as ``leagues/godfather.yaml`` draws it (scml's
``anac2021_oneshot`` parameters: 2 levels of 5-6 factories, 20 rounds),
``--days`` days, the nine competitors of the Godfather league in one rotation,
played by ``tourney.play_match`` in this process; then the same market with
every competitor factory given to scml's own ``GreedyOneShotAgent`` (the anchor:
scml's world step with cheap agents, measured in the same run).

Printed, for the lineup, for the lineup without tourney's blame guard
(``tourney.acting.guard`` off: bare scml agents) and for the anchor: process
CPU seconds of the match, of ``world.run`` and of tourney around it; CPU
seconds per world-day; the ratios. Lineup minus anchor is what our agents
cost over scml's cheapest; guarded minus unguarded is tourney's share inside
the world. (negmas' ``world.times`` stays empty in scml 0.8's OneShot
worlds, so agents are timed by substitution, not by call.)

Run: ``.venv/bin/python bench/bench_oneshot.py [--days 100] [--seed 7] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

LINEUP = ["godfather", "godfather-gbm", "better-2021", "learning-2021", "adaptive-2021", "simple-2021",
          "greedy-sync", "greedy-single", "greedy-oneshot"]


def play(types: list[str], days: int, seed: int, guarded: bool = True) -> dict[str, Any]:
    """One world; ``guarded=False`` skips tourney's blame guard on the agents (bare scml)."""
    from tourney import acting, play_match
    from tourney.worlds.oneshot import SLOTS, OneShotWorld

    captured: list[Any] = []
    original = OneShotWorld.world_class

    def capturing_class(self: OneShotWorld) -> type:
        base = original(self)

        class Capturing(base):  # type: ignore[misc, valid-type]
            def run(self) -> None:
                captured.append(self)
                started = time.process_time()
                super().run()
                self.run_cpu = time.process_time() - started

        return Capturing

    OneShotWorld.world_class = capturing_class  # type: ignore[method-assign]
    guard = acting.guard
    if not guarded:
        acting.guard = lambda obj, role: obj
    world = OneShotWorld(year=2021, n_steps=days, n_processes=2, n_agents_per_process=(5, 6), neg_n_steps=20,
                         rotations=1)
    seats = dict(zip(SLOTS, types))
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        record = play_match(world, seats, seed)
    finally:
        OneShotWorld.world_class = original  # type: ignore[method-assign]
        acting.guard = guard
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert record.ok, record.error
    w = captured[0]
    summary = record.result().details["worlds"][0]
    return {"cpu": cpu, "wall": wall, "run_cpu": w.run_cpu, "days": days, "scores": summary["scores"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    ours = play(LINEUP, args.days, args.seed)
    bare = play(LINEUP, args.days, args.seed, guarded=False)
    anchor = play(["greedy-oneshot"] * len(LINEUP), args.days, args.seed)
    print(f"one SCML 2021 OneShot world, {args.days} days, 9 competitors (load average {load:.1f})")
    runs = (("Godfather league lineup", ours), ("the same without tourney's blame guard", bare),
            ("anchor: all GreedyOneShotAgent", anchor))
    for name, r in runs:
        tourney = r["cpu"] - r["run_cpu"]
        print(f"\n{name}: match {r['cpu']:.1f} CPU s ({r['wall']:.1f} wall s), world.run {r['run_cpu']:.1f} "
              f"CPU s, tourney around it {tourney:.1f} CPU s; {r['run_cpu'] / r['days']:.3f} CPU s per world-day")
    print(f"\nratio: our world-day / anchor world-day = {ours['run_cpu'] / anchor['run_cpu']:.2f}; "
          f"guarded / unguarded = {ours['run_cpu'] / bare['run_cpu']:.2f}; "
          f"same scores unguarded: {ours['scores'] == bare['scores']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"load": load, "ours": ours, "unguarded": bare, "anchor": anchor}, fh, indent=2)


if __name__ == "__main__":
    main()
