"""Indicator kinds from spec/indicators.md: Rosenberg reversal, income bands, counts, bands."""

import numpy as np
import pandas as pd
import pytest

from assets.estimates import estimate_indicators
from assets.scoring import (
    categorise,
    item_total_correlations,
    person_band,
    reversal_warnings,
    reversed_items,
    score_count,
    score_mean,
    score_prevalence,
)
from schemas.declarations import Codebook, Project
from schemas.indicators import Count, Distribution, IndicatorCatalogue, MeanScore, Prevalence

NEGATIVE = {"A": [2, 5, 6, 8, 9], "B": [3, 5, 8, 9, 10]}  # the two circulating item orders


def rses(order: str, conversion: str = "pomp") -> MeanScore:
    items = [f"i{k}" for k in range(1, 11)]
    return MeanScore(id="rses", label="RSES", kind="mean_score", items=items,
                     reverse=[f"i{k}" for k in NEGATIVE[order]], scale={"min": 1, "max": 4},
                     conversion=conversion, max_missing=2)


def answers_of_a_confident_person(order: str) -> pd.DataFrame:
    """Strongly agrees (4) with positive statements, strongly disagrees (1) with negative ones."""
    row = {f"i{k}": (1 if k in NEGATIVE[order] else 4) for k in range(1, 11)}
    return pd.DataFrame([row], dtype="Float64")


@pytest.mark.parametrize("order", ["A", "B"])
def test_rosenberg_reversal_by_declared_item_gives_the_maximum_in_both_orders(order):
    scored = score_mean(answers_of_a_confident_person(order), rses(order))
    assert scored["value"].iloc[0] == pytest.approx(100.0)


def test_declaring_the_wrong_order_is_caught_by_the_item_total_check():
    rng = np.random.default_rng(3)
    level = rng.normal(2.5, 0.8, size=(300, 1))
    positive = np.clip(np.rint(level + rng.normal(0, 0.5, (300, 10))), 1, 4)
    data = pd.DataFrame(positive, columns=[f"i{k}" for k in range(1, 11)])
    for k in NEGATIVE["A"]:
        data[f"i{k}"] = 5 - data[f"i{k}"]  # asked in order A
    right = reversed_items(data, rses("A").reverse, 1, 4)
    assert (item_total_correlations(right) > 0).all()
    catalogue = IndicatorCatalogue(indicators=[rses("B").model_copy(
        update={"check_item_total": True})])
    warnings = reversal_warnings(data.astype("Float64"), catalogue)
    assert set(warnings["item"]) == {"i2", "i6", "i3", "i10"}  # in A xor B


def test_pomp_and_percent_of_maximum_differ_and_are_named():
    # spec: "68.5 out of 100" fits 27.4/40 (pct_of_max, 1-4 coding) and 20.55/30 (POMP)
    person = pd.DataFrame([[2.74] * 10], columns=[f"i{k}" for k in range(1, 11)],
                          dtype="Float64")
    pomp = score_mean(person, rses("A").model_copy(update={"reverse": []}))
    pct = score_mean(person, rses("A", "pct_of_max").model_copy(update={"reverse": []}))
    assert pct["value"].iloc[0] == pytest.approx(68.5)
    assert pomp["value"].iloc[0] == pytest.approx((27.4 - 10) / 30 * 100)


def test_rosenberg_prorates_with_at_most_two_missing():
    person = answers_of_a_confident_person("A")
    person.loc[0, ["i1", "i2"]] = pd.NA
    assert score_mean(person, rses("A"))["value"].iloc[0] == pytest.approx(100.0)
    person.loc[0, "i3"] = pd.NA
    assert pd.isna(score_mean(person, rses("A"))["value"].iloc[0])


INCOME = Distribution(id="income", label="Income", kind="distribution", variable="x",
                      bins=[0, 500, 1000, 3000, float("inf")],
                      bin_labels=["<=500", "501-1000", "1001-3000", ">3000"], zero_row="No income")


def test_income_band_boundaries_at_exactly_500_and_1000():
    values = pd.Series(["0", "1", "500", "500.5", "1000", "1001", "3000", "3001", None, None])
    kinds = pd.Series(["valid"] * 8 + ["dont_know", "refused"])
    labels = categorise(values, kinds, INCOME).tolist()
    assert labels == ["No income", "<=500", "<=500", "501-1000", "501-1000", "1001-3000",
                      "1001-3000", ">3000", "Don't know", "Refused"]


def test_a_distribution_sums_to_100_percent_in_every_round_and_group():
    project = Project.model_validate({
        "name": "t", "respondent_id": "rid", "rounds": [{"name": "r", "label": "R",
                                                         "files": ["*"]}]})
    rng = np.random.default_rng(5)
    amounts = rng.choice(["0", "250", "500", "800", "2000", "5000"], size=120)
    kinds = rng.choice(["valid", "valid", "valid", "dont_know", "refused", "missing"], size=120)
    from assets.scoring import score_distribution

    frame = pd.DataFrame({"x": pd.array(np.where(kinds == "valid", amounts, None),
                                        dtype="string"), "x__kind": kinds})
    part = score_distribution(frame, INCOME)
    respondents = part.assign(round="r", respondent_id=[f"p{i}" for i in range(120)],
                              indicator="income")
    estimates = estimate_indicators(respondents, project, IndicatorCatalogue(
        indicators=[INCOME]), Codebook.model_validate({"variables": [
            {"name": "x", "label": "x", "type": "number", "sources": {"r": "x"}}]}))
    assert estimates["estimate"].sum() == pytest.approx(100.0)
    assert estimates["n"].iloc[0] == (kinds != "missing").sum()  # missing leaves the table
    assert list(estimates["category"]) == INCOME.row_labels()


def test_at_least_k_of_m_and_the_count_of_items_known():
    frame = pd.DataFrame({
        "a": ["1", "1", "0", None], "a__kind": ["valid", "valid", "valid", "dont_know"],
        "b": ["1", "0", "0", "1"], "b__kind": ["valid"] * 4,
        "c": ["1", None, "0", "1"], "c__kind": ["valid", "refused", "valid", "valid"],
    }).astype("string")
    at_least_2 = Prevalence(id="p", label="p", kind="prevalence", items=["a", "b", "c"],
                            at_least=2, yes=["1"])
    scored = score_prevalence(frame, at_least_2)
    assert scored["value"].tolist()[0] == 1.0 and scored["value"].tolist()[2] == 0.0
    assert pd.isna(scored["value"].iloc[1])  # a refusal takes the person out
    assert scored["value"].iloc[3] == 1.0  # don't know on one item, yes on two
    known = score_count(frame, Count(id="n", label="n", kind="count", items=["a", "b", "c"],
                                     yes=["1"]))
    assert known["value"].tolist()[0] == 3.0 and known["value"].tolist()[3] == 2.0


def test_person_bands_follow_the_declared_lower_bounds():
    bands = MeanScore.model_validate({
        "id": "p", "label": "p", "kind": "mean_score", "items": ["a"],
        "scale": {"min": 0, "max": 10}, "bands": [{"label": "challenged", "min": 0},
                                                   {"label": "compromised", "min": 50},
                                                   {"label": "normal", "min": 70}]}).bands
    scores = pd.Series([49.9, 50.0, 69.5, 70.0, None], dtype="Float64")
    assert person_band(scores, bands).tolist() == ["challenged", "compromised", "compromised",
                                                   "normal", ""]


def test_the_headline_is_also_published_without_response_sets_above_two_percent():
    project = Project.model_validate({
        "name": "t", "respondent_id": "rid", "rounds": [{"name": "r", "label": "R",
                                                         "files": ["*"]}]})
    pwi = MeanScore.model_validate({
        "id": "pwi", "label": "PWI", "kind": "mean_score", "items": [f"d{k}" for k in range(7)],
        "scale": {"min": 0, "max": 10}, "response_set_flags": True})
    rng = np.random.default_rng(11)
    answers = pd.DataFrame(rng.integers(3, 9, size=(100, 7)), columns=pwi.items,
                           dtype="Float64")
    codebook = Codebook.model_validate({"variables": [
        {"name": "d0", "label": "d", "type": "integer", "sources": {"r": "d"}}]})

    def estimate(flagged: int) -> pd.DataFrame:
        frame = answers.copy()
        frame.iloc[:flagged] = 10.0  # identical_extreme
        part = score_mean(frame, pwi).assign(round="r", indicator="pwi",
                                             respondent_id=[f"p{i}" for i in range(100)])
        return estimate_indicators(part, project, IndicatorCatalogue(indicators=[pwi]),
                                   codebook)

    assert list(estimate(2)["group"]) == ["all"]  # 2% is not above the threshold
    groups = estimate(3).set_index("group")
    assert list(groups.index) == ["all", "all, excluding response sets"]
    assert groups.loc["all, excluding response sets", "n"] == 97
    assert groups.loc["all", "estimate"] > groups.loc["all, excluding response sets", "estimate"]


def test_a_ratio_counts_only_respondents_whose_denominator_is_above_zero():
    from assets.scoring import score_ratio
    from schemas.indicators import Ratio

    frame = pd.DataFrame({
        "saved": ["100", "0", "50", None, "20"],
        "saved__kind": ["valid", "valid", "valid", "refused", "valid"],
        "income": ["1000", "800", "0", "900", None],
        "income__kind": ["valid", "valid", "valid", "valid", "dont_know"]}).astype("string")
    rate = Ratio(id="r", label="r", kind="ratio", numerator="saved", denominator="income")
    scored = score_ratio(frame, rate)
    assert scored["value"].tolist()[:2] == [10.0, 0.0]
    assert scored["status"].tolist() == ["counted", "counted", "excluded", "excluded",
                                         "excluded"]
    assert scored["detail"].tolist()[2:] == ["income not above zero", "saved: refused",
                                             "income: dont_know"]


def test_precoded_bands_are_compared_on_the_boundaries_common_to_every_round():
    bands = Distribution.model_validate({
        "id": "inc", "label": "Income", "kind": "distribution", "variable": "band",
        "precoded": {"base": {"1": [0, 500], "2": [500, 1000], "3": [1000, "inf"]},
                     "end": {"1": [0, 500], "2": [500, 1000], "3": [1000, 3000],
                             "4": [3000, "inf"]}}})
    assert [label for _, _, label in bands.common_bands()] == ["0-500", "500-1000", ">1000"]
    values = pd.Series(["1", "3", "3", "4", "2"])
    rounds = pd.Series(["base", "base", "end", "end", "end"])
    labels = categorise(values, pd.Series(["valid"] * 5), bands, rounds).tolist()
    assert labels == ["0-500", ">1000", ">1000", ">1000", "500-1000"]  # 1000-3000 not split


def test_a_precoded_round_must_be_declared(tmp_path):
    import shutil

    from schemas.declarations import DEFAULT_PROJECT_FILE, load_survey
    from schemas.yaml_source import DeclarationError

    survey = tmp_path / "survey"
    shutil.copytree(DEFAULT_PROJECT_FILE.parent, survey)
    with (survey / "indicators.yaml").open("a") as declarations:
        declarations.write('\n  - {id: pre, kind: distribution, label: "p", variable: district,'
                           ' precoded: {midline: {"1": [0, 5]}}}\n')
    with pytest.raises(DeclarationError, match=r"precoded\.midline: unknown round 'midline'"):
        load_survey(survey / "project.yaml")
