"""Rebuilding select_multiple answers from summary and/or split columns (inputs.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assets.select_multiple import NOTHING_CHOSEN, QuestionNotFoundError, rebuild_choices
from tests.frames import text_frame

CHOICES = ["health", "school", "other"]
NA = None


def split_cells(summaries: list[str | None], codes: list[str], skipped: str | None
                ) -> dict[str, list[str | None]]:
    """One 1/0 cell per code and row as a platform derives it from the summary."""
    return {
        code: [skipped if s is None else ("1" if code in s.split() else "0") for s in summaries]
        for code in codes
    }


def texts(series: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v for v in series]


def records(frame: pd.DataFrame) -> list[dict]:
    return [{k: None if pd.isna(v) else v for k, v in row.items()}
            for row in frame.to_dict("records")]


def matrix_rows(result) -> list[list[int | None]]:
    return [[None if pd.isna(v) else int(v) for v in row]
            for row in result.matrix.itertuples(index=False)]


def test_kobo_summary_and_split_with_empty_cells_when_not_asked():
    summaries = ["health other", NA, "school", "health school other"]
    split = split_cells(summaries, CHOICES, skipped=NA)
    raw = text_frame({"q": summaries, **{f"q/{c}": v for c, v in split.items()}},
                     index=["r1", "r2", "r3", "r4"])
    result = rebuild_choices(raw, "q", CHOICES)
    assert result.source == "summary+split"
    assert list(result.matrix.columns) == CHOICES
    assert (result.matrix.dtypes == "Int64").all()
    assert list(result.matrix.index) == ["r1", "r2", "r3", "r4"]
    assert matrix_rows(result) == [[1, 0, 1], [None] * 3, [0, 1, 0], [1, 1, 1]]
    assert result.summary.dtype == "string"
    assert texts(result.summary)[0] == "health other"
    assert pd.isna(result.summary["r2"])
    assert result.asked.tolist() == [True, False, True, True]
    assert result.undeclared.empty and result.disagreements.empty and result.invalid.empty


def test_kobo_split_only_treats_empty_cells_as_not_asked_and_accepts_true_false():
    raw = text_frame({
        "q/health": ["True", NA, "False", "1"],
        "q/school": ["False", NA, "False", "0"],
        "q/other": ["True", NA, "False", "0"],
    })
    result = rebuild_choices(raw, "q", CHOICES)
    assert result.source == "split"
    assert matrix_rows(result) == [[1, 0, 1], [None] * 3, [0, 0, 0], [1, 0, 0]]
    # asked but nothing chosen is told apart from not asked, and is never ""
    assert texts(result.summary) == ["health other", None, NOTHING_CHOSEN, "health"]
    assert result.asked.tolist() == [True, False, True, True]


def test_odk_zero_filled_skipped_rows_are_not_asked_when_the_summary_is_empty():
    summaries = ["school", NA, "health school", NA]
    split = split_cells(summaries, CHOICES, skipped="0")  # ODK fills skipped questions with 0
    raw = text_frame({"g1-q": summaries, **{f"g1-q/{c}": v for c, v in split.items()}})
    result = rebuild_choices(raw, "g1-q", CHOICES)
    assert matrix_rows(result) == [[0, 1, 0], [None] * 3, [1, 1, 0], [None] * 3]
    assert result.summary.isna().tolist() == [False, True, False, True]
    assert result.disagreements.empty  # zeros on a skipped row contradict nothing


def test_odk_columns_only_for_observed_choices():
    summaries = ["school", NA, "health school"]
    split = split_cells(summaries, ["health", "school"], skipped="0")  # no column for "other"
    raw = text_frame({"q": summaries, **{f"q/{c}": v for c, v in split.items()}})
    result = rebuild_choices(raw, "q", CHOICES)
    assert list(result.matrix.columns) == CHOICES
    assert result.matrix["other"].tolist() == [0, pd.NA, 0]
    # split-only with a missing declared column: 0 on asked rows, NA on the others
    raw = text_frame({"q/school": ["1", NA, "0"]})
    result = rebuild_choices(raw, "q", CHOICES)
    assert matrix_rows(result) == [[0, 1, 0], [None] * 3, [0, 0, 0]]


def test_surveycto_underscore_separator_and_numeric_codes_with_recode():
    summaries = ["1 3", "2", NA]
    split = split_cells(summaries, ["1", "2", "3"], skipped="0")
    raw = text_frame({
        "q": summaries,
        **{f"q_{c}": v for c, v in split.items()},
        "q_other_text": ["clinic far", NA, NA],  # another question sharing the prefix
    })
    recode = {"1": "health", "2": "school", "3": "other"}
    result = rebuild_choices(raw, "q", CHOICES, separator="_", recode=recode)
    assert result.source == "summary+split"
    assert matrix_rows(result) == [[1, 0, 1], [0, 1, 0], [None] * 3]
    assert texts(result.summary) == ["health other", "school", None]
    assert result.undeclared.empty and result.invalid.empty and result.disagreements.empty
    split_only = rebuild_choices(raw.drop(columns="q"), "q", CHOICES, separator="_",
                                 recode=recode)
    assert matrix_rows(split_only) == [[1, 0, 1], [0, 1, 0], [0, 0, 0]]  # zero-filled skip


def test_summary_tokens_come_out_in_declared_order_without_duplicates():
    raw = text_frame({"q": ["other   health", "school school", "  "]})
    result = rebuild_choices(raw, "q", CHOICES)
    assert texts(result.summary) == ["health other", "school", None]
    assert matrix_rows(result) == [[1, 0, 1], [0, 1, 0], [None] * 3]


def test_undeclared_choices_are_reported_not_lost():
    raw = text_frame({"q": ["health water", "water", NA, "school"],
                      "q/health": ["1", "0", NA, "0"],
                      "q/school": ["0", "0", NA, "1"],
                      "q/water": ["1", "1", NA, "0"]},
                     index=[10, 11, 12, 13])
    result = rebuild_choices(raw, "q", CHOICES)
    assert records(result.undeclared) == [
        {"row": 10, "value": "water"}, {"row": 11, "value": "water"}]
    assert list(result.matrix.columns) == CHOICES
    assert matrix_rows(result)[1] == [0, 0, 0]  # asked, but no declared choice
    assert result.summary[11] == NOTHING_CHOSEN
    split_only = rebuild_choices(raw.drop(columns="q"), "q", CHOICES)
    assert split_only.undeclared["row"].tolist() == [10, 11]


def test_recode_that_leaves_a_code_unmapped_reports_it():
    raw = text_frame({"q": ["1 9", "2"]})
    result = rebuild_choices(raw, "q", CHOICES, recode={"1": "health", "2": "school"})
    assert records(result.undeclared) == [{"row": 0, "value": "9"}]
    assert texts(result.summary) == ["health", "school"]


def test_choice_columns_are_the_union_over_merged_form_versions():
    # v1 had no "other"; in the merged Kobo export its cells are empty on v1 rows
    raw = text_frame({
        "__version__": ["v1", "v1", "v2", "v2"],
        "q/health": ["1", NA, "0", NA],
        "q/school": ["1", NA, "0", NA],
        "q/other": [NA, NA, "1", NA],
    })
    result = rebuild_choices(raw, "q", CHOICES)
    assert matrix_rows(result) == [[1, 1, 0], [None] * 3, [0, 0, 1], [None] * 3]
    assert texts(result.summary) == ["health school", None, "other", None]


def test_a_code_renamed_between_versions_merges_into_one_choice():
    raw = text_frame({
        "q/clinic": ["1", "0", NA],  # v1 name, recoded to the canonical "health"
        "q/health": [NA, NA, "1"],
        "q/school": ["0", "1", "0"],
    })
    result = rebuild_choices(raw, "q", CHOICES, recode={"clinic": "health"})
    assert result.matrix["health"].tolist() == [1, 0, 1]
    assert result.undeclared.empty


def test_summary_wins_over_split_and_disagreements_are_reported():
    raw = text_frame({
        "q": ["health", "school", NA, "other"],
        "q/health": ["1", "1", NA, "0"],  # row 1 says health too
        "q/school": ["0", "1", "1", "0"],  # row 2 chose school although not asked
        "q/other": ["0", "0", NA, NA],  # row 3 has no split information: no contradiction
    }, index=["a", "b", "c", "d"])
    result = rebuild_choices(raw, "q", CHOICES)
    assert matrix_rows(result) == [[1, 0, 0], [0, 1, 0], [None] * 3, [0, 0, 1]]
    assert records(result.disagreements) == [
        {"row": "b", "summary": "school", "split": "health school"},
        {"row": "c", "summary": None, "split": "school"},
    ]


def test_split_cells_that_are_not_zero_or_one_are_reported():
    raw = text_frame({"q/health": ["1", "yes", NA], "q/school": ["0", "0", NA]})
    result = rebuild_choices(raw, "q", CHOICES)
    assert records(result.invalid) == [
        {"row": 1, "column": "q/health", "value": "yes"}]
    assert matrix_rows(result) == [[1, 0, 0], [0, 0, 0], [None] * 3]


def test_a_question_absent_from_every_layout_raises_a_key_error_naming_it():
    raw = text_frame({"q2": ["health"], "q2/health": ["1"]})
    with pytest.raises(KeyError, match="'q'") as caught:
        rebuild_choices(raw, "q", CHOICES)
    assert isinstance(caught.value, QuestionNotFoundError)
    assert "q/<choice>" in str(caught.value)


@pytest.mark.parametrize("choices", [[], ["a", "a"], ["a", NOTHING_CHOSEN]])
def test_declared_choices_must_be_distinct_codes(choices):
    with pytest.raises(ValueError, match="choices"):
        rebuild_choices(text_frame({"q": ["a"]}), "q", choices)


def test_two_hundred_thousand_rows():
    n = 200_000
    rng = np.random.default_rng(7)
    combos = np.array(["health", "school other", "health school", None, "other",
                       "health school other"], dtype=object)
    summaries = combos[rng.integers(0, len(combos), n)].tolist()
    split = split_cells(summaries, CHOICES, skipped="0")
    raw = text_frame({"q": summaries, **{f"q/{c}": v for c, v in split.items()}})
    result = rebuild_choices(raw, "q", CHOICES)
    expected_health = [pd.NA if s is None else int("health" in s.split()) for s in summaries]
    assert result.matrix["health"].tolist() == expected_health
    assert result.summary.isna().sum() == summaries.count(None)
    assert result.disagreements.empty
