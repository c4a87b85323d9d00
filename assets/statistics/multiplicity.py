"""Multiple comparisons: Benjamini-Hochberg and Bonferroni adjusted p-values."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from assets.statistics.results import (
    ADJUST_METHODS,
)


def adjust_pvalues(p_values: ArrayLike, method: str = "fdr_bh") -> NDArray[np.float64]:
    """Adjust p-values for multiple comparisons; NaN entries are ignored and stay NaN.

    ``"fdr_bh"``: Benjamini-Hochberg (1995) step-up adjusted p-values,
    ``min_{j >= i} (m * p_(j) / j)`` capped at 1 (as R ``p.adjust(method = "BH")``).
    ``"bonferroni"``: ``min(m * p, 1)``. ``m`` is the number of non-NaN p-values.
    """
    if method not in ADJUST_METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {ADJUST_METHODS}")
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
