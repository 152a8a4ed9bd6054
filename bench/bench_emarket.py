"""E-market speed: the fast protocol loop against negmas ``SAOMechanism``, and
the cost of a Hypothesis-A sweep.

Run: ``.venv/bin/python bench/bench_emarket.py [--sims N] [--seller conceder|relative-tft]``.
CPU time throughout (the machine may be shared). Prints (1) microseconds per negotiation step of one buyer-seller thread under
``SAOMechanism`` and under the e-market loop (same two Faratin negotiators),
as a ratio; (2) simulations per second of CONAN over all 81 settings, and the
projected wall time of 81 settings x 100 simulations on 2 workers.
"""

from __future__ import annotations

import argparse
import itertools
import time

from negmas import SAOMechanism, make_issue

from players.conan import Conan
from players.emarket_base import IndependentThreadsBuyer
from players.faratin import RelativeTFT, TimeDependent
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.bilateral import FAST_SAO_OPTIONS
from tourney.worlds.emarket import EMarketWorld
from tourney.worlds.pricing import PriceUtility

SELLERS = {"conceder": (TimeDependent, {"beta": 20.0}), "relative-tft": (RelativeTFT, {})}


def sao_step_cost(n: int = 30, n_steps: int = 200) -> float:
    steps, seconds = 0, 0.0
    for i in range(n):
        mech = SAOMechanism(issues=[make_issue((0, 1000), "price")], n_steps=n_steps, **FAST_SAO_OPTIONS)
        mech.add(TimeDependent(beta=0.2), ufun=PriceUtility(300 + i, 500, outcome_space=mech.outcome_space))
        mech.add(TimeDependent(beta=0.2), ufun=PriceUtility(700, 480 + i, outcome_space=mech.outcome_space))
        started = time.process_time()
        state = mech.run()
        seconds += time.process_time() - started
        steps += state.step
    return 1e6 * seconds / steps


def loop_step_cost(n: int = 30) -> float:
    world = EMarketWorld(density=2, ratio=(1, 1), deadline=199.0, zoa=100, episodes=n,
                         competitor="random-buyer")
    seats = {
        "buyer": Seat("buyer", "B", "threads-buyer", IndependentThreadsBuyer,
                      {"tactic": "players.faratin:TimeDependent", "tactic_params": {"beta": 0.2}}),
        "seller": Seat("seller", "S", "boulware", TimeDependent, {"beta": 0.2}),
    }
    started = time.process_time()
    result = world.play(seats, 1, MatchContext(1))
    seconds = time.process_time() - started
    steps = sum(e["rounds"] for e in result.details["episodes"])
    return 1e6 * seconds / steps


def sweep(sims: int, seller: str) -> tuple[float, int]:
    cls, params = SELLERS[seller]
    seats = {"buyer": Seat("buyer", "CONAN", "conan", Conan, {}),
             "seller": Seat("seller", seller, seller, cls, params)}
    started, cpu = time.perf_counter(), time.process_time()
    n = 0
    for md, mr, zoa, t_end in itertools.product("HAL", "HAL", (100, 60, 10), ("Lg", "A", "Sh")):
        world = EMarketWorld(md=md, mr=mr, zoa=zoa, t_end=t_end, episodes=sims)
        world.play(seats, 7, MatchContext(7))
        n += sims
    return time.perf_counter() - started, time.process_time() - cpu, n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sims", type=int, default=1)
    parser.add_argument("--seller", default="conceder", choices=sorted(SELLERS))
    args = parser.parse_args()
    sao, loop = sao_step_cost(), loop_step_cost()
    print(f"one thread, per step: SAOMechanism {sao:.1f} us, e-market loop {loop:.1f} us "
          f"(ratio {sao / loop:.1f}x; the loop's figure includes both players' own work)")
    seconds, cpu, n = sweep(args.sims, args.seller)
    rate = n / cpu
    projected = 81 * 100 / rate / 2 / 60
    print(f"CONAN vs {args.seller}, 81 settings x {args.sims} simulations: {n} sims in {seconds:.1f} s wall, "
          f"{cpu:.1f} s CPU = {rate:.2f} sims per CPU second; 81 x 100 on 2 free cores ~ {projected:.1f} min")


if __name__ == "__main__":
    main()
