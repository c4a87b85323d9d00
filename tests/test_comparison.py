"""Comparison rows: sign convention, relative change, suppression, flags and assessment."""

import numpy as np
import pandas as pd
import pytest

from assets.comparison import compare_rounds
from assets.estimates import estimate_values
from schemas.declarations import IndicatorCatalogue, Project
from schemas.tables import COMPARISON_COLUMNS, RoundComparison

PROJECT = Project.model_validate({
    "name": "t", "respondent_id": "rid",
    "rounds": [{"name": "base", "label": "B", "files": ["*"]},
               {"name": "end", "label": "E", "files": ["*"]}],
    "comparisons": [{"name": "base_to_end", "first": "base", "second": "end"}]})


def catalogue(**overrides):
    indicator = {"id": "share", "label": "Share", "kind": "prevalence", "variable": "v",
                 "yes": ["1"], **overrides}
    return IndicatorCatalogue.model_validate({"indicators": [indicator]})


def estimates(n_base, count_base, n_end, count_end, unit="%", indicator="share"):
    rows = []
    for round_name, n, count in (("base", n_base, count_base), ("end", n_end, count_end)):
        values = pd.Series([1.0] * count + [0.0] * (n - count))
        rows.append(dict(indicator=indicator, round=round_name, group="all", unit=unit,
                         **estimate_values(values, unit, 0.95)))
    return pd.DataFrame(rows)


def test_change_is_end_minus_base_in_percentage_points_and_relative_change_is_separate():
    row = compare_rounds(estimates(100, 49, 100, 83), PROJECT, catalogue()).iloc[0]
    assert row["change"] == pytest.approx(34.0)  # not the "69%" of the seed report
    assert row["relative_change"] == pytest.approx(34 / 49 * 100)
    assert row["change_ci_low"] < row["change"] < row["change_ci_high"]
    assert row["assessment"] == "improved"


def test_relative_change_is_blank_below_a_five_percent_base():
    row = compare_rounds(estimates(300, 12, 300, 30), PROJECT, catalogue()).iloc[0]
    assert row["estimate_base"] == pytest.approx(4.0)
    assert np.isnan(row["relative_change"])


def test_small_cells_are_suppressed_below_25_and_flagged_for_caution_below_50():
    suppressed = compare_rounds(estimates(24, 10, 100, 50), PROJECT, catalogue()).iloc[0]
    assert "suppressed" in suppressed["flags"]
    assert np.isnan(suppressed["estimate_base"]) and np.isnan(suppressed["p_value"])
    assert suppressed["n_base"] == 24  # n is always shown
    caution = compare_rounds(estimates(40, 10, 100, 50), PROJECT, catalogue()).iloc[0]
    assert "caution" in caution["flags"] and not np.isnan(caution["p_value"])


def test_fisher_is_used_and_flagged_when_an_expected_count_is_below_five():
    row = compare_rounds(estimates(60, 1, 60, 6), PROJECT, catalogue()).iloc[0]
    assert "fisher" in row["flags"] and row["test"].startswith("Fisher")


def test_a_fall_in_a_lower_is_better_indicator_is_an_improvement():
    row = compare_rounds(estimates(382, 363, 278, 178), PROJECT,
                         catalogue(direction="lower_is_better")).iloc[0]
    assert row["change"] < 0
    assert row["assessment"] == "improved"


def test_plausibility_warning_for_large_moves_of_a_score():
    scores = pd.DataFrame([
        dict(indicator="pwi", round="base", group="all", unit="points", n=200, count=np.nan,
             estimate=69.4, sd=12.0, ci_low=67.7, ci_high=71.1),
        dict(indicator="pwi", round="end", group="all", unit="points", n=180, count=np.nan,
             estimate=83.2, sd=10.0, ci_low=81.7, ci_high=84.7)])
    cat = IndicatorCatalogue.model_validate({"indicators": [{
        "id": "pwi", "label": "PWI", "kind": "mean_score", "items": ["a"],
        "scale": {"min": 0, "max": 10}, "plausibility": {"max_change": 10}}]})
    row = compare_rounds(scores, PROJECT, cat).iloc[0]
    assert "plausibility_warning" in row["flags"]
    assert row["test"].startswith("Welch")
    assert row["change"] == pytest.approx(13.8)


def test_the_table_keeps_the_published_column_contract():
    table = compare_rounds(estimates(100, 49, 100, 83), PROJECT, catalogue())
    assert list(table.columns[: len(COMPARISON_COLUMNS)]) == COMPARISON_COLUMNS
    RoundComparison.validate(table)
    for column in ["indicator", "label", "group", "comparison", "unit", "direction", "n_base",
                   "estimate_base", "ci_low_base", "ci_high_base", "n_end", "estimate_end",
                   "ci_low_end", "ci_high_end", "change", "change_ci_low", "change_ci_high",
                   "relative_change", "test", "statistic", "p_value", "p_adjusted", "flags"]:
        assert column in table.columns


def test_percentage_estimates_use_the_wilson_interval_in_percent():
    stats = estimate_values(pd.Series([1.0] * 30 + [0.0] * 248), "%", 0.95)
    # spec/comparisons.md: 30/278 -> Wilson [0.0766, 0.1499]
    assert stats["ci_low"] == pytest.approx(7.66, abs=0.005)
    assert stats["ci_high"] == pytest.approx(14.99, abs=0.005)
