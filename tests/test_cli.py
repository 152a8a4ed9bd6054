"""The CLI's small commands: version, listings, report formats, exit codes."""

from __future__ import annotations

import csv
import io
import json

from tourney import __version__

from conftest import open_to_hosts, run_cli, write_league


def test_version():
    proc = run_cli("--version", check=True)
    assert __version__ in proc.stdout


def test_players_lists_builtins_with_roles_and_params():
    proc = run_cli("players", check=True)
    assert "boulware" in proc.stdout and "beta" in proc.stdout
    assert "plays bilateral: buyer/seller" in proc.stdout
    assert "dotted path" in proc.stdout
    # A short name's preset is shown as the value it plays with, not the class default.
    conceder = proc.stdout.split("\nconceder", 1)[1].split("\n")[2]
    assert "beta=20.0" in conceder and "beta=1.0" not in conceder


def test_worlds_lists_params():
    proc = run_cli("worlds", check=True)
    assert "bilateral" in proc.stdout and "n_steps=100" in proc.stdout and "zoa=100" in proc.stdout


def test_report_formats(tmp_path):
    league = write_league(tmp_path / "l.yaml", repetitions=2)
    out = tmp_path / "run"
    run_cli("run", str(league), "--out", str(out), "--quiet", check=True)
    table = run_cli("report", str(out), check=True).stdout
    assert "Boulware" in table and "95% CI" in table
    md = run_cli("report", str(out), "--format", "markdown", check=True).stdout
    assert md.splitlines()[1].startswith("|--")
    rows = list(csv.DictReader(io.StringIO(run_cli("report", str(out), "--format", "csv", check=True).stdout)))
    assert {r["player"] for r in rows} == {"Boulware", "Conceder"}
    assert rows == list(csv.DictReader(io.StringIO((out / "scores.csv").read_text())))
    data = json.loads(run_cli("report", str(out), "--format", "json", check=True).stdout)
    assert [d["player"] for d in data] == [r["player"] for r in rows]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["status"] == "finished" and "negmas" in manifest["versions"]


def test_report_on_a_non_run_directory_exits_2_cleanly(tmp_path):
    proc = run_cli("report", str(tmp_path))
    assert proc.returncode == 2 and "not a run directory" in proc.stderr and "Traceback" not in proc.stderr


def test_seed_override_changes_the_run_and_report_follows(tmp_path):
    league = write_league(tmp_path / "l.yaml", players=[{"name": "R1", "type": "random"},
                                                         {"name": "R2", "type": "random"}], repetitions=3)
    a = run_cli("run", str(league), "--out", str(tmp_path / "a"), "--quiet", check=True).stdout
    b = run_cli("run", str(league), "--out", str(tmp_path / "b"), "--quiet", "--seed", "99", check=True).stdout
    assert a != b
    assert run_cli("report", str(tmp_path / "b"), check=True).stdout.strip() == b.strip()


def test_unknown_option_is_a_usage_error():
    proc = run_cli("run", "--jobz", "2", "x.yaml")
    assert proc.returncode == 2 and "No such option" in proc.stderr


def test_the_command_runs_with_a_fixed_hash_seed_so_string_sets_iterate_alike(tmp_path):
    """Player code (here: imported for validation) sees the same str hashes in every invocation."""
    import os
    import subprocess

    from conftest import ROOT, TOURNEY, write_league

    league = write_league(tmp_path / "probe.yaml", players=[{"name": "P", "type": "hash_probe.Probe"},
                                                              {"name": "B", "type": "boulware"}])
    seen = []
    for i in range(2):
        probe = tmp_path / f"probe{i}.txt"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
        env.update(HASH_PROBE_FILE=str(probe), PYTHONPATH=str(ROOT / "tests") + os.pathsep + str(ROOT))
        open_to_hosts(tmp_path)  # a sandboxed validation child runs as a user of its own under root
        proc = subprocess.run([*TOURNEY, "validate", str(league)], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        seen.append(probe.read_text())
    assert seen[0] == seen[1] and seen[0].startswith("0 ")
