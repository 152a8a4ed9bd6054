"""The one seeding helper: every random draw in a match starts here.

A match seed derives from the league seed and the match key only (never from
order, worker or time), so a league gives the same table on 1 or 16 workers.
"""

from __future__ import annotations

import hashlib
import random
from numbers import Integral

import numpy as np

MAX_SEED = 2**63 - 1


def check_seed(seed: object) -> int:
    """Return ``seed`` if it is a non-negative int, else raise ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"a seed must be a non-negative int, got {seed!r}")
    return int(seed)


def derive_seed(base: int, *parts: object) -> int:
    """A 63-bit seed from ``base`` and any labels (match key, episode, role...)."""
    text = "\x1f".join([str(check_seed(base)), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") & MAX_SEED


def make_rng(seed: int) -> np.random.Generator:
    """One numpy generator for a seed."""
    return np.random.default_rng(check_seed(seed))


def seed_globals(seed: int) -> None:
    """Seed the global ``random`` and numpy generators.

    Third-party negotiators often draw from the global generators; seeding them
    before every match keeps their matches reproducible too.
    """
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
