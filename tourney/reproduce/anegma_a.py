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
Hypothesis A is therefore its text, judged over matches with 95 % intervals
by ``tourney.reproduce.anegma_a_claims`` (which says how). Figures 2-3 here
carry the 95 % interval of each bar over its matches. Table 4: CONAN >=
Williams on U_avg and on S% in each of the four cells.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from tourney.records import MatchRecord
from tourney.reproduce.anegma_a_claims import check, marginal, rows_of
from tourney.reproduce.claims import summary_line, verdict_table
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


def _cells(run: Run) -> tuple[dict, int, list[dict]]:
    """(group, md, mr, zoa, t_end) -> episodes; the number of failed matches; one row per match."""
    types = run.player_types()
    base = run.world_params("emarket")
    cells: dict[tuple, list[dict]] = defaultdict(list)
    matches = []
    for r in _ok(run):
        tactic = types.get(r.assignment["seller"], "")
        group = _group(tactic)
        if group is None:
            continue
        setting = {**base, **r.setting}
        full = {"md": setting.get("md", "L"), "mr": setting.get("mr", "H"), "zoa": setting.get("zoa", 100),
                "t_end": setting.get("t_end", "Lg")}
        key = (group, full["md"], full["mr"], full["zoa"], full["t_end"])
        cells[key].extend(r.details["episodes"])
        matches.append((group, tactic, full, r.rep, r.details["episodes"]))
    return cells, _failed(run), rows_of(matches)


def _two_way(cells: dict, group: str, f1: str, f2: str) -> dict:
    i1, i2 = ["md", "mr", "zoa", "t_end"].index(f1) + 1, ["md", "mr", "zoa", "t_end"].index(f2) + 1
    out = {}
    for a in LEVELS[f1]:
        for b in LEVELS[f2]:
            eps = [e for key, v in cells.items() if key[0] == group and key[i1] == a and key[i2] == b for e in v]
            out[(a, b)] = _s_pct(eps)
    return out


def _bars(ax, rows: list[dict], group: str, f1: str, f2: str, title: str) -> None:
    import numpy as np

    x = np.arange(len(LEVELS[f1]))
    width = 0.8 / len(LEVELS[f2])
    for j, b in enumerate(LEVELS[f2]):
        m = marginal(rows, group, f1, **{f2: b})  # per f1 level at f2 = b: mean and 95 % CI over matches
        means = [m[a][0] for a in LEVELS[f1]]
        err = np.array([[m[a][0] - m[a][1] for a in LEVELS[f1]], [m[a][2] - m[a][0] for a in LEVELS[f1]]])
        ax.bar(x + (j - 1) * width, means, width, yerr=err, capsize=3,
               label=f"{f2.upper() if f2 != 'zoa' else 'ZoA'} {b}{'%' if f2 == 'zoa' else ''}")
    ax.set_xticks(x, [f"MD {a}" for a in LEVELS[f1]])
    ax.set_ylim(0, 118)
    ax.set_ylabel("S% (successful negotiations)")
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=3, loc="upper center")


def _figure(rows: list[dict], groups: list[str], f2: str, path: Path, caption: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(groups), figsize=(5.5 * len(groups), 4), squeeze=False)
    for ax, group in zip(axes[0], groups):
        _bars(ax, rows, group, "md", f2, f"{group} sellers")
    fig.suptitle(caption)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def hypothesis_a(run_dir: Path) -> str:
    run_dir = Path(run_dir)
    cells, failed, rows = _cells(read_run(run_dir))
    groups = [g for g in ("time-dependent", "behaviour-dependent") if any(k[0] == g for k in cells)]
    if not groups:
        return f"# ANEGMA Hypothesis A\n\nNo finished e-market matches in {run_dir}.\n"
    plots = run_dir / "plots"
    _figure(rows, groups, "zoa", plots / "anegma-fig2-md-zoa.png",
            "S% by market density and zone of agreement, 95 % CI over matches (cf. ANEGMA Figure 2)")
    _figure(rows, groups, "mr", plots / "anegma-fig3-md-mr.png",
            "S% by market density and market ratio, 95 % CI over matches (cf. ANEGMA Figure 3)")
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
    verdicts = []
    for group in groups:
        lines += [f"## {group} sellers", "",
                  f"Marginal S% with its 95 % CI over matches ({len([r for r in rows if r['group'] == group])} "
                  "matches; the other three factors pooled):", "",
                  "| factor | level: S% [95 % CI] (matches) | spread |", "|---|---|---|"]
        for factor in ("md", "zoa", "mr", "t_end"):
            m = marginal(rows, group, factor)
            played = [v[0] for v in m.values() if v[3]]
            spread = max(played) - min(played) if played else float("nan")
            cells_text = "; ".join(f"{level}: {v[0]:.1f} [{v[1]:.1f}, {v[2]:.1f}] ({v[3]})" for level, v in m.items())
            lines.append(f"| {LABELS[factor]} | {cells_text} | {spread:.1f} |")
        lines.append("")
        for f2 in ("zoa", "mr"):
            table = _two_way(cells, group, "md", f2)
            lines += [f"S% by MD x {f2.upper() if f2 != 'zoa' else 'ZoA'}:", "",
                      "| MD | " + " | ".join(str(b) for b in LEVELS[f2]) + " |",
                      "|---|" + "---|" * len(LEVELS[f2])]
            for a in LEVELS["md"]:
                lines.append(f"| {a} | " + " | ".join(f"{table[(a, b)]:.1f}" for b in LEVELS[f2]) + " |")
            lines.append("")
        verdicts += check(rows, group)
    lines += ["## Claims", "", "Judged by `tourney.reproduce.claims` over matches (95 % t interval; pairs "
              "share every other factor, the tactic and the repetition).", "",
              verdict_table(verdicts), "", summary_line(verdicts) + ".", ""]
    return "\n".join(lines)


def _stats(episodes: list[dict]) -> tuple:
    wins = [e for e in episodes if e["success"]]
    us = [e["utility"] for e in wins]
    ts = [1000.0 * e["t"] for e in wins]

    def sd(v):
        return statistics.stdev(v) if len(v) > 1 else float("nan")

    return (statistics.mean(us) if us else float("nan"), sd(us),
            statistics.mean(ts) if ts else float("nan"), sd(ts), _s_pct(episodes), len(episodes))


def _match_values(matches: list[list[dict]], metric: str) -> list[float | None]:
    out: list[float | None] = []
    for eps in matches:
        wins = [e for e in eps if e["success"]]
        if metric == "s":
            out.append(100.0 * len(wins) / len(eps) if eps else None)
        else:
            out.append(statistics.fmean(e["utility"] for e in wins) if wins else None)
    return out


def table4(run_dir: Path) -> str:
    from tourney.reproduce.claims import Claim, judge

    run_dir = Path(run_dir)
    run = read_run(run_dir)
    types = run.player_types()
    failed = _failed(run)
    cells: dict[tuple, list[dict]] = defaultdict(list)
    per_match: dict[tuple, list[list[dict]]] = defaultdict(list)
    for r in _ok(run):
        buyer = {"conan": "CONAN", "williams": "Williams"}.get(types.get(r.assignment["buyer"], ""))
        seller = types.get(r.assignment["seller"], "")
        zoa = r.setting.get("zoa", 100)
        if buyer is None or seller not in ("conceder", "relative-tft"):
            continue
        cells[(seller, zoa, buyer)].extend(r.details["episodes"])
        per_match[(seller, zoa, buyer)].append(r.details["episodes"])
    lines = [
        "# ANEGMA Table 4: CONAN vs Williams (low MD, high MR, long t_end)",
        "",
        f"Run: `{run_dir}`; {failed} failed matches. Ours: simulations per cell in the last column "
        "(the paper: 500). T_avg in simulated milliseconds. The market's free rules were calibrated on "
        "these cells with another seed (`make calibrate-anegma`: S% within +-5 points and T_avg within "
        "+-10 s of the paper's was the aim; the two `within` columns say whether this run lands there).",
        "",
        "| sellers | ZoA | buyer | U_avg ours | U_avg paper | T_avg ours (ms) | T_avg paper (ms) | within 10 s | "
        "S% ours | S% paper | within 5 | n |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for (seller, zoa), paper in PAPER_TABLE4.items():
        for buyer in ("CONAN", "Williams"):
            eps = cells.get((seller, zoa, buyer), [])
            if not eps:
                continue
            u, usd, t, tsd, s, n = _stats(eps)
            p = paper[buyer]
            t_ok = "yes" if t == t and abs(t - p[2]) <= 10000 else "**no**"
            s_ok = "yes" if abs(s - p[4]) <= 5 else "**no**"
            lines.append(f"| {seller} | {zoa} % | {buyer} | {u:.2f} +- {usd:.2f} | {p[0]:.2f} +- {p[1]:.2f} | "
                         f"{t:.0f} +- {tsd:.0f} | {p[2]:.0f} +- {p[3]:.0f} | {t_ok} | {s:.1f} | {p[4]:.2f} | "
                         f"{s_ok} | {n} |")
        c, w = per_match.get((seller, zoa, "CONAN"), []), per_match.get((seller, zoa, "Williams"), [])
        for metric, name in (("u", "U_avg"), ("s", "S%")):
            claim = Claim(f"{seller} zoa {zoa}: conan>williams {name}", "CONAN outperforms Williams' strategy in "
                          "these settings", "5.2.2, Table 4", f"{name} of CONAN minus Williams, per match", ">",
                          "match")
            verdicts.append(judge(claim, _match_values(c, metric), _match_values(w, metric), paired=False))
    lines += ["", "## Claims", "", "Judged by `tourney.reproduce.claims` (95 % Welch t interval over matches; a "
              "match without a deal has no U_avg and is left out).", "",
              verdict_table(verdicts), "", summary_line(verdicts) + ".", ""]
    return "\n".join(lines)
