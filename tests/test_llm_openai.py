"""The OpenAI-compatible backend against a real server on 127.0.0.1 (llama-cpp-python's own,
serving the same GGUF), driven through `tourney run`; the API key never reaches an output."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed")

KEY = "sk-tourney-test-5f1c9e0d7b"
ENV = "TOURNEY_TEST_LLM_KEY"
REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


START_ATTEMPTS = 3  # the free port can be taken by another process before the server binds it


def _start_server(log: Path) -> tuple[subprocess.Popen, str]:
    """A ready server and its base URL, or why not (port, exit code, log tail)."""
    port = _free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "players.llm.serve", "--host", "127.0.0.1", "--port", str(port),
             "--api_key", KEY, "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", "2048"],
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
        )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            # our key: a 200 proves it is our server on that port, not another process's
            req = urllib.request.Request(base + "/models", headers={"Authorization": f"Bearer {KEY}"})
            with urllib.request.urlopen(req, timeout=5):
                return proc, base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            code = proc.poll()
            if code is not None or time.monotonic() > deadline:
                why = f"exited with code {code}" if code is not None else "did not answer within 120 s"
                _stop_server(proc)
                tail = log.read_text(errors="replace")[-1500:]
                raise RuntimeError(f"port {port}: the llama.cpp server {why}; its log ends:\n{tail}") from None
            time.sleep(0.5)


def _stop_server(proc: subprocess.Popen) -> None:
    from players.llm.local_endpoint import stop_server

    stop_server(proc)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    logs = tmp_path_factory.mktemp("server")
    failures = []
    for attempt in range(START_ATTEMPTS):
        try:
            proc, base = _start_server(logs / f"server{attempt}.log")
        except RuntimeError as exc:
            failures.append(f"attempt {attempt + 1}, {exc}")
            continue
        try:
            yield base
        finally:
            _stop_server(proc)
        return
    pytest.fail("the llama.cpp server did not start:\n" + "\n".join(failures), pytrace=False)


def _league(tmp_path: Path, base: str, key_env: str) -> Path:
    league = tmp_path / "league.yaml"
    llm = {"backend": "openai", "base_url": base, "model": "smollm2", "api_key_env": key_env,
           "response_format": "llamacpp_schema", "max_tokens": 40, "max_retries": 1,
           "cache": str(tmp_path / "run" / "players" / "cache.sqlite")}  # the one folder of a run players may write
    league.write_text(
        "name: openai-test\nseed: 3\nrepetitions: 1\n"
        "worlds:\n  - type: consumer\n    params: {products: [7], budget: mid, max_turns: 1}\n"
        f"players:\n  - {{name: Remote, type: llm, params: {json.dumps(llm)}}}\n"
        "  - {name: Linear, type: linear}\n"
        "format: {self_play: false, both_roles: false, timeout: 600}\n"
        "scoring: {metric: utility, aggregate: mean}\n"
    )
    return league


def _run(league: Path, out: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tourney.cli", "run", str(league), "-j", "1", "--out", str(out), "--fresh", "--quiet"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )


def _records(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "matches.jsonl").read_text().splitlines() if line.strip()]


def test_openai_backend_plays_and_never_writes_the_key(server, tmp_path):
    env = {**os.environ, ENV: KEY}
    done = _run(_league(tmp_path, server, ENV), tmp_path / "run", env)
    assert done.returncode == 0, done.stderr
    (record,) = _records(tmp_path / "run")
    assert record["status"] == "ok"
    remote = [role for role, player in record["assignment"].items() if player == "Remote"][0]
    usage = record["details"]["usage"][remote]
    assert usage["model_calls"] >= 1 and usage["backend_errors"] == 0 and usage["completion_tokens"] > 0
    # the key is in no file the run wrote (match log, tables, manifest, league copy, cache) nor printed
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in done.stdout + done.stderr


def test_a_wrong_key_is_a_backend_fault_not_play(server, tmp_path):
    # llama.cpp's server answers 401 to every request: the match is a backend failure
    # charged to the model's own seat (a fault, not play), never turns the model "lost".
    env = {**os.environ, ENV: "sk-wrong-key-1234"}
    done = _run(_league(tmp_path, server, ENV), tmp_path / "run", env)
    (record,) = _records(tmp_path / "run")
    assert record["status"] == "error" and record["reason"] == "backend" and record["blamed"] == record["assignment"][record["backend"]["role"]]
    assert record["backend"]["status"] == "HTTP 401 (2 attempts)"
    assert done.returncode == 1, done.stderr  # 1 of 1 matches failed (one match: no 3 in a row)
    assert "sk-wrong-key-1234" not in (tmp_path / "run" / "matches.jsonl").read_text()
    assert "sk-wrong-key-1234" not in done.stdout + done.stderr


def test_local_endpoint_runs_a_league_on_a_port_0_server_then_replays_it_with_no_server(tmp_path):
    league = tmp_path / "league.yaml"
    llm = {"backend": "openai", "base_url": "http://127.0.0.1:8000/v1", "model": "smollm2",
           "api_key_env": "TOURNEY_ENDPOINT_TEST_KEY", "response_format": "llamacpp_schema", "max_tokens": 40,
           "cache": str(tmp_path / "players" / "cache.sqlite")}  # a 'players' folder: hosts may write it
    league.write_text(
        "name: endpoint-test\nseed: 3\nrepetitions: 1\n"
        "worlds:\n  - type: consumer\n    params: {products: [7], budget: mid, max_turns: 1}\n"
        f"players:\n  - {{name: Remote, type: llm, params: {json.dumps(llm)}}}\n"
        "  - {name: Linear, type: linear}\n"
        "format: {self_play: false, both_roles: false, timeout: 600}\n"
    )

    def endpoint(out: str, *extra: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "players.llm.local_endpoint", str(league), "--out",
                               str(tmp_path / out), *extra, "--", "-j", "1", "--fresh", "--quiet"],
                              cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=600)

    cold = endpoint("cold")
    assert cold.returncode == 0, cold.stderr
    (record,) = _records(tmp_path / "cold")
    usage = next(iter(record["details"]["usage"].values()))
    assert record["status"] == "ok" and usage["model_calls"] >= 1 and usage["backend_errors"] == 0
    assert "127.0.0.1:8000" not in (tmp_path / "cold" / "league.yaml").read_text()  # pointed at the bound port
    replay = endpoint("replay", "--replay", TOURNEY_LLM_REPLAY="1")
    assert replay.returncode == 0, replay.stderr
    (again,) = _records(tmp_path / "replay")
    usage = next(iter(again["details"]["usage"].values()))
    assert usage["model_calls"] == 0 and usage["cache_hits"] >= 1
    assert again["details"]["episodes"] == record["details"]["episodes"]
