"""Outcome predictors (Section 4): each returns, for one negotiation, a
distribution over its outcomes ``(quantity, unit_price)`` and ``None``
(disagreement).

- ``EmpiricalPredictor`` (static): the empirical distribution of the past
  outcomes with this opponent, plus a constant prior weight (a pseudo-count,
  ``disagreement_prior``) on disagreement; with no history, disagreement is
  certain.
- ``GBMPredictor`` (introspective): xgboost models trained on self-play
  (``players.godfather.train``) map the features of ``features.py`` to a
  distribution over quantities (0 = disagreement) and a point estimate of the
  price. Where the paper trains 80 models (one quantity and one price model for
  each of the 40 turns), we train one of each with the turn as a feature, so
  small self-play data sets cover every turn.

The model hacks (probability 1 on an ended or about-to-end negotiation) are
applied by the agent on top of any predictor.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Hashable

import numpy as np

from players.godfather.features import FEATURES, N_QUANTITY_CLASSES

MODEL_DIR = Path(__file__).parent / "models"
MIN_PROBABILITY = 0.01


class EmpiricalPredictor:
    """Past outcomes per opponent, with a prior weight on disagreement."""

    def __init__(self, disagreement_prior: float = 1.0) -> None:
        self.disagreement_prior = disagreement_prior
        self.history_: dict[Hashable, list[Any]] = defaultdict(list)

    def observe(self, partner: Hashable, outcome: Any) -> None:
        self.history_[partner].append(outcome)

    def predict(self, partner: Hashable) -> list[tuple[Any, float]]:
        counts: dict[Any, float] = dict(Counter(self.history_.get(partner, [])))
        counts[None] = counts.get(None, 0) + self.disagreement_prior
        total = sum(counts.values())
        if total <= 0:
            return [(None, 1.0)]
        return [(o, c / total) for o, c in counts.items() if c > 0]

    def summary(self, partner: Hashable) -> tuple[float, float, float]:
        """P(agreement), mean quantity and mean price of past agreements (0 if none)."""
        dist = self.predict(partner)
        agree = [(o, w) for o, w in dist if o is not None]
        p_agree = sum(w for _, w in agree)
        if p_agree <= 0:
            return 0.0, 0.0, 0.0
        q = sum(o[0] * w for o, w in agree) / p_agree
        p = sum(o[1] * w for o, w in agree) / p_agree
        return p_agree, q, p


class GBMPredictor:
    """Quantity classifier + price regressor (xgboost), loaded once per process."""

    _cache: dict[str, tuple[Any, Any, dict]] = {}

    def __init__(self, model_dir: str | Path | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir else MODEL_DIR
        self.quantity_model_, self.price_model_, self.meta_ = self.load(self.model_dir)

    @classmethod
    def load(cls, model_dir: Path) -> tuple[Any, Any, dict]:
        key = str(model_dir.resolve())
        if key not in cls._cache:
            import xgboost

            meta = json.loads((model_dir / "meta.json").read_text())
            if meta["features"] != FEATURES:
                raise ValueError(
                    f"GBM models in {model_dir} were trained on other features; "
                    "retrain them with `tourney train godfather`"
                )
            quantity = xgboost.XGBClassifier()
            quantity.load_model(model_dir / "quantity.ubj")
            price = xgboost.XGBRegressor()
            price.load_model(model_dir / "price.ubj")
            # one thread: a prediction is a handful of rows, and xgboost's thread pool start-up
            # cost more than the trees (same predictions)
            quantity.set_params(n_jobs=1)
            price.set_params(n_jobs=1)
            cls._cache[key] = (quantity, price, meta)
        return cls._cache[key]

    def predict_many(
        self, rows: np.ndarray, price_ranges: list[tuple[float, float]], max_quantities: list[int]
    ) -> list[list[tuple[Any, float]]]:
        """One distribution per feature row (one row per negotiation)."""
        proba = self.quantity_model_.predict_proba(rows)
        classes = [int(c) for c in self.quantity_model_.classes_]
        prices = self.price_model_.predict(rows)
        out = []
        for probs, price, (low, high), q_max in zip(proba, prices, price_ranges, max_quantities):
            unit = float(np.clip(round(low + float(price) * (high - low)), low, high))
            dist: dict[Any, float] = defaultdict(float)
            for c, w in zip(classes, probs):
                q = min(c, q_max, N_QUANTITY_CLASSES - 1)
                dist[None if q <= 0 else (q, unit)] += float(w)
            kept = [(o, w) for o, w in dist.items() if w >= MIN_PROBABILITY]
            total = sum(w for _, w in kept)
            out.append([(o, w / total) for o, w in kept] if total > 0 else [(None, 1.0)])
        return out
