"""The HTML report of the quickstart league, rendered in headless Chromium."""

from __future__ import annotations

import json
import re

from browser import blank_fraction, load, screenshot

from conftest import ROOT, run_cli
from tourney.html_report import SECTIONS

LINKS = re.compile(r'(?:src|href)\s*=\s*"([^"]*)"', re.I)


def test_quickstart_report_is_one_self_contained_page_that_chromium_renders(tmp_path):
    out = tmp_path / "quickstart"
    run_cli("run", str(ROOT / "leagues" / "quickstart.yaml"), "--reps", "1", "-j", "2", "--out", str(out),
            "--quiet", "--report", check=True, timeout=600)
    page = out / "report.html"
    text = page.read_text()
    # Self-contained: every link is an in-page anchor or inline data.
    links = LINKS.findall(text)
    assert links and all(u.startswith(("#", "data:image/png;base64,")) for u in links), \
        [u[:40] for u in links if not u.startswith(("#", "data:"))]
    assert text.count('src="data:image/png;base64,') >= 7  # scores, alpha-Rank, replicator, ratings, heatmap, traces
    # The analysis of this league is in it: all nine players in the meta-game, the closest/lopsided traces.
    for player in ("Boulware", "Linear", "Conceder", "RelativeTFT", "RandomTFT", "AveragedTFT", "Random",
                   "Aspiration", "NaiveTFT"):
        assert text.count(f"<td>{player}</td>") >= 4, player
    for heading in ("Meta-game: pooled", "closest match", "most lopsided match", "Bradley-Terry", "Holm",
                    "negmas", "2026"):
        assert heading in text, heading
    loaded = load(page, tmp_path / "profile-a")
    assert loaded.console == [], loaded.console
    assert loaded.requests == [], loaded.requests
    for key in SECTIONS:
        assert f'<section id="{key}">' in loaded.dom, key
    shot = screenshot(page, tmp_path / "profile-b", tmp_path / "shot.png")
    assert 0.05 < 1 - blank_fraction(shot) < 0.95  # drawn, but not a black page


def test_the_browser_checks_catch_errors_and_network_use(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><p>x</p><script>missing();</script>'
                    '<img src="http://127.0.0.1:9/a.png"></body></html>')
    loaded = load(page, tmp_path / "profile")
    assert any("missing is not defined" in line for line in loaded.console)
    assert any(u.startswith("http://127.0.0.1:9/") for u in loaded.requests)
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    assert blank_fraction(screenshot(blank, tmp_path / "profile-b", tmp_path / "blank.png")) > 0.99


def test_report_html_on_an_existing_run_matches_its_analysis(tmp_path):
    out = tmp_path / "run"
    league = tmp_path / "l.yaml"
    league.write_text(json.dumps({
        "name": "t", "seed": 5, "repetitions": 2,
        "worlds": [{"type": "bilateral", "params": {"n_steps": 20, "episodes": 1}, "settings": {"zoa": [100, 60]}}],
        "players": [{"name": "Boulware", "type": "boulware"}, {"name": "Conceder", "type": "conceder"}]}))
    run_cli("run", str(league), "--out", str(out), "--quiet", "-j", "1", "--trace", check=True)
    proc = run_cli("report", str(out), "--html", "--samples", "50", check=True)
    assert "wrote" in proc.stderr and (out / "report.html").exists()
    text = (out / "report.html").read_text()
    assert "Per-setting scores" in text and 'alt="scores per setting"' in text  # two settings: a plot
    assert "No match failed." in text


def test_failures_show_blame_and_exception_type_but_never_the_message(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic_log import write_synthetic_run

    run = write_synthetic_run(tmp_path / "log", 600, players=2, seed=2)
    failed = [json.loads(line) for line in (run / "matches.jsonl").read_text().splitlines()]
    failed = [r for r in failed if r["status"] != "ok"]
    assert failed and all("synthetic fault" in r["error"] for r in failed)
    run_cli("report", str(run), "--html", "--samples", "20", check=True)
    text = (run / "report.html").read_text()
    assert "synthetic fault" not in text
    assert "<td>RuntimeError</td>" in text
    for who in {r["blamed"] for r in failed}:
        assert f"<td>{who}</td><td>error</td>" in text  # the blame table: player, status, count
