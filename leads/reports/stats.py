"""Small statistics for the reports: intervals, significance, medians of histograms."""

import math

Z_95 = 1.959963984540054
TOO_FEW = 20  # closed leads below which a rate is not compared


def wilson_interval(successes: int, trials: int, z: float = Z_95):
    """The Wilson score interval for a proportion, as (low, high); None without trials.

    Unlike the normal approximation it stays inside [0, 1] and widens on small samples,
    so a source with 2 of 3 leads qualified does not look better than one with 600 of
    1,000.
    """
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = (
        z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    )
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """The pooled two-proportion z statistic of x1/n1 against x2/n2 (None if undefined)."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 0.0
    return (x1 / n1 - x2 / n2) / spread


def compare_rates(x1: int, n1: int, x2: int, n2: int) -> str:
    """ "higher", "lower", "same" (no difference beyond chance at 95%) or "too_few"
    (fewer than TOO_FEW closed leads on either side)."""
    if n1 < TOO_FEW or n2 < TOO_FEW:
        return "too_few"
    z = two_proportion_z(x1, n1, x2, n2)
    if z is None or abs(z) <= Z_95:
        return "same"
    return "higher" if z > 0 else "lower"


def histogram_median(histogram: dict[int, int]) -> float | None:
    """The median of the values a {value: count} histogram holds, as percentile_cont(0.5)
    computes it (the mean of the two middle values when the count is even)."""
    total = sum(histogram.values())
    if not total:
        return None
    low_rank, high_rank = (total - 1) // 2, total // 2
    low = high = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and seen > low_rank:
            low = value
        if seen > high_rank:
            high = value
            break
    return (low + high) / 2


def merge_histograms(*histograms: dict[int, int]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for value, count in histogram.items():
            merged[value] = merged.get(value, 0) + count
    return merged
