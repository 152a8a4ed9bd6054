"""Players that misbehave on purpose, entered by dotted path in the fault tests."""

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
        tmp = os.path.join(self.claim_dir, f".{self.PLAYING}.{os.getpid()}")
        with open(tmp, "w") as fh:
            fh.write(str(os.getpid()))
        os.replace(tmp, os.path.join(self.claim_dir, self.PLAYING))  # a reader never sees a half-written pid
        return True

    def _block(self) -> None:
        # Short sleeps, not one long one: if nobody kills us the match's time
        # limit can still stop this Python loop (the test then fails on a timeout record).
        deadline = time.monotonic() + self.block_s
        while time.monotonic() < deadline:
            time.sleep(0.05)
        raise RuntimeError("Hostage was never killed")
