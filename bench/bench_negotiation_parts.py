"""What each change to the negotiation world bought (issue 16, target 2), in CPU per negotiation.

The negotiation world's matches (``NegotiationWorld.play``, as the worker runs
it, in this process) on ANL 2024 scenarios (tourney's ``anl2024`` generator,
900-1100 outcomes), six negmas negotiators (BoulwareTB, ConcederTB, LinearTB,
NaiveTitForTat, Aspiration, MiCRO), every ordered pair with self-play, both
rotations, ``n_steps = 100``, under each variant, interleaved repeat by repeat,
each adding one change to the one before:

1. ``before issue 16``: every negotiation joins through negmas' ``add`` (its
   outcome-space check) with ``copy.deepcopy`` ufuns;
2. ``+ join check once per scenario`` (``LeanSAOMechanism.add(space_checked=True)``);
3. ``+ fast reserved_value`` (``fast_ufun.player_copy``);
4. ``+ shared inverses`` (``player_copy(share_inverse=True)``): what the world runs.

Thread CPU ms per negotiation, best of ``--repeat``; every variant's records
(agreement, rounds, scores, full offer trace) must equal the first's.

Run: ``.venv/bin/python bench/bench_negotiation_parts.py [--scenarios 4] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NEGMAS_AUTO_INSTALL_CHROME", "0")

NEGOTIATORS = ["BoulwareTBNegotiator", "ConcederTBNegotiator", "LinearTBNegotiator", "NaiveTitForTatNegotiator",
               "AspirationNegotiator", "MiCRONegotiator"]


@contextmanager
def variant(level: int):
    """The world with the first ``level`` changes of the docstring's list (1: none)."""
    from tourney.worlds import negotiation
    from tourney.worlds.fast_ufun import player_copy

    saved = negotiation.CheckedSAOMechanism, negotiation.player_copy

    class NegmasJoin(negotiation.CheckedSAOMechanism):
        def add(self, negotiator, *, space_checked=False, **kwargs):
            return super().add(negotiator, **kwargs)

    if level < 2:
        negotiation.CheckedSAOMechanism = NegmasJoin
    if level < 3:
        negotiation.player_copy = lambda ufun, share_inverse=False: copy.deepcopy(ufun)
    elif level < 4:
        negotiation.player_copy = lambda ufun, share_inverse=False: player_copy(ufun)
    try:
        yield
    finally:
        negotiation.CheckedSAOMechanism, negotiation.player_copy = saved


def play_all(spec: dict) -> tuple[float, int, list]:
    import negmas.sao

    from tourney.seeding import seed_globals
    from tourney.worlds.base import MatchContext, Seat
    from tourney.worlds.negotiation import NegotiationWorld

    world = NegotiationWorld(scenarios=spec, n_steps=100, trace=True)
    records, count = [], 0
    started = time.thread_time()
    for i, first in enumerate(NEGOTIATORS):
        for j, second in enumerate(NEGOTIATORS):
            seed = 100 * i + j
            seats = {role: Seat(role, name, name, getattr(negmas.sao, name), {})
                     for role, name in (("first", first), ("second", second))}
            seed_globals(seed)
            result = world.play(seats, seed, MatchContext(seed))
            for n in result.details["negotiations"]:
                n.pop("seconds", None)
            records.append((first, second, result.details["negotiations"]))
            count += len(result.details["negotiations"])
    return time.thread_time() - started, count, records


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    from tourney.worlds.negotiation import prepared

    spec = {"generate": "anl2024", "n": args.scenarios, "seed": 0}
    started = time.thread_time()
    prepared(spec)
    prepare_s = time.thread_time() - started
    labels = ["before issue 16", "+ join check once per scenario", "+ fast reserved_value", "+ shared inverses"]
    best: dict[int, float] = {}
    same: dict[tuple[int, bool], bool] = {}
    reference = None
    load = [os.getloadavg()[0]]
    count = 0
    for _ in range(args.repeat):
        for level in range(1, 5):
            with variant(level):
                seconds, count, records = play_all(spec)
            best[level] = min(best.get(level, float("inf")), seconds)
            if reference is None:
                reference = records
            for (a, b, got), (_, _, expected) in zip(records, reference):
                key = (level, "MiCRONegotiator" in (a, b))
                same[key] = same.get(key, True) and got == expected
    load.append(os.getloadavg()[0])
    print(f"{count} negotiations a variant ({args.scenarios} ANL 2024 scenarios x 36 pairs x 2 rotations, "
          f"100 steps); best of {args.repeat}; load average {load[0]:.2f} at start, {load[1]:.2f} at end; "
          f"scenario preparation (once per worker, not in the rows) {prepare_s:.2f} s")
    print()
    print("| variant | CPU ms/negotiation | vs before | same records as before | same, MiCRO pairs |")
    print("|---|---:|---:|---|---|")
    for level in range(1, 5):
        ms = 1000 * best[level] / count
        print(f"| {labels[level - 1]} | {ms:.2f} | {best[1] / best[level]:.2f}x | "
              f"{'yes' if same[level, False] else 'NO'} | {'yes' if same[level, True] else 'no'} |")
    print("\nMiCRO draws from the global random generator, and negmas' step draws once more whenever a "
          "negotiation's wall-clock age passes a whole second (a loaded machine), so MiCRO pairs can differ "
          "between any two runs, of any variant.")
    return 0 if all(v for (level, micro), v in same.items() if not micro) else 1


if __name__ == "__main__":
    sys.exit(main())
