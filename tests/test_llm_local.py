"""Real negotiations with the embedded SmolLM2 model (llama-cpp-python), cached after the first run."""

import math

import pytest

pytest.importorskip("llama_cpp", reason="the llm extra is not installed")

from players.faratin import TimeDependent  # noqa: E402
from players.llm.backends import LocalBackend, default_model_path, load_local_model  # noqa: E402
from players.llm.client import LLMClient  # noqa: E402
from players.llm.consumer import LLMConsumerPlayer  # noqa: E402
from players.llm.negotiator import LLMNegotiator  # noqa: E402
from tourney.worlds.base import MatchContext, Seat  # noqa: E402
from tourney.worlds.bilateral import BilateralWorld  # noqa: E402
from tourney.worlds.consumer import ConsumerWorld  # noqa: E402

LINEAR = {"beta": 1.0}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("llm") / "replies.sqlite")


def consumer_match(buyer, seller, seed=11, **world):
    params = dict(products=[11], budget="mid", max_turns=2)
    params.update(world)
    seats = {
        "buyer": Seat("buyer", "B", "x", *buyer),
        "seller": Seat("seller", "S", "x", *seller),
    }
    return ConsumerWorld(**params).play(seats, seed, MatchContext(seed))


def test_the_default_model_is_the_shipped_smollm2_gguf_loaded_once_per_process():
    path = default_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000
    assert load_local_model(str(path), 2048, 1) is load_local_model(str(path), 2048, 1)


def test_real_negotiation_then_replay_from_cache_with_zero_model_calls(cache):
    llm = (LLMConsumerPlayer, {"cache": cache, "max_tokens": 48})
    first = consumer_match(llm, (TimeDependent, LINEAR))
    usage = first.details["usage"]["buyer"]
    assert usage["model_calls"] >= 2 and usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["cache_hits"] == 0
    episode = first.details["episodes"][0]
    buyer_lines = [t for t in episode["transcript"] if t["role"] == "buyer"]
    assert buyer_lines and all(t["action"] in ("accept", "reject", "continue") for t in buyer_lines)
    assert all(math.isfinite(v) for v in (first.roles["buyer"]["utility"], first.roles["seller"]["utility"]))

    again = consumer_match(llm, (TimeDependent, LINEAR))
    replay = again.details["usage"]["buyer"]
    assert replay["model_calls"] == 0 and replay["cache_hits"] == usage["calls"]
    assert again.roles == first.roles
    assert again.details["episodes"] == first.details["episodes"]


def test_same_seed_same_replies_without_cache():
    llm = (LLMConsumerPlayer, {"cache": "off", "max_tokens": 32})
    a = consumer_match(llm, (TimeDependent, LINEAR), max_turns=1)
    b = consumer_match(llm, (TimeDependent, LINEAR), max_turns=1)
    assert a.details["usage"]["buyer"]["model_calls"] == b.details["usage"]["buyer"]["model_calls"] > 0
    assert a.details["episodes"] == b.details["episodes"]


def test_malformed_replies_are_retried_then_mapped_to_the_default_action(cache):
    # 8 tokens cannot hold the seller's JSON: the reply is cut, has no price, and is retried.
    seller = (LLMConsumerPlayer, {"cache": cache, "max_tokens": 8, "max_retries": 1})
    result = consumer_match((TimeDependent, LINEAR), seller, max_turns=1)
    usage = result.details["usage"]["seller"]
    assert usage["calls"] == 2 and usage["retries"] == 1 and usage["failures"] == 1
    assert usage["replies"] == 2 and usage["truncated"] == 2  # cut by max_tokens, not the model's text
    episode = result.details["episodes"][0]
    offer = [t for t in episode["transcript"] if t["role"] == "seller"][0]
    assert offer["price"] == episode["retail"] == 49.0  # the default on a first turn: retail (product 11)
    assert result.roles["seller"]["malformed"] == 1.0


def test_client_gives_up_after_max_retries():
    client = LLMClient(LocalBackend(), None, temperature=0.7, seed=5, max_tokens=8, max_retries=2)
    reply, raw = client.ask([{"role": "user", "content": "Say hi."}], None, lambda parsed: False)
    assert reply is None and isinstance(raw, str)
    assert client.usage.calls == 3 and client.usage.model_calls == 3 and client.usage.failures == 1


def test_llm_negotiator_plays_the_bilateral_world(cache):
    seats = {
        "buyer": Seat("buyer", "LLM", "llm", LLMNegotiator, {"cache": cache, "max_tokens": 24}),
        "seller": Seat("seller", "Linear", "linear", TimeDependent, LINEAR),
    }
    result = BilateralWorld(n_steps=3, episodes=1, trace=True).play(seats, 2, MatchContext(2))
    episode = result.details["episodes"][0]
    low, high = min(episode["prices"]["buyer"][0], episode["prices"]["seller"][1]), max(
        episode["prices"]["buyer"][1], episode["prices"]["seller"][0])
    buyer_offers = [price for _, who, price in episode["offers"] if who == "buyer"]
    assert buyer_offers and all(low <= p <= high for p in buyer_offers)
    # one episode: the match's agreement rate is that episode's outcome
    assert result.roles["buyer"]["agreement"] == (0.0 if episode["agreement"] is None else 1.0)


def test_default_replies_always_close_their_json_over_a_30_turn_negotiation():
    # The message's maxLength bounds the grammar, so the default 256 tokens hold every reply:
    # nothing is cut, every reply is one JSON object of the schema.
    from players.llm.parser import parse_reply

    texts = []

    class Recording(LLMConsumerPlayer):
        def make_client(self, slot=None):
            client = super().make_client(slot)
            complete = client.backend.complete

            def recorded(messages, **kw):
                reply = complete(messages, **kw)
                texts.append(reply)
                return reply

            client.backend.complete = recorded
            return client

    llm = (Recording, {"cache": "off"})
    result = consumer_match(llm, llm, products=[40], max_turns=30, seed=4)
    usage = result.details["usage"]
    assert sum(u["replies"] for u in usage.values()) == len(texts) >= 3
    assert all(reply["finish_reason"] == "stop" for reply in texts)
    assert sum(u["truncated"] for u in usage.values()) == 0
    assert all(parse_reply(reply["text"]).source == "json" for reply in texts)
    assert result.roles["buyer"]["malformed"] == result.roles["seller"]["malformed"] == 0.0


def test_kept_kv_cache_gives_the_from_scratch_replies_and_is_emptied_per_negotiation():
    from players.llm.prompts import SELLER_SCHEMA

    kept = LocalBackend(reuse_prefix=True, slot="test-seller")
    scratch = LocalBackend()
    kw = dict(temperature=0.7, max_tokens=40, schema=SELLER_SCHEMA)  # short: the replies, not their length, matter
    messages = [{"role": "system", "content": "You sell a kettle, retail $49. Answer in JSON."},
                {"role": "user", "content": "Hi, would you take $20?"}]
    kept.begin_conversation()
    first = kept.complete(messages, seed=1, **kw)
    messages += [{"role": "assistant", "content": "I can do $45."}, {"role": "user", "content": "How about $30?"}]
    second = kept.complete(messages, seed=2, **kw)
    model = load_local_model(str(default_model_path()), 2048, 1, slot="test-seller")
    assert model.n_tokens > 0  # the conversation's tokens stay in the context
    assert second["text"] == scratch.complete(messages, seed=2, **kw)["text"]
    assert first["prompt_tokens"] < second["prompt_tokens"]
    kept.begin_conversation()
    assert model.n_tokens == 0
