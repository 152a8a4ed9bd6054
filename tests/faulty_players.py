"""Players that misbehave on purpose, entered by dotted path in the fault tests."""

import sys
import time

from players.faratin import TimeDependent


class Raiser(TimeDependent):
    def propose(self, state, dest=None):
        raise RuntimeError("Raiser always fails to propose")


class Sleeper(TimeDependent):
    def propose(self, state, dest=None):
        time.sleep(10_000)


class OutOfRange(TimeDependent):
    def propose(self, state, dest=None):
        return (10**6,)


class Suicide(TimeDependent):
    """Kills its own worker process, as the OS out-of-memory killer would."""

    def propose(self, state, dest=None):
        import os
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


class FailsWhenTold(TimeDependent):
    """Raises while the FAIL_NOW environment variable is set (a bug fixed between runs)."""

    def propose(self, state, dest=None):
        import os

        if os.environ.get("FAIL_NOW"):
            raise RuntimeError("told to fail")
        return super().propose(state, dest)


class Hostage(TimeDependent):
    """Plays like its parent, except that the first match ever to call its
    ``propose`` (across every process sharing ``claim_dir``) stops there: it
    writes its worker's pid to ``claim_dir/playing`` and blocks until that
    worker is killed. Any later call, the replay of that match included, plays
    normally, so a test can kill a worker that is provably inside a match and
    compare the table with an undisturbed run (one started with the claim
    already taken).
    """

    CLAIM = "claimed"  # O_EXCL-created: exactly one call ever wins it
    PLAYING = "playing"  # the winner's pid, written after the claim, atomically renamed into place

    def __init__(self, claim_dir: str = "", block_s: float = 600.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.claim_dir = claim_dir
        self.block_s = block_s

    def propose(self, state, dest=None):
        if self.claim_dir and self._claim():
            self._block()
        return super().propose(state, dest)

    def _claim(self) -> bool:
        import os

        try:
            os.close(os.open(os.path.join(self.claim_dir, self.CLAIM), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        from tourney import host

        worker = host.SUPERVISOR_PID or os.getpid()  # players run in a host process under the worker
        tmp = os.path.join(self.claim_dir, f".{self.PLAYING}.{os.getpid()}")
        with open(tmp, "w") as fh:
            fh.write(str(worker))
        os.replace(tmp, os.path.join(self.claim_dir, self.PLAYING))  # a reader never sees a half-written pid
        return True

    def _block(self) -> None:
        # Short sleeps, not one long one: if nobody kills us the match's time
        # limit can still stop this Python loop (the test then fails on a timeout record).
        deadline = time.monotonic() + self.block_s
        while time.monotonic() < deadline:
            time.sleep(0.05)
        raise RuntimeError("Hostage was never killed")


class SystemExiter(TimeDependent):
    def propose(self, state, dest=None):
        raise SystemExit(3)


class Interrupter(TimeDependent):
    def propose(self, state, dest=None):
        raise KeyboardInterrupt


class GeneratorExiter(TimeDependent):
    def propose(self, state, dest=None):
        raise GeneratorExit


class Exiter(TimeDependent):
    """Ends its own process at once, skipping every handler (os._exit)."""

    def propose(self, state, dest=None):
        import os

        os._exit(1)


class AlarmIgnorer(TimeDependent):
    """Ignores SIGALRM, then spins: only a limit enforced from outside the process stops it."""

    def propose(self, state, dest=None):
        import signal

        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        while True:
            pass


class TimeoutSwallower(TimeDependent):
    """Catches every exception, the match timeout included, and keeps going forever."""

    def propose(self, state, dest=None):
        while True:
            try:
                time.sleep(0.05)
            except BaseException:  # noqa: BLE001 - hostile on purpose
                pass


class ClassSwapper(TimeDependent):
    """Swaps its utility function's class for one that rates every outcome 1000."""

    def propose(self, state, dest=None):
        ufun = self.ufun
        cls = type(ufun)
        if not getattr(cls, "_swapped", False):
            class Rich(cls):
                _swapped = True

                def eval(self, offer):
                    return 1000.0

                def of_price(self, price):
                    return 1000.0

            ufun.__class__ = Rich
        return super().propose(state, dest)


class OpponentMutator(TimeDependent):
    """Reaches the opponent's utility function through the mechanism and makes it love the worst deal for it."""

    def propose(self, state, dest=None):
        mechanism = getattr(self.nmi, "_mechanism", None)
        for neg in getattr(mechanism, "negotiators", []) or []:
            if neg is not self and neg.ufun is not None:
                ufun = neg.ufun
                if hasattr(ufun, "ip"):
                    ufun.ip, ufun.rp = ufun.rp, ufun.ip  # the opponent now wants the other end
                    ufun._span = float(ufun.rp - ufun.ip)
                ufun.reserved_value = -1000.0
        return super().propose(state, dest)


class Spawner(TimeDependent):
    """Starts a daemonised process (new session, parent gone) that would outlive the tournament.

    Its pid is written to $SPAWN_DIR so a test can check it is gone.
    """

    def propose(self, state, dest=None):
        import os
        import subprocess

        if not getattr(self, "_spawned", False):
            self._spawned = True
            where = os.environ.get("SPAWN_DIR")
            command = 'sleep 10000 & echo > "$0/$!"' if where else "sleep 10000 &"
            subprocess.Popen(["sh", "-c", command, where or "-"], start_new_session=True).wait()
        return super().propose(state, dest)


class Hog(TimeDependent):
    """Holds ever more memory (a module global, so it would survive into later matches)."""

    def propose(self, state, dest=None):
        try:
            HELD.append(b"\x01" * (64 * 2**20))  # 64 MB a proposal, every page written
        except MemoryError:
            raise MemoryError(f"{getattr(self, '_mine', 0)} blocks this match, {len(HELD)} held") from None
        self._mine = getattr(self, "_mine", 0) + 1
        return super().propose(state, dest)


HELD = []


class FdCloser(TimeDependent):
    """Closes every file descriptor of its process above stderr."""

    def propose(self, state, dest=None):
        import os

        os.closerange(3, 65536)
        return super().propose(state, dest)


def _sore_loser_base():
    from negmas.sao import AspirationNegotiator

    class SoreLoser(AspirationNegotiator):
        """An AspirationNegotiator that kills its process whenever a negotiation ends badly for it.

        "Badly": no agreement, or an agreement worth less than half its utility range.
        """

        def on_negotiation_end(self, state):
            agreement = state.agreement
            if agreement is None or self.ufun(agreement) < 0.5:
                import os

                os._exit(1)
            return super().on_negotiation_end(state)

    return SoreLoser


SoreLoser = _sore_loser_base()


class ParentKiller(TimeDependent):
    """Tries to kill the process that supervises it (its parent) with os.kill."""

    def propose(self, state, dest=None):
        import os
        import signal

        os.kill(os.getppid(), signal.SIGKILL)
        return super().propose(state, dest)


class LowLevelParentKiller(TimeDependent):
    """Kills its parent through libc, past the host's os.kill guard: the worker itself dies."""

    def propose(self, state, dest=None):
        import ctypes
        import os
        import signal

        if ctypes.CDLL(None).kill(os.getppid(), signal.SIGKILL) == 0:
            time.sleep(5)  # the host goes when its parent is gone
        # else refused by the kernel (a host of its own uid under root): it plays on
        return super().propose(state, dest)


BUILT = []


class Leaky(TimeDependent):
    """Keeps a module global across matches and fails once it sees another match's state.

    One object plays both episodes of a match (it keeps state, as TimeDependent
    does), so ``BUILT`` only grows from one match to the next in the same
    process. The league check's trial build (no ``name``) is not counted.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if kwargs.get("name") is None:
            return
        BUILT.append(kwargs["name"])
        if len(BUILT) > 1:
            raise RuntimeError(f"state from an earlier match leaked in: {BUILT[:-1]}")


class BackendForger(TimeDependent):
    """Claims its (nonexistent) model endpoint failed whenever it is about to lose."""

    def propose(self, state, dest=None):
        if state.relative_time > 0.3:
            from tourney.errors import BackendFault

            raise BackendFault("http://127.0.0.1:1/v1", "HTTP 503")
        return super().propose(state, dest)


def _supervisor_and_runner() -> list[int]:
    """The pids a hostile player would aim at: its host's parent (the supervisor) and that one's parent."""
    import os

    pids = [os.getppid()]
    try:
        with open(f"/proc/{pids[0]}/stat") as fh:
            pids.append(int(fh.read().rsplit(")", 1)[1].split()[1]))
    except (OSError, ValueError, IndexError):
        pass
    return [pid for pid in pids if pid > 1]


class ProgramKiller(TimeDependent):
    """Kills its supervisor and the supervisor's parent (the runner) with another program, past any
    Python-level guard: ``subprocess.run(["kill", "-9", ...])``. Then plays on as its parent."""

    def propose(self, state, dest=None):
        import subprocess

        if not getattr(self, "_tried", False):
            self._tried = True
            import os

            targets = [str(pid) for pid in _supervisor_and_runner()]
            done = subprocess.run(["kill", "-9", *targets], capture_output=True, text=True)
            where = os.environ.get("TOURNEY_PLAYER_DIR")
            if where:  # for the test: proof that it tried, and what kill said
                with open(os.path.join(where, f"killer.{os.getpid()}.{time.monotonic_ns()}"), "w") as fh:
                    fh.write(f"{' '.join(targets)}\n{done.returncode}\n{done.stderr}")
            time.sleep(0.3)  # had it worked, the supervisor would be gone by now
        return super().propose(state, dest)


class LogRewriter(TimeDependent):
    """Rewrites the run's match log and manifest: appends a forged record crediting itself,
    truncates the log, swaps it for a file of its own. The run folder is the parent of the
    player folder it is handed ($TOURNEY_PLAYER_DIR). Plays on as its parent."""

    def propose(self, state, dest=None):
        import json
        import os

        if not getattr(self, "_tried", False):
            self._tried = True
            run_dir = os.path.dirname(os.environ.get("TOURNEY_PLAYER_DIR", "").rstrip("/"))
            log = os.path.join(run_dir, "matches.jsonl")
            forged = {"id": "f" * 16, "status": "ok", "assignment": {"buyer": "Rewriter", "seller": "Good"},
                      "roles": {"buyer": {"utility": 1000.0}, "seller": {"utility": -1000.0}}}
            attempts = [
                lambda: open(log, "a").write(json.dumps(forged) + "\n"),
                lambda: os.truncate(log, 0),
                lambda: os.replace(log, log + ".gone"),
                lambda: open(os.path.join(run_dir, "manifest.json"), "w").write("{}"),
                lambda: open(os.path.join(run_dir, "scores.csv"), "w").write("rank,player\n1,Rewriter\n"),
            ]
            for attempt in attempts:
                try:
                    attempt()
                except OSError:
                    pass
        return super().propose(state, dest)


class Flooder(TimeDependent):
    """Prints without end (to stdout and stderr, and through its descriptors) for a while in every proposal."""

    def propose(self, state, dest=None):
        import os
        import sys

        line = "flood " * 20 + "\n"
        deadline = time.monotonic() + 0.05
        while time.monotonic() < deadline:
            sys.stdout.write(line * 50)
            sys.stderr.write(line * 50)
            os.write(1, line.encode() * 50)
        print("secret:", os.environ.get("TOURNEY_TEST_SECRET_KEY", ""), flush=True)
        return super().propose(state, dest)


class Patcher(TimeDependent):
    """Monkey-patches a shared module: the bilateral world's utility of a price becomes 0.5 for every
    seat, in every match its process plays from then on. It plays as its parent."""

    def propose(self, state, dest=None):
        from tourney.worlds import bilateral

        bilateral.price_utility = lambda initial, reservation, price: 0.5
        return super().propose(state, dest)


class Printer(TimeDependent):
    """Prints a line its match's seed decides when it is built and on each proposal, the last one
    included: a test compares each match's captured output with and without batching."""

    def __init__(self, **kwargs) -> None:
        import random

        super().__init__(**kwargs)
        self._tag = f"{random.random():.12f}"
        print("built", self._tag, flush=True)

    def propose(self, state, dest=None):
        import os

        os.write(1, f"proposes {self._tag} at step {state.step}\n".encode())
        return super().propose(state, dest)


class Erratic(TimeDependent):
    """Faults in about ``rate`` of its matches, which ones decided by its match's seed (so the same
    matches in every run): raises (``fault: raise``), ends its host (``exit``) or hangs until the
    match's time limit (``sleep``); plays like its parent in the others."""

    def __init__(self, fault: str = "raise", rate: float = 0.3, **kwargs) -> None:
        import random

        super().__init__(**kwargs)
        self.fault = fault if random.random() < rate else None

    def propose(self, state, dest=None):
        import os

        if self.fault == "raise":
            raise RuntimeError("Erratic fails this match")
        if self.fault == "exit":
            os._exit(1)
        if self.fault == "sleep":
            time.sleep(10_000)
        return super().propose(state, dest)


class _ThreadOnce(TimeDependent):
    """Starts one background thread (``self._background``) on its first proposal of a match.

    Private names: a public method of a player's is guarded (it marks its seat acting), and a hostile
    entrant's thread would not mark itself.

    Then it holds out (its first offer again, every offer rejected), so the match lasts its n_steps.
    """

    def propose(self, state, dest=None):
        if not getattr(self, "_started", False):
            self._started = True
            import threading

            from tourney import acting

            mine = acting.acting_now()  # this seat's index: its own call is acting now
            self._armed = threading.Event()
            threading.Thread(target=self._background, args=(mine,), daemon=True).start()
            self._armed.wait(2.0)  # its thread is on a core, spinning, when this call returns
        if getattr(self, "_first_in", None) is not self.nmi:  # each episode its own first offer
            self._first_in, self._first = self.nmi, super().propose(state, dest)
        self._keep_thread_hot()
        return self._first

    def respond(self, state, source=None):
        from negmas.sao import ResponseType

        self._keep_thread_hot()
        return ResponseType.REJECT_OFFER

    def _keep_thread_hot(self) -> None:
        """Return only once the thread has spun a little more: it is on a core as the match's thread goes on."""
        seen, deadline = getattr(self, "_spins", 0), time.monotonic() + 0.5
        while getattr(self, "_spins", 0) < seen + 20 and time.monotonic() < deadline:
            time.sleep(0.0001)

    def _background(self, mine: int) -> None:
        raise NotImplementedError

    def _wait_until(self, ready) -> None:
        """Spin (letting the match's thread run) until ``ready(acting seat)``: it runs between two bytecodes
        of the match's thread, so the moment is wherever that thread was."""
        import sys

        from tourney import acting

        # The GIL changes hands every 100 us: often enough to see the match's thread at many points, and
        # long enough that nothing runs between the check below and what the caller does next.
        sys.setswitchinterval(1e-4)
        self._spins = 0
        while not ready(acting.acting_now()):
            self._spins += 1
            if self._spins == 100:
                self._armed.set()
            time.sleep(0)


class ThreadExiter(_ThreadOnce):
    """A background thread ends the host (os._exit) while nobody is acting: world code between calls."""

    def _background(self, mine):
        import os

        self._wait_until(lambda seat: seat == 0)
        os._exit(1)


class LibcThreadExiter(_ThreadOnce):
    """ThreadExiter through libc's _exit (past any Python-level guard of os._exit)."""

    def _background(self, mine):
        import ctypes

        exit_ = ctypes.CDLL(None)._exit  # looked up first: nothing but the call after the moment comes
        self._wait_until(lambda seat: seat == 0)
        exit_(1)


class ThreadFramer(_ThreadOnce):
    """A background thread ends the host (os._exit) while its opponent is acting, to have it blamed."""

    def _background(self, mine):
        import os

        self._wait_until(lambda seat: seat not in (0, mine))
        os._exit(1)


class _HookSaboteur(TimeDependent):
    """Installs a hook that runs inside its opponent's calls and sleeps there, so the opponent times out."""

    installs = ("profile",)  # and/or "trace"
    swallow = False  # True: catch the refusal and play on as its parent

    def propose(self, state, dest=None):
        # On every proposal: negmas calls a negotiator whose call raised once more at once
        if sys.getprofile() is None and sys.gettrace() is None:
            import threading

            me = self

            def hook(frame, event, arg):
                if event == "call" and frame.f_code.co_name in ("propose", "respond") \
                        and frame.f_locals.get("self") not in (None, me):
                    time.sleep(30)
                return None

            setters = {"profile": [sys.setprofile, threading.setprofile],
                       "trace": [sys.settrace, threading.settrace]}
            for kind in self.installs:
                for setter in setters[kind]:
                    try:
                        setter(hook)
                    except RuntimeError:
                        if not self.swallow:
                            raise
        return super().propose(state, dest)


class ProfileSaboteur(_HookSaboteur):
    installs = ("profile",)


class TraceSaboteur(_HookSaboteur):
    installs = ("trace",)


class QuietSaboteur(_HookSaboteur):
    """Tries every kind of hook, catches the refusals and plays on as its parent."""

    installs = ("trace", "profile")
    swallow = True


class IdChanger(TimeDependent):
    """Changes its own negmas id before every proposal (the setter, ``set_id``, the private attribute),
    which would leave the mechanism's books, keyed by id, without it. Plays as its parent."""

    def propose(self, state, dest=None):
        import uuid

        for change in (lambda new: setattr(self, "id", new), self.set_id,
                       lambda new: setattr(self, "_NamedObject__uuid", new)):
            try:
                change(f"changed-{uuid.uuid4().hex[:8]}")
            except AttributeError:
                pass
        return super().propose(state, dest)


class IdThief(TimeDependent):
    """Takes its opponent's negmas id, then offers outside the issue: the breach names whoever has that id."""

    def respond(self, state, source=None):
        if state.current_proposer and state.current_proposer != self.id:
            self._victim = state.current_proposer
        return super().respond(state, source)

    def propose(self, state, dest=None):
        victim = getattr(self, "_victim", None) or dest
        if victim and victim != self.id:
            for steal in (lambda: setattr(self, "id", victim), lambda: self.set_id(victim),
                          lambda: setattr(self, "_NamedObject__uuid", victim)):
                try:
                    steal()
                except AttributeError:
                    pass
            return (10**6,)
        return super().propose(state, dest)


# ---------------------------------------------------------------- the OS side (tests/test_isolation_os.py)


def _report(name: str, data) -> None:
    """Write ``data`` (JSON) into the run's players folder, the one a host may write, for the test to read."""
    import json
    import os

    where = os.environ.get("TOURNEY_PLAYER_DIR")
    if where:
        with open(os.path.join(where, f"{name}.{os.getpid()}.{time.monotonic_ns()}.json"), "w") as fh:
            json.dump(data, fh)


def _scan_memory(prefix: bytes, limit: int = 8) -> list[str]:
    """Where this process's own writable memory holds ``prefix`` followed by 8 hex digits (a key of the
    test's making), with what follows it."""
    found = []
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if len(fields) < 2 or not fields[1].startswith("rw") or (len(fields) > 5 and fields[5].startswith("/dev")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if end - start > 1 << 28:
                continue
            try:
                mem.seek(start)
                chunk = mem.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue
            at = chunk.find(prefix)
            while at >= 0 and len(found) < limit:
                tail = chunk[at + len(prefix):at + len(prefix) + 8]
                if len(tail) == 8 and all(c in b"0123456789abcdef" for c in tail):  # a key, not the bare prefix
                    found.append(chunk[at:at + 48].decode(errors="replace"))
                at = chunk.find(prefix, at + 1)
    return found


class EnvDumper(TimeDependent):
    """Looks for secrets wherever a process may find them: ``os.environ``, its own, its
    supervisor's and the runner's ``/proc/PID/environ``, and its own memory (for the prefix
    keys of the test's kind start with, ``$DUMPER_PREFIX``); reports all of it and prints it."""

    def propose(self, state, dest=None):
        self._dump()
        return super().propose(state, dest)

    def respond(self, state, source=None):
        self._dump()
        return super().respond(state, source)

    def _dump(self):
        import os

        if not getattr(self, "_dumped", False):
            self._dumped = True
            import ctypes

            # A process that changed its uid is not dumpable (its /proc files are root's): undo that first.
            ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE
            seen = {"os.environ": dict(os.environ)}
            for label, pid in [("self", "self")] + list(zip(("supervisor", "runner"), _supervisor_and_runner())):
                try:
                    with open(f"/proc/{pid}/environ", "rb") as fh:
                        seen[f"/proc/{label}/environ"] = fh.read().decode(errors="replace")
                except OSError as exc:
                    seen[f"/proc/{label}/environ"] = f"refused: {exc.strerror}"
            prefix = os.environ.get("DUMPER_PREFIX", "sk-")
            try:
                seen["memory"] = _scan_memory(prefix.encode())
            except (OSError, MemoryError) as exc:
                seen["memory"] = [f"refused: {exc!r}"]
            _report("envdump", seen)
            print(seen, flush=True)


class Snoop(TimeDependent):
    """Tries to read what no player may: the live match log, the manifest and the league copy
    (the run folder is the player folder's parent), root's home folder, the paths in
    ``$SNOOP_PATHS``; reports each verdict and its capability sets."""

    def propose(self, state, dest=None):
        import os

        if not getattr(self, "_tried", False):
            self._tried = True
            run_dir = os.path.dirname(os.environ.get("TOURNEY_PLAYER_DIR", "").rstrip("/"))
            targets = [os.path.join(run_dir, name) for name in ("matches.jsonl", "manifest.json", "league.yaml",
                                                                 ".inflight")]
            targets += [run_dir, "/root"] + [p for p in os.environ.get("SNOOP_PATHS", "").split(os.pathsep) if p]
            verdicts = {}
            for path in targets:
                try:
                    if os.path.isdir(path):
                        os.listdir(path)
                    else:
                        with open(path, "rb") as fh:
                            fh.read(1)
                    verdicts[path] = "read"
                except OSError as exc:
                    verdicts[path] = f"refused: {exc.strerror}"
            with open("/proc/self/status") as fh:
                caps = {line.split(":")[0]: line.split(":")[1].strip() for line in fh if line.startswith("Cap")}
            _report("snoop", {"verdicts": verdicts, "caps": caps, "uid": os.getuid()})
        return super().propose(state, dest)


class TmpLeaver(TimeDependent):
    """Leaves a file in /tmp, /var/tmp, /dev/shm and its $TMPDIR in each match, and fails
    a match in which it finds one an earlier match left (state crossing matches through
    the file system). ``$LEAVER_TAG`` names its files."""

    def propose(self, state, dest=None):
        import glob
        import os
        import tempfile

        if not getattr(self, "_left", False):
            self._left = True
            tag = os.environ.get("LEAVER_TAG", "x")
            folders = ["/tmp", "/var/tmp", "/dev/shm", tempfile.gettempdir()]
            earlier = []  # what it can read of its kind's files (with -j 2 it may see a concurrent host's names)
            for path in sorted({p for d in folders for p in glob.glob(os.path.join(d, f"leaver-{tag}-*"))}):
                try:
                    with open(path) as fh:
                        earlier.append(path) if fh.read() == "state" else None
                except OSError:
                    pass
            made = {}
            for folder in folders:
                path = os.path.join(folder, f"leaver-{tag}-{os.getpid()}-{time.monotonic_ns()}")
                with open(path, "w") as fh:
                    fh.write("state")
                made[path] = oct(os.stat(path).st_mode & 0o777)
            _report("leaver", {"earlier": earlier, "made": made, "tmpdir": tempfile.gettempdir()})
            if earlier:
                raise RuntimeError(f"an earlier match's file leaked in: {earlier}")
        return super().propose(state, dest)


class ChildHog(TimeDependent):
    """Starts four children that each hold ``$CHILD_HOG_MB`` MB, each under the per-process limit,
    together over the host's; waits a while for them, then plays on as its parent."""

    def propose(self, state, dest=None):
        import os

        if not getattr(self, "_spawned", False):
            self._spawned = True
            size = int(os.environ.get("CHILD_HOG_MB", "150")) * 2**20
            children = []
            for _ in range(4):
                pid = os.fork()
                if pid == 0:
                    try:
                        held = b"x" * size  # written, so resident
                        time.sleep(30 + len(held) * 0)
                    finally:
                        os._exit(0)
                children.append(pid)
            time.sleep(3)
        return super().propose(state, dest)


class ShmHog(TimeDependent):
    """Writes ``$SHM_HOG_MB`` MB into a file in /dev/shm (memory no process's data segment counts)."""

    def propose(self, state, dest=None):
        import os

        if not getattr(self, "_written", False):
            self._written = True
            chunk = b"x" * 2**20
            with open(f"/dev/shm/shmhog-{os.getpid()}", "wb") as fh:
                for _ in range(int(os.environ.get("SHM_HOG_MB", "400"))):
                    fh.write(chunk)
            time.sleep(1)
        return super().propose(state, dest)


class BigWriter(TimeDependent):
    """Writes a ``$BIG_WRITER_MB`` MB file into its temporary folder."""

    def propose(self, state, dest=None):
        import os
        import tempfile

        chunk = b"x" * 2**20
        with open(os.path.join(tempfile.gettempdir(), "big"), "wb") as fh:
            for _ in range(int(os.environ.get("BIG_WRITER_MB", "5"))):
                fh.write(chunk)
        return super().propose(state, dest)


class NameSpy(TimeDependent):
    """Reports every name and id of a negotiator it can see: its own, the NMI's, the proposer's."""

    def propose(self, state, dest=None):
        if not getattr(self, "_seen", False):
            self._seen = True
            seen = {"own": [str(self.name), str(self.id)]}
            for attr in ("negotiator_ids", "negotiator_names", "genius_negotiator_ids"):
                try:
                    seen[attr] = [str(x) for x in getattr(self.nmi, attr)]
                except Exception as exc:  # noqa: BLE001 - what is not there is not seen
                    seen[attr] = f"absent: {type(exc).__name__}"
            seen["state"] = [str(state.current_proposer), str(getattr(state, "last_negotiator", ""))]
            seen["owner"] = str(getattr(self, "owner", None))
            _report("names", seen)
        return super().propose(state, dest)
