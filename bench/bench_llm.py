"""LLM benchmarks (run by `make bench`, never by the tests).

1. Throughput: generated tokens per second of wall time inside a tourney
   consumer match (SmolLM2 as buyer and seller, the study's 30 turns; world,
   prompts, parsing all included) versus llama-cpp-python answering the very
   same requests directly (same prompts, seeds, grammar, one thread, one
   context per party kept across a negotiation's turns as the match does).
   Target: >= 90 %. Also the same requests evaluated from scratch each time
   (what keeping the KV cache buys) and whether that changes any reply.
2. The consumer league cold (every reply from the model) versus cached (a
   rerun: every reply from the SQLite cache), wall time and identical tables.

Usage: python bench/bench_llm.py [--turns 30] [--products 3 40] [--league-turns 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from players.llm.backends import _response_format, default_model_path, load_local_model
from players.llm.consumer import LLMConsumerPlayer
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.consumer import ConsumerWorld

REPO = Path(__file__).resolve().parent.parent


class RecordingLLM(LLMConsumerPlayer):
    """The consumer player, with its backend's requests recorded for the raw replay."""

    requests: list = []  # (slot, messages, kwargs, reply), or (slot, None, None, None) at a new conversation

    def make_client(self, slot=None):
        client = super().make_client(slot)
        complete, begin = client.backend.complete, client.backend.begin_conversation

        def recorded(messages, **kw):
            reply = complete(messages, **kw)
            RecordingLLM.requests.append((slot, messages, kw, reply))
            return reply

        def began():
            RecordingLLM.requests.append((slot, None, None, None))
            begin()

        client.backend.complete = recorded
        client.backend.begin_conversation = began
        return client


def _raw(model, messages, kw) -> dict:
    return model.create_chat_completion(
        messages=messages, temperature=kw["temperature"], seed=kw["seed"] % 2**32,
        max_tokens=kw["max_tokens"], response_format=_response_format("llamacpp_schema", kw["schema"]),
    )


def replay(requests: list, keep_kv: bool) -> tuple[float, float, int]:
    """llama-cpp-python answering ``requests`` directly: (wall s, CPU s, identical replies).
    ``keep_kv``: one context per party, emptied at each new conversation, as the match does;
    else every request evaluated from scratch (the backend's ``reuse_prefix=False``)."""
    path = str(default_model_path())
    models = {slot: load_local_model(path, 2048, 1, reuse=False) for slot in {r[0] for r in requests}}
    wall = cpu = 0.0
    same = 0
    for slot, messages, kw, reply in requests:
        model = models[slot]
        if messages is None:
            if keep_kv:
                model.reset()
            continue
        if not keep_kv:
            model.reset()
        t0, c0 = time.perf_counter(), time.process_time()
        out = _raw(model, messages, kw)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        same += out["choices"][0]["message"]["content"] == reply["text"]
    return wall, cpu, same


def throughput(turns: int, products: list[int]) -> dict:
    RecordingLLM.requests = []
    seats = {
        "buyer": Seat("buyer", "LLM", "llm", RecordingLLM, {"cache": "off"}),
        "seller": Seat("seller", "LLM", "llm", RecordingLLM, {"cache": "off"}),
    }
    world = ConsumerWorld(products=products, budget="mid", max_turns=turns)
    # Load the models before the clock starts (one context per party).
    for slot in ("buyer", "seller"):
        load_local_model(str(default_model_path()), 2048, 1, slot=slot)
    started, started_cpu = time.perf_counter(), time.process_time()
    result = world.play(seats, 1, MatchContext(1))
    match_seconds, match_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    requests = [r for r in RecordingLLM.requests if r[1] is not None]
    tokens = sum(reply["completion_tokens"] for _, _, _, reply in requests)
    truncated = sum(reply["finish_reason"] == "length" for _, _, _, reply in requests)
    raw_seconds, raw_cpu, same = replay(RecordingLLM.requests, keep_kv=True)
    scratch_seconds, scratch_cpu, scratch_same = replay(RecordingLLM.requests, keep_kv=False)
    in_match, raw = tokens / match_seconds, tokens / raw_seconds
    return {
        "negotiations": len(products),
        "turns": [e["turns"] for e in result.details["episodes"]],
        "requests": len(requests),
        "completion_tokens": tokens,
        "prompt_tokens": sum(reply["prompt_tokens"] for _, _, _, reply in requests),
        "truncated": truncated,
        "match_seconds": round(match_seconds, 2),
        "raw_seconds": round(raw_seconds, 2),
        "in_match_tokens_per_s": round(in_match, 2),
        "raw_tokens_per_s": round(raw, 2),
        "ratio": round(in_match / raw, 3),
        # CPU seconds of this process: far less sensitive than wall time to
        # other work on a shared machine (llama.cpp runs on this thread).
        "match_cpu_seconds": round(match_cpu, 2),
        "raw_cpu_seconds": round(raw_cpu, 2),
        "cpu_ratio": round(raw_cpu / match_cpu, 3),
        "identical_replies": f"{same}/{len(requests)}",
        # what keeping the KV cache buys, and whether it changes a reply
        "from_scratch_seconds": round(scratch_seconds, 2),
        "from_scratch_cpu_seconds": round(scratch_cpu, 2),
        "from_scratch_tokens_per_s": round(tokens / scratch_seconds, 2),
        "identical_from_scratch": f"{scratch_same}/{len(requests)}",
    }


LEAGUE = """name: bench-consumer
seed: 5
repetitions: 1
worlds:
  - type: consumer
    params: {{products: [3], max_turns: {turns}}}
    settings: {{budget: [mid, low]}}
players:
  - {{name: SmolLM2, type: llm, params: {{cache: {cache}}}}}
  - {{name: Linear, type: linear}}
format: {{self_play: false, both_roles: true, timeout: 1800}}
scoring: {{metric: utility, aggregate: mean}}
"""


def cold_vs_cached(turns: int, jobs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        league = tmp / "league.yaml"
        league.write_text(LEAGUE.format(turns=turns, cache=tmp / "cache.sqlite"))
        times, tables, calls = [], [], []
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tourney.cli", "run", str(league), "-j", str(jobs), "--out",
                            str(tmp / "run"), "--fresh", "--quiet"], cwd=REPO, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
            tables.append((tmp / "run" / "scores.csv").read_text())
            records = [json.loads(x) for x in (tmp / "run" / "matches.jsonl").read_text().splitlines() if x]
            calls.append(sum(u.get("model_calls", 0) for r in records for u in r["details"]["usage"].values()))
        return {
            "matches": len(records),
            "cold_seconds": round(times[0], 2),
            "cached_seconds": round(times[1], 2),
            "speedup": round(times[0] / times[1], 1),
            "model_calls_cold": calls[0],
            "model_calls_cached": calls[1],
            "identical_table": tables[0] == tables[1],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=30, help="max_turns of the throughput match (the study's 30)")
    parser.add_argument("--products", type=int, nargs="+", default=[3, 40])
    parser.add_argument("--league-turns", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    result = {"load_average_1min": round(load, 2), "throughput": throughput(args.turns, args.products),
              "league": cold_vs_cached(args.league_turns, args.jobs)}
    t = result["throughput"]
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    print(f"throughput: in match {t['in_match_tokens_per_s']} tok/s, raw llama.cpp {t['raw_tokens_per_s']} tok/s, "
          f"ratio {t['ratio']:.0%} by wall time, {t['cpu_ratio']:.0%} by CPU time (target >= 90 %); "
          f"{t['completion_tokens']} tokens over {t['requests']} requests ({t['truncated']} cut by max_tokens), "
          f"identical replies {t['identical_replies']}")
    print(f"  without the KV cache across turns (every prompt from scratch): {t['from_scratch_tokens_per_s']} tok/s, "
          f"{t['from_scratch_cpu_seconds']} CPU s vs {t['raw_cpu_seconds']}; same replies as with it: "
          f"{t['identical_from_scratch']}")
    c = result["league"]
    print(f"consumer league ({c['matches']} matches): cold {c['cold_seconds']} s ({c['model_calls_cold']} model calls), "
          f"cached {c['cached_seconds']} s ({c['model_calls_cached']} model calls), x{c['speedup']}, "
          f"identical table: {c['identical_table']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
