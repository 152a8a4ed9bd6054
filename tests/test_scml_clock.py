"""The wall clock must not reach the global generator SCML's agents draw from
(tourney.worlds.scml_clock): a slow negotiation used to change every later draw."""

from __future__ import annotations

import random
import time

import pytest
from negmas import SAOMechanism, make_issue
from negmas.sao.negotiators import AspirationNegotiator
from negmas.preferences import LinearAdditiveUtilityFunction as U

from tourney.worlds.scml_clock import clockless, steady_mechanism


def draws_after_negotiation(monkeypatch: pytest.MonkeyPatch, steady: bool, pend_per_second: float = 0.0,
                            slow: bool = True) -> float:
    """Run one negotiation (on a clock that jumps 1.5 s per reading if ``slow``); return the next global draw."""
    issues = [make_issue((1, 10), "quantity"), make_issue((1, 10), "price")]
    mechanism = SAOMechanism(issues=issues, n_steps=10, pend_per_second=pend_per_second)
    for weights in ((1.0, -1.0), (-1.0, 1.0)):
        ufun = U.random(issues=issues, reserved_value=0.0)
        ufun = U(values=ufun.values, weights=weights, issues=issues)
        mechanism.add(AspirationNegotiator(), ufun=ufun)
    if steady:
        steady_mechanism(mechanism)
    now = [time.perf_counter_ns()]

    def clock() -> int:
        now[0] += 1_500_000_000
        return now[0]

    random.seed(5)
    if slow:
        monkeypatch.setattr(time, "perf_counter_ns", clock)
    mechanism.run()
    monkeypatch.undo()
    return random.random()


def test_negmas_draws_from_the_global_generator_by_the_clock(monkeypatch):
    # the defect itself: without the fix the clock shifts the generator
    fast = draws_after_negotiation(monkeypatch, steady=False, slow=False)
    assert draws_after_negotiation(monkeypatch, steady=False) != fast


def test_a_steadied_mechanism_leaves_the_global_generator_alone(monkeypatch):
    fast = draws_after_negotiation(monkeypatch, steady=True, slow=False)
    assert draws_after_negotiation(monkeypatch, steady=True) == fast
    assert fast == draws_after_negotiation(monkeypatch, steady=False, slow=False)  # same draws as negmas' when fast


def test_a_positive_pend_per_second_keeps_negmas_draw(monkeypatch):
    # there the draw can end the negotiation, so it is part of the game
    fast = draws_after_negotiation(monkeypatch, steady=True, pend_per_second=1e-9, slow=False)
    assert draws_after_negotiation(monkeypatch, steady=True, pend_per_second=1e-9) != fast


def test_the_oneshot_world_class_is_scmls_with_the_hook():
    from scml.oneshot.world import SCML2021OneShotWorld

    from tourney.worlds.oneshot import OneShotWorld

    cls = OneShotWorld(year=2021).world_class()
    assert issubclass(cls, SCML2021OneShotWorld) and cls is clockless(SCML2021OneShotWorld)
    assert cls.on_negotiation_start is not SCML2021OneShotWorld.on_negotiation_start
