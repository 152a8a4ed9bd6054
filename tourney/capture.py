"""What players print: a player host's stdout and stderr, read by its supervisor into a bounded buffer.

A host's descriptors 1 and 2 are the write end of a pipe whose read end the
supervisor drains while it waits for the match (``tourney.supervisor``). Of
each match's output the first and the last ``KEEP_BYTES // 2`` bytes are kept
in its record (``output``, with ``output_bytes`` the total written); the rest
is read and dropped, so a player printing in a loop costs the run a pipe's
worth of memory and the CPU to read it, never disk or the terminal. Secrets
are cut out of what is kept: the value of every environment variable whose
name says it holds one (``KEY``, ``TOKEN``, ``SECRET``, ``PASSWORD``, ...).

A host playing a batch of matches (``Supervisor.play_batch``) writes a
boundary on the pipe after a match whose output may not have been read yet
(``BatchOutput``, ``tourney.host._end_of_output``), so each match of a batch
keeps its own output, as when played alone.
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

    def merge(self, other: "Output") -> None:
        """Append what ``other`` kept (its dropped middle counted, not kept)."""
        dropped = other.total - len(other.head) - len(other.tail)
        self.add(bytes(other.head))
        if dropped:
            self.total += dropped
            self.tail.clear()  # what follows a dropped middle is the tail
        self.add(bytes(other.tail))

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


BOUNDARY = b"\0tourney-match-end "  # + the batch's nonce (hex), a space, the match's position, a NUL


def boundary(nonce: str, position: int) -> bytes:
    """What a host writes on its output pipe between two matches of a batch when a match's output
    may be in the pipe or in a read under way (``tourney.host``): everything before it is that match's."""
    return BOUNDARY + nonce.encode() + b" " + str(position).encode() + b"\0"


class BatchOutput:
    """The output of the matches of one batch, split at the boundaries their host wrote.

    Bytes before the boundary of match ``p`` are ``p``'s. Bytes after the last
    boundary read so far wait: they belong to the match whose boundary comes
    next (the host writes one after every match whose output may be in the
    pipe or was being read), or to the last match played when none comes.
    A player that learns the batch's nonce can move its own output between the
    matches of its batch; nothing else (output is not scored).
    """

    def __init__(self, n: int, nonce: str) -> None:
        self.outputs = [Output() for _ in range(n)]
        self.marker = BOUNDARY + nonce.encode() + b" "
        self.pending = Output()
        self.carry = b""

    def add(self, data: bytes) -> None:
        if len(self.outputs) == 1:  # a batch of one: no boundaries
            self.outputs[0].add(data)
            return
        buf = self.carry + data
        while True:
            start = buf.find(self.marker)
            if start < 0:
                break
            end = buf.find(b"\0", start + len(self.marker))
            if end < 0:  # a boundary cut by the read: keep it for the next one
                break
            self.pending.add(buf[:start])
            digits = buf[start + len(self.marker):end]
            if digits.isdigit() and int(digits) < len(self.outputs):
                self._settle(int(digits))
            buf = buf[end + 1:]
        start = buf.find(self.marker)
        keep = len(buf) - start if start >= 0 else min(len(buf), len(self.marker) + 12)
        self.pending.add(buf[:len(buf) - keep])
        self.carry = buf[len(buf) - keep:]

    def _settle(self, position: int) -> None:
        target = self.outputs[position]
        if target.total:
            target.merge(self.pending)
        else:
            self.outputs[position] = self.pending
        self.pending = Output()

    def finish(self, position: int) -> list[Output]:
        """Every match's output, what is left unsettled being ``position``'s (the last match played)."""
        if self.carry:
            self.pending.add(self.carry)
            self.carry = b""
        if self.pending.total:
            self._settle(min(max(position, 0), len(self.outputs) - 1))
        return self.outputs


def redact(text: str) -> str:
    for name, value in os.environ.items():
        if len(value) >= 6 and SECRET_NAME.search(name) and value in text:
            text = text.replace(value, REDACTED)
    return text
