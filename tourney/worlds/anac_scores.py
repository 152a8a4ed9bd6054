"""ANAC scores of one bilateral negotiation, from scenario stats computed once.

``ScenarioScorer`` is built once per scenario (and rotation) in a worker: it
holds negmas' ``ScenarioStats`` (``calc_scenario_stats``: Pareto frontier,
Nash, Kalai, Kalai-Smorodinsky and max-welfare points), each side's utility
range and reserved value, and negmas' ``estimate_max_dist``. ``score`` then
turns the agreement's utilities into the numbers of negmas'
``cartesian_tournament`` (``make_scores`` and ``calc_outcome_optimality``):

- per seat: ``utility``; ``advantage`` = (u - reserved) / (max - reserved),
  ANL 2024's score (u - min when the reserved value is -inf, 0 when max equals
  reserved); ``welfare`` = mean utility of both sides; ``partner_welfare`` =
  the other side's utility;
- per negotiation (the same for both seats): ``nash_optimality``,
  ``kalai_optimality``, ``ks_optimality``, ``pareto_optimality`` =
  max(0, 1 - distance / max distance), ``max_welfare_optimality`` = welfare
  sum / the largest welfare sum on the frontier.

A disagreement is worth each side's reserved value (negmas' ``ufun(None)``).
The utilities are always those of the world's own copy of the ufuns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from negmas.inout import Scenario
from negmas.preferences.ops import (
    ScenarioStats,
    calc_outcome_distances,
    calc_outcome_optimality,
    calc_scenario_stats,
    estimate_max_dist,
)

SEAT_METRICS = ("utility", "advantage", "welfare", "partner_welfare")
OPTIMALITY_METRICS = ("nash_optimality", "kalai_optimality", "ks_optimality", "max_welfare_optimality",
                      "pareto_optimality")
METRICS = SEAT_METRICS + OPTIMALITY_METRICS


@dataclass(frozen=True)
class ScenarioScorer:
    """What scoring a negotiation on one scenario needs, computed once."""

    ufuns: tuple[Any, ...]
    stats: ScenarioStats
    reserved: tuple[float, ...]
    mins: tuple[float, ...]
    maxs: tuple[float, ...]
    max_dist: float

    @classmethod
    def for_scenario(cls, scenario: Scenario, stats: ScenarioStats | None = None) -> "ScenarioScorer":
        ufuns = tuple(scenario.ufuns)
        if stats is None:
            stats = calc_scenario_stats(ufuns)
        ranges = [u.minmax() for u in ufuns]
        return cls(ufuns=ufuns, stats=stats, reserved=tuple(float(u.reserved_value) for u in ufuns),
                   mins=tuple(float(r[0]) for r in ranges), maxs=tuple(float(r[1]) for r in ranges),
                   max_dist=estimate_max_dist(ufuns))

    def utilities(self, agreement: Sequence[Any] | None) -> tuple[float, ...]:
        return tuple(float(u(agreement)) for u in self.ufuns)

    def score(self, agreement: Sequence[Any] | None) -> list[dict[str, float]]:
        """The ANAC numbers of each seat for an agreement (None: no agreement)."""
        utils = self.utilities(agreement)
        optimality = calc_outcome_optimality(calc_outcome_distances(utils, self.stats), self.stats, self.max_dist)
        shared = {name: float(getattr(optimality, name)) for name in OPTIMALITY_METRICS}
        n = len(utils)
        out = []
        for i, u in enumerate(utils):
            out.append({
                "utility": u,
                "advantage": advantage(u, self.reserved[i], self.mins[i], self.maxs[i]),
                "welfare": sum(utils) / n,
                "partner_welfare": sum(v for j, v in enumerate(utils) if j != i) / (n - 1),
                **shared,
            })
        return out


def advantage(u: float, reserved: float, low: float, high: float) -> float:
    """ANL's advantage: the share of the way from the reserved value to the best utility."""
    if math.isnan(reserved) or (math.isinf(reserved) and reserved < 0):
        return u - low if not math.isnan(low) else 0.0
    return (u - reserved) / (high - reserved) if high != reserved else 0.0
