"""LeanSAOMechanism plays exactly as negmas' SAOMechanism, with independent snapshots."""

from __future__ import annotations

import attrs
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


# Every negmas 0.16 negotiator in negmas.sao that builds without arguments. Left out:
# the meta negotiators (MeanMeta, OSMeanMeta, RangeMeta, SAOAggMeta, SAOMeta need
# sub-negotiators), SAOCallNegotiator (abstract) and UtilBasedNegotiator (abstract
# utility_range_to_accept).
BUILT_IN = [
    "AdditiveFirstFollowingTBNegotiator", "AdditiveLastOfferFollowingTBNegotiator",
    "AdditiveParetoFollowingTBNegotiator", "AspirationNegotiator", "BestOfferOrientedTBNegotiator",
    "BoulwareTBNegotiator", "CABNegotiator", "CANNegotiator", "CARNegotiator", "ConcederTBNegotiator",
    "ControlledSAONegotiator", "FastMiCRONegotiator", "FirstOfferOrientedTBNegotiator", "HybridNegotiator",
    "LastOfferOrientedTBNegotiator", "LimitedOutcomesNegotiator", "LinearTBNegotiator", "MiCRONegotiator",
    "MultiplicativeFirstFollowingTBNegotiator", "MultiplicativeLastOfferFollowingTBNegotiator",
    "MultiplicativeParetoFollowingTBNegotiator", "NaiveTitForTatNegotiator", "NiceNegotiator",
    "NiceTitForTatNegotiator", "RandomAlwaysAcceptingNegotiator", "RandomNegotiator", "SAONegotiator",
    "SAOPRNegotiator", "SimpleTitForTatNegotiator", "TimeBasedConcedingNegotiator", "TimeBasedNegotiator",
    "TopFractionNegotiator", "ToughNegotiator", "WABNegotiator", "WANNegotiator", "WARNegotiator",
]
# (buyer ip, buyer rp, seller ip, seller rp): a wide, a narrow and no zone of agreement
SCENARIOS = [(100, 150, 160, 110), (100, 140, 160, 135), (100, 120, 160, 130)]
VOLATILE = {"time"}  # wall-clock seconds: differ between any two runs


def _play(mechanism_cls, buyer: str, seller: str, scenario, seed: int, **options):
    import negmas.sao

    seed_globals(seed)
    bip, brp, sip, srp = scenario
    mechanism = mechanism_cls(issues=[make_issue((min(bip, srp), max(brp, sip)), "price")], n_steps=25,
                              **options)
    roles = {}
    for role, name, (ip, rp) in (("buyer", buyer, (bip, brp)), ("seller", seller, (sip, srp))):
        negotiator = getattr(negmas.sao, name)(name=role)
        roles[negotiator.id] = role
        mechanism.add(negotiator, ufun=PriceUtility(ip, rp, outcome_space=mechanism.outcome_space))
    state = mechanism.run()
    trace = [(step, roles[nid], offer) for step, nid, offer in mechanism.extended_trace]

    def plain(s):  # a state's fields, ids by role, wall-clock fields dropped
        fields = attrs.asdict(s, recurse=False)
        return {k: (roles.get(v, v) if isinstance(v, str) else v) for k, v in fields.items()
                if k not in VOLATILE and k not in ("new_offers", "new_data")} | {
            "new_offers": [(roles[n], o) for n, o in s.new_offers]}

    history = [plain(s) for s in mechanism.history]
    return (state.agreement, state.step, state.broken, state.timedout, trace, history, plain(state),
            sorted(roles[k] for k in mechanism.stats["times"])), mechanism


def test_lean_loop_matches_negmas_offer_by_offer_for_every_built_in_negotiator_and_scenario():
    # Each negotiator meets every scenario, as buyer (opening) and as seller,
    # against a partner that changes with the scenario: 36 x 3 x 2 negotiations.
    played = 0
    for i, name in enumerate(BUILT_IN):
        for j, scenario in enumerate(SCENARIOS):
            partner = BUILT_IN[(i + 7 * j + 1) % len(BUILT_IN)]
            for buyer, seller in ((name, partner), (partner, name)):
                seed = 100 * i + 10 * j + (buyer == name)
                expected, _ = _play(SAOMechanism, buyer, seller, scenario, seed)
                got, lean = _play(LeanSAOMechanism, buyer, seller, scenario, seed, sync_calls=True)
                assert got == expected, (buyer, seller, scenario)
                played += 1
                lean_rounds = got[1] > 1 and lean._lean  # the lean loop played the rounds after the first
                assert lean_rounds or got[1] <= 1, (buyer, seller)
    assert played == len(BUILT_IN) * len(SCENARIOS) * 2


def test_the_lean_loop_steps_aside_outside_the_common_case():
    # a time limit without sync_calls: negmas calls each negotiator in a thread, so negmas' loop runs
    got, threaded = _play(LeanSAOMechanism, "MiCRONegotiator", "BoulwareTBNegotiator", SCENARIOS[0], 5,
                          time_limit=60)
    expected, _ = _play(SAOMechanism, "MiCRONegotiator", "BoulwareTBNegotiator", SCENARIOS[0], 5, time_limit=60)
    assert threaded._lean is False and got[:5] == expected[:5]
    # with sync_calls the lean loop runs under a time limit too (relative time then is negmas' own formula)
    got, lean = _play(LeanSAOMechanism, "MiCRONegotiator", "BoulwareTBNegotiator", SCENARIOS[0], 5,
                      time_limit=60, sync_calls=True)
    assert lean._lean is True and got[:5] == expected[:5]


class _CountsRounds(BoulwareTBNegotiator):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def on_round_start(self, state):
        self.seen.append(("start", state.step, state.relative_time))

    def on_round_end(self, state):
        self.seen.append(("end", state.step, state.relative_time))


def test_round_callbacks_a_negotiator_defines_are_called_as_by_negmas():
    # negmas' empty base callbacks are skipped by the lean loop; defined ones must not be
    seen = {}
    for cls, options in ((SAOMechanism, {}), (LeanSAOMechanism, {"sync_calls": True})):
        mechanism = cls(issues=[make_issue((300, 520), "price")], n_steps=30, **options)
        counter = _CountsRounds(name="buyer")
        mechanism.add(counter, ufun=PriceUtility(300, 500, outcome_space=mechanism.outcome_space))
        mechanism.add(AspirationNegotiator(name="seller"),
                      ufun=PriceUtility(520, 320, outcome_space=mechanism.outcome_space))
        state = mechanism.run()
        seen[cls] = (counter.seen, state.step, state.agreement)
    assert seen[LeanSAOMechanism] == seen[SAOMechanism]
    assert len(seen[SAOMechanism][0]) >= 2 * seen[SAOMechanism][1] - 1 > 10


def test_a_negotiation_slower_than_a_second_draws_nothing_more_from_the_global_generator(monkeypatch):
    """negmas draws from `random` each time a negotiation's wall time passes a whole second; with
    pend_per_second 0 that draw is inert, and tourney's mechanism skips it so a loaded machine cannot
    shift the draws of MiCRO or scml agents (same league + seed = same table)."""
    import random

    from negmas import AspirationNegotiator, make_issue
    from negmas.preferences import LinearAdditiveUtilityFunction as U

    from tourney.worlds.lean_sao import LeanSAOMechanism

    def play(seconds_per_read: float) -> tuple:
        random.seed(5)
        mechanism = LeanSAOMechanism(issues=[make_issue(10, "x")], n_steps=20)
        if seconds_per_read:
            reads = iter(range(10**6))
            monkeypatch.setattr(LeanSAOMechanism, "time", property(lambda self: next(reads) * seconds_per_read))
        for weight in (1.0, -1.0):
            ufun = U(values={"x": lambda v, w=weight: w * v / 9.0}, weights={"x": 1.0}, issues=mechanism.issues)
            mechanism.add(AspirationNegotiator(ufun=ufun))
        mechanism.run()
        monkeypatch.undo()
        return mechanism.agreement, mechanism.state.step, random.random()

    assert play(1.5) == play(0.0)
