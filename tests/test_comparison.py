"""Comparison rows: sign convention, relative change, suppression, flags and assessment."""

import numpy as np
import pandas as pd
import pytest

from assets.comparison import compare_rounds
from assets.estimates import estimate_values
from schemas.declarations import Codebook, Project
from schemas.indicators import IndicatorCatalogue
from schemas.tables import COMPARISON_COLUMNS, RoundComparison

PROJECT = Project.model_validate({
    "name": "t", "respondent_id": "rid",
    "rounds": [{"name": "base", "label": "B", "files": ["*"]},
               {"name": "end", "label": "E", "files": ["*"]}],
    "comparisons": [{"name": "base_to_end", "first": "base", "second": "end"}]})
PANEL_PROJECT = PROJECT.model_copy(update={"comparisons": [
    PROJECT.comparisons[0].model_copy(update={"name": "panel", "design": "panel"})]})
CODEBOOK = Codebook.model_validate({
    "value_labels": {"district": {"1": "Dusti", "2": "Kulob"}},
    "variables": [{"name": "district", "label": "District", "type": "category",
                   "labels": "district", "sources": {"base": "d", "end": "d"}}]})
NO_RESPONDENTS = pd.DataFrame(columns=["round", "respondent_id", "indicator", "value"])


def compare(estimates_table, cat, project=PROJECT, respondents=NO_RESPONDENTS):
    return compare_rounds(estimates_table, respondents, project, cat, CODEBOOK)


def catalogue(**overrides):
    indicator = {"id": "share", "label": "Share", "kind": "prevalence", "variable": "v",
                 "yes": ["1"], **overrides}
    return IndicatorCatalogue.model_validate({"indicators": [indicator]})


def estimates(n_base, count_base, n_end, count_end, unit="%", indicator="share"):
    rows = []
    for round_name, n, count in (("base", n_base, count_base), ("end", n_end, count_end)):
        values = pd.Series([1.0] * count + [0.0] * (n - count))
        stats = estimate_values(values, unit, 0.95)
        stats["numerator"] = stats.pop("count")
        rows.append(dict(indicator=indicator, category="", round=round_name, group="all",
                         unit=unit, **stats))
    return pd.DataFrame(rows)


def test_change_is_end_minus_base_in_percentage_points_and_relative_change_is_separate():
    row = compare(estimates(100, 49, 100, 83), catalogue()).iloc[0]
    assert row["change"] == pytest.approx(34.0)  # not the "69%" of the seed report
    assert row["relative_change"] == pytest.approx(34 / 49 * 100)
    assert row["change_ci_low"] < row["change"] < row["change_ci_high"]
    assert row["assessment"] == "improved"


def test_relative_change_is_blank_below_a_five_percent_base():
    row = compare(estimates(300, 12, 300, 30), catalogue()).iloc[0]
    assert row["estimate_base"] == pytest.approx(4.0)
    assert np.isnan(row["relative_change"])


def test_small_cells_are_suppressed_below_25_and_flagged_for_caution_below_50():
    suppressed = compare(estimates(24, 10, 100, 50), catalogue()).iloc[0]
    assert "suppressed" in suppressed["flags"]
    assert np.isnan(suppressed["estimate_base"]) and np.isnan(suppressed["p_value"])
    assert suppressed["n_base"] == 24  # n is always shown
    caution = compare(estimates(40, 10, 100, 50), catalogue()).iloc[0]
    assert "caution" in caution["flags"] and not np.isnan(caution["p_value"])


def test_fisher_is_used_and_flagged_when_an_expected_count_is_below_five():
    row = compare(estimates(60, 1, 60, 6), catalogue()).iloc[0]
    assert "fisher" in row["flags"] and row["test"].startswith("Fisher")


def test_a_fall_in_a_lower_is_better_indicator_is_an_improvement():
    row = compare(estimates(382, 363, 278, 178), catalogue(direction="lower_is_better")).iloc[0]
    assert row["change"] < 0
    assert row["assessment"] == "improved"


def test_plausibility_warning_for_large_moves_of_a_score():
    scores = pd.DataFrame([
        dict(indicator="pwi", category="", round="base", group="all", unit="points", n=200,
             numerator=np.nan, estimate=69.4, sd=12.0, ci_low=67.7, ci_high=71.1),
        dict(indicator="pwi", category="", round="end", group="all", unit="points", n=180,
             numerator=np.nan, estimate=83.2, sd=10.0, ci_low=81.7, ci_high=84.7)])
    cat = IndicatorCatalogue.model_validate({"indicators": [{
        "id": "pwi", "label": "PWI", "kind": "mean_score", "items": ["a"],
        "scale": {"min": 0, "max": 10}, "plausibility": {"max_change": 10}}]})
    row = compare(scores, cat).iloc[0]
    assert "plausibility_warning" in row["flags"]
    assert row["test"].startswith("Welch")
    assert row["change"] == pytest.approx(13.8)


def test_the_table_keeps_the_published_column_contract():
    table = compare(estimates(100, 49, 100, 83), catalogue())
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


def respondents_table(rows):
    """(round, respondent id, value, district) tuples -> respondent_indicators rows."""
    return pd.DataFrame([dict(round=r, respondent_id=i, indicator="share", category="",
                              value=v, status="counted", detail="valid", flag="", band="",
                              district=d)
                         for r, i, v, d in rows])


def test_the_panel_design_uses_only_matched_pairs_and_paired_tests():
    rng = np.random.default_rng(1)
    rows = []
    for k in range(60):  # matched pairs: yes at base for the first 20, at end for the first 40
        rows += [("base", f"P{k}", float(k < 20), "1"), ("end", f"P{k}", float(k < 40), "1")]
    rows += [("base", f"B{k}", float(rng.random() < 0.9), "2") for k in range(80)]  # unmatched
    table = compare(estimates(1, 1, 1, 1), catalogue(), PANEL_PROJECT, respondents_table(rows))
    row = table.set_index("group").loc["all"]
    assert row["design"] == "panel" and "panel" in row["flags"]
    assert row["n_base"] == row["n_end"] == 60  # the 80 unmatched respondents never enter
    assert row["estimate_base"] == pytest.approx(100 * 20 / 60)
    assert row["change"] == pytest.approx(100 * 20 / 60)
    assert "McNemar" in row["test"]


def test_a_respondent_without_a_value_in_one_round_is_not_a_pair():
    rows = [("base", f"P{k}", 1.0, "1") for k in range(30)]
    rows += [("end", f"P{k}", 0.0 if k < 29 else np.nan, "1") for k in range(30)]
    table = compare(estimates(1, 1, 1, 1), catalogue(), PANEL_PROJECT, respondents_table(rows))
    assert table.set_index("group").loc["all", "n_base"] == 29


def test_paired_scores_use_the_paired_t_test():
    first = np.arange(40, dtype=float) + 50
    second = first + np.linspace(1, 5, 40)
    rows = [("base", f"P{k}", v, "1") for k, v in enumerate(first)]
    rows += [("end", f"P{k}", v, "1") for k, v in enumerate(second)]
    respondents = respondents_table(rows).assign(indicator="pwi")
    cat = IndicatorCatalogue.model_validate({"indicators": [{
        "id": "pwi", "label": "PWI", "kind": "mean_score", "items": ["a"],
        "scale": {"min": 0, "max": 10}}]})
    row = compare(pd.DataFrame(), cat, PANEL_PROJECT, respondents).iloc[0]
    assert row["test"] == "paired t"
    assert row["change"] == pytest.approx(3.0)
    assert row["change_ci_low"] < 3.0 < row["change_ci_high"]


def test_targets_are_met_by_direction():
    met = compare(estimates(100, 49, 100, 83), catalogue(targets={"end": 80})).iloc[0]
    assert met["target"] == 80 and met["target_met"] == "yes"
    missed = compare(estimates(100, 49, 100, 83),
                     catalogue(targets={"end": 80}, direction="lower_is_better")).iloc[0]
    assert missed["target_met"] == "no"
    none = compare(estimates(100, 49, 100, 83), catalogue()).iloc[0]
    assert np.isnan(none["target"]) and none["target_met"] == ""


def test_estimates_carry_the_standard_error():
    share = estimate_values(pd.Series([1.0] * 30 + [0.0] * 70), "%", 0.95)
    assert share["se"] == pytest.approx(100 * np.sqrt(0.3 * 0.7 / 100))
    scores = estimate_values(pd.Series([50.0, 60.0, 70.0, 80.0]), "points", 0.95)
    assert scores["se"] == pytest.approx(np.std([50, 60, 70, 80], ddof=1) / 2)


def test_headline_rows_are_the_whole_population_without_categories_or_items():
    from assets.comparison import headline_rows

    table = pd.DataFrame({"group": ["all", "all", "district=Dusti", "all"],
                          "category": ["", "<=500", "", np.nan], "indicator": list("abcd")})
    assert list(headline_rows(table)["indicator"]) == ["a", "d"]
