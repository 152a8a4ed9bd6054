"""The ANAC negotiation setting: bilateral SAO on multi-issue negmas scenarios.

A match seats two players (``first`` opens, ``second`` answers) and plays
every scenario of the world's ``scenarios`` source (``tourney/worlds/scenarios.py``:
GENIUS/GeniusWeb/negmas folders, the ANL 2024 generator, negmas' multi-issue
generator), each once per ufun rotation: with ``rotate`` the first seat plays
ufun 0 then ufun 1, so both sides play each ufun, as ``cartesian_tournament``
does with ``rotate_ufuns``. A match of A (first) vs B (second) and the match
B vs A together hold every negotiation cartesian_tournament plays for that pair.

Per scenario, once per worker (``prepared``): the ufuns are normalized as
cartesian_tournament does (each to [0, 1], ``common_range=False``, unless already
normalized), non-finite reserved values corrected as it does (to the ufun's
minimum), and the ANAC scores' stats computed (``anac_scores.ScenarioScorer``);
the rotated scenario reuses them rotated (negmas' ``Scenario.rotate_ufuns``).

Each negotiation runs on the same negmas ``SAOMechanism`` subclass as
``bilateral`` (``LeanSAOMechanism``) with negmas' options: ``n_steps`` fixed or a
[low, high] range drawn per negotiation from the match seed (log-uniform when
high/low >= 10, as cartesian_tournament draws it), ``time_limit`` seconds,
``hidden_time_limit`` (a limit in seconds the negotiators are not told, ANL 2024:
180 s), ``hide_n_steps`` (the round limit is enforced but the negotiators' NMI
says there is none). ``reveal_opponent_ufun`` gives each negotiator the partner's
ufun with its reserved value hidden (0) as ``private_info["opponent_ufun"]``, as
ANL 2024 did; off by default.

Players get deep copies of the ufuns; every score comes from the world's own
copy. An offer or agreement outside the outcome space is a protocol breach
(``PlayerFault``), and so is a negotiator negmas reports as having erred.

Scores: the per-seat mean over the match's negotiations of each ANAC metric
(``anac_scores.METRICS``; ``advantage``, ANL 2024's score, is the default).
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from negmas.gb import GBNegotiator
from negmas.inout import Scenario
from negmas.preferences.ops import correct_reserved_value
from negmas.sao import SAONegotiator

from tourney.contract import keeps_state
from tourney.errors import PlayerFault
from tourney.params import NONE, Interval, OfType, Range
from tourney.seeding import derive_seed, make_rng
from tourney.worlds.anac_scores import METRICS, ScenarioScorer
from tourney.worlds.base import MatchContext, MatchResult, Seat, World
from tourney.worlds.fast_ufun import player_copy
from tourney.worlds.bilateral import FAST_SAO_OPTIONS, SAO_MECHANISM, reset_sao_negotiator
from tourney.worlds.scenarios import load_scenarios, resolve_paths, sources

ROLES = ("first", "second")
LOG_UNIFORM_LIMIT = 10  # negmas' cartesian_tournament draws a range log-uniformly from this high/low ratio
MAX_SET_OUTCOMES = 100_000  # outcome spaces up to this size are checked against a set, larger by is_valid
DEFAULT_SCENARIOS = {"generate": "anl2024", "n": 10, "seed": 0}


@dataclass(frozen=True)
class PreparedScenario:
    """One scenario in one rotation, ready to negotiate and score."""

    name: str
    rotation: int
    scenario: Scenario
    scorer: ScenarioScorer
    outcomes: frozenset[Any] | None  # every valid outcome, for small spaces
    # per ufun: negmas' join check (the ufun's outcome space contains the scenario's) holds;
    # made once here, not by the mechanism on every negotiation (LeanSAOMechanism.add)
    space_checked: tuple[bool, ...] = ()

    def is_valid(self, outcome: Any) -> bool:
        if outcome is None:
            return False
        if self.outcomes is not None:
            try:
                return tuple(outcome) in self.outcomes
            except TypeError:
                return False
        return bool(self.scenario.outcome_space.is_valid(outcome))


def _spec_key(spec: Any) -> str:
    return json.dumps(spec, sort_keys=True, default=str)


@lru_cache(maxsize=16)
def _loaded(key: str) -> tuple[Scenario, ...]:
    return tuple(load_scenarios(json.loads(key)))


def scenarios_of(spec: Any) -> tuple[Scenario, ...]:
    """The scenarios of a source spec as read or generated, cached per process."""
    return _loaded(_spec_key(spec))


@lru_cache(maxsize=16)
def _prepared(key: str, normalize: bool, rotate: bool) -> tuple[tuple[PreparedScenario, ...], ...]:
    out = []
    for base in _loaded(key):
        s = copy.deepcopy(base)
        if normalize and not s.is_normalized(common_range=False):
            s = s.normalize(guarantee_max=True, guarantee_min=True, common_range=False, recalculate_stats=False)
        for u in s.ufuns:
            value, corrected = correct_reserved_value(u.reserved_value, u, eps=0.0, warn=False)
            if corrected:
                u.reserved_value = value
        s.stats = None
        s.calc_stats()
        name = base.outcome_space.name
        space = s.outcome_space
        small = space.cardinality <= MAX_SET_OUTCOMES
        outcomes = frozenset(tuple(o) for o in space.enumerate()) if small else None
        checked: dict[tuple[int, int], bool] = {}
        rotations = []
        for r in range(len(s.ufuns) if rotate else 1):
            rs = s if r == 0 else s.rotate_ufuns(r)
            spaces = tuple(_space_checked(rs.outcome_space, u, checked) for u in rs.ufuns)
            rotations.append(PreparedScenario(name, r, rs, ScenarioScorer.for_scenario(rs, rs.stats), outcomes,
                                              spaces))
        out.append(tuple(rotations))
    return tuple(out)


def _space_checked(space: Any, ufun: Any, known: dict[tuple[int, int], bool]) -> bool:
    """negmas' join check for ``ufun`` on ``space``, once per pair of outcome-space objects."""
    own = ufun.outcome_space
    if own is None:
        return True
    key = (id(space), id(own))
    if key not in known:
        known[key] = bool(space in own)
    return known[key]


def prepared(spec: Any, normalize: bool = True, rotate: bool = True) -> tuple[tuple[PreparedScenario, ...], ...]:
    """Per scenario, its rotations prepared for play; computed once per worker process."""
    return _prepared(_spec_key(spec), normalize, rotate)


class CheckedSAOMechanism(SAO_MECHANISM):
    """The SAO mechanism that checks every offer as it is made.

    negmas' own ``check_offers`` silently turns an invalid offer into no offer;
    here the offerer is blamed (``PlayerFault``) before its partner ever sees it,
    so a partner whose ufun cannot evaluate the bad offer is not blamed instead.
    """

    def __init__(self, *args: Any, valid: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._valid = valid
        self.roles_: dict[str, str] = {}

    def _checked(self, negotiator: Any, response: Any) -> None:
        if response is not None and response.outcome is not None and not self._valid(response.outcome):
            role = self.roles_.get(negotiator.id, negotiator.id)
            raise PlayerFault(role, f"offered {response.outcome!r}, not an outcome of this scenario")

    # negmas' call path and LeanSAOMechanism's lean one: every response passes one of them.
    def _safe_counter(self, negotiator: Any, *args: Any, **kwargs: Any) -> tuple[Any, bool]:
        response, failed = super()._safe_counter(negotiator, *args, **kwargs)
        self._checked(negotiator, response)
        return response, failed

    def _call_negotiator(self, negotiator: Any, *args: Any, **kwargs: Any) -> tuple[Any, bool]:
        response, failed = super()._call_negotiator(negotiator, *args, **kwargs)
        self._checked(negotiator, response)
        return response, failed


class NegotiationWorld(World):
    """Two players on every scenario and rotation of a source, ANAC-scored."""

    name = "negotiation"
    roles = ROLES
    metrics = METRICS + ("agreement", "rounds")
    default_metric = "advantage"
    param_constraints = {
        "scenarios": [OfType(dict, list)],
        "n_steps": [NONE, Interval(int, 1, None), Range(int)],
        "time_limit": [NONE, Interval(float, 0, None, closed="neither")],
        "hidden_time_limit": [NONE, Interval(float, 0, None, closed="neither")],
        "hide_n_steps": [OfType(bool)],
        "rotate": [OfType(bool)],
        "normalize": [OfType(bool)],
        "reveal_opponent_ufun": [OfType(bool)],
        "trace": [OfType(bool)],
    }

    def __init__(
        self,
        scenarios: Any = None,
        n_steps: int | tuple[int, int] | None = 100,
        time_limit: float | None = None,
        hidden_time_limit: float | None = None,
        hide_n_steps: bool = False,
        rotate: bool = True,
        normalize: bool = True,
        reveal_opponent_ufun: bool = False,
        trace: bool = False,
    ) -> None:
        self.scenarios = scenarios
        self.n_steps = n_steps
        self.time_limit = time_limit
        self.hidden_time_limit = hidden_time_limit
        self.hide_n_steps = hide_n_steps
        self.rotate = rotate
        self.normalize = normalize
        self.reveal_opponent_ufun = reveal_opponent_ufun
        self.trace = trace

    @classmethod
    def resolve_paths(cls, params: dict[str, Any], base: Path) -> dict[str, Any]:
        """Folder paths in ``scenarios`` made relative to the league file's folder."""
        if "scenarios" not in params:
            return params
        return {**params, "scenarios": resolve_paths(params["scenarios"], base)}

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        if params.get("n_steps") is None and params.get("time_limit") is None \
                and params.get("hidden_time_limit") is None:
            raise ValueError("n_steps: give n_steps, time_limit or hidden_time_limit, or a negotiation never ends")
        if params.get("hide_n_steps") and params.get("n_steps") is None:
            raise ValueError("hide_n_steps: needs n_steps (the round limit to enforce)")
        spec = params.get("scenarios") or DEFAULT_SCENARIOS
        sources(spec)
        # Reading (or generating) every scenario here is what finds a missing folder,
        # a malformed file or a ufun with holes before any match starts; the result
        # is cached, so a sequential run does not read them twice.
        try:
            scenarios_of(spec)
        except ValueError as exc:
            raise ValueError(f"scenarios: {exc}") from None

    @classmethod
    def roles_for_class(cls, player_cls: type) -> tuple[str, ...]:
        return cls.roles if issubclass(player_cls, (SAONegotiator, GBNegotiator)) else ()

    # ------------------------------------------------------------------ play

    def draw_n_steps(self, rng: np.random.Generator) -> int | None:
        """The round limit of one negotiation: fixed, or drawn from the [low, high] range."""
        if self.n_steps is None or isinstance(self.n_steps, int):
            return self.n_steps
        low, high = int(self.n_steps[0]), int(self.n_steps[1])
        if low == high:
            return low
        if low > 0 and high / low >= LOG_UNIFORM_LIMIT:
            value = int(math.exp(rng.uniform(math.log(low), math.log(high))))
            return min(high, max(low, value))
        return int(rng.integers(low, high + 1))

    def play(self, seats: Mapping[str, Seat], seed: int, ctx: MatchContext) -> MatchResult:
        rng = make_rng(seed)
        scenarios = prepared(self.scenarios or DEFAULT_SCENARIOS, self.normalize, self.rotate)
        reuse = {role: keeps_state(seats[role].cls) for role in ROLES}
        kept: dict[str, Any] = {}
        totals = {role: {m: 0.0 for m in METRICS} for role in ROLES}
        negotiations = []
        agreements = rounds = 0
        for index, rotations in enumerate(scenarios):
            for p in rotations:
                n_steps = self.draw_n_steps(rng)
                negotiators = {}
                for role in ROLES:
                    if reuse[role] and role in kept:
                        negotiators[role] = kept[role]
                        reset_sao_negotiator(kept[role])
                    else:
                        seat = seats[role]
                        labels = (role, index, p.rotation)
                        negotiators[role] = ctx.register(
                            seat.make(name=role, seed=derive_seed(seed, *labels)), role)
                        kept[role] = negotiators[role]
                record = self._negotiate(p, negotiators, n_steps, ctx)
                scores = p.scorer.score(record["agreement"])
                for i, role in enumerate(ROLES):
                    for m in METRICS:
                        totals[role][m] += scores[i][m]
                agreements += record["agreement"] is not None
                rounds += record["rounds"]
                record["utility"] = [round(s["utility"], 6) for s in scores]
                record["advantage"] = [round(s["advantage"], 6) for s in scores]
                negotiations.append(record)
        n = float(len(negotiations))
        roles = {role: {m: totals[role][m] / n for m in METRICS} for role in ROLES}
        for role in ROLES:
            roles[role]["agreement"] = agreements / n
            roles[role]["rounds"] = rounds / n
        details: dict[str, Any] = {"negotiations": negotiations}
        usage = {role: kept[role].usage_report() for role in ROLES if callable(getattr(kept[role], "usage_report", None))}
        if usage:  # what a model-backed player's calls cost (LLM players)
            details["usage"] = usage
        return MatchResult(roles=roles, metrics={"agreement": agreements / n, "rounds": rounds / n,
                                                 "negotiations": len(negotiations)},
                           details=details)

    def _negotiate(self, p: PreparedScenario, negotiators: Mapping[str, Any], n_steps: int | None,
                   ctx: MatchContext) -> dict[str, Any]:
        mechanism = CheckedSAOMechanism(
            outcome_space=p.scenario.outcome_space,
            valid=p.is_valid,
            n_steps=None if self.hide_n_steps else n_steps,
            time_limit=self.time_limit,
            hidden_time_limit=self.hidden_time_limit if self.hidden_time_limit is not None else float("inf"),
            **FAST_SAO_OPTIONS,
        )
        ufuns = p.scenario.ufuns
        for i, role in enumerate(ROLES):
            negotiator = negotiators[role]
            if self.reveal_opponent_ufun:
                negotiator._private_info = {"opponent_ufun": _without_reserved(ufuns[1 - i])}
            mechanism.add(negotiator, ufun=player_copy(ufuns[i], share_inverse=True),
                          space_checked=i < len(p.space_checked) and p.space_checked[i])
            mechanism.roles_[negotiator.id] = role
        started = time.perf_counter()
        if self.hide_n_steps:
            state = mechanism.state
            while state.running or not state.started:
                if state.step >= n_steps:
                    break
                state = mechanism.step()
                if state.ended or not state.running:
                    break
        else:
            state = mechanism.run()
        elapsed = time.perf_counter() - started
        ids = {negotiators[r].id: r for r in ROLES}
        if state.has_error and state.erred_negotiator in ids:
            raise PlayerFault(ids[state.erred_negotiator], f"negmas reported an error: {state.error_details}")
        agreement = state.agreement
        if agreement is not None and not p.is_valid(agreement):
            raise PlayerFault("first", f"agreement {agreement!r} is not an outcome of scenario {p.name}")
        record = {
            "scenario": p.name,
            "rotation": p.rotation,
            "n_steps": n_steps,
            "agreement": list(agreement) if agreement is not None else None,
            "rounds": state.step,
            "seconds": round(elapsed, 6),
        }
        if self.trace or ctx.trace:
            trace = mechanism.extended_trace
            record["offers"] = [[step, ids.get(nid, nid), list(o) if o is not None else None]
                                for step, nid, o in trace]
        return record


def _without_reserved(ufun: Any) -> Any:
    """A copy of the partner's ufun with its reserved value hidden (0), as ANL 2024 gave it."""
    other = copy.deepcopy(ufun)
    other.reserved_value = 0.0
    return other
