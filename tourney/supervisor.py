"""The supervisor: plays each match in a player host it forked, and watches it from outside.

Every worker (the runner itself with ``-j 1``, a loky worker, a dask or ray
worker) runs one ``Supervisor``. It never runs a player's code: it forks a
host (``tourney.host``) and hands it matches over a socket. While a match is
played the supervisor waits for the reply and meanwhile enforces, from
outside the player's process:

- the wall limit: past ``timeout`` plus a small grace (the host's own SIGALRM
  is the fast path and normally ends the match first), the host is killed and
  the match recorded ``timeout``, blamed on the player that was acting;
- the memory limit: a host whose resident memory grows more than
  ``memory_mb`` past what it started with (its worker's, at the fork) is
  killed and the match recorded ``error`` (``memory``) against the acting
  player; a host still above the limit after a match is replaced;
- the host's life: when the host dies (``os._exit``, a signal, the OOM
  killer), the acting slot (``tourney.acting``) says who was acting: the match
  is recorded ``crashed`` and blamed on that player. A death outside any
  player call is replayed in a fresh host, and recorded ``crashed`` unblamed
  after ``CRASH_LIMIT`` deaths.

After any of these the next match gets a fresh host. With ``isolation:
process`` every match gets a fresh host. When the supervisor's own parent
goes away (the runner was killed), a watcher thread kills the host and ends
the supervisor, so no process outlives the runner.
"""

from __future__ import annotations

import atexit
import os
import select
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from tourney import capture
from tourney import host as host_module
from tourney import memgroup, sandbox, wire
from tourney.acting import ActingSlot
from tourney.records import MatchRecord
from tourney.schedule import Match

CRASH_LIMIT = 2  # host deaths outside any player call before a match is recorded crashed
POLL_S = 0.1  # how often the supervisor looks at the clock and the memory while a match runs
REPLY_READ_S = 10.0  # a reply that has begun must be complete within this (a forged header cannot block)
SETUP_LIMIT_S = 120.0  # before the match clock starts, beyond the players' imports (each bounded on its own)
DEFAULT_MEMORY_MB = 4096
DEFAULT_IMPORT_TIMEOUT = 60.0  # format: {import_timeout}
DEFAULT_DISK_MB = 1024
PARENT_POLL_S = 0.2


def grace_for(timeout: float) -> float:
    """How long past its limit a match may take to unwind before its host is killed."""
    return min(10.0, 1.0 + 0.05 * timeout)


@dataclass(frozen=True)
class Isolation:
    """How players are contained: the league's ``format`` keys ``memory_mb`` and ``isolation``."""

    memory_mb: int | None = DEFAULT_MEMORY_MB
    fresh_per_match: bool = False  # ``isolation: process``
    player_dir: str | None = None  # the one folder players may write (tourney.sandbox.PLAYER_DIR)
    import_timeout: float | None = DEFAULT_IMPORT_TIMEOUT  # seconds to import one player type's module
    disk_mb: int | None = DEFAULT_DISK_MB  # ``format: {disk_mb}``: no file a host writes grows past it
    key_routes: str | None = None  # the run's model-key proxy routes (tourney.keyproxy.ENV_PROXY)


class _Host:
    def __init__(self, isolation: Isolation) -> None:
        self.slot = ActingSlot()
        ours, theirs = socket.socketpair()
        output_r, output_w = os.pipe()  # the host's stdout and stderr
        pdeathsig = threading.current_thread() is threading.main_thread()
        sandbox.fix_slot()  # the host computes its uid from the slot it inherits
        sandbox.grant_import_reach()  # hosts keep no capability: the folders they import from must let them
        memgroup.base()  # found once, inherited by the host that makes its group there
        for stream in (sys.stdout, sys.stderr):  # else the host inherits, and prints, what they buffer
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        pid = os.fork()
        if pid == 0:  # the host; never returns
            ours.close()
            os.close(output_r)
            host_module.serve(Connection(theirs.detach()), self.slot, isolation.memory_mb, pdeathsig, _RUNNER_PID,
                              isolation.player_dir, output_w, isolation.import_timeout, isolation.disk_mb,
                              isolation.key_routes)
        theirs.close()
        os.close(output_w)
        os.set_blocking(output_r, False)
        self.output_fd: int | None = output_r
        # A fresh fork's resident set is its parent's: players' memory is what it grows beyond that.
        self.baseline = host_module.resident_bytes()
        self.pid = pid
        self.dropped = sandbox.can_drop()  # the host runs as sandbox.host_uid(pid)
        self.registered = _register_host(pid) if self.dropped else None
        self.conn = Connection(ours.detach())
        self.matches = 0
        self.exit_status: int | None = None
        self.collected = False  # reaped: its pid may now belong to another process

    def wait(self, output: capture.BatchOutput) -> bool:
        """Wait up to POLL_S for the host's reply, reading what it prints meanwhile; True if one is there."""
        fds = [self.conn.fileno()] if not self.conn.closed else []
        if self.output_fd is not None:
            fds.append(self.output_fd)
        try:
            readable, _, _ = select.select(fds, [], [], POLL_S)
        except (OSError, ValueError):
            return True  # a broken connection: the read that follows says so
        if self.output_fd is not None and self.output_fd in readable:
            self.read_output(output)
        return bool(fds) and fds[0] in readable

    def read_output(self, output: capture.BatchOutput, limit_s: float = 0.0) -> None:
        """Read what the host printed into ``output``, counting each read in the slot (``host._end_of_output``)."""
        if self.output_fd is None:
            return
        deadline = time.monotonic() + limit_s
        slot = self.slot
        while True:
            slot.count_read()
            try:
                data = os.read(self.output_fd, capture.READ_BYTES)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            finally:
                slot.count_read()
            if not data:  # the writers are gone
                self._close_output()
                return
            output.add(data)
            if time.monotonic() >= deadline:
                return

    def _close_output(self) -> None:
        if self.output_fd is not None:
            try:
                os.close(self.output_fd)
            except OSError:
                pass
            self.output_fd = None

    def alive(self) -> bool:
        return self.exit_status is None and self._reap(block=False) is None

    def _reap(self, block: bool) -> int | None:
        """The host's wait status once it has ended (None while it runs).

        Only ``kill`` collects the host: until then an ended host stays a
        zombie, so its pid (hence its user, ``sandbox.host_uid``) cannot be
        handed to another process before ``kill`` has killed that user's processes.
        """
        if self.exit_status is not None:
            return self.exit_status
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT | (0 if block else os.WNOHANG))
        except ChildProcessError:
            self.exit_status = -1
            return self.exit_status
        if info is None:
            return None
        if info.si_code == os.CLD_EXITED:
            self.exit_status = (info.si_status & 0xFF) << 8
        else:  # killed or dumped: the signal number, as waitpid encodes it
            self.exit_status = info.si_status & 0x7F
        return self.exit_status

    def left_threads(self) -> bool:
        """Threads started by player code still run in the host (they would act in its next match)."""
        try:
            return bool(self.slot.seats_with_threads())
        except ValueError:  # the slot is gone with a killed host
            return False

    def group_oom(self) -> bool:
        """Whether the kernel killed a process of the host's memory cgroup (tourney.memgroup) for its limit."""
        return self.dropped and memgroup.oom_kills(sandbox.host_uid(self.pid)) > 0

    def rss(self) -> int:
        try:
            with open(f"/proc/{self.pid}/statm", "rb") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    def kill(self) -> None:
        """Kill the host, everything in its session and every descendant; reap it."""
        if self.dropped and not self.collected:  # its user: the host and all it started, wherever it went
            try:
                sandbox.kill_user(sandbox.host_uid(self.pid))
            except OSError:
                pass
            if self.registered is not None:
                self.registered.unlink(missing_ok=True)
        if self.exit_status is None:
            try:
                import psutil

                victims = psutil.Process(self.pid).children(recursive=True)
            except Exception:  # noqa: BLE001 - psutil missing or the host already gone
                victims = []
            for signal_target in (lambda: os.killpg(self.pid, signal.SIGKILL),
                                  lambda: os.kill(self.pid, signal.SIGKILL)):
                try:
                    signal_target()
                except OSError:
                    pass
            for proc in victims:
                try:
                    proc.kill()
                except Exception:  # noqa: BLE001 - gone already
                    pass
        if not self.collected:
            self.collected = True
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            if self.dropped:
                memgroup.remove(sandbox.host_uid(self.pid))
        try:
            self.conn.close()
        except OSError:
            pass
        self._close_output()
        self.slot.close()


class Supervisor:
    """Plays matches in a forked host; see the module docstring for what it enforces."""

    def __init__(self, isolation: Isolation) -> None:
        self.isolation = isolation
        self._host: _Host | None = None
        self._seq = 0
        self._watching = False

    def play(self, match: Match, timeout: float | None, trace: bool = False) -> MatchRecord:
        return self.play_batch([match], timeout, trace)[0]

    def play_batch(self, matches: list[Match], timeout: float | None, trace: bool = False) -> list[MatchRecord]:
        """The records of ``matches``, in order, played one after another in this worker's host.

        The host gets the whole batch in one message and replies once with the
        records. Each match still has its own clock, memory watch and blame:
        the host's slot says which match of the batch is being played. A match
        that kills its host, or has it killed, is recorded as alone; the matches
        of the batch the dead host had finished (their records died with it)
        and those after it are played in a fresh host. After a timeout, a
        memory fault or with the host above its limit the host ends the batch
        early and is replaced, as after a single match.
        """
        self._watch_parent()  # before anything: a worker whose runner is gone plays nothing
        for world_type in {m.world_type for m in matches}:
            _prepare_world(world_type)
        records: list[MatchRecord | None] = [None] * len(matches)
        deaths = [0] * len(matches)
        todo = list(range(len(matches)))
        while todo:
            chunk = todo[:1] if self.isolation.fresh_per_match else todo
            host = self._fresh_host()
            first = self._seq + 1
            self._seq += len(chunk)
            played, failure = self._play_chunk(host, [matches[i] for i in chunk], first, timeout, trace)
            for position, record in enumerate(played):
                records[chunk[position]] = record
            if failure is not None:
                position, record = failure
                index = chunk[position]
                if record is None:  # the host died outside any player's call: replayed
                    deaths[index] += 1
                    if deaths[index] >= CRASH_LIMIT:
                        record = failed_record(matches[index], "crashed", None,
                                               f"the worker process died {deaths[index]} times while playing "
                                               "this match, outside any player's call", os.getpid())
                records[index] = record
            elif played:
                last = played[-1]
                # A timeout raised by the alarm can interrupt anything, a module import
                # included: the host's state is not trusted after one.
                # After a MemoryError the host may still hold what the player took.
                # Threads a player started that still run would act in the next match, under another seat.
                if (self.isolation.fresh_per_match or last.status == "timeout" or not host.alive()
                        or last.reason == "memory" or self._over_memory(host) or host.left_threads()):
                    self._retire()
            todo = [i for i in todo if records[i] is None]
        return [r for r in records if r is not None]

    def close(self) -> None:
        self._retire()

    def _fresh_host(self) -> _Host:
        # Bytes waiting before a match was sent were written by a player after its last call:
        # that host is not trusted with another match.
        if self._host is not None and (not self._host.alive() or self._host.conn.closed
                                       or wire.has_pending(self._host.conn.fileno())):
            self._retire()
        if self._host is None:
            self._host = _Host(self.isolation)
            self._watch_parent()
        return self._host

    def _retire(self) -> None:
        if self._host is not None:
            self._host.kill()  # it holds nothing to flush: its records are sent as each match ends
            self._host = None

    def _over_memory(self, host: _Host) -> bool:
        limit = self.isolation.memory_mb
        return bool(limit) and host.rss() > host.baseline + limit * 2**20

    def _play_chunk(self, host: _Host, matches: list[Match], first: int, timeout: float | None,
                    trace: bool) -> tuple[list[MatchRecord], tuple[int, MatchRecord | None] | None]:
        """Play ``matches`` (sequence numbers from ``first``) in ``host``.

        Returns the records the host sent (all, or the first few when it ended
        the batch early), with no failure; or no records and (position, record)
        of the match during which the host died or was killed (record None:
        nobody to blame, the match is to be replayed).
        """
        nonce = os.urandom(8).hex()
        output = capture.BatchOutput(len(matches), nonce)
        outcome = self._await(host, matches, first, timeout, trace, nonce, output)
        if isinstance(outcome, list):
            host.read_output(output, capture.DRAIN_LIMIT_S)
            outputs = output.finish(len(outcome) - 1)
            pid = os.getpid()
            for record, printed in zip(outcome, outputs):
                record.pid = pid
                printed.into(record)
            return outcome, None
        position, record = outcome
        outputs = output.finish(position)
        if record is not None:
            outputs[position].into(record)
        return [], outcome

    def _await(self, host: _Host, matches: list[Match], first: int, timeout: float | None, trace: bool,
               nonce: str, output: capture.BatchOutput) -> list[MatchRecord] | tuple[int, MatchRecord | None]:
        started = time.monotonic()
        memory = host.baseline + self.isolation.memory_mb * 2**20 if self.isolation.memory_mb else None
        try:
            host.conn.send((first, matches, timeout, trace, nonce, memory or 0))
        except OSError:
            host.kill()
            self._host = None
            return 0, None
        limit = None if not timeout or timeout == float("inf") else timeout + grace_for(timeout)
        last = first + len(matches) - 1
        position = 0  # the match of the batch the host is on, as last seen in its slot
        wait = self.isolation.import_timeout
        import_limit = wait + grace_for(wait) if wait else None
        while True:
            replied = host.wait(output)
            now = time.monotonic()
            seq = host.slot.seq
            if first <= seq <= last and seq - first != position:
                position, started = seq - first, now  # the host began the next match of the batch
            match = matches[position]
            if replied:
                try:
                    data = wire.read_frame(host.conn.fileno(), time.monotonic() + REPLY_READ_S)
                except (EOFError, OSError):
                    return position, self._died(host, match, started)
                except wire.WireError as exc:
                    return position, self._forged(host, match, started, str(exc))
                try:
                    got_seq, fields = wire.loads(data)
                    if type(got_seq) is not int or type(fields) is not list or not 0 < len(fields) <= len(matches):
                        raise TypeError("not a (seq, records) pair")
                    if not all(type(f) is bytes for f in fields):
                        raise TypeError("records not sent as plain data")
                    records = [MatchRecord.from_json(_plain_dict(wire.loads(f))) for f in fields]
                    if [r.id for r in records] != [m.id for m in matches[:len(records)]]:
                        raise ValueError("records of other matches")
                except (wire.WireError, ValueError, TypeError, KeyError, AttributeError) as exc:
                    return position, self._forged(host, match, started, f"{exc}"[:200])
                if got_seq == first and (host.slot.acting or not host.slot.finished
                                         or host.slot.seq != first + len(records) - 1):
                    # The host's own code sends only after the last player call, once it marked the batch
                    # finished: this one came from inside a player's call (a record of its own making).
                    return position, self._forged(host, match, started, "a record sent before the match ended")
                if got_seq == first:
                    return records
                continue  # a stale reply (cannot happen with one batch at a time, but cheap to ignore)
            clock = host.slot.clock_started if seq == first + position else 0.0
            importing = host.slot.import_started if seq == first + position and not clock else 0.0
            if importing and import_limit is not None and now > importing + import_limit:
                return position, self._kill_for(host, match, started, "timeout",
                                                f"importing a player's module took over "
                                                f"{self.isolation.import_timeout:g} s (format: import_timeout) and "
                                                f"did not stop within {import_limit - (wait or 0):g} s more; its "
                                                "process was killed")
            if limit is not None and clock and now > clock + limit:
                return position, self._kill_for(host, match, started, "timeout",
                                                f"match exceeded its {timeout:g} s limit and did not stop within "
                                                f"{grace_for(timeout):g} s more; its process was killed")
            setup_limit = max(SETUP_LIMIT_S, timeout or 0) + len(match.seats) * (import_limit or 0)
            if not clock and now > started + setup_limit:
                return position, self._kill_for(host, match, started, "timeout",
                                                f"setting up the match (importing players, building the world) "
                                                f"took over {setup_limit:g} s; its process was killed")
            if memory is not None and host.rss() > memory:
                return position, self._kill_for(host, match, started, "error",
                                                f"the worker passed its memory limit of {self.isolation.memory_mb} "
                                                "MB (format: memory_mb); its process was killed", reason="memory")
            if memory is not None and host.group_oom():
                return position, self._kill_for(host, match, started, "error",
                                                f"the worker's processes passed its memory limit of "
                                                f"{self.isolation.memory_mb} MB together (format: memory_mb; the "
                                                "kernel killed one of them); its processes were killed",
                                                reason="memory")
            if not host.alive():
                return position, self._died(host, match, started)

    def _acting_role(self, host: _Host, match: Match) -> str | None:
        return self._role_at(host.slot.acting, match)

    @staticmethod
    def _role_at(index: int, match: Match) -> str | None:
        roles = [s.role for s in match.seats]
        return roles[index - 1] if 0 < index <= len(roles) else None

    def _kill_for(self, host: _Host, match: Match, started: float, status: str, error: str,
                  reason: str | None = None) -> MatchRecord:
        role = self._acting_role(host, match)  # read before the kill: the slot dies with the mapping
        host.kill()
        self._host = None
        record = failed_record(match, status, role, error, os.getpid(), time.monotonic() - started)
        if reason:
            record.reason = reason
        return record

    def _forged(self, host: _Host, match: Match, started: float, what: str) -> MatchRecord | None:
        """Bytes on the host's connection that the host's own code never sends: a player wrote them."""
        # Not the seat acting now: bytes written past the guards (libc) may have been written during the
        # opponent's call before, and blaming whoever acts when they are read would blame the innocent.
        # Only a refused casual attempt (the tamper slot) names the writer.
        role = None
        tamperer, _kind = host.slot.tamper
        if 0 < tamperer != 255:
            roles = [s.role for s in match.seats]
            role = roles[tamperer - 1] if tamperer <= len(roles) else None
        if role is None:  # nobody to blame: a fresh host replays the match (crashed unblamed after two)
            host.kill()
            self._host = None
            return None
        record = self._kill_for(host, match, started, "error",
                                f"the player wrote to its host's connection to the runner ({what})",
                                reason="tampering")
        return record

    def _died(self, host: _Host, match: Match, started: float) -> MatchRecord | None:
        deadline = time.monotonic() + 1.0  # its connection is gone; give it a moment to end, then kill it
        while host._reap(block=False) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        status = host.exit_status
        culprit, acting_seat = host.slot.culprit(), host.slot.acting  # before the kill: the slot dies with it
        tamperer, _kind = host.slot.tamper
        oom = host.group_oom()  # before kill removes the group
        host.kill()
        self._host = None
        how = _describe_exit(status)
        if not culprit and 0 < tamperer != 255:  # died of what a player did to its connection
            culprit = acting_seat = tamperer
        role = self._role_at(culprit, match)
        if oom and role is not None:
            record = failed_record(match, "error", role, f"the worker process {how} while {match.assignment[role]} "
                                   f"({role}) was acting: its processes passed the memory limit of "
                                   f"{self.isolation.memory_mb} MB together (format: memory_mb)", os.getpid(),
                                   time.monotonic() - started)
            record.reason = "memory"
            return record
        if role is None:
            return None
        who = f"{match.assignment[role]} ({role})"
        error = (f"the worker process {how} while {who} was acting" if culprit == acting_seat else
                 f"the worker process {how}, ended by a thread {who} started")
        return failed_record(match, "crashed", role, error, os.getpid(), time.monotonic() - started)

    def _watch_parent(self) -> None:
        """In a worker, end (host first) as soon as the process that started the worker is gone.

        A loky worker's parent is the runner: a worker that finds another parent
        already (the runner died while it was starting) ends at once. On dask and
        ray the parent is the nanny or raylet, watched from the first match on.
        """
        if self._watching:
            return
        self._watching = True
        if _RUNNER_PID in (0, os.getpid()):  # the runner itself supervises (-j 1)
            return
        parent = _RUNNER_PID if _PARENT_IS_RUNNER else os.getppid()
        if _PARENT_IS_RUNNER:
            # A terminal's Ctrl-C reaches the whole process group: the runner reports it
            # and ends its workers; a worker printing its own KeyboardInterrupt only buries
            # the runner's one-line message under tracebacks.
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            except ValueError:  # not the main thread: nothing to quiet
                pass

        def gone() -> bool:
            return os.getppid() != parent

        def end() -> None:
            # Exit whatever killing the host raises: the main thread may be reaping or
            # closing that host at the same moment, and a worker must not outlive the runner.
            try:
                host = self._host
                if host is not None:
                    host.kill()
            finally:
                os._exit(1)

        if gone():
            end()

        def watch() -> None:
            while True:
                time.sleep(PARENT_POLL_S)
                if gone():
                    end()

        threading.Thread(target=watch, name="tourney-supervisor-watch", daemon=True).start()


def _plain_dict(value: object) -> dict:
    if type(value) is not dict:
        raise TypeError("a record that is not a mapping")
    return value


def _describe_exit(status: int | None) -> str:
    if status is None or status < 0:
        return "died"
    if os.WIFSIGNALED(status):
        try:
            name = signal.Signals(os.WTERMSIG(status)).name
        except ValueError:
            name = str(os.WTERMSIG(status))
        return f"was killed by {name}"
    return f"exited with code {os.WEXITSTATUS(status)}"


def failed_record(match: Match, status: str, role: str | None, error: str, pid: int | None,
                  duration: float | None = None) -> MatchRecord:
    record = MatchRecord.for_match(match, pid=pid, duration=round(duration, 6) if duration is not None else None)
    record.blame(status, role, error)
    return record


_PREPARED: set[str] = set()


HOST_PREFIX = "host."  # in the run's .inflight folder: one file per live host, named by its uid
_REGISTRY: str | None = None  # that folder, when this worker shares the runner's disk


def _register_host(pid: int) -> Path | None:
    """Note a host's uid where the runner finds it (``kill_registered_hosts``)."""
    if not _REGISTRY:
        return None
    try:
        path = Path(_REGISTRY) / f"{HOST_PREFIX}{sandbox.host_uid(pid)}"
        path.touch()
        return path
    except OSError:
        return None


def kill_registered_hosts(inflight_dir: Path) -> None:
    """Kill every process of every host user noted in ``inflight_dir``; called by the runner.

    A host whose worker was SIGKILLed by someone else (joblib ending a broken
    pool kills its workers' process trees) dies without killing what its
    players started; those processes keep the host's user, so this finds them.
    """
    if not sandbox.can_drop():
        return
    for path in list(inflight_dir.glob(f"{HOST_PREFIX}*")):
        try:
            sandbox.kill_user(int(path.name[len(HOST_PREFIX):]))
        except (ValueError, OSError):
            pass
        path.unlink(missing_ok=True)
    memgroup.sweep()


def _prepare_world(world_type: str) -> None:
    # World modules are trusted: importing them here means a fresh host starts warm.
    if world_type in _PREPARED:
        return
    from tourney.registry import world_class

    try:
        world_class(world_type)
        _PREPARED.add(world_type)
    except Exception:  # noqa: BLE001 - the host reports the error in the match's record
        pass


_RUNNER_PID = 0
_PARENT_IS_RUNNER = False
_SUPERVISORS: dict[Isolation, Supervisor] = {}


def supervisor_for(isolation: Isolation, runner_pid: int, parent_is_runner: bool = False) -> Supervisor:
    """This process's supervisor for ``isolation`` (one per worker process).

    ``parent_is_runner``: this worker was started by the runner (loky), so the
    runner's death is the worker's parent changing.
    """
    global _RUNNER_PID, _PARENT_IS_RUNNER
    _RUNNER_PID, _PARENT_IS_RUNNER = runner_pid, parent_is_runner
    sandbox.SLOT = sandbox.run_slot(runner_pid)  # this run's range of host uids
    sup = _SUPERVISORS.get(isolation)
    if sup is None:
        sup = _SUPERVISORS[isolation] = Supervisor(isolation)
    return sup


def play_supervised(match: Match, timeout: float | None, trace: bool, inflight_dir: str | None,
                    isolation: Isolation, runner_pid: int, parent_is_runner: bool = False) -> MatchRecord:
    """The task a backend runs: ``match`` played in this worker's host, its record returned."""
    return play_supervised_batch([match], timeout, trace, inflight_dir, isolation, runner_pid, parent_is_runner)[0]


def play_supervised_batch(matches: list[Match], timeout: float | None, trace: bool, inflight_dir: str | None,
                          isolation: Isolation, runner_pid: int, parent_is_runner: bool = False) -> list[MatchRecord]:
    """The task a backend runs: ``matches`` played in this worker's host, one after another, their records
    returned in order (``Supervisor.play_batch``)."""
    from tourney.worker import _keep_loky_worker_alive

    global _REGISTRY
    _keep_loky_worker_alive()
    _REGISTRY = inflight_dir
    # The markers tell the runner which matches a dead worker was playing; the runner
    # supervising in its own process (-j 1) has no worker to lose, and skips the file operations.
    markers = [] if os.getpid() == runner_pid else [_mark_inflight(inflight_dir, m.id) for m in matches]
    try:
        return supervisor_for(isolation, runner_pid, parent_is_runner).play_batch(matches, timeout, trace)
    finally:
        for marker in markers:
            _clear_inflight(marker)


def _mark_inflight(inflight_dir: str | None, match_id: str) -> str | None:
    # A marker per running match lets the parent tell which matches were on a
    # worker the OS killed. Remote workers without the directory skip it.
    if not inflight_dir:
        return None
    path = os.path.join(inflight_dir, match_id)
    try:  # plain os calls: this runs once per match (pathlib's write_text costs ~3x as much)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, str(os.getpid()).encode())  # which worker plays it, for a person (or test) watching
        finally:
            os.close(fd)
        return path
    except OSError:
        return None


def _clear_inflight(marker: str | None) -> None:
    if marker is not None:
        try:
            os.unlink(marker)
        except OSError:
            pass


def close_all() -> None:
    """Stop every host this process started (the runner calls it at the end of a run)."""
    for sup in list(_SUPERVISORS.values()):
        sup.close()
    _SUPERVISORS.clear()


atexit.register(close_all)
