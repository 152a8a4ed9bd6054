"""An LLM buyer or seller for the ``consumer`` world.

Each turn the player asks its model for a JSON reply (``prompts``); the world
receives an ``Utterance`` with the model's message, price and (buyer) action.

A reply is valid when it carries a message, and (seller) a positive finite
price, (buyer) an action. Default actions when every retry failed (counted by
the world as ``malformed``): the seller repeats its last price (retail on its
first turn); the buyer continues, repeating its last price (none on its first
turn). Out-of-budget or below-wholesale prices are *not* invalid: they are the
anomalies the world measures.

Defaults sized for the study's 30-turn negotiations: ``max_tokens=256`` holds
any reply the schema allows (``prompts.MESSAGE_CHARS``), ``history=12``
messages, and ``reuse_prefix=True``: the party keeps its KV cache across the
turns of one negotiation (its own context, emptied at each ``start``).
"""

from __future__ import annotations

import math
from typing import Any

from players.llm.client import LLM_PARAM_CONSTRAINTS, LLMClient, LLMParamsMixin
from players.llm.parser import ParsedReply, classify_action
from players.llm.prompts import BUYER_SCHEMA, SELLER_SCHEMA, consumer_messages
from tourney.params import OfType
from tourney.worlds.consumer import Brief, Utterance


class LLMConsumerPlayer(LLMParamsMixin):
    """A chat model bargaining in words (buyer or seller, set by the world's brief)."""
    plays = {"consumer": ("buyer", "seller")}

    param_constraints = {**LLM_PARAM_CONSTRAINTS, "reuse_prefix": [OfType(bool)]}

    def __init__(
        self,
        backend: str = "local",
        model: str | None = None,
        base_url: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        response_format: str = "json_object",
        temperature: float = 0.7,
        seed: int | None = None,
        max_tokens: int = 256,
        max_retries: int = 2,
        cache: str | None = None,
        n_threads: int = 1,
        n_ctx: int = 2048,
        history: int = 12,
        request_timeout: float = 120.0,
        reuse_prefix: bool = True,
        name: str | None = None,
    ) -> None:
        self.backend = backend
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.response_format = response_format
        self.temperature = temperature
        self.seed = seed
        self.max_tokens = max_tokens
        self.max_retries = max_retries
        self.cache = cache
        self.n_threads = n_threads
        self.n_ctx = n_ctx
        self.history = history
        self.request_timeout = request_timeout
        self.reuse_prefix = reuse_prefix
        self.name = name
        self.client_: LLMClient | None = None
        self.brief_: Brief | None = None
        self.last_price_: float | None = None

    def start(self, brief: Brief) -> None:
        if self.client_ is None:  # one client per match: its usage counts the whole match
            self.client_ = self.make_client(slot=brief.role)
        self.client_.new_conversation()
        self.brief_ = brief
        self.last_price_ = None

    def brief(self) -> Brief:
        """This conversation's brief (``start`` is given it)."""
        assert self.brief_ is not None, "start gives the brief before any turn"
        return self.brief_

    def client(self) -> LLMClient:
        """The match's client (``start`` makes it)."""
        assert self.client_ is not None, "start makes the client before any turn"
        return self.client_

    def _valid(self, reply: ParsedReply) -> bool:
        if not reply.message:
            return False
        if self.brief().role == "seller":
            return reply.price is not None and math.isfinite(reply.price) and reply.price > 0
        return reply.action is not None

    def speak(self, transcript: list[dict], turn: int) -> Utterance:
        brief = self.brief()
        messages = consumer_messages(brief, transcript, self.history)
        schema = SELLER_SCHEMA if brief.role == "seller" else BUYER_SCHEMA
        reply, raw = self.client().ask(messages, schema, self._valid)
        if reply is None:
            if brief.role == "seller":
                fallback = self.last_price_ if self.last_price_ is not None else brief.retail
                return Utterance(raw or "(no reply)", price=fallback, malformed=True)
            return Utterance(raw or "(no reply)", price=self.last_price_, action="continue", malformed=True)
        price = reply.price if reply.price is not None and math.isfinite(reply.price) and reply.price > 0 else None
        if price is not None:
            self.last_price_ = price
        if brief.role == "seller":
            return Utterance(reply.message, price=price)
        action = reply.action or classify_action(reply.message)
        return Utterance(reply.message, price=price, action=action)

    def usage_report(self) -> dict[str, Any]:
        return self.client_.usage.as_dict() if self.client_ is not None else {}
