"""PWI scoring against the test vectors of spec/indicators.md, and prevalence denominators."""

import numpy as np
import pandas as pd
import pytest

from assets.scoring import eligible_rows, score_prevalence, score_scale
from schemas.indicators import Prevalence

NA = np.nan


def pwi(rows):
    """Score rows of seven 0-10 domains with the PWI manual's default rules."""
    frame = pd.DataFrame(rows, columns=[f"d{i}" for i in range(7)], dtype="Float64")
    return score_scale(frame, 0, 10, max_missing=1)


def test_seven_answered_domains_give_the_mean_in_percent_of_scale_maximum():
    scores = pwi([[6, 7, 5, 8, 7, 6, 5]])
    assert scores.score[0] == pytest.approx(62.857142857, abs=1e-9)
    assert scores.items_used[0] == 7
    assert scores.status[0] == "scored"


def test_one_missing_domain_is_scored_on_the_six_answered():
    scores = pwi([[6, 7, NA, 8, 7, 6, 5]])
    assert scores.score[0] == pytest.approx(65.0)
    assert scores.items_used[0] == 6


def test_two_missing_domains_give_no_score():
    scores = pwi([[6, NA, NA, 8, 7, 6, 5]])
    assert pd.isna(scores.score[0])
    assert scores.status[0] == "too_many_missing"


def test_all_ten_scores_100_and_is_flagged_identical_extreme():
    scores = pwi([[10] * 7, [4] * 7, [4, 4, 4, 4, 4, 4, 5]])
    assert scores.score[0] == 100
    assert list(scores.response_set) == ["identical_extreme", "identical_all", ""]


def test_a_mean_raw_answer_of_6_5_is_65():
    scores = pwi([[6, 7, 6, 7, 6, 7, 6.5]])
    assert scores.score[0] == pytest.approx(65.0)


def test_other_scales_convert_with_their_own_min_and_max():
    frame = pd.DataFrame([[1, 10], [5.5, 5.5]], dtype="Float64")
    scores = score_scale(frame, 1, 10, max_missing=0)
    assert list(scores.score) == pytest.approx([50.0, 50.0])


def test_no_answers_at_all_is_not_a_score_of_zero():
    scores = pwi([[NA] * 7])
    assert pd.isna(scores.score[0])
    assert scores.status[0] == "too_many_missing"


def test_prevalence_denominator_drops_refused_and_missing_but_keeps_dont_know():
    frame = pd.DataFrame({
        "q": pd.array(["1", "0", None, None, None, "1"], dtype="string"),
        "q__kind": pd.array(["valid", "valid", "dont_know", "refused", "missing", "valid"],
                            dtype="string"),
    })
    indicator = Prevalence(id="x", label="x", kind="prevalence", variable="q", yes=["1"])
    scored = score_prevalence(frame, indicator)
    assert list(scored["status"]) == ["counted", "counted", "counted", "excluded", "excluded",
                                      "counted"]
    counted = scored["value"].dropna()
    assert counted.sum() == 2 and len(counted) == 4  # don't know counts as "not yes"


def test_eligibility_keeps_only_declared_codes_and_never_missing_ones():
    frame = pd.DataFrame({"t": pd.array(["1", "2", None], dtype="string")})
    assert list(eligible_rows(frame, {"t": ["1"]})) == [True, False, False]


def test_a_98_dont_know_on_a_domain_is_missing_not_averaged_in():
    from assets.harmonize import harmonize_round
    from schemas.declarations import Codebook, Project

    project = Project.model_validate({
        "name": "t", "respondent_id": "rid", "rounds": [{"name": "r1", "label": "R1",
                                                          "files": ["*"]}],
        "special_codes": {"dk": {"98": "dont_know", "99": "refused"}}})
    variables = [{"name": "rid", "label": "id", "type": "string", "sources": {"r1": "id"}}]
    variables += [{"name": f"d{i}", "label": f"d{i}", "type": "integer", "range": [0, 10],
                   "missing_codes": "dk", "sources": {"r1": f"q{i}"}} for i in range(7)]
    codebook = Codebook.model_validate({"variables": variables})
    raw = pd.DataFrame({"source_file": "f.sav", "source_row": pd.array([1], dtype="Int64"),
                        "id": ["A"], **{f"q{i}": [v] for i, v in
                                        enumerate(["6", "7", "98", "8", "7", "6", "5"])}},
                       dtype="string").astype({"source_row": "Int64"})
    harmonized = harmonize_round(raw, "r1", project, codebook).frame
    assert harmonized["d2__kind"][0] == "dont_know"
    scores = score_scale(harmonized[[f"d{i}" for i in range(7)]], 0, 10, max_missing=1)
    assert scores.score[0] == pytest.approx(65.0)  # not (6+7+98+...)/7
