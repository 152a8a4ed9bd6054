"""Write the small GENIUS domains beside this script (run from the repo root:
``python leagues/genius-domains/make_domains.py``).

Each domain is drawn by negmas' ``generate_multi_issue_ufuns`` (through
``tourney.worlds.scenario_generators.multi_issue``) from a fixed seed, then
written with negmas' ``Scenario.to_genius_folder``: one ``<negotiation_template>``
domain file and two ``<utility_space>`` profiles (linear additive, with their
reservation values), the format GENIUS reads. Rerunning the script rewrites the
same files byte for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from negmas.inout import Scenario

from tourney.worlds.scenario_generators import multi_issue

HERE = Path(__file__).resolve().parent
# name: (seed, issues, values per issue, Pareto shapes, reserved-value range)
DOMAINS = {
    "Holiday2": (11, 2, 5, ["piecewise_linear"], [0.1, 0.4]),
    "Laptop3": (12, 3, [3, 4], ["curve"], [0.0, 0.3]),
    "Contract4": (13, 4, 3, ["piecewise_linear", "curve"], [0.2, 0.5]),
    "Split1": (14, 1, 21, ["zero_sum"], [0.0, 0.2]),
}


def make(name: str, seed: int, issues: int, values, pareto, reserved) -> Scenario:
    s = multi_issue(1, seed, issues=issues, values=values, pareto=pareto, reserved=reserved, name=name)[0]
    s.outcome_space = type(s.outcome_space)(issues=s.outcome_space.issues, name=name)
    for u, side in zip(s.ufuns, ("a", "b")):
        u.name = f"{name}-{side}"
    return s


def main() -> None:
    for name, args in DOMAINS.items():
        folder = HERE / name
        if folder.exists():
            shutil.rmtree(folder)
        make(name, *args).to_genius_folder(folder)
        print(folder)


if __name__ == "__main__":
    main()
