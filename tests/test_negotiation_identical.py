"""The negotiation and bilateral worlds' speed-ups change no outcome: offer by offer against plain negmas.

The world hands each negotiation copies of the scenario's ufuns with a cheap
``reserved_value`` (``tourney.worlds.fast_ufun``), skips negmas' per-join
outcome-space scan (checked once per scenario) and plays on ``LeanSAOMechanism``.
The reference plays the same matches with negmas' ``SAOMechanism`` and ``add``
and plain ``copy.deepcopy`` ufuns; every negotiation's agreement, rounds, n_steps,
scores and full offer trace must be equal, for every built-in negmas negotiator.
"""

from __future__ import annotations

import copy
import pickle

import pytest
from negmas import SAOMechanism
from negmas.preferences import LinearAdditiveUtilityFunction

from test_lean_sao import BUILT_IN
from tourney.seeding import seed_globals
from tourney.worlds import negotiation
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.fast_ufun import fast_class, inverse_store, player_copy
from tourney.worlds.negotiation import NegotiationWorld, prepared

SCENARIOS = [{"generate": "multi-issue", "n": 1, "seed": 3, "issues": [2, 3], "values": [2, 4]},
             {"generate": "anl2024", "n": 1, "seed": 5, "n_outcomes": [30, 50]}]


class NegmasMechanism(SAOMechanism):
    """negmas' own mechanism and ``add``, with the world's constructor and role bookkeeping."""

    def __init__(self, *args, valid=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles_ = {}

    def add(self, negotiator, *, space_checked=False, **kwargs):
        return super().add(negotiator, **kwargs)


def _play(first: str, second: str, seed: int) -> list[dict]:
    import negmas.sao

    world = NegotiationWorld(scenarios=SCENARIOS, n_steps=30, trace=True)
    seats = {role: Seat(role, name, name, getattr(negmas.sao, name), {})
             for role, name in (("first", first), ("second", second))}
    seed_globals(seed)  # as the worker does before play
    result = world.play(seats, seed, MatchContext(seed))
    return [{k: v for k, v in n.items() if k != "seconds"} for n in result.details["negotiations"]]


def test_every_built_in_negotiator_plays_as_on_plain_negmas(monkeypatch):
    # each negotiator meets two partners, once opening (first) and once answering (second)
    pairs = [(name, BUILT_IN[(i + 6) % len(BUILT_IN)]) for i, name in enumerate(BUILT_IN)]
    pairs = [(a, b) if i % 2 else (b, a) for i, (a, b) in enumerate(pairs)]
    stores = [inverse_store(u) for rotations in prepared(SCENARIOS) for p in rotations for u in p.scenario.ufuns]
    restored = sum(s.restored for s in stores)
    ours = {pair: _play(*pair, seed=i) for i, pair in enumerate(pairs)}
    assert sum(s.restored for s in stores) - restored > 100  # the shared inverses did play
    with monkeypatch.context() as m:
        m.setattr(negotiation, "CheckedSAOMechanism", NegmasMechanism)
        m.setattr(negotiation, "player_copy", lambda ufun, share_inverse=False: copy.deepcopy(ufun))
        theirs = {pair: _play(*pair, seed=i) for i, pair in enumerate(pairs)}
    differ = [pair for pair in pairs if ours[pair] != theirs[pair]]
    assert not differ, differ[:5]
    offers = sum(len(n["offers"]) for runs in ours.values() for n in runs)
    assert offers > 20 * len(pairs)  # real negotiations, not empty traces
    assert sum(n["agreement"] is not None for runs in ours.values() for n in runs) > len(pairs)


def test_a_reserved_value_off_by_a_little_is_caught(monkeypatch):
    # The comparison above can fail: a fast reserved value 0.02 above negmas' changes outcomes.
    pairs = [("BoulwareTBNegotiator", "ConcederTBNegotiator"), ("AspirationNegotiator", "LinearTBNegotiator"),
             ("NaiveTitForTatNegotiator", "BoulwareTBNegotiator")]
    honest = [_play(*pair, seed=i) for i, pair in enumerate(pairs)]
    fast = fast_class(LinearAdditiveUtilityFunction)
    monkeypatch.setattr(fast, "reserved_value", property(lambda self: self._reserved_value + 0.02))
    assert [_play(*pair, seed=i) for i, pair in enumerate(pairs)] != honest


def test_a_player_copy_is_negmas_class_with_its_own_reserved_value():
    ufun = prepared(SCENARIOS[1])[0][0].scenario.ufuns[0]
    fast = player_copy(ufun)
    assert type(fast) is fast_class(LinearAdditiveUtilityFunction) and isinstance(fast, LinearAdditiveUtilityFunction)
    assert fast.reserved_value == ufun.reserved_value and type(fast).__name__ == "LinearAdditiveUtilityFunction"
    fast.reserved_value = 0.5
    assert fast.reserved_value == 0.5 and ufun.reserved_value != 0.5  # its own copy, negmas' setter


def test_a_player_copy_pickles_and_copies_back_to_negmas_class():
    ufun = prepared(SCENARIOS[0])[0][0].scenario.ufuns[1]
    fast = player_copy(ufun)
    outcomes = list(ufun.outcome_space.enumerate())
    copies = [pickle.loads(pickle.dumps(fast, protocol=p)) for p in range(pickle.HIGHEST_PROTOCOL + 1)]
    for other in (*copies, copy.deepcopy(fast), copy.copy(fast)):
        assert type(other) is LinearAdditiveUtilityFunction
        assert [other(o) for o in outcomes] == [ufun(o) for o in outcomes]
        assert other.reserved_value == ufun.reserved_value


def test_a_distribution_reserved_value_reads_as_negmas_reads_it():
    from negmas.helpers.prob import ScipyDistribution

    ufun = copy.deepcopy(prepared(SCENARIOS[0])[0][0].scenario.ufuns[0])
    ufun.reserved_value = ScipyDistribution("uniform", loc=0.2, scale=0.2)
    fast = player_copy(ufun)
    assert fast.reserved_value == pytest.approx(0.3) and fast.reserved_value == ufun.reserved_value


def test_the_outcome_space_check_is_made_once_per_scenario_and_still_refuses_a_foreign_space():
    p = prepared(SCENARIOS[0])[0][0]
    assert p.space_checked == (True, True)
    from negmas import make_issue, make_os

    from tourney.worlds.lean_sao import LeanSAOMechanism
    from negmas.sao import BoulwareTBNegotiator

    other = make_os([make_issue(["zz"], "only")])
    mechanism = LeanSAOMechanism(outcome_space=other, n_steps=5)
    # not vouched for: negmas' check runs and refuses the ufun
    assert mechanism.add(BoulwareTBNegotiator(), ufun=player_copy(p.scenario.ufuns[0])) is None
    vouched = LeanSAOMechanism(outcome_space=p.scenario.outcome_space, n_steps=5)
    assert vouched.add(BoulwareTBNegotiator(), ufun=player_copy(p.scenario.ufuns[0]), space_checked=True) is True
    assert len(vouched.negotiators) == 1 and vouched.nmi.n_steps == 5


BILATERAL_PLAYERS = ["boulware", "conceder", "linear", "relative-tft", "random", "negmas.sao.BoulwareTBNegotiator",
                     "negmas.sao.NaiveTitForTatNegotiator", "negmas.sao.AspirationNegotiator",
                     "negmas.sao.MiCRONegotiator"]


def _bilateral(buyer: str, seller: str, seed: int) -> list[dict]:
    from tourney.registry import resolve_player
    from tourney.worlds.bilateral import BilateralWorld

    world = BilateralWorld(n_steps=30, episodes=3, zoa=60, opener="seller" if seed % 2 else "buyer", trace=True)
    seats = {}
    for role, name in (("buyer", buyer), ("seller", seller)):
        resolved = resolve_player(name, "bilateral")
        seats[role] = Seat(role, name, name, resolved.cls, dict(resolved.defaults))
    seed_globals(seed)
    result = world.play(seats, seed, MatchContext(seed))
    return [{k: v for k, v in e.items() if k != "seconds"} for e in result.details["episodes"]]


def test_the_bilateral_world_plays_as_on_plain_negmas(monkeypatch):
    # tourney's own players read nmi.state through the mechanism view (copied field by field);
    # the world skips negmas' join check for the mechanism's own space; equal prices share inverses
    from tourney.worlds import bilateral

    from tourney.worlds import fast_ufun

    pairs = [(a, b) for a in BILATERAL_PLAYERS for b in BILATERAL_PLAYERS if a != b][::6]
    pairs += [("negmas.sao.BoulwareTBNegotiator", "negmas.sao.AspirationNegotiator")] * 2  # equal prices again

    def restored() -> int:
        return sum(s.restored for s in fast_ufun._KEYED.values())

    before = restored()
    ours = {(i, pair): _bilateral(*pair, seed=i if i < len(pairs) - 1 else i - 1) for i, pair in enumerate(pairs)}
    assert restored() > before  # the shared inverses did play
    with monkeypatch.context() as m:
        m.setattr(bilateral, "SAO_MECHANISM", NegmasMechanism)
        m.setattr(bilateral, "share_inverses", lambda ufun, key: ufun)
        theirs = {(i, pair): _bilateral(*pair, seed=i if i < len(pairs) - 1 else i - 1)
                  for i, pair in enumerate(pairs)}
    assert [key for key in ours if ours[key] != theirs[key]] == []
    assert sum(len(e["offers"]) for runs in ours.values() for e in runs) > 10 * len(pairs)


def _fresh_inverter(ufun):
    from negmas.preferences.inv_ufun.presorting import PresortingInverseUtilityFunction

    inverter = PresortingInverseUtilityFunction(ufun, rational_only=True)
    inverter.init()
    return inverter


def _fields(inverter) -> dict:
    import numpy as np

    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(inverter).items() if k != "_ufun"}


def test_a_shared_inverse_is_negmas_own_init_in_fields_and_its_own_copy():
    world_ufun = copy.deepcopy(prepared(SCENARIOS[1])[0][1].scenario.ufuns[0])  # a ufun no other test shares
    store = inverse_store(world_ufun)
    first = _fresh_inverter(player_copy(world_ufun, share_inverse=True))
    second = _fresh_inverter(player_copy(world_ufun, share_inverse=True))
    assert (store.computed, store.restored) == (1, 1)
    expected = _fresh_inverter(copy.deepcopy(world_ufun))  # negmas, no sharing
    assert _fields(first) == _fields(second) == _fields(expected)
    second.outcomes.pop()
    second.utils[0] = -1.0
    second._near_range.clear()
    assert _fields(_fresh_inverter(player_copy(world_ufun, share_inverse=True))) == _fields(expected)
    assert store.restored == 2


def test_a_copy_with_a_changed_reserved_value_or_weights_computes_its_own_inverse():
    world_ufun = copy.deepcopy(prepared(SCENARIOS[0])[0][1].scenario.ufuns[0])
    store = inverse_store(world_ufun)
    _fresh_inverter(player_copy(world_ufun, share_inverse=True))
    changed = player_copy(world_ufun, share_inverse=True)
    changed.reserved_value = 0.9
    assert _fields(_fresh_inverter(changed)) == _fields(_fresh_inverter(copy.deepcopy(changed)))
    reweighted = player_copy(world_ufun, share_inverse=True)
    reweighted._weights = [1.0] + [0.0] * (len(reweighted.weights) - 1)
    assert _fields(_fresh_inverter(reweighted)) == _fields(_fresh_inverter(copy.deepcopy(reweighted)))
    assert store.restored == 0 and store.computed == 1
    same = player_copy(world_ufun, share_inverse=True)
    same.reserved_value = world_ufun.reserved_value  # the same value again is no change (as negmas counts it)
    _fresh_inverter(same)
    assert store.restored == 1
    assert "_tourney_inverses" not in vars(pickle.loads(pickle.dumps(same)))
