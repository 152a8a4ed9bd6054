"""One place that makes torch deterministic on the CPU.

``torch.use_deterministic_algorithms(True)`` and one intra-op thread: with
several threads, reductions may add in different orders and a training run
would not give the same bytes twice. Weights and dropout draw from torch's
global generator; ``seeded(seed)`` runs a block under ``fork_rng`` so a player
seeding itself never disturbs another's draws in the same process.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch

_done = False


def setup_torch() -> None:
    """Deterministic algorithms, one thread; idempotent, once per process."""
    global _done
    if _done:
        return
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    _done = True


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with torch's global generator seeded, restoring it afterwards."""
    setup_torch()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed % 2**63)
        yield
