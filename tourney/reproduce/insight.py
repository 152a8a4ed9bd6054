"""Reproduce INSIGHT (Haddad, Bondarenko & Lew 2023), Figures 3-7, from the
match logs of ``leagues/insight-one-seller.yaml`` (``one_seller``) and
``leagues/insight-two-seller.yaml`` (``two_seller``; beside it, when it was
run, ``leagues/insight-two-seller-never-raise.yaml`` in the sibling directory
``<run_dir>-never-raise``).

Every claim of the paper is judged over seeds by ``tourney.reproduce.claims``
(the claims and their readings: ``tourney.reproduce.insight_claims``): the
difference, its 95 % CI and holds / fails / not resolved. The restriction
"never repeat or raise a refused price" is not in the paper; the reports show
the paper's game and the restricted one side by side. Players are grouped by
their league ``type`` (two Q-learner entries both count as Q); ``never_raise``
and ``load_path`` do not make a new kind.

Our extra yardstick: the exact optimum of the one-seller game by backward
induction (``tourney.worlds.bidding.optimal_single_seller``), which the paper
announces in section 3.2 but leaves as "[Insert Sequence]"; it is also the best
joint outcome behind Pareto efficiency in the two-seller game.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Mapping

from tourney.reproduce.claims import compare_table, mean_interval, summary_line, verdict_table
from tourney.reproduce.insight_claims import (
    HEURISTIC_CLAIMS,
    UNTESTED,
    SeedView,
    fixed_kinds,
    judge_checks,
    one_seller_checks,
    two_seller_checks,
)
from tourney.league import PlayerEntry
from tourney.records import MatchRecord
from tourney.run_reader import Run, read_run
from tourney.worlds.bidding import arithmetic_sequence, best_arithmetic, optimal_single_seller, sequence_profit

KINDS = {
    "qlearning": "Q",
    "qlearning-exploit": "Q exploit-only",
    "descent-arithmetic": "Heuristic",
    "insight-random": "Random",
    "descent-by-one": "Descent-by-one",
    "tft-seller": "Tit-for-tat",
    "copycat": "Copycat",
    "competitive": "Competitive",
    "reactive": "Reactive",
}
LEARNING_TYPES = ("qlearning", "qlearning-exploit")  # the only types whose play never_raise changes
SETTING_PARAMS = ("never_raise", "load_path")  # params that do not make a new kind
COLORS = {"Q": "tab:red", "Q exploit-only": "tab:green", "Heuristic": "tab:blue",
          "Random": "tab:orange", "Descent-by-one": "tab:gray"}
PAPER_GAME, NEVER_RAISE = "paper's game", "never raise (not in the paper)"
NEVER_RAISE_SUFFIX = "-never-raise"


# --- reading a run ---
def _kinds(players: Iterable[PlayerEntry], never_raise: bool | None = None) -> dict[str, str]:
    """League player name -> kind (Q, Heuristic, Random, ...).

    Entries of one type with the same params (but for ``never_raise`` and
    ``load_path``) share a kind; a later entry of a type already seen with
    other params is its own kind, under its league name. With ``never_raise``
    given, learners of the other setting are left out (the fixed sellers
    never raise a price anyway, so they belong to both settings).
    """
    first_params: dict[str, Any] = {}
    kinds = {}
    for p in players:
        params = {k: v for k, v in p.params.items() if k not in SETTING_PARAMS}
        kind = KINDS.get(p.type, p.name)
        if first_params.setdefault(p.type, params) != params:
            kind = p.name
        if (never_raise is not None and p.type in LEARNING_TYPES
                and bool(p.params.get("never_raise", False)) != never_raise):
            continue
        kinds[p.name] = kind
    return kinds


def _never_raise(players: Iterable[PlayerEntry]) -> bool | None:
    """The league's setting when every player shares it, else None."""
    values = {bool(p.params.get("never_raise", False)) for p in players}
    return values.pop() if len(values) == 1 else None


def _records(run: Run, world_type: str) -> list[MatchRecord]:
    """Finished matches of one world type, in its first setting (the leagues play one)."""
    records = list(run.records(world_type, ok=True))
    first = records[0].setting if records else None
    return [r for r in records if r.setting == first]


def _fmt(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None or x != x else f"{x:.{digits}f}"


def _ci(values: Iterable[float | None], digits: int = 2) -> str:
    mean, low, high = mean_interval(values)
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


# --- learning curves with CI bands over seeds ---
def _per_seed_curves(items: Iterable[tuple[int, list[float | None]]]) -> list[list[float | None]]:
    """(rep, curve) pairs -> one curve per seed (matches of one seed averaged)."""
    by_rep: dict[int, list[list[float | None]]] = defaultdict(list)
    for rep, curve in items:
        by_rep[rep].append(curve)
    out = []
    for rep in sorted(by_rep):
        columns = zip(*by_rep[rep])
        out.append([statistics.fmean(c) if all(v is not None for v in c) else None for c in columns])
    return out


def _band(curves: list[list[float | None]]) -> tuple[list[float], list[float], list[float]]:
    """Per point: mean and 95 % t interval over seeds."""
    points = [mean_interval(column) for column in zip(*curves)]
    return [p[0] for p in points], [p[1] for p in points], [p[2] for p in points]


def _plot(path: Path, title: str, x: list[int], series: Mapping[str, list[list[float | None]]],
          n_seeds: int, optimum: float | None = None, prices: list[list[float | None]] | None = None,
          floor: int | None = None, dashed: Iterable[str] = ()) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dashed = set(dashed)
    rows = 2 if prices is not None else 1
    fig, axes = plt.subplots(rows, 1, figsize=(7, 3.2 * rows), sharex=True, squeeze=False)
    ax = axes[0][0]
    used: set[str] = set()
    for label, curves in series.items():
        color = COLORS.get(label.split(" (")[0])
        if color is None or color in used:  # two sellers of one kind, or a kind without a colour
            color = next(c for c in ("tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan")
                         if c not in used)
        used.add(color)
        mean, low, high = _band(curves)
        ax.plot(x, mean, label=label, color=color, linestyle="--" if label in dashed else "-")
        ax.fill_between(x, low, high, color=color, alpha=0.2, linewidth=0)
    if optimum is not None:
        ax.axhline(optimum, color="black", linestyle=":", linewidth=1, label="optimum (one seller)")
    ax.set_ylabel("profit per buyer")
    ax.set_title(f"{title}\nmean over {n_seeds} seeds, band: 95 % CI", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    if prices is not None:
        pax = axes[1][0]
        mean, low, high = _band(prices)
        pax.plot(x, mean, color="black")
        pax.fill_between(x, low, high, color="black", alpha=0.15, linewidth=0)
        if floor is not None:
            pax.axhline(floor, color="gray", linestyle=":", label="floor")
            pax.legend(fontsize=8)
        pax.set_ylabel("mean sale price")
        pax.grid(alpha=0.3)
    axes[-1][0].set_xlabel("buyers (episodes)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _diminishing(offers: tuple[int, ...]) -> bool:
    """Strictly falling offers whose steps never grow."""
    steps = [a - b for a, b in zip(offers, offers[1:])]
    return all(d > 0 for d in steps) and all(a >= b for a, b in zip(steps, steps[1:]))


def _untested() -> list[str]:
    return ["Not judged (listed so that no claim of the paper goes unmentioned):", "",
            *[f"- {text} ({source}): {why}." for text, source, why in UNTESTED]]


# --- Figure 3: one seller ---
def one_seller(run_dir: Path) -> str:
    run_dir = Path(run_dir)
    run = read_run(run_dir)
    records = _records(run, "bidding")
    if not records:
        return "# INSIGHT one-seller game\n\nNo finished `bidding` matches in this run."
    all_kinds = _kinds(run.players)
    settings = {PAPER_GAME: _kinds(run.players, never_raise=False),
                NEVER_RAISE: _kinds(run.players, never_raise=True)}
    m0 = records[0].metrics
    optimum = m0["optimal_profit"]
    wparams = {**run.world_params("bidding"), **records[0].setting}
    low, high = wparams.get("price_range", [11, 30])
    impatience = wparams.get("impatience", 0.1)
    step = wparams.get("impatience_step", 0.1)
    max_turns = wparams.get("max_turns", 50)
    cost: float = wparams["unit_cost"] if wparams.get("unit_cost") is not None else low - 1
    n_seeds = len({r.rep for r in records})

    # one row per league player (its kind and setting)
    by_player: dict[str, list[MatchRecord]] = defaultdict(list)
    for r in records:
        by_player[r.assignment["seller"]].append(r)
    players = {p.name: p for p in run.players}
    rows = []
    for name, recs in sorted(by_player.items(), key=lambda kv: -statistics.fmean(
            r.roles["seller"]["profit_last"] for r in kv[1])):
        p = players.get(name, PlayerEntry(name, "", {}))
        setting = ("never raise" if p.params.get("never_raise") else "paper's game") \
            if p.type in LEARNING_TYPES else "either (never raises)"
        tail = [r.roles["seller"]["profit_last"] for r in recs]
        rows.append(
            f"| {all_kinds.get(name, name)} (`{name}`) | {setting} | {len(recs)} | "
            f"{_fmt(statistics.fmean(r.roles['seller']['profit'] for r in recs))} | {_ci(tail)} | "
            f"{_fmt(statistics.fmean(r.roles['seller']['sale_rate'] for r in recs))} | "
            f"{_fmt(statistics.fmean(tail) / optimum)} |"
        )

    verdicts = {label: judge_checks(one_seller_checks(), SeedView(records, kinds))
                for label, kinds in settings.items()}

    x = records[0].details["curve"]["episodes"]
    paper_kinds = settings[PAPER_GAME]
    series: dict[str, list[list[float | None]]] = {}
    for name, kind in sorted(paper_kinds.items(), key=lambda kv: kv[1]):
        if kind in COLORS and name in by_player:
            series[kind] = _per_seed_curves((r.rep, r.details["curve"]["profit"]["seller"])
                                            for r in by_player[name])
    for name, kind in settings[NEVER_RAISE].items():
        if kind == "Q" and name in by_player:
            series["Q (never raise)"] = _per_seed_curves((r.rep, r.details["curve"]["profit"]["seller"])
                                                         for r in by_player[name])
    plot = run_dir / "plots" / "fig3_one_seller.png"
    _plot(plot, f"One seller, prices {low}-{high} (Figure 3)", x, series, n_seeds, optimum=optimum,
          dashed=["Q (never raise)"])

    example_1130 = sequence_profit([30, 24, 19, 15, 12, 11], 11, 30, 10, 0.1, 0.1, 50)
    best_1130, seq_1130 = optimal_single_seller(11, 30, 10.0, 0.1, 0.1, 50)
    _, seq = optimal_single_seller(low, high, float(cost), float(impatience), float(step), max_turns)
    heuristic_lines = []
    for p in run.players:
        if p.type == "descent-arithmetic":
            params = p.params
            init = params.get("initial") or high
            offers = arithmetic_sequence(init, params.get("descent"), low, max_turns)
            exact = sequence_profit(offers, low, high, cost, impatience, step, max_turns)
            measured = [r.roles["seller"]["profit"] for r in by_player.get(p.name, [])]
            shown = offers[:offers.index(low) + 1] if low in offers else offers
            heuristic_lines.append(
                f"Exact expected profit of `{p.name}` (offers {shown}): "
                f"{_fmt(exact, 3)} per buyer (measured over whole matches: "
                f"{_fmt(statistics.fmean(measured) if measured else None, 3)}).")

    paper = verdicts[PAPER_GAME]
    lines = [
        "# INSIGHT one-seller game (Figure 3)",
        "",
        f"Price range {low}-{high}, unit cost {cost:g} (a sale at the floor earns 1), impatience "
        f"{impatience:g} + {step:g} per turn, {x[-1]} buyers per match, {n_seeds} seeds, scores over the last "
        f"{wparams.get('last_episodes', 1000)} buyers. The paper reports Figure 3 as curves only (no numbers "
        "in its text). Every parameter and its source is in the league file.",
        "",
        f"**{summary_line(paper)}** (the paper's game).",
        "",
        "| seller (league entry) | setting | matches | profit per buyer (all) | profit per buyer (last), "
        "mean [95 % CI] | sale rate | share of optimum (last) |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Optimum of the one-seller game (backward induction): **{_fmt(optimum, 3)}** per buyer, offers {list(seq)}.",
        f"Section 3.2, checked exactly (no seeds): the optimal sequence \"decrease[s] with a diminishing step "
        f"size\": {'**yes**' if _diminishing(seq) else '**no**'} (steps {[a - b for a, b in zip(seq, seq[1:])]}).",
        *heuristic_lines,
        f"For 11-30 (the paper's example range, impatience 0.1): the paper's heuristic [30, 24, 19, 15, 12, 11] "
        f"earns {_fmt(example_1130, 3)} per buyer exactly; the optimal sequence the paper left as "
        f"\"[Insert Sequence]\" is {list(seq_1130)} with {_fmt(best_1130, 3)}.",
        "",
        "## Claims, the paper's game",
        "",
        verdict_table(paper),
        "",
        "## Both settings side by side",
        "",
        f"Difference [95 % CI] and verdict; \"never raise\" bars the learner from repeating or raising a refused "
        f"price ({summary_line(verdicts[NEVER_RAISE])} there).",
        "",
        compare_table(verdicts),
        "",
        f"![Figure 3]({plot.relative_to(run_dir)})",
    ]
    return "\n".join(lines)


# --- Figures 4-7: two sellers ---
PAPER_PAIRS = [
    ("fig4_heuristic_vs_random", ("Heuristic", "Random"), "Heuristic vs Random (Figure 4)"),
    ("fig5_q_vs_random", ("Q", "Random"), "Q-learning vs Random (Figure 5)"),
    ("fig6_q_vs_heuristic", ("Q", "Heuristic"), "Q-learning vs Heuristic (Figures 6-7)"),
    ("fig7_q_vs_q", ("Q", "Q"), "Q-learning vs Q-learning (section 6)"),
]
PAPER_TEXT = {
    ("Heuristic", "Random"): "random ~2",
    ("Q", "Random"): "Q ~3 (bigger margin than the heuristic)",
    ("Q", "Heuristic"): "Q ahead, prices converge",
    ("Q", "Q"): "both near the minimum, low Pareto efficiency",
}


def _two_seller_run(run_dir: Path) -> dict[str, Any] | None:
    """Everything the two-seller report needs from one run, or None without matches."""
    run = read_run(run_dir)
    records = _records(run, "bidding2")
    if not records:
        return None
    kinds = _kinds(run.players)
    wparams = {**run.world_params("bidding2"), **records[0].setting}
    low = wparams.get("price_range", [11, 30])[0]
    view = SeedView(records, kinds)
    fixed = fixed_kinds(view)
    verdicts = judge_checks(two_seller_checks(fixed, low), view)
    alternative = None
    if "HeuristicOpt" in view.kinds():  # the heuristic claims again, with the one-seller-optimal heuristic
        checks = [c for c in two_seller_checks(fixed, low, heuristic="HeuristicOpt") if c[0].id in HEURISTIC_CLAIMS]
        alternative = judge_checks(checks, view)
    return {"seed": run.seed, "records": records, "kinds": kinds, "wparams": wparams, "low": low,
            "view": view, "verdicts": verdicts, "alternative": alternative,
            "setting": _never_raise(run.players)}


def _pairing_rows(run: dict[str, Any]) -> list[str]:
    """One row per unordered pairing of kinds: each side's profit, efficiency, sale price (CI over seeds)."""
    view = run["view"]
    rows = []
    for (a, b) in sorted(view.cells):
        if a > b:
            continue
        profit_a, profit_b = view.get(a, b, "profit"), view.get(a, b, "rival_profit")
        rows.append(
            f"| {a} vs {b} | {sum(len(m) for m in view.cells[(a, b)].values()) // (2 if a == b else 1)} | "
            f"{_ci(profit_a)} | {_ci(profit_b)} | {_ci(view.get(a, b, 'efficiency'))} | "
            f"{_ci(view.get(a, b, 'sale_price'), 1)} | {PAPER_TEXT.get((a, b), PAPER_TEXT.get((b, a), ''))} |"
        )
    return rows


Curves = list[list[float | None]]


def _pair_curves(records: list[MatchRecord], kinds: Mapping[str, str], a: str,
                 b: str) -> tuple[Curves, Curves, Curves]:
    """Per-seed curves of a's profit, b's profit and the sale price in a-vs-b matches."""
    mine: list[tuple[int, list[float | None]]] = []
    theirs: list[tuple[int, list[float | None]]] = []
    prices: list[tuple[int, list[float | None]]] = []
    for r in records:
        roles = list(r.assignment)
        ka, kb = (kinds.get(r.assignment[role], r.assignment[role]) for role in roles)
        if (ka, kb) == (a, b):
            first, second = roles
        elif (kb, ka) == (a, b):
            second, first = roles
        else:
            continue
        curve = r.details["curve"]
        mine.append((r.rep, curve["profit"][first]))
        theirs.append((r.rep, curve["profit"][second]))
        prices.append((r.rep, curve["price"]))
    return _per_seed_curves(mine), _per_seed_curves(theirs), _per_seed_curves(prices)


SENSITIVITY_SEEDS = 10


def _heuristic_sensitivity(wparams: Mapping[str, Any], seed: int) -> list[str]:
    """Rows of the sensitivity table: the arithmetic heuristic from each start (every other
    price), its descent by the league's rule (best exact one-seller profit from that start),
    against the random seller over SENSITIVITY_SEEDS seeds. Both sellers are the package's
    own and only ever go down, so ``never_raise`` changes nothing here."""
    from tourney.match import SeatLike, play_match
    from tourney.seeding import derive_seed
    from tourney.worlds.bidding import TwoSellerBiddingWorld

    params = {k: v for k, v in wparams.items() if k in ("price_range", "impatience", "impatience_step",
                                                          "max_turns", "episodes", "last_episodes", "unit_cost")}
    world = TwoSellerBiddingWorld(**{**params, "price_range": tuple(params.get("price_range", (11, 30))),
                                     "curve_points": 1})
    low, high = world.low, world.high
    rows = []
    for start in range(high, low, -2):
        _, descent, exact = best_arithmetic(low, high, world.cost, world.impatience, world.impatience_step,
                                            world.max_turns, initial=start)
        mine, theirs = [], []
        for rep in range(SENSITIVITY_SEEDS):
            match_seed = derive_seed(seed, "heuristic-sensitivity", start, rep)
            seats: dict[str, SeatLike] = {"seller_a": ("descent-arithmetic", {"initial": start, "descent": descent}),
                                          "seller_b": "insight-random"}
            result = play_match(world, seats, match_seed).result()
            mine.append(result.roles["seller_a"]["profit_last"])
            theirs.append(result.roles["seller_b"]["profit_last"])
        margin = [a - b for a, b in zip(mine, theirs)]
        rows.append(f"| {start} | {descent} | {exact:.3f} | {_ci(mine)} | {_ci(theirs)} | {_ci(margin)} |")
    return rows


def two_seller(run_dir: Path, compare_dir: Path | None = None) -> str:
    """The two-seller report of ``run_dir``; ``compare_dir`` (default: the sibling
    ``<run_dir>-never-raise`` when it holds a run) is shown beside it."""
    run_dir = Path(run_dir)
    run = _two_seller_run(run_dir)
    if run is None:
        return "# INSIGHT two-seller game\n\nNo finished `bidding2` matches in this run."
    if compare_dir is None:
        sibling = run_dir.with_name(run_dir.name + NEVER_RAISE_SUFFIX)
        compare_dir = sibling if (sibling / "league.yaml").exists() else None
    other = _two_seller_run(Path(compare_dir)) if compare_dir is not None else None

    records, kinds, low = run["records"], run["kinds"], run["low"]
    high = run["wparams"].get("price_range", [11, 30])[1]
    optimum = records[0].metrics["optimal_profit"]
    n_seeds = len(run["view"].reps)
    x = records[0].details["curve"]["episodes"]
    plots = []
    for stem, (a, b), title in PAPER_PAIRS:
        if not run["view"].has(a, b):
            continue
        first, second, prices = _pair_curves(records, kinds, a, b)
        labels = (f"{a} (seller 1)", f"{b} (seller 2)") if a == b else (a, b)
        path = run_dir / "plots" / f"{stem}.png"
        _plot(path, f"{title}, prices {low}-{high}", x, {labels[0]: first, labels[1]: second}, n_seeds,
              prices=prices, floor=low)
        plots.append((title, path))

    setting = {False: PAPER_GAME, True: NEVER_RAISE, None: "mixed settings"}[run["setting"]]
    lines = [
        "# INSIGHT two-seller game (Figures 4-7)",
        "",
        f"Price range {low}-{high}; {setting}; {n_seeds} seeds; profits per buyer over the last "
        f"{run['wparams'].get('last_episodes', 1000)} buyers of each match; Pareto efficiency = combined profit / "
        f"{_fmt(optimum, 3)} (the one-seller optimum, the best the two sellers could make together). Every "
        "parameter and its source is in the league file. Fixed sellers in the run: "
        f"{', '.join(fixed_kinds(run['view']))}.",
        "",
        f"**{summary_line(run['verdicts'])}** ({setting}).",
        "",
        "| pairing (first vs second) | matches | first's profit | second's profit | Pareto efficiency | "
        "last sale price | paper (section 5.2) |",
        "|---|---|---|---|---|---|---|",
        *_pairing_rows(run),
        "",
        "Cells: mean over seeds [95 % CI].",
        "",
        f"## Claims, {setting}",
        "",
        verdict_table(run["verdicts"]),
        "",
        *_untested(),
        "",
    ]
    if run["alternative"] is not None:
        lines += [
            "## Sensitivity: the heuristic claims with the other rule-fixed heuristic",
            "",
            "Not a claim check: the same claims with `HeuristicOpt` (the one-seller optimum of the arithmetic "
            "family, fixed without an opponent) in place of the paper's heuristic, to show how much the "
            f"verdicts hang on the heuristic's parameters ({summary_line(run['alternative'])}).",
            "",
            verdict_table(run["alternative"]),
            "",
        ]
    if run["setting"] is False:
        lines += [
            "## Sensitivity: the heuristic's start against the random seller",
            "",
            f"Not a claim check, and no parameter was chosen from it: the arithmetic heuristic from every other "
            f"start, its descent fixed by the league's rule (the best exact one-seller profit from that start), "
            f"against the random seller, {SENSITIVITY_SEEDS} seeds each, profit per buyer over the last "
            f"{run['wparams'].get('last_episodes', 1000)} buyers, mean [95 % CI]. The paper's heuristic starts at "
            f"the top ({high}).",
            "",
            "| start | descent | exact one-seller profit | heuristic vs random: heuristic | random | margin |",
            "|---|---|---|---|---|---|",
            *_heuristic_sensitivity(run["wparams"], run["seed"]),
            "",
        ]
    if other is not None and compare_dir is not None:
        other_setting = {False: PAPER_GAME, True: NEVER_RAISE, None: "mixed settings"}[other["setting"]]
        lines += [
            "## Both settings side by side",
            "",
            f"The same league with every seller barred from repeating or raising a refused price "
            f"(`{Path(compare_dir).as_posix()}`, {len(other['view'].reps)} seeds: "
            f"{summary_line(other['verdicts'])}). Difference [95 % CI] and verdict.",
            "",
            compare_table({setting: run["verdicts"], other_setting: other["verdicts"]}),
            "",
            f"Pairings, {other_setting}:",
            "",
            "| pairing (first vs second) | matches | first's profit | second's profit | Pareto efficiency | "
            "last sale price | paper (section 5.2) |",
            "|---|---|---|---|---|---|---|",
            *_pairing_rows(other),
            "",
        ]
    lines += [f"![{title}]({path.relative_to(run_dir)})" for title, path in plots]
    return "\n".join(lines)
