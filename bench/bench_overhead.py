"""Runner overhead (issue 16, target 5): what tourney costs per match outside the world's ``play``.

A 10-step bilateral match between tourney's own Boulware and Conceder (one
episode) costs well under a millisecond, so everything around it shows. The
same ``--matches`` matches (a league of every ordered pair of the two players
x both zones x repetitions) are played, interleaved round by round, in one
process on one core:

- ``play``: the anchor. ``world.play`` alone for each match (world built from
  the match's params, seats resolved once, globals seeded): the match itself.
- ``play_match``: the worker's ``play_match`` in process (acting-seat guard,
  time limit, result checks, the record), no host, no log.
- ``run -j 1``: ``tourney.runner.run_league`` with ``jobs=1``: the schedule,
  the supervisor and its player host (a forked process, one socket round
  trip per match), the match log, the manifest; fsync per record
  (``group_commit_ms=0``) and with the group commit the runner picks by itself
  (``auto``), one match per host message (``--batch 1``) and with the batches
  the runner picks from the measured match length (``--batch auto``, the default).

Prints wall and CPU ms per match (CPU: this process and its reaped children,
so the host's CPU counts once it is closed at the end of each run) and each
row's overhead over the anchor in per cent of the anchor (target: under 5 %
for ``run -j 1``), with the load average.

Run: ``.venv/bin/python bench/bench_overhead.py [--matches 1200] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LEAGUE = """name: overhead
seed: 3
repetitions: {reps}
worlds:
  - type: bilateral
    params: {{n_steps: 10, episodes: 1}}
    settings: {{zoa: [100, 10]}}
players:
  - {{name: Boulware, type: boulware}}
  - {{name: Conceder, type: conceder}}
format: {{self_play: false, both_roles: true, timeout: 60}}
"""


def cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def play_only(matches) -> None:
    from tourney import acting
    from tourney.registry import resolve_player, world_class
    from tourney.seeding import seed_globals
    from tourney.worlds.base import MatchContext, Seat

    classes = {}
    for m in matches:
        seats = {}
        for s in m.seats:
            if s.type_name not in classes:
                classes[s.type_name] = resolve_player(s.type_name, m.world_type).cls
            seats[s.role] = Seat(s.role, s.player, s.type_name, classes[s.type_name], dict(s.params))
        acting.set_roles([s.role for s in m.seats])
        seed_globals(m.seed)
        world = world_class(m.world_type)(**m.world_params)
        world.play(seats, m.seed, MatchContext(m.seed))


def play_records(matches) -> None:
    from tourney.worker import play_match

    for m in matches:
        record = play_match(m, 60.0)
        assert record.ok, record.error


def run_j1(league, tmp: Path, group_commit: str, batch: str = "auto") -> None:
    from tourney.runner import run_league

    out = tmp / f"run-{group_commit}-{batch}-{time.perf_counter_ns()}"
    ms = "auto" if group_commit == "auto" else float(group_commit)
    summary = run_league(league, out, jobs=1, backend="loky", fresh=True, progress=False, group_commit_ms=ms,
                         batch=batch if batch == "auto" else int(batch))
    assert summary.statuses.get("ok") == summary.played, summary.statuses


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--matches", type=int, default=1200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    from tourney.league import load_league
    from tourney.schedule import build_schedule

    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        tmp = Path(tmp)
        league_path = tmp / "overhead.yaml"
        league_path.write_text(LEAGUE.format(reps=max(1, args.matches // 4)))
        league = load_league(league_path)
        matches = build_schedule(league)
        n = len(matches)
        variants = {
            "play (anchor)": lambda: play_only(matches),
            "play_match": lambda: play_records(matches),
            "run -j 1, fsync per record, batch 1": lambda: run_j1(league, tmp, "0", "1"),
            "run -j 1, group commit auto, batch 1": lambda: run_j1(league, tmp, "auto", "1"),
            "run -j 1, group commit auto, batch auto (default)": lambda: run_j1(league, tmp, "auto", "auto"),
        }
        play_only(matches[:20])  # imports and first-call costs, out of every row
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
        load = [os.getloadavg()[0]]
        for _ in range(args.rounds):
            for name, fn in variants.items():
                w0, c0 = time.perf_counter(), cpu()
                fn()
                times[name].append((time.perf_counter() - w0, cpu() - c0))
        load.append(os.getloadavg()[0])

    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in times.items()}
    anchor_w, anchor_c = best["play (anchor)"]
    print(f"{n} matches (10-step bilateral, Boulware vs Conceder), best of {args.rounds} rounds; "
          f"load average {load[0]:.2f} at start, {load[1]:.2f} at end ({os.cpu_count()} cores)")
    print()
    print("| variant | wall ms/match | CPU ms/match | overhead, wall | overhead, CPU |")
    print("|---|---:|---:|---:|---:|")
    rows = {}
    for name, (w, c) in best.items():
        rows[name] = {"wall_ms": 1000 * w / n, "cpu_ms": 1000 * c / n,
                      "overhead_wall_pct": 100 * (w - anchor_w) / anchor_w,
                      "overhead_cpu_pct": 100 * (c - anchor_c) / anchor_c}
        r = rows[name]
        print(f"| {name} | {r['wall_ms']:.3f} | {r['cpu_ms']:.3f} | {r['overhead_wall_pct']:+.1f} % | "
              f"{r['overhead_cpu_pct']:+.1f} % |")
    if args.json:
        args.json.write_text(json.dumps({"matches": n, "load": load, "rows": rows, "raw": times}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
