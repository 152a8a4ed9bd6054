"""The bilateral benchmark of issue 2: tourney against negmas' cartesian_tournament.

The same work three ways, in one run: six negmas negotiators (BoulwareTB,
ConcederTB, LinearTB, NaiveTitForTat, Aspiration, MiCRO) x five integer price
scenarios x every ordered (buyer, seller) pair, self-play included (36) x both
openers x ``--reps`` repetitions, ``n_steps = 100``: 36 x 5 x 2 x 5 = 1800
negotiations.

1. ``tourney run`` on a generated league (one bilateral world entry per
   scenario with degenerate price ranges, ``opener`` as the setting, self-play
   and both role orders on), with ``-j --jobs``, timed as a subprocess, start-up,
   scoring and report included.
2. ``negmas.tournaments.neg.cartesian_tournament`` on the same five scenarios
   with ``rotate_ufuns=True`` (the rotated scenario, ``<name>-1``, gives the
   seller's utility function to the first negotiator, who opens), ``self_play``,
   ``njobs=0`` (every core), scenario figures off, utility functions not
   normalised (tourney's ``PriceUtility`` as is).
3. A bare sequential loop of ``SAOMechanism.run()`` over the same negotiations,
   with negmas' defaults and with the mechanism the bilateral world uses
   (``LeanSAOMechanism`` with ``FAST_SAO_OPTIONS``). Each negotiation seeds the
   global generators with its tourney match seed first, as tourney's worker
   does, so MiCRO (which draws from ``random``) replays the same offers.

Outcomes are compared per (scenario, buyer, seller, opener): the sorted list
of (agreed price, rounds) over the repetitions. Bare loop and tourney must agree
everywhere; cartesian_tournament does not seed MiCRO per negotiation, so pairs
with MiCRO may differ there and are counted separately.

4. The floor: the same bare loop with every negotiator entry point (construction,
   ``join``, ``__call__``, each callback) timed in thread CPU seconds, the
   timer's own cost subtracted: the CPU the negotiators themselves need.

Targets (issue 16, target 1): tourney ``-j 2`` >= 6x faster than
cartesian_tournament by wall time, tourney's CPU per negotiation within 1.3x of
the floor's, identical (agreement, rounds) everywhere, MiCRO included (against
the bare loops; cartesian_tournament does not seed MiCRO). Printed as well: the
issue 2 ratio of tourney to (bare loop / cores).

Run: ``.venv/bin/python bench/bench_bilateral.py`` (``--help`` for options;
``make bench`` runs it). Scratch files go to a temporary directory.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

# cartesian_tournament would otherwise download a Chrome build to draw figures.
os.environ.setdefault("NEGMAS_AUTO_INSTALL_CHROME", "0")

ROOT = Path(__file__).resolve().parents[1]
N_STEPS = 100
NEGOTIATORS = {
    "BoulwareTB": "negmas.sao.BoulwareTBNegotiator",
    "ConcederTB": "negmas.sao.ConcederTBNegotiator",
    "LinearTB": "negmas.sao.LinearTBNegotiator",
    "NaiveTitForTat": "negmas.sao.NaiveTitForTatNegotiator",
    "Aspiration": "negmas.sao.AspirationNegotiator",
    "MiCRO": "negmas.sao.MiCRONegotiator",
}
RANDOMISED = {"MiCRO"}  # draws from the global ``random``


@dataclass(frozen=True)
class PriceScenario:
    """Fixed prices (one draw from ANEGMA Table 3 ranges per zone of agreement)."""

    name: str
    buyer_ip: int
    buyer_rp: int
    seller_ip: int
    seller_rp: int

    @property
    def issue_range(self) -> tuple[int, int]:
        # as the bilateral world builds its issue
        return min(self.buyer_ip, self.seller_rp), max(self.buyer_rp, self.seller_ip)

    def prices(self, role: str) -> tuple[int, int]:
        return (self.buyer_ip, self.buyer_rp) if role == "buyer" else (self.seller_ip, self.seller_rp)


SCENARIOS = [
    PriceScenario("zoa100a", 300, 500, 520, 320),
    PriceScenario("zoa100b", 340, 540, 545, 335),
    PriceScenario("zoa60a", 320, 510, 600, 400),
    PriceScenario("zoa60b", 345, 530, 625, 420),
    PriceScenario("zoa10", 310, 520, 700, 500),
]


def negotiator_class(name: str) -> type:
    module, _, cls = NEGOTIATORS[name].rpartition(".")
    return getattr(importlib.import_module(module), cls)


# --- the league tourney plays ---------------------------------------------------
def league_text(reps: int, seed: int = 2026) -> str:
    lines = [
        "name: bench-bilateral",
        f"seed: {seed}",
        f"repetitions: {reps}",
        "worlds:",
    ]
    for s in SCENARIOS:
        lines += [
            "  - type: bilateral",
            f"    params: {{n_steps: {N_STEPS}, episodes: 1, buyer_ip: [{s.buyer_ip}, {s.buyer_ip}], "
            f"buyer_rp: [{s.buyer_rp}, {s.buyer_rp}], seller_ip: [{s.seller_ip}, {s.seller_ip}], "
            f"seller_rp: [{s.seller_rp}, {s.seller_rp}]}}",
            "    settings: {opener: [buyer, seller]}",
        ]
    lines.append("players:")
    lines += [f"  - {{name: {name}, type: {path}}}" for name, path in NEGOTIATORS.items()]
    lines.append("format: {self_play: true, both_roles: true, timeout: 300}")
    lines.append("scoring: {metric: utility, aggregate: mean}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Negotiation:
    scenario: PriceScenario
    buyer: str
    seller: str
    opener: str
    rep: int
    seed: int  # the tourney match seed

    @property
    def pair(self) -> tuple[str, str, str, str]:
        return (self.scenario.name, self.buyer, self.seller, self.opener)


def negotiations(league_path: Path) -> list[Negotiation]:
    """The league's matches as plain negotiations (same order, same seeds)."""
    from tourney.league import load_league
    from tourney.schedule import build_schedule

    out = []
    for m in build_schedule(load_league(league_path)):
        a = m.assignment
        out.append(Negotiation(SCENARIOS[m.world_index], a["buyer"], a["seller"],
                               m.setting["opener"], m.rep, m.seed))
    return out


# --- 1. tourney ----------------------------------------------------------------------
class Clock:
    """Wall and CPU seconds since creation, CPU of this process and its reaped children.

    The machine may be shared: CPU seconds say how much work each run did
    whatever else was running, wall seconds what a user would wait. A child's
    CPU counts once the child is reaped (tourney's worker pool is shut down and
    reaped before tourney exits; so is cartesian_tournament's).
    """

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), self._cpu()

    @staticmethod
    def _cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, self._cpu() - self.cpu


def run_tourney(league_path: Path, run_dir: Path, jobs: int) -> tuple[float, dict, dict]:
    cmd = [sys.executable, "-m", "tourney.cli", "run", str(league_path), "-j", str(jobs),
           "--out", str(run_dir), "--fresh", "--quiet"]
    clock = Clock()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = clock.read()
    if done.returncode != 0:
        raise RuntimeError(f"tourney run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    from tourney.store import iter_records

    outcomes: dict = defaultdict(list)
    statuses: dict = defaultdict(int)
    for r in iter_records(run_dir):
        statuses[r["status"]] += 1
        if r["status"] != "ok":
            continue
        episode = r["details"]["episodes"][0]
        key = (SCENARIOS[r["world_index"]].name, r["assignment"]["buyer"], r["assignment"]["seller"],
               r["setting"]["opener"])
        outcomes[key].append((episode["agreement"], episode["rounds"]))
    manifest = json.loads((run_dir / "manifest.json").read_text())
    info = {"statuses": dict(statuses), "dispatch_s": manifest.get("elapsed_s"), "cpu_s": cpu}
    return wall, _sorted(outcomes), info


# --- 2. cartesian_tournament ------------------------------------------------------------
def run_cartesian(reps: int, path: Path, njobs: int) -> tuple[float, float, dict]:
    from negmas import make_issue, make_os
    from negmas.inout import Scenario
    from negmas.tournaments.neg import cartesian_tournament

    from tourney.worlds.pricing import PriceUtility

    scenarios = []
    for s in SCENARIOS:
        space = make_os([make_issue(s.issue_range, "price")], name=s.name)
        ufuns = tuple(PriceUtility(*s.prices(role), outcome_space=space, name=role)
                      for role in ("buyer", "seller"))
        scenarios.append(Scenario(outcome_space=space, ufuns=ufuns))
    names = {path: name for name, path in NEGOTIATORS.items()}
    clock = Clock()
    results = cartesian_tournament(
        [negotiator_class(n) for n in NEGOTIATORS], scenarios, n_repetitions=reps, path=path,
        njobs=njobs, n_steps=N_STEPS, self_play=True, rotate_ufuns=True, normalize_ufuns=False,
        save_scenario_figs=False, verbosity=0,
    )
    wall, cpu = clock.read()
    outcomes: dict = defaultdict(list)
    for _, row in results.details.iterrows():
        first, second = (names[_dotted_negmas(t)] for t in row["negotiator_types"])
        rotated = row["scenario"].endswith("-1")
        scenario = row["scenario"][:-2] if rotated else row["scenario"]
        buyer, seller = (second, first) if rotated else (first, second)
        opener = "seller" if rotated else "buyer"
        agreement = row["agreement"]
        price = None if agreement is None or agreement != agreement else int(agreement[0])
        outcomes[(scenario, buyer, seller, opener)].append((price, int(row["step"])))
    return wall, cpu, _sorted(outcomes)


def _dotted_negmas(type_path: str) -> str:
    """'negmas.gb.negotiators.micro.MiCRONegotiator' -> 'negmas.sao.MiCRONegotiator'."""
    return "negmas.sao." + type_path.rpartition(".")[2]


# --- 3. the bare loop -------------------------------------------------------------------
def bare_negotiation(n: Negotiation, mechanism_cls: type, options: dict,
                     classes: Callable[[str], type] = negotiator_class) -> tuple[int | None, int]:
    """One negotiation as the bilateral world plays it, without tourney."""
    from negmas import make_issue

    from tourney.seeding import seed_globals
    from tourney.worlds.pricing import PriceUtility

    seed_globals(n.seed)
    mechanism = mechanism_cls(issues=[make_issue(n.scenario.issue_range, "price")], n_steps=N_STEPS,
                              **options)
    players = {"buyer": n.buyer, "seller": n.seller}
    for role in (n.opener, "seller" if n.opener == "buyer" else "buyer"):
        negotiator = classes(players[role])(name=f"{role}:{players[role]}")
        mechanism.add(negotiator, ufun=PriceUtility(*n.scenario.prices(role),
                                                    outcome_space=mechanism.outcome_space))
    state = mechanism.run()
    return (None if state.agreement is None else state.agreement[0]), state.step


# --- 4. the floor: CPU spent inside the negotiators' own methods -----------------------
# Every entry point through which the world or the mechanism runs negotiator code:
# construction, joining (sets the utility function, whose change callbacks run),
# the per-offer call (respond + propose) and every callback. Nested entries
# (a callback calling another) are counted once, at the outermost.
ENTRY_POINTS = ("__init__", "join", "__call__", "_on_negotiation_start", "_on_negotiation_end",
                "on_round_start", "on_round_end", "on_partner_response", "on_partner_proposal",
                "on_mechanism_error", "on_leave", "on_negotiator_left", "cancel")


class FloorClock:
    """Thread CPU seconds spent inside negotiator entry points, and how many entries."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.entries = 0
        self._depth = 0

    def timed(self, method):
        clock = time.thread_time_ns

        def wrapper(*args, **kwargs):
            if self._depth:
                return method(*args, **kwargs)
            self._depth = 1
            start = clock()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += (clock() - start) / 1e9
                self.entries += 1
                self._depth = 0

        wrapper.__name__ = getattr(method, "__name__", "wrapper")
        return wrapper

    def overhead_per_entry(self, samples: int = 20000) -> float:
        """What the two clock reads of one entry cost (measured on a no-op, subtracted from the floor)."""
        probe = FloorClock()
        noop = probe.timed(lambda: None)
        start = time.thread_time_ns()
        for _ in range(samples):
            noop()
        total = (time.thread_time_ns() - start) / 1e9
        bare_start = time.thread_time_ns()
        for _ in range(samples):
            (lambda: None)()
        bare = (time.thread_time_ns() - bare_start) / 1e9
        # the part of an entry's cost that lands inside the measured interval is about half of it
        return max(0.0, total - bare) / samples / 2


def timed_class(cls: type, clock: FloorClock) -> type:
    """A subclass of ``cls`` (same name) whose entry points add their CPU time to ``clock``."""
    body = {name: clock.timed(getattr(cls, name)) for name in ENTRY_POINTS if hasattr(cls, name)}
    return type(cls.__name__, (cls,), {**body, "__module__": cls.__module__, "__qualname__": cls.__qualname__})


def run_floor(work: list[Negotiation], mechanism_cls: type, options: dict) -> tuple[float, float, int, dict]:
    """The bare loop with timed negotiators: (floor CPU s, overhead-corrected, entries, outcomes)."""
    clock = FloorClock()
    classes = {name: timed_class(negotiator_class(name), clock) for name in NEGOTIATORS}
    outcomes: dict = defaultdict(list)
    for n in work:
        outcomes[n.pair].append(bare_negotiation(n, mechanism_cls, options, classes.get))
    corrected = clock.seconds - clock.entries * clock.overhead_per_entry()
    return clock.seconds, corrected, clock.entries, _sorted(outcomes)


def run_bare(work: list[Negotiation], mechanism_cls: type, options: dict) -> tuple[float, float, dict]:
    outcomes: dict = defaultdict(list)
    clock = Clock()
    for n in work:
        outcomes[n.pair].append(bare_negotiation(n, mechanism_cls, options))
    wall, cpu = clock.read()
    return wall, cpu, _sorted(outcomes)


def _sorted(outcomes: dict) -> dict:
    return {k: sorted(v, key=lambda x: (x[0] is None, x[0] or 0, x[1])) for k, v in outcomes.items()}


def compare(a: dict, b: dict) -> dict:
    """Pairs with identical outcome lists, split by whether a randomised negotiator plays."""
    out = {"same": 0, "differ": 0, "same_randomised": 0, "differ_randomised": 0, "differing": []}
    for key in sorted(set(a) | set(b)):
        suffix = "_randomised" if RANDOMISED & set(key[1:3]) else ""
        if a.get(key) == b.get(key):
            out["same" + suffix] += 1
        else:
            out["differ" + suffix] += 1
            if not suffix:
                out["differing"].append(key)
    return out


def agreement_rate(outcomes: dict) -> float:
    flat = [o for v in outcomes.values() for o in v]
    return sum(o[0] is not None for o in flat) / len(flat) if flat else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="tourney -j and the cores the bare loop is divided by")
    parser.add_argument("--cartesian-njobs", type=int, default=0, help="cartesian_tournament njobs (0: every core)")
    parser.add_argument("--skip-cartesian", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)

    from negmas import SAOMechanism

    from tourney.worlds.bilateral import FAST_SAO_OPTIONS, SAO_MECHANISM

    with tempfile.TemporaryDirectory(prefix="bench-bilateral-") as tmp:
        tmp = Path(tmp)
        league_path = tmp / "bench-bilateral.yaml"
        league_path.write_text(league_text(args.reps))
        work = negotiations(league_path)
        n = {"negotiations": len(work), "cores": args.jobs, "load_start": os.getloadavg()[0]}
        print(f"{len(work)} negotiations; -j {args.jobs}; {os.cpu_count()} cores; "
              f"load average {n['load_start']:.2f} at start", flush=True)

        n["bare_default_s"], n["bare_default_cpu"], bare_default = run_bare(work, SAOMechanism, {})
        print(f"bare loop, negmas defaults: {n['bare_default_s']:.1f} s", flush=True)
        n["bare_s"], n["bare_cpu"], bare = run_bare(work, SAO_MECHANISM, FAST_SAO_OPTIONS)
        print(f"bare loop, {SAO_MECHANISM.__name__}(**{FAST_SAO_OPTIONS}): {n['bare_s']:.1f} s", flush=True)
        n["floor_raw_cpu"], n["floor_cpu"], n["floor_entries"], floor = run_floor(work, SAO_MECHANISM,
                                                                                 FAST_SAO_OPTIONS)
        print(f"negotiators' own CPU (the floor): {n['floor_cpu']:.1f} s ({n['floor_raw_cpu']:.1f} s measured, "
              f"{n['floor_entries']} entries)", flush=True)
        n["tourney_s"], tourney, info = run_tourney(league_path, tmp / "run", args.jobs)
        n["tourney_cpu"], n["tourney_dispatch_s"] = info["cpu_s"], info["dispatch_s"]
        print(f"tourney run -j {args.jobs}: {n['tourney_s']:.1f} s ({info['dispatch_s']} s playing matches); "
              f"statuses {info['statuses']}", flush=True)
        n["agreement_rate"] = agreement_rate(tourney)
        n["tourney_vs_bare"] = compare(tourney, bare)
        n["bare_vs_bare_default"] = compare(bare, bare_default)
        n["floor_vs_bare"] = compare(floor, bare)
        if not args.skip_cartesian:
            n["cartesian_s"], n["cartesian_cpu"], cartesian = run_cartesian(
                args.reps, tmp / "cartesian", args.cartesian_njobs)
            print(f"cartesian_tournament njobs={args.cartesian_njobs}: {n['cartesian_s']:.1f} s", flush=True)
            n["tourney_vs_cartesian"] = compare(tourney, cartesian)
        n["load_end"] = os.getloadavg()[0]

    print()
    print(report(n))
    if args.json:
        args.json.write_text(json.dumps(n, indent=2, default=str))
    return 0


def report(n: dict) -> str:
    """Markdown: wall and CPU seconds per run, the two targets, outcome checks."""
    cores, count = n["cores"], n["negotiations"]
    lines = [
        f"load average {n['load_start']:.2f} at start, {n['load_end']:.2f} at end "
        f"({os.cpu_count()} cores)",
        "",
        "| run | wall s | CPU s | wall ms/negotiation | CPU ms/negotiation |",
        "|---|---:|---:|---:|---:|",
    ]
    runs = [(f"tourney run -j {cores}", "tourney"), ("cartesian_tournament", "cartesian"),
            ("bare loop, negmas defaults", "bare_default"), ("bare loop, tourney's mechanism", "bare")]
    for label, key in runs:
        if f"{key}_s" in n:
            wall, cpu = n[f"{key}_s"], n[f"{key}_cpu"]
            lines.append(f"| {label} | {wall:.1f} | {cpu:.1f} | {wall / count * 1000:.2f} | "
                         f"{cpu / count * 1000:.2f} |")
    lines.append("")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    if "cartesian_s" in n:
        ratio = n["cartesian_s"] / n["tourney_s"]
        lines.append(f"- cartesian_tournament / tourney, wall: {ratio:.2f}x (target >= 6x: {verdict(ratio >= 6)}); "
                     f"CPU: {n['cartesian_cpu'] / n['tourney_cpu']:.2f}x")
    for label, key in (("negmas defaults", "bare_default"), ("tourney's mechanism", "bare")):
        wall = n["tourney_s"] / (n[f"{key}_s"] / cores)
        cpu = n["tourney_cpu"] / n[f"{key}_cpu"]
        lines.append(f"- tourney / (bare loop with {label} / {cores} cores), wall: {wall:.2f} "
                     f"(target <= 1.15: {verdict(wall <= 1.15)}); CPU: tourney / bare loop = {cpu:.2f}")
    if "floor_cpu" in n:
        per = n["tourney_cpu"] / count * 1000
        floor = n["floor_cpu"] / count * 1000
        ratio = per / floor
        lines.append(f"- tourney CPU per negotiation / negotiators' own CPU per negotiation: {per:.2f} / {floor:.2f} ms "
                     f"= {ratio:.2f} (target <= 1.3: {verdict(ratio <= 1.3)}); bare loop with tourney's mechanism: "
                     f"{n['bare_cpu'] / n['floor_cpu']:.2f}; floor measured with {n['floor_entries']} timed entries, "
                     f"{n['floor_raw_cpu'] / count * 1000:.2f} ms before subtracting the timer's cost")
    lines.append(f"- agreement rate: {n['agreement_rate']:.3f}")
    for label, key in (("tourney vs bare loop", "tourney_vs_bare"),
                       ("bare loop, tourney's mechanism vs negmas defaults", "bare_vs_bare_default"),
                       ("timed negotiators (floor) vs bare loop", "floor_vs_bare"),
                       ("tourney vs cartesian_tournament", "tourney_vs_cartesian")):
        if key in n:
            c = n[key]
            lines.append(f"- same outcomes per (scenario, buyer, seller, opener), {label}: "
                         f"{c['same']}/{c['same'] + c['differ']} pairs without MiCRO, "
                         f"{c['same_randomised']}/{c['same_randomised'] + c['differ_randomised']} with MiCRO"
                         + (f"; differing: {c['differing'][:5]}" if c["differing"] else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
