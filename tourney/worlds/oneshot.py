"""SCML OneShot supply-chain worlds from the ``scml`` package.

A match is one world configuration (market: production graph, factory
profiles, exogenous contracts) generated from the match seed with
``SCML{year}OneShotWorld.generate``, with every league competitor given one
factory. As SCML's own tournaments do (``scml.utils.anac_assigner_std``), the
competitors are then rotated over the competitor factories of that
configuration: rotation ``r`` seats competitor ``perm[(i + r) % N]`` in slot
``i``, so over the ``N`` rotations each competitor runs every competitor
factory once in the same market. Factories left over when the configuration
has more factories than competitors go to SCML's non-competitor agents
(``fillers``; scml's ``DefaultAgentsOneShot`` by default), as in the SCML
tournaments.

Score (as SCML's ``balance_calculator_oneshot``): a factory's score is
``world.scores()`` (final balance / initial balance, inventory not valued).
A seat's ``score`` is the mean of its scores over the worlds of the match
(configs x rotations). The per-world scores are kept in
``details["worlds"]`` so SCML's own aggregate (its ``truncated_mean``: drop the
per-world scores above Q3 + 2 IQR, no lower cut) can be recomputed exactly.

Choices where SCML is silent or differs:

- ``n_agents_per_process`` is drawn per process from the given range; when the
  drawn total has fewer factories than the league has competitors, factories
  are added one process at a time until every competitor has one (SCML instead
  fixes ``min_factories_per_level`` up front).
- ``n_steps`` is a number of days or a range [low, high] drawn per config
  (SCML 2021: [50, 200]); it must be at least ``n_processes + 1``: scml's generator fails with
  "zero-size array to reduction operation maximum" below that.
- negmas' clock-driven draw from the global generator is skipped
  (``tourney.worlds.scml_clock``): without it a world with a negotiation
  longer than a second gives another table on every run.
- scml's 15-minute wall-clock cap on a world is lifted (``time_limit`` inf):
  on a loaded machine it cut long worlds short, so scores depended on the
  load; the match time limit (league ``format.timeout``) stays.
- Worlds run with every ``ignore_*_exceptions`` flag off, so an exception in an
  agent ends the match and is blamed on the agent's seat.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any, Callable, Mapping

import numpy as np

from tourney.params import NONE, Interval, OfType, Options, Range, signature_params
from tourney.seeding import derive_seed, make_rng, seed_globals
from tourney.worlds.base import MatchContext, MatchResult, Seat, World

MAX_COMPETITORS = 64
SLOTS = tuple(f"agent{i}" for i in range(1, MAX_COMPETITORS + 1))

# Names SCML's built-in OneShot agents enter a league by (players/catalog.py
# lists them); kept here so the world can name fillers the same way.
SCML_AGENTS = {
    "greedy-oneshot": "scml.oneshot.agents:GreedyOneShotAgent",
    "greedy-sync": "scml.oneshot.agents:GreedySyncAgent",
    "greedy-single": "scml.oneshot.agents:GreedySingleAgreementAgent",
    "single-aspiration": "scml.oneshot.agents:SingleAgreementAspirationAgent",
    "rand-dist": "scml.oneshot.agents:RandDistOneShotAgent",
    "equal-dist": "scml.oneshot.agents:EqualDistOneShotAgent",
    "sync-random": "scml.oneshot.agents:SyncRandomOneShotAgent",
    "random-oneshot": "scml.oneshot.agents:RandomOneShotAgent",
    "single-random": "scml.oneshot.agents:SingleAgreementRandomAgent",
    "nothing-oneshot": "scml.oneshot.agents:OneshotDoNothingAgent",
}


class OneShotWorld(World):
    """All league competitors in SCML OneShot worlds, rotated over the factories."""

    name = "oneshot"
    roles = SLOTS
    metrics = ("score", "contracts", "level")
    default_metric = "score"
    param_constraints = {
        "year": [Options([2021, 2024])],
        "n_steps": [Range(int), Interval(int, 2, None)],
        "n_processes": [Interval(int, 2, None)],
        "n_agents_per_process": [Range(int), Interval(int, 1, None)],
        "n_configs": [Interval(int, 1, None)],
        "rotations": [NONE, Interval(int, 1, None)],
        "neg_n_steps": [NONE, Interval(int, 1, None)],
        "fillers": [NONE, OfType(list)],
        "trace": [OfType(bool)],
    }

    def __init__(
        self,
        year: int = 2021,
        n_steps: tuple[int, int] | int = 10,
        n_processes: int = 2,
        n_agents_per_process: tuple[int, int] | int = (2, 4),
        n_configs: int = 1,
        rotations: int | None = None,
        neg_n_steps: int | None = None,
        fillers: list[str] | None = None,
        trace: bool = False,
    ) -> None:
        self.year = year
        self.n_steps = n_steps
        self.n_processes = n_processes
        self.n_agents_per_process = n_agents_per_process
        self.n_configs = n_configs
        self.rotations = rotations
        self.neg_n_steps = neg_n_steps
        self.fillers = fillers
        self.trace = trace

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        n_steps = params.get("n_steps", 10)
        n_processes = params.get("n_processes", 2)
        shortest = n_steps if isinstance(n_steps, int) else n_steps[0]
        if shortest < n_processes + 1:
            raise ValueError(
                f"n_steps: a OneShot world with n_processes = {n_processes} needs n_steps >= "
                f"{n_processes + 1} (scml cannot generate exogenous contracts otherwise); got {n_steps}"
            )
        per_process = params.get("n_agents_per_process", (2, 4))
        low = per_process if isinstance(per_process, int) else per_process[0]
        if low < 1:
            raise ValueError("n_agents_per_process: every process needs at least one factory")
        for filler in params.get("fillers") or []:
            if not isinstance(filler, str) or not (filler in SCML_AGENTS or "." in filler or ":" in filler):
                raise ValueError(
                    f"fillers: {filler!r} is neither one of {', '.join(sorted(SCML_AGENTS))} "
                    "nor a dotted path to an SCML agent class"
                )

    @classmethod
    def roles_for_class(cls, player_cls: type) -> tuple[str, ...]:
        from scml.oneshot.agent import OneShotAgent

        return SLOTS if issubclass(player_cls, OneShotAgent) else ()

    @classmethod
    def assignments(
        cls,
        players: list[str],
        can_play: Callable[[str, str], bool],
        self_play: bool,
        both_roles: bool,
    ) -> list[dict[str, str]]:
        """One assignment: every competitor that can play, one slot each.

        The round robin over factories happens inside the match (rotations),
        so ``self_play`` and ``both_roles`` change nothing here.
        """
        competitors = [p for p in players if can_play(p, SLOTS[0])]
        if len(competitors) > MAX_COMPETITORS:
            raise ValueError(f"players: a OneShot world takes at most {MAX_COMPETITORS} competitors")
        if not competitors:
            return []
        return [dict(zip(SLOTS, competitors))]

    # --- one match ---
    def world_class(self) -> type[Any]:  # an scml world class (untyped)
        from scml.oneshot import world as scml_world

        from tourney.worlds.scml_clock import clockless

        # scml's own world class; the subclass only keeps the wall clock out of the global generator
        return clockless(getattr(scml_world, f"SCML{self.year}OneShotWorld"))

    def filler_classes(self) -> list[type]:
        from scml.oneshot.context import DefaultAgentsOneShot

        from tourney.registry import import_object

        if not self.fillers:
            return list(DefaultAgentsOneShot)
        return [import_object(SCML_AGENTS.get(f, f)) for f in self.fillers]

    def factories_per_process(self, rng: np.random.Generator, n_competitors: int) -> list[int]:
        spec = self.n_agents_per_process
        low, high = (spec, spec) if isinstance(spec, int) else spec
        counts = [int(rng.integers(low, high + 1)) for _ in range(self.n_processes)]
        i = 0
        while sum(counts) < n_competitors:
            counts[i % self.n_processes] += 1
            i += 1
        return counts

    def days(self, rng: np.random.Generator) -> int:
        """Days of one config: fixed, or drawn uniformly from [low, high] as SCML's ``_intin`` does.

        Drawn last from the config's stream, so a fixed ``n_steps`` leaves every
        other draw (and so every earlier league's markets) unchanged.
        """
        if isinstance(self.n_steps, int):
            return self.n_steps
        low, high = self.n_steps
        return int(rng.integers(low, high + 1))

    def play(self, seats: Mapping[str, Seat], seed: int, ctx: MatchContext) -> MatchResult:
        slots = [s for s in SLOTS if s in seats]
        n = len(slots)
        n_rotations = n if self.rotations is None else min(self.rotations, n)
        world_cls = self.world_class()
        fillers = self.filler_classes()
        worlds: list[dict[str, Any]] = []
        per_role: dict[str, list[float]] = {s: [] for s in slots}
        contracts: dict[str, list[int]] = {s: [] for s in slots}
        levels: dict[str, list[int]] = {s: [] for s in slots}
        for config in range(self.n_configs):
            rng = make_rng(derive_seed(seed, "config", config))
            counts = self.factories_per_process(rng, n)
            processes = [p for p, c in enumerate(counts) for _ in range(c)]
            competitor_factories = sorted(rng.choice(len(processes), size=n, replace=False).tolist())
            filler_types = [fillers[int(rng.integers(len(fillers)))] for _ in processes]
            order = rng.permutation(n).tolist()  # the base permutation SCML shuffles once per config
            n_steps = self.days(rng)
            seed_globals(derive_seed(seed, "generate", config))
            base = world_cls.generate(
                agent_types=filler_types,
                agent_processes=processes,
                n_steps=n_steps,
                n_processes=self.n_processes,
                random_agent_types=False,
            )
            for rotation in range(n_rotations):
                seating = {
                    factory: slots[order[(i + rotation) % n]]
                    for i, factory in enumerate(competitor_factories)
                }
                summary = self.run_world(
                    world_cls, base, seating, seats, ctx, derive_seed(seed, "run", config, rotation)
                )
                summary.update(config=config, rotation=rotation, n_steps=n_steps)
                worlds.append(summary)
                for role, score in summary["scores"].items():
                    per_role[role].append(score)
                    contracts[role].append(summary["contracts"][role])
                    levels[role].append(summary["levels"][role])
        roles = {
            role: {
                "score": sum(per_role[role]) / len(per_role[role]),
                # one score per world: scoring aggregates these, as SCML does
                "score_samples": list(per_role[role]),
                "contracts": sum(contracts[role]) / len(contracts[role]),
                "level": sum(levels[role]) / len(levels[role]),
            }
            for role in slots
        }
        all_scores = [s for w in worlds for s in w["scores"].values()]
        return MatchResult(
            roles=roles,
            metrics={"worlds": len(worlds), "mean_score": sum(all_scores) / len(all_scores)},
            details={"worlds": worlds},
        )

    def run_world(
        self,
        world_cls: type,
        base: dict[str, Any],
        seating: dict[int, str],
        seats: Mapping[str, Seat],
        ctx: MatchContext,
        run_seed: int,
    ) -> dict[str, Any]:
        """Run one world with competitors at ``seating`` (factory index -> slot)."""
        config = copy.deepcopy(base)
        # generate() wraps every OneShot agent in DefaultOneShotAdapter and
        # names the agent class in its params; we swap only those params.
        for factory, role in seating.items():
            seat = seats[role]
            config["agent_params"][factory] = {
                "controller_type": seat.cls,
                "controller_params": agent_params(seat, derive_seed(run_seed, role)),
            }
        config["name"] = f"oneshot-{run_seed}"
        options = {} if self.neg_n_steps is None else {"neg_n_steps": self.neg_n_steps}
        seed_globals(run_seed)
        world = world_cls(
            **config,
            **options,
            **self.quiet_options(),
            # scml's wall-clock cap on a whole world (15 min) ends a long world early on a loaded
            # machine (measured: 2 of 4 self-play worlds of 135-176 days lost their last day), so
            # the table would depend on the load; the match's own time limit guards against hangs
            time_limit=math.inf,
            ignore_agent_exceptions=False,
            ignore_negotiation_exceptions=False,
            ignore_contract_execution_exceptions=False,
            ignore_simulation_exceptions=False,
        )
        self.quieten(world)
        # World agent ids follow the factory order of the config (system agents last).
        factory_ids = [aid for aid in world.agents if not _is_system(aid)]
        role_of = {factory_ids[f]: role for f, role in seating.items()}
        for aid, role in role_of.items():
            adapter = world.agents[aid]
            ctx.register(adapter, role)
            ctx.register(getattr(adapter, "_obj", adapter), role)
        started = time.perf_counter()
        world.run()
        elapsed = time.perf_counter() - started
        scores = world.scores()
        signed = {aid: 0 for aid in role_of}
        for contract in world.saved_contracts:
            parties = (contract.get("seller"), contract.get("buyer"))
            # exogenous contracts (with the system agents) are not negotiated
            if contract.get("signed_at", -1) < 0 or any(_is_system(str(p)) for p in parties):
                continue
            for party in parties:
                if party in signed:
                    signed[party] += 1
        summary: dict[str, Any] = {
            "scores": {role: float(scores[aid]) for aid, role in role_of.items()},
            "contracts": {role: signed[aid] for aid, role in role_of.items()},
            "levels": {role: int(world.agent_profiles[aid].level) for aid, role in role_of.items()},
            "fillers": {aid: type(_unwrap(world.agents[aid])).__name__ for aid in factory_ids if aid not in role_of},
            "filler_scores": {aid: float(scores[aid]) for aid in factory_ids if aid not in role_of},
            "factories": {role: factory for factory, role in seating.items()},
            "seconds": round(elapsed, 4),
        }
        if self.trace or ctx.trace:
            summary["ids"] = {role: aid for aid, role in role_of.items()}
        return summary


    # negmas' write-only records, off: the outcomes are the same without them
    # (tests/test_oneshot.py compares), and they cost a fifth of scml's world step
    def quiet_options(self) -> dict[str, Any]:
        """World options: no detail logs (parquet files rewritten every day under ~/negmas/logs)."""
        return {"saved_details_level": 0}

    def quieten(self, world: Any) -> None:
        """No negotiation records (scml forces ``save_negotiations``; only negmas' log writer reads them)."""
        world.save_negotiations = False


def agent_params(seat: Seat, seed: int) -> dict[str, Any]:
    """The seat's params plus the extras its class names (``seed``)."""
    names, _ = signature_params(seat.cls)
    params = dict(seat.params)
    if "seed" in names:
        params.setdefault("seed", seed)
    return params


def _unwrap(agent: Any) -> Any:
    return getattr(agent, "_obj", agent)


def _is_system(aid: str) -> bool:
    return aid in ("SELLER", "BUYER") or aid.startswith("system")
