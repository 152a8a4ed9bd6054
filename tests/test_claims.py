"""The shared claim checker: intervals by hand, seeded bootstrap, all three verdicts each way."""

from __future__ import annotations

import math

import pytest

from tourney.reproduce.claims import Claim, Verdict, judge, mean_interval, summary_line, verdict_table

UP = Claim("up", "A beats B", "Sec. 1", "score, A minus B", ">")
DOWN = Claim("down", "A costs less than B", "Table 2", "cost, A minus B", "<")


def test_t_interval_matches_the_hand_computed_one():
    # d = 1..5: mean 3, sd sqrt(2.5), se sqrt(0.5); t(0.975, 4) = 2.776445
    v = judge(UP, [1, 2, 3, 4, 5])
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert v.difference == pytest.approx(3.0)
    assert (v.low, v.high) == (pytest.approx(3 - half, abs=1e-5), pytest.approx(3 + half, abs=1e-5))
    assert v.n == 5 and v.verdict == "holds"


def test_paired_difference_pairs_by_position():
    a, b = [10, 12, 11, 13], [9, 10, 10, 11]  # d = 1, 2, 1, 2: mean 1.5, sd 0.57735
    v = judge(UP, a, b)
    half = 3.182446 * 0.5773503 / 2  # t(0.975, 3)
    assert v.difference == pytest.approx(1.5)
    assert v.low == pytest.approx(1.5 - half, abs=1e-5) and v.high == pytest.approx(1.5 + half, abs=1e-5)


def test_unpaired_uses_welch():
    a, b = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0, 8.0]
    v = judge(UP, a, b, paired=False)
    va, vb = 1.0 / 3, (20.0 / 3) / 4  # variances of the means
    df = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 3)
    from scipy import stats

    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    assert v.difference == pytest.approx(-3.0)
    assert v.low == pytest.approx(-3.0 - half) and v.high == pytest.approx(-3.0 + half)
    assert v.n == 3


def test_bootstrap_is_determined_by_its_seed():
    d = [0.3, -0.1, 0.5, 0.2, 0.9, -0.4, 0.1, 0.6, 0.0, 0.35]
    first = judge(UP, d, method="bootstrap", seed=7)
    again = judge(UP, d, method="bootstrap", seed=7)
    other = judge(UP, d, method="bootstrap", seed=8)
    assert (first.low, first.high) == (again.low, again.high)
    assert (first.low, first.high) != (other.low, other.high)
    assert first.low < first.difference < first.high
    assert min(d) <= first.low and first.high <= max(d)


@pytest.mark.parametrize("method", ["t", "bootstrap"])
@pytest.mark.parametrize(
    "claim,a,b,expected",
    [
        # claimed ">": true, false, unresolvable
        (UP, [5.1, 5.3, 4.9, 5.2, 5.0, 5.4], [4.0, 4.1, 3.9, 4.2, 4.0, 4.1], "holds"),
        (UP, [4.0, 4.1, 3.9, 4.2, 4.0, 4.1], [5.1, 5.3, 4.9, 5.2, 5.0, 5.4], "fails"),
        (UP, [5.0, 3.0, 4.6, 3.4, 4.1, 3.9], [4.0, 4.0, 4.0, 4.0, 4.0, 4.0], "not resolved"),
        # claimed "<": true, false, unresolvable
        (DOWN, [4.0, 4.1, 3.9, 4.2, 4.0, 4.1], [5.1, 5.3, 4.9, 5.2, 5.0, 5.4], "holds"),
        (DOWN, [5.1, 5.3, 4.9, 5.2, 5.0, 5.4], [4.0, 4.1, 3.9, 4.2, 4.0, 4.1], "fails"),
        (DOWN, [5.0, 3.0, 4.6, 3.4, 4.1, 3.9], [4.0, 4.0, 4.0, 4.0, 4.0, 4.0], "not resolved"),
    ],
)
@pytest.mark.parametrize("paired", [True, False])
def test_true_false_and_unresolvable_claims_each_way(claim, a, b, expected, method, paired):
    v = judge(claim, a, b, method=method, paired=paired)
    assert v.verdict == expected, v
    if expected == "not resolved":
        assert v.low < 0 < v.high
    else:
        assert v.low * v.high > 0  # the interval excludes 0


def test_fewer_than_two_replications_are_not_resolved():
    assert judge(UP, [9.0]).verdict == "not resolved"
    assert judge(UP, [], []).verdict == "not resolved"
    assert judge(UP, [9.0, None], [1.0, 2.0]).n == 1


def test_missing_values_are_dropped_with_their_partner():
    v = judge(UP, [2.0, None, 3.0, float("nan"), 4.0], [1.0, 100.0, 1.0, 1.0, 1.0])
    assert v.n == 3 and v.difference == pytest.approx(2.0)


def test_identical_replications_give_a_point_interval():
    assert judge(UP, [1.0, 1.0, 1.0]).verdict == "holds"
    assert judge(UP, [0.0, 0.0, 0.0]).verdict == "not resolved"


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="direction"):
        Claim("x", "t", "s", "q", ">=")
    with pytest.raises(ValueError, match="unit"):
        Claim("x", "t", "s", "q", ">", unit="run")
    with pytest.raises(ValueError, match="paired"):
        judge(UP, [1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="method"):
        judge(UP, [1, 2, 3], method="z")


def test_summary_line_and_table():
    verdicts = [
        judge(UP, [1.0, 1.2, 1.1]),
        judge(DOWN, [1.0, 1.2, 1.1]),
        judge(UP, [-1, 1, 0.5]),
        judge(Claim("pipe", "a | b", "Fig. 3", "x", ">", unit="match"), [2, 2.5, 3]),
    ]
    assert summary_line(verdicts) == "2 of 4 claims hold, 1 fail, 1 not resolved"
    table = verdict_table(verdicts)
    lines = table.splitlines()
    assert lines[0] == "| claim | source | quantity | difference | 95 % CI | n | verdict |"
    assert len(lines) == 2 + len(verdicts)
    assert '| up: "A beats B" | Sec. 1 | score, A minus B (claimed > 0) | 1.100 | [' in lines[2]
    assert lines[3].endswith("| 3 seeds | **fails** |")
    assert "a \\| b" in lines[5] and "3 matches" in lines[5]
    assert all(line.count(" | ") == 6 for line in lines[2:])
    assert summary_line([]) == "0 of 0 claims hold, 0 fail, 0 not resolved"


def test_mean_interval_for_bands():
    mean, low, high = mean_interval([1, 2, 3, 4, 5, None])
    assert mean == pytest.approx(3.0) and low == pytest.approx(judge(UP, [1, 2, 3, 4, 5]).low)
    assert mean_interval([2.0]) == (2.0, 2.0, 2.0)
    assert all(math.isnan(x) for x in mean_interval([]))


def test_verdict_is_a_frozen_record():
    v = judge(UP, [1.0, 1.01])
    assert isinstance(v, Verdict) and v.claim is UP and v.holds
    with pytest.raises(AttributeError):
        v.verdict = "fails"  # type: ignore[misc]


def test_compare_table_puts_two_runs_of_the_same_claims_side_by_side():
    from tourney.reproduce.claims import compare_table

    first = [judge(UP, [1.0, 1.2, 1.1]), judge(DOWN, [1.0, 1.2, 1.1])]
    second = [judge(UP, [-1.0, -1.2, -1.1])]
    lines = compare_table({"game": first, "capped": second}).splitlines()
    assert lines[0] == "| claim | game | capped |"
    assert lines[2].startswith("| up | 1.100 [") and "**holds** | -1.100 [" in lines[2]
    assert lines[2].endswith("**fails** |") and lines[3].endswith("**fails** | not judged |")


def test_equivalence_verdict_reads_the_interval_against_the_margin():
    from tourney.reproduce.claims import equivalence_verdict

    assert equivalence_verdict(-0.02, 0.03, 0.05) == "holds"
    assert equivalence_verdict(0.06, 0.09, 0.05) == "fails"
    assert equivalence_verdict(-0.2, -0.05, 0.05) == "fails"
    assert equivalence_verdict(0.01, 0.08, 0.05) == "not resolved"  # straddles the margin
    assert equivalence_verdict(float("nan"), float("nan"), 0.05) == "not resolved"
