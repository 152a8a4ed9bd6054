"""How long `make reproduce` takes on 2 idle cores, projected from a sample of every league it runs (issue 24).

For each `make reproduce-*` target (the Makefile's REPRODUCTIONS, in order)
the leagues its recipe runs (`make -n TARGET`, the `tourney run` lines) are
sampled through the runner: `tourney run LEAGUE -j 1 --shard 0/n` (the
matches whose id falls in shard 0 of n: a pseudo-random spread over the
schedule) in a child process, once with about ``--sample`` matches and once
with about one, its CPU seconds with the player hosts it ran (``wait4``); the
difference over the difference in matches is the CPU per match, start-up
(imports, model loads) cancelled out. A league's CPU is its mean CPU per match times its
matches; the target's projected wall time on 2 cores is that sum over its
leagues / 2 (perfect use of both cores: a lower bound; training steps, the
reproductions themselves and the collector's excerpts are not counted and are
listed). A league that needs a file an earlier step builds is reported as such.

The measurement is CPU, not wall: the shared machine's load does not enter it.
The authoritative end-to-end time is what `make reproduce` itself records
(results/reproduce-timing.json, REPRODUCTION.md's summary).

Run: ``.venv/bin/python bench/bench_reproduce.py [--sample 3] [--only reproduce-insight ...]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MIN = 90
BACKEND: list[str] = []  # extra `tourney run` options (--backend)
CORES = 2

def targets() -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    value = re.search(r"^REPRODUCTIONS :=((?:.*\\\n)*.*)$", makefile, re.M)
    assert value is not None, "no REPRODUCTIONS in the Makefile"
    return value.group(1).replace("\\\n", " ").split()


def recipe(target: str) -> list[str]:
    dry = subprocess.run(["make", "-n", "--no-print-directory", target], cwd=ROOT, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if not k.startswith("MAKE")})
    return [line for line in dry.stdout.splitlines() if "tourney" in line]


def run_shard(league_file: str, shards: int, out: Path, extra_env: dict[str, str],
              index: int = 0) -> tuple[float, int, int]:
    """``tourney run LEAGUE -j 1 --shard INDEX/SHARDS`` in a child: (its CPU s with its hosts, matches
    played, matches that failed: their CPU says nothing of a real match)."""
    env = {**os.environ, **extra_env, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen([sys.executable, "-m", "tourney.cli", "run", str(ROOT / league_file), "-j", "1",
                              "--shard", f"{index}/{shards}", "--out", str(out), "--fresh", "--quiet", *BACKEND],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    err = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if status != 0 and not (out / "manifest.json").exists():
        raise RuntimeError(err.strip().splitlines()[-1] if err.strip() else f"exit {status}")
    played = json.loads((out / "manifest.json").read_text()).get("played", 0)
    failed = sum(1 for line in (out / "matches.jsonl").read_text().splitlines() if '"status": "ok"' not in line)
    return usage.ru_utime + usage.ru_stime, int(played), failed


def sample_league(league_file: str, sample: int, extra_env: dict[str, str]) -> dict:
    """CPU per match through the runner: two shards of the schedule (about ``sample`` matches and
    about 1, maybe none), so the start-up cost cancels out of the difference."""
    import tempfile

    from tourney.errors import TourneyError
    from tourney.league import load_league
    from tourney.schedule import count_matches

    try:
        league = load_league(ROOT / league_file)
    except TourneyError as exc:
        return {"league": league_file, "error": str(exc).splitlines()[0]}
    total = count_matches(league)
    with tempfile.TemporaryDirectory(prefix="bench-reproduce-") as tmp:
        try:
            small = run_shard(league_file, max(1, total), Path(tmp) / "small", extra_env)
            large = (0.0, 0, 0)
            for index in range(5):  # a shard can hold no match at all: take the next one
                large = run_shard(league_file, max(1, total // max(sample, 2)), Path(tmp) / "large", extra_env,
                                  index)
                if large[1] > small[1]:
                    break
        except RuntimeError as exc:
            return {"league": league_file, "error": str(exc)}
    if large[1] <= small[1]:
        return {"league": league_file, "error": f"the two shards played {small[1]} and {large[1]} matches"}
    per_match = max(0.0, (large[0] - small[0]) / (large[1] - small[1]))
    return {"league": league_file, "matches": total, "sampled": large[1], "cpu_per_match": per_match,
            "cpu_total": per_match * total, "startup_cpu": small[0], "failed": small[2] + large[2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=3, help="matches sampled per league (about)")
    parser.add_argument("--only", nargs="*", default=None, help="these targets only")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--backend", default=None, help="tourney run --backend (e.g. sequential: no player hosts)")
    args = parser.parse_args()
    if args.backend:
        BACKEND[:] = ["--backend", args.backend]
    rows, skipped = [], []
    for target in args.only or targets():
        lines = recipe(target)
        # (league, the VAR=value words before the command: the recipe's environment, e.g. replay-only LLMs)
        leagues = [(m.group(2), dict(w.split("=", 1) for w in m.group(1).split())) for line in lines
                   if (m := re.match(r"\s*((?:\w+=\S*\s+)*)\S*tourney run (\S+\.yaml)", line))]
        skipped += [f"{target}: {line.split('/bin/', 1)[-1][:80]}" for line in lines
                    if not re.search(r"tourney run ", line)]
        for league, extra_env in leagues:
            row = {"target": target, **sample_league(league, args.sample, extra_env), "env": extra_env}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(f"{'target':22} {'league':42} {'matches':>8} {'sampled':>7} {'cpu s/match':>11} {'cpu min':>8}")
    per_target: dict[str, float] = {}
    for r in rows:
        if "error" in r:
            print(f"{r['target']:22} {r['league']:42} not measured: {r['error'][:90]}")
            continue
        per_target[r["target"]] = per_target.get(r["target"], 0.0) + r["cpu_total"]
        print(f"{r['target']:22} {r['league']:42} {r['matches']:>8} {r['sampled']:>7} {r['cpu_per_match']:>11.3f} "
              f"{r['cpu_total'] / 60:>8.1f}" + (f"  ({r['failed']} sampled matches failed)" if r["failed"] else ""))
    total = sum(per_target.values())
    print()
    for target, cpu in sorted(per_target.items(), key=lambda kv: -kv[1]):
        print(f"{target:22} {cpu / 60 / CORES:6.1f} min on {CORES} cores ({cpu / max(total, 1e-9):.0%} of the league play)")
    print(f"league play of `make reproduce`: {total / 60:.1f} CPU min, >= {total / 60 / CORES:.1f} min on {CORES} "
          f"idle cores (target {TARGET_MIN} min for everything); not counted: {len(skipped)} other steps "
          "(training, reproductions, collector)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "not_counted": skipped}, indent=2) + "\n")


if __name__ == "__main__":
    main()
