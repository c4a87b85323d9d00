"""Tests for assets.statistics against published reference outputs.

Every expected number is taken from a published source cited beside it and is compared to the
precision printed there (``abs=`` half a unit in the last printed digit, plus float slack).
Our convention is second minus first, so arguments are ordered to give the published sign, or
the published sign is flipped where noted.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from assets.statistics import (
    FISHER_TEST,
    STUDENT_TEST,
    WELCH_TEST,
    Z_TEST,
    ComparisonResult,
    Interval,
    adjust_pvalues,
    compare_means,
    compare_means_from_stats,
    compare_proportions,
    newcombe_difference_interval,
    t_interval,
    wilson_interval,
)


def printed(decimals: int) -> float:
    """Tolerance for a value printed with ``decimals`` decimal places (half a unit + slack)."""
    return 0.5 * 10.0**-decimals + 1e-12


# R `sleep` data (Cushny & Peebles), extra hours of sleep, group 1 and group 2.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


# --------------------------------------------------------------------------- Wilson interval


@pytest.mark.parametrize(
    ("count", "nobs", "low", "high"),
    [
        # Newcombe RG (1998) Two-sided confidence intervals for the single proportion.
        # Stat Med 17:857-872, Table I, method 3 (score, no continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # Project specification (survey outcome examples), Wilson 95%.
        (30, 278, 0.0766, 0.1499),
        (3, 250, 0.0041, 0.0347),
    ],
)
def test_wilson_matches_published(count: int, nobs: int, low: float, high: float) -> None:
    interval = wilson_interval(count, nobs)
    assert interval.low == pytest.approx(low, abs=printed(4))
    assert interval.high == pytest.approx(high, abs=printed(4))


def test_wilson_boundaries_are_exact_and_interval_unpacks() -> None:
    low, high = wilson_interval(0, 20)
    assert low == 0.0
    assert wilson_interval(20, 20).high == 1.0
    assert high < 1.0


@pytest.mark.parametrize(
    ("count", "nobs"), [(1, 0), (-1, 10), (11, 10), (1, -5), (math.nan, 10), (1, math.inf)]
)
def test_wilson_rejects_bad_counts(count: float, nobs: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(count, nobs)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95.0, -0.5])
def test_wilson_rejects_bad_confidence(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(5, 10, confidence=confidence)


# ------------------------------------------------------------- Newcombe difference interval

# Newcombe RG (1998) Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Stat Med 17:873-890, Table II, method 10 (hybrid score, no
# continuity correction). Newcombe's difference is p_a - p_b for "a/m vs b/n"; we call
# (first = b/n, second = a/m) so that our second-minus-first has Newcombe's sign.
NEWCOMBE_TABLE_II = [
    # (a, m, b, n, published difference, lower, upper)
    (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),  # example (a)
    (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),  # example (b)
    (6, 7, 2, 7, 0.5714, 0.0582, 0.8062),  # example (c)
    (5, 56, 0, 29, 0.0893, -0.0381, 0.1926),  # example (d)
    (0, 10, 0, 20, 0.0000, -0.1611, 0.2775),  # example (e)
    (0, 10, 0, 10, 0.0000, -0.2775, 0.2775),  # example (f)
    (10, 10, 0, 20, 1.0000, 0.6791, 1.0000),  # example (g)
    (10, 10, 0, 10, 1.0000, 0.6075, 1.0000),  # example (h)
]


@pytest.mark.parametrize(("a", "m", "b", "n", "diff", "low", "high"), NEWCOMBE_TABLE_II)
def test_newcombe_method_10_matches_table_ii(
    a: int, m: int, b: int, n: int, diff: float, low: float, high: float
) -> None:
    interval = newcombe_difference_interval(b, n, a, m)
    assert interval.low == pytest.approx(low, abs=printed(4))
    assert interval.high == pytest.approx(high, abs=printed(4))
    result = compare_proportions(b, n, a, m)
    assert result.difference == pytest.approx(diff, abs=printed(4))
    assert (result.ci_low, result.ci_high) == (interval.low, interval.high)


def test_newcombe_reversed_order_mirrors_interval() -> None:
    # Swapping the groups negates the difference and mirrors the interval: (a) of Table II.
    interval = newcombe_difference_interval(56, 70, 48, 80)
    assert interval.low == pytest.approx(-0.3339, abs=printed(4))
    assert interval.high == pytest.approx(-0.0524, abs=printed(4))


def test_newcombe_rejects_bad_counts() -> None:
    with pytest.raises(ValueError, match="second group"):
        newcombe_difference_interval(1, 10, 11, 10)
    with pytest.raises(ValueError, match="first group"):
        newcombe_difference_interval(1, 0, 1, 10)


# ----------------------------------------------------------------------- compare_proportions

# R prop.test(tab1, correct = FALSE) output printed at
# https://influentialpoints.com/notes/n9rmf3.htm : "X-squared = 6.1026, df = 1,
# p-value = 0.01350 ... prop 1 0.4392523, prop 2 0.3046875". The counts 94/214 and 39/128 are
# the only ones (n <= 600) reproducing both printed proportions and X-squared; they also
# reproduce the printed Wald interval 0.03074072 0.23838896 exactly.
PROP_TEST_GROUP_1 = (94, 214)
PROP_TEST_GROUP_2 = (39, 128)


def test_z_test_matches_r_prop_test_without_correction() -> None:
    # first = prop 2, second = prop 1, so the difference is positive like R's prop 1 - prop 2.
    result = compare_proportions(*PROP_TEST_GROUP_2, *PROP_TEST_GROUP_1, test="z")
    assert result.test == Z_TEST
    assert result.df is None
    assert result.difference == pytest.approx(0.4392523 - 0.3046875, abs=printed(7))
    assert result.statistic > 0
    assert result.statistic**2 == pytest.approx(6.1026, abs=printed(4))  # X-squared
    assert result.p_value == pytest.approx(0.01350, abs=printed(5))


def test_z_squared_equals_uncorrected_pearson_chi_squared() -> None:
    x1, n1 = 48, 80
    x2, n2 = 56, 70
    result = compare_proportions(x1, n1, x2, n2, test="z")
    table = np.array([[x2, n2 - x2], [x1, n1 - x1]])
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    assert dof == 1
    assert result.statistic**2 == pytest.approx(chi2, rel=1e-12)
    assert result.p_value == pytest.approx(p, rel=1e-10)


def test_sign_convention_second_minus_first() -> None:
    up = compare_proportions(10, 100, 30, 100)
    down = compare_proportions(30, 100, 10, 100)
    assert up.difference == pytest.approx(0.2)
    assert up.statistic > 0 and up.ci_low > 0
    assert down.difference == pytest.approx(-0.2)
    assert down.statistic == pytest.approx(-up.statistic)
    assert (down.ci_low, down.ci_high) == pytest.approx((-up.ci_high, -up.ci_low))
    assert down.p_value == pytest.approx(up.p_value)


def test_fisher_matches_r_tea_tasting() -> None:
    # R fisher.test(matrix(c(3, 1, 1, 3), nrow = 2)) two-sided: "p-value = 0.4857"
    # (R ?fisher.test TeaTasting example; output printed in Penn State STAT 504,
    # https://online.stat.psu.edu/onlinecourses/sites/stat504/files/lesson03/TeaLady.out).
    # Expected counts are 2 < 5, so "auto" must choose Fisher.
    result = compare_proportions(1, 4, 3, 4)
    assert result.test == FISHER_TEST
    assert result.p_value == pytest.approx(0.4857, abs=printed(4))
    assert result.statistic == pytest.approx(9.0)  # sample odds ratio (3*3)/(1*1)
    assert result.difference == pytest.approx(0.5)


def test_fisher_matches_r_output_forced() -> None:
    # R fisher.test(matrix(c(2, 10, 20, 13), ncol = 2, byrow = TRUE)): "p-value = 0.01655"
    # (https://matstat.org/content_en/R-course/_site/fisher_test.html). Rows are the groups:
    # second = 2/12, first = 20/33. All expected counts are >= 5, so "auto" picks z.
    forced = compare_proportions(20, 33, 2, 12, test="fisher")
    assert forced.test == FISHER_TEST
    assert forced.p_value == pytest.approx(0.01655, abs=printed(5))
    assert forced.statistic == pytest.approx(2 * 13 / (10 * 20))  # sample odds ratio 0.13
    assert compare_proportions(20, 33, 2, 12).test == Z_TEST


def test_auto_uses_fisher_when_an_expected_count_is_below_five() -> None:
    # Pooled p = 6/200, expected successes 3 per group (< 5) although n is large.
    assert compare_proportions(2, 100, 4, 100).test == FISHER_TEST
    # Pooled p = 10/200: expected successes exactly 5 -> z.
    assert compare_proportions(4, 100, 6, 100).test == Z_TEST
    # All zero: pooled p is 0, expected counts 0 -> Fisher, p = 1.
    zeros = compare_proportions(0, 10, 0, 20)
    assert zeros.test == FISHER_TEST
    assert zeros.p_value == pytest.approx(1.0)


def test_forced_z_with_degenerate_pooled_proportion_is_nan() -> None:
    for args in [(0, 10, 0, 20), (10, 10, 20, 20)]:
        result = compare_proportions(*args, test="z")
        assert result.test == Z_TEST
        assert math.isnan(result.statistic) and math.isnan(result.p_value)


def test_compare_proportions_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown test"):
        compare_proportions(1, 10, 2, 10, test="chi2")
    with pytest.raises(ValueError):
        compare_proportions(11, 10, 2, 10)
    with pytest.raises(ValueError, match="integer"):
        compare_proportions(1.5, 10, 2, 10, test="fisher")


def test_results_are_frozen() -> None:
    result = compare_proportions(1, 10, 2, 10)
    assert isinstance(result, ComparisonResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_value = 0.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Interval(0.0, 1.0).low = 0.5  # type: ignore[misc]


# ------------------------------------------------------------------------------ t tests


def test_welch_matches_r_sleep_example() -> None:
    # R t.test(extra ~ group, data = sleep) (R ?t.test example, Welch): "t = -1.8608,
    # df = 17.776, p-value = 0.07939", 95% CI of mean1 - mean2 "-3.3654832 0.2054832",
    # means 0.75 and 2.33. Ours is group 2 minus group 1, so signs flip.
    result = compare_means(SLEEP_1, SLEEP_2)
    assert result.test == WELCH_TEST
    assert result.difference == pytest.approx(2.33 - 0.75, abs=1e-12)
    assert result.statistic == pytest.approx(1.8608, abs=printed(4))
    assert result.df == pytest.approx(17.776, abs=printed(3))
    assert result.p_value == pytest.approx(0.07939, abs=printed(5))
    assert result.ci_low == pytest.approx(-0.2054832, abs=printed(7))
    assert result.ci_high == pytest.approx(3.3654832, abs=printed(7))


def test_compare_means_drops_nan() -> None:
    with_nan = compare_means([*SLEEP_1, math.nan], [math.nan, *SLEEP_2])
    assert with_nan == compare_means(SLEEP_1, SLEEP_2)


def test_welch_matches_r_t_test_documentation_comments() -> None:
    # R ?t.test examples: "t.test(1:10, y = c(7:20))  # P = .00001855" and
    # "t.test(1:10, y = c(7:20, 200))  # P = .1245    -- NOT significant anymore".
    first = list(range(1, 11))
    assert compare_means(first, list(range(7, 21))).p_value == pytest.approx(
        0.00001855, abs=printed(8)
    )
    assert compare_means(first, [*range(7, 21), 200]).p_value == pytest.approx(
        0.1245, abs=printed(4)
    )


def test_student_matches_stata_ttesti() -> None:
    # Stata "ttesti 20 20 5 32 15 4" (https://www.stata.com/links/stata-basics/
    # two-sample-t-tests-calculator): diff = mean(x) - mean(y) = 5, Std. err. 1.256135,
    # 95% CI 2.476979 7.523021, t = 3.9805, df = 50, Pr(|T| > |t|) = 0.0002.
    # first = y, second = x gives Stata's sign.
    result = compare_means_from_stats(15, 4, 32, 20, 5, 20, equal_var=True)
    assert result.test == STUDENT_TEST
    assert result.difference == 5
    assert result.df == 50
    assert result.statistic == pytest.approx(3.9805, abs=printed(4))
    assert result.p_value == pytest.approx(0.0002, abs=printed(4))
    assert result.ci_low == pytest.approx(2.476979, abs=printed(6))
    assert result.ci_high == pytest.approx(7.523021, abs=printed(6))


def test_welch_satterthwaite_matches_stata_ttesti_unequal() -> None:
    # Indiana University UITS "Comparing Group Means" (2003-2005), p. 19, Stata
    # "ttest kidney, by(west) unequal" with group summaries 20 3.006 .3001298 and
    # 24 2.618333 .5983722: diff = mean(0) - mean(1) = .3876667, Std. err. .139365,
    # t = 2.7817, Satterthwaite's df = 35.1098, Pr(|T| > |t|) = 0.0086.
    # The printed group mean 2.618333 is itself rounded to 6 decimals (the raw-data mean is
    # 2.6183333...), so the difference can only be checked to 6 decimals from these inputs.
    result = compare_means_from_stats(2.618333, 0.5983722, 24, 3.006, 0.3001298, 20)
    assert result.test == WELCH_TEST
    assert result.difference == pytest.approx(0.3876667, abs=printed(6))
    assert result.statistic == pytest.approx(2.7817, abs=printed(4))
    assert result.df == pytest.approx(35.1098, abs=printed(4))
    assert result.p_value == pytest.approx(0.0086, abs=printed(4))


def test_equal_var_switches_method() -> None:
    welch = compare_means(SLEEP_1, SLEEP_2)
    student = compare_means(SLEEP_1, SLEEP_2, equal_var=True)
    assert student.test == STUDENT_TEST and student.df == 18
    assert welch.df != student.df


def test_compare_means_insufficient_data() -> None:
    single = compare_means([1.0], [2.0, 3.0])
    assert single.difference == pytest.approx(1.5)
    assert math.isnan(single.statistic) and math.isnan(single.ci_low)
    with pytest.raises(ValueError):
        compare_means([math.nan], [1.0, 2.0])
    with pytest.raises(ValueError):
        compare_means_from_stats(0.0, -1.0, 10, 1.0, 1.0, 10)


# --------------------------------------------------------------------------- t_interval


@pytest.mark.parametrize(
    ("mean", "sd", "n", "low", "high"),
    [
        # Stata "ttesti 20 20 5 32 15 4" per-group 95% intervals (stata.com, as above).
        (20, 5, 20, 17.65993, 22.34007),
        (15, 4, 32, 13.55785, 16.44215),
    ],
)
def test_t_interval_matches_stata(mean: float, sd: float, n: int, low: float, high: float) -> None:
    interval = t_interval(mean, sd, n)
    assert interval.low == pytest.approx(low, abs=printed(5))
    assert interval.high == pytest.approx(high, abs=printed(5))


def test_t_interval_needs_two_observations() -> None:
    interval = t_interval(3.0, 1.0, 1)
    assert math.isnan(interval.low) and math.isnan(interval.high)


# ---------------------------------------------------------------------- adjust_pvalues


def test_bh_all_equal_to_largest() -> None:
    # R p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "BH") is 0.05 for every entry
    # (m * p_(i) / i = 0.05 for all i).
    adjusted = adjust_pvalues([0.01, 0.02, 0.03, 0.04, 0.05])
    np.testing.assert_allclose(adjusted, [0.05] * 5, rtol=1e-12)


@pytest.mark.parametrize(
    ("p_values", "method", "expected", "decimals"),
    [
        # stdlib.io @stdlib/stats/padjust documentation examples
        # (https://stdlib.io/docs/api/latest/@stdlib/stats/padjust).
        ([0.008, 0.03, 0.123, 0.6, 0.2], "fdr_bh", [0.04, 0.075, 0.205, 0.6, 0.25], 3),
        ([0.319, 0.201, 0.4, 0.374, 0.113], "fdr_bh", [0.4] * 5, 3),
    ],
)
def test_adjust_matches_stdlib_padjust(
    p_values: list[float], method: str, expected: list[float], decimals: int
) -> None:
    adjusted = adjust_pvalues(p_values, method=method)
    np.testing.assert_allclose(adjusted, expected, rtol=0, atol=printed(decimals))


def test_bh_rejections_match_benjamini_hochberg_1995() -> None:
    # Benjamini & Hochberg (1995) JRSS B 57:289-300, section 4 example of 15 p-values: at
    # q = 0.05 the step-up procedure rejects the four hypotheses with p <= 0.0095, while the
    # Bonferroni approach rejects three.
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459]
    p += [0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000]
    assert int((adjust_pvalues(p) <= 0.05).sum()) == 4
    assert int((adjust_pvalues(p, method="bonferroni") <= 0.05).sum()) == 3
    # Independent implementation of the same adjustment (scipy >= 1.11).
    np.testing.assert_allclose(adjust_pvalues(p), stats.false_discovery_control(p), rtol=1e-12)


def test_adjust_keeps_nan_in_place_and_is_order_invariant() -> None:
    adjusted = adjust_pvalues([0.03, math.nan, 0.008, 0.6, math.nan, 0.2, 0.123])
    assert np.isnan(adjusted[[1, 4]]).all()
    np.testing.assert_allclose(adjusted[[0, 2, 3, 5, 6]], [0.075, 0.04, 0.6, 0.25, 0.205])
    assert np.isnan(adjust_pvalues([math.nan, math.nan])).all()
    assert adjust_pvalues([]).shape == (0,)


def test_bonferroni_multiplies_by_number_of_non_missing_and_caps_at_one() -> None:
    adjusted = adjust_pvalues([0.01, math.nan, 0.2, 0.5], method="bonferroni")
    np.testing.assert_allclose(adjusted, [0.03, math.nan, 0.6, 1.0], rtol=1e-12)


def test_adjust_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        adjust_pvalues([0.1, 0.2], method="holm")
    with pytest.raises(ValueError):
        adjust_pvalues([0.1, 1.2])
