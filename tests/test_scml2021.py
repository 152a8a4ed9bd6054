"""The SCML 2021 tutorial baselines (players/scml2021): each does what its tutorial says.

Unit tests drive an agent's propose/respond with a fake AWI and negotiation
(no world), so each behaviour is pinned by numbers; one small OneShot world
checks that all four run under the real scml without raising.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from negmas import ResponseType, make_issue
from negmas.sao import SAOState
from scml.oneshot.common import UNIT_PRICE

from players.scml2021.tutorial import (
    AdaptiveAgent,
    BetterAgent,
    LearningAgent,
    SimpleAgent,
)
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.oneshot import SLOTS, OneShotWorld

N_ROUNDS = 21
LOW, HIGH = 10, 20


def make(cls, need=5, selling=True, **params):
    """An agent with a fake AWI: ``need`` units to sell (or buy) today, prices in [10, 20]."""
    agent = cls(**params)
    agent._awi = SimpleNamespace(
        current_exogenous_input_quantity=need if selling else 0,
        current_exogenous_output_quantity=0 if selling else need,
        my_output_product=1, current_step=0)
    nmis = {}

    def nmi(partner):
        if partner not in nmis:
            annotation = ({"product": 1, "buyer": partner, "seller": "me"} if selling
                          else {"product": 0, "buyer": "me", "seller": partner})
            nmis[partner] = SimpleNamespace(
                issues=[make_issue((1, 10), "quantity"), make_issue((0, 0), "time"),
                        make_issue((LOW, HIGH), "unit_price")],
                n_steps=N_ROUNDS, annotation=annotation)
        return nmis[partner]

    agent.get_nmi = nmi
    agent.init()
    agent.before_step()
    return agent


def offer(q, p):
    return (q, 0, p)


def state(step, current=None):
    return SAOState(step=step, current_offer=current)


def agreed(agent, partner, price, q=1, selling=True):
    contract = SimpleNamespace(agreement={"quantity": q, "unit_price": price},
                               annotation={"buyer": partner, "seller": "me"} if selling
                               else {"buyer": "me", "seller": partner})
    agent.on_negotiation_success(contract, agent.get_nmi(partner))


# --- SimpleAgent ---
def test_simple_asks_for_its_needs_at_its_best_price_and_takes_any_price():
    seller, buyer = make(SimpleAgent, need=4), make(SimpleAgent, need=3, selling=False)
    assert seller.propose("b", state(0)) == (4, 0, HIGH)
    assert buyer.propose("s", state(0)) == (3, 0, LOW)
    assert seller.respond("b", state(0, offer(4, LOW))) == ResponseType.ACCEPT_OFFER  # any price
    assert seller.respond("b", state(0, offer(5, HIGH))) == ResponseType.REJECT_OFFER  # more than it needs
    agreed(seller, "b", LOW, q=4)
    assert seller.propose("b", state(1)) is None
    assert seller.respond("b", state(1, offer(1, HIGH))) == ResponseType.END_NEGOTIATION


# --- BetterAgent ---
def test_better_concedes_on_price_over_the_rounds():
    seller, buyer = make(BetterAgent), make(BetterAgent, selling=False)
    asks = [seller.propose("b", state(t))[UNIT_PRICE] for t in range(N_ROUNDS)]
    bids = [buyer.propose("s", state(t))[UNIT_PRICE] for t in range(N_ROUNDS)]
    assert asks[0] == HIGH and asks[-1] == LOW and asks == sorted(asks, reverse=True)
    assert bids[0] == LOW and bids[-1] == HIGH and bids == sorted(bids)
    # exponent 0.2 concedes late: half way through it still asks near the top
    assert asks[N_ROUNDS // 2] == round(LOW + (HIGH - LOW) * 0.5 ** 0.2)  # 19
    # a mid price is refused early and accepted at the end
    assert seller.respond("b", state(0, offer(1, 15))) == ResponseType.REJECT_OFFER
    assert seller.respond("b", state(N_ROUNDS - 1, offer(1, 15))) == ResponseType.ACCEPT_OFFER
    faster = make(BetterAgent, concession_exponent=1.0)
    assert faster.propose("b", state(N_ROUNDS // 2))[UNIT_PRICE] == 15


# --- AdaptiveAgent ---
def test_adaptive_never_concedes_below_the_best_price_offered_today():
    seller = make(AdaptiveAgent)
    late = N_ROUNDS - 1
    assert seller.propose("b", state(late))[UNIT_PRICE] == LOW  # Better would end at the bottom
    seller.respond("b1", state(3, offer(9, 17)))  # refused (too many units), but its price is noted
    assert seller.price_range(seller.get_nmi("b2")) == (17, HIGH)  # for every partner
    assert seller.propose("b2", state(late))[UNIT_PRICE] == 17
    assert seller.respond("b2", state(late, offer(1, 16))) == ResponseType.REJECT_OFFER
    assert make(BetterAgent).respond("b2", state(late, offer(1, 16))) == ResponseType.ACCEPT_OFFER
    seller.before_step()  # a new day forgets the offers
    assert seller.propose("b2", state(late))[UNIT_PRICE] == LOW


def test_adaptive_buyer_caps_its_range_by_the_lowest_ask():
    buyer = make(AdaptiveAgent, selling=False)
    buyer.respond("s1", state(0, offer(9, 12)))
    assert buyer.price_range(buyer.get_nmi("s2")) == (LOW, 12)


# --- LearningAgent ---
def test_learning_raises_its_acceptance_threshold_from_a_partners_agreements_across_days():
    seller = make(LearningAgent, need=10)
    late = N_ROUNDS - 1
    assert seller.respond("b", state(late, offer(1, 12))) == ResponseType.ACCEPT_OFFER
    agreed(seller, "b", 20)
    for _ in range(3):  # days pass: offers are forgotten, agreements are not
        seller.before_step()
    # floor for b: 20 * (1 - opp_acc_price_slack 0.2) = 16; capped at 20 * (1 - range_slack 0.03)
    assert seller.price_range(seller.get_nmi("b")) == (pytest.approx(16.0), HIGH)
    assert seller.respond("b", state(late, offer(1, 15))) == ResponseType.REJECT_OFFER
    assert seller.respond("b", state(late, offer(1, 16))) == ResponseType.ACCEPT_OFFER
    # another partner is judged by its own history (none) on a new day: the bottom of the range
    # (within the day, b's offer of 16 bounds every partner, as Adaptive's does)
    seller.before_step()
    assert seller.respond("c", state(late, offer(1, 12))) == ResponseType.ACCEPT_OFFER
    assert make(AdaptiveAgent, need=10).price_range(seller.get_nmi("b")) == (LOW, HIGH)


def test_learning_threshold_follows_the_best_agreement_and_the_range_slack_caps_it():
    buyer = make(LearningAgent, selling=False, need=10)
    agreed(buyer, "s", 12, selling=False)
    agreed(buyer, "s", 15, selling=False)  # a worse price does not loosen what was learnt
    assert buyer.price_range(buyer.get_nmi("s")) == (LOW, pytest.approx(12 * 1.2))
    agreed(buyer, "s", 5, selling=False)  # below the range: the cap is 10 * (1 + 0.03)
    assert buyer.price_range(buyer.get_nmi("s"))[1] == pytest.approx(LOW * 1.03)


# --- all four in a real world ---
def test_the_four_tutorial_agents_play_a_oneshot_world():
    classes = [SimpleAgent, BetterAgent, AdaptiveAgent, LearningAgent]
    seats = {slot: Seat(slot, c.__name__, c.__name__, c, {}) for slot, c in zip(SLOTS, classes)}
    result = OneShotWorld(n_steps=4, n_agents_per_process=2, rotations=1).play(seats, 5, MatchContext(5))
    assert set(result.roles) == set(SLOTS[:4])
    assert all(result.roles[s]["contracts"] >= 0 for s in SLOTS[:4])
    assert sum(result.roles[s]["contracts"] for s in SLOTS[:4]) > 0
