"""Reading prices and buyer decisions from free text (the consumer world's fallback).

Used by the world when a speaker states no structured price or action, and by
the LLM players' tolerant parser. Prices: the first "$1,234.50"-style amount,
else "1234 dollars", else the first number right after a price word ("price",
"offer", "pay", "for", "at", ...). Actions: rejection phrases first (so "I
can't accept" is not read as acceptance), then negated acceptance (continue),
then acceptance phrases; anything else continues.
"""

from __future__ import annotations

import re

_DOLLAR = re.compile(r"(?:\$|USD\s?|US\$)\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)", re.I)
_DOLLAR_AFTER = re.compile(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?:dollars|usd|\$)", re.I)
_PRICE_WORD = re.compile(
    r"(?:price|offer|pay|paying|sell|selling|for|at|deal|budget|counter(?:-?offer)?)\D{0,12}?"
    r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)",
    re.I,
)
# Word lists for a buyer message without a usable "action" field. Rejection is
# checked first: "I can't accept" must not read as acceptance.
_REJECT = re.compile(
    r"\b(no deal|walk away|i(?:'m| am) (?:out|leaving)|not interested|i (?:will|'ll) pass|"
    r"reject|decline|too expensive for me, goodbye|end (?:the|this) negotiation)\b",
    re.I,
)
_NEGATED_ACCEPT = re.compile(r"\b(can(?:no|')t|cannot|won't|will not|not|unable to)\s+(?:\w+\s+){0,2}accept", re.I)
_ACCEPT = re.compile(r"\b(deal!?|i accept|accepted|agreed|i agree|it's a deal|you have a deal|i'll take it|sold)\b", re.I)



def extract_price(text: str) -> float | None:
    """The first price written in prose: "$1,234.50", "1234 dollars", "offer 900"."""
    for pattern in (_DOLLAR, _DOLLAR_AFTER, _PRICE_WORD):
        found = pattern.search(text)
        if found:
            return float(found.group(1).replace(",", ""))
    return None


def classify_action(text: str) -> str:
    """accept / reject / continue from a buyer's words (keywords; continue by default)."""
    if _REJECT.search(text):
        return "reject"
    if _NEGATED_ACCEPT.search(text):
        return "continue"
    if _ACCEPT.search(text):
        return "accept"
    return "continue"
