"""Run every test that kills processes or races a cluster, a server or other
processes N times in a row and print pass/fail counts per test.

Not part of `make test` (pytest collects only ``test_*.py``): a flaky test
shows up here as a count below N, with the output of each failing run kept.

    python tests/stress_races.py                 # 20 runs of each test
    python tests/stress_races.py -n 5 -k dask    # 5 runs of the tests whose id contains "dask"
    python tests/stress_races.py --list

Each run is a fresh `python -m pytest NODEID` process (fixtures such as the
dask cluster start from scratch every time, as on a fresh CI machine). Slow
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
    ("tests/test_llm_cache.py::test_concurrent_processes_write_one_file", False),
    ("tests/test_llm_openai.py::test_openai_backend_plays_and_never_writes_the_key", False),
    ("tests/test_llm_openai.py::test_a_wrong_key_loses_turns_not_the_match", False),
]
RUN_TIMEOUT_S = 900  # one pytest run; a hang counts as a failure


def run_once(node: str, env: dict, log: Path) -> tuple[str, float]:
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-m", "", node], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        output, code = proc.stdout + proc.stderr, proc.returncode
        # pytest exit codes: 0 passed, 1 failed, 2 interrupted, 3 internal error, 4 usage, 5 nothing collected
        outcome = "pass" if code == 0 and " passed" in output and "skipped" not in output else (
            "skip" if code == 0 else "fail")
    except subprocess.TimeoutExpired as exc:
        output = f"timed out after {RUN_TIMEOUT_S} s\n{exc.stdout or ''}{exc.stderr or ''}"
        outcome = "fail"
    if outcome != "pass":
        log.write_text(output if isinstance(output, str) else output.decode(errors="replace"))
    return outcome, time.monotonic() - started


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
    results = []
    for node in tests:
        counts = {"pass": 0, "fail": 0, "skip": 0}
        durations = []
        for i in range(args.runs):
            name = node.split("::")[-1]
            outcome, seconds = run_once(node, env, args.logs / f"{name}.{i}.log")
            counts[outcome] += 1
            durations.append(seconds)
            print(f"  {name} run {i + 1}/{args.runs}: {outcome} ({seconds:.1f} s, load {os.getloadavg()[0]:.2f})",
                  flush=True)
        results.append((node, counts, sum(durations) / len(durations)))
        print(f"{counts['pass']}/{args.runs} passed  {node}", flush=True)
    print("\nsummary (passed / failed / skipped of N runs, mean seconds a run):")
    for node, counts, mean in results:
        print(f"{counts['pass']:3d} / {counts['fail']:3d} / {counts['skip']:3d} of {args.runs}  {mean:6.1f} s  {node}")
    return 0 if all(c["fail"] == 0 and c["skip"] == 0 for _, c, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
