"""Standardised effect sizes: Cohen's d for two means and Cohen's h for two proportions.

Both are second minus first (``*2`` minus ``*1``), like every difference in this package.
"""

from __future__ import annotations

import math


def cohens_d(mean1: float, sd1: float, n1: int, mean2: float, sd2: float, n2: int) -> float:
    """Cohen's d, ``(mean2 - mean1) / s_pooled``, with (n - 1)-weighted pooled SD.

    Cohen (1988), Statistical Power Analysis for the Behavioral Sciences, 2nd ed., section 2.2
    (d_s in Lakens 2013, Front Psychol 4:863, eq. 1):
    ``s_pooled = sqrt(((n1 - 1)*sd1**2 + (n2 - 1)*sd2**2) / (n1 + n2 - 2))``. No small-sample
    (Hedges) correction. NaN when the pooled SD is 0.
    """
    values = {"mean1": mean1, "sd1": sd1, "mean2": mean2, "sd2": sd2}
    for name, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
    if sd1 < 0 or sd2 < 0:
        raise ValueError(f"standard deviations must be >= 0, got sd1={sd1!r}, sd2={sd2!r}")
    if n1 < 1 or n2 < 1 or n1 + n2 < 3:
        raise ValueError(f"need n1, n2 >= 1 and n1 + n2 >= 3, got n1={n1}, n2={n2}")
    pooled = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))
    if pooled == 0:
        return math.nan
    return (mean2 - mean1) / pooled


def cohens_h(p1: float, p2: float) -> float:
    """Cohen's h, ``2*asin(sqrt(p2)) - 2*asin(sqrt(p1))`` (Cohen 1988, section 6.2)."""
    for name, value in (("p1", p1), ("p2", p2)):
        if not 0.0 <= value <= 1.0:  # also rejects NaN
            raise ValueError(f"{name} must be a proportion in [0, 1], got {value!r}")
    return 2.0 * math.asin(math.sqrt(p2)) - 2.0 * math.asin(math.sqrt(p1))
