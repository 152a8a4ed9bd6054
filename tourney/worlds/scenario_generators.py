"""Generated negotiation scenarios: the ANL 2024 distribution and negmas' multi-issue generator.

``anl2024(n, seed)`` follows ``anl.anl2024.runner.mixed_scenarios`` (anl 0.1.13,
the default of ``anl tournament2024``) line by line, built from negmas' own
generators (``generate_utility_values``, ``generate_multi_issue_ufuns``,
``sample_reserved_values``, ``intin``), so the ``anl`` package (which pulls in
jupyter and streamlit) is not needed. Its defaults are ANL 2024's: 900-1100
outcomes drawn log-uniformly, 5 % zero-sum DivideThePie, 25 % monotonic,
20 % three-issue DivideThePies, the rest general single-issue scenarios whose
Pareto front holds 0.5-25 % of the outcomes (a quarter of them curved, the rest
piecewise linear), reserved values uniform in [0, Nash utility).
``tests/test_negotiation_scenarios.py`` checks that anl's own function gives the
same scenarios for the same seed when anl is installed.

``multi_issue(n, seed, ...)``: negmas' ``generate_multi_issue_ufuns`` with the
issue counts, issue sizes, Pareto generators and reserved-value range given.

Both draw from Python's and numpy's global generators (negmas' generators
have no generator argument): ``seeded_globals`` seeds them from the source's
seed and restores their state afterwards, so the same seed gives the same
scenarios whatever ran before in the process.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Any, Iterator, Sequence, TypedDict

import numpy as np
from negmas.helpers.misc import intin
from negmas.inout import Scenario
from negmas.outcomes import make_issue, make_os
from negmas.preferences import LinearAdditiveUtilityFunction
from negmas.preferences.generators import (
    GENERATOR_MAP,
    generate_multi_issue_ufuns,
    generate_utility_values,
    sample_reserved_values,
)
from negmas.preferences.value_fun import TableFun

PARETO_GENERATORS = tuple(GENERATOR_MAP)  # piecewise_linear, curve, zero_sum


class AnlSettings(TypedDict):
    """anl 2024's scenario settings (the keys of ``ANL2024``)."""

    n_outcomes: tuple[int, int]
    log_uniform: bool
    reserved_ranges: tuple[tuple[float, float], tuple[float, float]]
    zerosum_fraction: float
    monotonic_fraction: float
    curve_fraction: float
    pies_fraction: float
    pareto_first: bool
    n_pareto: tuple[float, float]


# anl.anl2024.runner.DEFAULT2024SETTINGS (n_outcomes, outcomes_log_uniform, reserved_ranges, generator_params)
ANL2024 = AnlSettings(
    n_outcomes=(900, 1100),
    log_uniform=True,
    reserved_ranges=((0.0, 1.0), (0.0, 1.0)),
    zerosum_fraction=0.05,
    monotonic_fraction=0.25,
    curve_fraction=0.25,
    pies_fraction=0.2,
    pareto_first=False,
    n_pareto=(0.005, 0.25),
)
# ANL 2024's negotiation settings (DEFAULT2024SETTINGS): rounds drawn log-uniformly
# in [10, 10000], a 3-minute deadline the negotiators are not told.
ANL2024_N_STEPS = (10, 10_000)
ANL2024_HIDDEN_TIME_LIMIT = 180.0


@contextmanager
def seeded_globals(seed: int) -> Iterator[None]:
    """Seed ``random`` and ``numpy.random`` for a block, then put their states back."""
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def anl2024(n: int, seed: int, n_outcomes: int | tuple[int, int] | None = None) -> list[Scenario]:
    """``n`` scenarios of the ANL 2024 distribution (``mixed_scenarios``), from ``seed``."""
    with seeded_globals(seed):
        return mixed_scenarios(n, ANL2024["n_outcomes"] if n_outcomes is None else n_outcomes)


def mixed_scenarios(n_scenarios: int, n_outcomes: int | tuple[int, int] | list[int],
                    n_trials: int = 10) -> list[Scenario]:
    """anl 0.1.13 ``mixed_scenarios`` with ANL 2024's defaults, on the global generators."""
    p = ANL2024
    zerosum, monotonic, curve, pies = (p["zerosum_fraction"], p["monotonic_fraction"],
                                       p["curve_fraction"], p["pies_fraction"])
    nongeneral_fraction = zerosum + monotonic
    n_pareto: Any = p["n_pareto"]
    ufun_sets = []
    for i in range(n_scenarios):
        r = random.random()
        n = intin(n_outcomes, p["log_uniform"])
        name = "S"
        if r < nongeneral_fraction:
            n_pareto_selected = n
            name = "DivideThePieGen"
        else:
            # anl rebinds n_pareto here (fractions -> counts for this scenario's n), and
            # later scenarios see the rebound tuple: kept as anl does it.
            n_pareto = type(n_pareto)(int(_ * n + 0.5) if _ < 1 else int(_) for _ in n_pareto)
            n_pareto_selected = intin(n_pareto, log_uniform=False)
        ufuns, vals = None, None
        for _ in range(n_trials):
            try:
                if r < zerosum:
                    name = "DivideThePie"
                    vals = generate_utility_values(n_pareto=n_pareto_selected, n_outcomes=n, n_ufuns=2,
                                                   pareto_first=p["pareto_first"], pareto_generator="zero_sum")
                elif r < zerosum + pies:
                    name = "DivideThePies"
                    ufuns = generate_multi_issue_ufuns(n_issues=3, n_values=(9, 11),
                                                       pareto_generators=tuple(GENERATOR_MAP.keys()),
                                                       ufun_names=("First0", "Second1"), os_name=f"{name}{i}")
                else:
                    n_pareto_selected = max(n_pareto_selected, 2)
                    vals = generate_utility_values(
                        n_pareto=n_pareto_selected, n_outcomes=n, n_ufuns=2, pareto_first=p["pareto_first"],
                        pareto_generator="curve" if random.random() < curve else "piecewise_linear")
                break
            except Exception:  # noqa: BLE001 - anl retries a failed draw the same way
                continue
        else:
            continue
        if ufuns is None:
            assert vals is not None  # every draw but the pies' gives utility values
            issues = (make_issue([f"{k}_{n - 1 - k}" for k in range(n)], "portions"),)
            ufuns = tuple(
                LinearAdditiveUtilityFunction(
                    values=(TableFun({v: float(vals[k][j]) for k, v in enumerate(issues[0].all)}),),
                    name=f"{uname}{i}",
                    outcome_space=make_os(issues, name=f"{name}{i}"),
                )
                for j, uname in enumerate(("First", "Second"))
            )
        sample_reserved_values(ufuns, reserved_ranges=p["reserved_ranges"])
        ufun_sets.append(ufuns)
    return [Scenario(outcome_space=u[0].outcome_space, ufuns=u) for u in ufun_sets]


def multi_issue(n: int, seed: int, issues: int | Sequence[int] = 2, values: int | Sequence[int] = (2, 10),
                pareto: Sequence[str] = PARETO_GENERATORS, reserved: float | Sequence[float] = 0.0,
                name: str = "G") -> list[Scenario]:
    """``n`` linear-additive scenarios from negmas' ``generate_multi_issue_ufuns``, from ``seed``.

    ``issues`` and ``values`` are a count or an inclusive [low, high] range drawn per
    scenario (values per issue); ``reserved`` a value or a [low, high] range drawn per
    ufun; ``pareto`` the Pareto-front shapes the generator picks from.
    """
    out = []
    with seeded_globals(seed):
        for i in range(n):
            n_issues = intin(tuple(issues) if not isinstance(issues, int) else issues)
            ufuns = generate_multi_issue_ufuns(
                n_issues=n_issues,
                n_values=tuple(values) if not isinstance(values, int) else values,
                pareto_generators=tuple(pareto),
                reserved_values=tuple(reserved) if not isinstance(reserved, (int, float)) else float(reserved),
                ufun_names=(f"{name}{i}-a", f"{name}{i}-b"),
                os_name=f"{name}{i}",
            )
            out.append(Scenario(outcome_space=ufuns[0].outcome_space, ufuns=ufuns))
    return out
