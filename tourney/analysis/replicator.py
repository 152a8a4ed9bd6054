"""Replicator dynamics of a symmetric meta-game, from the uniform population.

dx_i/dt = x_i ((A x)_i - x.A x), integrated by Euler steps on A rescaled to
[0, 1] (an affine change of payoffs only rescales time, so the orbit and the
rest point are those of A). ``STEPS`` steps of ``DT`` reach t = 2000 in
rescaled time: a strategy that loses by 1 % of the payoff range has decayed
by e^-20 by then. Each step moves a share by at most DT x the payoff range,
so shares stay positive, and the Euler map's fixed points are exactly the
rest points of the flow. Many games (bootstrap replicates) are integrated at
once; a game stops being stepped once it is at rest.
By a theorem of Hofbauer and Sigmund, the limit of an interior orbit, when
it converges, is a Nash equilibrium.
"""

from __future__ import annotations

import numpy as np

DT = 0.2
STEPS = 10_000
RECORDS = 150  # points of the trajectory kept, log-spaced in time
CHECK_EVERY = 100
STILL = 1e-13  # largest change over CHECK_EVERY steps that counts as at rest
SURVIVAL = 1e-3  # a strategy with less mass than this at the end has died out


def replicator(a: np.ndarray, steps: int = STEPS, dt: float = DT) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For one matrix (n, n) or a stack (b, n, n): (times, trajectory (t, [b,] n), rest point ([b,] n))."""
    a = np.asarray(a, dtype=float)
    single = a.ndim == 2
    stack = a[None] if single else a
    low = stack.min(axis=(1, 2), keepdims=True)
    spread = np.ptp(stack, axis=(1, 2)).reshape(-1, 1, 1)
    scaled = np.where(spread > 0, (stack - low) / np.where(spread > 0, spread, 1.0), 0.0)
    b, n, _ = stack.shape
    x = np.full((b, n), 1.0 / n)
    times, path = [0.0], [x.copy()]
    # Log-spaced records, so a log-time plot shows the start of the orbit as well as its end.
    record_at = set(np.unique(np.geomspace(1, steps, RECORDS).astype(int)).tolist())
    active = np.arange(b)  # games not yet at rest; a game at rest is no longer stepped
    checkpoint = x.copy()
    for step in range(1, steps + 1):
        xa, sa = x[active], scaled[active]
        fitness = (sa @ xa[:, :, None])[:, :, 0]
        average = (xa * fitness).sum(axis=1, keepdims=True)
        xa += dt * xa * (fitness - average)
        np.maximum(xa, 0.0, out=xa)
        xa /= xa.sum(axis=1, keepdims=True)
        x[active] = xa
        if step in record_at:
            times.append(step * dt)
            path.append(x.copy())
        if step % CHECK_EVERY == 0:
            moving = np.abs(x[active] - checkpoint[active]).max(axis=1) >= STILL
            active = active[moving]
            if not len(active):
                if times[-1] != step * dt:
                    times.append(step * dt)
                    path.append(x.copy())
                break  # every game is at rest: later records would repeat this one
            checkpoint = x.copy()
    trajectory = np.stack(path)
    if single:
        return np.array(times), trajectory[:, 0], x[0]
    return np.array(times), trajectory, x
