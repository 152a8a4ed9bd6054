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
