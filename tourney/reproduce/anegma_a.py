"""Reproduce ANEGMA (Bagga et al.) Hypothesis A (section 5.2.1, Figures 2-3) and
Table 4 (CONAN vs Williams) from the match logs of
``leagues/anegma-hypothesis-a.yaml`` (``hypothesis_a``) and
``leagues/anegma-table4.yaml`` (``table4``).

Every e-market match logs one summary per simulation (episode); S% here is
the share of simulations in which the buyer under test bought, pooled over the
matches of a cell, U_avg and T_avg are means over the successful simulations
(Table 2), with the standard deviation over those simulations after ``+-`` (the
paper does not say what its ``+-`` is). Sellers are grouped by their league
``type``: linear, conceder, boulware, time-dependent -> time-dependent;
relative-tft, random-tft, averaged-tft -> behaviour-dependent.

The paper gives Figures 2-3 as bar charts without numbers; its column for
Hypothesis A is therefore its text: "when MD is low, the agents reach more
negotiation agreements", little difference between ZoA 60 % and 100 % at low
MD, "very low number of successful negotiations for 10 % ZoA", MR and t_end
"a comparably minor impact". The claims are checked as:

- S% falls as MD rises: marginal S% at MD L > A > H, in each seller group;
- ZoA 10 % gives very few agreements: marginal S% at ZoA 10 % is below 25 %
  and below half of that at 100 %;
- MR and t_end matter less: the spread (max - min over the three levels) of
  the marginal S% of MR and of t_end is below the spreads of MD and of ZoA;
- Table 4: CONAN >= Williams on U_avg and on S% in each of the four cells.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from tourney.records import MatchRecord
from tourney.run_reader import Run, read_run

TIME_DEPENDENT = {"linear", "conceder", "boulware", "time-dependent"}
BEHAVIOUR_DEPENDENT = {"relative-tft", "random-tft", "averaged-tft"}
LEVELS = {"md": ["L", "A", "H"], "mr": ["L", "A", "H"], "zoa": [100, 60, 10], "t_end": ["Sh", "A", "Lg"]}
LABELS = {"md": "market density MD", "mr": "market ratio MR", "zoa": "zone of agreement ZoA (%)",
          "t_end": "buyer deadline t_end"}

# Table 4 of the paper: (seller, ZoA) -> buyer -> (U_avg, +-, T_avg ms, +-, S%)
PAPER_TABLE4 = {
    ("conceder", 60): {"CONAN": (0.27, 0.03, 172942.78, 15177.77, 80.76),
                       "Williams": (0.18, 0.08, 177091.09, 15304.90, 78.21)},
    ("conceder", 100): {"CONAN": (0.25, 0.07, 174611.43, 15139.52, 79.08),
                        "Williams": (0.17, 0.04, 174468.31, 15365.11, 78.05)},
    ("relative-tft", 60): {"CONAN": (0.25, 0.03, 175198.93, 14193.23, 80.69),
                           "Williams": (0.22, 0.05, 176334.65, 14683.03, 73.00)},
    ("relative-tft", 100): {"CONAN": (0.24, 0.04, 179529.47, 14651.15, 79.90),
                            "Williams": (0.21, 0.06, 176468.31, 15365.11, 73.21)},
}


def _ok(run: Run) -> list[MatchRecord]:
    return list(run.records("emarket", ok=True))


def _failed(run: Run) -> int:
    return sum(1 for _ in run.records(ok=False))


def _group(seller_type: str) -> str | None:
    if seller_type in TIME_DEPENDENT:
        return "time-dependent"
    if seller_type in BEHAVIOUR_DEPENDENT:
        return "behaviour-dependent"
    return None


def _s_pct(episodes: list[dict]) -> float:
    return 100.0 * sum(e["success"] for e in episodes) / len(episodes) if episodes else float("nan")


def _cells(run: Run) -> tuple[dict, int]:
    """(group, md, mr, zoa, t_end) -> episodes; and the number of failed matches."""
    types = run.player_types()
    base = run.world_params("emarket")
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for r in _ok(run):
        group = _group(types.get(r.assignment["seller"], ""))
        if group is None:
            continue
        setting = {**base, **r.setting}
        key = (group, setting.get("md", "L"), setting.get("mr", "H"), setting.get("zoa", 100),
               setting.get("t_end", "Lg"))
        cells[key].extend(r.details["episodes"])
    return cells, _failed(run)


def _marginal(cells: dict, group: str, factor: str) -> dict:
    index = ["md", "mr", "zoa", "t_end"].index(factor)
    out = {}
    for level in LEVELS[factor]:
        eps = [e for key, v in cells.items() if key[0] == group and key[index + 1] == level for e in v]
        out[level] = (_s_pct(eps), len(eps))
    return out


def _two_way(cells: dict, group: str, f1: str, f2: str) -> dict:
    i1, i2 = ["md", "mr", "zoa", "t_end"].index(f1) + 1, ["md", "mr", "zoa", "t_end"].index(f2) + 1
    out = {}
    for a in LEVELS[f1]:
        for b in LEVELS[f2]:
            eps = [e for key, v in cells.items() if key[0] == group and key[i1] == a and key[i2] == b for e in v]
            out[(a, b)] = _s_pct(eps)
    return out


def _bars(ax, table: dict, f1: str, f2: str, title: str) -> None:
    import numpy as np

    x = np.arange(len(LEVELS[f1]))
    width = 0.8 / len(LEVELS[f2])
    for j, b in enumerate(LEVELS[f2]):
        ax.bar(x + (j - 1) * width, [table[(a, b)] for a in LEVELS[f1]], width,
               label=f"{f2.upper() if f2 != 'zoa' else 'ZoA'} {b}{'%' if f2 == 'zoa' else ''}")
    ax.set_xticks(x, [f"MD {a}" for a in LEVELS[f1]])
    ax.set_ylim(0, 118)
    ax.set_ylabel("S% (successful negotiations)")
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=3, loc="upper center")


def _figure(cells: dict, groups: list[str], f2: str, path: Path, caption: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(groups), figsize=(5.5 * len(groups), 4), squeeze=False)
    for ax, group in zip(axes[0], groups):
        _bars(ax, _two_way(cells, group, "md", f2), "md", f2, f"{group} sellers")
    fig.suptitle(caption)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _yes(flag: bool) -> str:
    return "yes" if flag else "**no**"


def hypothesis_a(run_dir: Path) -> str:
    run_dir = Path(run_dir)
    cells, failed = _cells(read_run(run_dir))
    groups = [g for g in ("time-dependent", "behaviour-dependent") if any(k[0] == g for k in cells)]
    if not groups:
        return f"# ANEGMA Hypothesis A\n\nNo finished e-market matches in {run_dir}.\n"
    plots = run_dir / "plots"
    _figure(cells, groups, "zoa", plots / "anegma-fig2-md-zoa.png",
            "S% by market density and zone of agreement (cf. ANEGMA Figure 2)")
    _figure(cells, groups, "mr", plots / "anegma-fig3-md-mr.png",
            "S% by market density and market ratio (cf. ANEGMA Figure 3)")
    n_eps = sum(len(v) for v in cells.values())
    per_cell = sorted({len(v) for v in cells.values()})
    lines = [
        "# ANEGMA Hypothesis A: what drives the success of CONAN's negotiations",
        "",
        f"Run: `{run_dir}`; {len(cells)} cells (seller group x 81 settings), {n_eps} simulations "
        f"({per_cell[0]}-{per_cell[-1]} per cell; the paper: 500 per setting), {failed} failed matches.",
        "",
        "Plots: `plots/anegma-fig2-md-zoa.png` (Figure 2), `plots/anegma-fig3-md-mr.png` (Figure 3).",
        "",
    ]
    checks = []
    for group in groups:
        lines += [f"## {group} sellers", "", "Marginal S% (simulations pooled over the other three factors):", "",
                  "| factor | levels | S% per level | spread |", "|---|---|---|---|"]
        spreads = {}
        margins = {}
        for factor in ("md", "zoa", "mr", "t_end"):
            m = _marginal(cells, group, factor)
            margins[factor] = m
            values = [v for v, _ in m.values()]
            spreads[factor] = max(values) - min(values)
            lines.append(f"| {LABELS[factor]} | {' / '.join(map(str, LEVELS[factor]))} | "
                         f"{' / '.join(f'{v:.1f}' for v in values)} | {spreads[factor]:.1f} |")
        lines.append("")
        for f2 in ("zoa", "mr"):
            table = _two_way(cells, group, "md", f2)
            lines += [f"S% by MD x {f2.upper() if f2 != 'zoa' else 'ZoA'}:", "",
                      "| MD | " + " | ".join(str(b) for b in LEVELS[f2]) + " |",
                      "|---|" + "---|" * len(LEVELS[f2])]
            for a in LEVELS["md"]:
                lines.append(f"| {a} | " + " | ".join(f"{table[(a, b)]:.1f}" for b in LEVELS[f2]) + " |")
            lines.append("")
        md = margins["md"]
        zoa = margins["zoa"]
        checks += [
            (f"{group}: S% falls as MD rises (L > A > H)",
             md["L"][0] > md["A"][0] > md["H"][0],
             f"L {md['L'][0]:.1f}, A {md['A'][0]:.1f}, H {md['H'][0]:.1f}"),
            (f"{group}: ZoA 10 % gives very few agreements (< 25 % and < half of ZoA 100 %)",
             zoa[10][0] < 25 and zoa[10][0] < 0.5 * zoa[100][0],
             f"ZoA 10 %: {zoa[10][0]:.1f}, 60 %: {zoa[60][0]:.1f}, 100 %: {zoa[100][0]:.1f}"),
            (f"{group}: MR and t_end matter less than MD and ZoA (spread of S%)",
             max(spreads["mr"], spreads["t_end"]) < min(spreads["md"], spreads["zoa"]),
             f"spreads MD {spreads['md']:.1f}, ZoA {spreads['zoa']:.1f}, MR {spreads['mr']:.1f}, "
             f"t_end {spreads['t_end']:.1f}"),
        ]
    lines += ["## Claims", "", "| claim (paper, section 5.2.1) | holds here | our numbers |", "|---|---|---|"]
    lines += [f"| {c} | {_yes(ok)} | {nums} |" for c, ok, nums in checks]
    lines.append("")
    return "\n".join(lines)


def _stats(episodes: list[dict]) -> tuple:
    wins = [e for e in episodes if e["success"]]
    us = [e["utility"] for e in wins]
    ts = [1000.0 * e["t"] for e in wins]

    def sd(v):
        return statistics.stdev(v) if len(v) > 1 else float("nan")

    return (statistics.mean(us) if us else float("nan"), sd(us),
            statistics.mean(ts) if ts else float("nan"), sd(ts), _s_pct(episodes), len(episodes))


def table4(run_dir: Path) -> str:
    run_dir = Path(run_dir)
    run = read_run(run_dir)
    types = run.player_types()
    failed = _failed(run)
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for r in _ok(run):
        buyer = {"conan": "CONAN", "williams": "Williams"}.get(types.get(r.assignment["buyer"], ""))
        seller = types.get(r.assignment["seller"], "")
        zoa = r.setting.get("zoa", 100)
        if buyer is None or seller not in ("conceder", "relative-tft"):
            continue
        cells[(seller, zoa, buyer)].extend(r.details["episodes"])
    lines = [
        "# ANEGMA Table 4: CONAN vs Williams (low MD, high MR, long t_end)",
        "",
        f"Run: `{run_dir}`; {failed} failed matches. Ours: simulations per cell in the last column "
        "(the paper: 500). T_avg in simulated milliseconds.",
        "",
        "| sellers | ZoA | buyer | U_avg ours | U_avg paper | T_avg ours (ms) | T_avg paper (ms) | S% ours | S% paper | n |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    checks = []
    for (seller, zoa), paper in PAPER_TABLE4.items():
        ours = {}
        for buyer in ("CONAN", "Williams"):
            eps = cells.get((seller, zoa, buyer), [])
            if not eps:
                continue
            u, usd, t, tsd, s, n = ours[buyer] = _stats(eps)
            p = paper[buyer]
            lines.append(f"| {seller} | {zoa} % | {buyer} | {u:.2f} +- {usd:.2f} | {p[0]:.2f} +- {p[1]:.2f} | "
                         f"{t:.0f} +- {tsd:.0f} | {p[2]:.0f} +- {p[3]:.0f} | {s:.1f} | {p[4]:.2f} | {n} |")
        if len(ours) == 2:
            c, w = ours["CONAN"], ours["Williams"]
            checks.append((f"{seller}, ZoA {zoa} %: CONAN >= Williams on U_avg", c[0] >= w[0],
                           f"{c[0]:.3f} vs {w[0]:.3f}"))
            checks.append((f"{seller}, ZoA {zoa} %: CONAN >= Williams on S%", c[4] >= w[4],
                           f"{c[4]:.1f} vs {w[4]:.1f}"))
    lines += ["", "## Claims", "", "| claim (paper, Table 4) | holds here | our numbers |", "|---|---|---|"]
    lines += [f"| {c} | {_yes(ok)} | {nums} |" for c, ok, nums in checks]
    lines.append("")
    return "\n".join(lines)
