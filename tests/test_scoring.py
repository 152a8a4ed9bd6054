"""Scoring math against hand-computed values."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from tourney.scoring import confidence_interval, match_rows, pairwise_table, score_table, truncated_mean


def _record(i, buyer, seller, ub, us, status="ok", blamed_role=None):
    return {"id": f"{i:04d}", "world": "bilateral", "setting": {"zoa": 100}, "rep": 0,
            "assignment": {"buyer": buyer, "seller": seller}, "status": status,
            "blamed_role": blamed_role, "metric": "utility",
            "roles": {"buyer": {"utility": ub, "agreement": 1.0}, "seller": {"utility": us, "agreement": 1.0}}
            if status == "ok" else None}


def test_confidence_interval_by_hand():
    values = np.array([0.2, 0.4, 0.6, 0.8])
    # mean 0.5, sd = sqrt(((.3^2+.1^2)*2)/3) = 0.258199, sem = 0.129099, t(0.975, 3) = 3.182446
    low, high = confidence_interval(values)
    assert low == pytest.approx(0.5 - 3.182446 * 0.129099, abs=1e-5)
    assert high == pytest.approx(0.5 + 3.182446 * 0.129099, abs=1e-5)
    assert all(math.isnan(x) for x in confidence_interval(np.array([1.0])))


def test_truncated_mean_by_hand():
    values = np.array([0.0, 1, 2, 3, 4, 5, 6, 7, 8, 100])
    assert truncated_mean(values, 0.1) == pytest.approx(4.5)  # drops 0 and 100
    assert truncated_mean(values, 0.0) == pytest.approx(13.6)


def test_score_table_values_ranks_and_faults():
    records = [
        _record(1, "A", "B", 0.8, 0.2),
        _record(2, "B", "A", 0.4, 0.6),
        _record(3, "A", "C", 0.5, 0.5),
        _record(4, "C", "A", 0.0, 0.0, status="error", blamed_role="buyer"),
        _record(5, "B", "C", 0.3, 0.3, status="crashed", blamed_role=None),
    ]
    rows = match_rows(records, error_score=-1.0)
    table = score_table(rows).set_index("player")
    assert table.loc["A", "matches"] == 3  # match 4 was C's fault: A's row is dropped
    assert table.loc["A", "mean"] == pytest.approx((0.8 + 0.6 + 0.5) / 3)
    assert table.loc["B", "mean"] == pytest.approx((0.2 + 0.4) / 2)
    assert table.loc["C", "mean"] == pytest.approx((0.5 - 1.0) / 2)
    assert table.loc["C", "faults"] == 1
    assert table.loc["A", "median"] == pytest.approx(0.6)
    assert list(table["rank"]) == [1, 2, 3]
    median_table = score_table(rows, aggregate="median").set_index("player")
    assert median_table.loc["B", "score"] == pytest.approx(0.3)
    pairwise = pairwise_table(rows)
    assert pairwise.loc["A", "B"] == pytest.approx(0.7)
    assert pairwise.loc["B", "A"] == pytest.approx(0.3)


def test_table_does_not_depend_on_record_order():
    records = [_record(i, "A" if i % 2 else "B", "B" if i % 2 else "A", i / 10, 1 - i / 10) for i in range(10)]
    a = score_table(match_rows(records))
    b = score_table(match_rows(list(reversed(records))))
    assert a.to_csv() == b.to_csv()


def test_per_game_samples_and_scml_tukey_truncation():
    from negmas.helpers.numeric import truncated_mean as scml_truncated_mean

    worlds_a = [1.0, 1.1, 0.9, 1.05, 5.0]  # one outlier world, dropped by Tukey's fence
    worlds_b = [0.8, 0.85, 0.9, 0.95, 0.7]
    record = {"id": "x1", "world": "oneshot", "setting": {}, "rep": 0, "status": "ok", "metric": "score",
              "assignment": {"agent1": "A", "agent2": "B"},
              "roles": {"agent1": {"score": sum(worlds_a) / 5, "score_samples": worlds_a},
                        "agent2": {"score": sum(worlds_b) / 5, "score_samples": worlds_b}}}
    rows = match_rows([record])
    assert len(rows) == 10
    table = score_table(rows, aggregate="truncated_mean", truncation="tukey").set_index("player")
    assert table.loc["A", "score"] == pytest.approx(scml_truncated_mean(np.array(worlds_a)))
    assert table.loc["A", "score"] == pytest.approx((1.0 + 1.1 + 0.9 + 1.05) / 4)
    assert table.loc["B", "score"] == pytest.approx(np.mean(worlds_b))
    assert table.loc["A", "mean"] == pytest.approx(np.mean(worlds_a))



def test_a_player_with_no_scored_match_shows_a_dash_for_its_rank():
    import pandas as pd

    from tourney.report import render_scores

    rows = pd.DataFrame({"player": ["a", "a", "b"], "score": [0.5, 0.7, np.nan], "agreement": [1.0, 1.0, np.nan],
                         "fault": [False, False, True]})
    scores = score_table(rows)
    scores["sig_next"] = None
    tables = SimpleNamespace(scores=scores, league=SimpleNamespace(scoring=SimpleNamespace(aggregate="mean")))
    lines = render_scores(tables, width=200).splitlines()
    assert "<NA>" not in "\n".join(lines)
    ranks = {line.split()[1]: line.split()[0] for line in lines[2:]}
    assert ranks == {"a": "1", "b": "-"}
