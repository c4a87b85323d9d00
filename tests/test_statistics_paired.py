"""Tests for assets.statistics.paired and assets.statistics.effect_sizes.

Every expected number comes from a published source cited beside it and is compared to the
precision printed there (``abs=`` half a unit in the last printed digit, plus float slack).
Our convention is second minus first; arguments are ordered to give the published sign, or the
published sign is flipped where noted. Paired tables are (both, first_only, second_only,
neither); McNemar's b is first_only and c is second_only.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from assets.statistics import ComparisonResult, Interval
from assets.statistics.effect_sizes import cohens_d, cohens_h
from assets.statistics.paired import (
    MCNEMAR_CC_TEST,
    MCNEMAR_EXACT_TEST,
    MCNEMAR_TEST,
    MIN_DISCORDANT_PAIRS,
    PAIRED_T_TEST,
    McNemarResult,
    compare_paired_means,
    compare_paired_proportions,
    mcnemar_test,
    paired_newcombe_difference_interval,
)


def printed(decimals: int) -> float:
    """Tolerance for a value printed with ``decimals`` decimal places (half a unit + slack)."""
    return 0.5 * 10.0**-decimals + 1e-12


# R `sleep` data (Cushny & Peebles): extra hours of sleep of the same 10 patients, drug 1, 2.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# ------------------------------------------------------- Newcombe paired interval, method 10

# Newcombe RG (1998) Improved confidence intervals for the difference between binomial
# proportions based on paired data. Stat Med 17:2635-2650, Table III (pp. 2641-2642), method 10
# column, 95% limits to 4 decimals. Newcombe's cells e, f, g, h are (both, +/- , -/+, neither)
# and his difference is (f - g)/n, first variable minus second; we pass first_only=g,
# second_only=f so that our second-minus-first has his sign. I could not read the paper itself:
# the rows are as transcribed identically by several public reimplementations, and the row
# (20, 12, 2, 16) -> 0.0562, 0.3292 is also asserted "against Newcombe's method 10 result" in
# the R package ratesci (petelaud/ratesci, tests/testthat/test3.R).
NEWCOMBE_TABLE_III = [
    # (e, f, g, h, lower, upper)
    (36, 12, 2, 0, 0.0569, 0.3404),
    (20, 12, 2, 16, 0.0562, 0.3292),
    (18, 12, 2, 18, 0.0562, 0.3290),
    (36, 14, 0, 0, 0.1528, 0.4167),
    (35, 14, 0, 1, 0.1461, 0.4175),
    (18, 14, 0, 18, 0.1441, 0.3963),
    (2, 97, 1, 0, 0.8721, 0.9854),
    (0, 29, 1, 0, 0.6666, 0.9882),
    (2, 98, 0, 0, 0.9178, 0.9945),
    (1, 98, 0, 1, 0.9171, 0.9916),
    (0, 30, 0, 0, 0.8395, 1.0000),
    (54, 0, 0, 0, -0.0664, 0.0664),
    (53, 0, 0, 1, -0.0729, 0.0729),
    (30, 0, 0, 24, -0.0358, 0.0358),
    (29, 0, 0, 25, -0.0354, 0.0354),
    (28, 0, 0, 26, -0.0352, 0.0352),
    (27, 0, 0, 27, -0.0351, 0.0351),
]


@pytest.mark.parametrize(("e", "f", "g", "h", "low", "high"), NEWCOMBE_TABLE_III)
def test_newcombe_paired_matches_table_iii_method_10(
    e: int, f: int, g: int, h: int, low: float, high: float
) -> None:
    interval = paired_newcombe_difference_interval(e, g, f, h)
    assert interval.low == pytest.approx(low, abs=printed(4))
    assert interval.high == pytest.approx(high, abs=printed(4))
    # Swapping the rounds negates the difference and mirrors the interval.
    mirrored = paired_newcombe_difference_interval(e, f, g, h)
    assert (mirrored.low, mirrored.high) == pytest.approx((-interval.high, -interval.low))


def test_newcombe_paired_row_with_printed_last_digit_one_unit_low() -> None:
    # Table III row (1, 97, 1, 1), method 10 printed as 0.8736, 0.9850. Here ad - bc = -96 < 0,
    # so Newcombe's phi correction does not apply and method 10 equals the uncorrected
    # square-and-add interval, whose lower limit is 0.87367 (0.8737 to 4 decimals; one public
    # transcription of the same table gives 0.8737 for the uncorrected method). The printed
    # 0.8736 looks truncated, so the lower limit is checked to one unit in the 4th decimal.
    interval = paired_newcombe_difference_interval(1, 1, 97, 1)
    assert interval.low == pytest.approx(0.8736, abs=1e-4)
    assert interval.low == pytest.approx(0.8737, abs=printed(4))
    assert interval.high == pytest.approx(0.9850, abs=printed(4))


def test_newcombe_paired_matches_fagerland_2014_bentur_example() -> None:
    # Fagerland MW, Lydersen S, Laake P (2014) Recommended tests and confidence intervals for
    # paired binomial proportions. Stat Med 33:2850-2875: airway hyper-responsiveness before
    # and after stem cell transplantation (Bentur et al. 2009), table [[1, 1], [7, 12]] (rows
    # before, columns after); Newcombe square-and-add interval for before minus after
    # "-0.507 to -0.026" (as quoted in ratesci tests/testthat/test3.R and its paired-contrasts
    # vignette, MOVER-NW -0.5069 -0.0256). Ours is after minus before, so the signs flip.
    interval = paired_newcombe_difference_interval(1, 1, 7, 12)
    assert interval.low == pytest.approx(0.026, abs=printed(3))
    assert interval.high == pytest.approx(0.507, abs=printed(3))
    assert interval.low == pytest.approx(0.0256, abs=printed(4))
    assert interval.high == pytest.approx(0.5069, abs=printed(4))


def test_newcombe_paired_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="first_only"):
        paired_newcombe_difference_interval(1, -1, 2, 3)
    with pytest.raises(ValueError, match="empty"):
        paired_newcombe_difference_interval(0, 0, 0, 0)
    with pytest.raises(ValueError, match="neither"):
        paired_newcombe_difference_interval(1, 1, 2, math.nan)
    for confidence in (0.0, 1.0, 95.0):
        with pytest.raises(ValueError, match="confidence"):
            paired_newcombe_difference_interval(20, 2, 12, 16, confidence=confidence)


# ------------------------------------------------------------------------------- McNemar

# R ?mcnemar.test example (Agresti 1990, p. 350, Presidential Approval Ratings):
# Performance <- matrix(c(794, 86, 150, 570), nrow = 2, dimnames = list("1st Survey" = ...,
# "2nd Survey" = ...)). R fills by column, so [1, 2] = 150 approve -> disapprove (first_only,
# b) and [2, 1] = 86 disapprove -> approve (second_only, c).
APPROVAL = (794, 150, 86, 570)


def test_mcnemar_matches_r_presidential_approval() -> None:
    # R prints, for mcnemar.test(Performance) (default correct = TRUE): "McNemar's chi-squared
    # = 16.818, df = 1, p-value = 4.115e-05", and with correct = FALSE: "McNemar's chi-squared
    # = 17.356, df = 1, p-value = 3.099e-05" (the latter also Penn State STAT 504, "McNemar
    # Test in R", https://online.stat.psu.edu/stat504/node/97/: "17.3559, df = 1, p-value =
    # 3.099e-05"). The 34.712 / 3.822e-09 in the task brief is not R's output: 34.712 is twice
    # 17.356, and (|86 - 150| - 1)**2 / 236 = 16.818.
    corrected = mcnemar_test(*APPROVAL, correction=True)
    assert corrected.test == MCNEMAR_CC_TEST
    assert corrected.statistic == pytest.approx(16.818, abs=printed(3))
    assert corrected.statistic == pytest.approx((abs(86 - 150) - 1) ** 2 / 236, rel=1e-12)
    assert corrected.p_value == pytest.approx(4.115e-05, abs=printed(8))
    plain = mcnemar_test(*APPROVAL)
    assert plain.test == MCNEMAR_TEST
    assert plain.statistic == pytest.approx(17.356, abs=printed(3))
    assert plain.statistic == pytest.approx((150 - 86) ** 2 / 236, rel=1e-12)
    assert plain.p_value == pytest.approx(3.099e-05, abs=printed(8))


def test_compare_paired_proportions_presidential_approval() -> None:
    # Agresti (1990, p. 350): approval fell from 944/1600 = 0.59 to 880/1600 = 0.55.
    result = compare_paired_proportions(*APPROVAL)
    assert result.difference == pytest.approx(0.55 - 0.59, abs=1e-12)
    assert result.test == MCNEMAR_TEST and result.df == 1.0
    assert result.statistic == pytest.approx(17.356, abs=printed(3))
    assert result.interval == paired_newcombe_difference_interval(*APPROVAL)
    assert result.ci_low < result.difference < result.ci_high < 0


def test_exact_mcnemar_matches_published_example_and_binomtest() -> None:
    # Calcugator chi2_mcnemar tutorial (http://www.calcugator.com/version_2/tutorial/
    # function_bot_rig.php?type=FN_chi2_mcnemar): 20 teenagers, in favour of the death penalty
    # before/after lectures, table [[1, 11], [3, 5]]: "Two-tails probability:
    # 0.05737304687500008". b = 11 (in favour -> against), c = 3.
    result = mcnemar_test(1, 11, 3, 5)
    assert result.test == MCNEMAR_EXACT_TEST
    assert result.statistic == 3.0  # c, discordant pairs in favour of the second round
    assert result.p_value == pytest.approx(0.05737304687500008, abs=1e-15)
    assert result.p_value == 2 * (1 + 14 + 91 + 364) / 2**14  # 2 * P(X <= 3), X ~ Bin(14, 1/2)
    direct = stats.binomtest(3, 14, 0.5, alternative="two-sided")
    assert result.p_value == pytest.approx(direct.pvalue, rel=1e-12)


def test_exact_and_corrected_mcnemar_match_stat_tools_calculator() -> None:
    # https://stat-tools.xyz/mcnemar?alpha=0.05&b=12&c=5: "Chi-square (cc): 2.1176,
    # p (chi-square): 0.1456, p (exact): 0.1435".
    exact = mcnemar_test(0, 12, 5, 0, exact=True)
    assert exact.p_value == pytest.approx(0.1435, abs=printed(4))
    corrected = mcnemar_test(0, 12, 5, 0, exact=False, correction=True)
    assert corrected.statistic == pytest.approx(2.1176, abs=printed(4))
    assert corrected.p_value == pytest.approx(0.1456, abs=printed(4))


def test_auto_switches_to_exact_below_threshold() -> None:
    assert MIN_DISCORDANT_PAIRS == 25
    assert mcnemar_test(10, 12, 12, 10).test == MCNEMAR_EXACT_TEST  # b + c = 24
    assert mcnemar_test(10, 12, 13, 10).test == MCNEMAR_TEST  # b + c = 25
    assert mcnemar_test(10, 12, 13, 10, correction=True).test == MCNEMAR_CC_TEST
    assert mcnemar_test(10, 12, 13, 10, exact=True).test == MCNEMAR_EXACT_TEST
    assert mcnemar_test(1, 11, 3, 5, exact=False).test == MCNEMAR_TEST
    assert compare_paired_proportions(1, 11, 3, 5).df is None


def test_no_discordant_pairs() -> None:
    for exact in ("auto", True, False):
        for correction in (False, True):
            result = mcnemar_test(15, 0, 0, 14, exact=exact, correction=correction)
            assert (result.statistic, result.p_value) == (0.0, 1.0)
    result = compare_paired_proportions(15, 0, 0, 14)
    assert result.difference == 0.0 and result.ci_low < 0 < result.ci_high


def test_corrected_statistic_is_zero_when_b_equals_c() -> None:
    # R's mcnemar.test source corrects only `if (correct && (r == 2) && any(x - t(x) != 0))`,
    # so a symmetric table gives 0, not (|b - c| - 1)**2 / (b + c) = 1 / (b + c).
    result = mcnemar_test(5, 20, 20, 5, exact=False, correction=True)
    assert (result.statistic, result.p_value) == (0.0, 1.0)


def test_paired_sign_convention_second_minus_first() -> None:
    up = compare_paired_proportions(20, 2, 12, 16)
    down = compare_paired_proportions(20, 12, 2, 16)
    assert up.difference == pytest.approx(10 / 50) and up.ci_low > 0
    assert down.difference == pytest.approx(-10 / 50) and down.ci_high < 0
    assert (down.ci_low, down.ci_high) == pytest.approx((-up.ci_high, -up.ci_low))
    assert down.p_value == pytest.approx(up.p_value)
    assert (up.statistic, down.statistic) == (12.0, 2.0)  # exact: c in favour of round two


def test_mcnemar_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="exact"):
        mcnemar_test(1, 2, 3, 4, exact="yes")
    with pytest.raises(ValueError, match="exact"):
        mcnemar_test(1, 2, 3, 4, exact=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="integer"):
        mcnemar_test(1, 2.5, 3, 4, exact=True)
    with pytest.raises(ValueError, match="second_only"):
        compare_paired_proportions(1, 2, -3, 4)
    with pytest.raises(ValueError, match="empty"):
        compare_paired_proportions(0, 0, 0, 0)
    with pytest.raises(ValueError, match="confidence"):
        compare_paired_proportions(1, 2, 3, 4, confidence=1.5)


def test_paired_results_are_frozen() -> None:
    result = mcnemar_test(*APPROVAL)
    assert isinstance(result, McNemarResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_value = 0.0  # type: ignore[misc]
    assert isinstance(compare_paired_proportions(*APPROVAL), ComparisonResult)
    assert isinstance(paired_newcombe_difference_interval(*APPROVAL), Interval)


# ------------------------------------------------------------------------------ paired t


def test_paired_t_matches_r_sleep_example() -> None:
    # R t.test(extra ~ group, data = sleep, paired = TRUE), output printed in Meys & de Vries,
    # "R For Dummies", "How to Compare Paired Data with R": "t = -4.0621, df = 9, p-value =
    # 0.002833 ... 95 percent confidence interval: -2.4598858 -0.7001142 ... mean of the
    # differences -1.58" (group 1 minus group 2). Ours is group 2 minus group 1.
    result = compare_paired_means(SLEEP_1, SLEEP_2)
    assert result.test == PAIRED_T_TEST
    assert result.df == 9
    assert result.difference == pytest.approx(1.58, abs=1e-12)
    assert result.statistic == pytest.approx(4.0621, abs=printed(4))
    assert result.p_value == pytest.approx(0.002833, abs=printed(6))
    assert result.ci_low == pytest.approx(0.7001142, abs=printed(7))
    assert result.ci_high == pytest.approx(2.4598858, abs=printed(7))
    scipy_ci = stats.ttest_rel(SLEEP_2, SLEEP_1).confidence_interval(confidence_level=0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx((scipy_ci.low, scipy_ci.high))


def test_paired_t_matches_dalgaard_intake_example() -> None:
    # Dalgaard P (2008) Introductory Statistics with R, 2nd ed., section 4.6, p. 91, ISwR
    # `intake` data (energy intake of 11 women pre- and postmenstrually): t.test(pre, post,
    # paired = T): "t = 11.9414, df = 10, p-value = 3.059e-07 ... 95 percent confidence
    # interval: 1074.072 1566.838 ... mean of the differences 1320.455" (pre minus post); the
    # printed post - pre differences are -1350 -1250 -1755 -1020 -745 -1835 -1540 -1540 -725
    # -1330 -1435. Ours is post minus pre, so the signs flip.
    pre = [5260, 5470, 5640, 6180, 6390, 6515, 6805, 7515, 7515, 8230, 8770]
    post = [3910, 4220, 3885, 5160, 5645, 4680, 5265, 5975, 6790, 6900, 7335]
    printed_differences = [-1350, -1250, -1755, -1020, -745, -1835, -1540, -1540, -725, -1330,
                           -1435]
    assert np.subtract(post, pre).tolist() == printed_differences
    result = compare_paired_means(pre, post)
    assert result.df == 10
    assert result.difference == pytest.approx(-1320.455, abs=printed(3))
    assert result.statistic == pytest.approx(-11.9414, abs=printed(4))
    assert result.p_value == pytest.approx(3.059e-07, abs=printed(10))
    assert result.ci_low == pytest.approx(-1566.838, abs=printed(3))
    assert result.ci_high == pytest.approx(-1074.072, abs=printed(3))


def test_paired_t_drops_incomplete_pairs() -> None:
    first = [*SLEEP_1, math.nan, 1.0, math.nan]
    second = [*SLEEP_2, 2.0, math.nan, math.nan]
    assert compare_paired_means(first, second) == compare_paired_means(SLEEP_1, SLEEP_2)


def test_paired_t_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="equal length"):
        compare_paired_means(SLEEP_1, SLEEP_2[:-1])
    with pytest.raises(ValueError, match="no complete pairs"):
        compare_paired_means([1.0, math.nan], [math.nan, 2.0])
    with pytest.raises(ValueError, match="infinite"):
        compare_paired_means([1.0, math.inf], [1.0, 2.0])
    with pytest.raises(ValueError, match="confidence"):
        compare_paired_means(SLEEP_1, SLEEP_2, confidence=0.0)


def test_paired_t_degenerate_cases_are_nan() -> None:
    single = compare_paired_means([1.0, math.nan], [3.0, 4.0])
    assert single.difference == 2.0
    assert math.isnan(single.statistic) and math.isnan(single.ci_low) and math.isnan(single.df)
    constant = compare_paired_means([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])
    assert constant.difference == 1.0 and constant.df == 2
    assert math.isnan(constant.p_value) and math.isnan(constant.ci_high)


# --------------------------------------------------------------------------- effect sizes

# R datasets::mtcars mpg by transmission (Henderson & Velleman 1981): am = 0 automatic (19
# cars), am = 1 manual (13 cars), in data-set row order.
MPG_AUTOMATIC = [21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4,
                 14.7, 21.5, 15.5, 15.2, 13.3, 19.2]
MPG_MANUAL = [21.0, 21.0, 22.8, 32.4, 30.4, 33.9, 27.3, 26.0, 30.4, 15.8, 19.7, 15.0, 21.4]


def test_cohens_d_matches_r_effectsize_mtcars() -> None:
    # R effectsize README / reference (easystats): cohens_d(mpg ~ am, data = mtcars)
    # "Cohen's d | 95% CI: -1.48 | [-2.27, -0.67]" (pooled SD, am = 0 minus am = 1).
    auto, manual = np.array(MPG_AUTOMATIC), np.array(MPG_MANUAL)
    args_manual = (manual.mean(), manual.std(ddof=1), manual.size)
    args_auto = (auto.mean(), auto.std(ddof=1), auto.size)
    assert cohens_d(*args_manual, *args_auto) == pytest.approx(-1.48, abs=printed(2))
    assert cohens_d(*args_auto, *args_manual) == pytest.approx(1.48, abs=printed(2))


def test_cohens_d_equal_sds_and_sign() -> None:
    # With equal SDs the pooled SD is that SD: d = (12 - 10) / 4 = 0.5, Cohen's "medium" d.
    assert cohens_d(10.0, 4.0, 30, 12.0, 4.0, 50) == pytest.approx(0.5, rel=1e-12)
    assert cohens_d(12.0, 4.0, 50, 10.0, 4.0, 30) == pytest.approx(-0.5, rel=1e-12)
    assert math.isnan(cohens_d(1.0, 0.0, 5, 2.0, 0.0, 5))
    with pytest.raises(ValueError):
        cohens_d(1.0, -1.0, 5, 2.0, 1.0, 5)
    with pytest.raises(ValueError):
        cohens_d(1.0, 1.0, 1, 2.0, 1.0, 1)
    with pytest.raises(ValueError):
        cohens_d(math.nan, 1.0, 5, 2.0, 1.0, 5)


def test_cohens_h_matches_pwr_es_h() -> None:
    # R pwr::ES.h documentation, "Exercise 6.5 p. 203 from Cohen" (1988): h <- ES.h(0.5, 0.4)
    # prints "[1] 0.2013579" (rdrr.io example output); ES.h(p1, p2) is p1's transform minus
    # p2's, so ours is cohens_h(0.4, 0.5).
    assert cohens_h(0.4, 0.5) == pytest.approx(0.2013579, abs=printed(7))
    assert cohens_h(0.5, 0.4) == pytest.approx(-0.2013579, abs=printed(7))
    assert cohens_h(0.0, 1.0) == pytest.approx(math.pi)
    assert cohens_h(0.3, 0.3) == 0.0
    for bad in (-0.1, 1.1, math.nan):
        with pytest.raises(ValueError):
            cohens_h(bad, 0.5)
