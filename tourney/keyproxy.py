"""The model endpoints' API keys stay on the trusted side: hosts call a loopback proxy that adds them.

A league's LLM players name the *variable* holding their endpoint's key
(``api_key_env``). Were that variable in the hosts' environment, a player
could read it (``os.environ``, ``/proc/self/environ``) and print it in pieces
the output capture cannot recognise. Instead, for a run whose players declare
such endpoints (a player class's ``key_endpoints(params)``: installed classes
only, never a dotted type's code), the runner:

1. starts this module as its own process (``python -m tourney.keyproxy``),
   which inherits the runner's environment, keys included, and serves a
   forwarding proxy on 127.0.0.1 (a port of its own, a random path token per
   run): ``/TOKEN/I/...`` is forwarded to upstream ``I`` with
   ``Authorization: Bearer <key>`` added;
2. removes those variables from its own environment (and overwrites them
   where a forked host would still find them: ``tourney.sandbox.scrub_secrets``)
   before any worker or host exists, and hands hosts only the proxy's URLs
   (``$TOURNEY_LLM_PROXY``);
3. at the end of the run stops the proxy and gets the variables back.

Hosts scrub every secret-named variable themselves too (``sandbox.drop_privileges``).
The proxy passes a 2xx reply's body on with the key cut out (a server may echo
the request), and nothing else a server sends: an HTTP error reaches the host as
the same status with an empty body, a network failure as status 502, each with
a short reason of the proxy's own (``X-Tourney-Fault``) that the backend turns
into a backend fault. As root the proxy process is root's, so no host can read its
environment or memory; without root, players run as the runner's user and can
(README, "Faults").
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ENV_PROXY = "TOURNEY_LLM_PROXY"  # in a host: JSON [[base_url, key variable, proxy base URL], ...]
FAULT_HEADER = "X-Tourney-Fault"
TIMEOUT_HEADER = "X-Tourney-Timeout"
MAX_TIMEOUT_S = 3600.0
MAX_BODY = 64 * 2**20
REDACTED = b"[redacted]"


def route(base_url: str, key_env: str | None) -> str | None:
    """The proxy URL that stands for ``base_url`` called with the key in ``key_env``, if the run has one."""
    raw = os.environ.get(ENV_PROXY)
    if not raw or not key_env:
        return None
    try:
        for base, env, proxy in json.loads(raw):
            if base == base_url and env == key_env:
                return str(proxy)
    except (ValueError, TypeError):
        return None
    return None


def league_endpoints(league: Any) -> list[tuple[str, str]]:
    """The (base_url, key variable) pairs the league's installed player classes declare they call."""
    found: list[tuple[str, str]] = []
    for player in league.players:
        for world in league.worlds:
            resolved = league.resolved.get((player.name, world.index))
            declare = getattr(resolved.cls, "key_endpoints", None) if resolved is not None else None
            if not callable(declare):
                continue
            for base, env in declare({**dict(resolved.defaults), **dict(player.params)}):
                if base and env and (base, env) not in found:
                    found.append((str(base), str(env)))
    return found


class KeyProxy:
    """The proxy process, seen from the runner (a context manager: ``with KeyProxy(endpoints) as routes``)."""

    def __init__(self, endpoints: Iterable[tuple[str, str]]) -> None:
        self.endpoints = list(endpoints)
        self.proc: subprocess.Popen[bytes] | None = None
        self.routes: str | None = None
        self.scrubbed: list[str] = []

    def __enter__(self) -> str | None:
        """Start the proxy and scrub the keys from this process; the routes hosts get (None: no endpoint)."""
        if not self.endpoints:
            return None
        from tourney import sandbox

        # env=None: the child gets this process's C environment as it is, keys included,
        # without this process building a Python copy of them.
        self.proc = subprocess.Popen([sys.executable, "-m", "tourney.keyproxy"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps([list(e) for e in self.endpoints]).encode() + b"\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        try:
            port, token = json.loads(line)
        except ValueError:
            self._end()
            raise RuntimeError("the model-key proxy did not start") from None
        self.routes = json.dumps([[base, env, f"http://127.0.0.1:{port}/{token}/{i}"]
                                  for i, (base, env) in enumerate(self.endpoints)])
        self.scrubbed = sandbox.scrub_secrets(sorted({env for _, env in self.endpoints} & set(os.environ)))
        return self.routes

    def __exit__(self, *exc: object) -> None:
        self._end()

    def _end(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(b"stop\n")
            proc.stdin.flush()
            back = json.loads(proc.stdout.readline() or b"{}")
            for name in self.scrubbed:  # the keys return to this process's environment, as before the run
                if isinstance(back.get(name), str):
                    os.environ[name] = back[name]
        except (OSError, ValueError):
            pass
        finally:
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------------- the proxy process


def network_reason(exc: BaseException) -> str:
    """A short, server-free description of a network failure (the proxy's and the LLM backend's wording)."""
    inner = getattr(exc, "reason", exc)
    if isinstance(inner, (TimeoutError, socket.timeout)) or "timed out" in str(inner):
        return "timed out"
    if isinstance(inner, ConnectionRefusedError):
        return "connection refused"
    if isinstance(inner, ConnectionResetError):
        return "connection reset"
    if isinstance(inner, socket.gaierror):
        return "unknown host"
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror.lower()
    return type(inner).__name__


def _handler(token: str, upstreams: list[tuple[str, str | None]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, code: int, body: bytes = b"", fault: str | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if fault:
                self.send_header(FAULT_HEADER, fault)
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, method: str) -> None:
            parts = self.path.split("/", 3)  # '', token, index, rest
            if len(parts) < 3 or not secrets.compare_digest(parts[1], token) or not parts[2].isdigit() \
                    or int(parts[2]) >= len(upstreams):
                self._reply(404, fault="not a proxied endpoint")
                return
            base, key = upstreams[int(parts[2])]
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._reply(413, fault="request too large")
                return
            body = self.rfile.read(length) if length else None
            try:
                timeout = min(float(self.headers.get(TIMEOUT_HEADER) or 120.0), MAX_TIMEOUT_S)
            except ValueError:
                timeout = 120.0
            if not key:
                self._reply(401, fault="the API key's environment variable is not set")
                return
            url = base.rstrip("/") + "/" + (parts[3] if len(parts) > 3 else "")
            headers = {"Content-Type": self.headers.get("Content-Type") or "application/json",
                       "Authorization": f"Bearer {key}"}
            request = urllib.request.Request(url, data=body, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    data = response.read(MAX_BODY + 1)
            except urllib.error.HTTPError as exc:
                exc.close()  # its body and headers are the server's: never read, never passed on
                self._reply(exc.code if 400 <= exc.code < 600 else 502, fault=f"HTTP {exc.code}")
                return
            except (urllib.error.URLError, OSError) as exc:
                self._reply(502, fault=network_reason(exc))
                return
            for form in {key.encode(), json.dumps(key)[1:-1].encode()}:
                data = data.replace(form, REDACTED)
            self._reply(200, data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self._forward("POST")

        def do_GET(self) -> None:  # noqa: N802
            self._forward("GET")

    return Handler


def _undumpable() -> None:
    """No process of the same user may read this one's environment or memory (/proc/PID/environ,
    /proc/PID/mem, ptrace): what keeps the keys from players when the runner is not root."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


def main() -> None:
    _undumpable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the runner's to handle; it stops us
    config = json.loads(sys.stdin.readline())
    upstreams = [(str(base), os.environ.get(str(env))) for base, env in config]
    names = sorted({str(env) for _, env in config})
    token = secrets.token_urlsafe(24)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(token, upstreams))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdout.write(json.dumps([server.server_address[1], token]) + "\n")
    sys.stdout.flush()
    line = sys.stdin.readline()  # "stop", or EOF: the runner is gone, however it ended
    if line.strip() == "stop":
        sys.stdout.write(json.dumps({n: os.environ[n] for n in names if n in os.environ}) + "\n")
        sys.stdout.flush()
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
