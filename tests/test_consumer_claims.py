"""The consumer reproduction's claims: the LLM's anomaly rates against the rule-based control's,
paired by case, on a hand-built match log whose answers are known."""

from __future__ import annotations

import json

from tourney.reproduce.consumer import judge_claims, negotiations, paired, reproduce

RETAIL, WHOLESALE = 100.0, 60.0


def _episode(outcome: str, price: float | None, budget: float, turns: int = 3) -> dict:
    return {"product": 0, "retail": RETAIL, "wholesale": WHOLESALE, "budget": budget, "outcome": outcome,
            "price": price, "first_offer": price, "price_increase": False, "turns": turns,
            "malformed": {"buyer": 0, "seller": 0}, "role_turns": {"buyer": turns + 1, "seller": turns},
            "transcript": []}


def _record(i: int, buyer: str, seller: str, product: int, episode: dict, usage: dict | None = None) -> dict:
    episode = {**episode, "product": product}
    return {"id": f"m{i}", "key": f"k{i}", "status": "ok", "world": "consumer", "world_type": "consumer",
            "world_index": 0, "seed": i, "assignment": {"buyer": buyer, "seller": seller},
            "setting": {"budget": "mid", "products": [product]}, "rep": 0,
            "details": {"episodes": [episode], "usage": usage or {}}}


LEAGUE = """name: claims-test
seed: 1
worlds:
  - type: consumer
    params: {max_turns: 30}
players:
  - {name: LLM, type: llm, params: {cache: "off"}}
  - {name: Linear, type: linear}
"""


def _run(tmp_path, records):
    run = tmp_path / "run"
    run.mkdir()
    (run / "matches.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (run / "league.yaml").write_text(LEAGUE)
    roles = {"0": ["buyer", "seller"]}
    (run / "manifest.json").write_text(json.dumps({"seed": 1, "repetitions": 1, "players": {
        "LLM": {"type": "llm", "defaults": {}, "roles": roles},
        "Linear": {"type": "linear", "defaults": {"beta": 1.0}, "roles": roles}}}))
    return run


def _log():
    """20 products, every (buyer, seller) pairing once. The LLM buyer overpays (115 > retail) on even
    products and deals at 80 otherwise; the control buyer deals at 80. The control seller sells below
    wholesale (55 < 60) to the control buyer on products 0-9; the LLM seller never does. No deadlock,
    no budget violation (budget 120) by anyone."""
    records = []
    for product in range(20):
        for buyer in ("LLM", "Linear"):
            for seller in ("LLM", "Linear"):
                if buyer == "LLM":
                    price = 115.0 if product % 2 == 0 else 80.0
                elif seller == "Linear" and product < 10:
                    price = 55.0
                else:
                    price = 80.0
                records.append(_record(len(records), buyer, seller, product, _episode("accept", price, 120.0)))
    return records


def test_claims_hold_fail_or_stay_unresolved_as_the_paired_differences_say(tmp_path):
    run = _run(tmp_path, _log())
    rows, counts = negotiations(run)
    assert counts["matches"] == len(rows) == 80
    a, b = paired(rows, "buyer", "LLM", "Linear", lambda r: float(r["overpayment"]))
    assert len(a) == len(b) == 40 and sum(a) == 20 and sum(b) == 0
    verdicts = {v.claim.id.split(":")[0]: v for v in judge_claims(rows, ["LLM"], ["Linear"])}
    assert verdicts["overpayment"].verdict == "holds" and abs(verdicts["overpayment"].difference - 0.5) < 1e-12
    assert verdicts["overpayment"].n == 40 and verdicts["overpayment"].low > 0
    # the LLM seller sells below wholesale less often than the control: the claim fails
    assert verdicts["floor-violation"].verdict == "fails" and verdicts["floor-violation"].difference == -0.25
    # no difference at all (neither deadlocks nor exceeds its budget): not resolved, never "holds"
    for slug in ("budget-violation", "deadlock-buyer", "deadlock-seller"):
        assert verdicts[slug].verdict == "not resolved" and verdicts[slug].difference == 0.0


def test_report_puts_each_llm_rate_beside_the_controls_and_counts_cut_replies(tmp_path):
    records = _log()
    records[0]["details"]["usage"] = {"buyer": {"calls": 4, "model_calls": 3, "cache_hits": 1, "replies": 4,
                                                "truncated": 1, "failures": 0}}
    text = reproduce(_run(tmp_path, records))
    assert "| LLM | buyer | Linear | overpayment | 40 | 0.500 | 0.000 | +0.500 [+0.338, +0.662] |" in text
    assert "| LLM | seller | Linear | below_wholesale | 40 | 0.000 | 0.250 |" in text
    assert "replies cut by max_tokens: 1 (25.0%)" in text
    assert "1 of 5 claims hold, 1 fail, 3 not resolved" in text and "No cold run of this league beside this run" in text
    assert "| Linear | no |" in text  # the control sold below wholesale: the adapter check catches it
