"""What shared inverses buy the bilateral world (issue 16, target 1), in CPU per negotiation.

The bilateral benchmark's league (``bench_bilateral.py``: six negmas negotiators,
every ordered pair with self-play, five fixed price scenarios, both openers,
``n_steps = 100``, ``--reps`` repetitions) played match by match through the
worker's ``play_match`` in this process (no host, no log), twice, interleaved:
with the world's price utilities sharing negmas' presorted inverse between
equal prices and range (``fast_ufun.share_inverses``, what the world runs) and
without. Thread CPU ms per negotiation, best of ``--repeat``; the records
(agreement, rounds, utilities, full offer trace) must be equal.

Run: ``.venv/bin/python bench/bench_bilateral_parts.py [--reps 1] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def play(matches, share: bool) -> tuple[float, list]:
    from tourney.worker import play_match
    from tourney.worlds import bilateral

    saved = bilateral.share_inverses
    if not share:
        bilateral.share_inverses = lambda ufun, key: ufun
    try:
        started = time.thread_time()
        records = [play_match(m, 300.0, trace=True) for m in matches]
        seconds = time.thread_time() - started
    finally:
        bilateral.share_inverses = saved
    out = []
    for r in records:
        assert r["status"] == "ok", r["error"]
        out.append([{k: v for k, v in e.items() if k != "seconds"} for e in r["details"]["episodes"]])
    return seconds, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    from bench_bilateral import league_text

    from tourney.league import load_league
    from tourney.schedule import build_schedule

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-bilateral.yaml"
        path.write_text(league_text(args.reps))
        matches = build_schedule(load_league(path))
    play(matches[:10], True)  # imports and first calls out of the rows
    best = {True: float("inf"), False: float("inf")}
    records: dict[bool, list] = {}
    load = [os.getloadavg()[0]]
    for _ in range(args.repeat):
        for share in (False, True):
            seconds, records[share] = play(matches, share)
            best[share] = min(best[share], seconds)
    load.append(os.getloadavg()[0])
    n = len(matches)
    print(f"{n} negotiations (bilateral benchmark league, 100 steps), best of {args.repeat}; "
          f"load average {load[0]:.2f} at start, {load[1]:.2f} at end")
    print()
    print("| variant | CPU ms/negotiation | speed-up |")
    print("|---|---:|---:|")
    print(f"| no shared inverses | {1000 * best[False] / n:.2f} | 1.00x |")
    print(f"| shared inverses (the world) | {1000 * best[True] / n:.2f} | {best[False] / best[True]:.2f}x |")
    same = records[True] == records[False]
    print(f"\nsame records (agreement, rounds, utilities, offer trace): {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
