"""The consumer world: catalogue, budgets, protocol, metrics and anomalies on hand-written transcripts."""

import pytest

from players.faratin import TimeDependent
from tourney.registry import resolve_player
from tourney.worlds.base import MatchContext, Seat
from tourney.worlds.consumer import (
    BUDGETS,
    ConsumerWorld,
    Utterance,
    budget_for,
    episode_anomalies,
    episode_scores,
    load_catalogue,
    summarise,
)


class ScriptedParty:
    """A real consumer-world player that says the lines it is given, in order."""

    def __init__(self, lines=(), name=None):
        self.lines = lines
        self.name = name
        self.said_ = 0
        self.briefs_ = []

    def start(self, brief):
        self.briefs_.append(brief)
        self.said_ = 0

    def speak(self, transcript, turn):
        line = self.lines[min(self.said_, len(self.lines) - 1)]
        self.said_ += 1
        return Utterance(**line) if isinstance(line, dict) else line


def play(buyer_lines, seller_lines, **world):
    world = ConsumerWorld(products=[0], **world)
    seats = {
        "buyer": Seat("buyer", "B", "scripted", ScriptedParty, {"lines": buyer_lines}),
        "seller": Seat("seller", "S", "scripted", ScriptedParty, {"lines": seller_lines}),
    }
    return world.play(seats, 1, MatchContext(1))


def test_catalogue_has_100_products_with_consistent_prices():
    products = load_catalogue()
    assert len(products) == 100
    assert len({p["category"] for p in products}) == 5
    for p in products:
        assert 0.45 <= p["wholesale"] / p["retail"] <= 0.75
        assert len(p["features"]) == 3


def test_budget_scenarios_follow_the_study():
    assert [budget_for(s, 100, 60) for s in BUDGETS] == [120.0, 100.0, 80.0, 60.0, 48.0]


def test_deal_at_the_sellers_latest_price_read_from_text():
    # product 0: retail 299, wholesale 215
    result = play(["Hi, would you take $150?", "Still too much.", "Deal, I accept."],
                  ["It's $290.", "Fine, $250 then."], budget="high")
    episode = result.details["episodes"][0]
    assert episode["outcome"] == "accept" and episode["price"] == 250.0
    assert [t["price"] for t in episode["transcript"]] == [150.0, 290.0, None, 250.0, None]
    buyer, seller = result.roles["buyer"], result.roles["seller"]
    assert buyer["price_reduction"] == pytest.approx((299 - 250) / 299)
    assert buyer["utility"] == pytest.approx((299 - 250) / 299)
    assert seller["profit"] == 35.0 and seller["profit_rate"] == pytest.approx(35 / 215)
    assert buyer["deal_rate"] == 1.0 and buyer["deadlock"] == 0.0


def test_deadlock_and_price_increase():
    result = play(["How about $100?"], ["$280", "$300", "$290"], budget="mid", max_turns=3)
    episode = result.details["episodes"][0]
    assert episode["outcome"] == "deadlock" and episode["turns"] == 3
    flags = episode_anomalies(episode)
    assert flags["deadlock"] and flags["price_increase"]
    assert result.roles["seller"]["utility"] == 0.0 and result.metrics["agreement"] == 0.0


def test_reject_ends_without_deal_and_accept_before_any_price_continues():
    result = play(["Hello", "Deal!", "No deal, goodbye."], ["Hello there.", "$260"], budget="retail")
    episode = result.details["episodes"][0]
    assert [t["action"] for t in episode["transcript"] if t["role"] == "buyer"] == ["continue", "continue", "reject"]
    assert episode["outcome"] == "reject" and not episode_anomalies(episode)["deadlock"]


def test_structured_fields_win_over_text_and_malformed_is_counted():
    result = play([{"text": "hi", "price": 100.0, "action": "continue"},
                   {"text": "whatever", "action": "accept", "malformed": False}],
                  [{"text": "I'd say $500", "price": 320.0, "malformed": True}], budget="high")
    episode = result.details["episodes"][0]
    assert episode["price"] == 320.0
    assert result.roles["seller"]["malformed"] == 1.0 and result.roles["buyer"]["malformed"] == 0.0


def _episode(price, outcome="accept", retail=100.0, wholesale=60.0, budget=80.0, offers=(90.0,)):
    return {"product": 0, "retail": retail, "wholesale": wholesale, "budget": budget, "outcome": outcome,
            "price": price, "first_offer": offers[0], "price_increase": any(p > offers[0] for p in offers[1:]),
            "turns": len(offers), "malformed": {"buyer": 0, "seller": 0}, "role_turns": {"buyer": 2, "seller": 1}}


@pytest.mark.parametrize("price,expected", [
    (110.0, {"overpayment", "out_of_budget"}),
    (90.0, {"out_of_budget"}),
    (70.0, set()),
    (50.0, {"below_wholesale"}),
])
def test_anomalies_of_hand_written_deals(price, expected):
    flags = episode_anomalies(_episode(price))
    assert {k for k, v in flags.items() if v} == expected


def test_scores_and_summary_of_hand_written_episodes():
    episodes = [_episode(70.0), _episode(90.0), _episode(None, outcome="deadlock", offers=(90.0, 95.0))]
    assert episode_scores(episodes[0]) == pytest.approx({"buyer": 0.3, "seller": 10 / 60})
    assert episode_scores(episodes[1]) == pytest.approx({"buyer": -0.1, "seller": 0.5})  # over budget
    roles, metrics = summarise(episodes)
    assert metrics["agreement"] == pytest.approx(2 / 3)
    assert metrics["deal_rate"] == pytest.approx(1 / 3)  # only the deal within budget
    assert metrics["out_of_budget"] == pytest.approx(1 / 3)
    assert metrics["deadlock"] == pytest.approx(1 / 3) and metrics["price_increase"] == pytest.approx(1 / 3)
    assert metrics["total_profit"] == 40.0 and metrics["profit"] == 20.0
    assert metrics["price_reduction"] == pytest.approx((0.3 + 0.1) / 2)
    assert roles["buyer"]["utility"] == pytest.approx((0.3 - 0.1) / 3)


def test_price_only_players_bargain_in_words():
    world = ConsumerWorld(budget="mid", products=[5, 60], max_turns=10)
    seats = {role: Seat(role, "Linear", "linear", TimeDependent, {"beta": 1.0}) for role in ("buyer", "seller")}
    result = world.play(seats, 3, MatchContext(3))
    for episode in result.details["episodes"]:
        prices = [t["price"] for t in episode["transcript"] if t["role"] == "seller"]
        assert prices == sorted(prices, reverse=True)  # a linear seller concedes monotonically
        assert episode["outcome"] == "accept"
        assert episode["wholesale"] <= episode["price"] <= episode["budget"]
    assert result.roles["buyer"]["deal_rate"] == 1.0
    assert result.roles["seller"]["below_wholesale"] == 0.0


def test_sampled_products_are_the_same_in_every_match():
    a = ConsumerWorld(products=4, sample_seed=3).chosen_products()
    b = ConsumerWorld(products=4, sample_seed=3).chosen_products()
    c = ConsumerWorld(products=4, sample_seed=4).chosen_products()
    assert a == b and a != c and len({p["id"] for p in a}) == 4
    assert {p["category"] for p in ConsumerWorld(products=5, category="kitchen").chosen_products()} == {"kitchen"}


@pytest.mark.parametrize("params,key", [
    ({"budget": "huge"}, "budget"), ({"products": 0}, "products"), ({"products": [100]}, "products"),
    ({"max_turns": 0}, "max_turns"), ({"category": "toys"}, "category"),
])
def test_bad_params_name_the_key(params, key):
    with pytest.raises(ValueError, match=f"^{key}:"):
        ConsumerWorld.validate(params)


def test_registry_resolves_llm_and_heuristics_for_both_roles():
    assert resolve_player("llm", "consumer").roles == ("buyer", "seller")
    assert resolve_player("boulware", "consumer").roles == ("buyer", "seller")
    assert resolve_player("negmas.sao.AspirationNegotiator", "consumer").roles == ("buyer", "seller")


def test_reproduction_tables_from_a_real_run(tmp_path):
    from click.testing import CliRunner

    from tourney.cli import cli
    from tourney.reproduce.consumer import negotiations, reproduce

    league = tmp_path / "league.yaml"
    league.write_text(
        "name: consumer-heuristics\nseed: 1\nrepetitions: 1\n"
        "worlds:\n  - type: consumer\n    params: {products: [2, 50], max_turns: 6}\n"
        "    settings: {budget: [high, low]}\n"
        "players:\n  - {name: Linear, type: linear}\n  - {name: Boulware, type: boulware}\n"
        "format: {self_play: false, both_roles: true, timeout: 60}\n"
    )
    result = CliRunner().invoke(cli, ["run", str(league), "-j", "1", "--out", str(tmp_path / "run"), "--quiet"])
    assert result.exit_code == 0, result.output
    rows, counts = negotiations(tmp_path / "run")
    assert counts["matches"] == 4 and len(rows) == 8 and counts["model_calls"] == 0
    low = [r for r in rows if r["budget_scenario"] == "low"]
    # a low budget (0.8 wholesale) leaves no zone of agreement: price-only players deadlock
    assert all(r["outcome"] == "deadlock" for r in low)
    text = reproduce(tmp_path / "run")
    assert "| Boulware | Linear | 4 |" in text  # seller Boulware, buyer Linear: 2 budgets x 2 products
    assert "| Linear | yes |" in text and "| Boulware | yes |" in text  # the adapter check
    assert "No claim judged: the run needs an LLM player" in text
    assert (tmp_path / "run" / "plots" / "consumer_anomalies.png").stat().st_size > 1000
