"""Malformed league files: exit 2, one line naming file, line and key, no traceback."""

from __future__ import annotations

import pytest

from conftest import ROOT, run_cli

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
def test_bad_league_names_file_line_and_key(tmp_path, label, text, expected):
    from tourney.errors import LeagueError
    from tourney.league import load_league

    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(LeagueError) as info:  # exit code 2 (LeagueError.exit_code), checked once below
        load_league(path)
    message = str(info.value)
    assert message.startswith(f"{path}"), message
    assert expected in message, message
    assert "\n" not in message


def test_bad_league_exits_2_with_one_line_through_the_command(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(CASES[0][1])
    proc = run_cli("validate", str(path))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"Error: {path}"), proc.stderr
    assert CASES[0][2] in proc.stderr and "Traceback" not in proc.stderr
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


# ------------------------------------------------------------------ hostile and careless files (issue 14)
# In-process: each must raise LeagueError quickly (bounded work), one line, naming file:line: key.

import time  # noqa: E402

from tourney.errors import LeagueError  # noqa: E402
from tourney.league import MAX_PLAYERS, load_league  # noqa: E402
from tourney.schedule import MAX_MATCHES  # noqa: E402


def _alias_bomb(levels: int) -> str:
    lines = ["name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n" + GOOD_WORLDS + GOOD_PLAYERS


def _grid(n_keys: int, n_values: int) -> str:
    keys = ["n_steps", "episodes", "zoa"][:n_keys]
    settings = "".join(f"      {k}: [{', '.join(str(v) for v in range(1, n_values + 1))}]\n" for k in keys)
    return "name: x\nworlds:\n  - type: bilateral\n    settings:\n" + settings + GOOD_PLAYERS


HOSTILE = [
    ("alias bomb, 9 levels of 9", _alias_bomb(9), ":7: a5: expands to more than 100,000 nodes"),
    ("alias bomb, 7 levels of 9", _alias_bomb(7), ":7: a5: expands to more than 100,000 nodes"),
    ("recursive alias", "name: x\nworlds: &w [*w]\n" + GOOD_PLAYERS, ":2: worlds: expands to more than"),
    ("settings grid of 10^9", _grid(3, 1000), ":4: worlds[0].settings: 1,000,000,000 combinations of settings"),
    ("repetitions 10^12", "name: x\nrepetitions: 1000000000000\n" + GOOD_WORLDS + GOOD_PLAYERS,
     ":2: repetitions: the schedule has 2,000,000,000,000 matches, more than the limit of 1,000,000"),
    ("NUL byte in a name", "name: x\n" + GOOD_WORLDS + "players:\n  - {name: \"A\x00\", type: boulware}\n"
     "  - {name: B, type: conceder}\n", ":5: players[0].name: not valid YAML: the control character U+0000"),
    ("unhashable key", "{[a]: b}\n", ":1: not valid YAML: a key must be a plain string or number, got a list"),
    ("a function as world type", "name: x\nworlds: [{type: os.system}]\n" + GOOD_PLAYERS,
     ":2: worlds[0].type: world 'os.system' is not a tourney World class"),
    ("league name with a newline", 'name: "nl\\n"\n' + GOOD_WORLDS + GOOD_PLAYERS, ":1: name: required: a name of"),
    ("player name with a newline", "name: x\n" + GOOD_WORLDS + 'players:\n  - {name: "A\\nB", type: boulware}\n'
     "  - {name: B, type: conceder}\n", ":5: players[0].name: must be printable"),
    ("player name with a tab", "name: x\n" + GOOD_WORLDS + 'players:\n  - {name: "A\\tB", type: boulware}\n'
     "  - {name: B, type: conceder}\n", ":5: players[0].name: must be printable"),
    ("NFC and NFD spellings of one name", "name: x\n" + GOOD_WORLDS + "players:\n"
     "  - {name: \"Caf\\u00e9\", type: boulware}\n  - {name: \"Cafe\\u0301\", type: conceder}\n",
     ":6: players[1].name: duplicate player name 'Café'"),
    ("name of spaces only", "name: x\n" + GOOD_WORLDS + 'players:\n  - {name: "  ", type: boulware}\n'
     "  - {name: B, type: conceder}\n", ":5: players[0].name: must be a non-empty string"),
    ("non-identifier param key", "name: x\nworlds:\n  - type: bilateral\n    params: {1: 2}\n" + GOOD_PLAYERS,
     ":4: worlds[0].params[1]: a parameter name must be an identifier"),
    ("NaN timeout", "name: x\n" + GOOD_WORLDS + GOOD_PLAYERS + "format: {timeout: .nan}\n",
     "format.timeout: the parameter of format must be a number in (0, inf)"),
    ("NaN error_score", "name: x\n" + GOOD_WORLDS + GOOD_PLAYERS + "scoring: {error_score: .nan}\n",
     "scoring.error_score:"),
    ("too many players", "name: x\n" + GOOD_WORLDS + "players:\n"
     + "".join(f"  - {{name: P{i}, type: boulware}}\n" for i in range(MAX_PLAYERS + 1)),
     f":4: players: {MAX_PLAYERS + 1} players; a league has at most {MAX_PLAYERS}"),
    ("bad max_backend_faults", "name: x\n" + GOOD_WORLDS + GOOD_PLAYERS + "run: {max_backend_faults: 0}\n",
     "run.max_backend_faults: the parameter of run must be an int in [1, inf]"),
]


@pytest.mark.parametrize("label,text,expected", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_league_fails_fast_in_one_line(tmp_path, label, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    started = time.perf_counter()
    with pytest.raises(LeagueError) as info:
        load_league(path)
    assert time.perf_counter() - started < 3.0, "validation must stay bounded"
    message = str(info.value)
    assert message.startswith(f"{path}:"), message
    assert expected in message, message
    assert "\n" not in message


def test_module_that_fails_on_import_is_a_league_error(tmp_path):
    (tmp_path / "broken_agent.py").write_text("raise ValueError('import-time failure')\n")
    path = tmp_path / "league.yaml"
    path.write_text("name: x\n" + GOOD_WORLDS + "players:\n  - {name: A, type: broken_agent.Agent}\n"
                    "  - {name: B, type: conceder}\n")
    with pytest.raises(LeagueError, match=r":5: players\[0\].type: importing 'broken_agent.Agent' failed: "
                                          r"ValueError: import-time failure"):
        load_league(path)


def test_reps_override_is_bounded_too(tmp_path, league_file):
    league = load_league(league_file())
    with pytest.raises(LeagueError, match=f"--reps 10000000000: the schedule has .* the limit of {MAX_MATCHES:,}"):
        league.with_overrides(repetitions=10**10)


def test_insight_table_missing_fails_validation_naming_file_and_command(tmp_path):
    text = (ROOT / "leagues" / "insight-one-seller.yaml").read_text().replace(
        "results/insight-tables/one-seller-11-100", str(tmp_path / "missing"))
    path = tmp_path / "insight.yaml"
    path.write_text(text)
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "missing" in x)
    with pytest.raises(LeagueError, match=rf":{line}: players\[\d+\]\.params\.load_path: no Q-table at "
                                          r".*missing\.json; make it with: tourney train insight --price-range"):
        load_league(path)


def test_insight_league_names_the_make_step_for_its_table(tmp_path):
    # From an empty working directory, so a table made here by `make reproduce-insight` cannot hide the message.
    proc = run_cli("validate", str(ROOT / "leagues" / "insight-one-seller.yaml"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "no Q-table at results/insight-tables/one-seller-11-100.json" in proc.stderr
    assert "make reproduce-insight" in proc.stderr and "--seed 11" in proc.stderr


def test_hostile_files_exit_2_from_the_command_line(tmp_path):
    """The exit code and one-line stderr, through the real command, for a NUL byte and an alias bomb."""
    for name, text in (("nul.yaml", HOSTILE[5][1]), ("bomb.yaml", _alias_bomb(9))):
        path = tmp_path / name
        path.write_text(text)
        started = time.perf_counter()
        proc = run_cli("validate", str(path))
        assert time.perf_counter() - started < 20
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(f"Error: {path}:") and len(proc.stderr.strip().splitlines()) == 1
        assert "Traceback" not in proc.stderr
