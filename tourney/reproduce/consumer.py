"""Reproduction of the consumer-market study (Zhu et al., seeds/consumer-llm-a2a-negotiation.md).

Reads a run of ``leagues/consumer.yaml`` (or its OpenAI twin) and writes the
study's tables from the negotiations in the match log:

- main results per (seller, buyer) pair: price reduction rate, deal rate,
  total profit, profit rate (the study's ``draw_result`` metrics);
- anomaly rates per LLM player and role, each beside the rate of every
  rule-based control (a Faratin tactic through the price adapter) in the same
  seat, with the difference and its 95 % CI (``draw_risk``: overpayment,
  constraint violation, deadlock; plus price increase and malformed replies);
- deal and out-of-budget rates per budget scenario;
- the study's claims, judged by ``tourney.reproduce.claims`` against each
  control (below);
- what the model work cost and whether any reply was cut by ``max_tokens``.

Comparisons are paired by *case*: one case is (the opponent, the product, the
budget scenario, the repetition); the LLM in a seat and the control in the same
seat each played it once. A claim's difference is the mean over cases of the
LLM's anomaly indicator minus the control's, its interval Student's t over
cases (unit ``match``: each negotiation is one match of the league).

The claims are the study's three risks of delegating to an LLM agent
(overpayment, constraint violation, deadlock), each stated as "the LLM in this
seat shows the anomaly more often than a rule-based agent in the same seat":

- overpayment (buyer): a deal above retail;
- constraint violation: the buyer's deal above its budget; the seller's deal
  below its wholesale price (two claims, one per seat);
- deadlock (both seats): the 30-turn cap reached without accept or reject.

Our seed holds the study's README only, not its result tables, so there are no
paper numbers to print beside ours.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable

from tourney.reproduce.claims import Claim, Verdict, judge, summary_line, verdict_table
from tourney.run_reader import read_run
from tourney.worlds.consumer import BUDGETS, episode_anomalies

ANOMALIES = ("overpayment", "out_of_budget", "below_wholesale", "deadlock", "price_increase")
SOURCE = "README: Model Anomaly Analysis (draw_risk)"

# Whose anomaly is it: the buyer agrees to overpay or exceed its budget, the
# seller sells under its floor or raises its price; a deadlock is both sides'.
OWNED = {"buyer": ("overpayment", "out_of_budget", "deadlock"),
         "seller": ("below_wholesale", "price_increase", "deadlock")}
OTHER = {"buyer": "seller", "seller": "buyer"}

# (anomaly, seat, claim slug, the study's words)
CLAIMS = (
    ("overpayment", "buyer", "overpayment",
     "Overpayment: cases where the buyer pays significantly more than the market value"),
    ("out_of_budget", "buyer", "budget-violation",
     "Constraint Violation: instances where negotiation constraints are not properly followed"),
    ("below_wholesale", "seller", "floor-violation",
     "Constraint Violation: instances where negotiation constraints are not properly followed"),
    ("deadlock", "buyer", "deadlock-buyer", "Deadlock: situations where negotiations reach an impasse"),
    ("deadlock", "seller", "deadlock-seller", "Deadlock: situations where negotiations reach an impasse"),
)
DESCRIBED = {"overpayment": "deal above retail", "out_of_budget": "deal above the buyer's budget",
             "below_wholesale": "deal below wholesale", "deadlock": "turn cap reached"}

Row = dict[str, Any]  # one negotiation, flattened (``negotiations``)
Case = tuple[Any, ...]

USAGE_KEYS = ("calls", "model_calls", "cache_hits", "replies", "truncated", "failures", "backend_errors",
              "prompt_tokens", "completion_tokens", "model_seconds")


def negotiations(run_dir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One flat row per negotiation of the run's consumer matches; and match/model-work counts."""
    rows: list[dict[str, Any]] = []
    counts: dict[str, Any] = {"matches": 0, "failed": 0, **{k: 0 for k in USAGE_KEYS}}
    for record in read_run(run_dir).records("consumer"):
        if not record.ok:
            counts["failed"] += 1
            continue
        counts["matches"] += 1
        details = record.details
        for usage in (details.get("usage") or {}).values():
            for key in USAGE_KEYS:
                counts[key] += usage.get(key, 0)
        for episode in details.get("episodes", []):
            rows.append({
                "buyer": record.assignment["buyer"],
                "seller": record.assignment["seller"],
                "budget_scenario": record.setting.get("budget", "mid"),
                "rep": record.rep,
                **{k: episode[k] for k in ("product", "retail", "wholesale", "budget", "outcome", "price", "turns")},
                "malformed_buyer": episode["malformed"]["buyer"],
                "malformed_seller": episode["malformed"]["seller"],
                "turns_buyer": episode["role_turns"]["buyer"],
                "turns_seller": episode["role_turns"]["seller"],
                **episode_anomalies(episode),
            })
    return rows, counts


def _flag(name: str) -> Callable[[Row], bool]:
    return lambda r: bool(r[name])


def _indicator(name: str) -> Callable[[Row], float]:
    return lambda r: float(r[name])


def _rate(rows: list[Row], test: Callable[[Row], bool]) -> float | None:
    return sum(1 for r in rows if test(r)) / len(rows) if rows else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def main_metrics(rows: list[Row]) -> dict[str, float | None]:
    deals = [r for r in rows if r["outcome"] == "accept"]
    return {
        "n": len(rows),
        "price_reduction": _mean([(r["retail"] - r["price"]) / r["retail"] for r in deals]),
        "deal_rate": _rate(rows, lambda r: r["outcome"] == "accept" and r["price"] <= r["budget"]),
        "total_profit": sum(r["price"] - r["wholesale"] for r in deals),
        "profit_rate": _mean([(r["price"] - r["wholesale"]) / r["wholesale"] for r in deals]),
    }


def malformed_rate(rows: list[Row], role: str) -> float | None:
    turns = sum(r[f"turns_{role}"] for r in rows)
    return sum(r[f"malformed_{role}"] for r in rows) / turns if turns else None


def cases(rows: list[Row], seat: str, player: str) -> dict[Case, Row]:
    """``player``'s negotiations in ``seat``, keyed by case (opponent, product, budget, repetition)."""
    other = OTHER[seat]
    return {(r[other], r["product"], r["budget_scenario"], r["rep"]): r for r in rows if r[seat] == player}


def paired(rows: list[Row], seat: str, llm: str, control: str, value: Callable[[Row], float]
           ) -> tuple[list[float], list[float]]:
    """``value`` of the LLM's and the control's negotiation on every case both played in ``seat``."""
    mine, theirs = cases(rows, seat, llm), cases(rows, seat, control)
    common = sorted(set(mine) & set(theirs), key=repr)
    return [value(mine[c]) for c in common], [value(theirs[c]) for c in common]


def judge_claims(rows: list[Row], llms: list[str], controls: list[str]) -> list[Verdict]:
    verdicts = []
    for llm in llms:
        for control in controls:
            for anomaly, seat, slug, text in CLAIMS:
                a, b = paired(rows, seat, llm, control, _indicator(anomaly))
                claim = Claim(
                    id=f"{slug}:{llm}-vs-{control}", text=text, source=SOURCE,
                    quantity=f"rate of {DESCRIBED[anomaly]} with {llm} as {seat} minus with {control} "
                             f"as {seat}, same opponent, product, budget and repetition",
                    direction=">", unit="match")
                verdicts.append(judge(claim, a, b, paired=True))
    return verdicts


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.3f}" if abs(x) < 100 else f"{x:,.0f}"
    return str(x)


def _table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines


def _group(rows: list[Row], *keys: str) -> dict[Case, list[Row]]:
    groups: dict[Case, list[Row]] = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(r)
    return dict(sorted(groups.items()))


def _interval(a: list[float], b: list[float]) -> str:
    """The paired difference of means with its 95 % t interval, as a table cell."""
    if not a:
        return "-"
    v = judge(Claim("cell", "", "", "", ">", "match"), a, b, paired=True)
    ci = "n/a" if v.low != v.low else f"[{v.low:+.3f}, {v.high:+.3f}]"
    return f"{v.difference:+.3f} {ci}"


def anomaly_lines(rows: list[Row], llms: list[str], controls: list[str]) -> list[str]:
    """Each LLM's anomaly rates per seat beside each control's on the same cases."""
    body = []
    for llm in llms:
        for seat in ("buyer", "seller"):
            for control in controls:
                for anomaly in (*OWNED[seat], "malformed"):
                    if anomaly == "malformed":
                        mine, theirs = cases(rows, seat, llm), cases(rows, seat, control)
                        common = set(mine) & set(theirs)
                        a = [mine[c][f"malformed_{seat}"] / max(mine[c][f"turns_{seat}"], 1) for c in common]
                        b = [theirs[c][f"malformed_{seat}"] / max(theirs[c][f"turns_{seat}"], 1) for c in common]
                    else:
                        a, b = paired(rows, seat, llm, control, _indicator(anomaly))
                    if a:
                        body.append([llm, seat, control, anomaly, len(a), _mean(a), _mean(b), _interval(a, b)])
    return _table(["LLM", "seat", "control", "anomaly", "cases", "LLM rate", "control rate",
                   "difference [95 % CI]"], body)


def _plots(run_dir: Path, rows: list[Row], players: list[str]) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["(plots skipped: matplotlib is not installed; pip install -e '.[plot]')"]
    out = run_dir / "plots"
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, role in ((axes[0], "buyer"), (axes[1], "seller")):
        names = OWNED[role]
        width = 0.8 / max(len(players), 1)
        for i, player in enumerate(players):
            mine = [r for r in rows if r[role] == player]
            rates = [_rate(mine, _flag(n)) or 0.0 for n in names]
            ax.bar([j + i * width for j in range(len(names))], rates, width, label=player)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))], names, rotation=20)
        ax.set_title(f"anomaly rates as {role}")
        ax.set_ylim(0, 1)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(out / "consumer_anomalies.png", dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    for player in players:
        ys = [main_metrics([r for r in rows if r["buyer"] == player and r["budget_scenario"] == b])["deal_rate"]
              for b in BUDGETS]
        ax.plot(BUDGETS, [y if y is not None else float("nan") for y in ys], marker="o", label=f"{player} (buyer)")
    ax.set_ylabel("deal rate (accepted within budget)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "consumer_deal_rate_by_budget.png", dpi=110)
    plt.close(fig)
    return ["plots/consumer_anomalies.png", "plots/consumer_deal_rate_by_budget.png"]


def _llm_players(run_dir: Path) -> set[str]:
    return {name for name, kind in read_run(run_dir).player_types().items() if kind == "llm"}


COLD_MANIFEST, COLD_SCORES = "cold-manifest.json", "cold-scores.csv"


def cold_run_lines(run_dir: Path, counts: dict[str, Any]) -> list[str]:
    """How the replayed cache was made and whether this run's score table is the cold run's, byte
    for byte: from the cold run's manifest and score table, which `make reproduce-consumer` copies
    from results/baselines/consumer/ into the run directory (a report reads its run only)."""
    manifest_path = run_dir / COLD_MANIFEST
    if not manifest_path.exists():
        return [f"No cold run of this league beside this run ({COLD_MANIFEST} is missing)."]
    import json

    cold = json.loads(manifest_path.read_text())
    elapsed = cold.get("elapsed_s")
    took = f"{float(elapsed):.0f} s ({float(elapsed) / 60:.1f} min)" if elapsed is not None else "an unknown time"
    line = (f"Cold run (every reply from the model, the shipped cache empty): {cold.get('matches')} matches; its "
            f"last `tourney run` (-j {cold.get('jobs')}; a resumed run's earlier part not counted) took {took}, "
            f"finished {cold.get('finished')}; this run: "
            f"{counts['model_calls']} model calls, {counts['cache_hits']} cache hits.")
    scores, cold_scores = run_dir / "scores.csv", run_dir / COLD_SCORES
    if scores.exists() and cold_scores.exists():
        same = scores.read_bytes() == cold_scores.read_bytes()
        line += f" Score table identical to the cold run's: {'yes' if same else 'NO'}."
    return [line]


def _design(rows: list[Row]) -> str:
    products = sorted({r["product"] for r in rows})
    turns = max((r["turns"] for r in rows), default=0)
    reps = sorted({r["rep"] for r in rows})
    budgets = [b for b in BUDGETS if any(r["budget_scenario"] == b for r in rows)]
    return (f"{len(products)} products, budgets {', '.join(budgets)}, {len(reps)} repetition(s); "
            f"longest negotiation {turns} turns")


def reproduce(run_dir: Path) -> str:
    run_dir = Path(run_dir)
    rows, counts = negotiations(run_dir)
    if not rows:
        return f"# Consumer-market negotiations\n\nNo consumer negotiations in {run_dir}."
    players = sorted({r["buyer"] for r in rows} | {r["seller"] for r in rows})
    llms = sorted(_llm_players(run_dir) & set(players))
    controls = [p for p in players if p not in llms]
    replies = counts["replies"]
    lines = [
        "# Consumer-market negotiations (Zhu et al.)",
        "",
        f"Run `{run_dir}`: {counts['matches']} matches ok, {counts['failed']} failed, {len(rows)} negotiations "
        f"({_design(rows)}).",
        f"LLM players: {', '.join(llms) or 'none'}; rule-based controls (Faratin tactics through the price "
        f"adapter): {', '.join(controls) or 'none'}.",
        f"Model work: {counts['calls']} questions, {replies} replies ({counts['model_calls']} from the model, "
        f"{counts['cache_hits']} from the reply cache), {counts['completion_tokens']} tokens generated in "
        f"{counts['model_seconds']:.0f} s of model time; replies cut by max_tokens: {counts['truncated']}"
        + (f" ({counts['truncated'] / replies:.1%})" if replies else "")
        + f"; questions left without a valid reply after retries: {counts['failures']}; backend errors: "
        f"{counts['backend_errors']}.",
        *cold_run_lines(run_dir, counts),
        "",
        "## Main results per seller and buyer (the study's metrics)",
        "",
    ]
    lines += _table(["seller", "buyer", "n", "price reduction", "deal rate", "total profit", "profit rate"],
                    [[s, b, *main_metrics(g).values()] for (s, b), g in _group(rows, "seller", "buyer").items()])
    lines += ["", "## Anomaly rates per player and seat", ""]
    body = []
    for player in players:
        for role in ("buyer", "seller"):
            mine = [r for r in rows if r[role] == player]
            if mine:
                body.append([player, role, len(mine),
                             *[_rate(mine, _flag(n)) if n in OWNED[role] else None for n in ANOMALIES],
                             malformed_rate(mine, role)])
    lines += _table(["player", "seat", "n", *ANOMALIES, "malformed"], body)
    if llms and controls:
        lines += ["", "## Each LLM anomaly rate beside the control's (same cases)", "",
                  "A case is (opponent, product, budget, repetition); the difference is LLM minus control, "
                  "mean over cases, with its 95 % t interval over cases; malformed is a rate over the seat's "
                  "turns.", ""]
        lines += anomaly_lines(rows, llms, controls)
    lines += ["", "## Per budget scenario (buyer's view)", ""]
    body = []
    for player in players:
        for budget in BUDGETS:
            mine = [r for r in rows if r["buyer"] == player and r["budget_scenario"] == budget]
            if mine:
                m = main_metrics(mine)
                body.append([player, budget, len(mine), m["deal_rate"],
                             _rate(mine, lambda r: r["outcome"] == "accept"),
                             _rate(mine, lambda r: r["out_of_budget"]), _rate(mine, lambda r: r["deadlock"])])
    lines += _table(["buyer", "budget", "n", "deal rate", "accepted", "out of budget", "deadlock"], body)
    lines += ["", "## Claims", ""]
    if llms and controls:
        verdicts = judge_claims(rows, llms, controls)
        lines += ["Each claim: the LLM in a seat shows the anomaly more often than a rule-based control in the "
                  "same seat (claimed > 0), paired by case; holds / fails / not resolved as the 95 % interval "
                  "lies above 0, below 0, or across it.", "", summary_line(verdicts), "", verdict_table(verdicts)]
    else:
        lines += ["No claim judged: the run needs an LLM player and a rule-based control."]
    if controls:
        lines += ["", "Check of the price adapter (not a claim of the study): a rule-based control never breaks "
                  "its own budget or floor.", "", "| control | never breaks its own budget or floor |", "|---|---|"]
        for control in controls:
            safe = not any(r["out_of_budget"] for r in rows if r["buyer"] == control) and not any(
                r["below_wholesale"] for r in rows if r["seller"] == control)
            lines.append(f"| {control} | {'yes' if safe else 'no'} |")
    lines += ["", "Plots: " + ", ".join(_plots(run_dir, rows, players))]
    return "\n".join(lines)
