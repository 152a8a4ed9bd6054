"""The bilateral world: price draws, utilities, scores, openers, episodes."""

from __future__ import annotations

import pytest
from negmas.sao import AspirationNegotiator

from players.faratin import TimeDependent
from tourney.worlds.base import MatchContext, Seat
from tourney.contract import keeps_state
from tourney.worlds.bilateral import ZOA_SELLER_RANGES, BilateralWorld
from tourney.worlds.pricing import PriceUtility
from tourney.seeding import make_rng


def _seats(buyer=TimeDependent, seller=TimeDependent, bp=None, sp=None):
    return {"buyer": Seat("buyer", "B", "b", buyer, {"beta": 1.0} if bp is None else bp),
            "seller": Seat("seller", "S", "s", seller, {"beta": 1.0} if sp is None else sp)}


def test_price_utility_is_anegma_eq5_without_discount():
    buyer, seller = PriceUtility(300, 500), PriceUtility(600, 400)
    assert buyer((300,)) == 1.0 and buyer((500,)) == 0.0 and buyer((450,)) == pytest.approx(0.25)
    assert seller((600,)) == 1.0 and seller((400,)) == 0.0 and seller((450,)) == pytest.approx(0.25)
    assert buyer(None) == buyer.reserved_value == 0.0


@pytest.mark.parametrize("zoa", [100, 60, 10])
def test_prices_are_drawn_from_table_3(zoa):
    world = BilateralWorld(zoa=zoa)
    rng = make_rng(0)
    sip, srp = ZOA_SELLER_RANGES[zoa]
    for _ in range(200):
        d = world.draw_prices(rng)
        assert 300 <= d["buyer"][0] <= 350 and 500 <= d["buyer"][1] <= 550
        assert sip[0] <= d["seller"][0] <= sip[1] and srp[0] <= d["seller"][1] <= srp[1]


def test_scores_are_the_utilities_of_the_agreed_price():
    world = BilateralWorld(n_steps=50, episodes=3, zoa=60)
    result = world.play(_seats(), 5, MatchContext(5))
    episodes = result.details["episodes"]
    for role in ("buyer", "seller"):
        expected = []
        for e in episodes:
            ip, rp = e["prices"][role]
            expected.append(0.0 if e["agreement"] is None else (rp - e["agreement"]) / (rp - ip))
        assert result.roles[role]["utility"] == pytest.approx(sum(expected) / 3)
    assert result.metrics["agreement"] == sum(e["agreement"] is not None for e in episodes) / 3


def test_no_agreement_value_and_narrow_zone():
    # Two Boulware players with 5 rounds in the 10 % zone: no deal, both score no_agreement.
    world = BilateralWorld(n_steps=5, zoa=10, no_agreement=-0.5)
    result = world.play(_seats(bp={"beta": 0.05}, sp={"beta": 0.05}), 1, MatchContext(1))
    assert result.roles["buyer"]["utility"] == result.roles["seller"]["utility"] == -0.5
    assert result.roles["buyer"]["agreement"] == 0.0


def test_opener_decides_who_offers_first():
    for opener in ("buyer", "seller"):
        world = BilateralWorld(n_steps=10, opener=opener, trace=True)
        result = world.play(_seats(), 2, MatchContext(2))
        assert result.details["episodes"][0]["offers"][0][1] == opener


def test_same_seed_same_match_and_different_seed_different_prices():
    world = BilateralWorld(n_steps=30, episodes=2)
    a = world.play(_seats(), 9, MatchContext(9)).details
    b = world.play(_seats(), 9, MatchContext(9)).details
    c = world.play(_seats(), 10, MatchContext(10)).details
    strip = lambda d: [{k: v for k, v in e.items() if k != "seconds"} for e in d["episodes"]]  # noqa: E731
    assert strip(a) == strip(b) and strip(a) != strip(c)


def test_players_that_keep_state_are_reused_across_episodes_others_are_rebuilt():
    assert keeps_state(TimeDependent)
    assert not keeps_state(AspirationNegotiator)  # declares nothing: rebuilt
    ctx = MatchContext(4)
    BilateralWorld(n_steps=20, episodes=3).play(
        _seats(seller=AspirationNegotiator, sp={}), 4, ctx)
    kinds = [type(o).__name__ for o in ctx._objects]
    assert kinds.count("TimeDependent") == 1 and kinds.count("AspirationNegotiator") == 3
