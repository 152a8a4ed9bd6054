"""``tourney train godfather``: self-play data -> the GBM predictor's models.

As in the paper (Section 4, "GBM Model"), the data come from worlds in which
every factory runs Godfather with the empirical predictor; tourney's own
``oneshot`` world plays them (``OneShotWorld.play``, seeds derived from
``--seed``). Every offer Godfather makes is one row of ``features.FEATURES``,
labelled with how that negotiation ended: the final quantity (0 = no
agreement) and the agreed price scaled to [0, 1].

Models (xgboost): a quantity classifier (its class probabilities are the
predicted distribution) and a price regressor trained on agreements only.
Held-out scores (20 % of the worlds) are written to ``meta.json``: the price
RMSE on the [0, 1] price scale (the paper reports about 3 in price units on
its issue), and the quantity model's one-vs-rest macro AUC (paper: about 0.95).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import click
import numpy as np

from players.godfather.features import FEATURES, N_QUANTITY_CLASSES
from players.godfather.predictors import MODEL_DIR


def self_play(n_worlds: int, n_steps: int, seed: int, record_dir: Path, n_jobs: int) -> None:
    """Play ``n_worlds`` all-Godfather OneShot worlds, recording rows into ``record_dir``."""
    from joblib import Parallel, delayed

    Parallel(n_jobs=n_jobs)(
        delayed(_play_one)(i, n_steps, seed, str(record_dir)) for i in range(n_worlds)
    )


def _play_one(index: int, n_steps: int, seed: int, record_dir: str) -> None:
    from players.godfather.agent import GodfatherAgent
    from tourney import play_match
    from tourney.seeding import derive_seed
    from tourney.worlds.oneshot import SLOTS, OneShotWorld

    world_dir = Path(record_dir) / f"world{index:04d}"
    world_dir.mkdir(parents=True, exist_ok=True)
    n_factories = 8
    seats = {slot: (GodfatherAgent, {"record_dir": str(world_dir)}) for slot in SLOTS[:n_factories]}
    world = OneShotWorld(n_steps=n_steps, n_agents_per_process=n_factories // 2, rotations=1)
    match_seed = derive_seed(seed, "godfather-selfplay", index)
    record = play_match(world, seats, match_seed)
    if not record.ok:
        raise RuntimeError(f"self-play world {index} failed ({record.status}): {record.error}")


def load_rows(record_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Rows and the world index each came from."""
    rows, groups = [], []
    for world_dir in sorted(record_dir.glob("world*")):
        for path in sorted(world_dir.glob("*.npy")):
            data = np.load(path)
            rows.append(data)
            groups.append(np.full(len(data), int(world_dir.name[5:])))
    if not rows:
        raise click.ClickException("self-play produced no records")
    return np.concatenate(rows), np.concatenate(groups)


def train_models(rows: np.ndarray, groups: np.ndarray, seed: int, out: Path, n_estimators: int = 120) -> dict:
    """Fit, score on held-out worlds, refit on everything, save; return meta."""
    import xgboost

    n_features = len(FEATURES)
    x, q, p = rows[:, :n_features], rows[:, n_features].astype(int), rows[:, n_features + 1]
    q = np.clip(q, 0, N_QUANTITY_CLASSES - 1)
    worlds = np.unique(groups)
    rng = np.random.default_rng(seed)
    held = set(rng.choice(worlds, size=max(1, len(worlds) // 5), replace=False).tolist())
    test = np.isin(groups, list(held))

    def quantity_model():
        return xgboost.XGBClassifier(
            n_estimators=n_estimators, max_depth=4, learning_rate=0.1, objective="multi:softprob",
            num_class=N_QUANTITY_CLASSES, random_state=seed, n_jobs=1,
        )

    def price_model():
        return xgboost.XGBRegressor(n_estimators=n_estimators, max_depth=4, learning_rate=0.1, random_state=seed, n_jobs=1)

    # every class must exist in training: append one zero-weight row per class
    pad_x = np.zeros((N_QUANTITY_CLASSES, n_features))
    pad_q = np.arange(N_QUANTITY_CLASSES)

    def fit_quantity(xs, qs):
        model = quantity_model()
        weights = np.r_[np.ones(len(qs)), np.full(N_QUANTITY_CLASSES, 1e-6)]
        model.fit(np.r_[xs, pad_x], np.r_[qs, pad_q], sample_weight=weights)
        return model

    agreed = q > 0
    scores: dict[str, float] = {}
    if test.any() and (~test).any():
        qm = fit_quantity(x[~test], q[~test])
        proba = qm.predict_proba(x[test])
        scores["quantity_macro_auc"] = _macro_auc(q[test], proba)
        scores["quantity_accuracy"] = float(np.mean(proba.argmax(axis=1) == q[test]))
        train_agree, test_agree = agreed & ~test, agreed & test
        if train_agree.any() and test_agree.any():
            pm = price_model().fit(x[train_agree], p[train_agree])
            scores["price_rmse_scaled"] = float(np.sqrt(np.mean((pm.predict(x[test_agree]) - p[test_agree]) ** 2)))
    quantity = fit_quantity(x, q)
    price = price_model().fit(x[agreed], p[agreed]) if agreed.any() else price_model().fit(x, np.zeros(len(x)))
    out.mkdir(parents=True, exist_ok=True)
    quantity.save_model(out / "quantity.ubj")
    price.save_model(out / "price.ubj")
    meta = {
        "features": FEATURES,
        "rows": int(len(rows)),
        "agreements": int(agreed.sum()),
        "worlds": int(len(worlds)),
        "held_out_worlds": int(len(held)),
        "seed": seed,
        "scores": scores,
        "xgboost": xgboost.__version__,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def _macro_auc(labels: np.ndarray, proba: np.ndarray) -> float:
    """One-vs-rest AUC averaged over the classes present (Mann-Whitney form)."""
    from scipy.stats import rankdata

    aucs = []
    for c in range(proba.shape[1]):
        positive = labels == c
        n_pos, n_neg = int(positive.sum()), int((~positive).sum())
        if n_pos == 0 or n_neg == 0:
            continue
        ranks = rankdata(proba[:, c])
        aucs.append((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return float(np.mean(aucs)) if aucs else float("nan")


@click.command("godfather")
@click.option("--worlds", "n_worlds", default=40, show_default=True, type=click.IntRange(2, None),
              help="self-play worlds to generate")
@click.option("--steps", "n_steps", default=10, show_default=True, type=click.IntRange(3, None),
              help="days per world")
@click.option("--seed", default=2021, show_default=True, type=click.IntRange(0, None))
@click.option("-j", "--jobs", "n_jobs", default=1, show_default=True, type=int, help="parallel worlds")
@click.option("--out", "out", default=str(MODEL_DIR), show_default=True,
              type=click.Path(file_okay=False), help="where the models go")
def command(n_worlds: int, n_steps: int, seed: int, n_jobs: int, out: str) -> None:
    """Train Godfather's GBM outcome predictor on self-play OneShot worlds."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="godfather-selfplay-") as tmp:
        self_play(n_worlds, n_steps, seed, Path(tmp), n_jobs)
        rows, groups = load_rows(Path(tmp))
    meta = train_models(rows, groups, seed, Path(out))
    click.echo(
        f"trained on {meta['rows']} rows ({meta['agreements']} agreed) from {meta['worlds']} worlds "
        f"in {time.perf_counter() - started:.0f} s; held-out: {json.dumps(meta['scores'])}; saved to {out}"
    )
