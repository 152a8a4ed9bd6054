"""Shared helpers for the tests: run the real CLI in a subprocess or in-process."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOURNEY = [sys.executable, "-m", "tourney.cli"]


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300,
            check: bool = False) -> subprocess.CompletedProcess:
    """Run `tourney ARGS` as a user would; PYTHONPATH lets leagues name test players."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "tests") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    full_env.update(env or {})
    proc = subprocess.run([*TOURNEY, *args], cwd=cwd or ROOT, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"tourney {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def open_to_hosts(path: Path) -> Path:
    """Make ``path`` (a test's folder that players write into) writable by every user and reachable
    by the player hosts, which as root run as users of their own with no capability
    (pytest's temporary folders are 0700: the hosts are granted search on them)."""
    path.chmod(0o777)
    from tourney.sandbox import grant_reach

    grant_reach(path)
    return path


def write_league(path: Path, **overrides) -> Path:
    league = {
        "name": "t",
        "seed": 3,
        "repetitions": 1,
        "worlds": [{"type": "bilateral", "params": {"n_steps": 30, "episodes": 1}}],
        "players": [{"name": "Boulware", "type": "boulware"}, {"name": "Conceder", "type": "conceder"}],
        "format": {"timeout": 60},
    }
    league.update(overrides)
    path.write_text(yaml.safe_dump(league, sort_keys=False))
    return path


def match_record(fields: dict):
    """A ``MatchRecord`` for a synthetic log: ``fields`` as a log line holds them, the keys a test
    does not care about (id, key, world index, seed) filled in."""
    from tourney.records import MatchRecord

    world = fields.get("world_type", fields.get("world", "bilateral"))
    defaults = {"id": f"m{next(_RECORD_IDS)}", "key": "", "world": world, "world_type": world, "world_index": 0,
                "rep": 0, "seed": 0, "status": "ok"}
    return MatchRecord.from_json({**defaults, **fields})


_RECORD_IDS = itertools.count()


@pytest.fixture
def league_file(tmp_path):
    def make(**overrides):
        return write_league(tmp_path / "league.yaml", **overrides)

    return make


def bilateral_rows(pairs, skill: dict, n_matches: int, noise: float, rng):
    """Score rows of one-shot bilateral matches, as scoring.match_rows gives them: for each (buyer, seller)
    pair and repetition the buyer takes 0.5 + skill[buyer] - skill[seller] plus noise (clipped to [0, 1])."""
    import numpy as np
    import pandas as pd

    rows, k = [], 0
    for buyer, seller in pairs:
        for rep in range(n_matches):
            k += 1
            share = float(np.clip(0.5 + skill[buyer] - skill[seller] + rng.normal(0, noise), 0, 1))
            rows.append([f"m{k:05d}", "w", "-", rep, "buyer", buyer, seller, share, 1.0, "ok", False])
            rows.append([f"m{k:05d}", "w", "-", rep, "seller", seller, buyer, 1 - share, 1.0, "ok", False])
    return pd.DataFrame(rows, columns=["id", "world", "setting", "rep", "role", "player", "opponent", "score",
                                       "agreement", "status", "fault"])
