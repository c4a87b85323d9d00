"""Harmonising raw text tables onto the codebook's canonical variables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assets.harmonize import (
    FAILURE_COLUMNS,
    HarmonizationError,
    harmonize_round,
    kind_column,
)
from assets.readers import SOURCE_FILE, SOURCE_ROW
from schemas.declarations import Codebook, Project

ROOT = Path(__file__).resolve().parents[1]

PROJECT = Project.model_validate({
    "name": "test survey",
    "respondent_id": "respondent_id",
    "rounds": [{"name": "baseline", "label": "Baseline", "files": ["*.sav"]},
               {"name": "endline", "label": "Endline", "files": ["*.csv"]}],
    "special_codes": {"dk_refused": {"98": "dont_know", "99": "refused"},
                      "income_codes": {"-8": "dont_know", "-9": "refused"}},
})
CODEBOOK = Codebook.model_validate({
    "value_labels": {"district": {"1": "Dusti", "2": "Kulob"}, "yes_no": {"1": "Yes", "0": "No"}},
    "variables": [
        {"name": "respondent_id", "label": "ID", "type": "string", "required": True,
         "sources": {"baseline": "resp_id", "endline": "intro/resp_id"}},
        {"name": "submission_id", "label": "UUID", "type": "string",
         "sources": {"baseline": None, "endline": "_uuid"}},
        {"name": "district", "label": "District", "type": "category", "labels": "district",
         "required": True,
         "sources": {"baseline": "district",
                     "endline": {"column": "intro/district",
                                 "recode": {"dusti": "1", "kulob": "2"}}}},
        {"name": "age", "label": "Age", "type": "integer", "range": [10, 100],
         "sources": {"baseline": "age", "endline": "intro/age"}},
        {"name": "life", "label": "Life (0-10)", "type": "integer", "range": [0, 10],
         "missing_codes": "dk_refused",
         "sources": {"baseline": "q10_life", "endline": "wellbeing/life_whole"}},
        {"name": "income", "label": "Income", "type": "number", "range": [0, 1_000_000],
         "missing_codes": "income_codes",
         "sources": {"baseline": "q30_income",
                     "endline": {"column": "economy/income", "recode": {"-98": "-8"}}}},
        {"name": "budget", "label": "Budget", "type": "category", "labels": "yes_no",
         "missing_codes": "dk_refused",
         "sources": {"baseline": {"column": "q31_budget", "recode": {"2": "0"}},
                     "endline": {"column": "economy/budget",
                                 "recode": {"yes": "1", "no": "0", "dont_know": "98"}}}},
        {"name": "interview_date", "label": "Date", "type": "date",
         "sources": {"baseline": "intdate", "endline": "today"}},
        {"name": "respondent_name", "label": "Name", "type": "string", "personal": True,
         "sources": {"baseline": "resp_name", "endline": "intro/resp_name"}},
        {"name": "phone", "label": "Phone", "type": "string", "personal": True,
         "sources": {"baseline": "phone", "endline": None}},
    ],
})
CANONICAL = ["round", SOURCE_FILE, SOURCE_ROW, "respondent_id", "submission_id", "district",
             "age", "life", "life__kind", "income", "income__kind", "budget", "budget__kind",
             "interview_date"]


def raw_table(columns, file="test.sav"):
    """A raw text table as the readers return it: text cells plus 1-based provenance."""
    frame = pd.DataFrame({name: pd.array(values, dtype="string")
                          for name, values in columns.items()})
    frame.insert(0, SOURCE_ROW, pd.array(range(1, len(frame) + 1), dtype="Int64"))
    frame.insert(0, SOURCE_FILE, file)
    return frame


def baseline_raw(**overrides):
    columns = {
        "resp_id": ["B0001", "B0002", "B0003", "B0004"],
        "resp_name": ["Зарина Раҳимова", "Malika Karimova", "Nigora Saidova", "Umed Nazarov"],
        "phone": ["+992 91 123 4567", "+992 92 234 5678", "+992 93 345 6789", None],
        "district": ["1", "2", "1", "2"],
        "age": ["34", "15", "52", None],
        "q10_life": ["7", "98", "99", None],
        "q30_income": ["500", "-8", "1250.5", "-9"],
        "q31_budget": ["1", "2", "98", None],
        "intdate": ["2021-05-10", "2021-05-11", None, "2021-05-12"],
        "not_in_codebook": ["a", "b", "c", "d"],
    }
    columns.update(overrides)
    return raw_table(columns)


def endline_raw():
    return raw_table({
        "intro/resp_id": ["E0001", "E0002", "E0003"],
        "intro/resp_name": ["Dilnoza Davlatova", "Behruz Sharipov", "Firuza Rajabova"],
        "_uuid": ["u-1", "u-2", "u-3"],
        "intro/district": ["dusti", "kulob", "kulob"],
        "intro/age": ["41", "16", "29"],
        "wellbeing/life_whole": ["10", "0", "98"],
        "economy/income": ["800", "-98", None],
        "economy/budget": ["yes", "no", "dont_know"],
        "today": ["2023-06-05", "2023-06-06", "2023-06-07"],
    }, file="endline.csv")


@pytest.fixture(scope="module")
def baseline():
    return harmonize_round(baseline_raw(), "baseline", PROJECT, CODEBOOK)


@pytest.fixture(scope="module")
def endline():
    return harmonize_round(endline_raw(), "endline", PROJECT, CODEBOOK)


# ----------------------------------------------------------- columns and values


def test_source_columns_are_renamed_to_canonical_names(baseline, endline):
    assert set(baseline.frame.columns) == set(CANONICAL)
    assert set(endline.frame.columns) == set(CANONICAL)
    assert baseline.frame["respondent_id"].tolist() == ["B0001", "B0002", "B0003", "B0004"]
    assert endline.frame["respondent_id"].tolist() == ["E0001", "E0002", "E0003"]


def test_undeclared_raw_columns_do_not_travel(baseline):
    assert "not_in_codebook" not in baseline.frame.columns
    assert "q10_life" not in baseline.frame.columns


def test_recodes_turn_choice_names_into_codes(endline):
    assert endline.frame["district"].tolist() == ["1", "2", "2"]
    assert endline.frame["budget"].iloc[:2].tolist() == ["1", "0"]


def test_numeric_recodes_apply_to_spss_codes(baseline):
    assert baseline.frame["budget"].iloc[:2].tolist() == ["1", "0"]


def test_recode_into_a_special_code_gives_its_kind(endline):
    assert pd.isna(endline.frame["budget"].iloc[2])
    assert endline.frame["budget__kind"].tolist() == ["valid", "valid", "dont_know"]
    assert pd.isna(endline.frame["income"].iloc[1])
    assert endline.frame["income__kind"].tolist() == ["valid", "dont_know", "missing"]


def test_special_codes_become_kinds_and_na_values(baseline):
    frame = baseline.frame
    assert frame[kind_column("life")].tolist() == ["valid", "dont_know", "refused", "missing"]
    assert frame["life"].iloc[0] == 7
    assert frame["life"].iloc[1:].isna().all()
    assert not frame["life"].isin([98, 99]).any()
    assert frame["income__kind"].tolist() == ["valid", "dont_know", "valid", "refused"]
    assert frame["income"].iloc[[0, 2]].tolist() == [500.0, 1250.5]
    assert frame["income"].iloc[[1, 3]].isna().all()


def test_98_on_a_0_10_item_never_stays_98(endline):
    assert endline.frame["life"].iloc[:2].tolist() == [10, 0]
    assert pd.isna(endline.frame["life"].iloc[2])
    assert endline.frame["life__kind"].iloc[2] == "dont_know"


def test_variables_without_special_codes_have_no_kind_column(baseline):
    assert "age__kind" not in baseline.frame.columns
    assert "district__kind" not in baseline.frame.columns


def test_declared_types_are_applied(baseline):
    frame = baseline.frame
    assert frame["age"].dtype == "Int64"
    assert frame["income"].dtype == "Float64"
    assert frame["district"].dtype == "string"
    assert pd.api.types.is_datetime64_any_dtype(frame["interview_date"])
    assert frame["interview_date"].iloc[0] == pd.Timestamp("2021-05-10")
    assert pd.isna(frame["interview_date"].iloc[2])


def test_row_count_and_provenance_are_kept(baseline):
    raw = baseline_raw()
    frame = baseline.frame
    assert len(frame) == len(raw)
    assert frame["round"].tolist() == ["baseline"] * len(raw)
    assert frame[SOURCE_FILE].tolist() == raw[SOURCE_FILE].tolist()
    assert frame[SOURCE_ROW].tolist() == [1, 2, 3, 4]
    assert frame[SOURCE_ROW].dtype == "Int64"


# ------------------------------------------------------------ personal, absent


def test_personal_variables_are_dropped_and_reported(baseline, endline):
    assert baseline.personal_columns_dropped == ["resp_name", "phone"]
    assert endline.personal_columns_dropped == ["intro/resp_name"]
    for result in (baseline, endline):
        assert "respondent_name" not in result.frame.columns
        assert "phone" not in result.frame.columns


def test_no_personal_value_reaches_the_harmonised_frame(baseline):
    raw = baseline_raw()
    personal = set(raw["resp_name"].dropna()) | set(raw["phone"].dropna())
    cells = {str(v) for column in baseline.frame.columns for v in baseline.frame[column]}
    assert personal.isdisjoint(cells)


def test_variables_with_a_null_source_are_absent(baseline, endline):
    assert baseline.absent_variables == ["submission_id"]
    assert baseline.frame["submission_id"].isna().all()
    assert baseline.frame["submission_id"].dtype == "string"
    assert endline.absent_variables == []
    assert endline.frame["submission_id"].tolist() == ["u-1", "u-2", "u-3"]


def test_missing_declared_source_column_raises_naming_round_variable_and_column():
    raw = baseline_raw().drop(columns=["q10_life"])
    with pytest.raises(HarmonizationError) as info:
        harmonize_round(raw, "baseline", PROJECT, CODEBOOK)
    message = str(info.value)
    assert "'baseline'" in message
    assert "'life'" in message
    assert "'q10_life'" in message
    assert "test.sav" in message


def test_missing_personal_source_column_is_not_an_error():
    raw = baseline_raw().drop(columns=["phone"])
    result = harmonize_round(raw, "baseline", PROJECT, CODEBOOK)
    assert result.personal_columns_dropped == ["resp_name"]


# ---------------------------------------------------------- conversion failures


def test_non_numeric_and_fractional_integers_are_conversion_failures():
    raw = baseline_raw(age=["seven", "15", "52", None], q10_life=["6.5", "98", "99", None])
    result = harmonize_round(raw, "baseline", PROJECT, CODEBOOK)
    failures = result.conversion_failures
    assert list(failures.columns) == FAILURE_COLUMNS
    records = sorted(failures.to_dict("records"), key=lambda r: r["column"])
    assert records == [
        {"round": "baseline", SOURCE_FILE: "test.sav", SOURCE_ROW: 1, "respondent_id": "B0001",
         "column": "age", "rule": "convertible to integer", "value": "seven"},
        {"round": "baseline", SOURCE_FILE: "test.sav", SOURCE_ROW: 1, "respondent_id": "B0001",
         "column": "life", "rule": "convertible to integer", "value": "6.5"},
    ]
    assert pd.isna(result.frame["age"].iloc[0])
    assert pd.isna(result.frame["life"].iloc[0])
    assert len(result.frame) == 4  # the row stays; validation quarantines it


def test_fractional_value_is_fine_for_a_number_variable(baseline):
    assert baseline.frame["income"].iloc[2] == 1250.5
    assert baseline.conversion_failures.empty


def test_unparseable_date_is_a_conversion_failure():
    raw = baseline_raw(intdate=["2021-05-10", "2021-13-45", "10/05/2021", None])
    result = harmonize_round(raw, "baseline", PROJECT, CODEBOOK)
    failures = result.conversion_failures
    assert failures[SOURCE_ROW].tolist() == [2, 3]
    assert set(failures["rule"]) == {"convertible to date"}
    assert failures["value"].tolist() == ["2021-13-45", "10/05/2021"]
    assert failures["respondent_id"].tolist() == ["B0002", "B0003"]


def test_integral_float_text_converts_to_an_integer():
    raw = baseline_raw(age=["34.0", "1e1", "52", None])
    result = harmonize_round(raw, "baseline", PROJECT, CODEBOOK)
    assert result.frame["age"].iloc[:3].tolist() == [34, 10, 52]
    assert result.conversion_failures.empty


@pytest.mark.parametrize("text", ["inf", "1e20"])
def test_integer_that_does_not_fit_is_a_conversion_failure(text):
    raw = baseline_raw(age=[text, "15", "52", None])
    result = harmonize_round(raw, "baseline", PROJECT, CODEBOOK)
    assert result.conversion_failures["value"].tolist() == [text]
    assert pd.isna(result.frame["age"].iloc[0])


def test_date_with_an_offset_among_plain_dates_does_not_crash_the_round():
    raw = baseline_raw(intdate=["2021-05-10", "2021-05-11T08:00:00+05:00", None, None])
    result = harmonize_round(raw, "baseline", PROJECT, CODEBOOK)
    assert result.frame["interview_date"].iloc[0] == pd.Timestamp("2021-05-10")
    # the offset is converted to UTC: 08:00 at +05:00 is 03:00 UTC
    assert result.frame["interview_date"].iloc[1] == pd.Timestamp("2021-05-11 03:00")
    assert result.conversion_failures.empty


# ------------------------------------------------------------- shipped sample


@pytest.fixture
def sample(harmonized_sample):
    return harmonized_sample


def test_sample_rounds_share_the_same_canonical_columns(sample):
    baseline, endline = sample["baseline"][1].frame, sample["endline"][1].frame
    assert list(baseline.columns) == list(endline.columns)
    assert {"respondent_id", "life_as_a_whole", "life_as_a_whole__kind", "district"} <= set(
        baseline.columns)
    assert len(baseline) == 598
    assert len(endline) == 456


def test_sample_converts_without_failures(sample):
    for _, result in sample.values():
        assert result.conversion_failures.empty
    assert sample["baseline"][1].absent_variables == [
        "submission_id", "enumerator", "form_version", "interview_start", "interview_end",
        "services_received"]
    assert sample["endline"][1].absent_variables == []


def test_sample_special_codes_never_stay_as_values(sample):
    items = ["life_as_a_whole", "pwi_standard_of_living", "pwi_health", "pwi_achieving",
             "pwi_relationships", "pwi_safety", "pwi_community", "pwi_future_security"]
    for _, result in sample.values():
        frame = result.frame
        kinds = pd.concat([frame[kind_column(item)] for item in items])
        assert {"dont_know", "refused"} <= set(kinds)
        for item in items:
            assert not frame[item].isin([98, 99]).any(), item
            special = frame[kind_column(item)] != "valid"
            assert frame.loc[special, item].isna().all(), item
        income_kind = frame["household_income_month__kind"]
        assert {"dont_know", "refused"} <= set(income_kind)  # -98/-99 recoded in the endline
        assert frame.loc[income_kind != "valid", "household_income_month"].isna().all()


def test_sample_endline_recodes_choice_names(sample):
    frame = sample["endline"][1].frame
    assert set(frame["district"]) == {"1", "2"}
    assert set(frame["respondent_type"]) == {"1", "2"}
    assert set(frame["has_paid_job"].dropna()) == {"0", "1"}


def test_no_personal_value_appears_in_the_harmonised_sample(sample):
    personal_raw = {
        "baseline": ["resp_name", "phone", "gps_lat", "gps_lon"],
        "endline": ["intro/resp_name", "intro/phone", "gps", "_gps_latitude", "_gps_longitude"],
    }
    for round_name, (raw, result) in sample.items():
        assert result.personal_columns_dropped == personal_raw[round_name]
        personal = set(raw[personal_raw[round_name]].stack().dropna())
        assert len(personal) > 1000  # names, phones and GPS points of hundreds of people
        frame = result.frame
        for name in ["respondent_name", "phone", "gps", "gps_latitude", "gps_longitude"]:
            assert name not in frame.columns
        cells = {str(v) for column in frame.columns for v in frame[column].dropna()}
        assert personal.isdisjoint(cells), round_name


# ------------------------------------------- columns read, file missing codes, select_multiple

SERVICES = Codebook.model_validate({
    "value_labels": {"services": {"health": "Health", "legal": "Legal aid", "other": "Other"}},
    "variables": [
        {"name": "respondent_id", "label": "ID", "type": "string",
         "sources": {"baseline": "RESP_ID", "endline": "intro/resp_id"}},
        {"name": "income", "label": "Income", "type": "number",
         "sources": {"baseline": "INCOME", "endline": "economy/income"}},
        {"name": "services", "label": "Services", "type": "select_multiple",
         "labels": "services",
         "sources": {"baseline": None,
                     "endline": {"column": "support/services", "recode": {"law": "legal"}}}},
        {"name": "respondent_name", "label": "Name", "type": "string", "personal": True,
         "sources": {"baseline": "NAME", "endline": "intro/name"}},
    ],
})


def test_needed_columns_are_declared_sources_and_split_columns_never_personal():
    from assets.harmonize import needed_columns

    header = ["resp_id", "name", "income", "services", "services/health", "services/law",
              "services_note", "deviceid"]
    assert needed_columns(SERVICES, "endline", header) == [
        "resp_id", "income", "services", "services/health", "services/law", "services_note"]


def test_upper_case_portable_names_are_matched_ignoring_case():
    raw = raw_table({"resp_id": ["B1", "B2"], "income": ["10", "20"], "name": ["A", "B"]})
    result = harmonize_round(raw, "baseline", PROJECT, SERVICES)
    assert result.frame["income"].tolist() == [10.0, 20.0]
    assert result.personal_columns_dropped == ["name"]


def test_file_declared_missing_values_and_unanswered_codes_get_a_kind_never_a_silent_na():
    raw = raw_table({"resp_id": ["B1", "B2", "B3", "B4"],
                     "income": ["10", "-99", "95", "-999999999"], "name": ["A", "B", "C", "D"]})
    result = harmonize_round(raw, "baseline", PROJECT, SERVICES,
                             file_missing={"income": ["-99", "90..99"]})
    assert result.frame["income__kind"].tolist() == ["valid", "missing", "missing", "missing"]
    assert result.frame["income"].isna().tolist() == [False, True, True, True]
    assert result.conversion_failures.empty


def test_select_multiple_is_rebuilt_over_declared_choices_with_not_asked_as_na():
    raw = raw_table({
        "intro/resp_id": ["E1", "E2", "E3", "E4"], "economy/income": ["1", "2", "3", "4"],
        "support/services": ["health law", None, "other", "health"],
        "support/services/health": ["1", None, "0", "1"],
        "support/services/law": ["1", None, "0", "0"],
        "intro/name": ["A", "B", "C", "D"]}, file="endline.csv")
    result = harmonize_round(raw, "endline", PROJECT, SERVICES)
    frame = result.frame
    assert frame["services"].tolist()[0] == "health legal"
    assert pd.isna(frame["services"].iloc[1])
    assert frame["services__health"].tolist() == [1, pd.NA, 0, 1]
    assert frame["services__legal"].tolist() == [1, pd.NA, 0, 0]
    assert frame["services__other"].tolist() == [0, pd.NA, 1, 0]
    assert str(frame["services__other"].dtype) == "Int64"


def test_undeclared_choice_is_a_failure_naming_row_and_value():
    raw = raw_table({"intro/resp_id": ["E1", "E2"], "economy/income": ["1", "2"],
                     "support/services": ["health", "bribe"], "intro/name": ["A", "B"]},
                    file="endline.csv")
    failures = harmonize_round(raw, "endline", PROJECT, SERVICES).conversion_failures
    assert failures[["source_row", "respondent_id", "column", "value"]].values.tolist() == [
        [2, "E2", "services", "bribe"]]


def test_select_multiple_absent_in_a_round_is_all_na():
    raw = raw_table({"resp_id": ["B1"], "income": ["1"], "name": ["A"]})
    result = harmonize_round(raw, "baseline", PROJECT, SERVICES)
    assert "services" in result.absent_variables
    assert result.frame[["services", "services__health"]].isna().all().all()
