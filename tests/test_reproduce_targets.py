"""`make reproduce` is wired up: its targets exist, every league validates, the collector works."""

from __future__ import annotations

import re
import subprocess

import pytest

from tourney.errors import LeagueError
from tourney.league import load_league
from tourney.schedule import iter_schedule
from tourney.registry import reproduction, reproduction_names
from tourney.reproduce import SECTIONS
from tourney.reproduce.collect import collect

from conftest import ROOT

LEAGUES = sorted((ROOT / "leagues").glob("*.yaml"))


# Leagues that load a file a make step builds: on a fresh checkout they must fail
# validation naming that file and the step (not a match at play time).
BUILT_FILES = {"insight-one-seller.yaml": ("results/insight-tables/one-seller-11-100.json", "make reproduce-insight")}


@pytest.mark.parametrize("path", LEAGUES, ids=[p.name for p in LEAGUES])
def test_every_league_validates_and_seats_every_player(path):
    needs = BUILT_FILES.get(path.name)
    if needs is not None and not (ROOT / needs[0]).exists():
        with pytest.raises(LeagueError) as info:
            load_league(path)
        assert needs[0] in str(info.value) and needs[1] in str(info.value)
        return
    league = load_league(path)
    # a player that validates but never takes a seat would silently be missing from the table
    seated = {s.player for m in iter_schedule(league) for s in m.seats}
    assert seated == {p.name for p in league.players}


def test_reproduce_target_lists_every_reproduction_and_each_target_exists():
    makefile = (ROOT / "Makefile").read_text()
    deps = re.search(r"^reproduce:(.*)$", makefile, re.M).group(1).split()
    targets = [d for d in deps if d.startswith("reproduce-")]
    assert {s[1].split()[-1] for s in SECTIONS} <= set(targets)
    for target in targets:
        assert re.search(rf"^{target}:", makefile, re.M), target
        dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0 and "tourney" in dry.stdout, dry.stderr


def test_every_registered_reproduction_imports():
    names = reproduction_names()
    assert {"ihelp", "godfather", "consumer", "anegma-a", "anegma-ddpg"} <= set(names)
    for name in names:
        assert callable(reproduction(name)), name


def test_collect_marks_missing_runs_and_includes_present_ones(tmp_path):
    title, command, run_dirs = SECTIONS[0]
    present = tmp_path / run_dirs[0]
    present.mkdir(parents=True)
    (present / "reproduction.md").write_text("# Table\n\n| a | b |\n")
    text = collect(tmp_path)
    assert f"## {title}" in text and f"Command: `{command}`" in text
    assert "### Table" in text
    assert text.count("not run yet") == sum(len(s[2]) for s in SECTIONS) - 1


def test_collect_one_section_keeps_the_others_and_reports_durations(tmp_path):
    import json

    from tourney.reproduce.collect import main

    (title, command, run_dirs), (other_title, _, _) = SECTIONS[0], SECTIONS[1]
    for i, run_dir in enumerate(run_dirs):
        d = tmp_path / run_dir
        d.mkdir(parents=True)
        (d / "reproduction.md").write_text(f"# Report {i}\n")
        (d / "manifest.json").write_text(json.dumps({"seed": 1, "matches": 3, "elapsed_s": 60.0 * (i + 1),
                                                     "finished": "2026-01-01T00:00:00Z"}))
    kept = f"## {other_title}\n\nhand-checked text that must survive\n"
    (tmp_path / "REPRODUCTION.md").write_text(f"# Reproductions\n\n## {title}\n\nold\n\n{kept}")
    main([str(tmp_path), "--section", command])
    text = (tmp_path / "REPRODUCTION.md").read_text()
    assert "old" not in text and "hand-checked text that must survive" in text
    total = sum(60 * (i + 1) for i in range(len(run_dirs)))
    assert f"took {total} s ({total / 60:.1f} min) of league play" in text
    assert "matches, 60 s).*" in text and "### Report 0" in text
    assert text.count(f"## {other_title}") == 1
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path), "--section", "make nothing"])
    assert exc.value.code == 2
