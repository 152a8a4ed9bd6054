"""I-Help benchmark: what the influence diagram and the opponent model cost.

Measures, on this machine:

1. one Approach-2/3 decision solved by pyAgrum (``DecisionDiagram.decide``:
   fill the chance and utility tables, ShaferShenoyLIMIDInference);
2. one opponent-model prediction (``OpponentModel.predict``) with 0, 2 and 6
   mispredicted moves as evidence nodes of the Bayesian network;
3. one negotiation run of the ``ihelp`` world per approach pair (self-play),
   beside the bare negmas mechanism time of the same run.

Target (issue 6: "use pyAgrum if it is fast enough per decision"): a decision
and a prediction each well under a millisecond-scale budget beside a
negotiation round; we flag anything above 5 ms.

Run: ``.venv/bin/python bench/bench_ihelp.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from players.ihelp import Approach1, Approach2, Approach3
from players.ihelp.decision import UNIFORM, DecisionDiagram
from players.ihelp.opponent import OpponentModel
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.ihelp import IHelpWorld

BUDGET_MS = 5.0


def _time(fn, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    rows = []

    diagram = DecisionDiagram()
    table = {"accept": dict.fromkeys(UNIFORM, 0.6), "reject": dict.fromkeys(UNIFORM, 0.2),
             "counter": {"accept": 0.9, "reject": 0.1, "counter": 0.5}}
    rows.append(("influence diagram decision (pyAgrum)", _time(lambda: diagram.decide(table, UNIFORM), args.repeats)))

    for n_evidence in (0, 2, 6):
        model = OpponentModel("seller", 20.0, 26.0)
        for i in range(n_evidence):
            model.predict(counter=23.5 - 0.1 * i, last_offer=24.0 - 0.1 * i)
            model.pending_ = (model.pending_[0], "accept")  # force a mismatch
            model.observe("counter")
        assert len(model.evidence_) == n_evidence
        rows.append((f"opponent model prediction, {n_evidence} updates",
                     _time(lambda: model.predict(counter=22.0, last_offer=23.0), max(20, args.repeats // 4))))

    classes = {1: Approach1, 2: Approach2, 3: Approach3}
    warm = {"buyer": Seat("buyer", "B", "b", Approach1), "seller": Seat("seller", "S", "s", Approach1)}
    IHelpWorld(runs=1).play(warm, 1, MatchContext(1))  # first-use costs inside negmas
    for approach, cls in classes.items():
        world = IHelpWorld(session="S3", preferences=4, runs=15)
        seats = {"buyer": Seat("buyer", "B", "b", cls), "seller": Seat("seller", "S", "s", cls)}
        start = time.perf_counter()
        result = world.play(seats, 1, MatchContext(1))
        total = time.perf_counter() - start
        mechanism = sum(r["seconds"] for r in result.details["runs"])
        rounds = statistics.fmean(r["rounds"] for r in result.details["runs"])
        rows.append((f"A{approach} vs A{approach}, S3: ms per run ({rounds:.1f} rounds; "
                     f"mechanism.run {1e3 * mechanism / 15:.2f} ms)", 1e3 * total / 15))

    width = max(len(name) for name, _ in rows)
    over = False
    for name, ms in rows:
        flag = ""
        if name.startswith(("influence", "opponent")) and ms > BUDGET_MS:
            flag, over = "  OVER BUDGET", True
        print(f"{name:<{width}}  {ms:8.3f} ms{flag}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
