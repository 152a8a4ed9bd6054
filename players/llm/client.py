"""The params every LLM player shares, and the call path: cache -> backend -> parse -> retry.

``LLMClient.ask`` sends one chat, reads the reply with the tolerant parser and
checks it with the caller's ``validate``; a reply that fails is asked again
with a new seed, at most ``max_retries`` more times. When every attempt fails
the caller gets ``None`` and applies its documented default action: a model
that never answers well loses turns, it never crashes the match.

A backend that never answers is not a model that answers badly: when no
attempt of a question got any text from the backend (connection refused,
timeout, HTTP 4xx/5xx, a malformed payload, or, from a remote endpoint, only
empty completions), ``ask`` raises ``tourney.errors.BackendFault`` and the
match is recorded as a backend failure charged to this player's seat (a
fault, never play; the run stops after ``run: {max_backend_faults}`` of them
in a row).
Malformed *text* stays the model's: an anomaly with the default action.

Replay only: with ``TOURNEY_LLM_REPLAY=1`` in the environment (``make
reproduce-consumer`` sets it) a question the cache cannot answer is a backend
error, never a model call: a replay that claims zero model calls cannot
quietly make some.

Seeds: the seed of attempt ``a`` of call ``n`` is ``derive_seed(seed, n, a)``;
``seed`` is the player's (from the league, else derived by the world from the
match seed), so a rerun asks exactly the same questions and the cache answers.
"""

from __future__ import annotations

import inspect

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from players.llm.backends import (PACKAGED_MODELS, BackendError, LocalBackend, OpenAIBackend,
                                  packaged_model_missing)
from tourney.errors import BackendFault
from players.llm.cache import ReplyCache, cache_key, default_cache_path
from players.llm.parser import parse_reply
from tourney.params import NONE, Interval, OfType, Options
from tourney.seeding import derive_seed

REPLAY_ENV = "TOURNEY_LLM_REPLAY"

LLM_PARAM_CONSTRAINTS: dict[str, list] = {
    "backend": [Options(["local", "openai"])],
    "model": [NONE, OfType(str)],
    "base_url": [NONE, OfType(str)],
    "api_key_env": [NONE, OfType(str)],
    "response_format": [Options(["json_schema", "json_object", "llamacpp_schema", "none"])],
    "temperature": [Interval(float, 0, 2)],
    "seed": [NONE, Interval(int, 0, None)],
    "max_tokens": [Interval(int, 8, 4096)],
    "max_retries": [Interval(int, 0, 10)],
    "cache": [NONE, OfType(str)],
    "n_threads": [Interval(int, 1, 256)],
    "n_ctx": [Interval(int, 256, None)],
    "history": [Interval(int, 1, None)],
    "request_timeout": [Interval(float, 0, None, closed="neither")],
}


@dataclass
class Usage:
    """What one player's model work cost in one match (kept in the match details)."""

    calls: int = 0  # questions asked, retries included
    model_calls: int = 0  # questions the backend answered (cache misses)
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0  # questions with no valid reply after every retry
    backend_errors: int = 0
    empty_replies: int = 0  # remote completions with no text (a backend failure, not model text)
    replies: int = 0  # completions received (from the model or the cache)
    truncated: int = 0  # of those, cut by max_tokens (finish_reason "length"): not the model's own text
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_seconds: float = 0.0
    malformed: list[str] = field(default_factory=list)  # a few raw bad replies, for the log

    def as_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["model_seconds"] = round(self.model_seconds, 4)
        return out


def make_backend(backend: str, model: str | None, base_url: str | None, api_key_env: str | None,
                 response_format: str, n_threads: int, n_ctx: int, request_timeout: float = 120.0,
                 reuse_prefix: bool = False, slot: str | None = None):
    if backend == "local":
        return LocalBackend(model_path=model, n_ctx=n_ctx, n_threads=n_threads, reuse_prefix=reuse_prefix,
                            slot=slot)
    if not base_url or not model:
        raise ValueError("base_url: the openai backend needs base_url and model")
    return OpenAIBackend(base_url=base_url, model=model, api_key_env=api_key_env, response_format=response_format,
                         timeout=request_timeout)


class LLMClient:
    """One player's access to its model for one match."""

    def __init__(self, backend, cache: ReplyCache | None, temperature: float, seed: int,
                 max_tokens: int, max_retries: int) -> None:
        self.backend = backend
        self.cache = cache
        self.temperature = temperature
        self.seed = seed
        self.max_tokens = max_tokens
        self.max_retries = max_retries
        self.usage = Usage()
        self._n_questions = 0

    def _complete(self, messages: list[dict], schema: dict | None, seed: int) -> dict:
        key = None
        if self.cache is not None:
            key = cache_key({
                "backend": self.backend.kind,
                "model": self.backend.identity(),
                "messages": messages,
                "temperature": self.temperature,
                "max_tokens": self.max_tokens,
                "schema": schema,
                "response_format": getattr(self.backend, "response_format", "llamacpp_schema"),
                "seed": seed,
                **({"reuse_prefix": True} if getattr(self.backend, "reuse_prefix", False) else {}),
            })
            hit = self.cache.get(key)
            if hit is not None:
                self.usage.cache_hits += 1
                self._count_reply(hit)
                return hit
        if os.environ.get(REPLAY_ENV) == "1":
            raise BackendError(self.backend.endpoint(), f"no cached reply ({REPLAY_ENV}=1: replay only)")
        reply = self.backend.complete(
            messages, temperature=self.temperature, seed=seed, max_tokens=self.max_tokens, schema=schema
        )
        self.usage.model_calls += 1
        self.usage.prompt_tokens += reply["prompt_tokens"]
        self.usage.completion_tokens += reply["completion_tokens"]
        self.usage.model_seconds += reply["seconds"]
        self._count_reply(reply)
        # An empty reply is not kept: a fixed endpoint answers next time.
        if self.cache is not None and key is not None and reply["text"]:
            self.cache.put(key, reply)
        return reply

    def _count_reply(self, reply: dict) -> None:
        self.usage.replies += 1
        self.usage.truncated += reply.get("finish_reason") == "length"

    def new_conversation(self) -> None:
        """The next questions belong to a new conversation (a backend that keeps a KV cache empties it)."""
        begin = getattr(self.backend, "begin_conversation", None)
        if callable(begin):
            begin()

    def ask(self, messages: list[dict], schema: dict | None, validate: Callable[[Any], bool],
            read: Callable[[str], Any] = parse_reply) -> tuple[Any | None, str]:
        """The first valid reply as ``read`` makes it of the raw text (a ``ParsedReply``
        by default), and the raw text; or (None, last raw text)."""
        question = self._n_questions
        self._n_questions += 1
        raw = ""
        got_text = False
        fault: BackendError | None = None
        remote = self.backend.kind != "local"
        for attempt in range(self.max_retries + 1):
            self.usage.calls += 1
            if attempt:
                self.usage.retries += 1
            try:
                reply = self._complete(messages, schema, derive_seed(self.seed, question, attempt) % 2**31)
            except BackendError as exc:
                self.usage.backend_errors += 1
                fault = exc
                continue
            if remote and not reply["text"].strip():
                self.usage.empty_replies += 1
                fault = BackendError(self.backend.endpoint(), "empty completions")
                continue
            got_text = True
            raw = reply["text"]
            parsed = read(raw)
            if validate(parsed):
                return parsed, raw
            if len(self.usage.malformed) < 5:
                self.usage.malformed.append(raw[:200])
        self.usage.failures += 1
        if not got_text and fault is not None:
            raise BackendFault(fault.endpoint, f"{fault.status} ({self.max_retries + 1} attempts)")
        return None, raw


def open_cache(cache: str | None) -> ReplyCache | None:
    if cache == "off":
        return None
    return ReplyCache(cache if cache else default_cache_path())


class LLMParamsMixin:
    """Builds the client from the shared params (stored by the player's __init__)."""

    # Params naming files this player writes: a runner whose players run as users of
    # their own makes those files' folders writable by them (tourney.sandbox).
    writes_params = ("cache",)

    backend: str
    model: str | None
    base_url: str | None
    api_key_env: str | None
    response_format: str
    temperature: float
    seed: int | None
    max_tokens: int
    max_retries: int
    cache: str | None
    n_threads: int
    n_ctx: int
    request_timeout: float

    @classmethod
    def key_endpoints(cls, params: dict[str, Any]) -> list[tuple[str, str]]:
        """The endpoint this player calls with a key, as (base_url, the key's variable): the runner
        keeps the key and gives the hosts a proxy that adds it (tourney.keyproxy)."""
        if params.get("backend", "local") != "openai" or not params.get("base_url"):
            return []
        if "api_key_env" in params:
            env = params["api_key_env"]
        else:
            default = inspect.signature(cls.__init__).parameters.get("api_key_env")
            env = default.default if default is not None else None
        return [(str(params["base_url"]), str(env))] if isinstance(env, str) and env else []

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        """Cross-parameter checks, run by league validation before any match."""
        if params.get("backend", "local") == "openai":
            if not params.get("base_url") or not params.get("model"):
                raise ValueError("base_url: the openai backend needs base_url and model")
        elif params.get("model") in PACKAGED_MODELS:
            why = packaged_model_missing(params["model"])
            if why:
                raise ValueError(f"model: {why}")
        elif params.get("model") is not None and not Path(str(params["model"])).is_file():
            raise ValueError(f"model: no GGUF file at {params['model']!r} (nor one of the packaged models: "
                             f"{', '.join(PACKAGED_MODELS)})")

    def make_client(self, slot: str | None = None) -> LLMClient:
        backend = make_backend(self.backend, self.model, self.base_url, self.api_key_env,
                               self.response_format, self.n_threads, self.n_ctx,
                               getattr(self, "request_timeout", 120.0),  # a subclass may predate it
                               getattr(self, "reuse_prefix", False), slot)
        return LLMClient(backend, open_cache(self.cache), self.temperature,
                         0 if self.seed is None else self.seed, self.max_tokens, self.max_retries)
