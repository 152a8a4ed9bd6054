"""The CI guard of REPRODUCTION.md: every claim verdict it reports is what its reproduction computes today
from the run's committed excerpt (results/baselines/reproductions/), and the excerpt machinery itself."""

from __future__ import annotations

import json
import lzma
import shutil

import pytest
import yaml

from tourney.league import load_league
from tourney.reproduce import claims
from tourney.reproduce.collect import collect
from tourney.reproduce.excerpt import (BASELINES, ExcerptError, check_excerpt, claim_lines, excerpts, read_excerpt,
                                       run_parts, write_excerpt)
from tourney.runner import run_league

from conftest import ROOT

COMMITTED = excerpts(ROOT / BASELINES)
REPRODUCTION_MD = (ROOT / "REPRODUCTION.md").read_text()


@pytest.mark.parametrize("excerpt", COMMITTED, ids=[p.name for p in COMMITTED])
def test_reproduction_md_reports_what_the_code_computes_from_the_excerpt(excerpt, tmp_path):
    assert check_excerpt(excerpt, REPRODUCTION_MD, tmp_path) == []


def test_every_run_of_one_make_reproduce_has_its_excerpt():
    # Runs collected with a reproduction id (every run since the id exists) must be guarded;
    # the sections still from runs made before it have no run comment and no excerpt, and a run
    # that reports no verdict of the claim checker (a model-matrix table) has nothing to guard.
    committed = {json.loads((p / "excerpt.json").read_text())["run_dir"] for p in COMMITTED}
    stamped = [run_dir for run_dir, part in run_parts(REPRODUCTION_MD).items()
               if '"reproduce_id": "' in part and "not run yet" not in part.splitlines()[0]
               and claim_lines(part)]
    assert sorted(set(stamped) - committed) == []


def _flip(monkeypatch):
    """A code change that turns every 'holds' into 'fails' and back."""
    judged = claims._verdict
    monkeypatch.setattr(claims, "_verdict", lambda *a: {"holds": "fails", "fails": "holds"}.get(judged(*a), judged(*a)))


@pytest.mark.skipif(not COMMITTED, reason="no excerpt is committed yet")
def test_a_flipped_verdict_fails_the_guard_on_a_committed_excerpt(tmp_path, monkeypatch):
    _flip(monkeypatch)
    problems = check_excerpt(COMMITTED[0], REPRODUCTION_MD, tmp_path)
    assert problems and "the code gives" in problems[0]


# --- the machinery, on a small real run of the INSIGHT one-seller game ---
SMALL = {
    "name": "insight-one-seller", "seed": 5, "repetitions": 3,
    "worlds": [{"type": "bidding", "params": {"price_range": [11, 30], "impatience": 0.1, "impatience_step": 0.1,
                                              "episodes": 600, "last_episodes": 200, "curve_points": 6}}],
    "players": [{"name": "Q", "type": "qlearning"}, {"name": "Heuristic", "type": "descent-arithmetic",
                                                    "params": {"initial": 30, "descent": 10}},
                {"name": "Random", "type": "insight-random"}, {"name": "DescentByOne", "type": "descent-by-one"}],
    "format": {"self_play": False, "both_roles": True, "timeout": 120},
    "scoring": {"metric": "profit_last", "aggregate": "mean"},
}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """(root, run dir, REPRODUCTION.md text): a 12-match run collected under reproduction id rid-1."""
    root = tmp_path_factory.mktemp("repro")
    league_path = root / "one.yaml"
    league_path.write_text(yaml.safe_dump(SMALL))
    run_dir = root / "results" / "insight-one-seller"
    mp = pytest.MonkeyPatch()
    mp.setenv("TOURNEY_REPRODUCE_ID", "rid-1")
    try:
        run_league(load_league(league_path), run_dir, jobs=1, progress=False)
    finally:
        mp.undo()
    from tourney.registry import reproduction

    (run_dir / "reproduction.md").write_text(reproduction("insight-one-seller")(run_dir) + "\n")
    text = collect(root, only="make reproduce-insight", reproduce_id="rid-1")
    return root, run_dir, text


def test_excerpt_keeps_only_what_the_reproduction_reads_and_rebuilds_its_report(small_run, tmp_path):
    root, run_dir, text = small_run
    done = write_excerpt("insight-one-seller", run_dir, tmp_path / "baselines", label="results/insight-one-seller")
    meta = json.loads((done.path / "excerpt.json").read_text())
    assert meta["reproduction"] == "insight-one-seller" and meta["records"] == 12 and meta["projection"] == "tight"
    assert "roles.seller.profit_last" in meta["fields"] and "details.curve.profit.seller" in meta["fields"]
    assert not any(f.startswith(("duration", "pid", "error")) for f in meta["fields"])
    assert meta["files"] == ["league.yaml", "manifest.json"]
    records = [json.loads(line) for line in lzma.open(done.path / "matches.jsonl.xz").read().splitlines()]
    assert len(records) == 12 and "duration" not in records[0] and "pid" not in records[0]
    assert done.excerpt_bytes < (run_dir / "matches.jsonl").stat().st_size
    # the guard: REPRODUCTION.md agrees with the excerpt ...
    assert claim_lines(text) and check_excerpt(done.path, text, tmp_path / "a") == []
    # ... and a code change that flips a verdict makes it fail
    with pytest.MonkeyPatch.context() as mp:
        _flip(mp)
        problems = check_excerpt(done.path, text, tmp_path / "b")
    assert problems and all("the code gives" in p for p in problems)
    # an excerpt of a run REPRODUCTION.md does not report (another id) is caught too
    other = text.replace("`rid-1`", "`rid-2`")
    assert any("which REPRODUCTION.md does not report" in p for p in check_excerpt(done.path, other, tmp_path / "c"))


def test_excerpt_refuses_a_stale_report_and_a_reproduction_that_is_not_deterministic(small_run, tmp_path):
    _, run_dir, _ = small_run
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    (copy / "reproduction.md").write_text("an older report\n")
    with pytest.raises(ExcerptError, match="not what reproduction insight-one-seller writes"):
        write_excerpt("insight-one-seller", copy, tmp_path / "out")
    (copy / "reproduction.md").unlink()
    calls = iter(range(100))
    with pytest.raises(ExcerptError, match="does not write the same report twice"):
        write_excerpt("x", copy, tmp_path / "out", reproduce=lambda name, d: f"report {next(calls)}")
    assert not (tmp_path / "out").exists()


def test_a_cut_that_changes_the_report_falls_back_to_whole_records(small_run, tmp_path):
    from tourney.store import iter_records

    _, run_dir, _ = small_run
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    (copy / "reproduction.md").unlink()

    def counts_keys(name, d):
        # reads one field, but its report depends on how many keys a record has (seen through len())
        return " ".join(f"{r['status']}:{len(r['roles'])}:{sorted(r['metrics'])[:1]}" for r in iter_records(d))

    done = write_excerpt("x", copy, tmp_path / "out", reproduce=counts_keys)
    assert done.projection == "tight" and "roles.seller" in done.fields  # len() reads every key of roles

    def presence_then_c(name, d):
        # tests for a key in Python, then reads its value through C (dict.get): only "keys" keeps that value
        return " ".join(str("details" in r and dict.get(r, "details") is not None) for r in iter_records(d))

    assert write_excerpt("x", copy, tmp_path / "out2", reproduce=presence_then_c).projection == "keys"

    def reads_some_then_c(name, d):
        # reads the status in Python, then a field through C code the tracking cannot see (dict.get)
        return "\n".join(f"{r['status']} {dict.get(r, 'duration')}" for r in iter_records(d))

    done = write_excerpt("x", copy, tmp_path / "out3", reproduce=reads_some_then_c)
    assert done.projection == "full" and done.fields == ["*"]


def test_claim_lines_reads_summaries_and_verdict_rows():
    text = ("**3 of 4 claims hold, 1 fail, 0 not resolved** (x).\n\n| claim | source | verdict |\n|---|---|---|\n"
            '| a-over-b: "A beats B" | 3.2 | **holds** |\n| c | 1.1 [0.2, 2] **fails** | -0.1 [-1, 1] **not resolved** |\n'
            "| plain | row |\n")
    assert claim_lines(text) == ["3 of 4 claims hold, 1 fail, 0 not resolved", "a-over-b: holds",
                                 "c: fails, not resolved"]


def test_the_user_path_run_reproduce_collect_check(tmp_path, monkeypatch, capsys):
    """What `make reproduce-insight` does, on the small league: the id reaches the manifest through the
    environment, `tourney reproduce` records its name, the collector writes the section and the excerpt,
    and the check passes."""
    from tourney.reproduce import collect as collect_module
    from tourney.reproduce import excerpt as excerpt_module

    from conftest import run_cli

    league_path = tmp_path / "one.yaml"
    league_path.write_text(yaml.safe_dump({**SMALL, "repetitions": 2}))
    env = {"TOURNEY_REPRODUCE_ID": "rid-7"}
    run_cli("run", str(league_path), "-j", "1", "--out", "results/insight-one-seller", "--quiet", cwd=tmp_path,
            env=env, check=True)
    run_cli("reproduce", "insight-one-seller", "results/insight-one-seller", cwd=tmp_path, env=env, check=True)
    manifest = json.loads((tmp_path / "results/insight-one-seller/manifest.json").read_text())
    assert manifest["reproduce_id"] == "rid-7" and manifest["reproduction"]["name"] == "insight-one-seller"
    assert manifest["command"].startswith("tourney run ") and manifest["command"].endswith("--quiet")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOURNEY_REPRODUCE_ID", "rid-7")
    collect_module.main([".", "--section", "make reproduce-insight"])
    text = (tmp_path / "REPRODUCTION.md").read_text()
    assert "*Run `results/insight-one-seller`, id `rid-7`: `tourney run " in text
    assert (tmp_path / BASELINES / "insight-one-seller" / "excerpt.json").is_file()
    with pytest.raises(SystemExit) as exc:
        excerpt_module.main(["--check"])
    assert exc.value.code == 0 and "insight-one-seller: ok" in capsys.readouterr().out
    # REPRODUCTION.md edited by hand to claim another verdict: the check fails
    (tmp_path / "REPRODUCTION.md").write_text(text.replace("**not resolved**", "**holds**", 1))
    with pytest.raises(SystemExit) as exc:
        excerpt_module.main(["--check"])
    assert exc.value.code == 1 and "REPRODUCTION.md says" in capsys.readouterr().err


def test_a_sibling_run_the_reproduction_reads_goes_into_the_excerpt(small_run, tmp_path):
    # INSIGHT's two-seller report shows its "-never-raise" sibling beside it, ANEGMA's Tables 5-7
    # read "<run>-adapt": without the sibling the excerpt's replay is another report (the
    # end-to-end `make reproduce` stopped on exactly this).
    from tourney.store import iter_records

    _, run_dir, _ = small_run
    own, sib = tmp_path / "results" / "r", tmp_path / "results" / "r-sib"
    shutil.copytree(run_dir, own)
    shutil.copytree(run_dir, sib)
    (own / "reproduction.md").unlink()

    def with_sibling(name, d):
        beside = d.parent / (d.name + "-sib")
        mine = [r["metrics"]["profit_last"] for r in iter_records(d)]
        theirs = [r["status"] for r in iter_records(beside)] if beside.is_dir() else []
        return f"{sum(mine):.6f} sibling {beside}: {len(theirs)} records"

    done = write_excerpt("x", own, tmp_path / "out", reproduce=with_sibling, label="results/r")
    meta = json.loads((done.path / "excerpt.json").read_text())
    assert meta["siblings"] == {"r-sib": []}  # only its log was read
    assert (done.path / "siblings" / "r-sib" / "matches.jsonl.xz").is_file()
    meta2, replay = read_excerpt(done.path, tmp_path / "replay")
    assert with_sibling("x", replay).endswith(": 12 records") and (replay.parent / "r-sib").is_dir()
    # the proof compares whole reports: a sibling the excerpt lacked would have changed this one
    shutil.rmtree(replay.parent / "r-sib")
    assert with_sibling("x", replay).endswith(": 0 records")
