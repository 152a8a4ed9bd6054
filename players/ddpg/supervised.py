"""Supervised pre-training of the actor: ANN-C and ANN-W (ANEGMA sections 4.1, 4.3).

Data (section 4.1): a teacher buyer (CONAN -> ANN-C, Williams -> ANN-W) plays
the training league's e-market worlds through tourney's own runner (parallel
workers, ``trace: true``); the world logs one row per thread where it was the
buyer's turn: ``(t, thread, Table 1 state, action)``. Rows become
(``encode_table1`` state, f_c class, f_r target): the class is the teacher's
action among ``ACTIONS``; for offers the f_r target is the offered price as a
share of [IP_b, RP_b].

Where the paper is silent: rows where the teacher waited, or cancelled a
reservation, are dropped (f_c has no such class); the split is 80 % train /
20 % held out, by episode (rows of one negotiation never sit on both sides);
the loss is cross-entropy over the actions the protocol allowed plus the
mean squared error of f_r on offer rows; Adam, ``epochs`` passes of batches
of 256; dropout ``dropout`` (0.2) in the trunk, the paper's regulariser.
Accuracy is f_c's on the training and the held-out rows (the paper reports
93-98 % training accuracy, Figure 4); since offers are ~98 % of the rows we
also report the balanced accuracy (mean recall over the classes present).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from players.ddpg.spaces import ACTION_INDEX, ALLOWED, N_ACTIONS, STATE_DIM, action_mask, encode_table1, offer_share
from tourney.seeding import derive_seed, make_rng

_STATE_NAMES = ("S0", "S1", "S2", "S3", "S4", "S5")


def teacher_league(league_path: str | Path, teacher: str, episodes: int, episodes_per_match: int = 10) -> dict:
    """The training league rewritten so ``teacher`` is the buyer, traced, ``episodes`` negotiations in all."""
    from tourney.league import load_league

    league = load_league(league_path)
    worlds, n_combos = [], 0
    sellers = [p for p in league.players if p.type != "ddpg"]
    for w in league.worlds:
        if w.type != "emarket":
            continue
        worlds.append({"type": w.type, "params": {**dict(w.params), "trace": True,
                                                  "episodes": episodes_per_match},
                       "settings": {k: list(v) for k, v in w.settings.items()}})
        n_combos += w.n_settings * len(sellers)
    if not worlds:
        raise ValueError(f"{league_path}: supervised traces need an emarket world")
    reps = max(1, -(-episodes // (n_combos * episodes_per_match)))
    return {
        "name": f"{league.name}-traces-{teacher}",
        "seed": derive_seed(league.seed, "traces", teacher) % 2**31,
        "repetitions": reps,
        "worlds": worlds,
        "players": [{"name": "Teacher", "type": teacher}]
        + [{"name": p.name, "type": p.type, "params": _plain(p.params)} for p in sellers],
        "format": {"self_play": False, "both_roles": True, "timeout": 3600},
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def collect_traces(league_path: str | Path, teacher: str, episodes: int, jobs: int = -1,
                   progress: bool = True, run_dir: str | Path | None = None) -> list[dict]:
    """Play the teacher league (``tourney.iter_results``, no run directory unless ``run_dir``);
    returns its episodes (with traces)."""
    from tourney import iter_results
    from tourney.league import load_league
    from tourney.runner import run_league
    from tourney.store import iter_records

    spec = teacher_league(league_path, teacher, episodes)
    with tempfile.TemporaryDirectory() as tmp:
        # the league is validated exactly as a league file would be
        path = Path(tmp) / "traces.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        league = load_league(path)
        if run_dir is None:
            records = sorted((r.to_json() for r in iter_results(league, jobs=jobs)), key=lambda r: r["id"])
        else:  # keep the log for inspection
            run_league(league, Path(run_dir), jobs=jobs, backend="loky", fresh=True, progress=progress)
            records = sorted(iter_records(run_dir), key=lambda r: r["id"])
    bad = [r for r in records if r["status"] != "ok"]
    if bad:
        raise RuntimeError(f"{len(bad)} teacher matches failed; first: {bad[0]['error']}")
    episodes_out = [e for r in records for e in r["details"]["episodes"]]
    return episodes_out[:episodes]


def build_dataset(episodes: list[dict]) -> dict[str, np.ndarray]:
    """States, masks, f_c labels, f_r targets (NaN when not an offer) and episode ids."""
    states, masks, labels, shares, groups = [], [], [], [], []
    for g, ep in enumerate(episodes):
        t_end = float(ep["t_end"])
        for _t, _tid, row, action in ep.get("trace", []):
            if action is None or action[0] not in ACTION_INDEX:
                continue
            state = _STATE_NAMES[int(row[2])]
            if state not in ALLOWED:
                continue
            allowed = set(ALLOWED[state]) | {action[0]}
            states.append(encode_table1(row, t_end))
            masks.append(action_mask(allowed))
            labels.append(ACTION_INDEX[action[0]])
            shares.append(offer_share(float(action[1]), row[5], row[6]) if action[0] == "offer" else np.nan)
            groups.append(g)
    if not states:
        raise ValueError("the traces hold no teacher decisions")
    return {
        "state": np.asarray(states, dtype=np.float32).reshape(-1, STATE_DIM),
        "mask": np.asarray(masks, dtype=bool).reshape(-1, N_ACTIONS),
        "label": np.asarray(labels, dtype=np.int64),
        "share": np.asarray(shares, dtype=np.float32),
        "group": np.asarray(groups, dtype=np.int64),
    }


def fit(data: dict[str, np.ndarray], seed: int = 0, hidden=(64, 64), dropout: float = 0.2,
        epochs: int = 30, lr: float = 1e-3, batch_size: int = 256, progress: bool = False):
    """Train the actor on ``data``; returns (actor, critic, metrics with the loss curve)."""
    import torch
    from torch import nn

    from players.ddpg.networks import Actor, Critic
    from players.ddpg.torchsetup import seeded

    rng = make_rng(derive_seed(seed, "split"))
    groups = np.unique(data["group"])
    held = set(rng.choice(groups, size=max(1, len(groups) // 5), replace=False).tolist()) if len(groups) > 1 else set()
    test = np.isin(data["group"], list(held))
    train = ~test if test.any() and (~test).any() else np.ones_like(test)
    t = {k: torch.as_tensor(v) for k, v in data.items()}
    curve = []
    with seeded(derive_seed(seed, "ann")):
        actor = Actor(hidden=tuple(hidden), dropout=dropout)
        critic = Critic(hidden=tuple(hidden))
        opt = torch.optim.Adam(actor.parameters(), lr=lr)
        idx_train = np.flatnonzero(train)
        for _epoch in range(epochs):
            actor.train()
            order = rng.permutation(idx_train)
            total, n = 0.0, 0
            for start in range(0, len(order), batch_size):
                b = torch.as_tensor(order[start:start + batch_size])
                logits, share = actor(t["state"][b], t["mask"][b])
                loss = nn.functional.cross_entropy(logits, t["label"][b])
                offers = ~torch.isnan(t["share"][b])
                if offers.any():
                    loss = loss + nn.functional.mse_loss(share[offers], t["share"][b][offers])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(b)
                n += len(b)
            curve.append(round(total / max(n, 1), 6))
        actor.eval()
    metrics = {"loss_curve": curve, "rows": int(len(data["label"])), "train_rows": int(train.sum()),
               "test_rows": int(test.sum()),
               "class_counts": {a: int((data["label"] == i).sum()) for a, i in ACTION_INDEX.items()}}
    for name, sel in (("train", train), ("test", test)):
        if sel.any():
            acc, balanced, mae = _score(actor, t, torch.as_tensor(sel))
            metrics[f"{name}_accuracy"] = acc
            metrics[f"{name}_balanced_accuracy"] = balanced
            metrics[f"{name}_offer_mae"] = mae
    return actor, critic, metrics


def _score(actor, t, sel) -> tuple[float, float, float | None]:
    import torch

    with torch.no_grad():
        logits, share = actor(t["state"][sel], t["mask"][sel])
        pred, label = logits.argmax(-1), t["label"][sel]
        acc = float((pred == label).float().mean())
        recalls = [float((pred[label == k] == k).float().mean()) for k in range(N_ACTIONS) if (label == k).any()]
        balanced = sum(recalls) / len(recalls)
        target = t["share"][sel]
        offers = ~torch.isnan(target)
        mae = float((share[offers] - target[offers]).abs().mean()) if offers.any() else None
    return round(acc, 6), round(balanced, 6), None if mae is None else round(mae, 6)


def pretrain(league_path: str | Path, teacher: str, episodes: int, seed: int = 0, jobs: int = -1,
             progress: bool = True, epochs: int = 30, dropout: float = 0.2, hidden=(64, 64)):
    """Traces -> fitted ANN; returns (weights, hidden, meta) for ``checkpoint.save``."""
    traced = collect_traces(league_path, teacher, episodes, jobs=jobs, progress=progress)
    data = build_dataset(traced)
    actor, critic, metrics = fit(data, seed=seed, hidden=hidden, dropout=dropout, epochs=epochs)
    teacher_u = [e["utility"] for e in traced if e["success"]]
    meta = {"init": f"supervised:{teacher}", "teacher": teacher, "episodes": episodes, "seed": seed,
            "teacher_s_pct": round(100.0 * len(teacher_u) / len(traced), 3),
            "teacher_u_avg": round(float(np.mean(teacher_u)), 6) if teacher_u else None, **metrics}
    weights = {"actor": actor.state_dict(), "critic": critic.state_dict()}
    return weights, tuple(hidden), meta
