"""Paired data: Newcombe paired interval, McNemar tests, paired t comparison of means.

A paired 2x2 table is given as four counts: ``both`` (yes in both rounds), ``first_only``
(yes only in the first round; McNemar's b), ``second_only`` (yes only in the second round;
McNemar's c) and ``neither``. Differences are second minus first: ``(c - b) / n``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from assets.statistics.proportions import wilson_interval
from assets.statistics.results import ComparisonResult, Interval, check_confidence

#: ``test`` value for McNemar's chi-squared test, (b - c)**2 / (b + c), 1 df.
MCNEMAR_TEST = "McNemar chi-squared (no continuity correction)"
#: ``test`` value for McNemar's chi-squared test with Edwards' continuity correction,
#: (|b - c| - 1)**2 / (b + c), 1 df (R's ``mcnemar.test`` default, ``correct = TRUE``).
MCNEMAR_CC_TEST = "McNemar chi-squared (continuity correction)"
#: ``test`` value for the exact McNemar test: two-sided binomial test of c out of b + c, p = 1/2.
MCNEMAR_EXACT_TEST = "McNemar exact (binomial, two-sided)"
#: ``test`` value for the paired t test on the within-pair differences, n - 1 df.
PAIRED_T_TEST = "paired t"

#: Under ``exact="auto"`` the exact test is used when the number of discordant pairs b + c is
#: below this value. Rule of thumb that the chi-squared approximation is poor for b + c < 25
#: (stated e.g. in Wikipedia "McNemar's test"); Fagerland et al. (2013, BMC Med Res Methodol
#: 13:91) note the exact test is conservative, so it is kept to small discordant counts only.
MIN_DISCORDANT_PAIRS = 25

EXACT_OPTIONS = ("auto", True, False)


@dataclass(frozen=True)
class McNemarResult:
    """McNemar test on the discordant pairs: statistic, two-sided p-value, method name."""

    statistic: float
    p_value: float
    test: str


def _check_table(both: float, first_only: float, second_only: float, neither: float) -> float:
    cells = {"both": both, "first_only": first_only, "second_only": second_only, "neither": neither}
    for name, value in cells.items():
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite count >= 0, got {value!r}")
    n = both + first_only + second_only + neither
    if n <= 0:
        raise ValueError("the paired table is empty (all four counts are 0)")
    return n


def _newcombe_phi(a: float, b: float, c: float, d: float) -> float:
    """Newcombe's continuity-corrected phi for method 10 (0 when a margin is empty)."""
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return 0.0
    n = a + b + c + d
    cross = a * d - b * c
    if cross > n / 2.0:
        return (cross - n / 2.0) / math.sqrt(margins)
    if cross >= 0:
        return 0.0
    return cross / math.sqrt(margins)


def paired_newcombe_difference_interval(
    both: float, first_only: float, second_only: float, neither: float, confidence: float = 0.95
) -> Interval:
    """Newcombe hybrid score interval for paired ``p_second - p_first``.

    Newcombe (1998), Stat Med 17:2635-2650, method 10. With (a, b, c, d) = (both, first_only,
    second_only, neither), Wilson intervals (l1, u1) for p1 = (a + b)/n and (l2, u2) for
    p2 = (a + c)/n are combined with a correlation term::

        low  = D - sqrt((p2 - l2)**2 - 2*phi*(p2 - l2)*(u1 - p1) + (u1 - p1)**2)
        high = D + sqrt((u2 - p2)**2 - 2*phi*(u2 - p2)*(p1 - l1) + (p1 - l1)**2)

    with D = p2 - p1 and Newcombe's corrected phi: with A = a*d - b*c, phi is
    (A - n/2)/sqrt(margins) if A > n/2, 0 if 0 <= A <= n/2, A/sqrt(margins) if A < 0, and
    0 whenever the product of the four margins is 0. Bounds are clipped to [-1, 1].
    """
    n = _check_table(both, first_only, second_only, neither)
    check_confidence(confidence)
    x1, x2 = both + first_only, both + second_only
    l1, u1 = wilson_interval(x1, n, confidence)
    l2, u2 = wilson_interval(x2, n, confidence)
    p1, p2 = x1 / n, x2 / n
    phi = _newcombe_phi(both, first_only, second_only, neither)
    d = p2 - p1
    lo2, up1 = p2 - l2, u1 - p1
    up2, lo1 = u2 - p2, p1 - l1
    low = d - math.sqrt(max(0.0, lo2**2 - 2.0 * phi * lo2 * up1 + up1**2))
    high = d + math.sqrt(max(0.0, up2**2 - 2.0 * phi * up2 * lo1 + lo1**2))
    return Interval(max(-1.0, low), min(1.0, high))


def mcnemar_test(
    both: float,
    first_only: float,
    second_only: float,
    neither: float,
    *,
    exact: bool | str = "auto",
    correction: bool = False,
) -> McNemarResult:
    """McNemar test of marginal homogeneity on the discordant pairs b (first_only), c.

    ``exact=False``: chi-squared with 1 df; statistic (b - c)**2/(b + c), or with
    ``correction=True`` (max(|b - c| - 1, 0))**2/(b + c) (R ``mcnemar.test`` defaults to
    ``correct = TRUE`` and, like this, applies no correction when b == c). The chi-squared
    statistic is unsigned; the direction is in the difference.
    ``exact=True``: ``scipy.stats.binomtest(c, b + c, 0.5, alternative="two-sided")``;
    ``statistic`` is c, the discordant pairs in favour of the second round; counts must be
    integers and ``correction`` is ignored.
    ``exact="auto"``: exact when b + c < :data:`MIN_DISCORDANT_PAIRS`, else chi-squared.
    With no discordant pairs (b + c == 0): statistic 0.0 and p_value 1.0 (R gives NaN).
    """
    if exact is not True and exact is not False and exact != "auto":
        raise ValueError(f"exact must be one of {EXACT_OPTIONS}, got {exact!r}")
    _check_table(both, first_only, second_only, neither)
    b, c = first_only, second_only
    discordant = b + c
    use_exact = discordant < MIN_DISCORDANT_PAIRS if exact == "auto" else bool(exact)

    if use_exact:
        if float(b) != int(b) or float(c) != int(c):
            raise ValueError(f"the exact McNemar test needs integer counts, got b={b!r}, c={c!r}")
        if discordant == 0:
            return McNemarResult(0.0, 1.0, MCNEMAR_EXACT_TEST)
        res = stats.binomtest(int(c), int(discordant), 0.5, alternative="two-sided")
        return McNemarResult(float(c), float(res.pvalue), MCNEMAR_EXACT_TEST)

    name = MCNEMAR_CC_TEST if correction else MCNEMAR_TEST
    if discordant == 0:
        return McNemarResult(0.0, 1.0, name)
    gap = max(abs(b - c) - 1.0, 0.0) if correction else abs(b - c)
    statistic = float(gap**2 / discordant)
    return McNemarResult(statistic, float(stats.chi2.sf(statistic, 1)), name)


def compare_paired_proportions(
    both: float,
    first_only: float,
    second_only: float,
    neither: float,
    *,
    exact: bool | str = "auto",
    correction: bool = False,
    confidence: float = 0.95,
) -> ComparisonResult:
    """Compare paired proportions: difference ``(c - b)/n``, Newcombe interval, McNemar test.

    Interval: :func:`paired_newcombe_difference_interval` (Newcombe 1998, method 10).
    Test: :func:`mcnemar_test` with the same ``exact`` and ``correction``; ``df`` is 1 for the
    chi-squared tests and None for the exact test.
    """
    interval = paired_newcombe_difference_interval(
        both, first_only, second_only, neither, confidence
    )
    n = both + first_only + second_only + neither
    difference = (both + second_only) / n - (both + first_only) / n
    test = mcnemar_test(both, first_only, second_only, neither, exact=exact, correction=correction)
    df = None if test.test == MCNEMAR_EXACT_TEST else 1.0
    return ComparisonResult(
        difference, interval.low, interval.high, test.statistic, test.p_value, test.test, df
    )


def compare_paired_means(
    first: ArrayLike, second: ArrayLike, *, confidence: float = 0.95
) -> ComparisonResult:
    """Paired t comparison of matched values; difference is ``mean(second - first)``.

    ``first[i]`` and ``second[i]`` are the same unit; pairs where either value is NaN are
    dropped. Statistic and p-value from ``scipy.stats.ttest_rel(second, first)`` (two-sided,
    n - 1 df); interval ``mean +/- t_{n-1, (1+confidence)/2} * sd / sqrt(n)`` of the
    differences. With one complete pair, or all differences equal (zero standard error), the
    statistic, p-value and interval are NaN.
    """
    check_confidence(confidence)
    a = np.asarray(first, dtype=float).ravel()
    b = np.asarray(second, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"first and second must have equal length, got {a.size} and {b.size}")
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if np.isinf(a).any() or np.isinf(b).any():
        raise ValueError("first and second must not contain infinite values")
    n = int(a.size)
    if n == 0:
        raise ValueError("no complete pairs (every pair has a missing value)")
    diffs = b - a
    difference = float(diffs.mean())
    se = float(diffs.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    df = float(n - 1) if n > 1 else math.nan
    if se == 0:
        nan = math.nan
        return ComparisonResult(difference, nan, nan, nan, nan, PAIRED_T_TEST, df)
    res = stats.ttest_rel(b, a, axis=0, nan_policy="propagate", alternative="two-sided")
    half = float(stats.t.ppf(0.5 + confidence / 2.0, df)) * se
    low, high = difference - half, difference + half
    t, p = float(res.statistic), float(res.pvalue)
    return ComparisonResult(difference, low, high, t, p, PAIRED_T_TEST, df)
