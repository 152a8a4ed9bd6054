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

Targets (issue 2): tourney >= 3x faster than cartesian_tournament, and tourney
within 1.15x of (bare loop time / cores).

Run: ``.venv/bin/python bench/bench_bilateral.py`` (``--help`` for options;
``make bench`` runs it). Scratch files go to a temporary directory.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

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
def run_tourney(league_path: Path, run_dir: Path, jobs: int) -> tuple[float, dict, dict]:
    cmd = [sys.executable, "-m", "tourney.cli", "run", str(league_path), "-j", str(jobs),
           "--out", str(run_dir), "--fresh", "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
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
    info = {"statuses": dict(statuses), "dispatch_s": manifest.get("elapsed_s")}
    return wall, _sorted(outcomes), info


# --- 2. cartesian_tournament ------------------------------------------------------------
def run_cartesian(reps: int, path: Path, njobs: int) -> tuple[float, dict]:
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
    started = time.perf_counter()
    results = cartesian_tournament(
        [negotiator_class(n) for n in NEGOTIATORS], scenarios, n_repetitions=reps, path=path,
        njobs=njobs, n_steps=N_STEPS, self_play=True, rotate_ufuns=True, normalize_ufuns=False,
        save_scenario_figs=False, verbosity=0,
    )
    wall = time.perf_counter() - started
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
    return wall, _sorted(outcomes)


def _dotted_negmas(type_path: str) -> str:
    """'negmas.gb.negotiators.micro.MiCRONegotiator' -> 'negmas.sao.MiCRONegotiator'."""
    return "negmas.sao." + type_path.rpartition(".")[2]


# --- 3. the bare loop -------------------------------------------------------------------
def bare_negotiation(n: Negotiation, mechanism_cls: type, options: dict) -> tuple[int | None, int]:
    """One negotiation as the bilateral world plays it, without tourney."""
    from negmas import make_issue

    from tourney.seeding import seed_globals
    from tourney.worlds.pricing import PriceUtility

    seed_globals(n.seed)
    mechanism = mechanism_cls(issues=[make_issue(n.scenario.issue_range, "price")], n_steps=N_STEPS,
                              **options)
    players = {"buyer": n.buyer, "seller": n.seller}
    for role in (n.opener, "seller" if n.opener == "buyer" else "buyer"):
        negotiator = negotiator_class(players[role])(name=f"{role}:{players[role]}")
        mechanism.add(negotiator, ufun=PriceUtility(*n.scenario.prices(role),
                                                    outcome_space=mechanism.outcome_space))
    state = mechanism.run()
    return (None if state.agreement is None else state.agreement[0]), state.step


def run_bare(work: list[Negotiation], mechanism_cls: type, options: dict) -> tuple[float, dict]:
    outcomes: dict = defaultdict(list)
    started = time.perf_counter()
    for n in work:
        outcomes[n.pair].append(bare_negotiation(n, mechanism_cls, options))
    return time.perf_counter() - started, _sorted(outcomes)


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
        print(f"{len(work)} negotiations; {os.cpu_count()} cores; load average "
              f"{os.getloadavg()[0]:.2f} at start", flush=True)

        bare_default_s, bare_default = run_bare(work, SAOMechanism, {})
        print(f"bare loop, negmas defaults: {bare_default_s:.1f} s "
              f"({bare_default_s / len(work) * 1000:.1f} ms/negotiation)", flush=True)
        bare_s, bare = run_bare(work, SAO_MECHANISM, FAST_SAO_OPTIONS)
        print(f"bare loop, {SAO_MECHANISM.__name__}({FAST_SAO_OPTIONS}): {bare_s:.1f} s "
              f"({bare_s / len(work) * 1000:.1f} ms/negotiation)", flush=True)

        tourney_s, tourney, info = run_tourney(league_path, tmp / "run", args.jobs)
        print(f"tourney run -j {args.jobs}: {tourney_s:.1f} s wall ({info['dispatch_s']} s dispatching "
              f"matches); statuses {info['statuses']}", flush=True)

        numbers = {
            "negotiations": len(work), "cores": args.jobs, "bare_default_s": bare_default_s,
            "bare_s": bare_s, "tourney_s": tourney_s, "tourney_dispatch_s": info["dispatch_s"],
            "agreement_rate": agreement_rate(tourney),
            "tourney_vs_bare": compare(tourney, bare),
            "bare_vs_bare_default": compare(bare, bare_default),
        }
        if not args.skip_cartesian:
            cartesian_s, cartesian = run_cartesian(args.reps, tmp / "cartesian", args.cartesian_njobs)
            print(f"cartesian_tournament njobs={args.cartesian_njobs}: {cartesian_s:.1f} s", flush=True)
            numbers.update(cartesian_s=cartesian_s, tourney_vs_cartesian=compare(tourney, cartesian),
                           cartesian_agreement_rate=agreement_rate(cartesian))

    print()
    print(report(numbers))
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2, default=str))
    return 0


def report(n: dict) -> str:
    cores = n["cores"]
    lines = [
        f"| run | wall s | ms/negotiation | tourney speed-up |",
        f"|---|---:|---:|---:|",
    ]

    def row(name, seconds, per_core=False):
        ms = seconds / n["negotiations"] * 1000
        lines.append(f"| {name} | {seconds:.1f} | {ms:.2f} | {seconds / n['tourney_s']:.2f}x |")

    row(f"tourney run -j {cores}", n["tourney_s"])
    if "cartesian_s" in n:
        row("cartesian_tournament", n["cartesian_s"])
    row("bare loop, negmas defaults (sequential)", n["bare_default_s"])
    row("bare loop, tourney's mechanism (sequential)", n["bare_s"])
    row(f"bare loop, negmas defaults / {cores} cores", n["bare_default_s"] / cores)
    row(f"bare loop, tourney's mechanism / {cores} cores", n["bare_s"] / cores)
    lines.append("")
    if "cartesian_s" in n:
        ratio = n["cartesian_s"] / n["tourney_s"]
        lines.append(f"- tourney vs cartesian_tournament: {ratio:.2f}x faster (target >= 3x): "
                     f"{'met' if ratio >= 3 else 'NOT met'}")
    for label, bare in (("negmas defaults", n["bare_default_s"]), ("tourney's mechanism", n["bare_s"])):
        ratio = n["tourney_s"] / (bare / cores)
        lines.append(f"- tourney / (bare loop with {label} / {cores} cores) = {ratio:.2f} "
                     f"(target <= 1.15): {'met' if ratio <= 1.15 else 'NOT met'}")
    lines.append(f"- agreement rate (tourney): {n['agreement_rate']:.3f}")
    for label, key in (("tourney vs bare loop", "tourney_vs_bare"),
                       ("bare loop: tourney's mechanism vs negmas defaults", "bare_vs_bare_default"),
                       ("tourney vs cartesian_tournament", "tourney_vs_cartesian")):
        if key in n:
            c = n[key]
            lines.append(f"- same outcomes per (scenario, buyer, seller, opener), {label}: "
                         f"{c['same']}/{c['same'] + c['differ']} without MiCRO, "
                         f"{c['same_randomised']}/{c['same_randomised'] + c['differ_randomised']} with MiCRO"
                         + (f"; differing: {c['differing'][:5]}" if c["differing"] else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
