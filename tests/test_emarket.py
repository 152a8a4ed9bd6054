"""The e-market world: protocol, settings, metrics, SAO equivalence, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest
from negmas import SAOMechanism, make_issue
from negmas.sao import ResponseType, SAOPRNegotiator

from players.emarket_base import IndependentThreadsBuyer
from tourney.worlds.emarket_protocol import (
    ACCEPT, CANCEL, CONFIRM, EXIT, OFFER, RESERVE, S2, S3, S5, EMarketBuyer, MarketView,
)
from players.faratin import RelativeTFT, TimeDependent
from conftest import run_cli, write_league
from tourney.errors import PlayerFault
from tourney.seeding import make_rng
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.bilateral import FAST_SAO_OPTIONS
from tourney.worlds.emarket import (
    MD_VALUES, MR_VALUES, T_END_RANGES, ZOA_SELLER_RANGES, EMarketWorld, draw_setting, factory,
    role_metrics, run_episodes,
)
from tourney.worlds.emarket_market import Market, MarketConfig
from tourney.worlds.emarket_protocol import buyer_utility
from tourney.worlds.pricing import PriceUtility


# --- scripted agents -------------------------------------------------------------
class FixedSeller(SAOPRNegotiator):
    """Offers ``price`` every time; accepts any offer at or above it."""

    def __init__(self, price: float = 450.0, **kwargs):
        super().__init__(**kwargs)
        self.price = price

    def propose(self, state, dest=None):
        return (self.price,)

    def respond(self, state, source=None):
        return ResponseType.ACCEPT_OFFER if state.current_offer[0] >= self.price else ResponseType.REJECT_OFFER


class ScriptedBuyer(EMarketBuyer):
    """Plays ``script(view, log)``; keeps every view it saw (thread states per round)."""

    def __init__(self, script):
        self.script = script
        self.log = []
        self.outcomes = []

    def act(self, view: MarketView):
        self.log.append({tid: (th.state, th.end_reason) for tid, th in view.threads.items()})
        return self.script(view, self.log)

    def end(self, outcome):
        self.outcomes.append(outcome)


def config(**kw) -> MarketConfig:
    base = dict(n_buyers=1, n_sellers=2, t_end=20.0, buyer_ip=300, buyer_rp=500,
                seller_ip=(600, 600), seller_rp=(400, 400), competitor_t_end=(20, 20),
                seller_deadline="buyer")  # pinned: these tests fix every deadline
    base.update(kw)
    return MarketConfig(**base)


def sellers_by_price(prices):
    """A seller factory handing out FixedSellers at ``prices`` in thread order."""
    it = iter(prices)
    return lambda seed: FixedSeller(price=next(it))


def no_competitor(seed):
    raise AssertionError("no competitor expected")


# --- protocol --------------------------------------------------------------------
def test_reservation_held_while_bargaining_elsewhere():
    # thread 1: seller at 450 (we reserve it); thread 2: seller at 480 (we keep offering)
    def script(view, log):
        threads = sorted(view.threads)
        a, b = threads[0], threads[1]
        r = len(log) - 1
        if r == 0:
            return {a: (OFFER, 320.0), b: (OFFER, 320.0)}
        if r == 1:
            return {a: (RESERVE,), b: (OFFER, 330.0)}
        if r in (2, 3):
            return {b: (OFFER, 330.0 + r)}
        return {a: (ACCEPT,)}

    buyer = ScriptedBuyer(script)
    market = Market(config(), buyer, sellers_by_price([450.0, 480.0]), no_competitor, make_rng(1))
    result = market.run()
    states = [sorted(s for s, _ in round_.values()) for round_ in buyer.log]
    assert states[1] == [S2, S2]
    assert states[2] == [S2, S5] and states[3] == [S2, S5]  # reserved while bargaining with the other
    assert result.success and result.price == 450.0 and result.t == 4.0
    assert result.penalty == 0.0 and result.reservations == 1
    assert result.utility == pytest.approx((500 - 450) / 200)
    assert buyer.outcomes[-1]["success"] and buyer.outcomes[-1]["price"] == 450.0


def test_cancel_costs_the_buyer_and_exit_in_s4_does_not():
    def script(view, log):
        threads = sorted(view.threads)
        r = len(log) - 1
        if r == 0:
            return {t: (OFFER, 320.0) for t in threads}
        if r == 1:
            return {threads[0]: (RESERVE,), threads[1]: (RESERVE,)}
        if r == 2:
            # one seller reserved; the second seller has capacity too: both S5
            return {threads[0]: (CANCEL,)}
        if r == 3:
            return {threads[0]: (ACCEPT,)}  # the remaining reservation
        return {}

    buyer = ScriptedBuyer(script)
    market = Market(config(penalty_rate=0.1), buyer, sellers_by_price([450.0, 460.0]), no_competitor,
                    make_rng(2))
    result = market.run()
    assert result.success and result.price == 460.0
    assert result.penalty == pytest.approx(45.0)  # D x the cancelled reserved price
    assert result.utility == pytest.approx((500 - 460 - 45) / 200)
    assert result.cancellations == 1

    def exit_script(view, log):
        threads = sorted(view.threads)
        r = len(log) - 1
        if r == 0:
            return {t: (OFFER, 320.0) for t in threads}
        if r == 1:
            return {threads[0]: (RESERVE,)}
        if r == 2:
            assert view.threads[threads[0]].state == S5
            return {threads[0]: (CANCEL,), threads[1]: (EXIT,)}
        return {}

    buyer = ScriptedBuyer(exit_script)
    result = Market(config(), buyer, sellers_by_price([450.0, 460.0]), no_competitor, make_rng(3)).run()
    assert not result.success and result.penalty == pytest.approx(45.0)
    assert buyer.log[3] == {}  # both threads closed: nothing left to negotiate


def test_exit_ends_the_thread_and_seller_acceptance_needs_confirm():
    def script(view, log):
        threads = sorted(view.threads)
        r = len(log) - 1
        if r == 0:
            return {threads[0]: (OFFER, 470.0), threads[1]: (OFFER, 320.0)}
        if r == 1:
            assert view.threads[threads[0]].state == S3  # the seller accepted 470: possible agreement
            assert view.threads[threads[0]].accepted_price == 470.0
            return {threads[1]: (EXIT,)}
        if r == 2:
            assert set(view.threads) == {threads[0]}
            return {threads[0]: (CONFIRM,)}
        return {}

    buyer = ScriptedBuyer(script)
    result = Market(config(), buyer, sellers_by_price([450.0, 460.0]), no_competitor, make_rng(4)).run()
    assert result.success and result.price == 470.0 and result.t == 2.0


def test_illegal_action_is_the_buyers_fault():
    class Rude(EMarketBuyer):
        def act(self, view):
            return {tid: (ACCEPT,) for tid in view.threads}  # accept in S0: nothing to accept

    world = EMarketWorld(density=4, ratio=(1, 1), deadline=10.0, competitor="random-buyer")
    seats = {"buyer": Seat("buyer", "Rude", "x", Rude), "seller": Seat("seller", "C", "conceder", TimeDependent,
                                                                         {"beta": 20.0})}
    with pytest.raises(PlayerFault) as err:
        world.play(seats, 1, MatchContext(1))
    assert err.value.role == "buyer" and "not allowed in state S0" in err.value.message


def test_seller_sold_to_a_competitor_cancels_our_reservation_and_leaves():
    # One seller at 450 and two buyers: we reserve; a competitor pays 470 and confirms.
    class Eager(EMarketBuyer):
        def act(self, view):
            out = {}
            for tid, th in view.threads.items():
                if th.state in ("S0", "S2"):
                    out[tid] = (OFFER, 470.0 if view.t >= 3 else 320.0)  # outbids us at t = 3
                elif th.state == S3:
                    out[tid] = (CONFIRM,)
            return out

    def script(view, log):
        r = len(log) - 1
        out = {}
        for tid, th in view.threads.items():
            if th.state == "S0":
                out[tid] = (OFFER, 320.0)
            elif th.state == S2 and r == 1:
                out[tid] = (RESERVE,)
        return out

    buyer = ScriptedBuyer(script)
    market = Market(config(n_buyers=2, n_sellers=1, t_end=8.0), buyer, lambda seed: FixedSeller(price=450.0),
                    lambda seed: Eager(), make_rng(5))
    result = market.run()
    first = min(buyer.log[0])
    assert buyer.log[1][first][0] == S2
    seen_reserved = any(first in r and r[first][0] == S5 for r in buyer.log)
    assert seen_reserved
    # the competitor bought the item: our thread vanished, the seller paid us D x 450
    gone = [i for i, r in enumerate(buyer.log) if first not in r]
    assert gone, "the sold seller's thread should have closed"
    assert gone[0] in (4, 5)  # S3 at t = 3, the competitor confirms at t = 4 (before or after our turn)
    assert result.competitor_deals >= 1
    assert result.penalty == pytest.approx(-45.0)
    # a new seller entered in its place and we got a fresh thread (S0) with it
    new_threads = set().union(*[set(r) for r in buyer.log[gone[0]:]])
    assert new_threads and first not in new_threads
    assert result.sellers_seen >= 2


def test_agents_leave_and_enter_with_churn():
    world = EMarketWorld(density=10, ratio=(1, 1), deadline=30.0, churn=0.2, competitor="random-buyer")
    seats = {"buyer": Seat("buyer", "T", "threads-buyer", IndependentThreadsBuyer,
                           {"tactic": "players.faratin:TimeDependent", "tactic_params": {"beta": 0.2}}),
             "seller": Seat("seller", "B", "boulware", TimeDependent, {"beta": 0.2})}
    calm = EMarketWorld(density=10, ratio=(1, 1), deadline=30.0, churn=0.0, competitor="random-buyer")
    busy = world.play(seats, 3, MatchContext(3)).details["episodes"][0]
    quiet = calm.play(seats, 3, MatchContext(3)).details["episodes"][0]
    # 5 sellers at the start; with churn about 1 in 5 leave every round and are replaced
    assert busy["threads"] > quiet["threads"] + 10


# --- settings and metrics --------------------------------------------------------
def test_settings_sampling_follows_table_3():
    rng = make_rng(11)
    for md in "HAL":
        for mr in "HAL":
            for t_end in ("Lg", "A", "Sh"):
                seen_md, seen_mr = set(), set()
                for _ in range(60):
                    s = draw_setting(rng, md, mr, t_end)
                    seen_md.add(s["md"])
                    seen_mr.add(tuple(s["mr"]))
                    low, high = T_END_RANGES[t_end]
                    assert low <= s["t_end"] <= high and s["t_end"] == int(s["t_end"])
                    assert s["n_buyers"] + s["n_sellers"] == s["md"]
                    b, sl = s["mr"]
                    assert s["n_buyers"] == max(1, round(s["md"] * b / (b + sl)))
                assert seen_md == set(MD_VALUES[md])
                assert seen_mr == set(MR_VALUES[mr])
    assert T_END_RANGES == {"Lg": (151, 210), "A": (91, 150), "Sh": (30, 90)}
    assert MD_VALUES == {"H": (30, 40, 50), "A": (18, 23, 28), "L": (8, 10, 12)}


@pytest.mark.parametrize("zoa", [100, 60, 10])
def test_seller_prices_follow_the_zone_of_agreement(zoa):
    world = EMarketWorld(zoa=zoa, density=12, ratio=(1, 5))
    cfg, _ = world.episode_config(make_rng(zoa))
    market = Market(cfg, ScriptedBuyer(lambda v, log: {}), lambda seed: FixedSeller(), no_competitor, make_rng(1))
    for _ in range(200):
        market._add_seller(0, 10)
    ips = np.array([s.ip for s in market.sellers])
    rps = np.array([s.rp for s in market.sellers])
    (ip_lo, ip_hi), (rp_lo, rp_hi) = ZOA_SELLER_RANGES[zoa]
    assert ips.min() >= ip_lo and ips.max() <= ip_hi and rps.min() >= rp_lo and rps.max() <= rp_hi
    assert ips.max() - ips.min() > 0.8 * (ip_hi - ip_lo)  # spread over the range
    assert 300 <= cfg.buyer_ip <= 350 and 500 <= cfg.buyer_rp <= 550


def test_seller_deadlines_drawn_from_table3_by_default_or_the_buyers():
    # ANEGMA 5.1.1: a seller's deadline is "same as that of buyer but private": by
    # default each seller draws its own t_s from the buyer's Table 3 range.
    drawn = EMarketWorld(t_end="A", density=12, ratio=(1, 5))
    cfg, _ = drawn.episode_config(make_rng(1))
    assert cfg.seller_deadline == "drawn"
    market = Market(cfg, ScriptedBuyer(lambda v, log: {}), lambda seed: FixedSeller(), no_competitor, make_rng(1))
    rounds = {market._seller_rounds() for _ in range(200)}
    assert min(rounds) >= 91 and max(rounds) <= 150 and len(rounds) > 30
    same = EMarketWorld(t_end="A", density=12, ratio=(1, 5), seller_deadline="buyer")
    cfg, _ = same.episode_config(make_rng(1))
    market = Market(cfg, ScriptedBuyer(lambda v, log: {}), lambda seed: FixedSeller(), no_competitor, make_rng(1))
    assert {market._seller_rounds() for _ in range(20)} == {market.last_round}


def test_metrics_on_hand_built_episodes():
    episodes = [
        {"success": True, "utility": 0.4, "t": 100.0, "penalty": 0.0, "seller_utility": 0.2},
        {"success": False, "utility": None, "t": None, "penalty": 10.0, "seller_utility": None},
        {"success": True, "utility": 0.2, "t": 150.0, "penalty": 0.0, "seller_utility": 0.4},
        {"success": False, "utility": None, "t": None, "penalty": 0.0, "seller_utility": None},
    ]
    m = role_metrics(episodes)["buyer"]
    assert m["u_avg"] == pytest.approx(0.3)  # over successful negotiations only (Table 2)
    assert m["t_avg"] == pytest.approx(125000.0)  # milliseconds
    assert m["s_pct"] == pytest.approx(50.0)
    assert m["utility"] == pytest.approx(0.15)  # failures count 0 in the ranking score
    assert m["penalty"] == pytest.approx(2.5)
    none = role_metrics([episodes[1]])["buyer"]
    assert none["u_avg"] is None and none["s_pct"] == 0.0
    # eq. (5): (RP - x)/(RP - IP) (t / t_end)^d_t
    assert buyer_utility(450, 90, 300, 500, 180, 0.0) == pytest.approx(0.25)
    assert buyer_utility(450, 90, 300, 500, 180, 0.6) == pytest.approx(0.25 * 0.5 ** 0.6)


# --- the fast loop gives SAOMechanism's outcomes ----------------------------------
CASES = [(0.3, 20.0), (1.0, 1.0), (3.0, 0.5), (20.0, 3.0), (0.5, "rtft"), (2.0, "rtft")]


@pytest.mark.parametrize("buyer_beta,seller", CASES)
def test_one_thread_matches_sao_mechanism(buyer_beta, seller):
    ip_b, rp_b, ip_s, rp_s, t_end = 310, 520, 600, 330, 59.0
    n_steps = int(t_end) + 1
    if seller == "rtft":
        make_seller, seller_params = RelativeTFT, {}
    else:
        make_seller, seller_params = TimeDependent, {"beta": seller}
    # negmas SAOMechanism, the buyer opening
    mech = SAOMechanism(issues=[make_issue((0, 1000), "price")], n_steps=n_steps, **FAST_SAO_OPTIONS)
    mech.add(TimeDependent(beta=buyer_beta), ufun=PriceUtility(ip_b, rp_b, outcome_space=mech.outcome_space))
    mech.add(make_seller(**seller_params), ufun=PriceUtility(ip_s, rp_s, outcome_space=mech.outcome_space))
    state = mech.run()
    assert state.agreement is not None and state.step < n_steps  # a deal before the last step
    # the e-market loop, one buyer and one seller
    cfg = config(n_buyers=1, n_sellers=1, t_end=t_end, buyer_ip=ip_b, buyer_rp=rp_b,
                 seller_ip=(ip_s, ip_s), seller_rp=(rp_s, rp_s))
    buyer = IndependentThreadsBuyer(tactic="players.faratin:TimeDependent", tactic_params={"beta": buyer_beta})
    result = Market(cfg, buyer, factory(make_seller, seller_params), no_competitor, make_rng(0)).run()
    assert result.success
    assert result.price == pytest.approx(state.agreement[0])
    # SAO counts the step of the acceptance; a seller's acceptance needs our confirm one round later
    assert state.step - 1 <= result.t <= state.step


# --- determinism -----------------------------------------------------------------
def test_same_seed_same_match():
    world = EMarketWorld(md="L", mr="A", zoa=60, t_end="Sh", episodes=2)
    seats = {"buyer": Seat("buyer", "CONAN", "conan", __import__("players.conan", fromlist=["Conan"]).Conan),
             "seller": Seat("seller", "R", "relative-tft", RelativeTFT)}
    a = world.play(seats, 5, MatchContext(5))
    b = world.play(seats, 5, MatchContext(5))
    c = world.play(seats, 6, MatchContext(6))
    assert json.dumps(a.details) == json.dumps(b.details)
    assert json.dumps(a.details) != json.dumps(c.details)


def test_run_episodes_for_training_records_table1_traces():
    episodes = run_episodes("conan", 2, seed=3, seller="conceder", md="L", mr="H", zoa=100, t_end="Sh",
                            record=True)
    assert len(episodes) == 2
    rows = episodes[0]["trace"]
    assert rows and all(len(row[2]) == 7 for row in rows)
    t, tid, (ns, nc, s_neg, x_best, t_left, ip, rp), action = rows[-1]
    assert ip == episodes[0]["ip"] and rp == episodes[0]["rp"] and 0 <= s_neg <= 5
    assert t_left <= episodes[0]["t_end"]
    # the class itself (a trainer's learner) plays the same market; another seed another one
    from players.conan import Conan

    assert episodes == run_episodes(Conan, 2, seed=3, seller="conceder", md="L", mr="H", zoa=100, t_end="Sh",
                                    record=True)
    other = run_episodes(Conan, 2, seed=4, seller="conceder", md="L", mr="H", zoa=100, t_end="Sh", record=True)
    assert [e["ip"] for e in other] != [e["ip"] for e in episodes]


def test_jobs_do_not_change_results(tmp_path):
    league = write_league(
        tmp_path / "em.yaml", name="em-det", seed=9, repetitions=2,
        worlds=[{"type": "emarket", "params": {"md": "L", "t_end": "Sh", "episodes": 2},
                 "settings": {"zoa": [100, 60]}}],
        players=[{"name": "CONAN", "type": "conan"}, {"name": "Rand", "type": "random-buyer"},
                 {"name": "Conceder", "type": "conceder"}],
    )
    out1, out2 = tmp_path / "j1", tmp_path / "j2"
    run_cli("run", str(league), "-j", "1", "--out", str(out1), "--quiet", check=True)
    run_cli("run", str(league), "-j", "2", "--out", str(out2), "--quiet", check=True)
    from tourney.store import iter_records

    def table(out):
        return sorted((r["key"], json.dumps(r["roles"], sort_keys=True), r["status"]) for r in iter_records(out))

    t1, t2 = table(out1), table(out2)
    assert len(t1) == 8 and all(status == "ok" for *_, status in t1)
    assert t1 == t2


def test_warmup_simulations_are_played_first_and_left_out_of_the_metrics():
    from players.conan import Conan

    seats = {"buyer": Seat("buyer", "CONAN", "conan", Conan, {}),
             "seller": Seat("seller", "C", "conceder", TimeDependent, {"beta": 20.0})}
    params = dict(md="L", mr="L", zoa=60, t_end="Sh", density=8, deadline=30, episodes=3)
    plain = EMarketWorld(**params).play(seats, 5, MatchContext(5))
    warm = EMarketWorld(**params, warmup=4).play(seats, 5, MatchContext(5))
    # CONAN starts every simulation afresh, so the scored markets and outcomes are the same
    assert warm.details["episodes"] == plain.details["episodes"]
    assert warm.details["warmup"]["simulations"] == 4 and "warmup" not in plain.details
    assert warm.roles == plain.roles
