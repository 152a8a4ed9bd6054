"""[Match] -> match log, through joblib (loky by default; dask or ray clusters).

Only small picklable specs cross process boundaries; results stream back as
matches finish and the parent appends each to the match log at once. Rerunning
resumes: finished matches are skipped, never duplicated. A worker the OS kills
does not end the run: its in-flight matches are rerun on a fresh pool, and a
match that kills workers twice is recorded as ``crashed``.

Memory is flat in the number of matches: the schedule is a generator that
joblib pulls from a few batches ahead of the workers, and the only thing kept
per match is its id (the set of finished ids, about 100 bytes a match).

Engines: loky (default), dask (``Client(address)`` or a ``LocalCluster`` of
``jobs`` one-thread workers; dask itself reruns the tasks of a lost worker,
and ``done`` makes sure a rerun result is never appended twice) and ray
(``ray.util.joblib``; its backend cannot stream, so matches go in chunks of
``RAY_CHUNK``). On dask the time limit runs in a thread (see
``tourney.worker.call_with_time_limit`` for what cannot be interrupted there).
"""

from __future__ import annotations

import collections
import itertools
import os
import shlex
import statistics
import shutil
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from joblib import Parallel, delayed, parallel_config

from tourney.backend_watch import BackendWatch
from tourney.errors import LeagueError, TourneyError
from tourney.league import League, recorded_players
from tourney.records import MatchRecord
from tourney.keyproxy import KeyProxy, league_endpoints
from tourney.sandbox import (PLAYER_DIR, can_drop, declared_writes, hide_run_dir, prepare_player_dir,
                             share_folder)
from tourney.schedule import Match, iter_schedule
from tourney.store import AUTO, LEAGUE_COPY, LOG_NAME, MatchLog, now, read_manifest, versions, write_manifest
from tourney.supervisor import HOST_PREFIX, Isolation, close_all, kill_registered_hosts, play_supervised_batch
from tourney.worker import play_match

WORKER_WAIT_S = 60  # how long a cluster may take to show its first worker
RAY_START_ATTEMPTS = 2  # a local ray start that times out is tried again once
RAY_CHUNK = 512  # matches per submission on ray, whose joblib backend cannot stream
CRASH_LIMIT = 2  # a match on board when a worker died this often is recorded as crashed
BATCH_TARGET_S = 0.1  # with --batch auto, a task of short matches plays about this long
BATCH_MAX = 128  # matches in one task at most
BATCH_WINDOW = 31  # matches whose median duration sizes the next task
# Set once by `make reproduce` (or a `make reproduce-*` target) and written into
# the manifest of every run it makes, so the collector can tell that the runs
# of REPRODUCTION.md come from one invocation.
REPRODUCE_ID_VAR = "TOURNEY_REPRODUCE_ID"
OUTPUTS = ("scores.csv", "scores.md", "pairwise.csv", "breakdown.csv", "manifest.json", LOG_NAME, LEAGUE_COPY)


@dataclass
class RunSummary:
    total: int  # matches in the schedule (this shard)
    skipped: int  # already in the log when the run started
    played: int = 0
    statuses: Counter = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def matches_per_second(self) -> float:
        return self.played / self.elapsed if self.elapsed > 0 else 0.0


def select(schedule: Iterable[Match], shard: tuple[int, int] | None = None,
           max_matches: int | None = None) -> Iterator[Match]:
    """The part of a schedule this run plays: shard ``i`` of ``n`` (by match id), then at most ``max_matches``.

    A generator, so a 100k-match league is never held in memory as a list.
    """
    if shard is not None:
        index, count = shard
        schedule = (m for m in schedule if int(m.id, 16) % count == index)
    if max_matches is not None:
        schedule = itertools.islice(schedule, max_matches)
    yield from schedule


def prepare_run_dir(run_dir: Path, league: League, fresh: bool) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    if can_drop():  # players' hosts run as other users: none of them may write the run's files
        run_dir.chmod(run_dir.stat().st_mode & 0o7755)
    if fresh:
        for name in OUTPUTS:
            (run_dir / name).unlink(missing_ok=True)
        shutil.rmtree(run_dir / "plots", ignore_errors=True)
    (run_dir / LEAGUE_COPY).write_text(league.source)


def run_league(
    league: League,
    run_dir: Path,
    jobs: int | None = None,
    backend: str | None = None,
    address: str | None = None,
    fresh: bool = False,
    progress: bool = True,
    trace: bool = False,
    shard: tuple[int, int] | None = None,
    max_matches: int | None = None,
    group_commit_ms: float | str = AUTO,
    retry_failed: bool = False,
    batch: int | str = AUTO,
) -> RunSummary:
    """Play every match of ``league`` not yet in ``run_dir``'s log.

    Memory stays flat in the number of matches: the schedule is generated
    lazily, joblib pulls matches from it a few batches ahead of the workers,
    and each record is appended to the log and dropped as it arrives. What
    grows is one set of match ids (about 100 bytes a match).

    ``batch``: matches per task (``auto``: by their measured length, see
    ``BatchSizer``; 1: one match per task).
    """
    jobs = jobs if jobs is not None else league.run.jobs
    backend = backend or league.run.backend
    address = address if address is not None else league.run.address
    run_dir = Path(run_dir)
    prepare_run_dir(run_dir, league, fresh)

    def schedule() -> Iterator[Match]:
        return select(iter_schedule(league), shard, max_matches)

    log = MatchLog(run_dir / LOG_NAME, group_commit_ms=group_commit_ms)
    if retry_failed:
        log.drop_failed()
    log.open()
    try:
        done = log.finished_ids()
        total = skipped = 0
        for match in schedule():
            total += 1
            skipped += match.id in done
        summary = RunSummary(total=total, skipped=skipped)
        manifest = read_manifest(run_dir)
        manifest.update(
            league=league.name, league_file=str(Path(league.path).resolve()), league_hash=league.fingerprint,
            seed=league.seed, repetitions=league.repetitions, matches=total,
            versions=versions(), started=now(), finished=None, status="running",
            backend=backend, jobs=jobs, shard=list(shard) if shard else None,
            players=recorded_players(league),
            reproduce_id=os.environ.get(REPRODUCE_ID_VAR) or None, command=_command_line(),
        )
        write_manifest(run_dir, manifest)
        started = time.perf_counter()
        bar = _progress_bar(total, skipped, progress)
        try:
            player_dir = str(prepare_player_dir(run_dir).resolve())
            hide_run_dir(run_dir)  # after the player folder exists: all but it closed to the hosts
            share_declared_writes(league)
            backend_watch = BackendWatch(league.run.max_backend_faults)
            with KeyProxy(league_endpoints(league)) as key_routes:
                isolation = Isolation(memory_mb=league.format.memory_mb,
                                      fresh_per_match=league.format.isolation == "process",
                                      import_timeout=league.format.import_timeout,
                                      player_dir=player_dir, disk_mb=league.format.disk_mb, key_routes=key_routes)
                for record in dispatch(schedule, done, jobs, backend, address, league.format.timeout, trace,
                                       run_dir, isolation, batch):
                    log.append(record)
                    backend_watch.see(record)
                    summary.played += 1
                    summary.statuses[record.status] += 1
                    if bar is not None:
                        bar.update(1)
                        failed = sum(v for k, v in summary.statuses.items() if k != "ok")
                        if failed:
                            bar.set_postfix(failed=failed, refresh=False)
        finally:
            if bar is not None:
                bar.close()
        summary.elapsed = time.perf_counter() - started
        log.sync()
        manifest.update(finished=now(), status="finished", elapsed_s=round(summary.elapsed, 3),
                        played=summary.played)
        write_manifest(run_dir, manifest)
    finally:
        log.close()
    return summary


def _command_line() -> str:
    """How this process was started, as a user would type it (``tourney run ...``)."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if program in ("cli.py", "__main__.py"):
        program = "tourney"
    return shlex.join([program, *sys.argv[1:]])


def share_declared_writes(league: League) -> None:
    """Make the folders of files the league's players declare they write writable by their hosts.

    Only a folder named ``players`` (the run's own, or another run's: the
    consumer leagues share one reply cache) is shared, so a league cannot have
    root open a system or home folder to players; any other is a one-line error
    naming the player and the way out. Not root: nothing to do (players write
    as the runner's user).
    """
    if not can_drop():
        return
    for player in league.players:
        for world in league.worlds:
            resolved = league.resolved.get((player.name, world.index))
            if resolved is None:
                continue
            for path in declared_writes(resolved.cls, dict(player.params)):
                folder = path.absolute().parent
                if folder.name != PLAYER_DIR:
                    raise LeagueError(f"{league.path}: player '{player.name}' writes {path}, which its host (a "
                                      f"user of its own) may not; name a file in a '{PLAYER_DIR}' folder, "
                                      f"e.g. the run's: RUN_DIR/{PLAYER_DIR}/{path.name}")
                share_folder(folder)


def _progress_bar(total: int, initial: int, enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="match", file=sys.stderr, dynamic_ncols=True,
                smoothing=0.05)


class BatchSizer:
    """How many matches one task carries, so that short matches share a task's round trip.

    A task is one message to a worker, one to its player host and one reply
    (``Supervisor.play_batch``); for a 10-step bilateral match that round trip
    costs about as much as the match. With ``auto`` the first tasks carry one
    match each; then, from the median duration of the last ``BATCH_WINDOW``
    matches, as many as play in about ``BATCH_TARGET_S`` (at most ``BATCH_MAX``): matches
    that take longer than that go one a task, as without batching. An integer
    fixes the size (1: no batching). After a worker death every later task
    carries one match, so the replayed matches of the dead worker's batch are
    told apart.
    """

    def __init__(self, batch: int | str = AUTO) -> None:
        if batch != AUTO and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
            raise ValueError(f"batch must be 'auto' or a positive integer, not {batch!r}")
        self.fixed: int | None = None if batch == AUTO else int(batch)
        # seconds a match, of the last BATCH_WINDOW matches: their median is the estimate (a fresh
        # host's first matches are slow, a few long matches do not stop the short ones sharing tasks)
        self.recent: collections.deque[float] = collections.deque(maxlen=BATCH_WINDOW)
        self.largest = 1  # the largest task handed out since the last worker death

    @property
    def typical(self) -> float | None:
        return statistics.median(self.recent) if self.recent else None

    def observe(self, record: MatchRecord) -> None:
        if record.duration is not None:
            self.recent.append(float(record.duration))

    def size(self) -> int:
        typical = self.typical
        if self.fixed is not None:
            n = self.fixed
        elif typical is None:
            n = 1
        else:
            n = int(min(BATCH_MAX, max(1.0, BATCH_TARGET_S / max(typical, 1e-6))))
        self.largest = max(self.largest, n)
        return n

    def worker_died(self) -> bool:
        """A worker died: one match a task from now on. True if a task of several may have been on it."""
        several = self.largest > 1
        self.fixed, self.largest = 1, 1
        return several

    def batches(self, matches: Iterator[Match]) -> Iterator[list[Match]]:
        while batch := list(itertools.islice(matches, self.size())):
            yield batch


def _play_in_process(matches: list[Match], timeout: float | None, trace: bool) -> list[MatchRecord]:
    return [play_match(m, timeout, trace) for m in matches]


def dispatch(schedule: Callable[[], Iterable[Match]], done: set[str], jobs: int, backend: str,
             address: str | None, timeout: float | None, trace: bool, run_dir: Path,
             isolation: Isolation = Isolation(), batch: int | str = AUTO) -> Iterator[MatchRecord]:
    """Yield a record per match of ``schedule()`` not in ``done``, in completion order.

    ``done`` is updated as records are yielded, so a match is yielded at most
    once even when an engine runs it twice (dask reruns the tasks of a lost
    worker; the first result to arrive wins). After a worker death the
    schedule is walked again and only the unfinished matches are resubmitted.

    Every backend but ``sequential`` plays each match through a supervisor
    (``tourney.supervisor``) in a player host process, the runner itself
    with ``-j 1``: no player's code ever runs in the runner. ``sequential``
    plays in the runner's own process, a debug path with none of that
    protection (a player's ``os._exit`` ends the run there). Matches go
    to the workers in tasks of ``batch`` (see ``BatchSizer``).
    """
    inflight = run_dir / ".inflight"
    shutil.rmtree(inflight, ignore_errors=True)
    inflight.mkdir()
    crashes: Counter = Counter()
    blind_crashes = 0
    runner_pid = os.getpid()
    sizer = BatchSizer(batch)
    if backend == "sequential":
        _flag_real_interrupts()

        def task(ms):
            return delayed(_play_in_process)(ms, timeout, trace)
    else:
        def task(ms):
            return delayed(play_supervised_batch)(ms, timeout, trace, str(inflight), isolation, runner_pid,
                                                  backend == "loky")
    try:
        while True:
            pending = (m for m in schedule() if m.id not in done)
            first = next(pending, None)
            if first is None:
                return
            try:
                with backend_context(backend, address, jobs) as n_jobs:
                    tasks = (task(ms) for ms in sizer.batches(itertools.chain([first], pending)))
                    for records in _stream(tasks, n_jobs, backend):
                        for record in records:
                            sizer.observe(record)
                            if record.id not in done:
                                done.add(record.id)
                                yield record
                return
            except Exception as exc:  # noqa: BLE001 - decide below whether it is a dead worker
                if not _is_worker_death(exc):
                    raise
                markers = [p for p in inflight.iterdir() if not p.name.startswith(HOST_PREFIX)]
                suspects = {p.name for p in markers if p.name not in done}
                for path in markers:
                    path.unlink(missing_ok=True)
                if backend == "loky":  # joblib killed the pool's workers, and so orphaned their hosts
                    kill_registered_hosts(inflight)
                if sizer.worker_died():
                    # A task of several matches was on the dead worker: which one killed it is not known.
                    # Nothing is counted; they are replayed one a task, where a second death names the match.
                    continue
                if not suspects:
                    blind_crashes += 1
                    if blind_crashes > 3:
                        raise TourneyError(f"workers keep dying and no match can be blamed: {exc}") from exc
                crashes.update(suspects)
                doomed = {match_id for match_id in suspects if crashes[match_id] >= CRASH_LIMIT}
                for match in schedule():
                    if match.id in doomed and match.id not in done:
                        done.add(match.id)
                        yield _crashed_record(match, exc)
    finally:
        close_all()  # the hosts this process started (with -j 1, the runner's own)
        kill_registered_hosts(inflight)  # and what is left of the workers' (their workers killed under them)
        shutil.rmtree(inflight, ignore_errors=True)


def _flag_real_interrupts() -> None:
    """In the runner's own process, tell a Ctrl-C (which stops the run) from a player's KeyboardInterrupt."""
    import signal
    import threading

    from tourney import worker

    if threading.current_thread() is not threading.main_thread():
        return

    def interrupted(signum, frame):
        worker.INTERRUPTED = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)


def _stream(tasks: Iterator, n_jobs: int, backend: str) -> Iterator[MatchRecord]:
    """Results of ``tasks`` as they finish, holding only a few batches at a time."""
    if backend != "ray":
        yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered", batch_size="auto")(tasks)
        return
    # ray's joblib backend returns whole lists only (no return_as generator):
    # submit chunk by chunk so memory stays bounded; results then arrive a
    # chunk at a time and workers idle briefly at the end of each chunk.
    with Parallel(n_jobs=n_jobs, batch_size="auto") as parallel:
        while chunk := list(itertools.islice(tasks, RAY_CHUNK)):
            yield from parallel(chunk)


def _is_worker_death(exc: BaseException) -> bool:
    names = {type(e).__name__ for e in _chain(exc)}
    return bool(names & {"TerminatedWorkerError", "BrokenProcessPool", "KilledWorker", "WorkerCrashedError",
                         "RayActorError", "CommClosedError"})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _crashed_record(match: Match, exc: BaseException) -> MatchRecord:
    record = MatchRecord.for_match(match)
    record.blame("crashed", None, f"the worker process died {CRASH_LIMIT} times while playing this match: {exc}")
    return record


@contextmanager
def backend_context(backend: str, address: str | None, jobs: int) -> Iterator[int]:
    """Set joblib's backend for the block; yield the n_jobs to pass to Parallel."""
    if backend == "sequential" or jobs == 1 and backend == "loky":
        yield 1
        return
    if backend == "loky":
        with parallel_config(backend="loky", inner_max_num_threads=1):
            yield jobs
        return
    if backend == "dask":
        with _dask_client(address, jobs):
            _register_dask_backend()
            with parallel_config(backend=DASK_BACKEND):
                yield -1
        return
    if backend == "ray":
        with _ray_session(address, jobs):
            with parallel_config(backend="ray"):
                yield -1
        return
    raise TourneyError(f"unknown backend {backend!r}")


DASK_BACKEND = "tourney-dask"


class _TaskFailed:
    """What the dask backend hands joblib's completion callback for a failed task."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _register_dask_backend() -> None:
    """joblib's dask backend, made to report failed tasks to ``Parallel``.

    In joblib 1.6 ``DaskDistributedBackend._collect`` sets a failed task's
    exception on a future nothing reads and never calls the completion
    callback, so ``Parallel`` waits forever when dask gives up on a task
    (``KilledWorker``: the workers running it died ``allowed-failures`` times).
    This subclass passes the failure to the callback, whose retrieval raises
    it, so the runner's worker-death recovery sees it as on loky. It also
    keeps every match on the cluster (see ``effective_n_jobs``). Everything
    else is joblib's backend unchanged.
    """
    import asyncio

    from joblib import register_parallel_backend
    from joblib._dask import DaskDistributedBackend

    class ReportingDaskBackend(DaskDistributedBackend):
        async def _collect(self):
            while self._continue:
                async for future, result in self.waiting_futures:
                    cf_future = self._results.pop(future)
                    callback = self._callbacks.pop(future)
                    if future.status == "error":
                        error = result[1]
                        cf_future.set_exception(error)
                        callback(_TaskFailed(error))
                    else:
                        cf_future.set_result(result)
                        callback(result)
                await asyncio.sleep(0.01)

        def effective_n_jobs(self, n_jobs):
            # Never 1: joblib plays a one-job Parallel in the calling process,
            # so a cluster down to one worker (say, while nannies restart the
            # others) would have the runner itself play, and die of, a match.
            return max(2, super().effective_n_jobs(n_jobs))

        def retrieve_result_callback(self, out):
            if isinstance(out, _TaskFailed):
                raise out.error
            return super().retrieve_result_callback(out)

    register_parallel_backend(DASK_BACKEND, ReportingDaskBackend)


@contextmanager
def _dask_client(address: str | None, jobs: int):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise TourneyError("the dask backend needs dask.distributed: pip install -e '.[dask]'") from None
    cluster = None
    if address:
        try:
            client = Client(address, timeout="30s")
        except OSError as exc:
            raise TourneyError(f"cannot reach the dask scheduler at {address}: {exc}") from None
    else:
        workers = os.cpu_count() if jobs in (-1, None) else jobs
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except TimeoutError:
            raise TourneyError(f"no dask worker joined {address or 'the local cluster'} "
                               f"within {WORKER_WAIT_S} s") from None
        crowded = {addr: n for addr, n in client.nthreads().items() if n > 1}
        if crowded:
            # Matches seed the process-wide random generators and the
            # timeout needs a thread per match: two matches in one process
            # would draw from each other's generators.
            raise TourneyError(f"dask workers {', '.join(sorted(crowded))} run {max(crowded.values())} threads; "
                               "tourney needs one thread per worker process: start them with "
                               "`dask worker ADDRESS --nthreads 1 --nworkers N`")
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def _ray_session(address: str | None, jobs: int):
    try:
        import ray
        from ray.util.joblib import register_ray
    except ImportError:
        raise TourneyError("the ray backend needs ray: pip install -e '.[ray]'") from None
    register_ray()
    local = {} if address or jobs in (-1, None) else {"num_cpus": jobs}
    for attempt in range(RAY_START_ATTEMPTS):
        try:
            ray.init(address=address or None, ignore_reinit_error=True, include_dashboard=False, **local)
            break
        except Exception as exc:  # noqa: BLE001 - ray raises a bare Exception for this
            # ray waits a fixed 30 s for its raylet; on a busy machine a local
            # start can miss that, and a second try usually makes it.
            ray.shutdown()
            if address or "timed out during startup" not in str(exc) or attempt == RAY_START_ATTEMPTS - 1:
                raise TourneyError(f"ray did not start: {exc}") from exc
    try:
        yield
    finally:
        ray.shutdown()
