"""A player module whose import-time code, in a player host, ignores the alarm and sleeps ``DEAF_IMPORT_S``
seconds: only a limit enforced from outside the host stops it."""

import os
import signal
import time

from tourney import host

if host.SUPERVISOR_PID and os.environ.get("DEAF_IMPORT_S"):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    time.sleep(float(os.environ["DEAF_IMPORT_S"]))

from players.faratin import TimeDependent  # noqa: E402 - after the import-time code on purpose


class DeafImport(TimeDependent):
    """Plays as its parent."""
