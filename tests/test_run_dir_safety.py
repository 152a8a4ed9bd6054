"""Operator mistakes on run directories: a second run, a corrupt log line, a killed merge,
Ctrl-C and SIGTERM, a full disk, and `tourney check` with bad input. Each gets a one-line
message and the right exit code; nothing recorded is lost."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli, write_league

from tourney.checking import compare_scores, read_baseline
from tourney.cli import main
from tourney.errors import LeagueError, RunDirError
from tourney.league import load_league
from tourney.report import compute_tables, run_header
from tourney.runner import run_league
from tourney.store import LOG_NAME, MANIFEST_NAME, LogReader, RunLock, merge_runs, read_manifest


def cli_main(*args: str, capsys) -> tuple[int, str, str]:
    """`tourney ARGS` through main() in-process: exit code, stdout, stderr."""
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit) as info:
            main(list(args))
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def _small(tmp_path: Path, **overrides) -> Path:
    return write_league(tmp_path / "league.yaml", **{
        "players": [{"name": "A", "type": "boulware"}, {"name": "B", "type": "conceder"},
                    {"name": "C", "type": "linear"}],
        "worlds": [{"type": "bilateral", "params": {"n_steps": 10, "episodes": 1}}], **overrides})


def _play(tmp_path: Path, out: Path, **overrides) -> None:
    run_league(load_league(_small(tmp_path, **overrides)), out, jobs=1, backend="sequential", progress=False)


# ---------------------------------------------------------------- the lock


def test_second_command_on_a_locked_run_dir_exits_2_naming_the_holder(tmp_path, capsys):
    out = tmp_path / "run"
    with RunLock(out, "tourney run"):
        with pytest.raises(RunDirError, match=rf"{out} is in use by pid {os.getpid()} on .*\(tourney run, since"):
            with RunLock(out, "tourney run"):
                pass
        code, _, err = cli_main("run", str(_small(tmp_path)), "--out", str(out), "-j", "1", "--quiet",
                                capsys=capsys)
        assert code == 2 and f"{out} is in use by pid {os.getpid()}" in err
        assert not (out / LOG_NAME).exists()  # nothing was played or written
    with RunLock(out, "tourney run"):  # released: free again
        pass


def test_lock_held_by_another_process_blocks_tourney_run(tmp_path):
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from tourney.store import RunLock\n"
         f"with RunLock({str(out)!r}, 'tourney merge'):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = run_cli("run", str(_small(tmp_path)), "--out", str(out), "-j", "1", "--quiet")
        assert proc.returncode == 2, proc.stderr
        assert f"in use by pid {holder.pid}" in proc.stderr and "tourney merge" in proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.communicate()
    with RunLock(out, "tourney run"):  # the kernel dropped the dead holder's lock
        pass


# ---------------------------------------------------------------- the log


def test_corrupt_middle_lines_are_counted_and_never_fatal(tmp_path, capsys):
    out = tmp_path / "run"
    _play(tmp_path, out)
    lines = (out / LOG_NAME).read_text().splitlines()
    first = json.loads(lines[0])
    lines[1:1] = [
        json.dumps({"id": first["id"], "status": "ok"}),  # valid JSON, not a record (no assignment)
        '{"id": 3, "status": "ok", "world": "w", "assignment": {}}',  # wrong types
        "not json at all",
        json.dumps([1, 2]),
    ]
    (out / LOG_NAME).write_text("\n".join(lines) + "\n")
    reader = LogReader(out / LOG_NAME)
    assert len(list(reader)) == 6 and reader.unreadable == 4
    tables = compute_tables(out)
    assert tables.unreadable == 4 and sum(tables.statuses.values()) == 6
    assert "4 unreadable lines of matches.jsonl skipped" in run_header(tables)
    code, stdout, err = cli_main("report", str(out), capsys=capsys)
    assert code == 0 and "6/6 matches; 4 unreadable lines" in stdout, err
    # a run on it resumes: nothing to replay, the corrupt lines stay skipped
    code, stdout, err = cli_main("run", str(tmp_path / "league.yaml"), "--out", str(out), "-j", "1", "--quiet",
                                 capsys=capsys)
    assert code == 0 and "6/6 matches" in stdout, err


# ---------------------------------------------------------------- merge


def test_a_merge_killed_midway_is_completed_by_rerunning_it(tmp_path, capsys):
    league = _small(tmp_path, repetitions=2)
    shards = [tmp_path / "s0", tmp_path / "s1"]
    for i, shard in enumerate(shards):
        code, _, err = cli_main("run", str(league), "--shard", f"{i}/2", "--out", str(shard), "-j", "1", "--quiet",
                                capsys=capsys)
        assert code == 0, err
    clean = tmp_path / "clean"
    merge_runs(clean, shards)
    expected = sorted(r["id"] for r in LogReader(clean / LOG_NAME))
    # The states a kill -9 can leave: (a) before the manifest (the old order, no manifest at all),
    # (b) after the manifest and some records, the last one torn.
    for state in ("no-manifest", "partial"):
        out = tmp_path / state
        out.mkdir()
        (out / "league.yaml").write_text((shards[0] / "league.yaml").read_text())
        if state == "partial":
            (out / MANIFEST_NAME).write_text(json.dumps({**read_manifest(shards[0]), "status": "merging"}))
            head = (shards[0] / LOG_NAME).read_bytes().splitlines(keepends=True)
            (out / LOG_NAME).write_bytes(b"".join(head[:2]) + head[2][:25])
        code, _, err = cli_main("merge", str(out), *map(str, shards), capsys=capsys)
        assert code == 0, err
        assert sorted(r["id"] for r in LogReader(out / LOG_NAME)) == expected
        assert read_manifest(out)["status"] == "merged"
        code, _, err = cli_main("merge", str(out), *map(str, shards), capsys=capsys)  # and again: idempotent
        assert code == 0 and "0 new records" in err, err
        assert sorted(r["id"] for r in LogReader(out / LOG_NAME)) == expected


def test_merge_of_a_directory_that_is_not_a_run_exits_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = cli_main("merge", str(tmp_path / "m"), str(tmp_path / "empty"), capsys=capsys)
    assert code == 2 and "not a run directory" in err


# ---------------------------------------------------------------- signals


SLOW = {"worlds": [{"type": "bilateral", "params": {"n_steps": 400, "episodes": 3}}], "repetitions": 40}


INTERRUPTED = "Interrupted: finished matches are in the log; rerun the same command to resume."
TERMINATED = "Terminated: finished matches are in the log; rerun the same command to resume."


@pytest.mark.parametrize("signum,code,message,cause,backend", [
    (signal.SIGINT, 130, INTERRUPTED, "SIGINT", "loky"),
    (signal.SIGINT, 130, INTERRUPTED, "SIGINT", "sequential"),  # lands in a player's code, in the runner
    (signal.SIGTERM, 143, TERMINATED, "SIGTERM", "loky"),
    (signal.SIGTERM, 143, TERMINATED, "SIGTERM", "sequential"),
])
def test_a_signal_ends_the_run_cleanly_and_marks_the_manifest(tmp_path, signum, code, message, cause, backend):
    league, out = _small(tmp_path, **SLOW), tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "tourney.cli", "run", str(league), "--out", str(out), "-j", "1",
                             "--backend", backend, "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 120
    while not ((out / LOG_NAME).exists() and (out / LOG_NAME).read_bytes().count(b"\n") >= 2):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert stderr.strip() == message and "Traceback" not in stderr
    manifest = read_manifest(out)
    assert manifest["status"] == "interrupted" and manifest["stop_reason"] == cause
    played = list(LogReader(out / LOG_NAME))
    assert 2 <= len(played) < 240 and len({r["id"] for r in played}) == len(played)
    assert all(r["status"] == "ok" for r in played)  # the signal was never taken for a player's fault


@pytest.mark.parametrize("command,signal_error,code,message", [
    ("report", "Terminated", 143, "Terminated."),
    ("analyze", "KeyboardInterrupt", 130, "Interrupted."),
    ("run", "Terminated", 143, TERMINATED),
    ("merge", "KeyboardInterrupt", 130, INTERRUPTED),
])
def test_only_commands_that_write_a_log_promise_a_resume(monkeypatch, capsys, command, signal_error, code, message):
    """A signal during `report` must not tell the user that rerunning resumes matches it never played."""
    import tourney.cli as cli_module
    from tourney.errors import Terminated

    error = Terminated if signal_error == "Terminated" else KeyboardInterrupt

    def interrupted(*args, **kwargs):
        raise error()
    monkeypatch.setattr(cli_module.cli, "main", interrupted)
    exit_code, _, err = cli_main(command, "results/some-run", capsys=capsys)
    assert exit_code == code and err.strip() == message


def test_joblibs_cancelled_tasks_advice_does_not_follow_an_interrupt(monkeypatch, capsys, recwarn):
    """Ctrl-C with -j 2 drops joblib's result generator; its "tasks ... cancelled" warning is noise there."""
    import joblib.parallel

    import tourney.cli as cli_module

    def interrupted(*args, **kwargs):
        # Raised from joblib's own module, as Parallel._warn_exit_early does.
        exec(compile('import warnings\nwarnings.warn("2 tasks which were still being processed by the workers '
                     'have been cancelled.")', joblib.parallel.__file__, "exec"), dict(vars(joblib.parallel)))
        raise KeyboardInterrupt()
    monkeypatch.setattr(cli_module.cli, "main", interrupted)
    code, _, err = cli_main("run", "league.yaml", capsys=capsys)
    assert code == 130 and err.strip() == INTERRUPTED
    assert not [w for w in recwarn if "cancelled" in str(w.message)]


# ---------------------------------------------------------------- disk full


def _limit_file_size(limit: int):
    def apply() -> None:
        # Writes past `limit` bytes fail with EFBIG, as a full disk fails with ENOSPC:
        # the same OSError path, on a real file system.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_disk_errors_are_one_line_naming_the_path_and_the_log_stays_valid(tmp_path):
    league, out = _small(tmp_path, repetitions=4), tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "tourney.cli", "run", str(league), "--out", str(out), "-j", "1",
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=_limit_file_size(12_000))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith(f"Error: {out / LOG_NAME}: cannot write: File too large"), proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    data = (out / LOG_NAME).read_bytes()
    assert data.endswith(b"\n") and 0 < data.count(b"\n") < 24
    assert all(json.loads(line)["id"] for line in data.splitlines())  # no torn line left behind
    assert read_manifest(out)["status"] == "stopped"
    rerun = run_cli("run", str(league), "--out", str(out), "-j", "1", "--quiet")  # space again: it resumes
    assert rerun.returncode == 0 and "24/24 matches" in rerun.stdout, rerun.stderr


# ---------------------------------------------------------------- check


def _baseline(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "baseline.csv"
    path.write_text(text)
    return path


def test_read_baseline_refuses_what_it_cannot_trust(tmp_path):
    with pytest.raises(LeagueError, match=r"baseline.csv:3: score: not a number: 'high'"):
        read_baseline(_baseline(tmp_path, "player,score\nA,0.5\nB,high\n"))
    with pytest.raises(LeagueError, match=r"baseline.csv:4: player: 'A' is listed twice \(first on line 2\)"):
        read_baseline(_baseline(tmp_path, "player,score\nA,0.5\nB,0.1\nA,0.7\n"))
    with pytest.raises(LeagueError, match=r"baseline.csv:1: a baseline needs 'player' and 'score' columns"):
        read_baseline(_baseline(tmp_path, "name,value\nA,0.5\n"))
    with pytest.raises(LeagueError, match=r"baseline.csv:2: score: not a finite number"):
        read_baseline(_baseline(tmp_path, "player,score\nA,inf\n"))
    assert read_baseline(_baseline(tmp_path, "player,score,rank\nA,0.5,1\nB,,2\n"))["A"] == 0.5


def test_check_exit_codes(tmp_path, capsys):
    out = tmp_path / "run"
    _play(tmp_path, out)
    code, csv_text, _ = cli_main("report", str(out), "--format", "csv", capsys=capsys)
    good = tmp_path / "good.csv"
    good.write_text(csv_text)
    code, _, err = cli_main("check", str(out), str(good), capsys=capsys)
    assert code == 0, err
    for tol in ("nan", "-1"):
        code, _, err = cli_main("check", str(out), str(good), "--tol", tol, capsys=capsys)
        assert code == 2 and "--tol" in err, err
    bad = _baseline(tmp_path, "player,score\nA,x\n")
    code, _, err = cli_main("check", str(out), str(bad), capsys=capsys)
    assert code == 2 and err.strip() == f"Error: {bad}:2: score: not a number: 'x'"
    (tmp_path / "not-a-run").mkdir()
    code, _, err = cli_main("check", str(tmp_path / "not-a-run"), str(good), capsys=capsys)
    assert code == 2 and "not a run directory" in err
    assert compare_scores(compute_tables(out).scores, good, 1e-6)[0]
    with pytest.raises(LeagueError, match="--tol must be a number >= 0; got nan"):
        compare_scores(compute_tables(out).scores, good, float("nan"))
