"""What each change to the bilateral mechanism buys, measured side by side in one run.

The bare sequential loop of bench_bilateral.py (the benchmark's six negmas
negotiators x five price scenarios x every ordered pair x both openers: 360
negotiations, ``n_steps = 100``, global generators seeded per negotiation) under
each variant, interleaved ``--repeat`` times, in thread CPU milliseconds per
negotiation (the machine may be shared: the best of the repeats is reported,
with the load average). Each variant's (agreement, rounds) must equal negmas'
on every negotiation, MiCRO included.

Variants, each adding one change to the one before:

1. negmas ``SAOMechanism`` with its defaults;
2. ``sync_calls=True``;
3. state snapshots by generated slot copiers (the lean loop switched off);
4. the lean step loop (``LeanSAOMechanism`` as the bilateral world uses it),
   with a ``PriceUtility`` whose ``__call__`` is negmas' ``UtilityFunction.__call__``;
5. ``PriceUtility.__call__`` from its formula (what the world uses).

Run: ``.venv/bin/python bench/bench_lean_sao.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_bilateral import NEGOTIATORS, SCENARIOS, Negotiation, negotiator_class  # noqa: E402


def _variants() -> dict[str, tuple[type, dict, type]]:
    from negmas import SAOMechanism
    from negmas.preferences import UtilityFunction

    from tourney.worlds.lean_sao import LeanSAOMechanism
    from tourney.worlds.pricing import PriceUtility

    class NegmasCallPriceUtility(PriceUtility):
        __call__ = UtilityFunction.__call__

    class SnapshotsOnly(LeanSAOMechanism):
        def _lean_applies(self) -> bool:
            return False

    return {
        "negmas defaults": (SAOMechanism, {}, NegmasCallPriceUtility),
        "+ sync_calls=True": (SAOMechanism, {"sync_calls": True}, NegmasCallPriceUtility),
        "+ slot-copier snapshots": (SnapshotsOnly, {"sync_calls": True}, NegmasCallPriceUtility),
        "+ lean step loop": (LeanSAOMechanism, {"sync_calls": True}, NegmasCallPriceUtility),
        "+ PriceUtility.__call__ (tourney)": (LeanSAOMechanism, {"sync_calls": True}, PriceUtility),
    }


def negotiate(n: Negotiation, mechanism_cls: type, options: dict, ufun_cls: type) -> tuple:
    from negmas import make_issue

    from tourney.seeding import seed_globals

    seed_globals(n.seed)
    mechanism = mechanism_cls(issues=[make_issue(n.scenario.issue_range, "price")], n_steps=100, **options)
    players = {"buyer": n.buyer, "seller": n.seller}
    for role in (n.opener, "seller" if n.opener == "buyer" else "buyer"):
        negotiator = negotiator_class(players[role])(name=f"{role}:{players[role]}")
        mechanism.add(negotiator, ufun=ufun_cls(*n.scenario.prices(role), outcome_space=mechanism.outcome_space))
    state = mechanism.run()
    return (None if state.agreement is None else state.agreement[0]), state.step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    work = [Negotiation(s, b, se, o, 0, 1000 + i) for i, (s, b, se, o) in enumerate(
        (s, b, se, o) for s in SCENARIOS for b in NEGOTIATORS for se in NEGOTIATORS for o in ("buyer", "seller"))]
    variants = _variants()
    cpu = {name: [] for name in variants}
    outcomes = {}
    load_start = os.getloadavg()[0]
    for _ in range(args.repeat):
        for name, (mechanism_cls, options, ufun_cls) in variants.items():
            start = time.thread_time()
            outcomes[name] = [negotiate(n, mechanism_cls, options, ufun_cls) for n in work]
            cpu[name].append((time.thread_time() - start) / len(work) * 1000)
    print(f"{len(work)} negotiations x {args.repeat} repeats; load average {load_start:.2f} at start, "
          f"{os.getloadavg()[0]:.2f} at end ({os.cpu_count()} cores)\n")
    print("| variant | CPU ms/negotiation (best) | all repeats | speed-up vs negmas | same (agreement, rounds) |")
    print("|---|---:|---|---:|---:|")
    base = min(cpu["negmas defaults"])
    reference = outcomes["negmas defaults"]
    for name in variants:
        same = sum(a == b for a, b in zip(outcomes[name], reference))
        print(f"| {name} | {min(cpu[name]):.2f} | {' '.join(f'{x:.2f}' for x in cpu[name])} | "
              f"{base / min(cpu[name]):.2f}x | {same}/{len(work)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
