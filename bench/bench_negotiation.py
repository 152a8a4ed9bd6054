"""The negotiation-world benchmark of issue 15: tourney against negmas' cartesian_tournament.

The same work two ways, in one run: 20 ANL 2024 scenarios (tourney's
``anl2024`` generator, seed 0: the ANL 2024 distribution, 900-1100 outcomes)
x six negmas negotiators (BoulwareTB, ConcederTB, LinearTB, NaiveTitForTat,
Aspiration, MiCRO), every ordered pair with self-play (36) x both ufun
rotations, ``n_steps = 100``: 20 x 36 x 2 = 1440 negotiations.

1. ``negmas.tournaments.neg.cartesian_tournament`` (``njobs=0``: every core;
   its defaults otherwise, with ``rotate_ufuns=True``, ``self_play=True``, no
   log folder, scenario figures off, Chrome download off), in a subprocess.
2. ``tourney run -j JOBS`` on a generated league with one ``negotiation`` world
   on the same scenarios (``{generate: anl2024, n: 20, seed: 0}``), self-play
   and both role orders, in a subprocess: start-up, scenario preparation (once
   per scenario per worker), scoring and report included.

Each side is timed as a whole process: wall seconds, and CPU seconds of the
process and every child it waited for. Agreements are compared per (scenario,
rotation, first, second). cartesian_tournament does not seed MiCRO's random
draws per negotiation (tourney seeds them from the match seed), so pairs with
MiCRO are counted apart; every other pair must agree everywhere.

The speed target (>= 10x faster than cartesian_tournament) is issue 16's; this
prints the ratio it gets. Run: ``.venv/bin/python bench/bench_negotiation.py``
(``--help`` for options).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NEGMAS_AUTO_INSTALL_CHROME", "0")

ROOT = Path(__file__).resolve().parents[1]
from bench_bilateral import NEGOTIATORS, RANDOMISED as UNSEEDED  # noqa: E402 - the same six negotiators

CARTESIAN = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
from negmas.helpers import get_class
from negmas.tournaments.neg.simple import cartesian_tournament
from tourney.worlds.negotiation import scenarios_of
spec, n_steps, negotiators, out = json.loads(sys.argv[1])
names = {v.rsplit(".", 1)[1]: k for k, v in negotiators.items()}
res = cartesian_tournament(competitors=[get_class(p) for p in negotiators.values()],
                           scenarios=list(scenarios_of(spec)), n_steps=n_steps, njobs=0, verbosity=0,
                           rotate_ufuns=True, self_play=True, plot_fraction=0.0, save_scenario_figs=False)
rows = []
for _, r in res.details.iterrows():
    name, _, rot = r["scenario"].rpartition("-")
    scenario, rotation = (name, int(rot)) if name and rot.isdigit() else (r["scenario"], 0)
    a = r["agreement"]
    rows.append([scenario, rotation, names[r["partners"][0]], names[r["partners"][1]],
                 None if a is None else list(a)])
json.dump(rows, open(out, "w"))
"""


def timed(cmd: list[str], env: dict) -> tuple[float, float, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return wall, cpu, proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", type=int, default=20)
    ap.add_argument("--n-steps", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="seed of the ANL 2024 scenario draw")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args()
    spec = {"generate": "anl2024", "n": args.scenarios, "seed": args.seed}
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out = tmp / "cartesian.json"
        c_wall, c_cpu, _ = timed([sys.executable, "-c", CARTESIAN,
                                  json.dumps([spec, args.n_steps, NEGOTIATORS, str(out)])], env)
        theirs = {(s, r, a, b): agreement for s, r, a, b, agreement in json.loads(out.read_text())}

        league = tmp / "bench.yaml"
        league.write_text(json.dumps({
            "name": "bench-negotiation", "seed": 1, "repetitions": 1,
            "worlds": [{"type": "negotiation", "params": {"scenarios": spec, "n_steps": args.n_steps}}],
            "players": [{"name": k, "type": v} for k, v in NEGOTIATORS.items()],
            "format": {"self_play": True, "both_roles": True, "timeout": 3600},
        }))
        t_wall, t_cpu, _ = timed([sys.executable, "-m", "tourney.cli", "run", str(league), "-j", str(args.jobs),
                                  "--out", str(tmp / "run"), "--quiet"], env)
        ours = {}
        for line in (tmp / "run" / "matches.jsonl").read_text().splitlines():
            record = json.loads(line)
            first, second = record["assignment"]["first"], record["assignment"]["second"]
            for n in record["details"]["negotiations"]:
                ours[(n["scenario"], n["rotation"], first, second)] = n["agreement"]

    n = len(theirs)
    keys = sorted(set(theirs) | set(ours))
    seeded = [k for k in keys if not ({k[2], k[3]} & UNSEEDED)]
    same = sum(ours.get(k, "missing") == theirs.get(k, "absent") for k in seeded)
    same_unseeded = sum(ours.get(k, "missing") == theirs.get(k, "absent") for k in keys if k not in seeded)
    result = {
        "negotiations": {"cartesian": n, "tourney": len(ours)},
        "cartesian": {"wall_s": round(c_wall, 2), "cpu_s": round(c_cpu, 2),
                      "wall_ms_per_negotiation": round(1000 * c_wall / n, 2),
                      "cpu_ms_per_negotiation": round(1000 * c_cpu / n, 2)},
        "tourney": {"jobs": args.jobs, "wall_s": round(t_wall, 2), "cpu_s": round(t_cpu, 2),
                    "wall_ms_per_negotiation": round(1000 * t_wall / max(len(ours), 1), 2),
                    "cpu_ms_per_negotiation": round(1000 * t_cpu / max(len(ours), 1), 2)},
        "identical_agreements": {"without_micro": f"{same}/{len(seeded)}",
                                 "with_micro (unseeded in cartesian)": f"{same_unseeded}/{len(keys) - len(seeded)}"},
        "ratio_wall_cartesian_over_tourney": round(c_wall / t_wall, 2),
        "ratio_cpu_cartesian_over_tourney": round(c_cpu / t_cpu, 2),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if same != len(seeded):
        raise SystemExit(f"agreements differ on {len(seeded) - same} of {len(seeded)} seeded negotiations")


if __name__ == "__main__":
    main()
