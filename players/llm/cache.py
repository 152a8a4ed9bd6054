"""A reply cache on SQLite, shared by every worker process of a run.

The key is the SHA-256 of the canonical JSON of everything that determines a
reply: backend kind, model identity, messages, sampling params (temperature,
max_tokens, response format/schema) and the call's seed. A rerun of a league
derives the same match seeds, hence the same keys, and replays every reply
without calling the model.

Where: the ``cache`` param of an LLM player; ``None`` means the default
``$TOURNEY_LLM_CACHE`` if set, else ``$XDG_CACHE_HOME/tourney/llm-replies.sqlite``
(``~/.cache/tourney/...``); in a player host that cannot write there (root's
hosts run as users of their own, ``tourney.sandbox``), the run's player folder
``$TOURNEY_PLAYER_DIR``. League files point it into their run's player folder
(``results/NAME/players/``). ``"off"`` disables caching.

Shipping a cache (``python -m players.llm.cache pack DB OUT.jsonl.gz`` /
``unpack OUT.jsonl.gz DB``): the rows as gzipped JSON lines sorted by key, one
``{"key", "reply"}`` per line, so the same replies always pack to the same
bytes and a reproduction's committed cache can be diffed and replayed
(``unpack`` adds the rows to DB, keeping rows it already has).

Concurrency: several worker processes write the same file, so the database runs
in WAL mode (readers never block the writer) with a busy timeout, and each
statement is retried with backoff on ``database is locked``. A reply is written
with ``INSERT OR IGNORE``: two workers computing the same key write the same
row, the first one wins.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")

_SCHEMA = "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply TEXT NOT NULL, created REAL NOT NULL)"
_RETRIES = 20


def default_cache_path() -> Path:
    env = os.environ.get("TOURNEY_LLM_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "tourney" / "llm-replies.sqlite"
    player_dir = os.environ.get("TOURNEY_PLAYER_DIR")
    if player_dir and not _writable(path):
        # a player host run by root plays as a user of its own: it may write only the run's player folder
        return Path(player_dir) / "llm-replies.sqlite"
    return path


def _writable(path: Path) -> bool:
    """Whether this process can create or write ``path`` (its nearest existing folder, if it is not there)."""
    target = path if path.exists() else next((p for p in path.parents if p.exists()), path.parent)
    return os.access(target, os.W_OK)


def cache_key(parts: dict[str, Any]) -> str:
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class ReplyCache:
    """Key -> reply dict, persisted in one SQLite file."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross a fork: reopen in each process.
        if self._conn is None or self._pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL"))
            conn.execute("PRAGMA synchronous=NORMAL")
            self._retry(lambda: conn.execute(_SCHEMA))
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    @staticmethod
    def _retry(action: Callable[[], T]) -> T:
        delay = 0.01
        for attempt in range(_RETRIES):
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or attempt == _RETRIES - 1:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    def get(self, key: str) -> dict | None:
        conn = self._connection()
        row = self._retry(lambda: conn.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone())
        return None if row is None else json.loads(row[0])

    def put(self, key: str, reply: dict) -> None:
        conn = self._connection()
        text = json.dumps(reply, sort_keys=True)
        self._retry(
            lambda: conn.execute(
                "INSERT OR IGNORE INTO replies (key, reply, created) VALUES (?, ?, ?)", (key, text, time.time())
            )
        )

    def __len__(self) -> int:
        conn = self._connection()
        return self._retry(lambda: conn.execute("SELECT COUNT(*) FROM replies").fetchone()[0])

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None


def pack(db: str | os.PathLike, out: str | os.PathLike) -> int:
    """Write every reply of ``db`` to ``out`` (gzipped JSON lines sorted by key); the count."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT key, reply FROM replies ORDER BY key").fetchall()
    finally:
        conn.close()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    # no name, mtime=0: the same rows give the same bytes
    with open(out, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as f:
        for key, reply in rows:
            f.write((json.dumps({"key": key, "reply": json.loads(reply)}, sort_keys=True) + "\n").encode())
    return len(rows)


def unpack(packed: str | os.PathLike, db: str | os.PathLike) -> int:
    """Add the replies of a packed file to ``db``; the number of lines read."""
    cache = ReplyCache(db)
    n = 0
    with gzip.open(packed, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            cache.put(row["key"], row["reply"])
            n += 1
    cache.close()
    return n


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m players.llm.cache", description="Ship a reply cache.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="DB -> gzipped JSON lines")
    p.add_argument("db")
    p.add_argument("out")
    u = sub.add_parser("unpack", help="gzipped JSON lines -> DB (rows added)")
    u.add_argument("packed")
    u.add_argument("db")
    args = parser.parse_args(argv)
    if args.command == "pack":
        n = pack(args.db, args.out)
        print(f"{n} replies -> {args.out} ({Path(args.out).stat().st_size / 1e6:.2f} MB)")
    else:
        if not Path(args.packed).exists():
            raise SystemExit(f"{args.packed}: no such file")
        print(f"{unpack(args.packed, args.db)} replies -> {args.db}")


if __name__ == "__main__":
    main()
