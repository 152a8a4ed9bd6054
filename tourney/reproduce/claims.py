"""The claim checker every reproduction shares.

A paper's claim is tested, not eyeballed: each ``Claim`` quotes the paper's
words, names the quantity compared and the direction the paper asserts, and
``judge`` turns the per-replication values (one per seed, or one per match)
into the difference, its confidence interval and one of three verdicts:

- **holds**: the interval lies wholly on the side of 0 the paper claims;
- **fails**: it lies wholly on the other side;
- **not resolved**: it contains 0 (or there are fewer than two replications).

The interval is Student's t over the replications (Welch's when unpaired) or a
percentile bootstrap seeded by ``seed``, so a report is the same on every run.
A value that is missing (``None`` or NaN: a seed that produced no sale, say)
is left out, with its partner when paired; ``n`` counts what was used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence, TypeGuard

import numpy as np
from scipy import stats

DIRECTIONS = (">", "<")
UNITS = ("seed", "match")
PLURALS = {"seed": "seeds", "match": "matches"}
METHODS = ("t", "bootstrap")
VERDICTS = ("holds", "fails", "not resolved")
BOOTSTRAP_RESAMPLES = 10000


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, stated so that it can be tested."""

    id: str         # short slug
    text: str       # the paper's words, quoted
    source: str     # section / table / figure
    quantity: str   # what is compared, e.g. "profit per buyer over the last 2000 buyers, Q minus random"
    direction: str  # ">": the paper claims a positive difference; "<": a negative one
    unit: str = "seed"  # unit of replication: "seed" or "match"

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"claim {self.id}: direction must be one of {DIRECTIONS}, got {self.direction!r}")
        if self.unit not in UNITS:
            raise ValueError(f"claim {self.id}: unit must be one of {UNITS}, got {self.unit!r}")


@dataclass(frozen=True)
class Verdict:
    """A claim judged: the difference, its confidence interval [low, high] and the verdict."""

    claim: Claim
    difference: float
    low: float
    high: float
    n: int
    verdict: str  # "holds" | "fails" | "not resolved"
    level: float = 0.95
    method: str = "t"

    @property
    def holds(self) -> bool:
        return self.verdict == "holds"


def judge(
    claim: Claim,
    a: Sequence[float | None],
    b: Sequence[float | None] | None = None,
    *,
    paired: bool = True,
    method: str = "t",
    level: float = 0.95,
    seed: int = 0,
) -> Verdict:
    """Judge ``claim`` on the difference ``a - b`` (or ``a`` against 0 when ``b`` is None).

    ``a`` and ``b`` hold one value per replication; ``paired=True`` pairs them
    by position (same seed), so they must be equally long. Unpaired, the
    difference is of the means and ``n`` is the smaller sample.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    if b is not None and paired and len(a) != len(b):
        raise ValueError(f"claim {claim.id}: paired samples differ in length ({len(a)} vs {len(b)})")

    if b is None or paired:
        pairs: Iterable[tuple[float | None, float | None]] = zip(a, b) if b is not None else ((x, 0.0) for x in a)
        d = np.array([x - y for x, y in pairs if _present(x) and _present(y)], dtype=float)
        n = len(d)
        difference = float(d.mean()) if n else math.nan
        if n < 2:
            low, high = math.nan, math.nan
        elif method == "t":
            low, high = _t_interval(d, level)
        else:
            low, high = _bootstrap_interval(lambda rng: _resampled_means(d, rng), level, seed)
    else:
        xa = np.array([x for x in a if _present(x)], dtype=float)
        xb = np.array([x for x in b if _present(x)], dtype=float)
        n = min(len(xa), len(xb))
        difference = float(xa.mean() - xb.mean()) if n else math.nan
        if n < 2:
            low, high = math.nan, math.nan
        elif method == "t":
            low, high = _welch_interval(xa, xb, level)
        else:
            low, high = _bootstrap_interval(
                lambda rng: _resampled_means(xa, rng) - _resampled_means(xb, rng), level, seed)
    return Verdict(claim, difference, low, high, n, _verdict(claim.direction, low, high), level, method)


def mean_interval(values: Iterable[float | None], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the t interval of a mean over replications, for CI bands
    in figures; the bounds are the mean itself when fewer than two values."""
    x = np.array([v for v in values if _present(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, mean, mean
    low, high = _t_interval(x, level)
    return mean, low, high


def equivalence_verdict(low: float, high: float, margin: float) -> str:
    """An equivalence claim ("A is within +-margin of B") read from the 95 % interval of A - B: it holds
    when the interval lies inside (-margin, margin), fails when it lies wholly outside, else not resolved."""
    if low != low or high != high:
        return "not resolved"
    if -margin < low and high < margin:
        return "holds"
    if high <= -margin or low >= margin:
        return "fails"
    return "not resolved"


def summary_line(verdicts: Iterable[Verdict]) -> str:
    """``"k of n claims hold, m fail, r not resolved"``."""
    verdicts = list(verdicts)
    count = {v: sum(1 for x in verdicts if x.verdict == v) for v in VERDICTS}
    return (f"{count['holds']} of {len(verdicts)} claims hold, {count['fails']} fail, "
            f"{count['not resolved']} not resolved")


def verdict_table(verdicts: Iterable[Verdict]) -> str:
    """Markdown: claim (the paper's words), source, quantity, difference, CI, n, verdict."""
    verdicts = list(verdicts)
    level = verdicts[0].level if verdicts else 0.95
    lines = [
        f"| claim | source | quantity | difference | {level * 100:g} % CI | n | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        c = v.claim
        ci = "n/a" if math.isnan(v.low) else f"[{_number(v.low)}, {_number(v.high)}]"
        lines.append(
            f"| {_cell(c.id)}: \"{_cell(c.text)}\" | {_cell(c.source)} | {_cell(c.quantity)} "
            f"(claimed {c.direction} 0) | {_number(v.difference)} | {ci} | {_count(v.n, c.unit)} | **{v.verdict}** |"
        )
    return "\n".join(lines)


def compare_table(columns: Mapping[str, Sequence[Verdict]]) -> str:
    """Markdown: one row per claim (by id, in the first column's order), one column per
    setting with the difference, its CI and the verdict: the same claims judged on two runs."""
    labels = list(columns)
    by_id = [{v.claim.id: v for v in columns[label]} for label in labels]
    ids = list(dict.fromkeys(v.claim.id for label in labels for v in columns[label]))
    lines = ["| claim | " + " | ".join(_cell(label) for label in labels) + " |",
             "|---|" + "---|" * len(labels)]
    for claim_id in ids:
        cells = []
        for verdicts in by_id:
            v = verdicts.get(claim_id)
            if v is None:
                cells.append("not judged")
            else:
                ci = "n/a" if math.isnan(v.low) else f"[{_number(v.low)}, {_number(v.high)}]"
                cells.append(f"{_number(v.difference)} {ci} **{v.verdict}**")
        lines.append(f"| {_cell(claim_id)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- helpers ---
def _present(x: float | None) -> TypeGuard[float]:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _verdict(direction: str, low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "not resolved"
    if low > 0:
        return "holds" if direction == ">" else "fails"
    if high < 0:
        return "holds" if direction == "<" else "fails"
    return "not resolved"


def _t_interval(d: np.ndarray, level: float) -> tuple[float, float]:
    n = len(d)
    half = stats.t.ppf((1 + level) / 2, n - 1) * d.std(ddof=1) / math.sqrt(n)
    return float(d.mean() - half), float(d.mean() + half)


def _welch_interval(xa: np.ndarray, xb: np.ndarray, level: float) -> tuple[float, float]:
    va, vb = xa.var(ddof=1) / len(xa), xb.var(ddof=1) / len(xb)
    diff = float(xa.mean() - xb.mean())
    se = math.sqrt(va + vb)
    if se == 0.0:
        return diff, diff
    df = (va + vb) ** 2 / (va**2 / (len(xa) - 1) + vb**2 / (len(xb) - 1))
    half = stats.t.ppf((1 + level) / 2, df) * se
    return diff - half, diff + half


def _resampled_means(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    means: np.ndarray = x[rng.integers(0, len(x), size=(BOOTSTRAP_RESAMPLES, len(x)))].mean(axis=1)
    return means


def _bootstrap_interval(resample: Callable[[np.random.Generator], np.ndarray], level: float,
                        seed: int) -> tuple[float, float]:
    means = resample(np.random.default_rng(seed))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {PLURALS[unit]}"


def _number(x: float) -> str:
    if math.isnan(x):
        return "n/a"
    if x != 0 and (abs(x) >= 1000 or abs(x) < 0.001):
        return f"{x:.3g}"
    return f"{x:.3f}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
