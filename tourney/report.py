"""Tables for people and files: the terminal (tabulate), CSV, Markdown, JSON.

``compute_tables`` reads a run's league copy and match log and hands the
records of the league's current schedule to ``tourney.scoring``; the rest of
this module only formats.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd
from tabulate import tabulate

from tourney.league import League
from tourney.ranking import adjacent_gaps
from tourney.schedule import ScheduleIndex, count_matches
from tourney.scoring import breakdown_table, match_rows, pairwise_table, score_table
from tourney.run_reader import league_of_run
from tourney.store import LOG_NAME, LogReader

FORMATS = ("table", "markdown", "csv", "json")


@dataclass
class Tables:
    league: League
    scores: pd.DataFrame
    pairwise: pd.DataFrame
    breakdown: pd.DataFrame
    rows: pd.DataFrame
    statuses: dict[str, int]
    expected: int  # matches in the schedule
    unreadable: int = 0  # complete lines of the log that are not records (skipped)


def compute_tables(run_dir: Path, league: League | None = None) -> Tables:
    league = league or league_of_run(run_dir)
    index = ScheduleIndex(league)
    statuses: dict[str, int] = {}
    log = LogReader(Path(run_dir) / LOG_NAME)

    def first_of_each() -> Iterator[dict[str, Any]]:
        # The log is read as a stream: a record is parsed, turned into rows and dropped.
        # Only the ids of played matches are kept, never a set of the whole schedule.
        seen: set[str] = set()
        for record in log:
            if record["id"] not in seen and index.match_of(record) is not None:
                seen.add(record["id"])
                statuses[record["status"]] = statuses.get(record["status"], 0) + 1
                yield record

    rows = match_rows(first_of_each(), league.scoring.metric, league.scoring.error_score)
    scores = score_table(rows, league.scoring.aggregate, league.scoring.trim, [p.name for p in league.players],
                         league.scoring.truncation)
    scores = adjacent_gaps(scores, rows)
    return Tables(league, scores, pairwise_table(rows), breakdown_table(rows), rows, statuses,
                  count_matches(league), log.unreadable)


def write_tables(run_dir: Path, tables: Tables) -> None:
    run_dir = Path(run_dir)
    tables.scores.to_csv(run_dir / "scores.csv", index=False, float_format="%.6f")
    tables.pairwise.to_csv(run_dir / "pairwise.csv", float_format="%.6f")
    tables.breakdown.to_csv(run_dir / "breakdown.csv", index=False, float_format="%.6f")
    (run_dir / "scores.md").write_text(render_scores(tables, "markdown") + "\n")


def _num(x: float, digits: int = 3) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _display_frame(tables: Tables) -> pd.DataFrame:
    s = tables.scores
    agg = tables.league.scoring.aggregate
    # "~" after a rank: the gap to the next rank is not significant (p >= 0.05).
    frame = pd.DataFrame({
        # "-": a player with no scored match has no rank (every match of it faulted or was voided).
        "rank": ["-" if pd.isna(r) else f"{r}{'~' if sig is False else ''}"
                 for r, sig in zip(s["rank"], _bools(s["sig_next"]))],
        "player": s["player"],
        agg: [_num(v) for v in s["score"]],
        "95% CI (mean)": [f"[{_num(a)}, {_num(b)}]" if not math.isnan(a) else "" for a, b in
                          zip(s["ci_low"], s["ci_high"])],
        "n": s["matches"],
        "agree": [_num(v, 2) for v in s["agreement"]],
        "faults": s["faults"],
    })
    if agg != "mean":
        frame.insert(3, "mean", [_num(v) for v in s["mean"]])
    return frame


def _bools(column: Iterable[Any]) -> list[bool | None]:
    return [None if pd.isna(v) else bool(v) for v in column]


def render_scores(tables: Tables, fmt: str = "table", width: int | None = None) -> str:
    if fmt == "csv":
        return str(tables.scores.to_csv(index=False, float_format="%.6f")).rstrip("\n")
    if fmt == "json":
        return json.dumps(json.loads(tables.scores.to_json(orient="records")), indent=2)
    frame = _display_frame(tables)
    s = tables.scores
    legend = "~ after a rank: not significantly above the next rank (p >= 0.05, Wilcoxon on matched matches)"
    if fmt == "markdown":
        text = str(tabulate(frame, headers="keys", tablefmt="github", showindex=False, disable_numparse=True))
        return text + ("\n\n" + legend if any(v is False for v in _bools(s["sig_next"])) else "")
    width = width or shutil.get_terminal_size((100, 24)).columns
    # Drop the least important columns until the table fits the terminal.
    for drop in ([], ["faults"], ["faults", "agree"], ["faults", "agree", "95% CI (mean)"]):
        text = str(tabulate(frame.drop(columns=drop), headers="keys", tablefmt="simple", showindex=False,
                            disable_numparse=True))
        if max(len(line) for line in text.splitlines()) <= width:
            break
    if any(v is False for v in _bools(s["sig_next"])):
        text += "\n" + legend
    return text


def run_header(tables: Tables) -> str:
    played = sum(tables.statuses.values())
    failed = {k: v for k, v in sorted(tables.statuses.items()) if k != "ok"}
    text = f"{tables.league.name}: {played}/{tables.expected} matches"
    if failed:
        text += " (" + ", ".join(f"{v} {k}" for k, v in failed.items()) + ")"
    if tables.unreadable:
        text += (f"; {tables.unreadable} unreadable line{'s' if tables.unreadable > 1 else ''} "
                 f"of {LOG_NAME} skipped")
    return text
