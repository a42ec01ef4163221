"""What the backtest shows, in plain Python: how well scores rank and how well
their probabilities match what happened. Outcomes are booleans (True = qualified).

- AUC: the Mann–Whitney statistic, the share of (qualified, disqualified) pairs in
  which the qualified lead scored higher, ties counted half; computed from mid-ranks
  in O(n log n). Its 95% interval is AUC ± 1.96·SE with the standard error of
  Hanley & McNeil (1982), clipped to 0..1:
      SE² = (A(1−A) + (n₁−1)(Q₁−A²) + (n₂−1)(Q₂−A²)) / (n₁n₂),
      Q₁ = A/(2−A), Q₂ = 2A²/(1+A)
  (n₁ qualified, n₂ disqualified). It assumes exponential-like score
  distributions and is narrow near AUC 1 (0 width at 1); fine for a report.
  No leads, or leads of one outcome only → no AUC, with the reason.
- Calibration: predicted probabilities in ten equal bands 0–0.1, …, 0.9–1.0 (the
  score's deciles 0–9, …, 90–100; 1.0 falls in the last), with each band's count,
  mean predicted probability and observed qualification rate (None when empty).
- Rates per grade with Wilson score 95% intervals (z = 1.96).
- Oracle AUC: the best AUC any model can expect on leads whose true probabilities
  are known, i.e. the expected AUC of scoring by those probabilities:
      Σᵢ≠ⱼ pᵢ(1−pⱼ)·[pᵢ > pⱼ] + ½[pᵢ = pⱼ]  /  Σᵢ≠ⱼ pᵢ(1−pⱼ)
  (expected concordant pairs over expected qualified–disqualified pairs).
"""

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import groupby

from leads.scoring.grades import GRADES
from leads.scoring.words import gettext

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Auc:
    value: float | None
    low: float | None = None
    high: float | None = None
    standard_error: float | None = None
    qualified: int = 0
    disqualified: int = 0
    reason: str | None = None  # why there is no value


def _check(scores: Sequence, outcomes: Sequence) -> None:
    if len(scores) != len(outcomes):
        raise ValueError("One outcome per score.")


def hanley_mcneil_se(area: float, positives: int, negatives: int) -> float:
    q1 = area / (2 - area)
    q2 = 2 * area * area / (1 + area)
    variance = (
        area * (1 - area)
        + (positives - 1) * (q1 - area * area)
        + (negatives - 1) * (q2 - area * area)
    ) / (positives * negatives)
    return math.sqrt(max(variance, 0.0))


def auc(scores: Sequence[float], outcomes: Sequence[bool]) -> Auc:
    """The AUC of `scores` against `outcomes` with its 95% interval (see above)."""
    _check(scores, outcomes)
    positives = sum(1 for o in outcomes if o)
    negatives = len(outcomes) - positives
    if not outcomes:
        return Auc(None, reason=gettext("No closed leads to test on."))
    if not positives or not negatives:
        reason = (
            gettext("Every lead tested was qualified: the AUC needs both outcomes.")
            if positives
            else gettext(
                "Every lead tested was disqualified: the AUC needs both outcomes."
            )
        )
        return Auc(None, qualified=positives, disqualified=negatives, reason=reason)
    ordered = sorted(zip(scores, outcomes, strict=True), key=lambda pair: pair[0])
    rank_sum = 0.0
    position = 0
    for _score, group in groupby(ordered, key=lambda pair: pair[0]):
        members = list(group)
        mid_rank = position + (len(members) + 1) / 2  # ranks start at 1
        rank_sum += mid_rank * sum(1 for _, o in members if o)
        position += len(members)
    area = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
    se = hanley_mcneil_se(area, positives, negatives)
    return Auc(
        area,
        low=max(0.0, area - Z95 * se),
        high=min(1.0, area + Z95 * se),
        standard_error=se,
        qualified=positives,
        disqualified=negatives,
    )


@dataclass(frozen=True)
class CalibrationBin:
    low: float  # the band's probabilities: low ≤ p < high (the last includes 1.0)
    high: float
    count: int
    mean_predicted: float | None
    observed_rate: float | None


def calibration(
    probabilities: Sequence[float], outcomes: Sequence[bool], bins: int = 10
) -> list[CalibrationBin]:
    """Predicted against observed qualification in `bins` equal probability bands."""
    _check(probabilities, outcomes)
    if bins < 1:
        raise ValueError("At least one band.")
    totals = [[0, 0.0, 0] for _ in range(bins)]  # count, Σ predicted, qualified
    for p, outcome in zip(probabilities, outcomes, strict=True):
        if not 0 <= p <= 1:
            raise ValueError("Probabilities are between 0 and 1.")
        index = min(int(p * bins), bins - 1)
        totals[index][0] += 1
        totals[index][1] += p
        totals[index][2] += bool(outcome)
    return [
        CalibrationBin(
            low=i / bins,
            high=(i + 1) / bins,
            count=count,
            mean_predicted=predicted / count if count else None,
            observed_rate=qualified / count if count else None,
        )
        for i, (count, predicted, qualified) in enumerate(totals)
    ]


def wilson_interval(successes: int, trials: int, z: float = Z95):
    """(low, high) of the Wilson score interval, None for no trials."""
    if not 0 <= successes <= trials:
        raise ValueError("Successes are between 0 and the number of trials.")
    if trials == 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    half /= denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high  # exactly 0 and 1 at the ends, as the formula gives


@dataclass(frozen=True)
class GroupRate:
    group: Hashable
    count: int
    qualified: int
    rate: float | None
    low: float | None
    high: float | None


def rates_by_group(
    groups: Sequence[Hashable], outcomes: Sequence[bool], order: Sequence = GRADES
) -> list[GroupRate]:
    """The qualification rate of each group (by default the grades A–D, each listed
    even when empty), with its Wilson 95% interval. Groups not in `order` (None:
    no grade) are left out."""
    _check(groups, outcomes)
    counts = {g: [0, 0] for g in order}
    for g, outcome in zip(groups, outcomes, strict=True):
        if g in counts:
            counts[g][0] += 1
            counts[g][1] += bool(outcome)
    rows = []
    for g in order:
        count, qualified = counts[g]
        interval = wilson_interval(qualified, count) or (None, None)
        rate = qualified / count if count else None
        rows.append(GroupRate(g, count, qualified, rate, *interval))
    return rows


def oracle_auc(probabilities: Sequence[float]) -> float | None:
    """The expected AUC of scoring by the true probabilities (see above); None when
    no qualified–disqualified pair can occur (fewer than two leads, or every p
    is 0, or every p is 1)."""
    ps = sorted(probabilities)
    if any(not 0 <= p <= 1 for p in ps):
        raise ValueError("Probabilities are between 0 and 1.")
    total_p = math.fsum(ps)
    total_not = math.fsum(1 - p for p in ps)
    pairs = total_p * total_not - math.fsum(p * (1 - p) for p in ps)
    if pairs <= 0:
        return None
    concordant = 0.0
    below_not = 0.0  # Σ (1 − p_j) over the leads with a lower probability
    for p, group in groupby(ps):
        size = len(list(group))
        concordant += size * p * below_not
        concordant += 0.5 * p * (1 - p) * size * (size - 1)
        below_not += size * (1 - p)
    return concordant / pairs
