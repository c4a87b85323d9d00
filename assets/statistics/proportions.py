"""Proportions: Wilson interval, Newcombe difference interval, z and Fisher tests."""

from __future__ import annotations

import math

from scipy import stats

from assets.statistics.results import (
    FISHER_TEST,
    MIN_EXPECTED_COUNT,
    PROPORTION_TESTS,
    Z_TEST,
    ComparisonResult,
    Interval,
    check_confidence,
    check_counts,
    z_critical,
)


def wilson_interval(count: float, nobs: float, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a single proportion ``count / nobs``.

    Score interval without continuity correction (Wilson 1927; Newcombe 1998, Stat Med
    17:857-872, method 3). Bounds are clipped to [0, 1] to remove rounding noise at 0 and n.
    """
    check_counts(count, nobs)
    check_confidence(confidence)
    z = z_critical(confidence)
    p = count / nobs
    z2n = z * z / nobs
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / nobs + z2n / (4.0 * nobs))
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == nobs else min(1.0, centre + half)
    return Interval(low, high)


def newcombe_difference_interval(
    x1: float, n1: float, x2: float, n2: float, confidence: float = 0.95
) -> Interval:
    """Newcombe hybrid score interval for ``x2/n2 - x1/n1`` (second minus first).

    Newcombe (1998), Stat Med 17:873-890, method 10: built from the two Wilson intervals
    (l1, u1) and (l2, u2), without continuity correction::

        low  = d - sqrt((p2 - l2)**2 + (u1 - p1)**2)
        high = d + sqrt((u2 - p2)**2 + (p1 - l1)**2)
    """
    check_counts(x1, n1, "first group: ")
    check_counts(x2, n2, "second group: ")
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    p1, p2 = x1 / n1, x2 / n2
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return Interval(max(-1.0, low), min(1.0, high))


def _as_int_count(value: float, name: str) -> int:
    if float(value) != int(value):
        raise ValueError(f"Fisher's exact test needs integer counts, got {name}={value!r}")
    return int(value)


def compare_proportions(
    x1: float,
    n1: float,
    x2: float,
    n2: float,
    *,
    test: str = "auto",
    confidence: float = 0.95,
) -> ComparisonResult:
    """Compare two independent proportions: difference ``x2/n2 - x1/n1``, interval and test.

    Interval: Newcombe (1998) method 10 (:func:`newcombe_difference_interval`).
    ``test="z"``: pooled two-proportion z test without continuity correction; ``statistic`` is
    z (sign of the difference), two-sided normal p-value. When the pooled proportion is 0 or 1
    the z statistic is undefined and both ``statistic`` and ``p_value`` are NaN.
    ``test="fisher"``: ``scipy.stats.fisher_exact`` (two-sided) on
    ``[[x2, n2 - x2], [x1, n1 - x1]]``; ``statistic`` is the sample odds ratio scipy returns
    (second group's odds over first's), not R's conditional MLE. Counts must be integers.
    ``test="auto"``: Fisher when any expected count under the pooled proportion is below
    :data:`MIN_EXPECTED_COUNT` (always the case when the pooled proportion is 0 or 1), else z.
    """
    if test not in PROPORTION_TESTS:
        raise ValueError(f"unknown test {test!r}; expected one of {PROPORTION_TESTS}")
    interval = newcombe_difference_interval(x1, n1, x2, n2, confidence)
    p1, p2 = x1 / n1, x2 / n2
    difference = p2 - p1
    pooled = (x1 + x2) / (n1 + n2)

    if test == "auto":
        expected = (n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled))
        test = "fisher" if min(expected) < MIN_EXPECTED_COUNT else "z"

    if test == "fisher":
        a, b = _as_int_count(x2, "x2"), _as_int_count(n2, "n2")
        c, d = _as_int_count(x1, "x1"), _as_int_count(n1, "n1")
        res = stats.fisher_exact([[a, b - a], [c, d - c]], alternative="two-sided")
        statistic, p_value, name = float(res.statistic), float(res.pvalue), FISHER_TEST
    else:
        name = Z_TEST
        if pooled in (0.0, 1.0):
            statistic = p_value = math.nan
        else:
            se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
            statistic = difference / se
            p_value = float(2.0 * stats.norm.sf(abs(statistic)))
    return ComparisonResult(difference, interval.low, interval.high, statistic, p_value, name)


