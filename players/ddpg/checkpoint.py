"""Checkpoints: save, load with validation, and a per-process cache.

A checkpoint is one ``torch.save`` file holding plain data only (loaded with
``weights_only=True``, so a checkpoint cannot run code)::

    {"format": "tourney-ddpg", "version": 1, "hidden": [64, 64],
     "state_dim": 12, "n_actions": 5,
     "weights": {"actor": ..., "critic": ..., "actor_target": ..., "critic_target": ...},
     "meta": {"init": "ann-c", "episodes": 400, "seed": 7, ...}}

A player's ``checkpoint`` param is a shipped name (``ann-c+rl`` ->
``players/ddpg/checkpoints/ann-c+rl.pt``) or a path. Workers load each file
once: the cache is keyed by the resolved path, its size and mtime (so a file
retrained in place is read again).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from players.ddpg.spaces import N_ACTIONS, STATE_DIM

FORMAT = "tourney-ddpg"
VERSION = 1
SHIPPED_DIR = Path(__file__).parent / "checkpoints"

_cache: dict[tuple[str, int, int], dict[str, Any]] = {}


class CheckpointError(ValueError):
    """A checkpoint that is missing, unreadable or not a DDPG checkpoint."""


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.pt"))


def resolve(name_or_path: str) -> Path:
    """The file for a shipped name or a path; raise CheckpointError if none exists."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix != ".pt" and "/" not in name_or_path and os.sep not in name_or_path:
        shipped = SHIPPED_DIR / f"{name_or_path}.pt"
        if shipped.is_file():
            return shipped.resolve()
    if candidate.is_file():
        return candidate.resolve()
    names = ", ".join(shipped_names()) or "none shipped"
    raise CheckpointError(f"no checkpoint '{name_or_path}' (not a file; shipped names: {names})")


def save(path: str | Path, weights: dict[str, Any], hidden: tuple[int, ...], meta: dict[str, Any]) -> Path:
    """Write a checkpoint; tensors are made contiguous CPU float32 so bytes depend on values only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = {
        net: {k: v.detach().to("cpu", torch.float32).contiguous().clone() for k, v in sd.items()}
        for net, sd in weights.items()
    }
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "hidden": [int(h) for h in hidden],
        "state_dim": STATE_DIM,
        "n_actions": N_ACTIONS,
        "weights": clean,
        "meta": dict(meta),
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load(name_or_path: str | Path) -> dict[str, Any]:
    """The validated checkpoint dict, read once per process per file version."""
    path = resolve(str(name_or_path))
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _cache:
        _cache[key] = _read(path)
    return _cache[key]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged zip or pickle
        raise CheckpointError(f"{path} is not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a tourney DDPG checkpoint (no format '{FORMAT}')")
    if data.get("version") != VERSION:
        raise CheckpointError(f"{path} has version {data.get('version')!r}; this tourney reads version {VERSION}")
    if data.get("state_dim") != STATE_DIM or data.get("n_actions") != N_ACTIONS:
        raise CheckpointError(
            f"{path} was made for {data.get('state_dim')} state attributes and {data.get('n_actions')} "
            f"actions; this player uses {STATE_DIM} and {N_ACTIONS}"
        )
    weights = data.get("weights")
    if not isinstance(weights, dict) or "actor" not in weights or "critic" not in weights:
        raise CheckpointError(f"{path} holds no actor and critic weights")
    # Shapes are checked by building the networks: a mismatch names the layer.
    from players.ddpg.networks import Actor, Critic
    from players.ddpg.torchsetup import seeded

    hidden = tuple(data.get("hidden") or ())
    try:
        with seeded(0):  # building the nets draws weights; keep the global generator untouched
            Actor(hidden=hidden).load_state_dict(weights["actor"])
            Critic(hidden=hidden).load_state_dict(weights["critic"])
    except Exception as exc:
        raise CheckpointError(f"{path} has weights that do not fit its networks: {exc}") from None
    return data


def clear_cache() -> None:
    _cache.clear()
