"""Statistics for baseline/endline comparisons: intervals, two-group tests, p-value adjustment.

Sign convention: every difference is **second minus first** (endline minus baseline), and
every test statistic carries the sign of that difference.

Depends only on numpy, scipy and the standard library (no Dagster, no statsmodels), so it can
be imported and tested on its own. Results are frozen dataclasses; the method actually used is
named in the ``test`` field, using the module constants below.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

#: ``test`` value for the pooled two-proportion z test without continuity correction
#: (z squared equals Pearson's chi-squared without Yates' correction).
Z_TEST = "two-proportion z (pooled, no continuity correction)"
#: ``test`` value for Fisher's exact test, two-sided (scipy's definition of "more extreme").
FISHER_TEST = "Fisher exact (two-sided)"
#: ``test`` value for Welch's unequal-variance t test with Satterthwaite degrees of freedom.
WELCH_TEST = "Welch t (unequal variances)"
#: ``test`` value for Student's two-sample t test with pooled variance.
STUDENT_TEST = "Student t (pooled variance)"

#: Under ``test="auto"``, Fisher's exact test is used when any expected count of the 2x2 table
#: (computed from the pooled proportion) is below this value.
MIN_EXPECTED_COUNT = 5.0

_PROPORTION_TESTS = ("auto", "z", "fisher")
_ADJUST_METHODS = ("fdr_bh", "bonferroni")


@dataclass(frozen=True)
class Interval:
    """Closed confidence interval ``[low, high]``; unpacks as ``low, high = interval``."""

    low: float
    high: float

    def __iter__(self) -> Iterator[float]:
        yield self.low
        yield self.high


@dataclass(frozen=True)
class ComparisonResult:
    """Two-group comparison: difference (second minus first), its interval, and a test."""

    difference: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    test: str
    df: float | None = None

    @property
    def interval(self) -> Interval:
        """The confidence interval of the difference as an :class:`Interval`."""
        return Interval(self.ci_low, self.ci_high)


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def _check_counts(count: float, nobs: float, label: str = "") -> None:
    if not (math.isfinite(count) and math.isfinite(nobs)):
        raise ValueError(f"{label}count and nobs must be finite, got {count!r} and {nobs!r}")
    if nobs <= 0:
        raise ValueError(f"{label}nobs must be > 0, got {nobs!r}")
    if not 0 <= count <= nobs:
        raise ValueError(f"{label}count must satisfy 0 <= count <= nobs, got {count!r}/{nobs!r}")


def _z_critical(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(count: float, nobs: float, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a single proportion ``count / nobs``.

    Score interval without continuity correction (Wilson 1927; Newcombe 1998, Stat Med
    17:857-872, method 3). Bounds are clipped to [0, 1] to remove rounding noise at 0 and n.
    """
    _check_counts(count, nobs)
    _check_confidence(confidence)
    z = _z_critical(confidence)
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
    _check_counts(x1, n1, "first group: ")
    _check_counts(x2, n2, "second group: ")
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
    if test not in _PROPORTION_TESTS:
        raise ValueError(f"unknown test {test!r}; expected one of {_PROPORTION_TESTS}")
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
    _check_confidence(confidence)
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
    _check_confidence(confidence)
    if not sd >= 0:
        raise ValueError(f"sd must be >= 0, got {sd!r}")
    if n < 2:
        return Interval(math.nan, math.nan)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * sd / math.sqrt(n)
    return Interval(mean - half, mean + half)


def adjust_pvalues(p_values: ArrayLike, method: str = "fdr_bh") -> NDArray[np.float64]:
    """Adjust p-values for multiple comparisons; NaN entries are ignored and stay NaN.

    ``"fdr_bh"``: Benjamini-Hochberg (1995) step-up adjusted p-values,
    ``min_{j >= i} (m * p_(j) / j)`` capped at 1 (as R ``p.adjust(method = "BH")``).
    ``"bonferroni"``: ``min(m * p, 1)``. ``m`` is the number of non-NaN p-values.
    """
    if method not in _ADJUST_METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {_ADJUST_METHODS}")
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    mask = ~np.isnan(p)
    values = p[mask]
    if ((values < 0) | (values > 1)).any():
        raise ValueError("p-values must lie in [0, 1]")
    m = values.size
    if m == 0:
        return out
    if method == "bonferroni":
        adjusted = np.minimum(values * m, 1.0)
    else:
        order = np.argsort(values)
        scaled = values[order] * m / np.arange(1, m + 1)
        monotone = np.minimum.accumulate(scaled[::-1])[::-1]
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(monotone, 1.0)
    out[mask] = adjusted
    return out
