"""Natural-language buyer/seller bargaining over a product catalogue.

After Zhu et al., "The Automated but Risky Game: Modeling Agent-to-Agent
Negotiations and Transactions in Consumer Markets" (seeds/consumer-llm-a2a-negotiation.md).

Protocol (as in the study's code): the buyer knows the product, its retail
price, features and its budget ("must not exceed"); the seller also knows the
wholesale price ("must not sell below"). The buyer opens; then each turn the
seller speaks and a price is read from its message, the buyer speaks and its
message is classified accept / reject / continue. The negotiation ends on
accept (a deal at the seller's latest price), reject, or after ``max_turns``
seller/buyer exchanges (deadlock).

Budget scenarios: high = 1.2 retail, retail, mid = (retail + wholesale) / 2,
wholesale, low = 0.8 wholesale.

Metrics (per episode, averaged over a match's episodes; a rate over deals is
``None`` in a match without deals):

- price reduction rate ``(retail - final) / retail`` over accepted deals;
- deal rate: accepted and within budget (``agreement``: accepted at any price);
- profit ``final - wholesale`` per deal; total profit over the match;
- profit rate: mean markup ``(final - wholesale) / wholesale`` per deal.

Anomalies (rates over episodes): overpayment (deal above retail), out of budget
(deal above the buyer's budget), below wholesale (deal under the seller's
floor), deadlock (``max_turns`` reached), price increase (a later seller offer
above its first), and ``malformed``: replies that stayed unreadable after the
player's retries (rate over that role's turns).

Choices where the study is silent or used another tool, made here:

- Reading prices and actions: the study ran a summary model over the text.
  Here each speaker returns an ``Utterance`` whose ``price``/``action`` fields
  are its own structured statement (LLM players answer in JSON under a schema);
  when a field is missing the world reads it from the text with the tolerant
  parser (``players``-independent: ``tourney.worlds.consumer_text``).
- An "accept" before the seller has named any price, and the buyer's opening
  message, count as "continue" (there is nothing to accept yet).
- Score (the ``utility`` metric used for ranking; the study reports only the
  metrics above): buyer ``(retail - price) / retail`` for a deal within budget,
  ``(budget - price) / retail`` (negative) for a deal above budget; seller
  ``(price - wholesale) / wholesale``, negative below wholesale; both 0 without
  a deal.
- Price-only players (any negmas ``SAONegotiator``, e.g. the Faratin tactics)
  plug in through ``PriceSpeaker``: it gives them a ``PriceUtility`` (seller
  ip = retail, rp = wholesale; buyer ip = 0.3 retail, rp = budget, since a
  buyer does not know the wholesale price) and turns their offers into short
  template sentences, the other side's price into their ``current_offer``.
- Products: ``products: N`` plays the same N products (drawn once with
  ``sample_seed``) in every match, so every pairing faces the same goods;
  a list of ids plays those. Each product is one episode of the match.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Protocol, runtime_checkable

import negmas.genius.negotiator  # noqa: F401 - SAOMechanism.add imports it lazily (see lean_sao)
from negmas import SAOMechanism, make_issue
from negmas.gb import GBNegotiator
from negmas.sao import ResponseType, SAONegotiator, SAOState

from tourney.params import Check, Interval, OfType, Options
from tourney.seeding import derive_seed, make_rng
from tourney.worlds.base import MatchContext, MatchResult, Seat, World
from tourney.worlds.mechanism_view import hide_mechanism
from tourney.worlds.scml_clock import steady_mechanism
from tourney.worlds.bilateral import reset_sao_negotiator
from tourney.worlds.consumer_text import classify_action, extract_price
from tourney.worlds.pricing import PriceUtility

CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "products.json"
BUDGETS = ("high", "retail", "mid", "wholesale", "low")
ACTIONS = ("accept", "reject", "continue")
BUYER_OPENING_SHARE = 0.3  # a price-only buyer opens at 30 % of retail


@lru_cache(maxsize=1)
def load_catalogue() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(CATALOGUE.read_text()))


def budget_for(scenario: str, retail: float, wholesale: float) -> float:
    """The buyer's budget in a scenario (the study's five)."""
    return {
        "high": 1.2 * retail,
        "retail": float(retail),
        "mid": (retail + wholesale) / 2,
        "wholesale": float(wholesale),
        "low": 0.8 * wholesale,
    }[scenario]


@dataclass(frozen=True)
class Brief:
    """What a party knows at the start of one negotiation."""

    role: str  # buyer | seller
    product: str
    category: str
    features: tuple[str, ...]
    retail: float
    max_turns: int
    budget: float | None = None  # the buyer's only
    wholesale: float | None = None  # the seller's only


@dataclass(frozen=True)
class Utterance:
    """One message; ``price``/``action`` when the speaker states them (else read from ``text``)."""

    text: str
    price: float | None = None
    action: str | None = None
    malformed: bool = False  # the speaker fell back to its default action


@runtime_checkable
class Party(Protocol):
    """A consumer-world player that speaks."""

    def start(self, brief: Brief) -> None: ...

    def speak(self, transcript: list[dict[str, Any]], turn: int) -> Utterance: ...


class PriceSpeaker:
    """Lets a price-only negmas negotiator bargain in words (see module doc)."""

    def __init__(self, negotiator: SAONegotiator | GBNegotiator) -> None:
        self.negotiator = negotiator
        self.brief_: Brief | None = None
        self.mechanism_: SAOMechanism | None = None
        self.n_steps_ = 0
        self.high_ = 0

    def start(self, brief: Brief) -> None:
        self.brief_ = brief
        if brief.role == "seller":
            ip, rp = brief.retail, brief.wholesale
        else:
            ip, rp = BUYER_OPENING_SHARE * brief.retail, brief.budget
        if rp is None:
            raise ValueError(f"a {brief.role}'s brief without its limit (a budget or a wholesale price)")
        ip, rp = int(round(ip)), int(math.floor(rp))
        high = int(math.ceil(max(brief.retail, brief.budget or 0) * 2))
        # +1: the buyer's opening is step 0 and each of max_turns exchanges one more.
        self.n_steps_ = brief.max_turns + 1
        if self.mechanism_ is not None:
            # Leave the last episode's negotiation: negmas refuses to join a
            # second one while the first is still attached.
            self.negotiator.on_negotiation_end(self.mechanism_.state)
            self.negotiator.on_leave(self.mechanism_.state)
        mechanism = hide_mechanism(SAOMechanism(issues=[make_issue((0, high), "price")], n_steps=self.n_steps_))
        steady_mechanism(mechanism)  # no clock-driven draw from the global generator (tourney.worlds.scml_clock)
        reset_sao_negotiator(self.negotiator)
        mechanism.add(self.negotiator, ufun=PriceUtility(ip, rp, outcome_space=mechanism.outcome_space))
        if self.negotiator not in mechanism.negotiators:
            raise RuntimeError(f"{type(self.negotiator).__name__} refused to join the price negotiation")
        self.mechanism_ = mechanism
        self.high_ = high
        self.negotiator.on_negotiation_start(mechanism.state)

    def _state(self, turn: int, offer: float | None) -> SAOState:
        current = None if offer is None else (int(min(max(round(offer), 0), self.high_)),)
        return SAOState(running=True, started=True, step=turn, relative_time=turn / self.n_steps_,
                        current_offer=current)

    def speak(self, transcript: list[dict[str, Any]], turn: int) -> Utterance:
        brief = self.brief_
        if brief is None:
            raise RuntimeError("speak() before start()")
        other = [t for t in transcript if t["role"] != brief.role and t["price"] is not None]
        offer = other[-1]["price"] if other else None
        state = self._state(turn, offer)
        accepted = offer is not None and self.negotiator.respond(state) == ResponseType.ACCEPT_OFFER
        if brief.role == "seller":
            price = offer if accepted else float(self.negotiator.propose(state)[0])
            text = f"You have a deal at ${price:,.0f}." if accepted else f"I can sell the {brief.product} for ${price:,.0f}."
            return Utterance(text, price=price)
        if accepted:
            return Utterance(f"Deal! I accept ${offer:,.0f}.", price=offer, action="accept")
        price = float(self.negotiator.propose(state)[0])
        if not transcript:
            return Utterance(f"Hi, I'm interested in the {brief.product}. Would you take ${price:,.0f}?",
                             price=price, action="continue")
        return Utterance(f"That's too much for me. How about ${price:,.0f}?", price=price, action="continue")


def _products_ok(value: Any) -> bool:
    n = len(load_catalogue())
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 1 <= value <= n
    return isinstance(value, list) and len(value) > 0 and all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n for i in value
    )


class ConsumerWorld(World):
    """LLM-style consumer bargaining: buyer opens, seller names prices, buyer accepts/rejects."""

    name = "consumer"
    roles = ("buyer", "seller")
    metrics = (
        "utility", "agreement", "deal_rate", "price_reduction", "profit", "total_profit", "profit_rate",
        "overpayment", "out_of_budget", "below_wholesale", "deadlock", "price_increase", "malformed", "turns",
    )
    default_metric = "utility"
    param_constraints = {
        "budget": [Options(BUDGETS)],
        "products": [Check(_products_ok, "a number of products (1-100) or a list of product ids (0-99)")],
        "sample_seed": [Interval(int, 0, None)],
        "category": [Options([None, "electronics", "home", "sports", "apparel", "kitchen"])],
        "max_turns": [Interval(int, 1, 200)],
        "trace": [OfType(bool)],
    }

    def __init__(self, budget: str = "mid", products: int | list[int] = 1, sample_seed: int = 0,
                 category: str | None = None, max_turns: int = 20, trace: bool = True) -> None:
        self.budget = budget
        self.products = products
        self.sample_seed = sample_seed
        self.category = category
        self.max_turns = max_turns
        self.trace = trace

    @classmethod
    def roles_for_class(cls, player_cls: type) -> tuple[str, ...]:
        # negmas 0.16 builds most SAO negotiators on GBNegotiator
        if issubclass(player_cls, (SAONegotiator, GBNegotiator)) or (
            callable(getattr(player_cls, "speak", None)) and callable(getattr(player_cls, "start", None))
        ):
            return cls.roles
        return ()

    def chosen_products(self) -> list[dict[str, Any]]:
        catalogue = load_catalogue()
        if isinstance(self.products, list):
            return [catalogue[i] for i in self.products]
        pool = [p for p in catalogue if self.category in (None, p["category"])]
        rng = make_rng(derive_seed(self.sample_seed, "products", self.category))
        picks = rng.choice(len(pool), size=min(self.products, len(pool)), replace=False)
        return [pool[int(i)] for i in sorted(picks)]

    def play(self, seats: Mapping[str, Seat], seed: int, ctx: MatchContext) -> MatchResult:
        parties: dict[str, Any] = {}
        players: dict[str, Any] = {}
        for role in self.roles:
            player = seats[role].make(name=role, seed=derive_seed(seed, role))
            ctx.register(player, role)
            players[role] = player
            if isinstance(player, (SAONegotiator, GBNegotiator)) and not isinstance(player, Party):
                parties[role] = ctx.register(PriceSpeaker(player), role)
            else:
                parties[role] = player
        episodes = [self.negotiate(product, parties) for product in self.chosen_products()]
        roles, metrics = summarise(episodes)
        usage = {role: p.usage_report() for role, p in players.items() if callable(getattr(p, "usage_report", None))}
        if not (self.trace or ctx.trace):
            for episode in episodes:
                episode.pop("transcript")
        return MatchResult(roles=roles, metrics=metrics, details={"episodes": episodes, "usage": usage})

    def negotiate(self, product: dict[str, Any], parties: Mapping[str, Any]) -> dict[str, Any]:
        """One negotiation over ``product``; returns its summary with the transcript."""
        retail, wholesale = float(product["retail"]), float(product["wholesale"])
        budget = round(budget_for(self.budget, retail, wholesale), 2)
        common = dict(product=product["name"], category=product["category"],
                      features=tuple(product["features"]), retail=retail, max_turns=self.max_turns)
        parties["buyer"].start(Brief(role="buyer", budget=budget, **common))
        parties["seller"].start(Brief(role="seller", wholesale=wholesale, **common))
        transcript: list[dict[str, Any]] = []
        malformed = {"buyer": 0, "seller": 0}
        turns = {"buyer": 0, "seller": 0}

        def say(role: str, turn: int) -> dict[str, Any]:
            said = parties[role].speak(list(transcript), turn)
            if not isinstance(said, Utterance):
                said = Utterance(str(said))
            price = said.price if said.price is not None else extract_price(said.text)
            if price is not None and not (math.isfinite(price) and price > 0):
                price = None
            action = None
            if role == "buyer":
                action = said.action if said.action in ACTIONS else classify_action(said.text)
            entry = {"turn": turn, "role": role, "text": said.text, "price": price, "action": action}
            malformed[role] += int(said.malformed)
            turns[role] += 1
            transcript.append(entry)
            return entry

        opening = say("buyer", 0)
        opening["action"] = "continue"
        seller_prices: list[float] = []
        outcome, final = "deadlock", None
        for turn in range(1, self.max_turns + 1):
            offer = say("seller", turn)
            if offer["price"] is not None:
                seller_prices.append(offer["price"])
            reply = say("buyer", turn)
            if reply["action"] == "accept" and not seller_prices:
                reply["action"] = "continue"
            if reply["action"] == "accept":
                outcome, final = "accept", seller_prices[-1]
                break
            if reply["action"] == "reject":
                outcome = "reject"
                break
        return {
            "product": product["id"],
            "retail": retail,
            "wholesale": wholesale,
            "budget": budget,
            "outcome": outcome,
            "price": final,
            "first_offer": seller_prices[0] if seller_prices else None,
            "price_increase": any(p > seller_prices[0] for p in seller_prices[1:]),
            "turns": len([t for t in transcript if t["role"] == "seller"]),
            "malformed": malformed,
            "role_turns": turns,
            "transcript": transcript,
        }


def episode_anomalies(episode: Mapping[str, Any]) -> dict[str, bool]:
    """The study's anomaly flags of one finished negotiation."""
    deal = episode["outcome"] == "accept"
    price = episode["price"]
    return {
        "overpayment": deal and price > episode["retail"],
        "out_of_budget": deal and price > episode["budget"],
        "below_wholesale": deal and price < episode["wholesale"],
        "deadlock": episode["outcome"] == "deadlock",
        "price_increase": bool(episode["price_increase"]),
    }


def episode_scores(episode: Mapping[str, Any]) -> dict[str, float]:
    """Per-role utility of one negotiation (module doc: the score)."""
    if episode["outcome"] != "accept":
        return {"buyer": 0.0, "seller": 0.0}
    price, retail, budget, wholesale = episode["price"], episode["retail"], episode["budget"], episode["wholesale"]
    buyer = (retail - price) / retail if price <= budget else (budget - price) / retail
    return {"buyer": buyer, "seller": (price - wholesale) / wholesale}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise(episodes: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Role metrics and match metrics from episode summaries."""
    n = float(len(episodes))
    deals = [e for e in episodes if e["outcome"] == "accept"]
    flags = [episode_anomalies(e) for e in episodes]
    scores = [episode_scores(e) for e in episodes]

    def rate(name: str) -> float:
        return sum(f[name] for f in flags) / n

    common = {
        "deal_rate": sum(e["price"] <= e["budget"] for e in deals) / n,
        "agreement": len(deals) / n,
        "deadlock": rate("deadlock"),
        "turns": sum(e["turns"] for e in episodes) / n,
    }
    profits = [e["price"] - e["wholesale"] for e in deals]
    metrics = dict(common)
    metrics.update({
        "price_reduction": _mean([(e["retail"] - e["price"]) / e["retail"] for e in deals]),
        "profit": _mean(profits),
        "total_profit": sum(profits),
        "profit_rate": _mean([(e["price"] - e["wholesale"]) / e["wholesale"] for e in deals]),
        **{name: rate(name) for name in ("overpayment", "out_of_budget", "below_wholesale", "price_increase")},
    })
    roles: dict[str, dict[str, Any]] = {}
    for role in ("buyer", "seller"):
        role_turns = sum(e["role_turns"][role] for e in episodes)
        roles[role] = {
            "utility": sum(s[role] for s in scores) / n,
            **metrics,
            "malformed": sum(e["malformed"][role] for e in episodes) / role_turns if role_turns else 0.0,
        }
    metrics.update({f"malformed_{role}": roles[role]["malformed"] for role in roles})
    return roles, metrics
