"""Tolerant reading of a model's reply: JSON first, then prices written in prose.

Small models often wrap JSON in prose or code fences, quote numbers, write
"$1,234.50", or forget the JSON altogether. ``parse_reply`` tries, in order:

1. the whole reply as a JSON object;
2. the first balanced ``{...}`` block inside it (code fences and chatter around it ignored);
3. prose: a price from the first "$1,234.56"-style amount, else the first plain
   number next to a price word ("price", "offer", "pay", "sell", "for", ...);
   an action from keywords (``classify_action``).

A field is ``None`` when it cannot be read; the caller decides whether that
makes the reply malformed (and retries) or is acceptable.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from tourney.worlds.consumer_text import classify_action, extract_price  # noqa: F401 (re-exported)

ACTIONS = ("accept", "reject", "continue")


@dataclass(frozen=True)
class ParsedReply:
    """What could be read from one reply."""

    message: str
    price: float | None
    action: str | None
    source: str  # "json", "embedded-json" or "text"


def _to_price(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        price = float(value)
    elif isinstance(value, str):
        found = extract_price(value)
        if found is None:
            number = re.search(r"\d+(?:\.\d+)?", value.replace(",", ""))
            found = float(number.group(0)) if number else None
        if found is None:
            return None
        price = found
    else:
        return None
    return price if math.isfinite(price) else None


def _first_json_object(text: str) -> dict | None:
    """The first balanced {...} block of ``text`` that parses as a JSON object."""
    start = text.find("{")
    while start != -1:
        depth, in_str, escape = 0, False, False
        for i in range(start, len(text)):
            ch = text[i]
            if in_str:
                if escape:
                    escape = False
                elif ch == "\\":
                    escape = True
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    try:
                        obj = json.loads(text[start : i + 1])
                    except ValueError:
                        break
                    if isinstance(obj, dict):
                        return obj
                    break
        start = text.find("{", start + 1)
    return None


def _from_object(obj: dict, raw: str, source: str) -> ParsedReply:
    lowered = {str(k).lower(): v for k, v in obj.items()}
    message = lowered.get("message", lowered.get("text", lowered.get("reply")))
    message = message if isinstance(message, str) else raw
    price = None
    for key in ("price", "offer", "counter_offer", "counteroffer", "amount"):
        if key in lowered:
            price = _to_price(lowered[key])
            if price is not None:
                break
    action = lowered.get("action", lowered.get("decision"))
    if isinstance(action, bool):
        action = "accept" if action else "continue"
    action = action.strip().lower() if isinstance(action, str) else None
    if action not in ACTIONS:
        action = None
    if isinstance(lowered.get("accept"), bool) and action is None:
        action = "accept" if lowered["accept"] else "continue"
    return ParsedReply(message=message.strip(), price=price, action=action, source=source)


def parse_reply(text: str) -> ParsedReply:
    """Read a message, a price and an action from a model's reply (see module doc)."""
    raw = text.strip()
    try:
        obj = json.loads(raw)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        return _from_object(obj, raw, "json")
    obj = _first_json_object(raw)
    if obj is not None:
        return _from_object(obj, raw, "embedded-json")
    return ParsedReply(message=raw, price=extract_price(raw), action=classify_action(raw), source="text")
