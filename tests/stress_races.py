"""Run every test that kills processes or races a cluster, a server or other
processes N times in a row and print pass/fail counts per test.

Not part of `make test` (pytest collects only ``test_*.py``): a flaky test
shows up here as a count below N, with the output of each failing run kept.

    python tests/stress_races.py                 # 20 runs of each test
    python tests/stress_races.py -n 5 -k dask    # 5 runs of the tests whose id contains "dask"
    python tests/stress_races.py --list

Each run is a fresh `python -m pytest` process per file with that file's
selected tests (module fixtures such as the dask cluster start from scratch
every run and are shared by the file's tests, as in `make test`). Slow
tests (ray, LocalCluster) are included: ``-m ""`` overrides the default
``not slow`` selection; ``--no-slow`` leaves them out.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (node id, slow): every test in test_distributed.py, plus the others that kill
# workers, race a kill against a run, race processes on one file or start a server.
TESTS = [
    ("tests/test_distributed.py::test_smoke_league_on_a_dask_cluster_matches_loky", False),
    ("tests/test_distributed.py::test_a_match_that_keeps_killing_dask_workers_is_recorded_as_crashed", False),
    ("tests/test_distributed.py::test_faulty_players_on_dask_lose_their_matches", False),
    ("tests/test_distributed.py::test_a_worker_killed_mid_run_loses_nothing_and_duplicates_nothing", False),
    ("tests/test_distributed.py::test_local_dask_cluster_with_two_workers_matches_loky", True),
    ("tests/test_distributed.py::test_smoke_league_on_ray_matches_loky", True),
    ("tests/test_distributed.py::test_faulty_players_on_ray_lose_their_matches", True),
    ("tests/test_runner.py::test_resume_after_kill_gives_the_same_table", False),
    ("tests/test_runner.py::test_worker_killed_by_the_os_does_not_end_the_run", False),
    ("tests/test_runner.py::test_faulty_players_lose_their_matches_and_the_tournament_goes_on", False),
    ("tests/test_runner.py::test_same_table_with_one_and_two_jobs", False),
    ("tests/test_isolation_dask.py::test_hostile_players_on_dask", False),
    ("tests/test_isolation.py::test_no_worker_or_player_process_outlives_a_killed_runner", False),
    ("tests/test_isolation.py::test_a_player_ignoring_or_swallowing_the_timeout_cannot_hang_the_run", False),
    ("tests/test_isolation.py::test_base_exceptions_exits_and_closed_descriptors_are_blamed_faults", False),
    ("tests/test_isolation.py::test_a_player_cannot_kill_its_supervisor_or_the_runner_with_another_program", False),
    ("tests/test_isolation.py::test_a_player_flooding_stdout_and_stderr_is_a_non_event", False),
    ("tests/test_llm_cache.py::test_concurrent_processes_write_one_file", False),
    ("tests/test_llm_openai.py::test_openai_backend_plays_and_never_writes_the_key", False),
    ("tests/test_llm_openai.py::test_a_wrong_key_is_a_backend_fault_not_play", False),
]
RUN_TIMEOUT_S = 1800  # one pytest run of a file's selected tests; a hang counts as a failure for each


def run_once(nodes: list[str], env: dict, log: Path) -> tuple[dict[str, str], float]:
    """Outcome per node id ("pass", "fail", "error", "skip", "missing") of one pytest run of ``nodes``."""
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-m", "", *nodes], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        output = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        output = f"timed out after {RUN_TIMEOUT_S} s\n{exc.stdout or ''}{exc.stderr or ''}"
    outcomes = {}
    for node in nodes:
        outcome = "missing"
        # -rA prints one short-summary line per test: "PASSED node", "FAILED node - ...", "ERROR node - ..."
        for word, name in (("PASSED", "pass"), ("FAILED", "fail"), ("ERROR", "error"), ("SKIPPED", "skip")):
            if any(line.startswith(f"{word} {node}") for line in output.splitlines()):
                outcome = name if outcome in ("missing", "pass") else outcome
        outcomes[node] = outcome
    if any(o != "pass" for o in outcomes.values()):
        log.write_text(output)
    return outcomes, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=20, help="runs of each test in a row (default 20)")
    parser.add_argument("-k", dest="select", default="", help="only the tests whose node id contains this")
    parser.add_argument("--no-slow", action="store_true", help="leave out the slow (ray, LocalCluster) tests")
    parser.add_argument("--logs", type=Path, default=Path("/tmp/stress_races"),
                        help="where the output of failing runs goes (default /tmp/stress_races)")
    parser.add_argument("--list", action="store_true", help="print the tests and exit")
    args = parser.parse_args()
    tests = [node for node, slow in TESTS if args.select in node and not (slow and args.no_slow)]
    if args.list:
        print("\n".join(tests))
        return 0
    args.logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # One pytest process per file and run, as `make test` runs them: the tests of a
    # file share its module fixtures (one dask cluster for all), so order effects show too.
    files: dict[str, list[str]] = {}
    for node in tests:
        files.setdefault(node.split("::")[0], []).append(node)
    counts = {node: {"pass": 0, "fail": 0, "error": 0, "skip": 0, "missing": 0} for node in tests}
    for path, nodes in files.items():
        for i in range(args.runs):
            outcomes, seconds = run_once(nodes, env, args.logs / f"{Path(path).stem}.{i}.log")
            for node, outcome in outcomes.items():
                counts[node][outcome] += 1
            bad = {n.split("::")[-1]: o for n, o in outcomes.items() if o != "pass"}
            print(f"  {path} run {i + 1}/{args.runs}: {'all passed' if not bad else bad} "
                  f"({seconds:.0f} s, load {os.getloadavg()[0]:.2f})", flush=True)
        for node in nodes:
            print(f"{counts[node]['pass']}/{args.runs} passed  {node}", flush=True)
    print("\nsummary (passed / failed / errors / skipped / missing, of N runs in a row):")
    for node in tests:
        c = counts[node]
        print(f"{c['pass']:3d} / {c['fail']} / {c['error']} / {c['skip']} / {c['missing']} of {args.runs}  {node}")
    return 0 if all(c["pass"] == args.runs for c in counts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
