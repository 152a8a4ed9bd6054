"""The ``tourney`` command: a thin click layer over the modules below it."""

from __future__ import annotations

import math
import os
import signal
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from tourney import __version__
from tourney.errors import RegressionError, Terminated, TourneyError

INTERRUPTED = "Interrupted: finished matches are in the log; rerun the same command to resume."
TERMINATED = "Terminated: finished matches are in the log; rerun the same command to resume."
# Only these commands write a log that a rerun resumes; the others (report, analyze, ...) only read.
RESUMABLE_COMMANDS = frozenset({"run", "merge"})


class _ShardType(click.ParamType):
    name = "i/n"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            index, count = (int(x) for x in str(value).split("/"))
        except ValueError:
            self.fail(f"{value!r} is not of the form i/n (like 0/4)", param, ctx)
        if count < 1 or not 0 <= index < count:
            self.fail(f"{value!r}: need 0 <= i < n", param, ctx)
        return (index, count)


class _GroupCommitType(click.ParamType):
    name = "MS|auto"

    def convert(self, value, param, ctx):
        if value == "auto" or isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return value
        try:
            ms = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is neither a number of milliseconds nor 'auto'", param, ctx)
        if not ms >= 0:
            self.fail(f"{value!r}: needs MS >= 0", param, ctx)
        return ms


class _BatchType(click.ParamType):
    name = "N|auto"

    def convert(self, value, param, ctx):
        if value == "auto" or isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        try:
            n = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is neither a number of matches nor 'auto'", param, ctx)
        if n < 1:
            self.fail(f"{value!r}: needs N >= 1", param, ctx)
        return n


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tourney")
def cli() -> None:
    """Run ANAC-style negotiation tournaments from league files."""


@cli.command()
@click.argument("league", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-j", "--jobs", type=int, default=None, help="Worker processes (-1: every core). League default.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run directory (default results/<league name>); rerunning resumes there.")
@click.option("--fresh", is_flag=True, help="Start over instead of resuming.")
@click.option("--retry-failed", is_flag=True, help="Play again the matches that failed (error, timeout, crashed).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Override the league seed.")
@click.option("--reps", type=click.IntRange(min=1), default=None, help="Override the repetitions.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--backend", type=click.Choice(["loky", "sequential", "dask", "ray"]), default=None)
@click.option("--address", default=None, help="Scheduler address for --backend dask|ray.")
@click.option("--shard", type=_ShardType(), default=None, help="Play only shard i of n (merge later).")
@click.option("--max-matches", type=click.IntRange(min=1), default=None, help="Play at most N matches.")
@click.option("--trace", is_flag=True, help="Keep full negotiation traces in the match log.")
@click.option("--plot", is_flag=True, help="Make the plots at the end (as tourney plot).")
@click.option("--report", "html_report", is_flag=True,
              help="Write RUN_DIR/report.html at the end (as tourney report --html).")
@click.option("--group-commit", "group_commit", type=_GroupCommitType(), default="auto", metavar="MS|auto",
              help="fsync the match log at most every MS ms (records are still flushed at once); 0: fsync "
                   "every record; default auto: every record unless matches are short, then at most 1 s apart.")
@click.option("--batch", "batch", type=_BatchType(), default="auto", metavar="N|auto",
              help="Matches per task sent to a worker and its player host; 1: one at a time; default auto: "
                   "short matches share a task (about 0.1 s of play, at most 128), others go alone.")
def run(league, jobs, out, fresh, retry_failed, seed, reps, quiet, backend, address, shard, max_matches, trace,
        plot, html_report, group_commit, batch):
    """Play every match of LEAGUE not yet played and print the score table."""
    from tourney.league import load_league
    from tourney.report import compute_tables, render_scores, run_header, write_tables
    from tourney.runner import run_league

    spec = load_league(league).with_overrides(seed, reps)
    run_dir = out or Path("results") / spec.name
    with _writing(run_dir, "tourney run"):
        summary = run_league(spec, run_dir, jobs=jobs, backend=backend, address=address, fresh=fresh,
                             progress=not quiet, trace=trace, shard=shard, max_matches=max_matches,
                             group_commit_ms=group_commit, retry_failed=retry_failed, batch=batch)
        tables = compute_tables(run_dir, spec)
        write_tables(run_dir, tables)
    click.echo(run_header(tables))
    click.echo(render_scores(tables))
    if summary.played:
        click.echo(f"played {summary.played} matches in {summary.elapsed:.1f} s "
                   f"({summary.matches_per_second:.1f} matches/s); results in {run_dir}", err=True)
    if plot:
        _plot(run_dir, None)
    if html_report:
        _html_report(run_dir, tables)
    _check_failures(tables)


@contextmanager
def _writing(run_dir: Path, command: str) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the block; mark its manifest if the block ends early.

    An OSError that names no file (a failed write() does not) is reported
    against ``run_dir``, in one line.
    """
    from tourney.store import RunLock, mark_unfinished, storage_error

    with RunLock(run_dir, command):
        try:
            yield
        except KeyboardInterrupt as exc:
            mark_unfinished(run_dir, "interrupted", "SIGTERM" if isinstance(exc, Terminated) else "SIGINT")
            raise
        except TourneyError as exc:
            mark_unfinished(run_dir, "stopped", str(exc))
            raise
        except OSError as exc:
            mark_unfinished(run_dir, "stopped", exc.strerror or str(exc))
            raise storage_error(Path(exc.filename) if exc.filename else run_dir, exc) from None


def _check_failures(tables) -> None:
    played = sum(tables.statuses.values())
    failed = played - tables.statuses.get("ok", 0)
    limit = tables.league.scoring.max_failures
    if played and failed / played > limit:
        raise RegressionError(f"{failed} of {played} matches failed (more than {limit:.0%}); "
                              "see the 'error' field of their records in matches.jsonl")


@cli.command()
@click.argument("league", type=click.Path(dir_okay=False, path_type=Path))
def validate(league):
    """Check LEAGUE without playing it."""
    from tourney.league import load_league
    from tourney.schedule import count_matches

    spec = load_league(league)
    click.echo(f"{league}: ok: {len(spec.players)} players, {len(spec.worlds)} worlds, "
               f"{count_matches(spec)} matches")


@cli.command()
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "csv", "json"]), default="table")
@click.option("--html", "html", is_flag=True,
              help="Also write RUN_DIR/report.html: one self-contained page (tables, analysis, plots, traces).")
@click.option("--samples", type=click.IntRange(min=10), default=None,
              help="Bootstrap samples for the analysis in --html (default 500).")
def report(run_dir, fmt, html, samples):
    """Print the score table of RUN_DIR from its match log."""
    from tourney.report import compute_tables, render_scores, run_header

    tables = compute_tables(run_dir)
    if fmt == "table":
        click.echo(run_header(tables))
    click.echo(render_scores(tables, fmt))
    if html:
        _html_report(run_dir, tables, samples)


def _html_report(run_dir: Path, tables, samples: int | None = None) -> None:
    from tourney.analysis.run import analyze_tables
    from tourney.html_report import write_html_report

    path = write_html_report(run_dir, tables, analyze_tables(tables, samples=samples))
    click.echo(f"wrote {path}", err=True)


@cli.command()
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table")
@click.option("--samples", type=click.IntRange(min=10), default=None,
              help="Bootstrap samples (matches resampled within cells). Default 500.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Bootstrap seed (default: the league's).")
@click.option("--alpha", type=click.FloatRange(min=0, min_open=True), default=None,
              help="alpha-Rank ranking intensity, per unit of score (default 100, open_spiel's).")
@click.option("--population", type=click.IntRange(min=2), default=None,
              help="alpha-Rank population size m (default 50).")
def analyze(run_dir, fmt, samples, seed, alpha, population):
    """Game-theoretic analysis of RUN_DIR: meta-game, replicator dynamics, Nash, Nash averaging,
    alpha-Rank, Bradley-Terry ratings and Holm-corrected pairwise tests, with bootstrap uncertainty.
    Writes RUN_DIR/analysis/."""
    from tourney.analysis.render import render_analysis, write_analysis
    from tourney.analysis.run import analyze_run

    result = analyze_run(run_dir, samples=samples, seed=seed, alpha=alpha, population=population)
    out = write_analysis(run_dir, result)
    click.echo(render_analysis(result, fmt))
    click.echo(f"wrote {out}", err=True)


@cli.command()
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("baseline", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tol", type=click.FloatRange(min=0), default=1e-6, show_default=True,
              help="Largest allowed absolute change of a player's score.")
def check(run_dir, baseline, tol):
    """Exit 1 if a player's score in RUN_DIR drifts from BASELINE (a scores.csv) by more than --tol."""
    from tourney.checking import compare_scores
    from tourney.report import compute_tables

    if math.isnan(tol):
        raise click.BadParameter("must be a number >= 0, not nan", param_hint="'--tol'")
    tables = compute_tables(run_dir)
    ok, text = compare_scores(tables.scores, baseline, tol)
    click.echo(text)
    if not ok:
        raise RegressionError(f"scores of {run_dir} drifted from {baseline} beyond {tol:g}")


def _plot(run_dir: Path, match_id: str | None) -> None:
    from tourney.plots import make_plots

    for path in make_plots(run_dir, match_id):
        click.echo(f"wrote {path}", err=True)


@cli.command()
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--match", "match_id", default=None, help="Match id (or prefix) whose negotiation trace to draw.")
def plot(run_dir, match_id):
    """Draw RUN_DIR's plots (scores, pairwise heatmap, settings, traces, learning curves) as PNGs."""
    _plot(run_dir, match_id)


@cli.command()
def players():
    """List the built-in players, the worlds and roles they play, and their parameters."""
    from tourney.catalog_text import players_text

    click.echo(players_text())


@cli.command()
def worlds():
    """List the built-in worlds with their parameters."""
    from tourney.catalog_text import worlds_text

    click.echo(worlds_text())


@cli.command()
@click.argument("name")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
def reproduce(name, run_dir):
    """Compare RUN_DIR with the paper behind reproduction NAME (writes reproduction.md, plots/)."""
    from tourney.registry import reproduction

    from tourney.store import now, read_manifest, write_manifest

    text = reproduction(name)(run_dir)
    (run_dir / "reproduction.md").write_text(text + "\n")
    manifest = read_manifest(run_dir)
    if manifest:  # which reproduction wrote the report: the collector refreshes its baseline excerpt
        write_manifest(run_dir, {**manifest, "reproduction": {"name": name, "at": now()}})
    click.echo(text)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.argument("run_dirs", nargs=-1, required=True,
                type=click.Path(file_okay=False, exists=True, path_type=Path))
def merge(out, run_dirs):
    """Merge the match logs of RUN_DIRS (shards of one league) into OUT and print its table.

    Records are deduplicated by match id; two different outcomes for one id
    are listed in OUT/merge_conflicts.jsonl and make the command exit 1.
    """
    from tourney.report import compute_tables, render_scores, run_header, write_tables
    from tourney.store import CONFLICTS_NAME, merge_runs

    with _writing(out, "tourney merge"):
        summary = merge_runs(out, list(run_dirs))
        tables = compute_tables(out)
        write_tables(out, tables)
    click.echo(run_header(tables))
    click.echo(render_scores(tables))
    click.echo(f"merged {len(run_dirs)} runs into {out}: {summary.written} new records, "
               f"{summary.duplicates} duplicates dropped, {len(summary.conflicts)} conflicts", err=True)
    if summary.conflicts:
        raise RegressionError(f"{len(summary.conflicts)} matches have different outcomes in different runs "
                              f"(first kept); see {out / CONFLICTS_NAME}")


class _LazyTrain(click.Group):
    """`tourney train NAME`: the commands registered as ``tourney.trainers`` entry points."""

    def list_commands(self, ctx):
        from tourney.registry import trainer_names

        return trainer_names()

    def get_command(self, ctx, name):
        from tourney.registry import trainer

        return trainer(name)


cli.add_command(_LazyTrain(name="train", help="Train a learning player (the registered trainers: "
                                             "ddpg, godfather, insight, ...)."))


def _mark_worker_interrupted() -> None:
    # A runner that plays matches in its own process (sequential) must not take
    # the interrupt for a fault of the player whose code it lands in.
    worker = sys.modules.get("tourney.worker")
    if worker is not None:
        worker.INTERRUPTED = True


def _raise_terminated(signum, frame) -> None:
    _mark_worker_interrupted()
    raise Terminated()


def _raise_interrupt(signum, frame) -> None:
    _mark_worker_interrupted()
    raise KeyboardInterrupt()


def _interrupt_of(exc: BaseException) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt behind ``exc`` (click wraps one raised in a command in ``Abort``)."""
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _command_of(args: list[str]) -> str | None:
    """The subcommand a command line names (the first word that is one)."""
    return next((word for word in args if word in cli.commands), None)


HASH_SEED = "0"


def _fix_hash_seed() -> None:
    """Restart this command with ``PYTHONHASHSEED=0`` unless it already has it.

    The order of a set of strings depends on the interpreter's hash seed, and
    negotiators iterate such sets (MiCRO's offers on a scenario with text-valued
    issues differ between two processes otherwise). Workers and player hosts
    inherit the runner's seed, so one fixed seed here makes the table the same
    on every run, whatever the number of jobs.
    """
    if os.environ.get("PYTHONHASHSEED") == HASH_SEED or not getattr(sys, "orig_argv", None):
        return
    os.environ["PYTHONHASHSEED"] = HASH_SEED
    try:
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    except OSError:
        pass  # no restart possible (an embedded interpreter): workers still get the fixed seed


def main(argv: list[str] | None = None) -> None:
    """Entry point: errors become one line on stderr and an exit code.

    Ctrl-C (SIGINT) exits 130 and SIGTERM 143, each with a line saying the
    finished matches are kept; the run's manifest then says ``interrupted``.
    """
    if argv is None:  # run as a program, not called from Python (tests pass their argv)
        _fix_hash_seed()
    # An interrupted run drops joblib's result generator on purpose; joblib's "tasks ... have been cancelled"
    # advice would only bury the line that says how to resume.
    warnings.filterwarnings("ignore", message=r"\d+ tasks (have been successfully|which were still)",
                            category=UserWarning, module=r"joblib\.")
    signal.signal(signal.SIGTERM, _raise_terminated)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when SIGINT is ignored (nohup, &)
        signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        cli.main(args=argv, prog_name="tourney", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt) as exc:
        interrupt = _interrupt_of(exc)
        if interrupt is None:  # click's Abort for an EOF at a prompt
            click.echo("Aborted.", err=True)
            sys.exit(1)
        terminated = isinstance(interrupt, Terminated)
        if _command_of(sys.argv[1:] if argv is None else argv) in RESUMABLE_COMMANDS:
            click.echo(TERMINATED if terminated else INTERRUPTED, err=True)
        else:
            click.echo("Terminated." if terminated else "Interrupted.", err=True)
        sys.exit(143 if terminated else 130)
    except TourneyError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
