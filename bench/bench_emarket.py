"""E-market speed: the full ANEGMA Hypothesis A sweep, run (not projected) by tourney.

Run: ``.venv/bin/python bench/bench_emarket.py [--sims 100] [--seller conceder] [-j 2]``.

1. Anchor, measured in the same run: CPU microseconds per negotiation step of
   one buyer-seller thread under negmas ``SAOMechanism`` and under the
   e-market loop (the same two Faratin negotiators), and their ratio.
2. The sweep: ``tourney run`` of a generated league -- CONAN against one
   seller tactic over all 81 settings (MD x MR x ZoA x t_end, Table 3),
   ``--sims`` simulations per setting (matches of ``--episodes`` simulations,
   ``sims / episodes`` repetitions) -- with ``-j`` workers. Printed: wall
   time, CPU seconds of the whole process tree, matches/s and simulations/s
   (by wall), the load average before and after, and the resident memory of
   the process tree sampled every second (peak over the second and the last
   quarter of the run, after the workers have started: equal within noise
   when memory is flat, as the match
   log is streamed to disk and nothing accumulates per match).

Target (issue 16, 3): 81 x 100 simulations in under 15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml
from negmas import SAOMechanism, make_issue

from players.emarket_base import IndependentThreadsBuyer
from players.faratin import TimeDependent
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.bilateral import FAST_SAO_OPTIONS
from tourney.worlds.emarket import EMarketWorld
from tourney.worlds.pricing import PriceUtility

SELLERS = ("conceder", "linear", "boulware", "relative-tft", "random-tft", "averaged-tft")


def sao_step_cost(n: int = 30, n_steps: int = 200) -> float:
    steps, seconds = 0, 0.0
    for i in range(n):
        mech = SAOMechanism(issues=[make_issue((0, 1000), "price")], n_steps=n_steps, **FAST_SAO_OPTIONS)
        mech.add(TimeDependent(beta=0.2), ufun=PriceUtility(300 + i, 500, outcome_space=mech.outcome_space))
        mech.add(TimeDependent(beta=0.2), ufun=PriceUtility(700, 480 + i, outcome_space=mech.outcome_space))
        started = time.process_time()
        state = mech.run()
        seconds += time.process_time() - started
        steps += state.step
    return 1e6 * seconds / steps


def loop_step_cost(n: int = 30) -> float:
    world = EMarketWorld(density=2, ratio=(1, 1), deadline=199.0, zoa=100, episodes=n,
                         competitor="random-buyer", seller_deadline="buyer")
    seats = {
        "buyer": Seat("buyer", "B", "threads-buyer", IndependentThreadsBuyer,
                      {"tactic": "players.faratin:TimeDependent", "tactic_params": {"beta": 0.2}}),
        "seller": Seat("seller", "S", "boulware", TimeDependent, {"beta": 0.2}),
    }
    started = time.process_time()
    result = world.play(seats, 1, MatchContext(1))
    seconds = time.process_time() - started
    steps = sum(e["rounds"] for e in result.details["episodes"])
    return 1e6 * seconds / steps


def sweep_league(sims: int, episodes: int, seller: str) -> dict:
    if sims % episodes:
        raise SystemExit(f"--sims {sims} must be a multiple of --episodes {episodes}")
    return {
        "name": "bench-emarket-sweep", "seed": 2020, "repetitions": sims // episodes,
        "worlds": [{"type": "emarket", "params": {"episodes": episodes},
                    "settings": {"md": ["H", "A", "L"], "mr": ["H", "A", "L"], "zoa": [100, 60, 10],
                                 "t_end": ["Lg", "A", "Sh"]}}],
        "players": [{"name": "CONAN", "type": "conan"}, {"name": "Seller", "type": seller}],
        "format": {"self_play": False, "both_roles": True, "timeout": 3600},
        "scoring": {"metric": "s_pct", "aggregate": "mean"},
    }


class TreeSampler(threading.Thread):
    """Resident memory (MB) and CPU seconds of a process and all its children, every ``period`` s."""

    def __init__(self, pid: int, period: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.period = period
        self.rss: list[tuple[float, float]] = []
        self.cpu: dict[int, float] = {}  # pid -> last CPU seconds seen (children gone keep theirs)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0.0
            for p in procs:
                try:
                    total += p.memory_info().rss
                    t = p.cpu_times()
                    self.cpu[p.pid] = t.user + t.system
                except psutil.NoSuchProcess:
                    continue
            self.rss.append((time.perf_counter(), total / 2**20))
            self.stop.wait(self.period)


def run_sweep(league: dict, jobs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-emarket-") as tmp:
        path = Path(tmp) / "sweep.yaml"
        path.write_text(yaml.safe_dump(league))
        out = Path(tmp) / "run"
        load_before = os.getloadavg()
        before = os.times()
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "tourney.cli", "run", str(path), "--out", str(out),
                                 "-j", str(jobs), "--quiet", "--fresh"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, err = proc.communicate()
        wall = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        after = os.times()
        load_after = os.getloadavg()
        if proc.returncode != 0:
            raise SystemExit(f"tourney run failed ({proc.returncode}): {err.strip()[-2000:]}")
        log = out / "matches.jsonl"
        lines = log.read_text().splitlines()
        import json

        records = [json.loads(x) for x in lines if x.strip()]
        ok = [r for r in records if r.get("status") == "ok"]
        sims = sum(len(r["details"]["episodes"]) for r in ok)
        deals = sum(e["success"] for r in ok for e in r["details"]["episodes"])
        # children's CPU as the OS accounts it once they are reaped (workers, hosts...)
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    rss = sampler.rss
    quarter = max(len(rss) // 4, 1)
    return {
        "wall": wall, "cpu": cpu, "matches": len(records), "ok": len(ok), "sims": sims, "deals": deals,
        "load": (load_before, load_after),
        "rss_first": max((m for _, m in rss[quarter:2 * quarter]), default=float("nan")),
        "rss_last": max((m for _, m in rss[-quarter:]), default=float("nan")),
        "rss_peak": max((m for _, m in rss), default=float("nan")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=100, help="simulations per setting (default 100)")
    parser.add_argument("--episodes", type=int, default=25, help="simulations per match")
    parser.add_argument("--seller", default="conceder", choices=SELLERS)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    sao, loop = sao_step_cost(), loop_step_cost()
    print(f"anchor, one thread, CPU per step: SAOMechanism {sao:.1f} us, e-market loop {loop:.1f} us "
          f"(ratio {sao / loop:.1f}x; the loop's figure includes both players' own work)", flush=True)
    r = run_sweep(sweep_league(args.sims, args.episodes, args.seller), args.jobs)
    (l1, l5, l15), (a1, a5, a15) = r["load"]
    minutes = r["wall"] / 60
    verdict = (f"target < 15 min on 2 cores: {'met' if minutes < 15 else 'NOT met'}" if args.sims >= 100 else
               f"a partial sweep; the target is 81 x 100, ~{81 * 100 / max(r['sims'], 1) * r['cpu'] / args.jobs / 60:.1f}"
               f" min of {args.jobs} free cores at this CPU rate")
    print(f"CONAN vs {args.seller}: 81 settings x {args.sims} simulations, tourney run -j {args.jobs}: "
          f"{r['matches']} matches ({r['ok']} ok), {r['sims']} simulations ({r['deals']} deals) in "
          f"{r['wall']:.1f} s wall = {minutes:.1f} min ({verdict}); {r['cpu']:.1f} CPU s of the process tree "
          f"({r['cpu'] / max(r['sims'], 1) * 1000:.1f} ms per simulation)")
    print(f"  {r['matches'] / r['wall']:.2f} matches/s, {r['sims'] / r['wall']:.2f} simulations/s by wall; "
          f"{r['sims'] / max(r['cpu'], 1e-9):.2f} simulations per CPU second")
    print(f"  load average before {l1:.2f} {l5:.2f} {l15:.2f}, after {a1:.2f} {a5:.2f} {a15:.2f} "
          f"(a loaded machine stretches wall time; CPU seconds / {args.jobs} is the quiet-machine floor: "
          f"{r['cpu'] / args.jobs / 60:.1f} min)")
    print(f"  resident memory of the process tree: peak {r['rss_peak']:.0f} MB; second quarter {r['rss_first']:.0f} MB, "
          f"last quarter {r['rss_last']:.0f} MB")


if __name__ == "__main__":
    main()
