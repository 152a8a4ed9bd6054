"""At import, writes the interpreter's hash of a string and its PYTHONHASHSEED to $HASH_PROBE_FILE."""

import os

from players.faratin import TimeDependent

if os.environ.get("HASH_PROBE_FILE"):
    with open(os.environ["HASH_PROBE_FILE"], "w") as probe:
        probe.write(f"{os.environ.get('PYTHONHASHSEED')} {hash('tourney')}")


class Probe(TimeDependent):
    """A linear Faratin tactic; its module is the probe."""
