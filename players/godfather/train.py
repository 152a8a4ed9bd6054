"""``tourney train godfather``: self-play data -> the GBM predictor's models.

As in the paper (Section 4, "GBM Model"), the data come from worlds in which
Godfather with the empirical predictor plays itself; tourney's own ``oneshot``
world plays them (``OneShotWorld.play``, seeds derived from ``--seed`` under
the label ``godfather-selfplay``, so never a market of the reproduction
league). The worlds are drawn as the 2021 competition draws them (the
parameters of ``leagues/godfather.yaml``, scml's ``anac2021_oneshot``): days
drawn from ``--days`` (50-200), 2 levels of 5-6 factories, 20 rounds. Ten
factories run Godfather; a level drawn with 6 gives its extra factory to
scml's default agents, as the league gives its fillers (``--steps`` fixes the
days instead, for quick checks). Every offer Godfather makes is one row of ``features.FEATURES``,
labelled with how that negotiation ended: the final quantity (0 = no
agreement) and the agreed price scaled to [0, 1].

Models (xgboost): a quantity classifier (its class probabilities are the
predicted distribution) and a price regressor trained on agreements only.
Held-out scores (20 % of the worlds, never trained on) are written to
``meta.json``: the price RMSE on the [0, 1] price scale and in price units
(``price_rmse``: scaled error times the width of the negotiation's price issue;
the paper reports about 3), and the quantity model's one-vs-rest macro AUC
(paper: about 0.95).
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


N_GODFATHERS = 10  # 2 levels x 5 (the least the competition draws); extra factories go to scml's agents
COMPETITION_DAYS = (50, 200)  # anac_config_generator's n_steps, as leagues/godfather.yaml


def self_play(n_worlds: int, n_steps: int | tuple[int, int], seed: int, record_dir: Path, n_jobs: int) -> None:
    """Play ``n_worlds`` Godfather self-play OneShot worlds, recording rows into ``record_dir``."""
    from joblib import Parallel, delayed

    Parallel(n_jobs=n_jobs)(
        delayed(_play_one)(i, n_steps, seed, str(record_dir)) for i in range(n_worlds)
    )


def _play_one(index: int, n_steps: int | tuple[int, int], seed: int, record_dir: str) -> None:
    from players.godfather.agent import GodfatherAgent
    from tourney import play_match
    from tourney.seeding import derive_seed
    from tourney.worlds.oneshot import SLOTS, OneShotWorld

    world_dir = Path(record_dir) / f"world{index:04d}"
    world_dir.mkdir(parents=True, exist_ok=True)
    seats = {slot: (GodfatherAgent, {"record_dir": str(world_dir)}) for slot in SLOTS[:N_GODFATHERS]}
    world = OneShotWorld(year=2021, n_steps=n_steps, n_processes=2, n_agents_per_process=(5, 6),
                         neg_n_steps=20, rotations=1)
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


# 100 trees per class: at 120 the quantity model of 4 competition-sized worlds was 2.12 MB, over
# the repository's 2 MB per file (the size grows with the trees, ~17.7 kB per tree per 11 classes)
N_ESTIMATORS = 100


def train_models(rows: np.ndarray, groups: np.ndarray, seed: int, out: Path, n_estimators: int = N_ESTIMATORS,
                 extra: dict | None = None) -> dict:
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
            error = pm.predict(x[test_agree]) - p[test_agree]
            scores["price_rmse_scaled"] = float(np.sqrt(np.mean(error ** 2)))
            if rows.shape[1] >= n_features + 4:  # the price issue's range was recorded: error in price units
                width = rows[test_agree, n_features + 3] - rows[test_agree, n_features + 2]
                scores["price_rmse"] = float(np.sqrt(np.mean((error * width) ** 2)))
            scores["held_out_rows"] = int(test.sum())
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
        **(extra or {}),
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
@click.option("--days", "days", nargs=2, default=COMPETITION_DAYS, show_default=True,
              type=click.IntRange(3, None), help="days per world, drawn per world from [LOW, HIGH]")
@click.option("--steps", "n_steps", default=None, type=click.IntRange(3, None),
              help="fixed days per world instead of --days (quick checks)")
@click.option("--seed", default=2021, show_default=True, type=click.IntRange(0, None))
@click.option("-j", "--jobs", "n_jobs", default=1, show_default=True, type=int, help="parallel worlds")
@click.option("--out", "out", default=str(MODEL_DIR), show_default=True,
              type=click.Path(file_okay=False), help="where the models go")
def command(n_worlds: int, days: tuple[int, int], n_steps: int | None, seed: int, n_jobs: int, out: str) -> None:
    """Train Godfather's GBM outcome predictor on self-play OneShot worlds."""
    started = time.perf_counter()
    if days[0] > days[1]:
        raise click.BadParameter(f"--days {days[0]} {days[1]}: LOW must not exceed HIGH")
    span: int | tuple[int, int] = n_steps if n_steps is not None else (int(days[0]), int(days[1]))
    with tempfile.TemporaryDirectory(prefix="godfather-selfplay-") as tmp:
        self_play(n_worlds, span, seed, Path(tmp), n_jobs)
        played = time.perf_counter() - started
        rows, groups = load_rows(Path(tmp))
    meta = train_models(rows, groups, seed, Path(out), extra={
        "days": span, "godfathers_per_world": N_GODFATHERS, "self_play_seconds": round(played),
        "command": f"tourney train godfather --worlds {n_worlds} "
                   + (f"--steps {n_steps}" if n_steps is not None else f"--days {days[0]} {days[1]}")
                   + f" --seed {seed}"})
    click.echo(
        f"trained on {meta['rows']} rows ({meta['agreements']} agreed) from {meta['worlds']} worlds "
        f"in {time.perf_counter() - started:.0f} s; held-out: {json.dumps(meta['scores'])}; saved to {out}"
    )
