"""Run a league whose LLM players use the OpenAI-compatible backend against a llama.cpp
server started here, on 127.0.0.1 and a port the OS picks (port 0).

``python -m players.llm.local_endpoint LEAGUE --out RUN_DIR [--replay] [-- TOURNEY RUN ARGS]``

1. starts ``python -m players.llm.serve`` (llama-cpp-python's server, the
   embedded SmolLM2 unless ``--model``) with ``--port 0`` and a fresh random
   API key, reads the port it bound from its log, and waits until it answers
   ``/v1/models`` with that key (so it is our server, not another process's);
2. writes a copy of LEAGUE with every loopback ``base_url`` pointed at that port
   and runs ``tourney run`` on it with the key in the environment variable the
   league's ``api_key_env`` names (not in any file; the server itself gets the
   random, per-run key on its command line, as llama-cpp-python's server takes it);
3. stops the server.

``--replay``: no server; the copy points at a closed loopback port, so every
reply must come from the league's reply cache (the backend's cache identity
leaves out a loopback port) and a missing one is a backend fault, never a
silent model call. The server's log is kept in RUN_DIR/server.log.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

LOOPBACK = ("127.0.0.1", "localhost")
STARTUP_SECONDS = 180


def _loopback_players(league: dict) -> list[dict]:
    players = [p for p in league.get("players") or [] if isinstance(p, dict)]
    return [p for p in players if (p.get("params") or {}).get("backend") == "openai"
            and urllib.parse.urlsplit(str(p["params"].get("base_url", ""))).hostname in LOOPBACK]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(log: Path, key: str, model: str | None) -> tuple[subprocess.Popen, int]:
    """A server answering on 127.0.0.1 and the port it bound; raises RuntimeError with the log tail."""
    args = [sys.executable, "-m", "players.llm.serve", "--host", "127.0.0.1", "--port", "0", "--api_key", key,
            "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", "2048"]
    if model:
        args += ["--model", model]
    out = open(log, "wb")
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    out.close()
    deadline = time.monotonic() + STARTUP_SECONDS
    port = None
    while time.monotonic() < deadline and proc.poll() is None:
        if port is None:
            found = re.search(rb"Uvicorn running on http://127\.0\.0\.1:(\d+)", log.read_bytes())
            port = int(found.group(1)) if found else None
        if port is not None:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models",
                                             headers={"Authorization": f"Bearer {key}"})
            try:
                with urllib.request.urlopen(request, timeout=5):
                    return proc, port
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
        time.sleep(0.5)
    stop_server(proc)
    why = f"exited with code {proc.returncode}" if proc.returncode else f"did not answer in {STARTUP_SECONDS} s"
    raise RuntimeError(f"the llama.cpp server {why}; its log ends:\n{log.read_text(errors='replace')[-1500:]}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pointed_league(league: dict, port: int) -> dict:
    """``league`` with every loopback endpoint on ``port``."""
    copy: dict[str, Any] = yaml.safe_load(yaml.safe_dump(league))
    for player in _loopback_players(copy):
        parts = urllib.parse.urlsplit(player["params"]["base_url"])
        player["params"]["base_url"] = urllib.parse.urlunsplit(
            (parts.scheme, f"127.0.0.1:{port}", parts.path, "", ""))
    return copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m players.llm.local_endpoint", description=__doc__.splitlines()[0])
    parser.add_argument("league", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--replay", action="store_true", help="no server: every reply from the cache")
    parser.add_argument("--model", help="GGUF to serve (default: the embedded SmolLM2)")
    argv = list(sys.argv[1:] if argv is None else argv)
    run_args = argv[argv.index("--") + 1:] if "--" in argv else []  # more `tourney run` options, after --
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    # a SIGTERM ends us through the finally below, so the server is stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    league = yaml.safe_load(args.league.read_text())
    remote = _loopback_players(league)
    if not remote:
        print(f"{args.league}: no player uses the openai backend on 127.0.0.1", file=sys.stderr)
        return 2
    key = secrets.token_hex(16)
    env = dict(os.environ)
    for player in remote:
        name = player["params"].get("api_key_env", "OPENAI_API_KEY")
        if name:
            env[name] = key
    args.out.mkdir(parents=True, exist_ok=True)
    proc = None
    if args.replay:
        port = _closed_port()
    else:
        proc, port = start_server(args.out / "server.log", key, args.model)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / args.league.name
            copy.write_text(yaml.safe_dump(pointed_league(league, port), sort_keys=False))
            done = subprocess.run([sys.executable, "-m", "tourney.cli", "run", str(copy), "--out", str(args.out),
                                   *run_args], env=env)
        return done.returncode
    finally:
        if proc is not None:
            stop_server(proc)


if __name__ == "__main__":
    sys.exit(main())
