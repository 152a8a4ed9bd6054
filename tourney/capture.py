"""What players print: a player host's stdout and stderr, read by its supervisor into a bounded buffer.

A host's descriptors 1 and 2 are the write end of a pipe whose read end the
supervisor drains while it waits for the match (``tourney.supervisor``). Of
each match's output the first and the last ``KEEP_BYTES // 2`` bytes are kept
in its record (``output``, with ``output_bytes`` the total written); the rest
is read and dropped, so a player printing in a loop costs the run a pipe's
worth of memory and the CPU to read it, never disk or the terminal. Secrets
are cut out of what is kept: the value of every environment variable whose
name says it holds one (``KEY``, ``TOKEN``, ``SECRET``, ``PASSWORD``, ...).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tourney.records import MatchRecord

KEEP_BYTES = 16 * 1024  # of a match's output, kept in its record: the first and last half
READ_BYTES = 64 * 1024  # one read of the pipe
DRAIN_LIMIT_S = 0.5  # after a match, how long the supervisor reads what is left before it stops
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH", re.IGNORECASE)
REDACTED = "[redacted]"


class Output:
    """One match's output: the head and tail kept, the total counted."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        half = KEEP_BYTES // 2
        room = half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > half:
                del self.tail[:len(self.tail) - half]

    def into(self, record: MatchRecord) -> MatchRecord:
        """``record`` with this output in it (nothing added when the players printed nothing)."""
        if self.total:
            dropped = self.total - len(self.head) - len(self.tail)
            text = self.head.decode(errors="replace")
            if dropped:
                text += f"\n[... {dropped} bytes not kept ...]\n"
            text += self.tail.decode(errors="replace")
            record.output = redact(text)
            record.output_bytes = self.total
        return record


def redact(text: str) -> str:
    for name, value in os.environ.items():
        if len(value) >= 6 and SECRET_NAME.search(name) and value in text:
            text = text.replace(value, REDACTED)
    return text


def read_available(fd: int, output: Output, limit_s: float = 0.0) -> bool:
    """Read what ``fd`` (non-blocking) holds into ``output``; False once the writers are gone (EOF).

    With ``limit_s`` it keeps reading until the pipe is empty or that long has passed
    (a player's thread may still be printing after its match).
    """
    import time

    deadline = time.monotonic() + limit_s
    while True:
        try:
            data = os.read(fd, READ_BYTES)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        output.add(data)
        if time.monotonic() >= deadline:
            return True
