"""LeanSAOMechanism plays exactly as negmas' SAOMechanism, with independent snapshots."""

from __future__ import annotations

import pytest
from negmas import SAOMechanism, make_issue
from negmas.sao import (
    AspirationNegotiator,
    BoulwareTBNegotiator,
    MiCRONegotiator,
    NaiveTitForTatNegotiator,
    SAOState,
)

from tourney.seeding import seed_globals
from tourney.worlds.lean_sao import LeanSAOMechanism, fast_copy, history_copy
from tourney.worlds.pricing import PriceUtility


def _negotiate(mechanism_cls, buyer_cls, seller_cls, seed, **options):
    seed_globals(seed)
    mechanism = mechanism_cls(issues=[make_issue((300, 520), "price")], n_steps=100, **options)
    roles = {}
    for role, cls, (ip, rp) in (("buyer", buyer_cls, (300, 500)), ("seller", seller_cls, (520, 320))):
        negotiator = cls(name=role)
        roles[negotiator.id] = role
        mechanism.add(negotiator, ufun=PriceUtility(ip, rp, outcome_space=mechanism.outcome_space))
    state = mechanism.run()
    trace = [(step, roles[nid], offer) for step, nid, offer in mechanism.extended_trace]
    return state.agreement, state.step, trace


@pytest.mark.parametrize(
    "buyer_cls, seller_cls",
    [
        (BoulwareTBNegotiator, MiCRONegotiator),  # MiCRO needs negmas' callbacks and draws from random
        (MiCRONegotiator, NaiveTitForTatNegotiator),
        (AspirationNegotiator, BoulwareTBNegotiator),
    ],
)
def test_same_agreement_rounds_and_offers_as_negmas(buyer_cls, seller_cls):
    negmas_result = _negotiate(SAOMechanism, buyer_cls, seller_cls, seed=11)
    lean_result = _negotiate(LeanSAOMechanism, buyer_cls, seller_cls, seed=11, sync_calls=True)
    assert lean_result == negmas_result
    assert len(lean_result[2]) > 10  # a real negotiation, not an empty trace


def test_micro_agrees_only_with_callbacks():
    # Why FAST_SAO_OPTIONS keeps extra_callbacks on: Boulware buyer vs MiCRO seller.
    with_callbacks = _negotiate(LeanSAOMechanism, BoulwareTBNegotiator, MiCRONegotiator, seed=3)
    without = _negotiate(LeanSAOMechanism, BoulwareTBNegotiator, MiCRONegotiator, seed=3, extra_callbacks=False)
    assert with_callbacks[0] is not None
    assert without[0] is None and without[1] == 100


def test_copies_are_independent_where_negmas_mutates():
    state = SAOState(step=4, current_offer=(310,), new_offers=[("a", (310,))], left_negotiators={"x"})
    shallow, snapshot = fast_copy(state), history_copy(state)
    assert shallow == state and snapshot == state
    assert shallow is not state and snapshot is not state
    state.new_offers.append(("b", (400,)))
    state.left_negotiators.add("y")
    state.step = 5
    assert snapshot.new_offers == [("a", (310,))] and snapshot.left_negotiators == {"x"}
    assert shallow.step == 4 and snapshot.step == 4
