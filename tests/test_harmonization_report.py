"""The harmonisation report: variable mapping, value label differences and their summary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assets.harmonization_report import (
    DIFFERENCE_COLUMNS,
    DIFFERENCES,
    MAPPING_COLUMNS,
    STATUSES,
    RoundSource,
    harmonization_summary,
    label_differences,
    round_source,
    variable_mapping,
)
from assets.readers import SOURCE_FILE, SOURCE_ROW, read_raw_file
from schemas.declarations import Codebook

ROOT = Path(__file__).resolve().parents[1]

CODEBOOK = Codebook.model_validate({
    "value_labels": {"district": {"1": "Dusti", "2": "Kulob"}, "yes_no": {"1": "Yes", "0": "No"}},
    "variables": [
        {"name": "respondent_id", "label": "ID", "type": "string",
         "sources": {"r1": "respondent_id", "r2": "intro/resp_id"}},
        {"name": "age", "label": "Age", "type": "integer",
         "sources": {"r1": "age", "r2": "age"}},
        {"name": "income", "label": "Income", "type": "number",
         "sources": {"r1": "q30_income", "r2": None}},
        {"name": "grade", "label": "Grade", "type": "integer",
         "sources": {"r1": "grade", "r2": "intro/grade"}},
        {"name": "district", "label": "District", "type": "category", "labels": "district",
         "sources": {"r1": "district",
                     "r2": {"column": "intro/district", "recode": {"dusti": "1", "kulob": "2"},
                            "labels": {"dusti": "DUSTI ", "kulob": "Kulob  city"}}}},
        {"name": "budget", "label": "Budget", "type": "category", "labels": "yes_no",
         "sources": {"r1": {"column": "budget", "recode": {"2": "0"}},
                     "r2": {"column": "economy/budget", "recode": {"yes": "1", "no": "0"}}}},
        {"name": "sex", "label": "Sex", "type": "category", "labels": {"1": "Male", "2": "Female"},
         "sources": {"r1": {"column": "sex", "labels": {"1": "Male", "2": "Female"}},
                     "r2": {"column": "intro/sex", "labels": {"1": "Male", "2": "Female"}}}},
        {"name": "paid_job", "label": "Paid job", "type": "category", "labels": "yes_no",
         "sources": {"r1": {"column": "paid_job", "labels": {"1": "Yes", "0": "No",
                                                            "98": "Don't know"}},
                     "r2": {"column": "paid_job", "labels": {"1": "Yes", "0": "No",
                                                            "98": "Do not know"}}}},
        {"name": "services", "label": "Services used", "type": "select_multiple",
         "labels": {"health": "Health", "legal": "Legal"},
         "sources": {"r1": None, "r2": "services"}},
        {"name": "aid", "label": "Aid received", "type": "select_multiple",
         "labels": {"food": "Food", "cash": "Cash"},
         "sources": {"r1": {"column": "aid", "choice_separator": "."}, "r2": None}},
        {"name": "respondent_name", "label": "Name", "type": "string", "personal": True,
         "sources": {"r1": "resp_name", "r2": "intro/resp_name"}},
        {"name": "phone", "label": "Phone", "type": "string", "personal": True,
         "sources": {"r1": None, "r2": "intro/phone"}},
    ],
})
ROUNDS = {
    "r1": RoundSource(
        columns=["respondent_id", "AGE", "q30_income", "district", "budget", "sex", "paid_job",
                 "aid", "aid.food", "aid.cash", "resp_name", "interviewer"],
        value_labels={"district": {"1": "Dusti", "2": "Kulob", "3": "Vose"},
                      "budget": {"1": "Yes", "2": "No"},
                      "sex": {"1": "Man", "2": "Woman"}}),
    "r2": RoundSource(
        columns=["intro/resp_id", "intro/age", "intro/district", "economy/budget", "intro/sex",
                 "paid_job", "support/services", "support/services/health",
                 "support/services/legal", "support/services/other", "intro/resp_name",
                 "intro/phone", "_uuid"]),
}


@pytest.fixture(scope="module")
def mapping() -> pd.DataFrame:
    return variable_mapping(CODEBOOK, ROUNDS)


@pytest.fixture(scope="module")
def differences() -> pd.DataFrame:
    return label_differences(CODEBOOK, ROUNDS)


def row(frame: pd.DataFrame, round_name: str, variable: str) -> pd.Series:
    found = frame[(frame["round"] == round_name) & (frame["variable"] == variable)]
    assert len(found) == 1, found
    return found.iloc[0]


def test_mapping_has_a_row_per_round_and_variable_then_unmapped_columns(mapping):
    assert list(mapping.columns) == MAPPING_COLUMNS
    declared = mapping[mapping["status"] != "unmapped_source"]
    assert len(declared) == 2 * len(CODEBOOK.variables)
    assert set(mapping["status"]) == set(STATUSES)
    assert mapping.equals(variable_mapping(CODEBOOK, ROUNDS))  # deterministic


def test_matched_renamed_and_case_or_group_path_fallback(mapping):
    assert row(mapping, "r1", "respondent_id")[["status", "detail"]].tolist() == ["matched", ""]
    renamed = row(mapping, "r2", "respondent_id")
    assert (renamed["status"], renamed["detail"]) == ("renamed", "from intro/resp_id")
    by_case = row(mapping, "r1", "age")
    assert (by_case["status"], by_case["source_column"]) == ("renamed", "AGE")
    assert "ignoring case" in by_case["detail"]
    by_group = row(mapping, "r2", "age")
    assert (by_group["status"], by_group["source_column"]) == ("renamed", "intro/age")
    assert "by group path" in by_group["detail"]


def test_recoded_wins_over_renamed_and_lists_both(mapping):
    recoded = row(mapping, "r2", "district")
    assert recoded["status"] == "recoded"
    assert recoded["detail"] == "from intro/district; recode dusti→1, kulob→2"
    assert row(mapping, "r1", "budget")["detail"] == "recode 2→0"  # canonical name kept


def test_absent_not_found_and_personal(mapping):
    assert row(mapping, "r2", "income")["status"] == "absent"
    missing = row(mapping, "r1", "grade")
    assert missing["status"] == "not_found"
    assert "'grade'" in missing["detail"]
    name = row(mapping, "r2", "respondent_name")
    assert (name["status"], name["source_column"]) == ("personal_dropped", "intro/resp_name")
    assert "dropped at harmonisation" in name["detail"]
    assert row(mapping, "r1", "phone")["status"] == "absent"


def test_ambiguous_fallback_is_not_found():
    rounds = {"r1": RoundSource(["a/age", "b/age"]), "r2": RoundSource(["age"])}
    found = row(variable_mapping(CODEBOOK, rounds), "r1", "age")
    assert found["status"] == "not_found"
    assert "ambiguous: a/age, b/age" in found["detail"]


def test_unmapped_columns_exclude_split_personal_and_provenance_columns(mapping):
    unmapped = mapping[mapping["status"] == "unmapped_source"]
    assert (unmapped["variable"] == "").all()
    assert unmapped.groupby("round")["source_column"].apply(list).to_dict() == {
        "r1": ["interviewer"], "r2": ["_uuid"]}
    services = row(mapping, "r2", "services")
    assert services["status"] == "renamed"
    assert "split columns: health, legal, other" in services["detail"]
    assert "choices not in the codebook: other" in services["detail"]
    assert "split columns: food, cash" in row(mapping, "r1", "aid")["detail"]
    with_provenance = {"r1": RoundSource([SOURCE_FILE, SOURCE_ROW, "extra"])}
    listed = variable_mapping(CODEBOOK, with_provenance)
    assert listed.loc[listed["status"] == "unmapped_source", "source_column"].tolist() == [
        "extra"]


def test_label_differences_between_rounds_and_against_the_codebook(differences):
    assert list(differences.columns) == DIFFERENCE_COLUMNS
    district = differences[differences["variable"] == "district"]
    assert district[["code", "round", "label", "other_round", "other_label",
                     "difference"]].values.tolist() == [
        ["2", "r1", "Kulob", "r2", "Kulob  city", "label_changed"],
        ["2", "r2", "Kulob  city", "codebook", "Kulob", "label_changed"],
        ["3", "r1", "Vose", "r2", "", "new_code"],
        ["3", "r1", "Vose", "codebook", "", "not_in_codebook"],
    ]  # "DUSTI " is "Dusti" after normalising case and whitespace
    assert differences.equals(label_differences(CODEBOOK, ROUNDS))


def test_declared_round_labels_override_the_file_labels(differences):
    # the file says Man/Woman for sex in r1, the declaration Male/Female: no difference
    assert differences[differences["variable"] == "sex"].empty


def test_recode_maps_codes_before_comparison_and_csv_without_labels_is_skipped(differences):
    budget = differences[differences["variable"] == "budget"]
    assert budget.empty  # r1's "2" (No) is canonical "0"; r2 fielded no labels


def test_special_codes_are_compared(differences):
    paid = differences[differences["variable"] == "paid_job"]
    assert paid[["code", "round", "other_round", "difference"]].values.tolist() == [
        ["98", "r1", "r2", "label_changed"],
        ["98", "r1", "codebook", "not_in_codebook"],
        ["98", "r2", "codebook", "not_in_codebook"],
    ]


def test_declared_special_codes_are_not_reported_missing_from_the_codebook():
    """98 is labelled by the project's special-code set, not the codebook's value labels."""
    codebook = CODEBOOK.model_copy(update={"variables": [
        v.model_copy(update={"missing_codes": "dk"}) if v.name == "paid_job" else v
        for v in CODEBOOK.variables]})
    found = label_differences(codebook, ROUNDS, special_codes={"dk": {"98": "dont_know"}})
    paid = found[found["variable"] == "paid_job"]
    assert paid[["code", "other_round", "difference"]].values.tolist() == [
        ["98", "r2", "label_changed"]]


def test_personal_and_unlabelled_variables_give_no_label_rows(differences):
    assert set(differences["variable"]) == {"district", "paid_job"}


def test_summary_counts_statuses_and_differences_per_round(mapping, differences):
    summary = harmonization_summary(mapping, differences).set_index("round")
    assert list(summary.columns) == [*STATUSES, *DIFFERENCES]
    assert summary.loc["r1", "matched"] == 5
    assert summary.loc["r1", "not_found"] == 1
    assert summary.loc["r2", "absent"] == 2
    assert summary.loc["r2", "unmapped_source"] == 1
    assert summary.loc["r1", "label_changed"] == 2  # with r2 (district, paid_job)
    assert summary.loc["r2", "label_changed"] == 3  # also district against the codebook
    assert summary.loc["r1", "not_in_codebook"] == 2
    assert summary.loc["r2", "new_code"] == 1  # r1's code 3, not labelled in r2
    assert summary[[*STATUSES]].sum(axis=1).tolist() == [
        len(mapping[mapping["round"] == r]) for r in ("r1", "r2")]


def test_shipped_codebook_maps_the_shipped_sample_without_not_found(shipped_survey):
    rounds = {"baseline": round_source([read_raw_file(ROOT / "raw/baseline/"
                                                      "khatlon_baseline_2021.sav")]),
              "endline": round_source([read_raw_file(ROOT / "raw/endline/"
                                                     "khatlon_endline_2023.csv")])}
    assert rounds["baseline"].value_labels and not rounds["endline"].value_labels
    codebook = shipped_survey.codebook
    mapping = variable_mapping(codebook, rounds)
    for name in rounds:
        statuses = mapping.loc[mapping["round"] == name, "status"]
        assert len(statuses) > len(codebook.variables)
        assert "not_found" not in set(statuses), mapping[mapping["status"] == "not_found"]
    personal = mapping[mapping["variable"].isin(
        [v.name for v in codebook.variables if v.personal])]
    assert set(personal["status"]) <= {"personal_dropped", "absent"}
    assert not mapping["source_column"].isin([SOURCE_FILE, SOURCE_ROW]).any()
    differences = label_differences(codebook, rounds)
    summary = harmonization_summary(mapping, differences)
    assert summary["round"].tolist() == ["baseline", "endline"]
