"""Players of the negotiation world: tourney's families, third-party packages, the LLM player."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from negmas.sao import BoulwareTBNegotiator, ConcederTBNegotiator

from conftest import ROOT, run_cli
from players.faratin_utility import UtilityTimeDependent
from players.godfather.negotiation import GodfatherMultiIssue
from tourney.registry import resolve_player
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.negotiation import NegotiationWorld, prepared

DOMAINS = ROOT / "leagues" / "genius-domains"
HOLIDAY = {"folder": str(DOMAINS / "Holiday2")}


def _seats(first, second, fp=None, sp=None):
    return {"first": Seat("first", "A", "a", first, fp or {}), "second": Seat("second", "B", "b", second, sp or {})}


@pytest.mark.parametrize("short, cls, roles", [
    ("boulware", UtilityTimeDependent, ("first", "second")),
    ("conceder", UtilityTimeDependent, ("first", "second")),
    ("godfather", GodfatherMultiIssue, ("first", "second")),
])
def test_short_names_play_the_negotiation_world(short, cls, roles):
    resolved = resolve_player(short, "negotiation")
    assert resolved.cls is cls and resolved.roles == roles
    assert resolve_player(short, "bilateral").cls is not cls  # the price version stays on bilateral


def test_tourney_players_says_which_families_play_the_negotiation_world():
    proc = run_cli("players")
    assert proc.returncode == 0
    blocks = proc.stdout.split("\n")
    for short in ("boulware", "godfather", "llm"):
        at = next(i for i, line in enumerate(blocks) if line.startswith(short + " "))
        assert "negotiation: first/second" in blocks[at + 1], blocks[at:at + 2]


def test_faratin_in_utility_space_concedes_by_beta_down_to_its_floor():
    world = NegotiationWorld(scenarios=HOLIDAY, n_steps=20, rotate=False, trace=True)
    p = prepared(HOLIDAY, True, False)[0][0]
    mine = p.scenario.ufuns[0]
    curves = {}
    for beta in (0.2, 1.0, 5.0):
        result = world.play(_seats(UtilityTimeDependent, BoulwareTBNegotiator, {"beta": beta}), 1, MatchContext(1))
        n = result.details["negotiations"][0]
        own = [float(mine(tuple(o))) for step, who, o in n["offers"] if who == "first"]
        curves[beta] = own
        assert own[0] == pytest.approx(float(p.scorer.maxs[0]))  # opens with its best outcome
        assert all(a >= b - 1e-9 for a, b in zip(own, own[1:]))  # never raises its demand
        assert min(own) >= p.scorer.reserved[0] - 1e-9  # never offers below its reserved value
    k = min(len(c) for c in curves.values()) - 1
    assert curves[0.2][k // 2] >= curves[1.0][k // 2] >= curves[5.0][k // 2]
    assert curves[0.2][k // 2] > curves[5.0][k // 2]


def test_godfather_offers_pareto_outcomes_when_it_knows_the_opponent_ufun():
    spec = {"folder": str(DOMAINS / "Laptop3")}
    world = NegotiationWorld(scenarios=spec, n_steps=30, rotate=False, reveal_opponent_ufun=True, trace=True)
    result = world.play(_seats(GodfatherMultiIssue, ConcederTBNegotiator), 2, MatchContext(2))
    p = prepared(spec, True, False)[0][0]
    u0, u1 = p.scenario.ufuns
    outcomes = list(p.scenario.outcome_space.enumerate())
    # the frontier of every outcome, reserved values aside (Godfather's own frontier ignores them)
    points = np.array([[float(u0(o)), float(u1(o))] for o in outcomes])
    dominated = {tuple(o) for o, (a, b) in zip(outcomes, points)
                 if ((points[:, 0] >= a) & (points[:, 1] >= b) & ((points[:, 0] > a) | (points[:, 1] > b))).any()}
    n = result.details["negotiations"][0]
    own = [tuple(o) for step, who, o in n["offers"] if who == "first"]
    assert own and not [o for o in own if o in dominated]
    assert result.roles["first"]["agreement"] == 1.0


GENIUS_AGENTS = ["negmas_genius_agents.AgentK", "negmas_genius_agents.HardHeaded",
                 "negmas_genius_agents.AgentFSEGA", "negmas_negolog.MICROAgent"]


def test_a_genius_agents_league_plays_with_zero_errors(tmp_path):
    pytest.importorskip("negmas_genius_agents", reason="the anac extra is not installed")
    pytest.importorskip("negmas_negolog", reason="the anac extra is not installed")
    league = tmp_path / "genius.yaml"
    league.write_text(yaml.safe_dump({
        "name": "genius", "seed": 5,
        "worlds": [{"type": "negotiation", "params": {"scenarios": {"folder": str(DOMAINS / "Holiday2")},
                                                      "n_steps": 30}}],
        "players": [{"name": p.rsplit(".", 1)[1], "type": p} for p in GENIUS_AGENTS],
        "format": {"self_play": False, "both_roles": True, "timeout": 300},
    }, sort_keys=False))
    out = tmp_path / "run"
    proc = run_cli("run", str(league), "-j", "1", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = [json.loads(line) for line in (out / "matches.jsonl").read_text().splitlines()]
    assert len(records) == 12  # 4 agents, ordered pairs
    assert [r["error"] for r in records if r["status"] != "ok"] == []
    assert {len(r["details"]["negotiations"]) for r in records} == {2}


def test_llm_player_on_a_two_issue_scenario_end_to_end_then_from_cache(tmp_path):
    pytest.importorskip("llama_cpp", reason="the llm extra is not installed")
    from players.llm.multi_issue import LLMMultiIssueNegotiator

    cache = str(tmp_path / "replies.sqlite")
    world = NegotiationWorld(scenarios=HOLIDAY, n_steps=4, rotate=False, trace=True)
    seats = _seats(LLMMultiIssueNegotiator, UtilityTimeDependent, {"cache": cache, "seed": 3}, {"beta": 1.0})
    first = world.play(seats, 1, MatchContext(1))
    usage = first.details["usage"]["first"]
    assert usage["model_calls"] >= 1 and usage["cache_hits"] == 0 and usage["prompt_tokens"] > 0
    space = prepared(HOLIDAY, True, False)[0][0].scenario.outcome_space
    n = first.details["negotiations"][0]
    llm_offers = [tuple(o) for step, who, o in n["offers"] if who == "first"]
    assert llm_offers and all(space.is_valid(o) for o in llm_offers)
    again = world.play(seats, 1, MatchContext(1))
    replay = again.details["usage"]["first"]
    assert replay["model_calls"] == 0 and replay["cache_hits"] == usage["calls"]
    untimed = [[{k: v for k, v in n.items() if k != "seconds"} for n in r.details["negotiations"]]
               for r in (first, again)]
    assert untimed[0] == untimed[1]


def test_llm_reply_reader_accepts_only_outcomes_of_the_space():
    pytest.importorskip("llama_cpp", reason="the llm extra is not installed")
    from players.llm.multi_issue import LLMMultiIssueNegotiator

    player = LLMMultiIssueNegotiator()
    player.issues_ = [("i1", ["v1", "v2"]), ("i2", ["1", "2", "3"])]
    player.values_ = [{"v1": "v1", "v2": "v2"}, {"1": 1, "2": 2, "3": 3}]
    assert player.read('{"accept": false, "offer": {"i1": "v2", "i2": 3}}') == (False, ("v2", 3))
    assert player.read('Sure! {"accept": true, "offer": {"i1": "v1", "i2": "1"}} thanks') == (True, ("v1", 1))
    assert player.read('{"accept": false, "offer": {"i1": "v3", "i2": "1"}}') is None
    assert player.read('{"accept": false, "offer": {"i1": "v1"}}') is None
    assert player.read("no json at all") is None
