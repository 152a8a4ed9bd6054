"""One self-contained HTML file for a run: ``tourney report RUN_DIR --html``, ``tourney run --report``.

Everything is inlined (CSS in a <style> element, plots as base64 PNG data
URIs), nothing is fetched: the file opens offline and can be mailed or
archived as is. Sections: scores with CIs and significance markers, the
game-theoretic analysis (``tourney.analysis``), ratings, pairwise tests, the
pairwise heatmap, per-setting plots, learning curves, negotiation traces of
the closest and the most lopsided matches, the league as played and the
manifest (versions, seed, durations, failures with blame).

All text from the league or the log (names, errors) is HTML-escaped; of a
failure only the status, the blamed player and the exception type are shown,
never the message (it may carry a server's error text).
"""

from __future__ import annotations

import base64
import html
import io
import math
from array import array
from pathlib import Path

import numpy as np
import pandas as pd

from tourney.analysis.analyze import Analysis
from tourney.analysis.render import game_frame, pairs_frame, profiles_line, ratings_frame
from tourney.report import Tables, _display_frame
from tourney.store import LEAGUE_COPY, iter_records, read_manifest

REPORT_NAME = "report.html"
SECTIONS = ("scores", "analysis", "ratings", "pairs", "heatmap", "settings", "learning", "traces", "league",
            "manifest")
MAX_FAILURES_LISTED = 25

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .88em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; display: block; margin: .6em 0; }
pre { background: #f7f7f7; padding: .8em; overflow-x: auto; font-size: .85em; }
.note { color: #666; font-size: .9em; } nav a { margin-right: .8em; }
"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(fig, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="{_png(fig)}">'


def _saved_img(draw, *args, alt: str) -> str | None:
    """Inline what a ``tourney.plots`` function saves (it takes the target last); None if it drew nothing."""
    buffer = io.BytesIO()
    if draw(*args, buffer) is None:
        return None
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>\n{body}\n</section>'


def write_html_report(run_dir: Path, tables: Tables, analysis: Analysis, path: Path | None = None) -> Path:
    """Render RUN_DIR's report to ``path`` (default RUN_DIR/report.html) and return the path."""
    run_dir = Path(run_dir)
    path = Path(path) if path else run_dir / REPORT_NAME
    path.write_text(render_html(run_dir, tables, analysis), encoding="utf-8")
    return path


def render_html(run_dir: Path, tables: Tables, analysis: Analysis) -> str:
    from tourney import plots

    facts = _scan_log(run_dir, _trace_ids(tables.rows))
    league = tables.league
    parts = [_section("scores", "Scores", _scores(tables)),
             _section("analysis", "Game-theoretic analysis", _analysis(analysis)),
             _section("ratings", "Ratings", _table(ratings_frame(analysis)) + _img(
                 _figures().rating_bars(analysis), "ratings")
                 + _note("Bradley-Terry strengths from pairwise wins (the seat with the higher score wins; "
                         "equal scores are half a win each), 95 % CI from the bootstrap over matches.")),
             _section("pairs", "Pairwise tests (Holm-corrected)", _pairs(analysis)),
             _section("heatmap", "Pairwise heatmap", _heatmap(tables, plots)),
             _section("settings", "Per-setting scores", _settings(tables, plots)),
             _section("learning", "Learning curves", _learning(run_dir, plots)),
             _section("traces", "Negotiation traces", _traces(tables, facts["traces"], plots)),
             _section("league", "League as played", _league(run_dir, tables)),
             _section("manifest", "Manifest", _manifest(run_dir, tables, facts))]
    nav = "".join(f'<a href="#{k}">{k}</a>' for k in SECTIONS)
    title = html.escape(f"tourney report: {league.name}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n"
            f"<p>{html.escape(_header(tables))}</p><nav>{nav}</nav>\n" + "\n".join(parts) + "\n</body></html>\n")


def _figures():
    from tourney.analysis import figures

    return figures


def _header(tables: Tables) -> str:
    from tourney.report import run_header

    return run_header(tables) + f"; seed {tables.league.seed}, {tables.league.repetitions} repetitions"


def _scores(tables: Tables) -> str:
    from tourney import plots

    legend = ("~ after a rank: not significantly above the next rank (p >= 0.05; Wilcoxon on matched matches, "
              "else a bootstrap of the means).")
    return (_table(_display_frame(tables)) + _note(legend)
            + _saved_img(plots.score_bars, tables, alt="scores"))


def _analysis(a: Analysis) -> str:
    figures = _figures()
    out = [_note(f"{a.samples} bootstrap samples (matches resampled within each cell of the meta-game), seed "
                 f"{a.seed}; alpha-Rank with ranking intensity alpha = {a.alpha:g} per unit of score and "
                 f"population m = {a.population}. Nash: a symmetric equilibrium of the meta-game (smallest "
                 "support first); P(support): share of bootstrap samples with the player in it. Replicator: rest "
                 "point from the uniform population; P(survive): share with more than 0.1 % mass at the end. "
                 "Nash averaging: skill against the maximum-entropy Nash of A - A^T (0 on its support).")]
    for g in a.games:
        out.append(f"<h3>Meta-game: {html.escape(g.game.label)}</h3>")
        out.append(_table(game_frame(g)))
        if g.populations:
            out.append(_note(profiles_line(g)))
        if not g.nash_found:
            out.append(_note("No symmetric Nash equilibrium was found within the support-enumeration budget."))
        out.append(_img(figures.alpharank_bars(g), f"alpha-Rank {g.game.label}"))
        out.append(_img(figures.replicator_paths(g), f"replicator {g.game.label}"))
        payoff = pd.DataFrame(g.game.mean, index=g.game.players, columns=g.game.players)
        cells = payoff.map(lambda v: "" if math.isnan(v) else f"{v:.3f}")
        se = pd.DataFrame(g.game.se, index=g.game.players, columns=g.game.players)
        count = pd.DataFrame(g.game.count, index=g.game.players, columns=g.game.players)
        text = cells.copy()
        for r in text.index:
            for c in text.columns:
                if count.at[r, c]:
                    s = se.at[r, c]
                    text.at[r, c] = f"{cells.at[r, c]} ± {'' if math.isnan(s) else f'{s:.3f}'} (n={count.at[r, c]})"
        out.append("<details><summary>payoff matrix (row against column: mean ± SE, n)</summary>"
                   + _table(text.reset_index(names="player")) + "</details>")
    out += [_note(n) for n in a.notes]
    return "\n".join(out)


def _pairs(a: Analysis) -> str:
    p = a.pairs
    significant = int(p["significant"].fillna(False).astype(bool).sum())
    return (_note(f"{significant} of {len(p)} pairs differ at the 5 % family-wise level (Holm). Each pair uses "
                  "the adjacent-rank test (Wilcoxon on matched matches, else a seeded bootstrap).")
            + _table(pairs_frame(a)))


def _heatmap(tables: Tables, plots) -> str:
    if tables.pairwise.empty:
        return _note("No scored matches.")
    return _saved_img(plots.pairwise_heatmap, tables, alt="pairwise heatmap")


def _settings(tables: Tables, plots) -> str:
    b = tables.breakdown
    if b["setting"].nunique() > 1:
        return _saved_img(plots.setting_lines, tables, alt="scores per setting")
    frame = b.groupby(["world", "role", "player"], sort=True)["mean"].mean().reset_index()
    frame["mean"] = frame["mean"].map(lambda v: f"{v:.3f}")
    return _note("The league has one setting per world; mean score per world, role and player:") + _table(frame)


def _learning(run_dir: Path, plots) -> str:
    image = _saved_img(plots.learning_curves, run_dir, alt="learning curves")
    if image is None:
        return _note("No player in this run keeps a learning curve and no match has enough episodes for one.")
    return image


def _trace_ids(rows: pd.DataFrame) -> dict[str, str]:
    """Match id -> why it is shown: the closest, a median and the most lopsided two-seat match.

    Matches that reached an agreement are preferred (two players who both walk away with nothing are
    "close" but show no negotiation); all matches are used when none agreed."""
    ok = rows[(rows["status"] == "ok") & rows["score"].notna()]
    if ok.empty:
        return {}
    seats = ok.groupby(["id", "role"], sort=True, observed=True)[["score", "agreement"]].mean().reset_index()
    per_match = seats.groupby("id", sort=True, observed=True).agg(
        count=("score", "count"), high=("score", "max"), low=("score", "min"), agreed=("agreement", "min"))
    two = per_match[per_match["count"] == 2]
    if (two["agreed"] > 0).any():
        two = two[two["agreed"] > 0]
    if two.empty:
        return {}
    gap = (two["high"] - two["low"]).sort_values(kind="stable")
    chosen = {gap.index[0]: f"closest match (score gap {gap.iloc[0]:.3f})"}
    median = gap.index[len(gap) // 2]
    chosen.setdefault(median, f"median match (score gap {gap.loc[median]:.3f})")
    chosen.setdefault(gap.index[-1], f"most lopsided match (score gap {gap.iloc[-1]:.3f})")
    return chosen


def _scan_log(run_dir: Path, wanted: dict[str, str]) -> dict:
    """One pass over the log: the records to trace, match durations, failures with blame."""
    durations, failures, traces, blame = array("d"), [], {}, {}
    for record in iter_records(run_dir):
        if isinstance(record.get("duration"), (int, float)):
            durations.append(float(record["duration"]))
        if record["id"] in wanted and record["id"] not in traces:
            traces[record["id"]] = record
        if record.get("status") != "ok":
            who = record.get("blamed") or "(no one)"
            key = (str(who), str(record.get("status")))
            blame[key] = blame.get(key, 0) + 1
            if len(failures) < MAX_FAILURES_LISTED:
                failures.append({"match": str(record["id"])[:12], "status": record.get("status"),
                                 "blamed": who, "role": record.get("blamed_role") or "",
                                 "error type": _error_type(record.get("error"))})
    return {"durations": np.frombuffer(durations, dtype=np.float64) if durations else np.zeros(0),
            "failures": failures, "blame": blame,
            "traces": [(traces[i], why) for i, why in wanted.items() if i in traces]}


def _error_type(error) -> str:
    """The exception class of an error text ("ValueError: ..." -> "ValueError"), never the message."""
    if not isinstance(error, str) or not error.strip():
        return ""
    last = [line for line in error.strip().splitlines() if line.strip()][-1]
    head = last.split(":", 1)[0].strip()
    return head if head.replace(".", "").replace("_", "").isalnum() and len(head) <= 60 else "error"


def _traces(tables: Tables, chosen: list[tuple[dict, str]], plots) -> str:
    out = []
    for record, why in chosen:
        seats = ", ".join(f"{role}: {player}" for role, player in sorted(record["assignment"].items()))
        title = f"{why}: {seats}, match {record['id'][:8]}"
        try:
            fig = plots.trace_figure(tables, record)
        except Exception as exc:  # a replay that fails is reported, not fatal to the report
            out.append(_note(f"{title}: no trace ({type(exc).__name__})"))
            continue
        if fig is None:
            out.append(_note(f"{title}: not a bilateral price negotiation, no offer trace"))
            continue
        out.append(f"<h3>{html.escape(title)}</h3>" + _img(fig, title))
    return "\n".join(out) or _note("No two-seat match was scored.")


def _league(run_dir: Path, tables: Tables) -> str:
    path = Path(run_dir) / LEAGUE_COPY
    text = path.read_text() if path.exists() else ""
    return (_note(f"The league file as played (seed {tables.league.seed}, repetitions "
                  f"{tables.league.repetitions} after any command-line overrides):")
            + f"<pre>{html.escape(text)}</pre>")


def _manifest(run_dir: Path, tables: Tables, facts: dict) -> str:
    manifest = read_manifest(run_dir)
    versions = manifest.get("versions") or {}
    general = {k: v for k, v in sorted(manifest.items()) if not isinstance(v, (dict, list))}
    out = ["<h3>Run</h3>", _table(pd.DataFrame({"key": list(general), "value": [str(v) for v in general.values()]}))]
    if versions:
        out += ["<h3>Versions</h3>", _table(pd.DataFrame({"package": list(versions),
                                                           "version": [str(v) for v in versions.values()]}))]
    d = facts["durations"]
    if len(d):
        out += ["<h3>Match durations (s)</h3>", _table(pd.DataFrame([{
            "matches": len(d), "total": f"{d.sum():.1f}", "mean": f"{d.mean():.4f}",
            "median": f"{np.median(d):.4f}", "p95": f"{np.percentile(d, 95):.4f}", "max": f"{d.max():.4f}"}]))]
    out.append("<h3>Failures</h3>")
    if not facts["blame"]:
        out.append(_note("No match failed."))
    else:
        blame = pd.DataFrame([{"blamed": who, "status": status, "matches": n}
                              for (who, status), n in sorted(facts["blame"].items())])
        out += [_table(blame), _note(f"First {len(facts['failures'])} failed matches (the error message is in "
                                     "matches.jsonl, not shown here):"), _table(pd.DataFrame(facts["failures"]))]
    return "\n".join(out)
