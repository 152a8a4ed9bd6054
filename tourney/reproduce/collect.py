"""Write REPRODUCTION.md from the reproduction runs (`make reproduce` calls this).

Each section is the ``reproduction.md`` that ``tourney reproduce NAME RUN_DIR``
wrote into a run directory, with the command that produced it, when its runs
finished and how long they took (the manifests' ``elapsed_s``). A run that is
missing is listed as not run, never filled in by hand.

``--section "make reproduce-x"`` regenerates that section only and keeps the
others as they are in the existing file (each `make reproduce-*` target
refreshes its own section without the runs of the others).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from tourney.reproduce import SECTIONS
from tourney.store import read_manifest

HEADER = [
    "# Reproductions",
    "",
    "Each section comes from `tourney reproduce NAME RUN_DIR` over the runs it names, written by its "
    "`make reproduce-*` target (`make reproduce` writes them all); it says when it was generated and how "
    "long its runs took.",
    "",
]


def collect(root: Path, only: str | None = None, previous: str | None = None) -> str:
    """The whole file. With ``only`` (a section's command), every other section is
    copied from ``previous`` (the existing file's text) when it is there."""
    kept = _sections(previous or "")
    parts = list(HEADER)
    for title, command, run_dirs in SECTIONS:
        if only is not None and command != only and title in kept:
            parts += [kept[title].rstrip(), ""]
        else:
            parts += _section(root, title, command, run_dirs)
    return "\n".join(parts).rstrip() + "\n"


def _section(root: Path, title: str, command: str, run_dirs: list[str]) -> list[str]:
    body, total, played = [], 0.0, 0
    for run_dir in run_dirs:
        path = root / run_dir / "reproduction.md"
        if path.exists():
            manifest = read_manifest(root / run_dir)
            elapsed = manifest.get("elapsed_s")
            if elapsed is not None:
                total += float(elapsed)
                played += 1
            took = f"{float(elapsed):.0f} s" if elapsed is not None else "unknown duration"
            body += [f"*Run `{run_dir}` finished {manifest.get('finished') or 'at an unknown time'} "
                     f"(seed {manifest.get('seed')}, {manifest.get('matches')} matches, {took}).*", "",
                     _demote(path.read_text().strip()), ""]
        else:
            body += [f"*{run_dir}: not run yet (no {path.name}).*", ""]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    duration = (f"; its {played} run{'s' if played != 1 else ''} took {total:.0f} s ({total / 60:.1f} min) "
                "of league play" if played else "")
    return [f"## {title}", "", f"Command: `{command}`", "",
            f"*Section generated {stamp}{duration}.*", "", *body]


def _sections(text: str) -> dict[str, str]:
    """Title -> the text of that ``## `` section (heading included), for the known titles."""
    titles = {t for t, _, _ in SECTIONS}
    out: dict[str, str] = {}
    current, lines = None, []
    for line in text.splitlines():
        heading = re.match(r"^## (.+)$", line)
        if heading and heading.group(1).strip() in titles:
            if current is not None:
                out[current] = "\n".join(lines)
            current, lines = heading.group(1).strip(), [line]
        elif current is not None:
            lines.append(line)
    if current is not None:
        out[current] = "\n".join(lines)
    return out


def _demote(markdown: str) -> str:
    """Push a section's headings two levels down, under this file's ``##``."""
    return "\n".join("##" + line if line.startswith("#") else line for line in markdown.splitlines())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tourney.reproduce.collect", description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", default=".", type=Path)
    parser.add_argument("--section", default=None,
                        help="regenerate only the section of this command, e.g. \"make reproduce-insight\"")
    args = parser.parse_args(argv)
    commands = [c for _, c, _ in SECTIONS]
    if args.section is not None and args.section not in commands:
        parser.error(f"--section: unknown command {args.section!r}; known: {', '.join(commands)}")
    target = args.root / "REPRODUCTION.md"
    previous = target.read_text() if target.exists() else None
    target.write_text(collect(args.root, only=args.section, previous=previous))
    print(f"wrote {target}" + (f" (section {args.section})" if args.section else ""))


if __name__ == "__main__":
    main()
