"""An LLM negotiator for the ``negotiation`` world: multi-issue offers as issue -> value JSON.

The prompt (``prompts.multi_issue_messages``) holds the outcome space (each
issue and its values), the player's own utilities in words (for a
linear-additive ufun each issue's weight and each value's score, otherwise its
best outcomes and their utilities), its reserved value, the round, the recent
offers with what each is worth to it, and the offer on the table. One model
call per round, as the bilateral LLM player: in ``respond`` the model sees the
offer and answers ``{"accept": bool, "offer": {issue: value}}``; the
counter-offer is kept for the ``propose`` that follows a rejection.

A reply is valid when its offer names a value of every issue that is one of
that issue's values (compared as text, so ``3`` and ``"3"`` are the same value);
the schema asks the local backend's grammar for exactly that. When every retry
failed the player rejects and repeats its last offer (its best outcome before
any), so it never offers outside the outcome space.
"""

from __future__ import annotations

import json
from typing import Any

from negmas.preferences import LinearAdditiveUtilityFunction
from negmas.sao import SAOState

from players.llm.negotiator import ChatNegotiator
from players.llm.parser import _first_json_object
from players.llm.prompts import MAX_LISTED_VALUES, multi_issue_messages, multi_issue_schema, render_outcome

BEST_LISTED = 8  # outcomes listed for a ufun that is not linear additive


class LLMMultiIssueNegotiator(ChatNegotiator):
    """A chat model negotiating over a multi-issue outcome space."""

    plays = {"negotiation": ("first", "second")}
    # set at the start of each negotiation, from its outcome space and our ufun
    issues_: list[tuple[str, list[str]]] = []
    values_: list[dict[str, Any]] = []  # per issue: text -> the issue's own value
    scoring_ = ""

    # --- what the prompt says about the outcome space and our utilities ---
    def on_negotiation_start(self, state: SAOState) -> None:
        issues = self.nmi.outcome_space.issues
        self.issues_ = [(issue.name, [str(v) for v in issue.all]) for issue in issues]
        self.values_ = [{str(v): v for v in issue.all} for issue in issues]
        self.scoring_ = self._describe_utilities()
        super().on_negotiation_start(state)

    def _describe_utilities(self) -> str:
        ufun = self.ufun
        if isinstance(ufun, LinearAdditiveUtilityFunction):
            parts = []
            for (name, texts), weight, fun, values in zip(self.issues_, ufun.weights, ufun.values, self.values_):
                scored = sorted(((float(fun(values[t])), t) for t in texts), reverse=True)[:MAX_LISTED_VALUES]
                parts.append(f"{name} (weight {weight:.2f}): " + ", ".join(f"{t}={u:.2f}" for u, t in scored))
            return ("Your utility of an outcome is the weighted sum of its values' scores. "
                    "Scores: " + "; ".join(parts) + ".")
        best = sorted(self.nmi.outcome_space.enumerate_or_sample(max_cardinality=5000),
                      key=lambda o: -float(ufun(o)))[:BEST_LISTED]
        return "Your best outcomes: " + "; ".join(
            f"{render_outcome(self.issues_, o)}={float(ufun(o)):.2f}" for o in best) + "."

    # --- replies ---
    def read(self, raw: str) -> tuple[bool, tuple] | None:
        """(accept, outcome) from a reply, or None unless the offer is a valid outcome."""
        try:
            obj = json.loads(raw.strip())
        except ValueError:
            obj = _first_json_object(raw)
        if not isinstance(obj, dict) or not isinstance(obj.get("offer"), dict):
            return None
        offer = {str(k): str(v) for k, v in obj["offer"].items()}
        outcome = []
        for (name, _), values in zip(self.issues_, self.values_):
            if offer.get(name) not in values:
                return None
            outcome.append(values[offer[name]])
        return bool(obj.get("accept") is True), tuple(outcome)

    def _ask(self, state: SAOState, current: tuple | None) -> tuple[bool, tuple]:
        n_steps = self.nmi.n_steps if self.nmi.n_steps not in (None, float("inf")) else None
        shown = (render_outcome(self.issues_, current), float(self.ufun(current))) if current is not None else None
        reserved = self.ufun.reserved_value
        messages = multi_issue_messages(self.issues_, self.scoring_, float(reserved) if reserved is not None else 0.0,
                                        state.step, n_steps, self.offers_, self.history, shown)
        reply, _raw = self.client().ask(messages, multi_issue_schema(self.issues_), lambda r: r is not None,
                                        read=self.read)
        if reply is None:
            return False, self.last_own_ if self.last_own_ is not None else self.ufun.best()
        return reply

    def _read_offer(self, offer: tuple) -> tuple:
        return tuple(offer)

    def _note(self, who: str, move: tuple) -> None:
        self.offers_.append((who, render_outcome(self.issues_, move), float(self.ufun(move))))
