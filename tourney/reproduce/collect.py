"""Write REPRODUCTION.md from the reproduction runs (`make reproduce` calls this).

Each section is the ``reproduction.md`` that ``tourney reproduce NAME RUN_DIR``
wrote into a run directory, under a line per run with its command, seed,
start and finish, duration (the manifest's ``elapsed_s``) and versions. A run
that is missing is listed as not run, never filled in by hand. On top, a table
over all sections: each run's claim summary (the first "k of n claims hold, m
fail, r not resolved" line of its report) and the time it took.

The runs must come from one `make reproduce` invocation: it sets
``TOURNEY_REPRODUCE_ID`` once and every ``tourney run`` writes it into its
manifest. The collector refuses, in one line and writing nothing, a run with
another id or none, and a report older than its run. ``--section "make
reproduce-x"`` regenerates that section only (each `make reproduce-*` target
refreshes its own): its runs must share one id, the others are copied from the
existing file. Every section written also refreshes the baseline excerpts of
its runs (``tourney.reproduce.excerpt``) that the CI guard checks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tourney.reproduce import SECTIONS
from tourney.reproduce.excerpt import BASELINES, SUMMARY, ExcerptError, claim_lines, run_parts, write_excerpt
from tourney.runner import REPRODUCE_ID_VAR
from tourney.store import read_manifest

TIMING_NAME = "results/reproduce-timing.json"  # written by tourney.reproduce.sequence
TARGET_MIN = 90  # the end-to-end target of `make reproduce` on 2 cores
VERSIONS = ("tourney", "negmas", "scml", "numpy", "torch", "llama_cpp_python", "python")
HEADER = [
    "# Reproductions",
    "",
    "Each section comes from `tourney reproduce NAME RUN_DIR` over the runs it names, written by its "
    "`make reproduce-*` target (`make reproduce` writes them all, in this order, under one reproduction id); "
    "every run line gives the command, seed, start, finish, duration and versions of that run. Claim "
    "verdicts are those of `tourney/reproduce/claims.py` (95 % CI over replications: holds / fails / not "
    "resolved); `make test` recomputes them from the committed excerpts in `results/baselines/reproductions/`.",
    "",
]


class CollectError(Exception):
    """REPRODUCTION.md cannot be written from these runs (one line for the user)."""


@dataclass
class Run:
    run_dir: str
    manifest: dict[str, Any]
    report: str  # the run's reproduction.md


def collect(root: Path, only: str | None = None, previous: str | None = None,
            reproduce_id: str | None = None, timing: dict[str, Any] | None = None) -> str:
    """The whole file. With ``only`` (a section's command), every other section is
    copied from ``previous`` (the existing file's text) when it is there.

    CollectError when a run to be written did not come from ``reproduce_id``
    (with ``only`` and no id: when the section's runs do not share one)."""
    kept = _sections(previous or "")
    timing = timing if timing and timing.get("reproduce_id") == reproduce_id else None
    body: list[str] = []
    for title, command, run_dirs in SECTIONS:
        if only is not None and command != only and title in kept:
            body += [kept[title].rstrip(), ""]
        else:
            runs = _runs(root, run_dirs)
            _check_ids(command, runs, reproduce_id, require=only is None)
            body += _section(title, command, run_dirs, runs, timing)
    text = "\n".join(body)
    # A section made by its own target is written before that target ends: no end-to-end time then.
    total = summary_table(text, timing if only is None else None)
    return "\n".join([*HEADER, *total, "", text]).rstrip() + "\n"


def resummarise(previous: str) -> str:
    """The file with its header and summary table rebuilt from its own sections (in SECTIONS
    order), no run read: after merging sections that different targets wrote."""
    kept = _sections(previous)
    text = "\n".join(kept[title].rstrip() + "\n" for title, _, _ in SECTIONS if title in kept)
    return "\n".join([*HEADER, *summary_table(text), "", text]).rstrip() + "\n"


def _runs(root: Path, run_dirs: list[str]) -> dict[str, Run]:
    runs = {}
    for run_dir in run_dirs:
        path = root / run_dir / "reproduction.md"
        if not path.exists():
            continue
        manifest = read_manifest(root / run_dir)
        finished = manifest.get("finished")
        if finished and path.stat().st_mtime < _epoch(finished):
            raise CollectError(f"{path} is older than its run (finished {finished}): rerun "
                               f"`tourney reproduce NAME {run_dir}` first")
        runs[run_dir] = Run(run_dir, manifest, path.read_text().strip())
    return runs


def _check_ids(command: str, runs: dict[str, Run], reproduce_id: str | None, require: bool) -> None:
    ids = {run.run_dir: run.manifest.get("reproduce_id") for run in runs.values()}
    if reproduce_id is None and require:
        raise CollectError(f"no reproduction id ({REPRODUCE_ID_VAR} is not set): `make reproduce` sets it; "
                           "for one target use --section")
    for run_dir, run_id in ids.items():
        if run_id is None:
            raise CollectError(f"{run_dir}: its manifest has no reproduction id (a run not made by `{command}` "
                               f"or `make reproduce`); rerun `{command}`")
        if reproduce_id is not None and run_id != reproduce_id:
            raise CollectError(f"{run_dir}: run of reproduction {run_id}, not of this one ({reproduce_id}); "
                               f"rerun `{command}`")
    if len(set(ids.values())) > 1:
        listed = ", ".join(f"{d} {i}" for d, i in ids.items())
        raise CollectError(f"the runs of `{command}` come from different invocations ({listed}); rerun `{command}`")


def _section(title: str, command: str, run_dirs: list[str], runs: dict[str, Run], timing: dict[str, Any] | None) -> list[str]:
    body, total = [], 0.0
    for run_dir in run_dirs:
        run = runs.get(run_dir)
        if run is None:
            body += [f"*Run `{run_dir}`: not run yet (no reproduction.md).*", ""]
            continue
        elapsed = run.manifest.get("elapsed_s")
        total += float(elapsed or 0.0)
        meta = {"run_dir": run_dir, "reproduce_id": run.manifest.get("reproduce_id"), "elapsed_s": elapsed}
        body += [_run_line(run), f"<!-- run {json.dumps(meta, sort_keys=True)} -->", "",
                 _demote(run.report), ""]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    ids = sorted({str(r.manifest.get("reproduce_id")) for r in runs.values()})
    target = _target_timing(timing, command)
    took = [f"its {len(runs)} run{'s' if len(runs) != 1 else ''} took {total:.0f} s ({total / 60:.1f} min) "
            "of league play"] if runs else []
    if target is not None:
        took.append(f"the whole target {target['wall_s']:.0f} s wall ({target['wall_s'] / 60:.1f} min), "
                    f"{target['cpu_s']:.0f} s CPU")
    meta = {"command": command, **({"wall_s": target["wall_s"], "cpu_s": target["cpu_s"]} if target else {})}
    line = (f"*Reproduction id {', '.join(f'`{i}`' for i in ids) or 'none'}; section generated {stamp}"
            + (f"; {'; '.join(took)}" if took else "") + ".*")
    return [f"## {title}", "", f"Command: `{command}`", "", line, f"<!-- section {json.dumps(meta)} -->", "",
            *body]


def _run_line(run: Run) -> str:
    m = run.manifest
    elapsed = m.get("elapsed_s")
    took = f"{float(elapsed):.0f} s ({float(elapsed) / 60:.1f} min)" if elapsed is not None else "unknown duration"
    versions = m.get("versions") or {}
    shown = ", ".join(f"{k} {versions[k]}" for k in VERSIONS if k in versions)
    return (f"*Run `{run.run_dir}`, id `{m.get('reproduce_id')}`: `{m.get('command') or 'command not recorded'}`; "
            f"seed {m.get('seed')}, {m.get('matches')} matches; started {m.get('started') or '?'}, "
            f"finished {m.get('finished') or '?'}, {took} with -j {m.get('jobs')}"
            + (f"; {shown}" if shown else "") + ".*")


def _target_timing(timing: dict[str, Any] | None, command: str) -> dict[str, Any] | None:
    if not timing:
        return None
    name = command.split()[-1]
    return next((t for t in timing.get("targets", []) if t.get("target") == name), None)


# --- the summary over all sections ---
LEGACY_ELAPSED = re.compile(r"matches, (\d+(?:\.\d+)?) s\)")
COMMENT = re.compile(r"^<!-- (run|section) (\{.*\}) -->$")


def summary_table(text: str, timing: dict[str, Any] | None = None) -> list[str]:
    """Markdown: per section and run, the claim summary and durations, then the totals."""
    lines = ["## Summary", "", "| reproduction | run | claims | league play | whole target |", "|---|---|---|---|---|"]
    play_total, rows = 0.0, []
    for title, section in _sections(text).items():
        wall = None
        for line in section.splitlines():
            found = COMMENT.match(line)
            if found and found.group(1) == "section":
                wall = json.loads(found.group(2)).get("wall_s")
        parts = run_parts(section)
        first = True
        for run_dir, part in parts.items():
            elapsed = _elapsed(part)
            play_total += elapsed or 0.0
            if "not run yet" in part.splitlines()[0]:
                claims, play = "not run", "-"
            else:
                found_summary = SUMMARY.search(part)
                claims = found_summary.group(0) if found_summary else "no claim-checker summary"
                play = f"{elapsed / 60:.1f} min" if elapsed is not None else "unknown"
            whole = f"{wall / 60:.1f} min" if first and wall is not None else ""
            rows.append(f"| {title if first else ''} | `{run_dir}` | {claims} | {play} | {whole} |")
            first = False
    lines += rows + [""]
    if timing and timing.get("targets"):
        targets = timing["targets"]
        wall = sum(t["wall_s"] for t in targets)
        cpu = sum(t["cpu_s"] for t in targets)
        top = sorted(targets, key=lambda t: -t["wall_s"])[:3]
        share = ", ".join(f"{t['target']} {t['wall_s'] / 60:.1f} min ({t['wall_s'] / wall:.0%})" for t in top)
        verdict = "met" if wall <= TARGET_MIN * 60 else "not met"
        lines.append(f"**Total: {wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU for `make reproduce` "
                     f"(id `{timing['reproduce_id']}`, {timing.get('cores')} cores, load {timing.get('load')}); "
                     f"target under {TARGET_MIN} min: {verdict}.** Largest parts: {share}.")
    else:
        lines.append(f"Total league play of the runs above: {play_total / 60:.1f} min (from their manifests; "
                     "the sections were not all made by one `make reproduce`, so no end-to-end time).")
    return lines


def _elapsed(part: str) -> float | None:
    for line in part.splitlines():
        found = COMMENT.match(line)
        if found and found.group(1) == "run":
            value = json.loads(found.group(2)).get("elapsed_s")
            return None if value is None else float(value)
    legacy = LEGACY_ELAPSED.search(part.splitlines()[0]) if part else None
    return float(legacy.group(1)) if legacy else None


def _sections(text: str) -> dict[str, str]:
    """Title -> the text of that ``## `` section (heading included), for the known titles."""
    titles = {t for t, _, _ in SECTIONS}
    out: dict[str, str] = {}
    current, lines = None, []
    for line in text.splitlines():
        heading = re.match(r"^## (.+)$", line)
        if heading:
            if current is not None:
                out[current] = "\n".join(lines)
            name = heading.group(1).strip()
            current, lines = (name, [line]) if name in titles else (None, [])
        elif current is not None:
            lines.append(line)
    if current is not None:
        out[current] = "\n".join(lines)
    return out


def _demote(markdown: str) -> str:
    """Push a section's headings two levels down, under this file's ``##``."""
    return "\n".join("##" + line if line.startswith("#") else line for line in markdown.splitlines())


def _epoch(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def refresh_excerpts(root: Path, only: str | None) -> list[str]:
    """Rewrite the baseline excerpts of the runs of the sections just written; the problems, one line each."""
    problems = []
    for _, command, run_dirs in SECTIONS:
        if only is not None and command != only:
            continue
        for run_dir in run_dirs:
            manifest = read_manifest(root / run_dir)
            name = (manifest.get("reproduction") or {}).get("name")
            if not (root / run_dir / "reproduction.md").exists():
                continue
            if not claim_lines((root / run_dir / "reproduction.md").read_text()):
                continue  # no verdict of the claim checker (a model-matrix table): nothing to guard
            if name is None:
                problems.append(f"{run_dir}: its manifest does not say which reproduction wrote its report "
                                "(`tourney reproduce NAME RUN_DIR` records it): no excerpt")
                continue
            try:
                done = write_excerpt(name, root / run_dir, root / BASELINES, label=run_dir)
            except ExcerptError as exc:
                problems.append(str(exc))
                continue
            print(f"excerpt {done.path}: {done.records} records, {done.excerpt_bytes} bytes")
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tourney.reproduce.collect", description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", default=".", type=Path)
    parser.add_argument("--section", default=None,
                        help="regenerate only the section of this command, e.g. \"make reproduce-insight\"")
    parser.add_argument("--no-excerpts", action="store_true", help="do not refresh the baseline excerpts")
    parser.add_argument("--summary-only", action="store_true",
                        help="only rebuild the header and summary table from the file's own sections")
    args = parser.parse_args(argv)
    if args.summary_only:
        target = args.root / "REPRODUCTION.md"
        target.write_text(resummarise(target.read_text()))
        print(f"wrote {target} (summary only)")
        return
    commands = [c for _, c, _ in SECTIONS]
    if args.section is not None and args.section not in commands:
        parser.error(f"--section: unknown command {args.section!r}; known: {', '.join(commands)}")
    target = args.root / "REPRODUCTION.md"
    previous = target.read_text() if target.exists() else None
    timing_path = args.root / TIMING_NAME
    timing = json.loads(timing_path.read_text()) if timing_path.exists() else None
    reproduce_id = os.environ.get(REPRODUCE_ID_VAR) or None
    if timing is not None and (timing.get("reproduce_id") != reproduce_id or args.section is not None):
        timing = None
    try:
        text = collect(args.root, only=args.section, previous=previous, reproduce_id=reproduce_id, timing=timing)
    except CollectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    target.write_text(text)
    print(f"wrote {target}" + (f" (section {args.section})" if args.section else ""))
    print(summary_table(text, timing)[-1])
    problems = [] if args.no_excerpts else refresh_excerpts(args.root, args.section)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
