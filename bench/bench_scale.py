"""Scale-out benchmark (issue 9): dask vs loky throughput, flat runner memory, log fsync cost.

A very cheap league: five heuristic players (Boulware, Conceder, Linear,
Random, RelativeTFT), every ordered pair (20 assignments), one ``bilateral``
world with ``n_steps = 5`` and one episode, ``repetitions`` chosen to give the
number of matches asked for. Each run is a fresh child process calling
``tourney.runner.run_league`` then ``tourney.report.compute_tables``, so its
peak RSS (``ru_maxrss`` of the runner process alone, workers excluded) is
measured after each phase.

1. Throughput: ``--throughput`` matches on loky ``-j 2`` and on a local dask
   cluster with 2 worker processes (one thread each); matches/s from the
   runner's own clock (cluster start-up included) and the ratio dask/loky.
2. Memory: the same league at ``--small`` and ``--large`` matches on loky
   ``-j 2``: the runner's peak RSS after the run and after scoring; the two
   should be about equal (the schedule is lazy, records are appended and
   dropped, scoring streams the log). Also matches/s at that scale.
3. The match log alone: appending ``--log-records`` typical records with an
   fsync per record (the default) vs ``group_commit_ms = 100``.

Run: ``.venv/bin/python bench/bench_scale.py`` (defaults: 2,000 / 10,000 /
100,000 matches; about 20-30 min on 2 busy cores, most of it the 100k run).
``--large 20000`` for a quick look. Scratch files go to a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAYERS = ["boulware", "conceder", "linear", "random", "relative-tft"]
ASSIGNMENTS = len(PLAYERS) * (len(PLAYERS) - 1)


def write_league(path: Path, matches: int) -> int:
    reps = max(1, round(matches / ASSIGNMENTS))
    players = "\n".join(f"  - {{name: P{i}-{p}, type: {p}}}" for i, p in enumerate(PLAYERS))
    path.write_text(f"""name: scale
seed: 1
repetitions: {reps}
worlds:
  - type: bilateral
    params: {{n_steps: 5, episodes: 1}}
players:
{players}
format: {{timeout: 60}}
scoring: {{max_failures: 1.0}}
""")
    return reps * ASSIGNMENTS


def child(league_path: str, out: str, backend: str, jobs: int, group_commit_ms: float) -> None:
    """One run in this process; prints a JSON line with times and peak RSS."""
    from tourney.league import load_league
    from tourney.report import compute_tables, write_tables
    from tourney.runner import backend_context, run_league

    league = load_league(Path(league_path))
    startup_s = 0.0
    if backend != "loky":  # a cluster started and stopped empty: its start-up cost alone
        started = time.perf_counter()
        with backend_context(backend, None, jobs):
            pass
        startup_s = time.perf_counter() - started
    summary = run_league(league, Path(out), jobs=jobs, backend=backend, fresh=True, progress=False,
                         group_commit_ms=group_commit_ms)
    rss_run = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    tables = compute_tables(Path(out), league)
    scoring_s = time.perf_counter() - started
    write_tables(Path(out), tables)
    rss_tables = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"played": summary.played, "elapsed": summary.elapsed,
                      "matches_per_s": summary.matches_per_second, "rss_run_mb": rss_run / 1024,
                      "rss_tables_mb": rss_tables / 1024, "scoring_s": scoring_s,
                      "scored": int(tables.scores["matches"].sum()), "startup_s": startup_s}))


def run_child(league: Path, out: Path, backend: str, jobs: int, group_commit_ms: float = 0.0) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", str(league), str(out), backend, str(jobs),
                           str(group_commit_ms)], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({backend}, {league}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def log_throughput(tmp: Path, records: int, group_commit_ms: float) -> float:
    from tourney.store import MatchLog

    record = json.loads((tmp / "throughput-loky" / "matches.jsonl").open().readline())
    path = tmp / f"log-{group_commit_ms}.jsonl"
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    with MatchLog(path, group_commit_ms=group_commit_ms) as log:
        for i in range(records):
            log.append_json({**record, "id": f"{i:020x}"})
    return records / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--throughput", type=int, default=2000, help="matches for loky vs dask")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--log-records", type=int, default=5000)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmpdir:
        tmp = Path(tmpdir)
        t0 = time.perf_counter()
        n = write_league(tmp / "throughput.yaml", args.throughput)
        print(f"1. throughput, {n} matches (bilateral n_steps=5, 1 episode)")
        loky = run_child(tmp / "throughput.yaml", tmp / "throughput-loky", "loky", 2)
        print(f"   loky -j 2:               {loky['matches_per_s']:8.1f} matches/s ({loky['elapsed']:.1f} s)")
        if not args.no_dask:
            dask = run_child(tmp / "throughput.yaml", tmp / "throughput-dask", "dask", 2)
            steady = dask["played"] / max(1e-9, dask["elapsed"] - dask["startup_s"])
            print(f"   dask, 2 local workers:   {dask['matches_per_s']:8.1f} matches/s ({dask['elapsed']:.1f} s, "
                  f"cluster start included); {steady:.1f} matches/s without the "
                  f"{dask['startup_s']:.1f} s start-up")
            print(f"   ratio dask / loky:       {dask['matches_per_s'] / loky['matches_per_s']:8.2f} "
                  f"({steady / loky['matches_per_s']:.2f} without start-up)")
            same = (tmp / "throughput-loky" / "scores.csv").read_bytes() == (
                tmp / "throughput-dask" / "scores.csv").read_bytes()
            print(f"   same scores.csv:         {same}")
        print("2. runner memory, loky -j 2")
        sizes = {}
        for label, target in (("small", args.small), ("large", args.large)):
            n = write_league(tmp / f"{label}.yaml", target)
            res = run_child(tmp / f"{label}.yaml", tmp / label, "loky", 2)
            sizes[label] = res
            print(f"   {n:7d} matches: peak RSS {res['rss_run_mb']:6.1f} MB after the run, "
                  f"{res['rss_tables_mb']:6.1f} MB after scoring ({res['scoring_s']:.1f} s); "
                  f"{res['matches_per_s']:.1f} matches/s ({res['elapsed']:.0f} s)")
        print(f"   ratio large / small, after the run: {sizes['large']['rss_run_mb'] / sizes['small']['rss_run_mb']:.2f}"
              f", after scoring: {sizes['large']['rss_tables_mb'] / sizes['small']['rss_tables_mb']:.2f}")
        print(f"3. match log alone, {args.log_records} records")
        every = log_throughput(tmp, args.log_records, 0.0)
        group = log_throughput(tmp, args.log_records, 100.0)
        print(f"   fsync per record:        {every:10.0f} records/s")
        print(f"   group commit 100 ms:     {group:10.0f} records/s")
        print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
    else:
        main()
