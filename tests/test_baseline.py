"""CI regression: the smoke league's table against the committed baseline."""

from __future__ import annotations

from conftest import ROOT, run_cli


def test_smoke_league_matches_the_committed_baseline(tmp_path):
    out = tmp_path / "smoke"
    run_cli("run", "leagues/smoke.yaml", "-j", "2", "--out", str(out), "--quiet", check=True)
    proc = run_cli("check", str(out), str(ROOT / "results" / "baselines" / "smoke.csv"), "--tol", "1e-6")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DRIFT" not in proc.stdout


def test_check_reports_drift_with_exit_1(tmp_path):
    out = tmp_path / "smoke"
    run_cli("run", "leagues/smoke.yaml", "-j", "1", "--out", str(out), "--quiet", check=True)
    baseline = (ROOT / "results" / "baselines" / "smoke.csv").read_text().splitlines()
    header, first, *rest = baseline
    cells = first.split(",")
    cells[2] = f"{float(cells[2]) + 0.01:.6f}"
    shifted = tmp_path / "shifted.csv"
    shifted.write_text("\n".join([header, ",".join(cells), *rest]) + "\n")
    proc = run_cli("check", str(out), str(shifted), "--tol", "0.001")
    assert proc.returncode == 1
    assert "DRIFT" in proc.stdout and cells[1] in proc.stdout
