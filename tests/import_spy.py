"""A player module whose import-time code reports where it runs (and one that ends its process)."""

import os

_where = os.environ.get("IMPORT_SPY_DIR")
if _where:
    with open(os.path.join(_where, f"import.{os.getpid()}"), "w") as _fh:
        _fh.write(f"{os.getuid()}\n")
if os.environ.get("IMPORT_SPY_EXIT"):
    os._exit(3)

from players.faratin import TimeDependent  # noqa: E402 - after the import-time code on purpose


class Spy(TimeDependent):
    """Plays as its parent."""
