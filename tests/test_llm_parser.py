"""The tolerant parser on real SmolLM2 replies (collected from runs here) and malformed ones."""

import pytest

from players.llm.parser import classify_action, extract_price, parse_reply

# (reply, price, action): real replies of SmolLM2-135M-Instruct first.
CORPUS = [
    ('{"message" : "Hi, I\'m not sure if I can buy this laptop.", "price" : 1000}', 1000.0, None),
    ('{ "price": 10.92 }', 10.92, None),
    ('{"message": "Your deal is so good. I\'ll take it.", "price": 150, "action": "accept"}', 150.0, "accept"),
    ('{"message": "Sell me the 100% of the 60-hRC package for a price of 149.50", "price": 149.5, '
     '"action": "accept"}', 149.5, "accept"),
    ('Please select the correct product from the list, "The Laptop", using the specified URL.\n\nhttps://www',
     None, "continue"),
    ("To the seller, I will make the purchase for you at $149 with the offer of 100% of the 60-hRC package.",
     149.0, "continue"),
    # fenced / embedded JSON, quoted and formatted numbers, other key names
    ('Sure! ```json\n{"message": "ok", "price": "$1,250.50", "action": "Accept"}\n```', 1250.5, "accept"),
    ('Here is my reply: {"message": "fine {not json", "offer": 300} thanks', 300.0, None),
    ('{"reply": "deal", "decision": "REJECT", "price": "USD 99"}', 99.0, "reject"),
    ('{"accept": true, "price": 512}', 512.0, "accept"),
    ('{"accept": false, "price": "about 480"}', 480.0, "continue"),
    # prose only
    ("I can do it for $1,299.", 1299.0, "continue"),
    ("Would you take 850 dollars?", 850.0, "continue"),
    ("My best offer is 720 for the bike.", 720.0, "continue"),
    ("Deal! I accept.", None, "accept"),
    ("I cannot accept $500, that is too low.", 500.0, "continue"),
    ("No deal, I'll walk away.", None, "reject"),
    # malformed
    ("", None, "continue"),
    ('{"message": "x", "price": NaN}', None, None),
    ('{"price": true}', None, None),
    ("[1, 2, 3]", None, "continue"),
    ('{"message": "unterminated", "price": 12', 12.0, "continue"),
]


@pytest.mark.parametrize("reply,price,action", CORPUS)
def test_corpus(reply, price, action):
    parsed = parse_reply(reply)
    assert parsed.price == price
    assert parsed.action == action


def test_json_message_is_kept_and_prose_is_the_whole_text():
    assert parse_reply('{"message": " hello ", "price": 3}').message == "hello"
    assert parse_reply("just words").message == "just words"
    assert parse_reply('{"price": 3}').source == "json"
    assert parse_reply('x {"price": 3} y').source == "embedded-json"
    assert parse_reply("price 3").source == "text"


@pytest.mark.parametrize("text,price", [
    ("$45", 45.0), ("US$ 1,000,000.25", 1000000.25), ("offer: 77.5", 77.5), ("nothing here", None),
    ("Can we settle at 1,050?", 1050.0),
])
def test_extract_price(text, price):
    assert extract_price(text) == price


@pytest.mark.parametrize("text,action", [
    ("It's a deal!", "accept"), ("Agreed.", "accept"), ("I'll take it", "accept"),
    ("I won't accept that", "continue"), ("I decline.", "reject"), ("I'm not interested anymore", "reject"),
    ("Can you go lower?", "continue"),
])
def test_classify_action(text, action):
    assert classify_action(text) == action


def test_history_window_moves_in_blocks_so_consecutive_prompts_share_a_prefix():
    from players.llm.prompts import visible_history

    talk = [{"i": i} for i in range(30)]
    assert visible_history(talk[:12], 12) == talk[:12]
    shown = [[m["i"] for m in visible_history(talk[:n], 12)] for n in range(13, 31)]
    assert shown[0] == list(range(6, 13)) and shown[5] == list(range(6, 18)) and shown[6] == list(range(12, 19))
    assert all(7 <= len(s) <= 12 and s[-1] == n - 1 for s, n in zip(shown, range(13, 31)))
    # within a block the earlier prompt is a prefix of the next one
    for a, b in zip(shown, shown[1:]):
        assert b[: len(a)] == a or b[0] > a[0]
