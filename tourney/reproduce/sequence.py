"""Run the `make reproduce-*` targets one after another, timing each (`make reproduce` calls this).

``python -m tourney.reproduce.sequence TARGET...`` runs ``make TARGET`` for
each in the order given (the Makefile's), under the reproduction id of the
calling `make` (``TOURNEY_REPRODUCE_ID``), and after each writes
``results/reproduce-timing.json``: per target its start, finish, wall time and
the CPU time of the processes it ran (those that ended, as the kernel counts
them for a parent), with the machine's core count and load. The collector reads
it for the end-to-end time. The first target that fails stops the sequence with
its exit status, its partial timing written.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tourney.reproduce.collect import TIMING_NAME
from tourney.runner import REPRODUCE_ID_VAR
from tourney.store import now


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_targets(targets: list[str], root: Path = Path("."), make: str = "make") -> int:
    """Run each target; the exit status of the first that fails, else 0."""
    reproduce_id = os.environ.get(REPRODUCE_ID_VAR)
    if not reproduce_id:
        print(f"error: {REPRODUCE_ID_VAR} is not set: run this through `make reproduce`", file=sys.stderr)
        return 2
    done: list[dict[str, Any]] = []
    timing: dict[str, Any] = {"reproduce_id": reproduce_id, "cores": os.cpu_count(), "load": round(os.getloadavg()[0], 1),
              "started": now(), "finished": None, "targets": done}
    path = root / TIMING_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    for target in targets:
        started, wall0, cpu0 = now(), time.perf_counter(), _children_cpu()
        code = subprocess.run([make, "--no-print-directory", target], cwd=root).returncode
        wall, cpu = time.perf_counter() - wall0, _children_cpu() - cpu0
        done.append({"target": target, "started": started, "finished": now(),
                                  "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "returncode": code})
        _write(path, timing)
        print(f"{target}: {wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU"
              + ("" if code == 0 else f", failed (exit {code})"), flush=True)
        if code != 0:
            return code
    timing["finished"] = now()
    _write(path, timing)
    total = sum(t["wall_s"] for t in done)
    print(f"make reproduce {reproduce_id}: {len(targets)} targets in {total / 60:.1f} min wall "
          f"on {timing['cores']} cores", flush=True)
    return 0


def _write(path: Path, timing: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(timing, indent=2) + "\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tourney.reproduce.sequence",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="+")
    parser.add_argument("--make", default=os.environ.get("MAKE", "make"), help="the make program")
    args = parser.parse_args(argv)
    raise SystemExit(run_targets(args.targets, make=args.make))


if __name__ == "__main__":
    main()
