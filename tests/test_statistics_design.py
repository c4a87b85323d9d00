"""Tests for assets.statistics.design against published R ``survey`` (and Stata) outputs.

Every expected number is copied from a published printout cited beside it and compared to the
precision printed there (``printed(d)``: half a unit in the last printed digit, plus slack).
Sources:

- [api.Rout] R survey's saved test output ``tests/api.Rout.save`` (CRAN mirror
  github.com/cran/survey), the ``example(api)`` designs ``dstrat`` and ``dclus1``.
- [summary], [domain] Lumley's survey package pages
  r-survey.r-forge.r-project.org/survey/example-summary.html and .../example-domain.html.
- [lonely.Rout] ``tests/lonely.psu.Rout.save`` (R 4.1.1, survey 4.x, cran/survey).
- [fpc.Rout], [domain.Rout], [deff.Rout] ``tests/fpc.Rout.save``, ``tests/domain.Rout.save``,
  ``tests/deff.Rout.save`` (cran/survey); their data are printed in the same files.
- [Stata] StataCorp (J. Pitblado), Statalist 27 Aug 2004, www.stata.com/statalist/archive/
  2004-08/msg00816.html: ``sysuse auto; svyset, srs; svymean foreign`` (22 of 74 cars foreign).

The api data (California Academic Performance Index samples, ``data(api)`` in R survey) are in
tests/data/ (see tests/data/README.md).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assets.statistics.design import (
    DESIGN_LOGIT_INTERVAL,
    DESIGN_T_INTERVAL,
    DesignEstimate,
    design_mean,
    design_proportion,
)

DATA = Path(__file__).resolve().parent / "data"


def printed(decimals: int) -> float:
    """Tolerance for a value printed with ``decimals`` decimal places (half a unit + slack)."""
    return 0.5 * 10.0**-decimals + 1e-12


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(DATA / "apiclus1.csv")


@pytest.fixture(scope="module")
def apistrat() -> pd.DataFrame:
    return pd.read_csv(DATA / "apistrat.csv")


def dclus1(frame: pd.DataFrame) -> dict:
    """``svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)`` as keyword arguments."""
    return {"weights": frame.pw, "clusters": frame.dnum, "fpc": frame.fpc}


# R `fpc` data, printed in [fpc.Rout] by example(fpc): stratid, psuid, weight, nh, Nh, x.
FPC = pd.DataFrame(
    [
        (1, 1, 3, 5, 15, 2.8),
        (1, 2, 3, 5, 15, 4.1),
        (1, 3, 3, 5, 15, 6.8),
        (1, 4, 3, 5, 15, 6.8),
        (1, 5, 3, 5, 15, 9.2),
        (2, 1, 4, 3, 12, 3.7),
        (2, 2, 4, 3, 12, 6.6),
        (2, 3, 4, 3, 12, 4.2),
    ],
    columns=["stratid", "psuid", "weight", "nh", "Nh", "x"],
)

# Takahiro Tsuchiya's `kigyo` data, printed in [deff.Rout]: uriage, srs.w (all 100), pps.w.
URIAGE = np.array([15, 143, 21, 51, 337, 50, 274, 145, 15, 86], dtype=float)
PPS_W = np.array([20, 200, 11, 25, 550, 30, 250, 100, 10, 55], dtype=float)


# --- svymean on the api designs ------------------------------------------------------------


def test_stratified_mean_api(apistrat):
    # [api.Rout] dstrat<-svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    # svymean(~api00, dstrat): mean 662.29, SE 9.4089.
    r = design_mean(apistrat.api00, apistrat.pw, strata=apistrat.stype, fpc=apistrat.fpc)
    assert r.estimate == pytest.approx(662.29, abs=printed(2))
    assert r.se == pytest.approx(9.4089, abs=printed(4))
    assert (r.df, r.n, r.method) == (200 - 3, 200, DESIGN_T_INTERVAL)
    t = stats.t.ppf(0.975, r.df)
    assert (r.ci_low, r.ci_high) == pytest.approx((r.estimate - t * r.se, r.estimate + t * r.se))


def test_cluster_mean_api(apiclus1):
    # [api.Rout] svymean(~api00, dclus1): 644.17, SE 23.542;
    # [summary] svymean(~api00+api99+stype, dclus1): api00 644.169399, SE 23.5422.
    r = design_mean(apiclus1.api00, **dclus1(apiclus1))
    assert r.estimate == pytest.approx(644.169399, abs=printed(6))
    assert r.se == pytest.approx(23.5422, abs=printed(4))
    assert r.se == pytest.approx(23.542, abs=printed(3))
    assert r.df == 15 - 1  # 15 districts, one stratum


@pytest.mark.parametrize(
    ("stype", "p", "se"),
    [("E", 0.786885, 0.0463), ("H", 0.076503, 0.0268), ("M", 0.136612, 0.0296)],
)
def test_cluster_proportion_api(apiclus1, stype, p, se):
    # [summary] svymean(~api00+api99+stype, dclus1): proportions of stype and their SE.
    r = design_proportion(apiclus1.stype == stype, **dclus1(apiclus1))
    assert r.estimate == pytest.approx(p, abs=printed(6))
    assert r.se == pytest.approx(se, abs=printed(4))
    assert r.method == DESIGN_LOGIT_INTERVAL
    # Logit interval of svyciprop(method="logit") / Stata svy: proportion, evaluated from the
    # published p and SE (t on 14 df). The SE is printed to 4 decimals, which moves the bounds
    # by at most ~2e-4 here.
    t = stats.t.ppf(0.975, 14)
    logit, half = math.log(p / (1 - p)), t * se / (p * (1 - p))
    expected = [1 / (1 + math.exp(-(logit + s * half))) for s in (-1, 1)]
    assert [r.ci_low, r.ci_high] == pytest.approx(expected, abs=3e-4)
    assert r.ci_low < r.estimate < r.ci_high


@pytest.mark.parametrize(
    ("stype", "sch_wide", "mean", "se"),
    [
        ("E", "No", 596.3333, 43.49010),
        ("E", "Yes", 653.6439, 20.31720),
        ("H", "No", 659.3333, 27.00275),
        ("H", "Yes", 607.4545, 43.70468),
        ("M", "No", 606.3750, 41.11686),
    ],
)
def test_domain_means_api(apiclus1, stype, sch_wide, mean, se):
    # [domain] svyby(~api99+api00, ~stype+sch.wide, dclus1, svymean, keep.var=TRUE), api00.
    # Rows outside the domain are NaN: they contribute zero, all 15 PSUs stay in the variance.
    inside = (apiclus1.stype == stype) & (apiclus1["sch.wide"] == sch_wide)
    r = design_mean(apiclus1.api00.where(inside), **dclus1(apiclus1))
    assert r.estimate == pytest.approx(mean, abs=printed(4))
    assert r.se == pytest.approx(se, abs=printed(5))
    assert r.n == int(inside.sum())
    # df as R's degf(subset(dclus1, domain)): districts holding the domain, minus one stratum.
    assert r.df == apiclus1.dnum[inside].nunique() - 1


# --- lonely PSUs -----------------------------------------------------------------------------


def test_lonely_psu_fail_names_the_stratum(apiclus1):
    # [lonely.Rout] ds<-svydesign(id=~1, weights=~pw, strata=~dnum, data=apiclus1);
    # options(survey.lonely.psu="fail"): "Stratum (413) has only one PSU at stage 1".
    with pytest.raises(ValueError, match=r"stratum 413\b"):
        design_mean(apiclus1.api00, apiclus1.pw, strata=apiclus1.dnum)


@pytest.mark.parametrize(
    ("rule", "se"), [("remove", 5.8058), ("adjust", 5.8281), ("average", 6.0096)]
)
def test_lonely_psu_rules(apiclus1, rule, se):
    # [lonely.Rout] svymean(~api00, ds) under each survey.lonely.psu: 644.17 and the SE.
    r = design_mean(apiclus1.api00, apiclus1.pw, strata=apiclus1.dnum, lonely_psu=rule)
    assert r.estimate == pytest.approx(644.17, abs=printed(2))
    assert r.se == pytest.approx(se, abs=printed(4))


@pytest.mark.parametrize("rule", ["fail", "remove", "adjust", "average"])
def test_certainty_stratum_is_not_lonely(apiclus1, rule):
    # [lonely.Rout] fpc<-ifelse(apiclus1$dnum==413, 1, 1000): stratum 413 is a certainty PSU
    # (population of one PSU), so no rule is triggered: 644.17, SE 5.7344 under every rule.
    fpc = np.where(apiclus1.dnum == 413, 1, 1000)
    r = design_mean(apiclus1.api00, apiclus1.pw, strata=apiclus1.dnum, fpc=fpc, lonely_psu=rule)
    assert r.estimate == pytest.approx(644.17, abs=printed(2))
    assert r.se == pytest.approx(5.7344, abs=printed(4))


@pytest.mark.parametrize("rule", ["fail", "remove", "adjust", "average"])
def test_lonely_only_in_domain(apiclus1, rule):
    # [lonely.Rout] ds<-svydesign(id=~1, weights=~pw, strata=~dnum,
    # data=subset(apiclus1, dnum != 413)); ds1<-ds[-31,]: stratum 406 keeps one of its two
    # PSUs in the domain; with the default survey.adjust.domain.lonely=FALSE every rule gives
    # 645.14, SE 5.8909.
    sub = apiclus1[apiclus1.dnum != 413].reset_index(drop=True)
    assert sub.dnum[30] == 406
    y = sub.api00.astype(float).mask(sub.index == 30)
    r = design_mean(y, sub.pw, strata=sub.dnum, lonely_psu=rule)
    assert r.estimate == pytest.approx(645.14, abs=printed(2))
    assert r.se == pytest.approx(5.8909, abs=printed(4))


# --- finite population correction, domains, nested PSU numbers -----------------------------


def test_fpc_as_population_size_and_as_fraction():
    # [fpc.Rout] svydesign(weights=~weight, ids=~psuid, strata=~stratid, data=fpc, nest=TRUE):
    # svymean(~x): 5.4481, SE 0.7413 without fpc; SE 0.616 with fpc=~Nh and with fpc=~I(nh/Nh).
    kw = {"strata": FPC.stratid, "clusters": FPC.psuid}
    without = design_mean(FPC.x, FPC.weight, **kw)
    assert without.estimate == pytest.approx(5.4481, abs=printed(4))
    assert without.se == pytest.approx(0.7413, abs=printed(4))
    for fpc in (FPC.Nh, FPC.nh / FPC.Nh):
        r = design_mean(FPC.x, FPC.weight, fpc=fpc, **kw)
        assert r.estimate == pytest.approx(5.4481, abs=printed(4))
        assert r.se == pytest.approx(0.616, abs=printed(3))
    assert without.df == 8 - 2


@pytest.mark.parametrize(
    ("above", "mean", "se"), [(True, 6.195, 0.7555129), (False, 3.314286, 0.3117042)]
)
def test_domain_mean_fpc_data(above, mean, se):
    # [domain.Rout] dfpc<-svydesign(id=~psuid, strat=~stratid, weight=~weight, data=fpc,
    # nest=TRUE); svyby(~x, ~I(x>4), design=dfpc, svymean, keep.var=TRUE):
    # FALSE 3.314286 (0.3117042), TRUE 6.195000 (0.7555129); svymean(~x, subset(dfpc, x>4)):
    # 6.195, SE 0.7555.
    inside = (FPC.x > 4) == above
    r = design_mean(FPC.x.where(inside), FPC.weight, strata=FPC.stratid, clusters=FPC.psuid)
    assert r.estimate == pytest.approx(mean, abs=printed(6))
    assert r.se == pytest.approx(se, abs=printed(7))


# --- design effects, equal weights, Stata ----------------------------------------------------


def test_deff_srs_weights():
    # [deff.Rout] des.srs<-svydesign(ids=~1, weights=~srs.w, data=kigyo);
    # svymean(~uriage, des.srs, deff=TRUE): 113.700, SE 35.626, DEff 1.0101 (= 1.010101:
    # SE^2 / ((1 - 10/1000) * svyvar / 10), i.e. 1 / (1 - n/N) with N = sum of weights).
    r = design_mean(URIAGE, np.full(10, 100.0))
    assert r.estimate == pytest.approx(113.700, abs=printed(3))
    assert r.se == pytest.approx(35.626, abs=printed(3))
    assert r.deff == pytest.approx(1.010101, abs=printed(6))
    assert (r.kish_deff, r.n_eff, r.df) == (pytest.approx(1.0), pytest.approx(10.0), 9)


def test_deff_pps_weights():
    # [deff.Rout] des.pps<-svydesign(ids=~1, weights=~pps.w, data=kigyo): svymean 243.914,
    # SE 48.752; deff="replace" 1.974067 = SE^2 / (svyvar/10); N.hat = 1251. R's deff=TRUE
    # divides by (1 - n/N) svyvar / n instead, so it is 1.974067 * 1251 / (1251 - 10).
    r = design_mean(URIAGE, PPS_W)
    assert r.estimate == pytest.approx(243.914, abs=printed(3))
    assert r.se == pytest.approx(48.752, abs=printed(3))
    assert r.deff == pytest.approx(1.974067 * 1251 / 1241, abs=printed(6) * 1251 / 1241)
    assert r.kish_deff == pytest.approx(10 * (PPS_W**2).sum() / PPS_W.sum() ** 2)


def test_stata_srs_mean_and_t_interval():
    # [Stata] svymean foreign, svyset srs: .2972973, SE .0534958, 95% CI .1906803 .4039143
    # (t on 73 df). 22 of the 74 cars in auto.dta are foreign.
    foreign = np.r_[np.ones(22), np.zeros(52)]
    r = design_mean(foreign, np.ones(74))
    assert r.estimate == pytest.approx(0.2972973, abs=printed(7))
    assert r.se == pytest.approx(0.0534958, abs=printed(7))
    assert (r.ci_low, r.ci_high) == (
        pytest.approx(0.1906803, abs=printed(7)),
        pytest.approx(0.4039143, abs=printed(7)),
    )
    assert r.df == 73
    # sum(w) == n: no population larger than the sample, R's deff is NA/Inf; here NaN.
    # (Stata prints Deff 1 for this design; its deff is defined differently without fpc.)
    assert math.isnan(r.deff)
    p = design_proportion(foreign, np.ones(74))
    assert (p.estimate, p.se) == (pytest.approx(r.estimate), pytest.approx(r.se))


def test_equal_weights_reduce_to_srs():
    # Without fpc R's design is with replacement: SE = s / sqrt(n), s with n - 1, which is the
    # textbook SRS standard error; fpc = N multiplies it by sqrt(1 - n/N). Weights scale away.
    y = np.array([3.1, 4.7, 2.2, 8.9, 5.5, 6.1, 7.3, 1.8, 4.4, 5.0, 6.6])
    n = y.size
    for w in (np.ones(n), np.full(n, 37.5)):
        r = design_mean(y, w)
        assert r.estimate == pytest.approx(y.mean())
        assert r.se == pytest.approx(y.std(ddof=1) / math.sqrt(n))
        assert r.df == n - 1
    r = design_mean(y, np.full(n, 10.0), fpc=np.full(n, 110))
    assert r.se == pytest.approx(y.std(ddof=1) / math.sqrt(n) * math.sqrt(1 - n / 110))
    assert r.deff == pytest.approx(1.0)


def test_kish_deff_and_effective_n_by_hand():
    # w = 1, 1, 2, 4: sum 8, sum of squares 22; Kish deff = 4 * 22 / 64, n_eff = 64 / 22.
    r = design_mean([1.0, 2.0, 3.0, 4.0], [1, 1, 2, 4])
    assert r.kish_deff == pytest.approx(1.375)
    assert r.n_eff == pytest.approx(64 / 22)
    assert r.n == 4


# --- proportions at the boundary, missing values ---------------------------------------------


@pytest.mark.parametrize("value", [0, 1])
def test_proportion_at_boundary_has_no_interval(apiclus1, value):
    # The logit interval does not exist at p = 0 or 1 (R svyciprop: "None of the methods will
    # work when the observed proportion is exactly 0 or 1"): NaN bounds, "not estimable".
    r = design_proportion(np.full(len(apiclus1), value), **dclus1(apiclus1))
    assert r.estimate == value
    assert r.se == pytest.approx(0.0, abs=1e-15)
    assert math.isnan(r.ci_low) and math.isnan(r.ci_high)


def test_missing_values_are_outside_the_domain():
    y = pd.Series([1.0, 2.0, None, 4.0, 5.0, None, 7.0, 8.0])
    w = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0])
    nullable = pd.array([1, 2, None, 4, 5, None, 7, 8], dtype="Int64")
    a = design_mean(y, w, clusters=[1, 1, 2, 2, 3, 3, 4, 4])
    b = design_mean(nullable, w, clusters=[1, 1, 2, 2, 3, 3, 4, 4])
    assert a == b
    assert a.n == 6
    with pytest.raises(ValueError, match="non-missing"):
        design_mean([math.nan, math.nan], [1.0, 1.0])


def test_zero_df_gives_no_interval():
    r = design_mean([5.0], [2.0], lonely_psu="remove")
    assert (r.estimate, r.se, r.df) == (5.0, 0.0, 0)
    assert math.isnan(r.ci_low) and math.isnan(r.ci_high)


def test_result_is_frozen():
    r = design_mean([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    assert isinstance(r, DesignEstimate)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 0.0  # type: ignore[misc]


# --- bad input -------------------------------------------------------------------------------

Y = [1.0, 0.0, 1.0, 1.0]
W = [1.0, 2.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": [1.0, 2.0, 1.0]}, "weights must have 4"),
        ({"strata": [1, 1, 2]}, "strata must be"),
        ({"clusters": [1, 2, 3, 4, 5]}, "clusters must be"),
        ({"fpc": [10, 10, 10]}, "fpc must be"),
        ({"weights": [1.0, -2.0, 1.0, 2.0]}, "weights must be finite and >= 0"),
        ({"weights": [1.0, math.nan, 1.0, 2.0]}, "weights must be finite"),
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0.0}, "confidence"),
        ({"confidence": 95}, "confidence"),
        ({"lonely_psu": "certainty"}, "unknown lonely_psu"),
        ({"strata": [1, 1, 2, 2], "fpc": [10, 10, 10, 20]}, "constant within each stratum"),
        ({"fpc": [3, 3, 3, 3]}, "over 100%"),
        ({"fpc": [0, 0, 0, 0]}, "fpc must be finite and > 0"),
        ({"strata": ["a", None, "b", "b"]}, "strata has missing values"),
    ],
)
@pytest.mark.parametrize("estimator", [design_mean, design_proportion])
def test_bad_input_raises(estimator, kwargs, message):
    args = {"values": Y, "weights": W, **kwargs}
    with pytest.raises(ValueError, match=message):
        estimator(args.pop("values"), args.pop("weights"), **args)


def test_infinite_values_raise():
    with pytest.raises(ValueError, match="values must be finite"):
        design_mean([1.0, math.inf, 0.0], [1.0, 1.0, 1.0])


def test_proportion_needs_zero_one_values():
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        design_proportion([0.0, 0.5, 1.0], [1.0, 1.0, 1.0])
