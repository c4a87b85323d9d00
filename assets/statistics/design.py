"""Design-based (complex survey) mean and proportion: Taylor linearisation, as R ``survey``.

Matches ``svydesign(ids=~clusters, strata=~strata, weights=~weights, fpc=~fpc)`` followed by
``svymean`` / ``svyciprop(method="logit")`` (Lumley 2004, J Stat Softw 9(8); Lumley 2010,
Complex Surveys, ch. 2-3). Conventions, each as R ``survey`` 4.x unless stated:

- Ultimate clusters: the variance uses first-stage units only. A PSU is a (stratum, cluster)
  pair, as ``nest=TRUE``; ``clusters=None`` makes every row its own PSU (``ids=~1``) and
  ``strata=None`` is one stratum.
- Variance: ``sum_h (1 - f_h) n_h/(n_h - 1) sum_i (z_hi - zbar_h)^2`` over PSU totals ``z`` of
  ``w (y - ybar) / sum(w)``. Without ``fpc`` the design is with replacement (``f_h = 0``).
- ``fpc``: per row, constant within a stratum; if every value is <= 1 it is the sampling
  fraction of PSUs, otherwise the population number of PSUs in the stratum (R's rule).
- Missing values (NaN) are outside the domain, as ``svymean(..., na.rm=TRUE)`` or a
  ``subset()`` design: they add zero to every PSU total, PSUs and strata still count in
  ``n_h``, and ``df`` is ``degf()`` of the subset: PSUs minus strata that hold a non-missing
  row with positive weight (as ``svyciprop`` on a subset; Stata's ``subpop()`` keeps the df of
  the whole design).
- Lonely PSU (a stratum with one PSU that is not a certainty PSU, ``f_h < 1``), R's
  ``options(survey.lonely.psu=)``: ``"fail"`` raises ValueError naming the strata; ``"remove"``
  drops its contribution; ``"adjust"`` centres its PSU total on the grand mean of all PSU totals
  instead of the stratum mean; ``"average"`` drops it and scales the variance by
  ``#strata / #strata-with-a-variance``. A lonely PSU inside a domain only (the design stratum
  has 2+ PSUs) is not lonely: R's default ``survey.adjust.domain.lonely=FALSE``.
- ``deff``: R's ``svymean(..., deff=TRUE)``: design variance over the SRS-without-replacement
  variance ``(1 - n/N) s^2 / n`` with ``N = sum(w)`` and ``s^2 = n/(n-1) sum w (y-ybar)^2 /
  sum w``; NaN when ``sum(w) <= n`` (R: NA with a warning, or Inf when equal).
- ``kish_deff = n sum(w^2) / sum(w)^2`` and ``n_eff = sum(w)^2 / sum(w^2)`` (Kish 1965), over
  rows with a value and positive weight; ``n`` counts those rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from assets.statistics.results import ComparisonResult, check_confidence

#: ``method`` of :func:`design_mean`: estimate +/- t(design df) * se.
DESIGN_T_INTERVAL = "t interval, design df (Taylor linearisation)"
#: ``method`` of :func:`design_proportion`: R ``svyciprop(method="logit")``, Stata ``svy: prop``.
DESIGN_LOGIT_INTERVAL = "logit interval, design df (Taylor linearisation)"
#: Accepted ``lonely_psu`` rules, as R's ``options(survey.lonely.psu=)``.
LONELY_PSU_RULES = ("fail", "adjust", "average", "remove")
_CERTAIN = 1e-7  # R: a stratum with (1 - f) below this contributes no variance


@dataclass(frozen=True)
class DesignEstimate:
    """Design-based estimate: standard error, interval, design df and design effects.

    ``ci_low``/``ci_high`` are NaN when the interval is undefined: ``df < 1``, or a proportion
    of exactly 0 or 1 (the logit interval does not exist there: report "not estimable").
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    deff: float
    kish_deff: float
    n_eff: float
    n: int
    method: str


def _codes(labels: ArrayLike | None, n: int, name: str,
           compact: bool = True) -> tuple[NDArray[np.intp], NDArray]:
    if labels is None:
        return np.zeros(n, dtype=np.intp), np.array(["(unstratified)"], dtype=object)
    arr = np.asarray(labels)
    if arr.shape != (n,):
        raise ValueError(f"{name} must be one-dimensional with {n} entries, got shape {arr.shape}")
    codes, uniques = _sorted_codes(arr, compact)
    if arr.dtype.kind not in "iu" and (codes < 0).any():  # integers cannot be missing
        raise ValueError(f"{name} has missing values")
    return codes, np.asarray(uniques, dtype=object)


def _sorted_codes(values: NDArray, compact: bool = True) -> tuple[NDArray[np.intp], NDArray]:
    """Codes 0..k-1 in the sorted order of the distinct values (np.unique's inverse), and those.

    Integers over a range not much wider than the array are coded through a table over the range
    (no hashing or sorting; the same codes); ``compact=False`` returns them as value - minimum
    (the same order, gaps left). Anything else by pd.factorize (-1 for a missing value).
    """
    if values.dtype.kind in "iu" and values.size:
        low, high = int(values.min()), int(values.max())
        if high - low <= 4 * values.size + 1024 and max(-low, high) <= 2**62:
            offset = np.subtract(values, low, dtype=np.intp, casting="unsafe")  # |x| <= 2**62
            present = np.zeros(high - low + 1, dtype=bool)
            present[offset] = True
            if not compact:
                return offset, np.flatnonzero(present) + low
            rank = np.cumsum(present, dtype=np.intp) - 1
            return rank[offset], np.flatnonzero(present) + low
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.intp, copy=False), np.asarray(uniques)


def _fpc_by_stratum(fpc: ArrayLike, stratum: NDArray, n_h: NDArray, n: int) -> NDArray:
    """Sampling fraction of PSUs per stratum from R-style ``fpc`` (fraction or population)."""
    f = np.asarray(fpc, dtype=float)
    if f.shape != (n,):
        raise ValueError(f"fpc must be one-dimensional with {n} entries, got shape {f.shape}")
    if not np.all(np.isfinite(f) & (f > 0)):
        raise ValueError("fpc must be finite and > 0")
    first = np.zeros(len(n_h))
    first[stratum] = f
    if np.any(f != first[stratum]):
        raise ValueError("fpc must be constant within each stratum")
    if np.all(first <= 1):
        return first
    if np.any(first < n_h):
        raise ValueError("fpc: population number of PSUs below the sampled number (over 100%)")
    return n_h / first


def _floats(x: ArrayLike) -> NDArray[np.float64]:
    """Float array; pandas nullable missing values (``pd.NA``) become NaN."""
    if hasattr(x, "to_numpy"):
        return np.asarray(x.to_numpy(dtype=float, na_value=np.nan))
    return np.asarray(x, dtype=float)


def _linearise(y, weights, strata, clusters, fpc, lonely_psu):
    """Estimate, variance, df, n, deff, kish_deff, n_eff: the core shared by both estimators."""
    if lonely_psu not in LONELY_PSU_RULES:
        raise ValueError(f"unknown lonely_psu {lonely_psu!r}; expected one of {LONELY_PSU_RULES}")
    y, w = _floats(y), _floats(weights)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"values must be a non-empty one-dimensional array, got {y.shape}")
    n_rows = y.size
    if w.shape != (n_rows,):
        raise ValueError(f"weights must have {n_rows} entries like values, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and >= 0")
    if np.any(np.isinf(y)):
        raise ValueError("values must be finite (NaN marks a missing value)")
    stratum, labels = _codes(strata, n_rows, "strata")
    if clusters is None:
        cluster = np.arange(n_rows, dtype=np.intp)
    else:
        cluster, _ = _codes(clusters, n_rows, "clusters", compact=False)
    # PSU = (stratum, cluster) pair, numbered 0..P-1 in that order; psu_h is each PSU's stratum.
    key = stratum * (int(cluster.max()) + 1)
    key += cluster
    psu, psus = _sorted_codes(key)
    psu_h = np.empty(len(psus), dtype=np.intp)
    psu_h[psu] = stratum
    n_strata = len(labels)
    n_h = np.bincount(psu_h, minlength=n_strata)
    f_h = np.zeros(n_strata) if fpc is None else _fpc_by_stratum(fpc, stratum, n_h, n_rows)

    inside = w > 0
    inside &= y == y  # not NaN
    n = int(np.count_nonzero(inside))
    if n == 0:
        raise ValueError("no row has both a non-missing value and a positive weight")
    wd, yd = w * inside, np.where(inside, y, 0.0)
    total_w = float(wd.sum())
    estimate = float((wd * yd).sum() / total_w)
    residual = yd - estimate
    contribution = wd * residual
    contribution /= total_w
    z = np.bincount(psu, contribution)
    zbar_h = np.bincount(psu_h, z, minlength=n_strata) / n_h
    centred = z - zbar_h[psu_h]

    lonely = (n_h == 1) & (1 - f_h >= _CERTAIN)
    if lonely.any() and lonely_psu == "fail":
        names = ", ".join(str(s) for s in labels[lonely])
        where = f"stratum {names}" if lonely.sum() == 1 else f"each of strata {names}"
        raise ValueError(
            f"only one PSU in {where}; choose lonely_psu 'adjust', 'average' or 'remove'"
        )
    if lonely_psu == "adjust":
        centred = np.where(lonely[psu_h], z - z.mean(), centred)
    scale = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0) * (1 - f_h)
    scale[(1 - f_h) < _CERTAIN] = 0.0
    if lonely_psu in ("remove", "average"):
        scale[lonely] = 0.0
    variance = float((scale[psu_h] * centred**2).sum())
    if lonely_psu == "average" and lonely.any():
        variance *= n_strata / (n_strata - lonely.sum()) if n_strata > lonely.sum() else math.nan

    # The PSUs holding a row with a value and a positive weight: those whose total of wd is > 0.
    with_data = np.bincount(psu, wd, minlength=len(psu_h)) > 0
    df = int(np.count_nonzero(with_data)
             - np.count_nonzero(np.bincount(psu_h[with_data], minlength=n_strata)))
    squares = residual * residual
    squares *= wd
    s2 = squares.sum() / total_w * n / (n - 1) if n > 1 else math.nan
    v_srs = s2 * (total_w - n) / (total_w * n)
    deff = float(variance / v_srs) if total_w > n and v_srs > 0 else math.nan
    sum_w2 = float(np.square(wd).sum())
    return estimate, variance, df, n, deff, n * sum_w2 / total_w**2, total_w**2 / sum_w2


def _t(confidence: float, df: int) -> float:
    # stats.t.ppf's own function, without its ~0.3 ms of argument handling per call.
    return float(special.stdtrit(df, 0.5 + confidence / 2.0)) if df >= 1 else math.nan


def design_mean(
    values: ArrayLike,
    weights: ArrayLike,
    *,
    strata: ArrayLike | None = None,
    clusters: ArrayLike | None = None,
    fpc: ArrayLike | None = None,
    confidence: float = 0.95,
    lonely_psu: str = "fail",
) -> DesignEstimate:
    """Weighted mean with its design-based standard error and t interval on the design df.

    R ``svymean`` (see the module docstring for every convention); the interval is
    ``estimate +/- t(df) * se``, as ``confint(svymean(...), df=degf(design))`` and Stata
    ``svy: mean`` (R's ``confint`` default is ``df=Inf``, a normal interval).
    """
    check_confidence(confidence)
    est, var, df, n, deff, kish, n_eff = _linearise(
        values, weights, strata, clusters, fpc, lonely_psu
    )
    se = math.sqrt(var) if var >= 0 else math.nan
    half = _t(confidence, df) * se
    return DesignEstimate(
        est, se, est - half, est + half, df, deff, kish, n_eff, n, DESIGN_T_INTERVAL
    )


def design_proportion(
    values: ArrayLike,
    weights: ArrayLike,
    *,
    strata: ArrayLike | None = None,
    clusters: ArrayLike | None = None,
    fpc: ArrayLike | None = None,
    confidence: float = 0.95,
    lonely_psu: str = "fail",
) -> DesignEstimate:
    """Weighted proportion of 0/1 ``values`` with the logit interval on the design df.

    R ``svyciprop(method="logit")`` (Stata ``svy: proportion`` uses the same interval):
    ``expit(logit(p) +/- t(df) * se / (p (1 - p)))``, with ``se`` the linearised standard
    error of ``p`` (``svymean``). At ``p`` = 0 or 1 the interval is undefined and both bounds
    are NaN; the caller publishes the cell as not estimable.
    """
    y = _floats(values)
    if not np.all(np.isnan(y) | (y == 0) | (y == 1)):
        raise ValueError("values of a proportion must be 0, 1 or NaN (missing)")
    check_confidence(confidence)
    p, var, df, n, deff, kish, n_eff = _linearise(y, weights, strata, clusters, fpc, lonely_psu)
    se = math.sqrt(var) if var >= 0 else math.nan
    low = high = math.nan
    if 0.0 < p < 1.0:
        centre = math.log(p / (1.0 - p))
        half = _t(confidence, df) * se / (p * (1.0 - p))
        low, high = _expit(centre - half), _expit(centre + half)
    return DesignEstimate(p, se, low, high, df, deff, kish, n_eff, n, DESIGN_LOGIT_INTERVAL)


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


#: ``test`` value for the comparison of two independent design-based estimates.
DESIGN_DIFFERENCE_TEST = "design-based t (Taylor linearisation, independent rounds)"


def compare_design_estimates(
    first: DesignEstimate, second: DesignEstimate, *, confidence: float = 0.95
) -> ComparisonResult:
    """Difference of two independent design-based estimates (second minus first) with a t test.

    Independent samples: ``se = sqrt(se1^2 + se2^2)``; df = df1 + df2, the design df when the
    rounds are strata of one design (PSUs minus strata over both rounds), as spec/comparisons.md
    states. CI ``difference +/- t(df) * se``; two-sided p from t(df).
    """
    check_confidence(confidence)
    difference = second.estimate - first.estimate
    se = math.sqrt(first.se**2 + second.se**2)
    df = first.df + second.df
    if not se > 0 or df < 1:
        return ComparisonResult(difference, math.nan, math.nan, math.nan, math.nan,
                                DESIGN_DIFFERENCE_TEST, float(df))
    statistic = difference / se
    half = _t(confidence, df) * se
    p_value = float(2.0 * stats.t.sf(abs(statistic), df))
    return ComparisonResult(difference, difference - half, difference + half, statistic, p_value,
                            DESIGN_DIFFERENCE_TEST, float(df))
