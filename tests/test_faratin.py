"""Faratin tactics: offer curves against the formulas of docs/faratin.md."""

from __future__ import annotations

import math

import pytest
from negmas import SAOMechanism, make_issue

from players.faratin import AveragedTFT, RandomAbsoluteTFT, RelativeTFT, TimeDependent, time_alpha
from tourney.worlds.pricing import PriceUtility


@pytest.mark.parametrize("beta", [0.1, 1.0, 20.0])
@pytest.mark.parametrize("tau", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_polynomial_alpha(beta, tau):
    kappa = 0.1
    assert time_alpha(tau, beta, kappa) == pytest.approx(kappa + (1 - kappa) * tau ** (1 / beta))


def test_exponential_alpha_and_boulware_conceder_shapes():
    assert time_alpha(0.5, 2.0, 0.2, "exponential") == pytest.approx(math.exp(0.25 * math.log(0.2)))
    assert time_alpha(0.5, 1.0) == pytest.approx(0.5)
    assert time_alpha(0.5, 0.1) < 0.5 < time_alpha(0.5, 20.0)
    assert time_alpha(1.0, 0.1) == time_alpha(1.0, 20.0) == 1.0


def _offers(buyer, seller, n_steps=11, ip_b=300, rp_b=500, ip_s=600, rp_s=400):
    m = SAOMechanism(issues=[make_issue((300, 600), "price")], n_steps=n_steps, sync_calls=True)
    m.add(buyer, ufun=PriceUtility(ip_b, rp_b, outcome_space=m.outcome_space))
    m.add(seller, ufun=PriceUtility(ip_s, rp_s, outcome_space=m.outcome_space))
    m.run()
    return [(step, o[0]) for step, nid, o in m.extended_trace if nid == buyer.id], m


def test_time_dependent_buyer_offers_follow_the_formula():
    buyer = TimeDependent(beta=2.0)
    never = TimeDependent(beta=0.01)  # a seller that barely moves, so the buyer plays every round
    offers, _ = _offers(buyer, never)
    for step, price in offers:
        tau = step / 10
        assert price == round(300 + tau ** 0.5 * 200)
    assert offers[-1][1] == 500  # the reservation price on the last round


def test_relative_tft_example_of_the_reference():
    # Seller offered 100 then 90; our last offer 50: relative TFT gives 55.6.
    tft = RelativeTFT()
    tft.opponent_offers_ = [100, 90]
    tft.my_offers_ = [50]
    assert tft.imitate() == pytest.approx(100 / 90 * 50)
    avg = AveragedTFT(gamma=2)
    avg.opponent_offers_ = [110, 100, 90]
    avg.my_offers_ = [50]
    assert avg.imitate() == pytest.approx(110 / 90 * 50)


def test_random_absolute_tft_adds_the_step_plus_noise():
    tft = RandomAbsoluteTFT(m=3, seed=1)
    m = SAOMechanism(issues=[make_issue((0, 200), "price")], n_steps=5)
    m.add(tft, ufun=PriceUtility(40, 120, outcome_space=m.outcome_space))  # a buyer
    tft.opponent_offers_ = [100, 90]
    tft.my_offers_ = [50]
    values = {tft.imitate() for _ in range(200)}
    assert values == {60, 61, 62, 63}


def test_imitative_tactics_concede_against_a_conceding_seller():
    buyer = RelativeTFT()
    offers, m = _offers(buyer, TimeDependent(beta=1.0), n_steps=20)
    prices = [p for _, p in offers]
    assert prices[0] == 300
    assert prices == sorted(prices) and prices[-1] > 300
    assert m.state.agreement is not None
