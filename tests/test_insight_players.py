"""INSIGHT sellers: exact descent sequences, rival-aware tactics, the Q-update,
Q-table persistence, learning inside a match, and play in the bilateral world."""

from __future__ import annotations

import json

import pytest

from players.faratin import TimeDependent
from players.insight import (
    Competitive,
    Copycat,
    DescentArithmetic,
    DescentByOne,
    QLearningSeller,
    QTable,
    RandomSeller,
    Reactive,
    TitForTat,
)
from tourney.registry import resolve_player
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.bidding import BiddingWorld, default_descent
from tourney.worlds.bilateral import BilateralWorld

ALL_SELLERS = [RandomSeller, DescentByOne, DescentArithmetic, QLearningSeller,
               TitForTat, Copycat, Competitive, Reactive]


def start(seller, low=11, high=30, rivals=0, episodes=1):
    seller.begin_match(low=low, high=high, unit_cost=low - 1, rivals=rivals, episodes=episodes)
    return seller


def refused_offers(seller, turns, rival=None):
    """The offers a seller makes to one buyer who refuses them all; ``rival``
    lists the rival's offers turn by turn (None: one-seller game)."""
    seller.begin_episode()
    offers, rival_last = [], None
    for turn in range(turns):
        offers.append(seller.make_offer(rival_last))
        rival_now = None if rival is None else rival[turn]
        seller.observe(rival_now, 0.0, turn == turns - 1)
        rival_last = rival_now
    return offers


def test_descent_arithmetic_gives_the_papers_example_and_exact_sequences():
    assert default_descent(30, 11) == 6
    assert refused_offers(start(DescentArithmetic()), 8) == [30, 24, 19, 15, 12, 11, 11, 11]
    assert refused_offers(start(DescentArithmetic(descent=40), 11, 100), 5) == [100, 60, 21, 11, 11]
    assert refused_offers(start(DescentArithmetic(initial=18, descent=4), 10, 30), 5) == [18, 14, 11, 10, 10]
    # once the arithmetic steps run out it keeps descending by one
    assert refused_offers(start(DescentArithmetic(initial=30, descent=2), 11, 30), 6) == [30, 28, 27, 26, 25, 24]


def test_descent_by_one_walks_down_the_whole_range():
    assert refused_offers(start(DescentByOne()), 22) == list(range(30, 10, -1)) + [11, 11]


def test_random_seller_bids_below_its_previous_bid_down_to_the_floor():
    seller = start(RandomSeller(seed=4), episodes=300)
    firsts = set()
    for _ in range(300):
        offers = refused_offers(seller, 25)
        firsts.add(offers[0])
        assert all(11 <= p <= 30 for p in offers)
        falling = offers[: offers.index(11) + 1]
        assert all(a > b for a, b in zip(falling, falling[1:]))
        assert set(offers[offers.index(11):]) == {11}
    assert firsts == set(range(11, 31))  # the first bid is uniform on the range
    again = start(RandomSeller(seed=4), episodes=300)
    assert refused_offers(again, 25) == refused_offers(start(RandomSeller(seed=4)), 25)


def test_tit_for_tat_undercuts_the_rivals_previous_offer():
    seller = start(TitForTat(), 10, 30, rivals=1)
    # first turn: nothing to copy, so the arithmetic opening at the top
    assert refused_offers(seller, 4, rival=[25, 22, 21, 12]) == [30, 24, 21, 20]


def test_competitive_and_reactive_copy_the_rivals_decrement_plus_one():
    rival = [28, 25, 24, 17]
    # 30 (opening); 28 - (0 + 1); 25 - (3 + 1); 24 - (1 + 1) = 22, above its own refused 21
    assert refused_offers(start(Competitive(), 10, 30, rivals=1), 4, rival) == [30, 27, 21, 22]
    assert refused_offers(start(Reactive(), 10, 30, rivals=1), 4, rival) == [30, 27, 21, 22]
    # never_raise caps it below its last offer
    assert refused_offers(start(Competitive(never_raise=True), 10, 30, rivals=1), 4, rival) == [30, 27, 21, 20]
    # 24 -> 17 is a cut of 7 > 5: Reactive drops to the floor, Competitive goes to 17 - 8 = 9, clamped to 10
    assert refused_offers(start(Reactive(), 10, 30, rivals=1), 5, rival + [16]) == [30, 27, 21, 22, 10]
    assert refused_offers(start(Competitive(), 10, 30, rivals=1), 5, rival + [16]) == [30, 27, 21, 22, 10]
    assert refused_offers(start(Competitive(), 10, 30, rivals=1), 5, [29, 28, 27, 26, 25]) == [30, 28, 26, 25, 24]


def test_copycat_replays_the_rivals_last_buyer_one_turn_ahead():
    seller = start(Copycat(), 10, 30, rivals=1, episodes=2)
    assert refused_offers(seller, 3, rival=[29, 26, 20]) == [30, 24, 19]  # no memory yet: arithmetic
    assert refused_offers(seller, 4, rival=[28, 27, 26, 25]) == [26, 20, 20, 20]
    capped = start(Copycat(never_raise=True), 10, 30, rivals=1, episodes=2)
    refused_offers(capped, 3, rival=[29, 26, 20])
    assert refused_offers(capped, 4, rival=[28, 27, 26, 25]) == [26, 20, 19, 18]


def test_never_raise_bounds_the_q_learners_actions():
    from tourney.params import validate_params

    free = start(QLearningSeller(seed=1), 11, 30, episodes=200)
    capped = start(QLearningSeller(seed=1, never_raise=True), 11, 30, episodes=200)
    assert free.top_action(20) == 30 and capped.top_action(20) == 19 and capped.top_action(None) == 30
    # exploring (epsilon starts at 1): the free learner re-offers refused prices, the capped one never does
    free_offers = [refused_offers(free, 6) for _ in range(200)]
    assert any(b >= a for o in free_offers for a, b in zip(o, o[1:]))
    capped_offers = [refused_offers(capped, 6) for _ in range(200)]
    assert all(b < a or a == b == 11 for o in capped_offers for a, b in zip(o, o[1:]))
    with pytest.raises(ValueError, match="^never_raise"):
        validate_params("qlearning", {"never_raise": "yes"}, QLearningSeller.param_constraints)


def test_one_q_update_on_a_hand_made_transition():
    q = start(QLearningSeller(alpha=0.5, alpha_decay=1.0, gamma=0.9, epsilon=0.0, seed=1), 11, 13)
    table = q.table_
    table.set((None, 0), 13, 1.0)  # make 13 the greedy first offer
    table.set((13, 1), 12, 4.0)
    table.set((13, 1), 11, 2.0)
    q.begin_episode()
    assert q.make_offer(None) == 13
    q.observe(None, 0.0, False)
    # Q <- 1 + 0.5 (0 + 0.9 max(4, 2) - 1) = 2.3
    assert table.get((None, 0), 13) == pytest.approx(2.3)
    assert q.make_offer(None) == 12
    q.observe(None, 2.0, True)  # sold at 12 (profit 2): terminal, Q <- 4 + 0.5 (2 - 4)
    assert table.get((13, 1), 12) == pytest.approx(3.0)
    assert table.get((13, 1), 11) == 2.0


def test_two_seller_state_holds_the_rivals_last_offer():
    q = start(QLearningSeller(alpha=1.0, alpha_decay=1.0, gamma=1.0, epsilon=0.0, seed=2), 10, 30, rivals=1)
    q.begin_episode()
    first = q.make_offer(None)  # empty table: a seeded random pick among equals
    assert q.state_ == (None, 0, None) and first > 10
    q.table_.set((first, 1, 11), 10, 5.0)
    q.observe(11, 0.0, False)  # the rival offered 11; no sale
    assert q.table_.get((None, 0, None), first) == pytest.approx(5.0)  # 0 + 1 * max Q(s', .)
    assert q.make_offer(11) == 10
    assert q.state_ == (first, 1, 11)
    q.observe(10, 3.0, True)
    assert q.table_.get((first, 1, 11), 10) == pytest.approx(3.0)


def test_learning_and_exploration_rates_decay_per_buyer():
    q = start(QLearningSeller(alpha=0.5, alpha_decay=0.9, alpha_min=0.3, epsilon=1.0,
                              epsilon_decay=0.5, epsilon_min=0.1, seed=3), episodes=10)
    rates = []
    for _ in range(5):
        q.begin_episode()
        rates.append((q.alpha_, q.epsilon_))
    assert [a for a, _ in rates] == pytest.approx([0.5, 0.45, 0.405, 0.3645, 0.32805])
    assert [e for _, e in rates] == pytest.approx([1.0, 0.5, 0.25, 0.125, 0.1])


def test_q_table_saves_loads_and_exploit_only_never_updates(tmp_path):
    path = tmp_path / "q.json"
    BiddingWorld(episodes=800).play({"seller": Seat("seller", "Q", "qlearning", QLearningSeller,
                                                     {"seed": 5, "save_path": str(path)})}, 1, MatchContext(1))
    saved = json.loads(path.read_text())
    assert saved["format"] == "tourney-insight-qtable/1"
    assert saved["meta"] == {"low": 11, "high": 30, "rivals": 0, "never_raise": False}
    loaded = QTable.load(path)
    assert len(loaded) == len(saved["entries"]) > 50

    exploit = start(QLearningSeller(exploit_only=True, load_path=str(path), seed=6), episodes=50)
    before = {s: dict(row) for s, row in exploit.table_.values.items()}
    for _ in range(50):
        exploit.begin_episode()
        assert exploit.epsilon_ == 0.0
        offers = refused_offers(exploit, 3)
        greedy = exploit.table_.best_actions((None, 0), range(11, 31))
        assert offers[0] in greedy
    assert exploit.table_.values == before

    with pytest.raises(ValueError, match="^exploit_only"):
        start(QLearningSeller(exploit_only=True))
    with pytest.raises(ValueError, match="^load_path"):
        start(QLearningSeller(load_path=str(path)), 10, 30)
    with pytest.raises(ValueError, match="^load_path: no Q-table"):
        start(QLearningSeller(load_path=str(tmp_path / "missing.json")))


def test_q_learning_beats_random_in_a_short_one_seller_match():
    world = BiddingWorld(price_range=(11, 30), episodes=4000, last_episodes=1000)

    def last_profit(cls):
        r = world.play({"seller": Seat("seller", cls.__name__, cls.__name__, cls, {})}, 21, MatchContext(21))
        return r.roles["seller"]["profit_last"], r.details["curve"]["profit"]["seller"]

    q, curve = last_profit(QLearningSeller)
    rand, _ = last_profit(RandomSeller)
    assert q > rand + 1.0
    assert sum(curve[-10:]) > sum(curve[:10])  # it learnt within the match


@pytest.mark.parametrize("cls", ALL_SELLERS)
def test_every_seller_plays_the_bilateral_world_as_seller(cls):
    world = BilateralWorld(n_steps=30, episodes=4)
    result = world.play({"buyer": Seat("buyer", "B", "boulware", TimeDependent, {"beta": 0.5}),
                         "seller": Seat("seller", "S", cls.__name__, cls, {})}, 8, MatchContext(8))
    episodes = result.details["episodes"]
    assert len(episodes) == 4
    for ep in episodes:
        if ep["agreement"] is not None:
            seller_rp, seller_ip = ep["prices"]["seller"][1], ep["prices"]["seller"][0]
            assert seller_rp - 1 <= ep["agreement"] <= seller_ip + 1
            assert -0.01 <= ep["utility"]["seller"] <= 1.01
        else:
            assert ep["utility"]["seller"] == 0.0  # no deal scores no_agreement
    mean = sum(ep["utility"]["seller"] for ep in episodes) / 4
    assert result.roles["seller"]["utility"] == pytest.approx(mean, abs=1e-5)


def test_q_learner_keeps_learning_across_bilateral_episodes():
    from negmas import SAOMechanism, make_issue

    from tourney.worlds.bilateral import reset_sao_negotiator
    from tourney.worlds.pricing import PriceUtility

    seller = QLearningSeller(seed=9, name="q")
    buyer = TimeDependent(beta=1.0, name="b")
    sizes = []
    for episode in range(3):
        m = SAOMechanism(issues=[make_issue((300, 550), "price")], n_steps=20)
        for neg, (ip, rp) in ((buyer, (320, 520)), (seller, (530, 330))):
            reset_sao_negotiator(neg)
            m.add(neg, ufun=PriceUtility(ip, rp, outcome_space=m.outcome_space))
        m.run()
        sizes.append(len(seller.table_))
        assert not seller.awaiting_  # the last offer's outcome was learnt
    assert seller.episode_ == 2 and seller.low_ == 0 and seller.high_ == seller.levels
    assert sizes[0] > 0 and sizes[-1] >= sizes[0]


@pytest.mark.parametrize("name", ["insight-random", "descent-by-one", "descent-arithmetic", "qlearning",
                                  "qlearning-exploit", "tft-seller", "copycat", "competitive", "reactive"])
def test_catalog_names_resolve_for_the_bidding_and_bilateral_worlds(name):
    assert resolve_player(name, "bidding").roles == ("seller",)
    assert resolve_player(name, "bidding2").roles == ("seller_a", "seller_b")
    assert resolve_player(name, "bilateral").roles == ("seller",)


def test_fast_greedy_choice_agrees_with_the_plain_scan():
    import random

    rng = random.Random(0)
    for _ in range(2000):
        table = QTable(initial=rng.choice([0.0, 1.0]))
        low, high = rng.randint(0, 5), rng.randint(6, 12)
        for a in rng.sample(range(low, high + 1), rng.randint(0, high - low + 1)):
            table.set("s", a, rng.choice([0.0, 0.5, 1.0, 2.0, -1.0]))
        assert sorted(table.greedy_actions("s", low, high)) == table.best_actions("s", range(low, high + 1))
