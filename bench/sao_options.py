"""Which negmas SAOMechanism options and usage patterns cut the cost of a negotiation.

Plays the bilateral benchmark's negotiations (bench_bilateral.py: six negmas
negotiators, every ordered pair with self-play, five price scenarios, both
openers: 360 negotiations of 100 rounds at most) once per variant, and prints
the mean milliseconds per negotiation, the speed-up over negmas' defaults, and
how many negotiations end with the same agreement and rounds, and with the same
offer trace (step, role, offer), as with the defaults. Every negotiation seeds
the global generators first, so MiCRO's random draws repeat across variants.

Run: ``.venv/bin/python bench/sao_options.py [--repeat N] [variant ...]``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_bilateral import N_STEPS, NEGOTIATORS, SCENARIOS, negotiator_class  # noqa: E402
from negmas import SAOMechanism, make_issue  # noqa: E402

from tourney.seeding import derive_seed, seed_globals  # noqa: E402
from tourney.worlds.lean_sao import LeanSAOMechanism  # noqa: E402
from tourney.worlds.pricing import PriceUtility  # noqa: E402


class CopyOnlySAOMechanism(SAOMechanism):
    """Only the per-call state copy made cheap (to see each part's share)."""

    _state_for_nmi = LeanSAOMechanism._state_for_nmi


class HistoryOnlySAOMechanism(SAOMechanism):
    """Only the history snapshot made cheap."""

    state4history = LeanSAOMechanism.state4history


class FastReservedValue(PriceUtility):
    """PriceUtility whose ``reserved_value`` skips negmas' Protocol isinstance check.

    negmas' ``BaseUtilityFunction.reserved_value`` asks ``isinstance(value,
    Distribution)`` on every read; ``Distribution`` is a runtime-checkable
    Protocol, so each read walks its attributes (~10 us). A float is returned
    as is, anything else goes to negmas.
    """

    @property
    def reserved_value(self) -> float:
        value = self._reserved_value
        return value if type(value) is float else PriceUtility.reserved_value.fget(self)

    @reserved_value.setter
    def reserved_value(self, value) -> None:
        PriceUtility.reserved_value.fset(self, value)


# name -> (mechanism class, options, utility class, reuse negotiators)
VARIANTS = {
    "negmas defaults": (SAOMechanism, {}, PriceUtility, False),
    "extra_callbacks=False": (SAOMechanism, dict(extra_callbacks=False), PriceUtility, False),
    "sync_calls=True": (SAOMechanism, dict(sync_calls=True), PriceUtility, False),
    "checkpoint_every=0": (SAOMechanism, dict(checkpoint_every=0), PriceUtility, False),
    "ignore_negotiator_exceptions=True": (SAOMechanism, dict(ignore_negotiator_exceptions=True),
                                          PriceUtility, False),
    "check_offers=True": (SAOMechanism, dict(check_offers=True), PriceUtility, False),
    "genius_port=fixed (no socket per mechanism)": (SAOMechanism, dict(genius_port=25337), PriceUtility, False),
    "time_limit=60": (SAOMechanism, dict(time_limit=60.0), PriceUtility, False),
    "time_limit=60, sync_calls=True": (SAOMechanism, dict(time_limit=60.0, sync_calls=True), PriceUtility, False),
    "step_time_limit=10, negotiator_time_limit=60": (
        SAOMechanism, dict(step_time_limit=10.0, negotiator_time_limit=60.0), PriceUtility, False),
    "same + sync_calls=True": (
        SAOMechanism, dict(step_time_limit=10.0, negotiator_time_limit=60.0, sync_calls=True), PriceUtility, False),
    "reuse negotiators (reset between negotiations)": (SAOMechanism, {}, PriceUtility, True),
    "cheap per-call state copy (subclass)": (CopyOnlySAOMechanism, {}, PriceUtility, False),
    "cheap history snapshot (subclass)": (HistoryOnlySAOMechanism, {}, PriceUtility, False),
    "LeanSAOMechanism (both)": (LeanSAOMechanism, {}, PriceUtility, False),
    "fast reserved_value in the ufun": (SAOMechanism, {}, FastReservedValue, False),
    "tourney: LeanSAOMechanism, sync_calls=True": (LeanSAOMechanism, dict(sync_calls=True), PriceUtility, False),
    "tourney + fast reserved_value": (LeanSAOMechanism, dict(sync_calls=True), FastReservedValue, False),
    "tourney + time_limit=60": (LeanSAOMechanism, dict(sync_calls=True, time_limit=60.0), PriceUtility, False),
}


def work() -> list[tuple]:
    return [
        (buyer, seller, scenario, opener, derive_seed(7, buyer, seller, scenario.name, opener))
        for buyer, seller in itertools.product(NEGOTIATORS, repeat=2)
        for scenario in SCENARIOS
        for opener in ("buyer", "seller")
    ]


_POOL: dict = {}


def negotiate(buyer, seller, scenario, opener, seed, mechanism_cls, options, ufun_cls, reuse):
    """(agreement, rounds, trace) of one negotiation; trace entries (step, role, offer)."""
    from tourney.worlds.bilateral import reset_sao_negotiator

    seed_globals(seed)
    mechanism = mechanism_cls(issues=[make_issue(scenario.issue_range, "price")], n_steps=N_STEPS, **options)
    players = {"buyer": buyer, "seller": seller}
    roles = {}
    for role in (opener, "seller" if opener == "buyer" else "buyer"):
        if reuse:
            negotiator = _POOL.get((role, players[role]))
            if negotiator is None:
                negotiator = _POOL[(role, players[role])] = negotiator_class(players[role])(name=role)
            reset_sao_negotiator(negotiator)
        else:
            negotiator = negotiator_class(players[role])(name=role)
        roles[negotiator.id] = role
        mechanism.add(negotiator, ufun=ufun_cls(*scenario.prices(role), outcome_space=mechanism.outcome_space))
    state = mechanism.run()
    trace = tuple((step, roles[nid], offer) for step, nid, offer in mechanism.extended_trace)
    return state.agreement, state.step, trace


def measure(name: str, items: list[tuple]) -> tuple[float, float, list]:
    """(CPU ms, wall ms) per negotiation and the results of one pass over ``items``."""
    mechanism_cls, options, ufun_cls, reuse = VARIANTS[name]
    _POOL.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    results = [negotiate(*w, mechanism_cls, options, ufun_cls, reuse) for w in items]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu / len(items) * 1000, wall / len(items) * 1000, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*", help="variant names (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant; the fastest counts")
    args = parser.parse_args(argv)
    names = args.variants or list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    if names[0] != "negmas defaults":
        names.insert(0, "negmas defaults")
    items = work()
    print(f"{len(items)} negotiations per variant; variants interleaved, best of {args.repeat} passes")
    cpu = {n: float("inf") for n in names}
    wall = dict(cpu)
    outcomes = {}
    for _ in range(args.repeat):
        # Interleaving spreads the load of other processes over all variants.
        for name in names:
            c, w, outcomes[name] = measure(name, items)
            cpu[name], wall[name] = min(cpu[name], c), min(wall[name], w)
    reference = outcomes[names[0]]
    print("\n| variant | CPU ms/negotiation | speed-up (CPU) | wall ms | same agreement+rounds | same offer trace |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in names:
        same_outcome = sum(a[:2] == b[:2] for a, b in zip(outcomes[name], reference))
        same_trace = sum(a == b for a, b in zip(outcomes[name], reference))
        print(f"| {name} | {cpu[name]:.2f} | {cpu[names[0]] / cpu[name]:.2f}x | {wall[name]:.2f} | "
              f"{same_outcome}/{len(items)} | {same_trace}/{len(items)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
