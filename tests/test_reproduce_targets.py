"""`make reproduce` is wired up: its targets exist, every league validates, the collector works."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
import subprocess

import pytest

from tourney.errors import LeagueError
from tourney.league import load_league
from tourney.schedule import iter_schedule
from tourney.registry import reproduction, reproduction_names
from tourney.reproduce import SECTIONS
from tourney.reproduce.collect import CollectError, collect

from conftest import ROOT

LEAGUES = sorted((ROOT / "leagues").glob("*.yaml"))


# Leagues that load a file a make step builds: on a fresh checkout they must fail
# validation naming that file and the step (not a match at play time).
BUILT_FILES = {"insight-one-seller.yaml": ("results/insight-tables/one-seller-11-100.json", "make reproduce-insight")}


# Leagues that need an extra not in `all` (a large model): without it they must fail
# validation naming the extra.
OPTIONAL_EXTRAS = {"consumer-models.yaml": ("qwen2.5-coder-0.5b-instruct", ".[llm-qwen]")}


@pytest.mark.parametrize("path", LEAGUES, ids=[p.name for p in LEAGUES])
def test_every_league_validates_and_seats_every_player(path):
    optional = OPTIONAL_EXTRAS.get(path.name)
    if optional is not None:
        from players.llm.backends import packaged_model_missing

        if packaged_model_missing(optional[0]):
            with pytest.raises(LeagueError) as info:
                load_league(path)
            assert optional[1] in str(info.value)
            return
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


def _reproductions(makefile: str) -> list[str]:
    """The targets `make reproduce` runs, in order (its REPRODUCTIONS variable)."""
    value = re.search(r"^REPRODUCTIONS :=((?:.*\\\n)*.*)$", makefile, re.M).group(1)
    return value.replace("\\\n", " ").split()


def test_reproduce_target_lists_every_reproduction_and_each_target_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = _reproductions(makefile)
    assert "$(REPRODUCTIONS)" in re.search(r"^reproduce:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    # the sections of REPRODUCTION.md come in the order the targets run
    assert [s[1].split()[-1] for s in SECTIONS] == [t for t in targets if t in {s[1].split()[-1] for s in SECTIONS}]
    assert {s[1].split()[-1] for s in SECTIONS} == set(targets)
    for target in targets:
        assert re.search(rf"^{target}:", makefile, re.M), target
        dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0 and "tourney" in dry.stdout, dry.stderr
        # every target refreshes its own section (and so its baseline excerpts)
        assert f'collect . --section "make {target}"' in dry.stdout, target


def _make_env(*args: str, env: dict | None = None) -> str:
    proc = subprocess.run(["make", "-s", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                          env={k: v for k, v in {**os.environ, **(env or {})}.items()
                               if v is not None and not k.startswith("MAKE")})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_one_reproduction_id_per_make_invocation_shared_by_its_sub_makes():
    echo = "reproduce-echo: ; @echo id=$$TOURNEY_REPRODUCE_ID"
    env = {"TOURNEY_REPRODUCE_ID": None}
    first = _make_env("--eval", echo, "reproduce-echo", env=env)
    second = _make_env("--eval", echo, "reproduce-echo", env=env)
    assert re.fullmatch(r"id=\d{8}T\d{6}Z-[0-9a-f]{6}\n", first) and first != second
    assert _make_env("--eval", echo, "reproduce-echo", env={"TOURNEY_REPRODUCE_ID": "given"}) == "id=given\n"
    outer = ("reproduce-outer: ; @echo outer=$$TOURNEY_REPRODUCE_ID; "
             "$(MAKE) -s --no-print-directory --eval '" + echo.replace("$$", "$$$$") + "' reproduce-echo")
    out = _make_env("--eval", outer, "reproduce-outer", env=env).split()
    assert len(out) == 2 and out[0].split("=")[1] == out[1].split("=")[1] != ""
    # other targets do not stamp their runs as reproductions
    assert _make_env("--eval", "other-echo: ; @echo id=$$TOURNEY_REPRODUCE_ID", "other-echo", env=env) == "id=\n"


def test_every_registered_reproduction_imports():
    names = reproduction_names()
    assert {"ihelp", "godfather", "consumer", "anegma-a", "anegma-ddpg"} <= set(names)
    for name in names:
        assert callable(reproduction(name)), name


def _run(root, run_dir, reproduce_id, report="# Report\n\n**2 of 3 claims hold, 1 fail, 0 not resolved**\n",
         elapsed=60.0, **manifest):
    d = root / run_dir
    d.mkdir(parents=True, exist_ok=True)
    (d / "manifest.json").write_text(json.dumps({
        "seed": 7, "matches": 3, "elapsed_s": elapsed, "started": "2026-01-01T00:00:00Z",
        "finished": "2026-01-01T00:01:00Z", "reproduce_id": reproduce_id, "jobs": 2,
        "command": f"tourney run leagues/{Path(run_dir).name}.yaml -j 2 --fresh --quiet",
        "versions": {"tourney": "0.1.0", "negmas": "0.16.0", "python": "3.11.7"}, **manifest}))
    (d / "reproduction.md").write_text(report)
    return d


def test_collect_marks_missing_runs_and_includes_present_ones(tmp_path):
    title, command, run_dirs = SECTIONS[0]
    _run(tmp_path, run_dirs[0], "rid-1", report="# Table\n\n| a | b |\n")
    text = collect(tmp_path, reproduce_id="rid-1")
    assert f"## {title}" in text and f"Command: `{command}`" in text
    assert "### Table" in text
    assert text.count("not run yet") == sum(len(s[2]) for s in SECTIONS) - 1
    # the run line: command, seed, start, finish, duration, versions
    line = next(x for x in text.splitlines() if x.startswith(f"*Run `{run_dirs[0]}`"))
    assert (f"id `rid-1`: `tourney run leagues/{Path(run_dirs[0]).name}.yaml -j 2 --fresh --quiet`; seed 7, 3 matches; "
            "started 2026-01-01T00:00:00Z, finished 2026-01-01T00:01:00Z, 60 s (1.0 min) with -j 2; "
            "tourney 0.1.0, negmas 0.16.0, python 3.11.7.*") in line


def test_collect_refuses_runs_of_another_invocation_or_none(tmp_path):
    run_dirs = SECTIONS[0][2]
    _run(tmp_path, run_dirs[0], "rid-1")
    _run(tmp_path, run_dirs[1], "rid-2")
    with pytest.raises(CollectError, match=f"{run_dirs[1]}: run of reproduction rid-2, not of this one"):
        collect(tmp_path, reproduce_id="rid-1")
    with pytest.raises(CollectError, match="no reproduction id"):
        collect(tmp_path)  # the whole file needs the id of one `make reproduce`
    # one target alone: its runs must share one id
    with pytest.raises(CollectError, match="come from different invocations"):
        collect(tmp_path, only=SECTIONS[0][1])
    _run(tmp_path, run_dirs[1], None)
    with pytest.raises(CollectError, match=f"{run_dirs[1]}: its manifest has no reproduction id"):
        collect(tmp_path, only=SECTIONS[0][1])
    _run(tmp_path, run_dirs[1], "rid-1")
    assert "id `rid-1`" in collect(tmp_path, only=SECTIONS[0][1])
    # a report written before its run finished is stale
    stale = tmp_path / run_dirs[1] / "reproduction.md"
    os.utime(stale, (1e9, 1e9))
    with pytest.raises(CollectError, match="older than its run"):
        collect(tmp_path, only=SECTIONS[0][1])


def test_collect_main_refuses_in_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from tourney.reproduce.collect import main

    _run(tmp_path, SECTIONS[0][2][0], "rid-1")
    (tmp_path / "REPRODUCTION.md").write_text("old\n")
    monkeypatch.setenv("TOURNEY_REPRODUCE_ID", "rid-9")
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path), "--no-excerpts"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rid-1, not of this one (rid-9)" in err
    assert (tmp_path / "REPRODUCTION.md").read_text() == "old\n"


def test_collect_one_section_keeps_the_others_and_reports_durations(tmp_path, monkeypatch):
    from tourney.reproduce.collect import main

    (title, command, run_dirs), (other_title, _, _) = SECTIONS[0], SECTIONS[1]
    for i, run_dir in enumerate(run_dirs):
        _run(tmp_path, run_dir, "rid-1", report=f"# Report {i}\n\n**{i} of 3 claims hold, 0 fail, {3 - i} not resolved**\n",
             elapsed=60.0 * (i + 1))
    kept = f"## {other_title}\n\nhand-checked text that must survive\n"
    (tmp_path / "REPRODUCTION.md").write_text(f"# Reproductions\n\n## {title}\n\nold\n\n{kept}")
    monkeypatch.setenv("TOURNEY_REPRODUCE_ID", "rid-1")
    main([str(tmp_path), "--section", command, "--no-excerpts"])
    text = (tmp_path / "REPRODUCTION.md").read_text()
    assert "\nold\n" not in text and "hand-checked text that must survive" in text
    total = sum(60 * (i + 1) for i in range(len(run_dirs)))
    assert f"took {total} s ({total / 60:.1f} min) of league play" in text
    assert "60 s (1.0 min) with -j 2" in text and "### Report 0" in text
    assert text.count(f"## {other_title}") == 1
    # the summary on top: each run's claim summary and its time
    summary = text[text.index("## Summary"):text.index(f"## {title}")]
    for i, run_dir in enumerate(run_dirs):
        assert f"| `{run_dir}` | {i} of 3 claims hold, 0 fail, {3 - i} not resolved | {i + 1:.1f} min |" in summary
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path), "--section", "make nothing"])
    assert exc.value.code == 2


def test_collect_prints_the_end_to_end_time_of_one_make_reproduce(tmp_path):
    targets = [s[1].split()[-1] for s in SECTIONS]
    timing = {"reproduce_id": "rid-1", "cores": 2, "load": 3.0,
              "targets": [{"target": t, "wall_s": 600.0 * (i + 1), "cpu_s": 1000.0} for i, t in enumerate(targets)]}
    for _, _, run_dirs in SECTIONS:
        for run_dir in run_dirs:
            _run(tmp_path, run_dir, "rid-1")
    text = collect(tmp_path, reproduce_id="rid-1", timing=timing)
    wall = sum(600 * (i + 1) for i in range(len(targets)))
    assert (f"**Total: {wall / 60:.1f} min wall, {1000 * len(targets) / 60:.1f} min CPU for `make reproduce` "
            "(id `rid-1`, 2 cores, load 3.0); target under 90 min: not met.**") in text
    last = targets[-1]
    assert f"Largest parts: {last} {600 * len(targets) / 60:.1f} min" in text
    assert f"the whole target {600.0 * len(targets):.0f} s wall" in text
    # a timing file of another invocation is not used
    assert "**Total:" not in collect(tmp_path, reproduce_id="rid-1", timing={**timing, "reproduce_id": "x"})


def test_sequence_runs_the_targets_in_order_times_them_and_stops_at_a_failure(tmp_path, monkeypatch):
    import sys

    from tourney.reproduce.collect import TIMING_NAME
    from tourney.reproduce.sequence import run_targets

    burn = f"{sys.executable} -c 'import time; t = time.process_time(); exec(\"while time.process_time() - t < 0.3: pass\")'"
    (tmp_path / "Makefile").write_text(
        "a b c: ; @echo $@ $$TOURNEY_REPRODUCE_ID >> order.txt\n"
        f"busy: ; @{burn}\n"
        "broken: ; @exit 3\n")
    monkeypatch.delenv("MAKEFLAGS", raising=False)
    monkeypatch.delenv("TOURNEY_REPRODUCE_ID", raising=False)
    assert run_targets(["a"], root=tmp_path) == 2  # no id: not run by `make reproduce`
    assert not (tmp_path / "order.txt").exists()
    monkeypatch.setenv("TOURNEY_REPRODUCE_ID", "rid-1")
    assert run_targets(["b", "busy", "a"], root=tmp_path) == 0
    assert (tmp_path / "order.txt").read_text() == "b rid-1\na rid-1\n"
    timing = json.loads((tmp_path / TIMING_NAME).read_text())
    assert timing["reproduce_id"] == "rid-1" and timing["finished"] and timing["cores"] == os.cpu_count()
    assert [t["target"] for t in timing["targets"]] == ["b", "busy", "a"]
    busy = timing["targets"][1]
    assert busy["cpu_s"] >= 0.25 and busy["wall_s"] >= busy["cpu_s"] - 0.05 and busy["returncode"] == 0
    assert run_targets(["c", "broken", "a"], root=tmp_path) == 2  # make exits 2 when a recipe fails
    timing = json.loads((tmp_path / TIMING_NAME).read_text())
    assert [(t["target"], t["returncode"]) for t in timing["targets"]] == [("c", 0), ("broken", 2)]
    assert timing["finished"] is None
    assert (tmp_path / "order.txt").read_text().splitlines()[-1] == "c rid-1"


def test_summary_only_rebuilds_the_table_from_the_sections_it_has(tmp_path):
    from tourney.reproduce.collect import main

    (title, _, run_dirs), (other, _, other_dirs) = SECTIONS[0], SECTIONS[1]
    merged = (f"# Reproductions\n\nstale header\n\n## Summary\n\n| stale |\n\n## {other}\n\n"
              f"*Run `{other_dirs[0]}`, id `b`: x.*\n<!-- run {{\"elapsed_s\": 120.0}} -->\n\n"
              "**1 of 2 claims hold, 1 fail, 0 not resolved**\n\n"
              f"## {title}\n\n*Run `{run_dirs[0]}`, id `a`: x.*\n<!-- run {{\"elapsed_s\": 60.0}} -->\n\n"
              "**5 of 5 claims hold, 0 fail, 0 not resolved**\n")
    (tmp_path / "REPRODUCTION.md").write_text(merged)
    main([str(tmp_path), "--summary-only"])
    text = (tmp_path / "REPRODUCTION.md").read_text()
    assert "stale" not in text and text.index(f"## {title}") < text.index(f"## {other}")  # SECTIONS order
    assert f"| {title} | `{run_dirs[0]}` | 5 of 5 claims hold, 0 fail, 0 not resolved | 1.0 min |  |" in text
    assert f"| {other} | `{other_dirs[0]}` | 1 of 2 claims hold, 1 fail, 0 not resolved | 2.0 min |  |" in text
    assert "Total league play of the runs above: 3.0 min" in text
