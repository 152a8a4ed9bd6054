"""The negotiation world: ANAC scores by hand, rotation, own-copy scoring, the anchor, faults."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
from negmas.inout import Scenario
from negmas.outcomes import make_issue, make_os
from negmas.preferences import LinearAdditiveUtilityFunction
from negmas.preferences.value_fun import TableFun
from negmas.sao import (
    AspirationNegotiator,
    BoulwareTBNegotiator,
    ConcederTBNegotiator,
    LinearTBNegotiator,
    NaiveTitForTatNegotiator,
    SAONegotiator,
)
from negmas.tournaments.neg.simple import cartesian_tournament

from conftest import ROOT, run_cli
from tourney.errors import PlayerFault
from tourney.worlds.anac_scores import ScenarioScorer
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.negotiation import NegotiationWorld, prepared, scenarios_of

DETERMINISTIC = [BoulwareTBNegotiator, ConcederTBNegotiator, LinearTBNegotiator, NaiveTitForTatNegotiator,
                 AspirationNegotiator]
SMALL = [{"generate": "multi-issue", "n": 2, "seed": 3, "issues": [2, 3], "values": [2, 4]},
         {"generate": "anl2024", "n": 2, "seed": 5, "n_outcomes": [30, 50]}]


def _seats(first, second, fp=None, sp=None):
    return {"first": Seat("first", "A", "a", first, fp or {}), "second": Seat("second", "B", "b", second, sp or {})}


def hand_scenario() -> Scenario:
    """x in {a, b, c}, y in {lo, hi}; side 1 likes a and hi, side 2 likes c and lo."""
    space = make_os([make_issue(["a", "b", "c"], "x"), make_issue(["lo", "hi"], "y")], name="Hand")
    u1 = LinearAdditiveUtilityFunction(values=[TableFun({"a": 1.0, "b": 0.5, "c": 0.0}), TableFun({"lo": 0.0, "hi": 1.0})],
                                       weights=[0.6, 0.4], outcome_space=space, reserved_value=0.2)
    u2 = LinearAdditiveUtilityFunction(values=[TableFun({"a": 0.0, "b": 0.5, "c": 1.0}), TableFun({"lo": 1.0, "hi": 0.0})],
                                       weights=[0.7, 0.3], outcome_space=space, reserved_value=0.1)
    return Scenario(outcome_space=space, ufuns=(u1, u2))


def test_anac_scores_by_hand_on_a_two_issue_scenario():
    # Utilities (u1, u2): (a,lo) .6/.3, (a,hi) 1/0, (b,lo) .3/.65, (b,hi) .7/.35, (c,lo) 0/1, (c,hi) .4/.7.
    # Rational for both (u1 > .2, u2 > .1): (a,lo), (b,lo), (b,hi), (c,hi); the frontier: (b,hi), (c,hi).
    # Nash product of gains: (b,hi) .5 * .25 = .125 > (c,hi) .2 * .6 = .12 -> Nash = (b,hi).
    # Kalai (max of the smaller gain): (b,hi) .25 > (c,hi) .2 -> Kalai = (b,hi). Max welfare: (c,hi) 1.1.
    scorer = ScenarioScorer.for_scenario(hand_scenario())
    assert scorer.stats.nash_outcomes == [("b", "hi")]
    assert scorer.stats.kalai_outcomes == [("b", "hi")]
    assert scorer.stats.max_welfare_outcomes == [("c", "hi")]
    assert sorted(scorer.stats.pareto_outcomes) == [("b", "hi"), ("c", "hi")]
    first, second = scorer.score(("b", "hi"))
    assert first["utility"] == pytest.approx(0.7) and second["utility"] == pytest.approx(0.35)
    assert first["advantage"] == pytest.approx((0.7 - 0.2) / (1.0 - 0.2))
    assert second["advantage"] == pytest.approx((0.35 - 0.1) / (1.0 - 0.1))
    assert first["welfare"] == second["welfare"] == pytest.approx(0.525)
    assert first["partner_welfare"] == pytest.approx(0.35) and second["partner_welfare"] == pytest.approx(0.7)
    assert first["nash_optimality"] == first["kalai_optimality"] == pytest.approx(1.0)
    assert first["pareto_optimality"] == pytest.approx(1.0)
    assert first["max_welfare_optimality"] == pytest.approx(1.05 / 1.1)
    off = scorer.score(("c", "hi"))[0]  # on the frontier, away from Nash by |(.4,.7)-(.7,.35)| of sqrt(2)
    assert off["nash_optimality"] == pytest.approx(1 - math.hypot(0.3, 0.35) / math.sqrt(2))
    assert off["pareto_optimality"] == pytest.approx(1.0) and off["max_welfare_optimality"] == pytest.approx(1.0)
    none = scorer.score(None)  # no agreement: each side keeps its reserved value, advantage 0
    assert [s["utility"] for s in none] == pytest.approx([0.2, 0.1]) and [s["advantage"] for s in none] == [0, 0]
    assert none[0]["pareto_optimality"] == pytest.approx(1 - math.hypot(0.5, 0.25) / math.sqrt(2))


def test_rotation_plays_each_ufun_from_each_seat():
    spec = SMALL[:1]
    world = NegotiationWorld(scenarios=spec, n_steps=20)
    result = world.play(_seats(BoulwareTBNegotiator, ConcederTBNegotiator), 1, MatchContext(1))
    negs = result.details["negotiations"]
    assert [(n["scenario"], n["rotation"]) for n in negs] == [("G0", 0), ("G0", 1), ("G1", 0), ("G1", 1)]
    for n, rot in zip(negs, [r for rots in prepared(spec) for r in rots]):
        outcome = tuple(n["agreement"]) if n["agreement"] is not None else None
        assert n["utility"] == pytest.approx([float(u(outcome)) for u in rot.scorer.ufuns], abs=1e-6)
    for r0, r1 in prepared(spec):  # rotation 1 hands the first seat ufun 1 and the second ufun 0
        for o in r0.scenario.outcome_space.enumerate():
            assert r1.scorer.ufuns[0](o) == r0.scorer.ufuns[1](o) and r1.scorer.ufuns[1](o) == r0.scorer.ufuns[0](o)
        assert r1.scorer.reserved == r0.scorer.reserved[::-1]
    once = NegotiationWorld(scenarios=spec, n_steps=20, rotate=False).play(
        _seats(BoulwareTBNegotiator, ConcederTBNegotiator), 1, MatchContext(1))
    assert [n["rotation"] for n in once.details["negotiations"]] == [0, 0]
    # roles are the mean of the per-negotiation numbers
    assert result.roles["first"]["utility"] == pytest.approx(sum(n["utility"][0] for n in negs) / 4, abs=1e-6)
    assert result.roles["second"]["advantage"] == pytest.approx(sum(n["advantage"][1] for n in negs) / 4, abs=1e-6)


class GreedyUfunEditor(LinearTBNegotiator):
    """Rewrites its own ufun to 1 everywhere: must not change what the world scores."""

    def on_negotiation_start(self, state):
        super().on_negotiation_start(state)
        self.ufun.reserved_value = 0.99
        for fun in self.ufun.values:
            for value in fun.mapping:
                fun.mapping[value] = 1.0


def test_scores_come_from_the_worlds_own_ufuns():
    world = NegotiationWorld(scenarios=SMALL[:1], n_steps=20)
    honest = world.play(_seats(LinearTBNegotiator, BoulwareTBNegotiator), 2, MatchContext(2))
    edited = world.play(_seats(GreedyUfunEditor, BoulwareTBNegotiator), 2, MatchContext(2))
    for p in prepared(SMALL[:1]):
        assert p[0].scorer.reserved == tuple(float(u.reserved_value) for u in p[0].scenario.ufuns)
        assert all(u.reserved_value < 0.99 for u in p[0].scenario.ufuns)
    # the editor's offers changed (its ufun is now flat) but each agreement is scored on the true ufuns
    for n in edited.details["negotiations"]:
        rot = prepared(SMALL[:1])[int(n["scenario"][1])][n["rotation"]]
        outcome = tuple(n["agreement"]) if n["agreement"] is not None else None
        assert n["utility"] == pytest.approx([float(u(outcome)) for u in rot.scorer.ufuns], abs=1e-6)
    assert honest.roles["first"]["utility"] != edited.roles["first"]["utility"]


TINY = [{"generate": "multi-issue", "n": 1, "seed": 3, "issues": 2, "values": [3, 4]},
        {"generate": "anl2024", "n": 1, "seed": 5, "n_outcomes": [20, 30]}]


def _check_equivalence(spec: list, negotiators: list, n_steps: int) -> int:
    """Play every ordered pair here and in cartesian_tournament; compare each negotiation."""
    ref = cartesian_tournament(competitors=negotiators, scenarios=list(scenarios_of(spec)), n_steps=n_steps,
                               njobs=-1, verbosity=0, rotate_ufuns=True, self_play=True, plot_fraction=0.0,
                               save_scenario_figs=False, path=None)
    theirs = {(r["scenario"], tuple(r["partners"])): r["agreement"] for _, r in ref.details.iterrows()}
    adv = {(r["scenario"], r["negotiator_id"].split("@")[0], int(r["negotiator_id"].split("@")[1]),
            r["partners"]): r["advantage"] for _, r in ref.scores.iterrows()}
    world = NegotiationWorld(scenarios=spec, n_steps=n_steps)
    compared = 0
    for a in negotiators:
        for b in negotiators:
            result = world.play(_seats(a, b), 11, MatchContext(11))
            for n in result.details["negotiations"]:
                name = n["scenario"] + (f"-{n['rotation']}" if n["rotation"] else "")
                ours = tuple(n["agreement"]) if n["agreement"] is not None else None
                assert ours == theirs[(name, (a.__name__, b.__name__))], (name, a.__name__, b.__name__)
                assert n["advantage"][0] == pytest.approx(adv[(name, a.__name__, 0, b.__name__)], abs=1e-6)
                assert n["advantage"][1] == pytest.approx(adv[(name, b.__name__, 1, a.__name__)], abs=1e-6)
                compared += 1
    assert compared == len(theirs) == len(negotiators) ** 2 * len(scenarios_of(spec)) * 2
    return compared


def test_agreements_equal_cartesian_tournament_rotation_by_rotation():
    # Three of the five deterministic negotiators keep this test to seconds (negmas runs
    # ~30 ms a negotiation here); the slow test below and bench/bench_negotiation.py use all five.
    negotiators = [BoulwareTBNegotiator, NaiveTitForTatNegotiator, AspirationNegotiator]
    assert _check_equivalence(TINY, negotiators, 20) == 36


@pytest.mark.slow
def test_agreements_equal_cartesian_tournament_for_all_five_deterministic_negotiators():
    assert _check_equivalence(SMALL, DETERMINISTIC, 30) == 200


class OffersOutsideTheSpace(SAONegotiator):
    def propose(self, state, dest=None):
        return ("no-such-value",) * len(self.nmi.outcome_space.issues)

    def respond(self, state, source=None):
        from negmas.sao import ResponseType

        return ResponseType.REJECT_OFFER


def test_an_offer_outside_the_outcome_space_is_the_players_fault():
    world = NegotiationWorld(scenarios=SMALL[:1], n_steps=10)
    with pytest.raises(PlayerFault) as info:
        world.play(_seats(LinearTBNegotiator, OffersOutsideTheSpace), 3, MatchContext(3))
    assert info.value.role == "second"


def test_n_steps_range_is_drawn_per_negotiation_and_hidden_when_asked():
    world = NegotiationWorld(scenarios=SMALL[:1], n_steps=[10, 1000])
    a = world.play(_seats(BoulwareTBNegotiator, BoulwareTBNegotiator), 4, MatchContext(4)).details["negotiations"]
    b = world.play(_seats(BoulwareTBNegotiator, BoulwareTBNegotiator), 4, MatchContext(4)).details["negotiations"]
    assert [n["n_steps"] for n in a] == [n["n_steps"] for n in b] and len({n["n_steps"] for n in a}) > 1
    assert all(10 <= n["n_steps"] <= 1000 and n["rounds"] <= n["n_steps"] for n in a)

    class SeesNoDeadline(BoulwareTBNegotiator):
        seen: list = []

        def on_negotiation_start(self, state):
            SeesNoDeadline.seen.append(self.nmi.n_steps)
            super().on_negotiation_start(state)

    hidden = NegotiationWorld(scenarios=SMALL[:1], n_steps=15, hide_n_steps=True)
    negs = hidden.play(_seats(SeesNoDeadline, SeesNoDeadline), 4, MatchContext(4)).details["negotiations"]
    assert set(SeesNoDeadline.seen) == {None}
    assert all(n["rounds"] <= 15 for n in negs)


def test_genius_domains_league_runs_with_zero_faults(tmp_path):
    out = tmp_path / "r"
    proc = run_cli("run", str(ROOT / "leagues" / "genius-domains.yaml"), "-j", "1", "--out", str(out),
                   "--quiet", "--max-matches", "3")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = [json.loads(line) for line in (out / "matches.jsonl").read_text().splitlines()]
    assert len(records) == 3 and all(r["status"] == "ok" for r in records)
    for r in records:  # every shipped domain, both rotations, ANL's advantage as the score
        assert [(n["scenario"], n["rotation"]) for n in r["details"]["negotiations"]] == [
            (d, k) for d in ("Contract4", "Holiday2", "Laptop3", "Split1") for k in (0, 1)]
        assert r["metric"] == "advantage"
    # The run dir's league copy names its scenario folder relative to the original league
    # file: report reads it against the original's folder, from any working directory.
    report = subprocess.run([sys.executable, "-m", "tourney.cli", "report", str(out), "--format", "json"],
                            cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert report.returncode == 0, report.stderr
    players = {row["player"] for row in json.loads(report.stdout)}
    assert players and players <= {"BoulwareTB", "ConcederTB", "LinearTB", "NaiveTFT", "Aspiration"}


def test_same_league_same_table_with_one_or_two_jobs(tmp_path):
    league = tmp_path / "det.yaml"
    league.write_text(json.dumps({
        "name": "det", "seed": 9,
        "worlds": [{"type": "negotiation", "params": {"scenarios": {"folder": str(ROOT / "leagues" / "genius-domains" / "*2")},
                                                      "n_steps": [10, 40]}}],
        "players": [{"name": "MiCRO", "type": "negmas.sao.MiCRONegotiator"},  # draws from `random`
                    {"name": "Godfather", "type": "godfather"}, {"name": "Boulware", "type": "boulware"}],
        "format": {"self_play": False, "both_roles": True, "timeout": 300},
    }))
    tables = []
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}"
        proc = run_cli("run", str(league), "-j", jobs, "--out", str(out), "--quiet")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        tables.append((out / "scores.csv").read_text())
        records = sorted((json.loads(line) for line in (out / "matches.jsonl").read_text().splitlines()),
                         key=lambda r: r["id"])
        tables.append([[(n["agreement"], n["n_steps"]) for n in r["details"]["negotiations"]] for r in records])
    assert tables[0] == tables[2] and tables[1] == tables[3]


class Slow(BoulwareTBNegotiator):
    """Takes 20 ms an offer and records the time limit it is told."""

    told: list = []

    def on_negotiation_start(self, state):
        Slow.told.append(self.nmi.time_limit)
        super().on_negotiation_start(state)

    def propose(self, state, dest=None):
        import time

        time.sleep(0.02)
        return super().propose(state, dest)


def test_hidden_time_limit_ends_negotiations_the_negotiators_are_not_told_about():
    world = NegotiationWorld(scenarios=SMALL[:1], n_steps=10_000, hidden_time_limit=0.3, rotate=False)
    negs = world.play(_seats(Slow, Slow), 5, MatchContext(5)).details["negotiations"]
    assert all(n["agreement"] is None and 1 <= n["rounds"] < 100 for n in negs), negs
    assert set(Slow.told) == {float("inf")}
