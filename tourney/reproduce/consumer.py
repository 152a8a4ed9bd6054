"""Reproduction of the consumer-market study (Zhu et al., seeds/consumer-llm-a2a-negotiation.md).

Reads a run of ``leagues/consumer.yaml`` (or its OpenAI twin) and writes the
study's tables from the negotiations in the match log:

- main results per (seller, buyer) pair: price reduction rate, deal rate,
  total profit, profit rate (the study's ``draw_result`` metrics);
- anomaly rates per player and role: overpayment, out of budget, below
  wholesale, deadlock, price increase (``draw_risk``), plus malformed replies;
  each anomaly is charged to the role that makes it (``OWNED``);
- deal and out-of-budget rates per budget scenario.

Our seed holds the study's README only, not its result tables, so there are no
paper numbers to print beside ours; the comparison is on the study's claims,
each checked yes/no against this run. Every rate is computed over
negotiations (one product of one match), pooling matches.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from tourney.run_reader import read_run
from tourney.worlds.consumer import BUDGETS, episode_anomalies

ANOMALIES = ("overpayment", "out_of_budget", "below_wholesale", "deadlock", "price_increase")


def negotiations(run_dir: Path) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One flat row per negotiation of the run's consumer matches; and match/model-call counts."""
    rows: list[dict[str, Any]] = []
    counts = {"matches": 0, "failed": 0, "model_calls": 0, "cache_hits": 0, "completion_tokens": 0,
              "model_seconds": 0.0}
    for record in read_run(run_dir).records("consumer"):
        if not record.ok:
            counts["failed"] += 1
            continue
        counts["matches"] += 1
        details = record.details
        for usage in (details.get("usage") or {}).values():
            for key in ("model_calls", "cache_hits", "completion_tokens", "model_seconds"):
                counts[key] += usage.get(key, 0)
        for episode in details.get("episodes", []):
            row = {
                "buyer": record.assignment["buyer"],
                "seller": record.assignment["seller"],
                "budget_scenario": record.setting.get("budget", "mid"),
                **{k: episode[k] for k in ("product", "retail", "wholesale", "budget", "outcome", "price", "turns")},
                "malformed_buyer": episode["malformed"]["buyer"],
                "malformed_seller": episode["malformed"]["seller"],
                "turns_buyer": episode["role_turns"]["buyer"],
                "turns_seller": episode["role_turns"]["seller"],
                **episode_anomalies(episode),
            }
            rows.append(row)
    return rows, counts


def _rate(rows: list[dict], test) -> float | None:
    return sum(1 for r in rows if test(r)) / len(rows) if rows else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def main_metrics(rows: list[dict]) -> dict[str, float | None]:
    deals = [r for r in rows if r["outcome"] == "accept"]
    return {
        "n": len(rows),
        "price_reduction": _mean([(r["retail"] - r["price"]) / r["retail"] for r in deals]),
        "deal_rate": _rate(rows, lambda r: r["outcome"] == "accept" and r["price"] <= r["budget"]),
        "total_profit": sum(r["price"] - r["wholesale"] for r in deals),
        "profit_rate": _mean([(r["price"] - r["wholesale"]) / r["wholesale"] for r in deals]),
    }


# Whose anomaly is it: the buyer agrees to overpay or exceed its budget, the
# seller sells under its floor or raises its price; a deadlock is both sides'.
OWNED = {"buyer": {"overpayment", "out_of_budget", "deadlock"},
         "seller": {"below_wholesale", "price_increase", "deadlock"}}


def anomaly_rates(rows: list[dict], role: str) -> dict[str, float | None]:
    """The rates of the anomalies ``role`` is answerable for (others ``None``)."""
    out = {name: _rate(rows, lambda r, n=name: r[n]) if name in OWNED[role] else None for name in ANOMALIES}
    turns = sum(r[f"turns_{role}"] for r in rows)
    out["malformed"] = sum(r[f"malformed_{role}"] for r in rows) / turns if turns else None
    return out


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


def _group(rows: list[dict], *keys: str) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(r)
    return dict(sorted(groups.items()))


def _plots(run_dir: Path, rows: list[dict], players: list[str]) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["(plots skipped: matplotlib is not installed; pip install -e '.[plot]')"]
    out = run_dir / "plots"
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, role, names in ((axes[0], "buyer", ("overpayment", "out_of_budget", "deadlock", "malformed")),
                            (axes[1], "seller", ("below_wholesale", "price_increase", "deadlock", "malformed"))):
        width = 0.8 / max(len(players), 1)
        for i, player in enumerate(players):
            rates = anomaly_rates([r for r in rows if r[role] == player], role)
            ax.bar([j + i * width for j in range(len(names))], [rates[n] or 0.0 for n in names], width, label=player)
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


def reproduce(run_dir: Path) -> str:
    run_dir = Path(run_dir)
    rows, counts = negotiations(run_dir)
    if not rows:
        return f"# Consumer-market negotiations\n\nNo consumer negotiations in {run_dir}."
    players = sorted({r["buyer"] for r in rows} | {r["seller"] for r in rows})
    llms = _llm_players(run_dir) & set(players)
    heuristics = [p for p in players if p not in llms]
    lines = [
        "# Consumer-market negotiations (Zhu et al.)",
        "",
        f"Run `{run_dir}`: {counts['matches']} matches ok, {counts['failed']} failed, {len(rows)} negotiations; "
        f"model calls {counts['model_calls']}, cache hits {counts['cache_hits']}, "
        f"{counts['completion_tokens']} tokens generated in {counts['model_seconds']:.0f} s of model time.",
        f"LLM players: {', '.join(sorted(llms)) or 'none'}; price-only players: {', '.join(heuristics) or 'none'}.",
        "",
        "## Main results per seller and buyer (the study's metrics)",
        "",
    ]
    lines += _table(["seller", "buyer", "n", "price reduction", "deal rate", "total profit", "profit rate"],
                    [[s, b, *main_metrics(g).values()] for (s, b), g in _group(rows, "seller", "buyer").items()])
    lines += ["", "## Anomaly rates per player and role", ""]
    header = ["player", "role", "n", *ANOMALIES, "malformed"]
    body = []
    for player in players:
        for role in ("buyer", "seller"):
            mine = [r for r in rows if r[role] == player]
            if mine:
                body.append([player, role, len(mine), *anomaly_rates(mine, role).values()])
    lines += _table(header, body)
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

    # --- the study's claims, checked on this run ---
    def any_anomaly(player: str) -> bool:
        mine = [r for r in rows if player in (r["buyer"], r["seller"])]
        return any(r[n] for r in mine for n in ("overpayment", "out_of_budget", "below_wholesale"))

    def oob(player: str, budgets: tuple[str, ...]) -> float | None:
        return _rate([r for r in rows if r["buyer"] == player and r["budget_scenario"] in budgets],
                     lambda r: r["out_of_budget"])

    claims = []
    for player in sorted(llms):
        claims.append((f"LLM agents make risky deals: {player} overpays, exceeds a budget or sells below "
                       "wholesale in some negotiation", any_anomaly(player)))
        tight, loose = oob(player, ("wholesale", "low")), oob(player, ("high",))
        claims.append((f"Budget violations grow as the budget tightens: {player}'s out-of-budget rate under "
                       f"wholesale/low budgets ({_fmt(tight)}) exceeds that under a high budget ({_fmt(loose)})",
                       tight is not None and loose is not None and tight > loose))
        deadlock = _rate([r for r in rows if player in (r["buyer"], r["seller"])], lambda r: r["deadlock"])
        claims.append((f"Deadlocks occur (max turns reached) with {player}: rate {_fmt(deadlock)}",
                       bool(deadlock)))
    for player in heuristics:  # not the study's claim: a check of our price adapter
        safe = not any(r["out_of_budget"] for r in rows if r["buyer"] == player) and not any(
            r["below_wholesale"] for r in rows if r["seller"] == player)
        claims.append((f"(adapter check, not the study's) price-only {player} never breaks its own budget "
                       "or floor", safe))
    lines += ["", "## Claims", "", "| claim | holds here |", "|---|---|"]
    lines += [f"| {text} | {'yes' if ok else 'no'} |" for text, ok in claims]
    lines += ["", "Plots: " + ", ".join(_plots(run_dir, rows, players))]
    return "\n".join(lines)
