"""``tourney analyze RUN_DIR``: a run's match log -> an Analysis (the league copy gives players and seed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tourney.analysis.alpharank import ALPHA, POPULATION
from tourney.analysis.analyze import SAMPLES, Analysis, analyze
from tourney.report import Tables, compute_tables


def analyze_tables(tables: Tables, samples: int | None = None, seed: int | None = None,
                   alpha: float | None = None, population: int | None = None) -> Analysis:
    players = [p.name for p in tables.league.players]
    return analyze(tables.rows, players, seed=tables.league.seed if seed is None else seed,
                   samples=samples or SAMPLES, alpha=alpha or ALPHA, population=population or POPULATION)


def analyze_run(run_dir: Path, **options: Any) -> Analysis:
    return analyze_tables(compute_tables(Path(run_dir)), **options)
