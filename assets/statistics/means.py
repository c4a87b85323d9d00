"""Means: Welch (or Student) t comparison and the t interval of one mean."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from assets.statistics.results import (
    STUDENT_TEST,
    WELCH_TEST,
    ComparisonResult,
    Interval,
    check_confidence,
)


def compare_means_from_stats(
    mean1: float,
    sd1: float,
    n1: int,
    mean2: float,
    sd2: float,
    n2: int,
    *,
    confidence: float = 0.95,
    equal_var: bool = False,
) -> ComparisonResult:
    """Two-sample t comparison from summary statistics; difference is ``mean2 - mean1``.

    Welch t with Satterthwaite degrees of freedom by default, Student t with pooled variance
    when ``equal_var=True`` (``scipy.stats.ttest_ind_from_stats``, two-sided). The interval is
    ``difference +/- t_{df, (1+confidence)/2} * se``. With fewer than two observations in a
    group, or zero standard error, the statistic, p-value and interval are NaN.
    """
    check_confidence(confidence)
    if n1 < 1 or n2 < 1:
        raise ValueError(f"each group needs at least one observation, got n1={n1}, n2={n2}")
    if not (sd1 >= 0 and sd2 >= 0):
        raise ValueError(f"standard deviations must be >= 0, got sd1={sd1!r}, sd2={sd2!r}")
    difference = float(mean2 - mean1)
    name = STUDENT_TEST if equal_var else WELCH_TEST
    if n1 < 2 or n2 < 2:
        return ComparisonResult(difference, math.nan, math.nan, math.nan, math.nan, name, math.nan)

    v1, v2 = sd1**2 / n1, sd2**2 / n2
    if equal_var:
        df = float(n1 + n2 - 2)
        pooled_var = ((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / df
        se = math.sqrt(pooled_var * (1 / n1 + 1 / n2))
    else:
        se = math.sqrt(v1 + v2)
        denom = v1**2 / (n1 - 1) + v2**2 / (n2 - 1)
        df = (v1 + v2) ** 2 / denom if denom > 0 else math.nan
    if se == 0:
        return ComparisonResult(difference, math.nan, math.nan, math.nan, math.nan, name, df)

    res = stats.ttest_ind_from_stats(
        mean2, sd2, n2, mean1, sd1, n1, equal_var=equal_var, alternative="two-sided"
    )
    half = float(stats.t.ppf(0.5 + confidence / 2.0, df)) * se
    low, high = difference - half, difference + half
    return ComparisonResult(
        difference, low, high, float(res.statistic), float(res.pvalue), name, df
    )


def _finite_values(values: ArrayLike, label: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=float).ravel()
    arr = arr[~np.isnan(arr)]
    if np.isinf(arr).any():
        raise ValueError(f"{label} contains infinite values")
    return arr


def compare_means(
    first: ArrayLike,
    second: ArrayLike,
    *,
    confidence: float = 0.95,
    equal_var: bool = False,
) -> ComparisonResult:
    """Two-sample t comparison of raw values (NaN dropped); difference is second minus first.

    Computes means and sample SDs (ddof=1) and delegates to :func:`compare_means_from_stats`.
    """
    a, b = _finite_values(first, "first"), _finite_values(second, "second")
    if a.size == 0 or b.size == 0:
        raise ValueError("each group needs at least one non-missing value")
    # A single value has no sample SD; compare_means_from_stats then returns NaN inference.
    sd_a = float(a.std(ddof=1)) if a.size > 1 else 0.0
    sd_b = float(b.std(ddof=1)) if b.size > 1 else 0.0
    m_a, m_b = float(a.mean()), float(b.mean())
    return compare_means_from_stats(
        m_a, sd_a, a.size, m_b, sd_b, b.size, confidence=confidence, equal_var=equal_var
    )


def t_interval(mean: float, sd: float, n: int, confidence: float = 0.95) -> Interval:
    """Student t interval for a mean: ``mean +/- t_{n-1} * sd / sqrt(n)``; NaN when n < 2."""
    check_confidence(confidence)
    if n < 2:  # one value has no spread (its sd is NaN): no interval, not an error
        return Interval(math.nan, math.nan)
    if not sd >= 0:
        raise ValueError(f"sd must be >= 0, got {sd!r}")
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * sd / math.sqrt(n)
    return Interval(mean - half, mean + half)


