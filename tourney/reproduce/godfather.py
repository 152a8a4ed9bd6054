"""Reproduction of Godfather's score table (de Campos et al. 2021, Section 5).

Reads a run of ``leagues/godfather.yaml`` and prints our scores beside the
paper's, then judges every claim with the shared claim checker
(``tourney.reproduce.claims``).

Scores are SCML's: per world, a factory's final/initial balance; per agent,
SCML's aggregate ``negmas.helpers.numeric.truncated_mean`` with its defaults
(the one ``scml.utils.anac2021_oneshot`` passes as ``metric``: scores above
Q3 + 2 IQR are dropped, none below) over every world of the run.

The unit of replication is the config (one league repetition: one market,
played once per rotation of the competitors over its factories). The worlds of
one config share the market, so they are not independent; an agent's value for
a config is its mean over that config's worlds, and claims pair agents by
config. The report also gives the spread of a claim's difference per config
and per world and how many configs would resolve it at that spread.

The baselines are the 2021 tutorial agents re-implemented in
``players/scml2021`` (Better, Learning, Adaptive, Simple) and, for the
competition's other 2021 agents, what scml 0.8 still ships (``PAPER`` names
each mapping).

Claims (the paper's words, Section 5: "Godfather performs very well against
the weaker baselines and nearly as well as BetterAgent and LearningAgent",
and its table): the table's order Better > Learning > Godfathers > Adaptive >
the weaker four, one claim per adjacent step (each Godfather judged on its
own), Godfather above the weaker four (their mean per config), and GBM above
Empirical (1.126 vs 1.072).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from tourney.league import League
from tourney.records import MatchRecord
from tourney.run_reader import read_run
from tourney.reproduce.claims import (
    Claim,
    Verdict,
    judge,
    mean_interval,
    summary_line,
    verdict_table,
)

# paper name -> (paper score, our league player, what it is)
PAPER = {
    "Better": (1.397, "BetterAgent", "SCML 2021 tutorial BetterAgent, players/scml2021"),
    "Learning": (1.241, "LearningAgent", "SCML 2021 tutorial LearningAgent, players/scml2021"),
    "GodfatherGBM": (1.126, "GodfatherGBM", "this package, GBM predictor (players/godfather/models)"),
    "GodfatherEmpirical": (1.072, "GodfatherEmpirical", "this package, empirical predictor"),
    "Adaptive": (1.011, "AdaptiveAgent", "SCML 2021 tutorial AdaptiveAgent, players/scml2021"),
    "GreedyInd": (0.727, "GreedyIndNeg", "not in scml 0.8: GreedyOneShotAgent (per-partner greedy)"),
    "SimpleAgent": (0.713, "SimpleAgent", "SCML 2021 tutorial SimpleAgent, players/scml2021"),
    "SimpleSingle": (0.662, "SimpleSingle", "not in scml 0.8: GreedySingleAgreementAgent"),
    "Sync": (0.568, "SyncAgent", "not in scml 0.8: GreedySyncAgent"),
}
GODFATHERS = ("GodfatherGBM", "GodfatherEmpirical")
WEAKER = ("GreedyInd", "SimpleAgent", "SimpleSingle", "Sync")
SOURCE = "Section 5, score table"
WORDS = ("In an environment full of baseline agents, Godfather performs very well against the weaker "
         "baselines and nearly as well as BetterAgent and LearningAgent")
WEAKER_MEAN = "mean of the weaker four"


def scml_truncated_mean(values: list[float]) -> float:
    """SCML's own aggregate (negmas ``truncated_mean`` with its default Tukey fence)."""
    from negmas.helpers.numeric import truncated_mean

    return float(truncated_mean(np.asarray(values, dtype=float)))


# --- reading the run ---
def run_scores(records: Iterable[MatchRecord]) -> tuple[dict[str, dict[Any, list[float]]], int, int]:
    """Per league player, per config (repetition), its score in every world; and match counts."""
    scores: dict[str, dict[Any, list[float]]] = defaultdict(lambda: defaultdict(list))
    ok = failed = 0
    for record in records:
        if record.world_type != "oneshot":
            continue
        if not record.ok:
            failed += 1
            continue
        ok += 1
        config = (record.rep, record.world_index)
        for world in record.details["worlds"]:
            for role, score in world["scores"].items():
                scores[record.assignment[role]][config].append(float(score))
    return scores, ok, failed


def per_config(scores: Mapping[str, Mapping[Any, list[float]]]) -> tuple[list[Any], dict[str, list[float | None]]]:
    """Configs (sorted) and, per player, its mean score in each (None where it did not play)."""
    configs = sorted({c for by_config in scores.values() for c in by_config}, key=str)
    means = {p: [float(np.mean(by_config[c])) if c in by_config else None for c in configs]
             for p, by_config in scores.items()}
    return configs, means


# --- the claims ---
def claims() -> list[tuple[Claim, str, str]]:
    """(claim, higher, lower): ``higher`` and ``lower`` are paper names or WEAKER_MEAN."""
    out: list[tuple[Claim, str, str]] = []

    def add(slug: str, text: str, hi: str, lo: str) -> None:
        quantity = f"score per config, {_player(hi)} minus {_player(lo)}"
        # one league match = one config (market), the unit of replication
        out.append((Claim(slug, text, SOURCE, quantity, ">", unit="match"), hi, lo))

    add("better-above-learning", "Better 1.397 > Learning 1.241", "Better", "Learning")
    for g in GODFATHERS:
        add(f"learning-above-{_slug(g)}", f"Learning 1.241 > {g} {PAPER[g][0]}; {WORDS}", "Learning", g)
    for g in GODFATHERS:
        add(f"{_slug(g)}-above-adaptive", f"{g} {PAPER[g][0]} > Adaptive 1.011", g, "Adaptive")
    for w in WEAKER:
        add(f"adaptive-above-{_slug(w)}", f"Adaptive 1.011 > {w} {PAPER[w][0]}", "Adaptive", w)
    for g in GODFATHERS:
        add(f"{_slug(g)}-above-weaker", f"{WORDS} ({g} {PAPER[g][0]} above all four weaker agents)",
            g, WEAKER_MEAN)
    add("gbm-above-empirical", "GodfatherGBM 1.126 > GodfatherEmpirical 1.072", "GodfatherGBM", "GodfatherEmpirical")
    return out


def judge_claims(means: Mapping[str, list[float | None]]) -> list[tuple[Verdict, list[float]]]:
    """Every claim judged (paired by config, t interval); with its per-config differences."""
    out = []
    for claim, hi, lo in claims():
        a, b = _values(means, hi), _values(means, lo)
        verdict = judge(claim, a, b, paired=True)
        diffs = [x - y for x, y in zip(a, b) if x is not None and y is not None]
        out.append((verdict, diffs))
    return out


def configs_needed(diffs: list[float], level: float = 0.95) -> float:
    """Configs a paired t interval needs to exclude 0 at this mean and spread (inf if the mean is 0)."""
    if len(diffs) < 2:
        return math.nan
    d, sd = float(np.mean(diffs)), float(np.std(diffs, ddof=1))
    if d == 0:
        return math.inf
    if sd == 0:
        return 2
    z = stats.norm.ppf((1 + level) / 2)
    n: int = max(2, math.ceil((z * sd / abs(d)) ** 2))
    while n < 10**7 and stats.t.ppf((1 + level) / 2, n - 1) * sd / math.sqrt(n) >= abs(d):
        n += 1
    return n


def world_spread(scores: Mapping[str, Mapping[Any, list[float]]], hi: str, lo: str) -> float:
    """SD over worlds of the paired per-world difference (worlds of a config share a market: a lower bound)."""
    a, b = _world_values(scores, hi), _world_values(scores, lo)
    d = [x - y for x, y in zip(a, b)]
    return float(np.std(d, ddof=1)) if len(d) > 1 else math.nan


# --- the report ---
def reproduce(run_dir: Path) -> str:
    run_dir = Path(run_dir)
    run = read_run(run_dir)
    records = list(run.records())
    scores, ok, failed = run_scores(records)
    return report(scores, ok, failed, str(run_dir), run_dir, setting(run.league, records))


def setting(league: League, records: list[MatchRecord]) -> str:
    """The league the run played (name, repetitions, world params) and the days its worlds drew."""
    parts = []
    params = [dict(w.params) for w in league.worlds if w.type == "oneshot"]
    parts.append(f"League `{league.name}`: {league.repetitions} repetitions of "
                 f"{', '.join(str(p) for p in params)}.")
    if league.name != "godfather":
        parts.append(f"**Not the shipped `leagues/godfather.yaml`**: this run played `{league.name}` "
                     "(see its parameters above), so it is not what `make reproduce-godfather` runs.")
    played = sum(1 for r in records if r.world_type == "oneshot")
    expected = league.repetitions * len(params)
    if played < expected:
        parts.append(f"**Partial run**: {played} of the league's {expected} markets played "
                     "(`tourney run` resumes the rest).")
    days = [w["n_steps"] for r in records if r.ok
            for w in r.details.get("worlds", []) if "n_steps" in w]
    if days:
        parts.append(f"Days per world: min {min(days)}, median {int(np.median(days))}, max {max(days)}.")
    model = gbm_models()
    if model:
        parts.append(model)
    return " ".join(parts)


def gbm_models(model_dir: Path | None = None) -> str:
    """One line on the GBM models the GodfatherGBM player loads (``meta.json`` of ``train-godfather``)."""
    import inspect
    import json

    from tourney.registry import resolve_player

    if model_dir is None:
        # the folder beside the registered GodfatherGBM player's module, where it loads its models from
        gbm = resolve_player("godfather-gbm", "oneshot")
        if gbm is None:
            return ""
        model_dir = Path(inspect.getfile(gbm.cls)).parent / "models"
    path = Path(model_dir) / "meta.json"
    if not path.is_file():
        return ""
    meta = json.loads(path.read_text())
    held = meta.get("scores", {})

    def num(key: str, fmt: str) -> str:
        return format(held[key], fmt) if isinstance(held.get(key), (int, float)) else "n/a"

    return (f"GBM models (`players/godfather/models`, `{meta.get('command', 'tourney train godfather')}`): "
            f"{meta.get('rows')} rows ({meta.get('agreements')} agreed) from {meta.get('worlds')} self-play "
            f"worlds of {meta.get('days', '?')} days; on the {meta.get('held_out_worlds')} held-out worlds "
            f"quantity macro AUC {num('quantity_macro_auc', '.3f')} (paper ~0.95), price RMSE "
            f"{num('price_rmse', '.2f')} price units (paper ~3; {num('price_rmse_scaled', '.3f')} of the price range).")


def report(scores: Mapping[str, Mapping[Any, list[float]]], ok: int, failed: int, run_name: str,
           plot_dir: Path | None = None, played: str = "") -> str:
    if not scores:
        return f"# Godfather reproduction\n\nNo OneShot matches in {run_name}: run `make reproduce-godfather`."
    configs, means = per_config(scores)
    ours = {p: scml_truncated_mean([s for c in sorted(by, key=str) for s in by[c]]) for p, by in scores.items()}
    ranks = {p: i + 1 for i, p in enumerate(sorted(ours, key=lambda p: -ours[p]))}
    n_worlds = max(sum(len(v) for v in by.values()) for by in scores.values())
    lines = [
        "# Godfather (SCML 2021 OneShot): our scores beside the paper's",
        "",
        (f"Run: `{run_name}`; {ok} matches ok, {failed} failed; {len(configs)} configs (markets), "
        f"{n_worlds} worlds per player. {played + ' ' if played else ''}Score: final/initial balance per world. "
        "'SCML aggregate' is SCML's `truncated_mean` over every world (drop scores above Q3 + 2 IQR); "
        "'mean per config [95 % CI]' is the t interval over configs, the unit the claims are judged on."),
        "",
        ("| paper agent | paper score | our agent | SCML aggregate | mean per config [95 % CI] | our rank "
        "| paper rank | what it is |"),
        "|---|---|---|---|---|---|---|---|",
    ]
    paper_rank = {n: i + 1 for i, n in enumerate(sorted(PAPER, key=lambda n: -PAPER[n][0]))}
    for name, (paper, player, what) in PAPER.items():
        if player not in ours:
            lines.append(f"| {name} | {paper:.3f} | {player} | not played | | | {paper_rank[name]} | {what} |")
            continue
        lines.append(f"| {name} | {paper:.3f} | {player} | {ours[player]:.3f} | {_mean_ci(means[player])} "
                     f"| {ranks[player]} | {paper_rank[name]} | {what} |")
    mapped = {player for _, player, _ in PAPER.values()}
    for player in sorted(set(ours) - mapped, key=lambda p: -ours[p]):
        lines.append(f"| (not in the paper) | | {player} | {ours[player]:.3f} | {_mean_ci(means[player])} "
                     f"| {ranks[player]} | | extra |")

    judged = judge_claims(means)
    verdicts = [v for v, _ in judged]
    lines += ["", "## Claims", "",
              ("Each claim: the difference of two agents' scores per config, paired by config; 95 % t interval "
              "over configs; holds / fails / not resolved as the interval lies above 0, below 0, or across it."),
              "", summary_line(verdicts), "", verdict_table(verdicts), "",
              "## Variance: how many configs would resolve each claim", "",
              ("SD of the claim's difference per config and per world (the worlds of a config share a market, "
              "so the per-world SD understates the spread between markets); configs needed: the smallest n "
              "whose paired t interval excludes 0 if the mean difference and its per-config SD stay as "
              "measured here."), "",
              "| claim | mean difference | SD per config | SD per world | configs needed |",
              "|---|---|---|---|---|"]
    for (verdict, diffs), (_, hi, lo) in zip(judged, claims()):
        sd = float(np.std(diffs, ddof=1)) if len(diffs) > 1 else math.nan
        needed = configs_needed(diffs)
        sw = world_spread(scores, hi, lo) if lo != WEAKER_MEAN else math.nan
        lines.append(f"| {verdict.claim.id} | {_fmt(verdict.difference)} | {_fmt(sd, sign=False)} | "
                     f"{_fmt(sw, sign=False)} | "
                     f"{_needed(needed, len(diffs))} |")
    if plot_dir is not None:
        _plot(Path(plot_dir), ours)
        lines += ["", "Plot: `plots/godfather_scores.png` (ours beside the paper's, per paper agent)."]
    return "\n".join(lines)


# --- helpers ---
def _player(name: str) -> str:
    return WEAKER_MEAN if name == WEAKER_MEAN else PAPER[name][1]


def _slug(name: str) -> str:
    return {"GodfatherGBM": "gbm", "GodfatherEmpirical": "empirical"}.get(name, name.lower())


def _values(means: Mapping[str, list[float | None]], name: str) -> list[float | None]:
    """Per config, the agent's mean (None where it did not play: the claim is then not resolved)."""
    n = max((len(v) for v in means.values()), default=0)
    if name != WEAKER_MEAN:
        return list(means.get(_player(name), [None] * n))
    columns = [means.get(PAPER[w][1], [None] * n) for w in WEAKER]
    return [None if any(c[i] is None for c in columns) else float(np.mean([c[i] for c in columns]))
            for i in range(n)]


def _world_values(scores: Mapping[str, Mapping[Any, list[float]]], name: str) -> list[float]:
    by = scores.get(_player(name), {})
    return [s for c in sorted(by, key=str) for s in by[c]]


def _mean_ci(values: list[float | None]) -> str:
    mean, low, high = mean_interval(values)
    if sum(v is not None for v in values) < 2:
        return f"{mean:.3f} [n/a: one config]"
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def _fmt(x: float, sign: bool = True) -> str:
    if math.isnan(x):
        return "n/a"
    return f"{x:+.3f}" if sign else f"{x:.3f}"


def _needed(n: float, have: int) -> str:
    if isinstance(n, float) and math.isnan(n):
        return "n/a (fewer than 2 configs)"
    if math.isinf(n):
        return "never (mean difference 0)"
    return f"{n} (have {have})"


def _plot(run_dir: Path, ours: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n, (_, player, _) in PAPER.items() if player in ours]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.bar(x - 0.2, [PAPER[n][0] for n in names], 0.4, label="paper (2021)")
    ax.bar(x + 0.2, [ours[PAPER[n][1]] for n in names], 0.4, label="ours (SCML aggregate)")
    ax.set_xticks(x, [f"{n}\n({PAPER[n][1]})" for n in names], fontsize=7)
    ax.set_ylabel("score (final / initial balance)")
    ax.axhline(1.0, color="grey", lw=0.5)
    ax.legend()
    fig.tight_layout()
    plots = run_dir / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    fig.savefig(plots / "godfather_scores.png", dpi=120)
    plt.close(fig)
