"""A dict-backed Q-table (INSIGHT section 4: "we decided to use dictionaries to
represent the Q-Tables, and only include relevant entries").

``values[state][action]`` holds only visited pairs; an unvisited pair is worth
``initial``. Saved as JSON: ``{"format", "meta", "initial", "entries": [[state,
action, value], ...]}`` with states as lists (``None`` kept as null).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Hashable, Iterable

FORMAT = "tourney-insight-qtable/1"


class QTable:
    """Q(s, a) for hashable states and integer actions."""

    def __init__(self, initial: float = 0.0, meta: dict[str, Any] | None = None) -> None:
        self.initial = initial
        self.meta = dict(meta or {})
        self.values: dict[Hashable, dict[int, float]] = {}

    def __len__(self) -> int:
        return sum(len(row) for row in self.values.values())

    def get(self, state: Hashable, action: int) -> float:
        row = self.values.get(state)
        if row is None:
            return self.initial
        return row.get(action, self.initial)

    def set(self, state: Hashable, action: int, value: float) -> None:
        self.values.setdefault(state, {})[action] = value

    def best_value(self, state: Hashable, n_actions: int) -> float:
        """max_a Q(state, a) over a state with ``n_actions`` allowed actions."""
        row = self.values.get(state)
        if not row:
            return self.initial
        best = max(row.values())
        return max(best, self.initial) if len(row) < n_actions else best

    def greedy_actions(self, state: Hashable, low: int, high: int) -> list[int]:
        """The best actions among the integers ``low..high`` (the allowed actions
        of ``state``; every visited action of a state must lie among them).

        The fast path of ``best_actions`` for the seller's inner loop: it scans
        the visited entries, and the whole range only when an unvisited action
        can tie or win.
        """
        row = self.values.get(state)
        if not row:
            return list(range(low, high + 1))
        best = max(row.values())
        if len(row) < high - low + 1 and self.initial >= best:
            if self.initial > best:
                return [a for a in range(low, high + 1) if a not in row]
            return [a for a in range(low, high + 1) if row.get(a, self.initial) == best]
        return [a for a, v in row.items() if v == best]  # visiting order: deterministic

    def best_actions(self, state: Hashable, actions: Iterable[int]) -> list[int]:
        """The allowed actions of highest value (several when tied)."""
        row = self.values.get(state, {})
        best, out = None, []
        for a in actions:
            v = row.get(a, self.initial)
            if best is None or v > best:
                best, out = v, [a]
            elif v == best:
                out.append(a)
        return out

    # --- persistence ---
    def to_json(self) -> dict[str, Any]:
        entries = [
            [list(s) if isinstance(s, tuple) else s, a, v]
            for s, row in self.values.items() for a, v in row.items()
        ]
        return {"format": FORMAT, "meta": self.meta, "initial": self.initial, "entries": entries}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "QTable":
        if data.get("format") != FORMAT:
            raise ValueError(f"not a Q-table file (format {data.get('format')!r}, expected {FORMAT!r})")
        table = cls(initial=float(data["initial"]), meta=data.get("meta"))
        for state, action, value in data["entries"]:
            table.set(tuple(state) if isinstance(state, list) else state, int(action), float(value))
        return table

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically, so a reader never sees half a table."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(self.to_json(), fh, separators=(",", ":"))
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "QTable":
        with open(path) as fh:
            return cls.from_json(json.load(fh))
