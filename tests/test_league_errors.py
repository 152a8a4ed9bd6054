"""Malformed league files: exit 2, one line naming file, line and key, no traceback."""

from __future__ import annotations

import pytest

from conftest import run_cli

GOOD_PLAYERS = """players:
  - {name: A, type: boulware}
  - {name: B, type: conceder}
"""
GOOD_WORLDS = """worlds:
  - type: bilateral
"""

CASES = [
    ("typo in player type", "name: x\n" + GOOD_WORLDS + "players:\n  - {name: A, type: boulware}\n  - {name: B, type: bolware}\n",
     ":6: players[1].type: unknown player 'bolware' (did you mean 'boulware'?)"),
    ("unknown top-level key", "name: x\nrepetition: 3\n" + GOOD_WORLDS + GOOD_PLAYERS,
     ":2: repetition: unknown key (did you mean 'repetitions'?)"),
    ("missing name", GOOD_WORLDS + GOOD_PLAYERS, "name: required"),
    ("negative seed", "name: x\nseed: -1\n" + GOOD_WORLDS + GOOD_PLAYERS, ":2: seed: must be a non-negative int"),
    ("zero repetitions", "name: x\nrepetitions: 0\n" + GOOD_WORLDS + GOOD_PLAYERS, ":2: repetitions: must be an int >= 1"),
    ("unknown world", "name: x\nworlds:\n  - type: bilaterl\n" + GOOD_PLAYERS,
     ":3: worlds[0].type: unknown world 'bilaterl' (did you mean 'bilateral'?)"),
    ("bad world param value", "name: x\nworlds:\n  - type: bilateral\n    params: {n_steps: 0}\n" + GOOD_PLAYERS,
     ":4: worlds[0].params.n_steps:"),
    ("unknown world param", "name: x\nworlds:\n  - type: bilateral\n    params: {nsteps: 10}\n" + GOOD_PLAYERS,
     "worlds[0].params.nsteps: unknown parameter of world 'bilateral' (did you mean 'n_steps'?)"),
    ("bad setting value", "name: x\nworlds:\n  - type: bilateral\n    settings: {zoa: [100, 55]}\n" + GOOD_PLAYERS,
     "worlds[0].settings.zoa:"),
    ("setting not a list", "name: x\nworlds:\n  - type: bilateral\n    settings: {zoa: 100}\n" + GOOD_PLAYERS,
     "worlds[0].settings.zoa: must be a non-empty list"),
    ("duplicate player names", "name: x\n" + GOOD_WORLDS + "players:\n  - {name: A, type: boulware}\n  - {name: A, type: conceder}\n",
     ":6: players[1].name: duplicate player name 'A'"),
    ("bad player param", "name: x\n" + GOOD_WORLDS + "players:\n  - {name: A, type: boulware, params: {beta: -2}}\n  - {name: B, type: conceder}\n",
     "players[0].params.beta: the parameter of player 'boulware' must be a number in (0, inf)"),
    ("unknown player param", "name: x\n" + GOOD_WORLDS + "players:\n  - {name: A, type: boulware, params: {betta: 2}}\n  - {name: B, type: conceder}\n",
     "players[0].params.betta: unknown parameter"),
    ("dotted path that does not import", "name: x\n" + GOOD_WORLDS + "players:\n  - {name: A, type: nosuchpkg.Agent}\n  - {name: B, type: conceder}\n",
     "players[0].type: cannot import 'nosuchpkg'"),
    ("openai backend without base_url", "name: x\n" + GOOD_WORLDS + "players:\n  - {name: A, type: llm, params: {backend: openai}}\n  - {name: B, type: conceder}\n",
     ":5: players[0].params.base_url: the openai backend needs base_url and model"),
    ("missing GGUF file", "name: x\n" + GOOD_WORLDS + "players:\n  - {name: A, type: llm, params: {model: /nope.gguf}}\n  - {name: B, type: conceder}\n",
     "players[0].params.model: no GGUF file at '/nope.gguf'"),
    ("bad aggregate", "name: x\n" + GOOD_WORLDS + GOOD_PLAYERS + "scoring: {aggregate: average}\n",
     "scoring.aggregate: the parameter of scoring must be one of 'mean', 'median', 'truncated_mean'"),
    ("unknown format key", "name: x\n" + GOOD_WORLDS + GOOD_PLAYERS + "format: {selfplay: true}\n",
     "format.selfplay: unknown key (did you mean 'self_play'?)"),
    ("not YAML", "name: x\nworlds: [\n", "not valid YAML"),
    ("duplicate key", "name: x\nname: y\n" + GOOD_WORLDS + GOOD_PLAYERS, "duplicate key 'name'"),
    ("one player only, no match", "name: x\n" + GOOD_WORLDS + "players:\n  - {name: A, type: boulware}\n",
     "players: no match can be played"),
    ("unknown metric", "name: x\n" + GOOD_WORLDS + GOOD_PLAYERS + "scoring: {metric: profit}\n",
     "scoring.metric: world 'bilateral' has no metric 'profit'"),
]


@pytest.mark.parametrize("label,text,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_league_exits_2_and_names_the_key(tmp_path, label, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    proc = run_cli("validate", str(path))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"Error: {path}"), proc.stderr
    assert expected in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_league_file(tmp_path):
    proc = run_cli("run", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2
    assert "no such league file" in proc.stderr


def test_bad_input_never_touches_existing_results(tmp_path, league_file):
    good = league_file()
    out = tmp_path / "run"
    run_cli("run", str(good), "--out", str(out), "-j", "1", "--quiet", check=True)
    before = (out / "matches.jsonl").read_bytes()
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("conceder", "concedr"))
    proc = run_cli("run", str(bad), "--out", str(out))
    assert proc.returncode == 2
    assert (out / "matches.jsonl").read_bytes() == before
