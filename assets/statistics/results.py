"""Result types, method names and argument checks shared by the statistics modules."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

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

PROPORTION_TESTS = ("auto", "z", "fisher")
ADJUST_METHODS = ("fdr_bh", "bonferroni")


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


def check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def check_counts(count: float, nobs: float, label: str = "") -> None:
    if not (math.isfinite(count) and math.isfinite(nobs)):
        raise ValueError(f"{label}count and nobs must be finite, got {count!r} and {nobs!r}")
    if nobs <= 0:
        raise ValueError(f"{label}nobs must be > 0, got {nobs!r}")
    if not 0 <= count <= nobs:
        raise ValueError(f"{label}count must satisfy 0 <= count <= nobs, got {count!r}/{nobs!r}")


def z_critical(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


