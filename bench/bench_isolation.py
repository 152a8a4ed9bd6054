"""The cost of isolation (issue 13) per match, on the bilateral benchmark's matches.

The matches of ``bench_bilateral.py`` (six negmas negotiators, every ordered
pair with self-play, five price scenarios, both openers, ``n_steps = 100``),
played one after the other in one core, four ways, interleaved in rounds so
that a change in the machine's load hits every variant alike:

1. ``bare``: ``tourney.worker.play_match`` in this process with the acting-seat
   guard switched off (the per-match work before issue 13: the anchor);
2. ``guarded``: the same with the guard on (the acting-seat bookkeeping: every
   call into a player writes the slot);
3. ``supervised``: through a ``Supervisor`` (what ``tourney run`` does for
   every match): bookkeeping, the round trip to the player host and the
   external watchdog (wall clock, memory and host life polled every 0.1 s);
4. ``process``: ``format: {isolation: process}``, a fresh host forked for
   every match (run as root: each host drops to a user of its own, and its
   user's processes are killed when it is retired, ``tourney.sandbox``);
5. ``process_nodrop``: the same with the privilege drop switched off, so
   ``process - process_nodrop`` is what dropping privileges costs a host.

Each variant's time per match is the median over rounds of (round time /
matches); ratios are against ``bare`` from the same run. Targets (issue 13):
``guarded`` and ``supervised`` under 1.03x. A micro-benchmark gives the cost of
one guarded call and of one slot write.

Run: ``.venv/bin/python bench/bench_isolation.py [--reps 1] [--rounds 5] [--matches 120]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def matches(reps: int, limit: int) -> list:
    from bench_bilateral import league_text

    from tourney.league import load_league
    from tourney.schedule import iter_schedule

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(league_text(reps))
        league = load_league(path)
    schedule = list(iter_schedule(league))
    step = max(1, len(schedule) // limit)  # an even spread over pairs, scenarios and openers
    return schedule[::step][:limit]


def micro(n: int = 200_000) -> dict[str, float]:
    """ns per guarded call (minus a plain call) and per slot write."""
    from tourney import acting
    from tourney.acting import ActingSlot

    slot = ActingSlot()
    acting.install(slot)
    acting.set_roles(["buyer"])

    class Player:
        def propose(self, x):
            return x

    plain, guarded = Player(), acting.guard(Player(), "buyer")
    assert type(guarded).__name__ == "Player" and type(guarded) is not Player

    def timed(fn) -> float:
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        return best / n * 1e9

    propose_plain, propose_guarded = plain.propose, guarded.propose
    memory = slot.memory

    def calls_plain():
        for i in range(n):
            propose_plain(i)

    def calls_guarded():
        for i in range(n):
            propose_guarded(i)

    def writes():
        for i in range(n):
            memory[0] = 1

    def loop():
        for i in range(n):
            pass

    base = timed(loop)
    return {"plain_call_ns": timed(calls_plain) - base, "guarded_call_ns": timed(calls_guarded) - base,
            "slot_write_ns": timed(writes) - base}


def host_costs(n: int = 30, rounds: int = 3) -> dict[str, float]:
    """Median ms of: a fork that exits, a fork that drops privileges then exits (as root), and one
    ``sandbox.kill_user`` (the extra fork that retires a dropped host), from this worker-sized process."""
    from tourney import sandbox

    def fork_once(drop: bool) -> float:
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            if drop:
                sandbox.drop_privileges()
            os._exit(0)
        os.waitpid(pid, 0)
        return time.perf_counter() - started

    def kill_once() -> float:
        started = time.perf_counter()
        sandbox.kill_user(sandbox.host_uid(sandbox.PID_SPAN - 1))  # a user nothing runs as
        return time.perf_counter() - started

    samples: dict[str, list[float]] = {"fork_ms": [], "fork_drop_ms": [], "kill_user_ms": []}
    for _ in range(rounds):  # interleaved, so load changes hit all three alike
        samples["fork_ms"] += [fork_once(False) for _ in range(n)]
        samples["fork_drop_ms"] += [fork_once(True) for _ in range(n)]
        samples["kill_user_ms"] += [kill_once() for _ in range(n)]
    return {k: round(statistics.median(v) * 1e3, 2) for k, v in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--matches", type=int, default=120, help="matches per round (spread over the schedule)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    from tourney import acting
    from tourney.supervisor import Isolation, Supervisor
    from tourney.worker import play_match

    work = matches(args.reps, args.matches)
    real_guard = acting.guard
    worker_sup = Supervisor(Isolation())
    process_sup = Supervisor(Isolation(fresh_per_match=True))

    def bare(m):
        acting.guard = lambda obj, role: obj
        try:
            return play_match(m, 300)
        finally:
            acting.guard = real_guard

    from tourney import sandbox

    real_can_drop = sandbox.can_drop
    nodrop_sup = Supervisor(Isolation(fresh_per_match=True))

    def process_nodrop(m):
        sandbox.can_drop = lambda: False  # read by the host after the fork, and by its supervisor
        try:
            return nodrop_sup.play(m, 300)
        finally:
            sandbox.can_drop = real_can_drop

    variants = {
        "bare": bare,
        "guarded": lambda m: play_match(m, 300),
        "supervised": lambda m: worker_sup.play(m, 300),
        "process": lambda m: process_sup.play(m, 300),
        "process_nodrop": process_nodrop,
    }
    outcomes: dict[str, list] = {}
    for name, play in variants.items():  # warm-up round: imports, first hosts; also checks outcomes agree
        outcomes[name] = [(r.status, r.roles) for r in map(play, work)]
    for name in variants:
        assert outcomes[name] == outcomes["bare"], f"{name} played different matches than bare"
    per_match: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, play in variants.items():
            started = time.perf_counter()
            for m in work:
                play(m)
            per_match[name].append((time.perf_counter() - started) / len(work))
    worker_sup.close()
    process_sup.close()
    nodrop_sup.close()

    anchor = statistics.median(per_match["bare"])
    result = {
        "matches_per_round": len(work), "rounds": args.rounds, "load_average": os.getloadavg(),
        "ms_per_match": {k: round(statistics.median(v) * 1e3, 3) for k, v in per_match.items()},
        "ratio_vs_bare": {k: round(statistics.median(v) / anchor, 4) for k, v in per_match.items()},
        "ms_per_match_all_rounds": {k: [round(x * 1e3, 3) for x in v] for k, v in per_match.items()},
        "micro": {k: round(v, 1) for k, v in micro().items()},
        "host_costs": host_costs(),
    }
    print(f"{len(work)} bilateral benchmark matches x {args.rounds} rounds, one core, "
          f"load average {result['load_average'][0]:.2f}")
    print(f"{'variant':<15} {'ms/match':>9} {'x bare':>7}")
    for name in variants:
        print(f"{name:<15} {result['ms_per_match'][name]:>9.3f} {result['ratio_vs_bare'][name]:>7.3f}")
    print(f"privilege drop (root: {sandbox.can_drop()}): "
          f"{result['ms_per_match']['process'] - result['ms_per_match']['process_nodrop']:+.3f} ms per fresh host")
    m = result["micro"]
    print(f"guarded call: +{m['guarded_call_ns'] - m['plain_call_ns']:.0f} ns over a plain call "
          f"({m['plain_call_ns']:.0f} ns); slot write {m['slot_write_ns']:.0f} ns")
    h = result["host_costs"]
    print(f"fork+exit {h['fork_ms']:.2f} ms, fork+drop+exit {h['fork_drop_ms']:.2f} ms, "
          f"kill_user {h['kill_user_ms']:.2f} ms (root: {sandbox.can_drop()})")
    print("targets: guarded and supervised < 1.03x bare")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
