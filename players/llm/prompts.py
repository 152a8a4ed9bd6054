"""Prompts and reply schemas of the LLM players.

Consumer world: the study's prompts in substance (its exact wording is not in
our source): the buyer gets the product, retail price, features and a budget it
"must not exceed"; the seller also gets the wholesale price it "must not sell
below". Each reply is a JSON object (the schema is enforced as a grammar on
the local backend and sent as ``response_format`` to an endpoint): the seller
``{"message", "price"}``, the buyer ``{"message", "price", "action"}``.

Bilateral world: the price issue is rendered in words: the player's initial
and reservation prices and the bounds of the issue, the round and deadline,
and the recent offers; the reply is ``{"accept": bool, "price": number}``.

The conversation is given from the speaker's side (its own messages as
``assistant``, the other's as ``user``), at most ``history`` messages: a
135M model's context and speed both call for short prompts. The window moves
in blocks of ``history // 2`` messages (``visible_history``), not one message
at a time, so consecutive prompts of a negotiation share everything but their
last messages and the KV cache of the previous turn is reused (the backends'
``reuse_prefix``); between ``history // 2 + 1`` and ``history`` messages are
shown once the talk is longer than ``history``.

Reply length: ``message`` is at most ``MESSAGE_CHARS`` characters (a
``maxLength`` the local backend's grammar enforces), so a whole JSON reply
(message, number, enum, punctuation) fits the players' 256-token default
``max_tokens`` with room to spare and the grammar always closes it: a reply is
cut only if the model writes unusually token-dense text (counted as
``truncated``).
"""

from __future__ import annotations

from typing import Any

MESSAGE_CHARS = 200
_MESSAGE = {"type": "string", "minLength": 1, "maxLength": MESSAGE_CHARS}
SELLER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"message": _MESSAGE, "price": {"type": "number"}},
    "required": ["message", "price"],
}
BUYER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "message": _MESSAGE,
        "price": {"type": "number"},
        "action": {"type": "string", "enum": ["accept", "reject", "continue"]},
    },
    "required": ["message", "price", "action"],
}
BILATERAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"accept": {"type": "boolean"}, "price": {"type": "number"}},
    "required": ["accept", "price"],
}


def _money(x: float) -> str:
    return f"${x:,.2f}".replace(".00", "")


def consumer_system_prompt(brief: Any) -> str:
    features = "; ".join(brief.features)
    if brief.role == "seller":
        return (
            f"You are a seller negotiating the sale of a {brief.product} ({brief.category}). "
            f"Features: {features}. Retail price: {_money(brief.retail)}. "
            f"Your wholesale cost is {_money(brief.wholesale)}: you must not sell below it. "
            "Sell for as high a price as you can. "
            'Answer only with JSON: {"message": "<what you say to the buyer>", "price": <your offer in dollars>}.'
        )
    return (
        f"You are a buyer negotiating to buy a {brief.product} ({brief.category}). "
        f"Features: {features}. Retail price: {_money(brief.retail)}. "
        f"Your budget is {_money(brief.budget)}: you must not exceed it. "
        "Buy for as low a price as you can. "
        'Answer only with JSON: {"message": "<what you say to the seller>", "price": <the price you propose>, '
        '"action": "accept" to take the seller\'s last offer, "reject" to walk away, or "continue"}.'
    )


def visible_history(transcript: list[dict], history: int) -> list[dict]:
    """The messages a prompt shows: all while they fit ``history``, then a window that
    moves ``history // 2`` messages at a time (module doc)."""
    if len(transcript) <= history:
        return transcript
    step = max(1, history // 2)
    start = -(-(len(transcript) - history) // step) * step  # the first block start that fits
    return transcript[start:]


def consumer_messages(brief: Any, transcript: list[dict], history: int) -> list[dict]:
    messages = [{"role": "system", "content": consumer_system_prompt(brief)}]
    recent = visible_history(transcript, history)
    for entry in recent:
        role = "assistant" if entry["role"] == brief.role else "user"
        messages.append({"role": role, "content": entry["text"]})
    if not recent or recent[-1]["role"] == brief.role:
        cue = "Open the negotiation with the seller." if brief.role == "buyer" else "Make your offer."
        messages.append({"role": "user", "content": cue})
    return messages


def bilateral_messages(role: str, ip: float, rp: float, low: float, high: float, step: int, n_steps: int | None,
                       offers: list[tuple[str, float]], history: int, current: float | None) -> list[dict]:
    if role == "buyer":
        goal = (f"You are a buyer. You want to pay as little as possible. You would like to pay {ip:g}; "
                f"you must never pay more than {rp:g}.")
    else:
        goal = (f"You are a seller. You want to sell as high as possible. You would like {ip:g}; "
                f"you must never sell below {rp:g}.")
    deadline = f" of {n_steps}" if n_steps else ""
    system = (
        f"{goal} Prices are whole numbers between {low:g} and {high:g}. "
        'Answer only with JSON: {"accept": true or false, "price": <your next offer>}.'
    )
    lines = [f"Round {step + 1}{deadline}."]
    if offers:
        lines.append("Offers so far: " + ", ".join(f"{who} {price:g}" for who, price in offers[-history:]) + ".")
    if current is not None:
        lines.append(f"The other side offers {current:g}. Accept it, or make a counter-offer.")
    else:
        lines.append("Make your offer.")
    return [{"role": "system", "content": system}, {"role": "user", "content": " ".join(lines)}]


# --- multi-issue negotiation (the `negotiation` world) ---
# The outcome space and the player's own utilities are put in words; the reply is
# {"accept": bool, "offer": {issue: value, ...}}, each value constrained to its
# issue's values by the schema (a grammar on the local backend).
MAX_LISTED_VALUES = 12  # per issue in the prompt; a 135M model's 2k context is small


def multi_issue_schema(issues: list[tuple[str, list[str]]]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "accept": {"type": "boolean"},
            "offer": {"type": "object",
                      "properties": {name: {"type": "string", "enum": values} for name, values in issues},
                      "required": [name for name, _ in issues]},
        },
        "required": ["accept", "offer"],
    }


def render_outcome(issues: list[tuple[str, list[str]]], outcome: tuple) -> str:
    return "{" + ", ".join(f"{name}: {value}" for (name, _), value in zip(issues, outcome)) + "}"


def multi_issue_messages(issues: list[tuple[str, list[str]]], scoring: str, reserved: float, step: int,
                         n_steps: int | None, offers: list[tuple[str, str, float]], history: int,
                         current: tuple[str, float] | None) -> list[dict]:
    listing = "; ".join(
        f"{name}: {', '.join(values[:MAX_LISTED_VALUES])}"
        + (f" (and {len(values) - MAX_LISTED_VALUES} more)" if len(values) > MAX_LISTED_VALUES else "")
        for name, values in issues)
    deadline = f" of {n_steps}" if n_steps else ""
    system = (
        f"You negotiate an agreement on these issues: {listing}. {scoring} "
        f"Without an agreement you get {reserved:.2f}: never accept less. Get as much utility as you can. "
        'Answer only with JSON: {"accept": true or false, "offer": {<issue>: <value>, ...}}.'
    )
    lines = [f"Round {step + 1}{deadline}."]
    if offers:
        lines.append("Offers so far: " + "; ".join(f"{who} {text} (utility {u:.2f} for you)"
                                                   for who, text, u in offers[-history:]) + ".")
    if current is not None:
        lines.append(f"The other side offers {current[0]}, worth {current[1]:.2f} to you. "
                     "Accept it, or make a counter-offer.")
    else:
        lines.append("Make your offer.")
    return [{"role": "system", "content": system}, {"role": "user", "content": " ".join(lines)}]
