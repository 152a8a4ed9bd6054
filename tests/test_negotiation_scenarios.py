"""Scenario sources of the negotiation world: file formats, generators, bad input."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import ROOT, run_cli
from tourney.errors import LeagueError
from tourney.league import load_league
from tourney.worlds.scenario_generators import anl2024, multi_issue
from tourney.worlds.scenarios import ScenarioError, load_folder, load_scenarios, resolve_paths, scenario_folders

DOMAINS = ROOT / "leagues" / "genius-domains"


def _utilities(scenario):
    return [float(u(o)) for u in scenario.ufuns for o in scenario.outcome_space.enumerate()]


def _same_scenarios(a, b) -> bool:
    return (len(a) == len(b) and all(
        list(x.outcome_space.enumerate()) == list(y.outcome_space.enumerate())
        and _utilities(x) == _utilities(y)
        and [u.reserved_value for u in x.ufuns] == [u.reserved_value for u in y.ufuns]
        for x, y in zip(a, b)))


@pytest.mark.parametrize("make", [
    lambda: multi_issue(3, 5, issues=[2, 3], values=[2, 5], reserved=[0.1, 0.4]),
    lambda: anl2024(3, 1, n_outcomes=(40, 60)),
])
def test_genius_xml_round_trip_keeps_every_utility(tmp_path, make):
    for s in make():
        folder = tmp_path / s.outcome_space.name
        s.to_genius_folder(folder)
        loaded = load_folder(folder)
        assert list(loaded.outcome_space.enumerate()) == list(s.outcome_space.enumerate())
        assert _utilities(loaded) == _utilities(s)  # exactly, on every outcome
        assert [u.reserved_value for u in loaded.ufuns] == pytest.approx([u.reserved_value for u in s.ufuns])


def test_yaml_and_geniusweb_folders_load_through_negmas(tmp_path):
    s = multi_issue(1, 9, issues=2, values=4, reserved=0.2)[0]
    s.dumpas(tmp_path / "yml", type="yml")
    assert _utilities(load_folder(tmp_path / "yml")) == pytest.approx(_utilities(s))
    # GeniusWeb JSON (negmas 0.16 reads it but has no writer): written here in GeniusWeb's own layout
    genius = load_folder(DOMAINS / "Holiday2")
    _write_geniusweb(genius, tmp_path / "gw")
    assert _utilities(load_folder(tmp_path / "gw")) == pytest.approx(_utilities(genius))
    assert [u.reserved_value for u in load_folder(tmp_path / "gw").ufuns] == \
        pytest.approx([u.reserved_value for u in genius.ufuns])


def _write_geniusweb(scenario, folder: Path) -> None:
    folder.mkdir()
    issues = scenario.outcome_space.issues
    domain = {"name": "Holiday2", "issuesValues": {i.name: {"values": list(i.all)} for i in issues}}
    (folder / "domain.json").write_text(json.dumps(domain))
    for k, u in enumerate(scenario.ufuns):
        profile = {"LinearAdditiveUtilitySpace": {
            "name": f"profile{k}", "domain": domain, "reserved_value": u.reserved_value,
            "issueWeights": {i.name: w for i, w in zip(issues, u.weights)},
            "issueUtilities": {i.name: {"discreteutils": {"valueUtilities": {v: float(f(v)) for v in i.all}}}
                               for i, f in zip(issues, u.values)}}}
        (folder / f"profile{k}.json").write_text(json.dumps(profile))


def test_generators_are_deterministic_by_seed_and_leave_global_state_alone():
    random.seed(123)
    np.random.seed(123)
    before = (random.random(), np.random.random())
    random.seed(123)
    np.random.seed(123)
    a = anl2024(4, 7, n_outcomes=(50, 80))
    assert (random.random(), np.random.random()) == before
    assert _same_scenarios(a, anl2024(4, 7, n_outcomes=(50, 80)))
    assert not _same_scenarios(a, anl2024(4, 8, n_outcomes=(50, 80)))
    m = multi_issue(3, 2, issues=[2, 4], values=[2, 6], reserved=[0.0, 0.5])
    assert _same_scenarios(m, multi_issue(3, 2, issues=[2, 4], values=[2, 6], reserved=[0.0, 0.5]))
    for s in m:
        assert 2 <= len(s.outcome_space.issues) <= 4
        assert all(0.0 <= u.reserved_value <= 0.5 for u in s.ufuns)


def test_anl2024_distribution_has_anl_sizes_kinds_and_rational_reserved_values():
    scenarios = anl2024(12, 0)
    names = [re.sub(r"\d+$", "", s.outcome_space.name) for s in scenarios]
    assert set(names) <= {"S", "DivideThePie", "DivideThePieGen", "DivideThePies"}
    for s in scenarios:
        if len(s.outcome_space.issues) == 1:
            assert 900 <= s.outcome_space.cardinality <= 1100
        else:  # DivideThePies: 3 issues of 9-11 values
            assert len(s.outcome_space.issues) == 3 and 729 <= s.outcome_space.cardinality <= 1331
        best = max(s.outcome_space.enumerate(), key=lambda o: min(u(o) - u.reserved_value for u in s.ufuns))
        assert all(u(best) > u.reserved_value for u in s.ufuns)  # some outcome is rational for both


def test_anl2024_matches_the_anl_package_when_installed():
    anl_runner = pytest.importorskip("anl.anl2024.runner", reason="the anl extra is not installed")
    from tourney.worlds.scenario_generators import seeded_globals

    with seeded_globals(21):
        theirs = anl_runner.mixed_scenarios(6, (60, 90))
    assert _same_scenarios(anl2024(6, 21, n_outcomes=(60, 90)), theirs)


def test_folder_of_folders_glob_and_relative_paths(tmp_path):
    assert [p.name for p in scenario_folders(str(DOMAINS))] == ["Contract4", "Holiday2", "Laptop3", "Split1"]
    assert [p.name for p in scenario_folders(str(DOMAINS / "*3"))] == ["Laptop3"]
    spec = resolve_paths([{"folder": "genius-domains"}, {"generate": "anl2024", "n": 1}], DOMAINS.parent)
    assert spec[0]["folder"] == str(DOMAINS) and spec[1] == {"generate": "anl2024", "n": 1}
    names = [s.outcome_space.name for s in load_scenarios(spec[:1] + [{"folder": str(DOMAINS / "Split1")}])]
    assert names == ["Contract4", "Holiday2", "Laptop3", "Split1", "Split1#1"]


def _league(tmp_path: Path, scenarios: dict) -> Path:
    path = tmp_path / "league.yaml"
    path.write_text(yaml.safe_dump({
        "name": "bad", "worlds": [{"type": "negotiation", "params": {"scenarios": scenarios, "n_steps": 10}}],
        "players": [{"name": "A", "type": "negmas.sao.BoulwareTBNegotiator"},
                    {"name": "B", "type": "negmas.sao.LinearTBNegotiator"}],
    }, sort_keys=False))
    return path


def _broken_copy(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "domains" / "Holiday2"
    shutil.copytree(DOMAINS / "Holiday2", folder)
    edit(folder)
    return folder


def _drop_a_value(folder: Path) -> None:
    f = folder / "Holiday2-b.xml"
    f.write_text(re.sub(r'(<issue index="1".*?)<item index="2"[^>]*/>', r"\1", f.read_text(), count=1, flags=re.S))


@pytest.mark.parametrize("case, edit, named", [
    ("missing folder", None, "nowhere"),
    ("malformed XML", lambda f: (f / "Holiday2.xml").write_text((f / "Holiday2.xml").read_text()[:-40]),
     "Holiday2.xml: malformed XML"),
    ("ufun not covering the space", _drop_a_value,
     "Holiday2-b.xml: the utility function does not cover the outcome space"),
])
def test_bad_scenario_input_exits_2_naming_the_file(tmp_path, case, edit, named):
    if edit is None:
        league = _league(tmp_path, {"folder": "nowhere"})
    else:
        _broken_copy(tmp_path, edit)
        league = _league(tmp_path, {"folder": "domains"})
    proc = run_cli("validate", str(league))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    message = proc.stderr.strip()
    assert "Traceback" not in message and len(message.splitlines()) == 1
    assert f"{league}:" in message and "worlds[0].params.scenarios" in message
    assert named in message
    if edit is not None:
        assert str(tmp_path / "domains" / "Holiday2") in message


def test_bad_source_shapes_are_one_line_errors(tmp_path):
    for spec, words in [({"generate": "anl2025", "n": 3}, "needs 'folder' or 'generate'"),
                        ({"generate": "anl2024", "n": 0}, "n must be an int >= 1"),
                        ({"generate": "multi-issue", "n": 2, "pareto": ["wavy"]}, "pareto must be a list"),
                        ({"folder": "x", "seed": 1}, "unknown key(s) seed")]:
        # in-process (the CLI's exit 2 for a LeagueError is covered above)
        with pytest.raises(LeagueError, match=re.escape(words)) as info:
            load_league(_league(tmp_path, spec))
        assert "worlds[0].params.scenarios" in str(info.value)


def test_load_folder_rejects_a_folder_without_a_domain(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notes.yml").write_text("a: 1\n")
    with pytest.raises(ScenarioError, match="no domain file"):
        load_folder(tmp_path / "d")
