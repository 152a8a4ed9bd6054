"""The ANEGMA DDPG buyer: rewards, action ranges, learning, checkpoints, league errors."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from conftest import run_cli
from players.ddpg import checkpoint as ckpt
from players.ddpg.bilateral import DDPGBilateralBuyer
from players.ddpg.emarket import DDPGEMarketBuyer
from players.ddpg.experience import EpisodeExperience
from players.ddpg.learner import DDPGLearner
from players.ddpg.networks import Actor
from players.ddpg.rewards import action_reward, buyer_utility, offer_reward
from players.ddpg.spaces import ACTION_INDEX, STATE_DIM, action_mask, encode_state, offer_price
from players.ddpg.train import evaluate, main, train
from players.faratin import TimeDependent
from tourney.seeding import derive_seed
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.bilateral import BilateralWorld
from tourney.worlds.emarket import EMarketWorld


# --- eqs. (3)-(5) on hand-made transitions ---

def test_eq5_utility_with_its_time_term():
    assert buyer_utility(400, 50, ip=300, rp=500, t_end=100) == pytest.approx(0.5 * 0.5**0.6)
    assert buyer_utility(300, 100, 300, 500, 100) == pytest.approx(1.0)
    assert buyer_utility(500, 100, 300, 500, 100) == pytest.approx(0.0)
    assert buyer_utility(600, 100, 300, 500, 100) == pytest.approx(-0.5)  # above RP: negative
    assert buyer_utility(400, 10, 300, 500, 100, d_t=0.0) == pytest.approx(0.5)


def test_eq4_counter_offer_reward():
    u = buyer_utility(420, 30, 300, 500, 100)
    assert offer_reward(420, 30, [450, 480], 300, 500, 100) == pytest.approx(u)  # below every offer
    assert offer_reward(420, 30, [420], 300, 500, 100) == pytest.approx(u)  # equal counts as <=
    assert offer_reward(490, 30, [450, 480], 300, 500, 100) == -1.0  # above every offer
    assert offer_reward(460, 30, [450, 480], 300, 500, 100) == 0.0  # in between
    assert offer_reward(420, 30, [], 300, 500, 100) == pytest.approx(u)  # no seller offer yet
    assert offer_reward(420, 130, [450], 300, 500, 100) == 0.0  # after t_end


def test_eq3_discrete_action_reward():
    kw = dict(ip=300, rp=500, t_end=100)
    assert action_reward("accept", 80, outcome="agreement", price=350, **kw) == pytest.approx(
        0.75 * 0.8**0.6)
    assert action_reward("exit", 80, outcome="no_deal", **kw) == -1.0
    assert action_reward("offer", 20, offer=400, seller_offers=[450], **kw) == pytest.approx(
        offer_reward(400, 20, [450], 300, 500, 100))
    assert action_reward("reqToReserve", 20, **kw) == 0.0
    assert action_reward("exit", 20, **kw) == 0.0


def test_experience_rewards_and_terminals():
    learner = DDPGLearner(seed=1)
    exp = EpisodeExperience(learner, ip=300, rp=500, t_end=100, d_t=0.6, offer_weight=0.5)
    s = encode_state(2, 1, 2, 450, 0.8, 300, 500)
    offer_mask, any_mask = action_mask(["offer"]), action_mask(["offer", "accept", "exit"])
    exp.decided("a", s, offer_mask, ACTION_INDEX["offer"], 0.5, t=20, offer=400, seller_offers=[450])
    exp.decided("b", s, offer_mask, ACTION_INDEX["offer"], 0.9, t=20, offer=480, seller_offers=[450])
    exp.decided("a", s, any_mask, ACTION_INDEX["accept"], 0.5, t=40)
    exp.finish("a", price=430, t=40)
    buf = learner.buffer
    assert len(buf) == 3
    # thread a: the offer (shaped eq. 4), then the purchase (eq. 5), terminal
    assert buf.reward[0] == pytest.approx(0.5 * buyer_utility(400, 20, 300, 500, 100))
    assert buf.done[0] == 0.0 and buf.next_mask[0].tolist() == any_mask.tolist()
    # the other thread of a buyer that bought elsewhere: 0, terminal
    rewards = {int(buf.action[i]): (float(buf.reward[i]), float(buf.done[i])) for i in (1, 2)}
    assert rewards[ACTION_INDEX["offer"]] == (0.0, 1.0)
    assert rewards[ACTION_INDEX["accept"]][0] == pytest.approx(buyer_utility(430, 40, 300, 500, 100))
    exp.decided("c", s, offer_mask, ACTION_INDEX["offer"], 0.2, t=50, offer=340, seller_offers=[450])
    exp.finish(None)
    assert buf.reward[3] == -1.0 and buf.done[3] == 1.0


# --- the action heads respect [IP_b, RP_b] ---

def test_actor_heads_stay_in_range():
    actor = Actor()
    states = torch.randn(2000, STATE_DIM) * 5
    mask = torch.as_tensor(action_mask(["confirm", "exit"])).expand(2000, -1)
    with torch.no_grad():
        logits, share = actor(states, mask)
    assert float(share.min()) >= 0.0 and float(share.max()) <= 1.0
    assert set(logits.argmax(-1).tolist()) <= {ACTION_INDEX["confirm"], ACTION_INDEX["exit"]}
    assert offer_price(-3.0, 310, 520) == 310 and offer_price(7.0, 310, 520) == 520


def test_bilateral_offers_within_buyer_range_while_exploring():
    world = BilateralWorld(n_steps=20, episodes=4, zoa=10, trace=True)
    seats = {"buyer": Seat("buyer", "D", "ddpg", DDPGBilateralBuyer,
                           {"learn": True, "noise": 0.5, "epsilon": 0.3, "seed": 4}),
             "seller": Seat("seller", "B", "boulware", TimeDependent, {"beta": 0.1})}
    result = world.play(seats, 9, MatchContext(9))
    n = 0
    for ep in result.details["episodes"]:
        ip, rp = ep["prices"]["buyer"]
        for _step, who, price in ep["offers"]:
            if who == "buyer":
                assert ip <= price <= rp
                n += 1
    assert n > 0


def test_emarket_offers_within_buyer_range_while_exploring():
    world = EMarketWorld(md="L", mr="L", zoa=60, t_end="Sh", episodes=2, deadline=30, density=8,
                         competitor="threads-buyer", trace=True)
    seats = {"buyer": Seat("buyer", "D", "ddpg", DDPGEMarketBuyer,
                           {"learn": True, "noise": 0.5, "epsilon": 0.3, "seed": 2}),
             "seller": Seat("seller", "C", "conceder", TimeDependent, {"beta": 20.0})}
    result = world.play(seats, 3, MatchContext(3))
    offers = [(a[1], row[5], row[6]) for ep in result.details["episodes"]
              for _t, _tid, row, a in ep["trace"] if a and a[0] == "offer"]
    assert offers
    assert all(ip <= x <= rp for x, ip, rp in offers)


# --- learning ---

TRAIN_LEAGUE = {
    "name": "ddpg-test", "seed": 1, "repetitions": 1,
    "worlds": [{"type": "bilateral", "params": {"n_steps": 20}, "settings": {"zoa": [60, 100]}}],
    "players": [{"name": "Conceder", "type": "conceder"},
                {"name": "DDPG", "type": "ddpg",
                 "params": {"checkpoint": None, "epsilon": 0.05, "updates_per_episode": 10}}],
}


@pytest.fixture()
def train_league(tmp_path: Path) -> Path:
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(TRAIN_LEAGUE))
    return path


def test_short_training_beats_the_untrained_policy(train_league: Path, tmp_path: Path):
    seed = 0
    before = evaluate(train_league, None, 40, seed=5, player_seed=derive_seed(seed, "trainee"))["score"]
    out = main(train_league, "random", 100, tmp_path / "rl.pt", seed=seed, progress=False)
    after = evaluate(train_league, str(out), 40, seed=5)["score"]
    assert after > before + 0.2, (before, after)
    assert (tmp_path / "rl.png").stat().st_size > 1000  # the learning curve
    assert len(ckpt.load(out)["meta"]["curve"]) == 10


def test_training_is_deterministic(train_league: Path, tmp_path: Path):
    a, b, c = (main(train_league, "random", 20, tmp_path / d / "x.pt", seed=s, progress=False, plot=False)
               for d, s in (("a", 3), ("b", 3), ("c", 4)))
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_online_learning_changes_the_policy_only_in_its_match(train_league: Path, tmp_path: Path):
    learner, meta = train(train_league, "random", 10, seed=0, progress=False)
    path = ckpt.save(tmp_path / "x.pt", learner.weights(), learner.hidden, meta)
    frozen = DDPGBilateralBuyer(checkpoint=str(path))
    online = DDPGBilateralBuyer(checkpoint=str(path), learn=True, seed=1)
    world = BilateralWorld(n_steps=20, episodes=3, zoa=60)
    seller = Seat("seller", "C", "conceder", TimeDependent, {"beta": 20.0})
    world.play({"buyer": Seat("buyer", "D", "ddpg", _Fixed.of(online), {}), "seller": seller}, 1, MatchContext(1))
    w0 = frozen.learner.actor.f_r.weight
    assert not torch.equal(online.learner.actor.f_r.weight, w0)
    assert torch.equal(ckpt.load(path)["weights"]["actor"]["f_r.weight"], w0)


class _Fixed:
    """A Seat class returning one pre-built player (to inspect it after the match)."""

    @staticmethod
    def of(player):
        def make(**_):
            return player
        return make


# --- checkpoints ---

def test_checkpoint_round_trip(tmp_path: Path):
    learner = DDPGLearner(hidden=(16, 8), seed=5)
    path = ckpt.save(tmp_path / "k.pt", learner.weights(), learner.hidden, {"init": "random", "curve": [0.1]})
    data = ckpt.load(path)
    assert data["hidden"] == [16, 8] and data["meta"] == {"init": "random", "curve": [0.1]}
    player = DDPGEMarketBuyer(checkpoint=str(path))
    s = torch.as_tensor(encode_state(3, 2, 2, 420, 0.5, 320, 520))[None]
    m = torch.as_tensor(action_mask(["offer", "accept", "exit"]))[None]
    with torch.no_grad():
        for a, b in zip(learner.actor(s, m), player.learner.actor(s, m)):
            assert torch.equal(a, b)
    assert ckpt.load(path) is data  # cached per process


def test_shipped_checkpoints_load_and_are_small():
    names = ckpt.shipped_names()
    assert {"ann-c", "ann-c+rl", "rl"} <= set(names)
    for name in names:
        assert ckpt.resolve(name).stat().st_size < 400_000
        ckpt.load(name)


def test_check_params_names_the_key(tmp_path: Path):
    with pytest.raises(ValueError, match=r"^checkpoint: no checkpoint 'nope'"):
        DDPGEMarketBuyer.check_params({"checkpoint": "nope"})
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match=r"^checkpoint: .*not a readable checkpoint"):
        DDPGBilateralBuyer.check_params({"checkpoint": str(bad)})
    other = tmp_path / "other.pt"
    torch.save({"format": "something-else"}, other)
    with pytest.raises(ValueError, match="not a tourney DDPG checkpoint"):
        DDPGBilateralBuyer.check_params({"checkpoint": str(other)})


@pytest.mark.parametrize("content", [None, b"\x00garbage"])
def test_league_with_bad_checkpoint_exits_2_before_any_match(tmp_path: Path, content):
    ck = tmp_path / "ddpg.pt"
    if content is not None:
        ck.write_bytes(content)
    league = dict(TRAIN_LEAGUE, players=[{"name": "Conceder", "type": "conceder"},
                                         {"name": "DDPG", "type": "ddpg", "params": {"checkpoint": str(ck)}}])
    path = tmp_path / "league.yaml"
    path.write_text(yaml.safe_dump(league))
    out = tmp_path / "run"
    proc = run_cli("run", str(path), "--out", str(out), "-j", "1", "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert "checkpoint" in proc.stderr and "players[1].params.checkpoint" in proc.stderr
    assert not (out / "matches.jsonl").exists()


# --- supervised pre-training ---

def test_supervised_pretraining_on_teacher_traces(tmp_path: Path):
    from players.ddpg.supervised import build_dataset, collect_traces, fit

    league = {
        "name": "sl-test", "seed": 2, "repetitions": 1,
        "worlds": [{"type": "emarket", "params": {"md": "L", "mr": "L", "t_end": "Sh", "deadline": 30,
                                                  "density": 8, "competitor": "threads-buyer"},
                    "settings": {"zoa": [60]}}],
        "players": [{"name": "Conceder", "type": "conceder"}, {"name": "DDPG", "type": "ddpg", "params": {"checkpoint": None}}],
    }
    path = tmp_path / "sl.yaml"
    path.write_text(yaml.safe_dump(league))
    episodes = collect_traces(path, "conan", 6, jobs=1, progress=False)
    assert len(episodes) == 6
    data = build_dataset(episodes)
    assert data["state"].shape[1] == STATE_DIM and len(data["label"]) > 50
    offers = data["label"] == ACTION_INDEX["offer"]
    assert np.all((data["share"][offers] >= 0) & (data["share"][offers] <= 1))
    assert np.all(np.isnan(data["share"][~offers]))
    actor, critic, metrics = fit(data, seed=0, epochs=15)
    majority = max(metrics["class_counts"].values()) / metrics["rows"]
    assert metrics["train_accuracy"] >= majority - 1e-9
    assert metrics["train_offer_mae"] < 0.1  # CONAN's offers follow a smooth concession curve
    assert not math.isnan(metrics["loss_curve"][-1])
    assert metrics["loss_curve"][-1] < metrics["loss_curve"][0]


# --- the reproduction report ---

def test_reproduction_report_on_a_small_run(tmp_path: Path):
    from tourney.reproduce.anegma_ddpg import reproduce

    league = {
        "name": "anegma-mini", "seed": 4, "repetitions": 2,
        "worlds": [{"type": "emarket", "params": {"md": "L", "mr": "L", "t_end": "Sh", "deadline": 30,
                                                  "density": 8, "competitor": "threads-buyer",
                                                  "episodes": 2},
                    "settings": {"zoa": [60]}}],
        "players": [{"name": "Conceder", "type": "conceder"},
                    {"name": "ANN-C.con", "type": "ddpg", "params": {"checkpoint": "ann-c"}},
                    {"name": "SLRL-C.con", "type": "ddpg", "params": {"checkpoint": "ann-c+rl"}}],
        "format": {"timeout": 300},
    }
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(league))
    run = tmp_path / "run"
    proc = run_cli("run", str(path), "--out", str(run), "-j", "1", "--quiet")
    assert proc.returncode == 0, proc.stderr
    text = reproduce(run)
    assert "#### Table 5 (ZoA 60 %)" in text and "| U_avg |" in text
    row = next(line for line in text.splitlines() if line.startswith("| slrl-c>ann-c [Table 5, trained con"))
    cells = [c.strip() for c in row.split("|")]
    ci, verdict = cells[5], cells[7].strip("*")
    # the verdict must follow the interval printed beside it
    if ci == "n/a":
        assert verdict == "not resolved"
    else:
        low, high = (float(x) for x in re.match(r"\[([-\d.e+]+), ([-\d.e+]+)\]", ci).groups())
        assert verdict == ("holds" if low > 0 else "fails" if high < 0 else "not resolved"), row
    assert "not run" in text  # the cells this small league did not play say so
    assert (run / "plots" / "anegma_tables_5_7.png").stat().st_size > 1000


def _sims(n: int, deals: int, utility: float, t: float = 50.0) -> list[dict]:
    return [{"success": i < deals, "utility": utility + 0.01 * (i % 3) if i < deals else None,
             "t": t + i if i < deals else None} for i in range(n)]


def _verdicts(matches):
    from tourney.reproduce.anegma_ddpg import check_claims

    return {v.claim.id: v for v in check_claims(matches)}


def test_an_agent_that_never_deals_cannot_pass_a_claim():
    from tourney.reproduce.anegma_ddpg import never_dealt

    # no fallback score: ANN-C never deals, so "SL+RL-C > ANN-C" is not resolved, however SL+RL-C did
    matches = {("SLRL-C.con", "Conceder", 60): [("", _sims(20, 15, 0.3)) for _ in range(4)],
               ("ANN-C.con", "Conceder", 60): [("", _sims(20, 0, 0.0)) for _ in range(4)]}
    v = _verdicts(matches)["slrl-c>ann-c [Table 5, trained con / tested con]"]
    assert v.verdict == "not resolved" and v.n == 0
    assert never_dealt(matches) == ["ANN-C.con vs Conceder, ZoA 60 (80 simulations)"]


def test_ann_comparable_to_its_teacher_is_an_equivalence_claim():
    key = "ann-c~conan-u [Table 5, trained con / tested con]"
    close = {("ANN-C.con", "Conceder", 60): [("", _sims(20, 15, 0.30 + 0.002 * k)) for k in range(5)],
             ("CONAN", "Conceder", 60): [("", _sims(20, 15, 0.31 + 0.002 * k)) for k in range(5)]}
    assert _verdicts(close)[key].verdict == "holds"
    far = {**close, ("CONAN", "Conceder", 60): [("", _sims(20, 15, 0.45 + 0.002 * k)) for k in range(5)]}
    assert _verdicts(far)[key].verdict == "fails"
    # by training seed when both sides have several (here the teacher has none: per match)
    seeds = {**close, ("ANN-C.con", "Conceder", 60): [(str(k % 3), _sims(20, 15, 0.3)) for k in range(6)]}
    assert _verdicts(seeds)[key].claim.unit == "match"
    slrl = {("SLRL-C.con", "Conceder", 60): [(str(k), _sims(20, 15, 0.35 + 0.01 * k)) for k in range(3)],
            ("ANN-C.con", "Conceder", 60): [(str(k), _sims(20, 15, 0.25 + 0.01 * k)) for k in range(3)]}
    v = _verdicts(slrl)["slrl-c>ann-c [Table 5, trained con / tested con]"]
    assert v.claim.unit == "seed" and v.n == 3 and v.verdict == "holds"


class _FixedLearner:
    """Stands in for the actor: always the same discrete action and price share."""

    def __init__(self, action: str, share: float) -> None:
        self.action, self.share = action, share

    def act(self, vec, mask, explore=False):
        from players.ddpg.spaces import ACTION_INDEX

        return ACTION_INDEX[self.action], self.share


def test_emarket_counter_offer_above_the_sellers_is_not_played_as_accept():
    # ANEGMA eq. (1): buying is f_c's action; a counter-offer at or above the
    # seller's offer stays a counter-offer (the seller may then accept it).
    from tourney.worlds.emarket_protocol import S2, MarketView, Thread

    view = MarketView(ip=300, rp=500, t_end=100, round_seconds=1.0, penalty_rate=0.1, max_reservations=1)
    th = Thread(id=1, seller=9, opened=0.0, state=S2, buyer_offers=[(0.0, 310.0)], seller_offers=[(0.0, 420.0)],
                last_seller_time=0.0)
    view.threads[1] = th
    buyer = DDPGEMarketBuyer()
    buyer.learner_ = _FixedLearner("offer", 1.0)  # price RP_b = 500 > the seller's 420
    buyer.begin(view)
    assert buyer.act(view) == {1: ("offer", 500.0)}
    buyer.learner_ = _FixedLearner("accept", 0.0)
    assert buyer.act(view) == {1: ("accept",)}
