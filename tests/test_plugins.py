"""An out-of-tree package adds a world, players and a reproduction by entry points alone.

The package (tests/data/plugdemo) is pip-installed into a directory of its own
and put on the path of the real CLI, as a user's ``pip install plugdemo``
would: nothing in tourney names it.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from tourney.registry import player_names, world_names

from conftest import ROOT, run_cli

PLUGIN = ROOT / "tests" / "data" / "plugdemo"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("plugdemo")
    source = work / "src"
    shutil.copytree(PLUGIN, source)  # the build writes into its source tree
    site = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(source)], check=True, capture_output=True)
    assert list(site.glob("plugdemo-*.dist-info/entry_points.txt"))
    return str(site) + os.pathsep + os.environ.get("PYTHONPATH", "")


def test_plugin_world_and_players_are_listed(plugin_path):
    env = {"PYTHONPATH": plugin_path}
    players = run_cli("players", env=env, check=True).stdout
    assert "fair " in players and "plays split: proposer/responder" in players
    assert "greedy" in players and "keep=0.9, accept_at=0.05 (set by the name: keep, accept_at)" in players
    worlds = run_cli("worlds", env=env, check=True).stdout
    assert "split" in worlds and "roles: proposer/responder" in worlds and "pie=1.0" in worlds
    # Without the plug-in on the path the names are unknown.
    assert "fair" not in player_names() and "split" not in world_names()


def test_league_with_plugin_world_and_players_runs_and_reproduces(plugin_path, tmp_path):
    league = tmp_path / "split.yaml"
    league.write_text(yaml.safe_dump({
        "name": "split", "seed": 1, "repetitions": 1,
        "worlds": [{"type": "split"}],
        "players": [
            {"name": "Fair", "type": "fair", "params": {"accept_at": 0.2}},
            {"name": "Greedy", "type": "greedy"},
            # the same class and params by dotted path: must play and score as the short name
            {"name": "Dotted", "type": "plugdemo.players:FairSplitter", "params": {"keep": 0.9, "accept_at": 0.05}},
        ],
    }))
    env = {"PYTHONPATH": plugin_path}
    out = tmp_path / "run"
    run_cli("run", str(league), "--out", str(out), "--quiet", "-j", "1", env=env, check=True)
    rows = {r["player"]: r for r in csv.DictReader(io.StringIO(
        run_cli("report", str(out), "--format", "csv", env=env, check=True).stdout))}
    # 6 matches (3 players, both roles). Fair keeps 0.5: Greedy and Dotted accept (0.5 each);
    # they keep 0.9 and Fair refuses 0.1 < 0.2 (0 each); between Greedy and Dotted the
    # proposer gets 0.9, the responder 0.1.
    assert float(rows["Fair"]["score"]) == pytest.approx(0.25)
    assert float(rows["Greedy"]["score"]) == pytest.approx(0.375)
    assert float(rows["Dotted"]["score"]) == pytest.approx(0.375)
    text = run_cli("reproduce", "plugdemo", str(out), env=env, check=True).stdout
    assert "4 of 6 splits accepted" in text
    assert (out / "reproduction.md").read_text().startswith("# plugdemo")


def test_unknown_plugin_names_are_user_errors(plugin_path, tmp_path):
    proc = run_cli("reproduce", "plugdem", str(tmp_path))
    assert proc.returncode == 2 and "unknown reproduction 'plugdem'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_report_reads_log_and_manifest_only_without_the_plugin_installed(plugin_path, tmp_path):
    """The manifest keeps each player's roles: the table is rebuilt without importing the players."""
    league = tmp_path / "mixed.yaml"
    league.write_text(yaml.safe_dump({
        "name": "mixed", "seed": 2, "repetitions": 1,
        "worlds": [{"type": "bilateral", "params": {"n_steps": 20}}],
        "players": [{"name": "Boulware", "type": "boulware"}, {"name": "Hard", "type": "hardliner"}],
    }))
    out = tmp_path / "run"
    run_cli("run", str(league), "--out", str(out), "--quiet", "-j", "1", env={"PYTHONPATH": plugin_path},
            check=True)
    with_plugin = run_cli("report", str(out), "--format", "csv", env={"PYTHONPATH": plugin_path}, check=True)
    without = run_cli("report", str(out), "--format", "csv")  # 'hardliner' is unknown here
    assert without.returncode == 0, without.stderr
    assert without.stdout == with_plugin.stdout and "Hard" in without.stdout
    # a league file needs the plug-in to validate: the name is unknown without it
    assert run_cli("validate", str(league)).returncode == 2
