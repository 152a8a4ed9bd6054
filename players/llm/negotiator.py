"""An LLM negotiator for the ``bilateral`` world (a negmas ``SAONegotiator``).

The price issue is put in words (``prompts.bilateral_messages``): the player's
initial and reservation prices from its ``PriceUtility`` (``ufun.ip``,
``ufun.rp``), the issue's bounds, the round, and the recent offers. One model
call per round: in ``respond`` the model sees the other side's offer and
answers ``{"accept": bool, "price": counter}``; the counter-offer is kept for
the ``propose`` that follows a rejection (negmas calls ``propose`` on its own
only when there is no offer to answer, e.g. the opening).

Valid reply: a price inside the issue's bounds (rounded to an integer). When
every retry failed (``max_retries``), the default action is to reject and
repeat the last own offer (the initial price before any); nothing is ever
offered outside the issue, so the world's protocol check cannot fail on us.
"""

from __future__ import annotations

from typing import Any

from negmas.sao import ResponseType, SAONegotiator, SAOState

from players.llm.client import LLM_PARAM_CONSTRAINTS, LLMClient, LLMParamsMixin
from players.llm.parser import ParsedReply
from players.llm.prompts import BILATERAL_SCHEMA, bilateral_messages


class ChatNegotiator(LLMParamsMixin, SAONegotiator):
    """The params and per-negotiation state every SAO chat-model negotiator shares
    (this price player and ``players.llm.multi_issue``)."""

    keeps_state = True  # one model client for every negotiation of a match
    param_constraints = LLM_PARAM_CONSTRAINTS

    def __init__(
        self,
        backend: str = "local",
        model: str | None = None,
        base_url: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        response_format: str = "json_object",
        temperature: float = 0.7,
        seed: int | None = None,
        max_tokens: int = 48,
        max_retries: int = 2,
        cache: str | None = None,
        n_threads: int = 1,
        n_ctx: int = 2048,
        history: int = 6,
        request_timeout: float = 120.0,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
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
        self.client_: LLMClient | None = None
        self.offers_: list[tuple] = []  # the recent offers as the prompt shows them
        self.planned_: tuple[int, Any] | None = None  # (step, the counter-offer respond() chose)
        self.last_own_: Any = None

    # --- what a subclass says about its outcome space ---
    def _ask(self, state: SAOState, current: Any) -> tuple[bool, Any]:
        """(accept, counter-offer) from the model, for ``current`` (None: no offer to answer)."""
        raise NotImplementedError

    def _read_offer(self, offer: tuple) -> Any:
        """The partner's offer as ``_ask`` and ``_note`` take it."""
        raise NotImplementedError

    def _note(self, who: str, move: Any) -> None:
        """Remember an offer for the prompt's history."""
        raise NotImplementedError

    def _to_outcome(self, move: Any) -> tuple:
        return move

    # --- one model call per round ---
    def on_negotiation_start(self, state: SAOState) -> None:
        if self.client_ is None:
            self.client_ = self.make_client()
        self.offers_ = []
        self.planned_ = None
        self.last_own_ = None
        super().on_negotiation_start(state)

    def respond(self, state: SAOState, source: str | None = None) -> ResponseType:
        offer = state.current_offer
        if offer is None:
            return ResponseType.REJECT_OFFER
        current = self._read_offer(offer)
        self._note("they offered", current)
        accept, counter = self._ask(state, current)
        if accept:
            return ResponseType.ACCEPT_OFFER
        self.planned_ = (state.step, counter)
        return ResponseType.REJECT_OFFER

    def propose(self, state: SAOState, dest: str | None = None) -> tuple:
        if self.planned_ is not None and self.planned_[0] == state.step:
            move = self.planned_[1]
        else:
            _, move = self._ask(state, None)
        self.planned_ = None
        self.last_own_ = move
        self._note("you offered", move)
        return self._to_outcome(move)

    def client(self) -> LLMClient:
        """The match's client (``on_negotiation_start`` makes it)."""
        assert self.client_ is not None, "on_negotiation_start makes the client before any question"
        return self.client_

    def usage_report(self) -> dict[str, Any]:
        return self.client_.usage.as_dict() if self.client_ is not None else {}


class LLMNegotiator(ChatNegotiator):
    """A chat model bargaining over one price issue."""

    plays = {"bilateral": ("buyer", "seller")}

    # --- the price issue as the world gives it ---
    def _bounds(self) -> tuple[int, int]:
        issue = self.nmi.outcome_space.issues[0]
        return int(issue.min_value), int(issue.max_value)

    @property
    def role_(self) -> str:
        return "buyer" if self.ufun.ip < self.ufun.rp else "seller"

    def _valid(self, reply: ParsedReply) -> bool:
        low, high = self._bounds()
        return reply.price is not None and low <= round(reply.price) <= high

    def _ask(self, state: SAOState, current: float | None) -> tuple[bool, int]:
        low, high = self._bounds()
        n_steps = self.nmi.n_steps if self.nmi.n_steps not in (None, float("inf")) else None
        messages = bilateral_messages(self.role_, self.ufun.ip, self.ufun.rp, low, high, state.step, n_steps,
                                      self.offers_, self.history, current)
        reply, _raw = self.client().ask(messages, BILATERAL_SCHEMA, self._valid)
        if reply is None:
            fallback = self.last_own_ if self.last_own_ is not None else int(round(self.ufun.ip))
            return False, min(max(fallback, low), high)
        return reply.action == "accept", int(round(reply.price))

    def _read_offer(self, offer: tuple) -> float:
        return float(offer[0])

    def _note(self, who: str, move: float) -> None:
        self.offers_.append((who, float(move)))

    def _to_outcome(self, move: int) -> tuple:
        return (move,)
