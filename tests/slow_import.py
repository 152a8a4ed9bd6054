"""A player module whose import-time code is slow in a player host (``SLOW_IMPORT_S`` seconds) or in
league validation (``SLOW_VALIDATE_S``)."""

import os
import time

from tourney import host

_in_host = bool(host.SUPERVISOR_PID)  # 0 in league validation's throwaway process and in the runner
_seconds = os.environ.get("SLOW_IMPORT_S" if _in_host else "SLOW_VALIDATE_S")
if _seconds:
    time.sleep(float(_seconds))

from players.faratin import TimeDependent  # noqa: E402 - after the import-time code on purpose


class SlowImport(TimeDependent):
    """Plays as its parent."""
