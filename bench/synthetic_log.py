"""A run directory with a generated match log, for benchmarks and tests of scoring at scale.

The league is real (a ``bilateral`` world, heuristic players, both roles) and
the records carry the ids, keys and seeds of its schedule, so ``tourney
report`` and ``tourney analyze`` read it as a played run. Outcomes are drawn
from a seeded generator (each player has a fixed skill, so the tables have
structure), not played: generating a million records takes seconds, playing
them hours. About 1 % of the matches fail with a blamed player. A record
keeps one episode of details, like a short real bilateral record (~700 bytes).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import yaml

PLAYERS = [("Boulware", "boulware"), ("Conceder", "conceder"), ("Linear", "linear"), ("Random", "random"),
           ("RelativeTFT", "relative-tft"), ("AveragedTFT", "averaged-tft"), ("RandomTFT", "random-tft")]
SKILL = {"Boulware": 0.15, "Conceder": -0.2, "Linear": 0.05, "Random": -0.3, "RelativeTFT": 0.1,
         "AveragedTFT": 0.0, "RandomTFT": -0.05}


def write_synthetic_run(out: Path, matches: int, players: int = 2, seed: int = 0) -> Path:
    """Write ``out/league.yaml``, ``manifest.json`` and ``matches.jsonl`` with ``matches`` records."""
    from tourney.league import load_league
    from tourney.schedule import iter_schedule
    from tourney.store import write_manifest

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = PLAYERS[:players]
    assignments = players * (players - 1)
    league = {
        "name": f"synthetic-{matches}", "seed": seed, "repetitions": math.ceil(matches / assignments),
        "worlds": [{"type": "bilateral", "params": {"n_steps": 20, "episodes": 1}}],
        "players": [{"name": n, "type": t} for n, t in chosen],
        "format": {"self_play": False, "both_roles": True, "timeout": 60},
        "scoring": {"metric": "utility", "aggregate": "mean"},
    }
    (out / "league.yaml").write_text(yaml.safe_dump(league, sort_keys=False))
    spec = load_league(out / "league.yaml")
    rng = np.random.default_rng(seed)
    written = 0
    with (out / "matches.jsonl").open("w") as fh:
        for match in iter_schedule(spec):
            if written == matches:
                break
            fh.write(json.dumps(_record(match, rng), sort_keys=True) + "\n")
            written += 1
    write_manifest(out, {"league": spec.name, "seed": seed, "repetitions": spec.repetitions, "matches": written,
                         "played": written, "status": "finished", "synthetic": True})
    return out


def _record(match, rng: np.random.Generator) -> dict:
    buyer, seller = match.assignment["buyer"], match.assignment["seller"]
    record = {"id": match.id, "key": match.key, "world": match.world_label, "world_type": match.world_type,
              "world_index": match.world_index, "setting": dict(match.setting), "assignment": match.assignment,
              "rep": match.rep, "seed": match.seed, "status": "ok", "blamed": None, "blamed_role": None,
              "error": None, "duration": round(float(rng.uniform(0.01, 0.05)), 6), "pid": 1}
    if rng.random() < 0.01:
        role = "buyer" if rng.random() < 0.5 else "seller"
        record.update(status="error", blamed_role=role, blamed=match.assignment[role],
                      error="RuntimeError: synthetic fault")
        return record
    share = float(np.clip(0.5 + SKILL[buyer] - SKILL[seller] + rng.normal(0, 0.15), 0.0, 1.0))
    agreed = bool(rng.random() < 0.9)
    u_b, u_s = (share, 1.0 - share) if agreed else (0.0, 0.0)
    price = int(300 + 200 * (1 - share))
    record.update(metric="utility", metrics={"agreement": float(agreed), "rounds": 12.0},
                  roles={"buyer": {"utility": u_b, "agreement": float(agreed), "price": float(price), "rounds": 12.0},
                         "seller": {"utility": u_s, "agreement": float(agreed), "price": float(price),
                                    "rounds": 12.0}},
                  details={"episodes": [{"agreement": price if agreed else None, "rounds": 12,
                                         "prices": {"buyer": [300, 520], "seller": [510, 310]}, "seconds": 0.01,
                                         "utility": {"buyer": u_b, "seller": u_s}}]})
    return record


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--matches", type=int, default=10_000)
    parser.add_argument("--players", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(write_synthetic_run(args.out, args.matches, args.players, args.seed))
