"""Validating harmonised rounds: clean rows, quarantine with reasons, file-level failures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.config as pandera_config
import pandera.pandas as pa
import pytest

from assets.harmonize import FAILURE_COLUMNS, harmonize_round
from assets.readers import SOURCE_FILE, SOURCE_ROW
from assets.validate import (
    DUPLICATE_RULE,
    RoundValidationError,
    ValidatedRound,
    failures_by_rule,
    response_schema,
    row_accounting,
    validate_round,
)
from schemas.declarations import DEFAULT_PROJECT_FILE, Codebook, Project, load_survey

ROOT = Path(__file__).resolve().parents[1]
RANGE_RULE = "in range [0, 10]"

PROJECT = Project.model_validate({
    "name": "test survey",
    "respondent_id": "respondent_id",
    "rounds": [{"name": "endline", "label": "Endline", "files": ["*.csv"]}],
    "special_codes": {"dk_refused": {"98": "dont_know", "99": "refused"}},
})
CODEBOOK = Codebook.model_validate({
    "value_labels": {"district": {"1": "Dusti", "2": "Kulob"}},
    "variables": [
        {"name": "respondent_id", "label": "ID", "type": "string", "required": True,
         "sources": {"endline": "rid"}},
        {"name": "submission_id", "label": "UUID", "type": "string",
         "sources": {"endline": "_uuid"}},
        {"name": "district", "label": "District", "type": "category", "labels": "district",
         "required": True, "sources": {"endline": "district"}},
        {"name": "age", "label": "Age", "type": "integer", "range": [10, 100],
         "sources": {"endline": "age"}},
        {"name": "life", "label": "Life (0-10)", "type": "integer", "range": [0, 10],
         "missing_codes": "dk_refused", "sources": {"endline": "life"}},
        {"name": "interview_date", "label": "Date", "type": "date",
         "sources": {"endline": "today"}},
        {"name": "respondent_name", "label": "Name", "type": "string", "personal": True,
         "sources": {"endline": "name"}},
    ],
})


def person(i, **changes):
    """One raw respondent (text cells); `changes` overrides answers."""
    record = {"rid": f"E{i:04d}", "_uuid": f"uuid-{i}", "district": "1" if i % 2 else "2",
              "age": str(20 + i), "life": str(i % 11), "today": f"2023-06-{i % 28 + 1:02d}",
              "name": f"Person {i}"}
    record.update(changes)
    return record


def harmonize(records, file="endline.csv"):
    frame = pd.DataFrame(records, dtype="string")
    frame.insert(0, SOURCE_ROW, pd.array(range(1, len(frame) + 1), dtype="Int64"))
    frame.insert(0, SOURCE_FILE, file)
    return harmonize_round(frame, "endline", PROJECT, CODEBOOK)


def validate(records):
    harmonized = harmonize(records)
    return harmonized, validate_round(harmonized.frame, harmonized.conversion_failures,
                                      PROJECT, CODEBOOK)


def failure_keys(result):
    """(source row, respondent id, column, rule) of every failure row."""
    return sorted(zip(result.failures[SOURCE_ROW].astype(int), result.failures["respondent_id"],
                      result.failures["column"], result.failures["rule"], strict=True))


# ---------------------------------------------------------------- row failures


def test_out_of_range_row_goes_to_quarantine_with_a_failure_row():
    records = [person(i) for i in range(1, 7)]
    records[2] = person(3, life="15")
    harmonized, result = validate(records)
    assert list(result.failures.columns) == FAILURE_COLUMNS
    assert result.failures.to_dict("records") == [{
        "round": "endline", SOURCE_FILE: "endline.csv", SOURCE_ROW: 3,
        "respondent_id": "E0003", "column": "life", "rule": RANGE_RULE, "value": "15"}]
    assert result.quarantine["respondent_id"].tolist() == ["E0003"]
    assert result.quarantine["reasons"].tolist() == [f"life: {RANGE_RULE}"]
    assert result.clean["respondent_id"].tolist() == ["E0001", "E0002", "E0004", "E0005",
                                                      "E0006"]
    assert len(harmonized.frame) == len(result.clean) + len(result.quarantine)


def test_clean_and_quarantined_rows_keep_their_values_and_provenance():
    records = [person(i) for i in range(1, 5)]
    records[1] = person(2, life="11")
    harmonized, result = validate(records)
    expected_clean = harmonized.frame.drop(index=1).reset_index(drop=True)
    pd.testing.assert_frame_equal(result.clean, expected_clean)
    assert result.quarantine[SOURCE_ROW].tolist() == [2]
    assert result.quarantine["life"].tolist() == [11]


def test_every_failure_of_a_row_is_listed_and_the_row_quarantined_once():
    records = [person(i) for i in range(1, 5)]
    records[3] = person(4, life="15", district="3", age="7")
    _, result = validate(records)
    assert failure_keys(result) == [
        (4, "E0004", "age", "in range [10, 100]"),
        (4, "E0004", "district", "one of the codes ['1', '2']"),
        (4, "E0004", "life", RANGE_RULE),
    ]
    assert result.quarantine["respondent_id"].tolist() == ["E0004"]
    reasons = result.quarantine["reasons"].iloc[0].split("; ")
    assert sorted(reasons) == ["age: in range [10, 100]", "district: one of the codes ['1', '2']",
                               f"life: {RANGE_RULE}"]
    assert len(result.clean) == 3


def test_special_codes_are_not_range_failures():
    records = [person(i) for i in range(1, 4)]
    records[0] = person(1, life="98")
    records[1] = person(2, life="99")
    records[2] = person(3, life="15")  # keeps the failure table non-empty
    _, result = validate(records)
    assert result.clean["respondent_id"].tolist() == ["E0001", "E0002"]
    assert failure_keys(result) == [(3, "E0003", "life", RANGE_RULE)]


def test_exact_duplicate_submission_quarantines_only_the_later_copy():
    records = [person(i) for i in range(1, 6)]
    records.insert(4, person(2, _uuid="uuid-resubmitted"))  # source row 5
    harmonized, result = validate(records)
    assert harmonized.frame["submission_id"].nunique() == 6  # not duplicates by submission id
    assert failure_keys(result) == [(5, "E0002", "row", DUPLICATE_RULE)]
    assert result.quarantine[SOURCE_ROW].tolist() == [5]
    assert result.quarantine["submission_id"].tolist() == ["uuid-resubmitted"]
    assert result.clean[SOURCE_ROW].tolist() == [1, 2, 3, 4, 6]
    assert result.clean["respondent_id"].tolist().count("E0002") == 1


def test_same_respondent_id_with_different_answers_quarantines_both():
    records = [person(i) for i in range(1, 5)]
    records.append(person(2, _uuid="uuid-other", life="3", age="61"))  # source row 5
    _, result = validate(records)
    assert failure_keys(result) == [(2, "E0002", "respondent_id", "unique respondent id"),
                                    (5, "E0002", "respondent_id", "unique respondent id")]
    assert result.failures["value"].tolist() == ["E0002", "E0002"]
    assert result.quarantine[SOURCE_ROW].tolist() == [2, 5]
    assert "E0002" not in set(result.clean["respondent_id"])
    assert len(result.clean) == 3


def test_invalid_category_code_is_quarantined():
    records = [person(i) for i in range(1, 4)]
    records[0] = person(1, district="3")
    _, result = validate(records)
    assert result.failures[["respondent_id", "column", "rule", "value"]].to_dict("records") == [
        {"respondent_id": "E0001", "column": "district", "rule": "one of the codes ['1', '2']",
         "value": "3"}]
    assert result.quarantine["respondent_id"].tolist() == ["E0001"]


def test_missing_required_value_is_quarantined():
    records = [person(i) for i in range(1, 4)]
    records[1] = person(2, district=None)
    _, result = validate(records)
    assert result.failures["column"].tolist() == ["district"]
    assert result.failures["respondent_id"].tolist() == ["E0002"]
    assert result.quarantine[SOURCE_ROW].tolist() == [2]


def test_conversion_failure_quarantines_its_row():
    records = [person(i) for i in range(1, 4)]
    records[1] = person(2, life="seven")
    harmonized, result = validate(records)
    assert len(harmonized.conversion_failures) == 1
    assert pd.isna(harmonized.frame["life"].iloc[1])  # nothing for Pandera to see
    assert result.failures.to_dict("records") == [{
        "round": "endline", SOURCE_FILE: "endline.csv", SOURCE_ROW: 2,
        "respondent_id": "E0002", "column": "life", "rule": "convertible to integer",
        "value": "seven"}]
    assert result.quarantine["reasons"].tolist() == ["life: convertible to integer"]
    assert result.clean["respondent_id"].tolist() == ["E0001", "E0003"]


def test_failures_are_sorted_by_source_row():
    records = [person(i) for i in range(1, 8)]
    records[5] = person(6, life="12")
    records[1] = person(2, life="seven")
    records[3] = person(4, district="9")
    _, result = validate(records)
    assert result.failures[SOURCE_ROW].tolist() == [2, 4, 6]
    assert result.quarantine[SOURCE_ROW].tolist() == [2, 4, 6]


def test_a_round_without_failures_is_all_clean():
    _, result = validate([person(i) for i in range(1, 4)])
    assert len(result.clean) == 3
    assert result.quarantine.empty
    assert result.failures.empty
    assert list(result.failures.columns) == FAILURE_COLUMNS


# ----------------------------------------------------------- file-level failures


def test_missing_required_column_is_a_file_level_error_naming_the_round():
    harmonized = harmonize([person(i) for i in range(1, 4)])
    frame = harmonized.frame.drop(columns=["district"])
    with pytest.raises(RoundValidationError) as info:
        validate_round(frame, harmonized.conversion_failures, PROJECT, CODEBOOK)
    message = str(info.value)
    assert "'endline'" in message
    assert "district" in message
    assert "endline.csv" in message


def test_missing_respondent_id_column_is_a_file_level_error():
    harmonized = harmonize([person(i) for i in range(1, 4)])
    frame = harmonized.frame.drop(columns=["respondent_id"])
    with pytest.raises(RoundValidationError, match="'endline'"):
        validate_round(frame, harmonized.conversion_failures, PROJECT, CODEBOOK)


# ------------------------------------------------------------ the environment


@pytest.fixture
def pandera_env(monkeypatch):
    """Set PANDERA_* variables and reload Pandera's context config from the environment.

    Pandera reads the environment once at import, so the context config is rebuilt the way
    Pandera builds it; the original config is restored afterwards.
    """

    def apply(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        pandera_config.reset_config_context(pandera_config._config_from_env_vars())

    yield apply
    pandera_config.reset_config_context()


def test_validation_runs_even_when_the_environment_disables_pandera(pandera_env):
    records = [person(i) for i in range(1, 4)]
    records[0] = person(1, life="15")
    harmonized = harmonize(records)
    pandera_env(PANDERA_VALIDATION_ENABLED="False")
    # The switch is really off: a plain validate lets the bad row through.
    schema = response_schema(PROJECT, CODEBOOK)
    assert len(schema.validate(harmonized.frame, lazy=True)) == 3
    result = validate_round(harmonized.frame, harmonized.conversion_failures, PROJECT, CODEBOOK)
    assert failure_keys(result) == [(1, "E0001", "life", RANGE_RULE)]
    assert result.quarantine["respondent_id"].tolist() == ["E0001"]
    assert not pandera_config.get_config_context().validation_enabled  # restored after the call


def test_validation_checks_data_even_when_the_environment_asks_for_schema_only(pandera_env):
    records = [person(i) for i in range(1, 5)]
    records[0] = person(1, life="15")
    records.append(person(3, _uuid="uuid-again"))  # an exact duplicate keeps failures non-empty
    harmonized = harmonize(records)
    pandera_env(PANDERA_VALIDATION_DEPTH="SCHEMA_ONLY")
    result = validate_round(harmonized.frame, harmonized.conversion_failures, PROJECT, CODEBOOK)
    assert (1, "E0001", "life", RANGE_RULE) in failure_keys(result)
    assert "E0001" not in set(result.clean["respondent_id"])


# ------------------------------------------------------------------ the schema


def test_response_schema_is_generated_from_the_codebook():
    schema = response_schema(PROJECT, CODEBOOK)
    assert set(schema.columns) == {"round", SOURCE_FILE, SOURCE_ROW, "respondent_id",
                                   "submission_id", "district", "age", "life",
                                   "interview_date"}
    assert "respondent_name" not in schema.columns
    assert schema.columns["respondent_id"].unique
    assert not any(schema.columns[c].unique for c in schema.columns if c != "respondent_id")
    assert not schema.columns["respondent_id"].nullable
    assert not schema.columns["district"].nullable
    assert schema.columns["life"].nullable
    assert str(schema.columns["age"].dtype) == "Int64"
    assert str(schema.columns["district"].dtype).startswith("string")
    assert [c.error for c in schema.columns["life"].checks] == [RANGE_RULE]
    assert [c.error for c in schema.columns["district"].checks] == ["one of the codes ['1', '2']"]
    assert schema.unique == [SOURCE_FILE, SOURCE_ROW]


def test_response_schema_rejects_a_repeated_respondent_id():
    harmonized = harmonize([person(1), person(2), person(1, _uuid="x", life="2")])
    schema = response_schema(PROJECT, CODEBOOK)
    with pytest.raises(pa.errors.SchemaErrors) as info:
        schema.validate(harmonized.frame, lazy=True)
    cases = info.value.failure_cases
    assert set(cases["column"]) == {"respondent_id"}
    assert sorted(cases["index"]) == [0, 2]


def test_shipped_schema_covers_every_non_personal_variable():
    survey = load_survey(DEFAULT_PROJECT_FILE)
    schema = response_schema(survey.project, survey.codebook)
    published = {v.name for v in survey.codebook.columns() if not v.personal}
    assert {"services_received", "services_received__legal"} <= published  # select_multiple
    personal = {v.name for v in survey.codebook.variables if v.personal}
    assert set(schema.columns) == published | {"round", SOURCE_FILE, SOURCE_ROW}
    assert personal.isdisjoint(schema.columns)
    assert [c for c in schema.columns if schema.columns[c].unique] == ["respondent_id"]


# -------------------------------------------------------------- shipped sample


@pytest.fixture(scope="module")
def sample(harmonized_sample, shipped_survey):
    """round -> (Harmonized, ValidatedRound) for the shipped sample."""
    return {round_name: (harmonized, validate_round(harmonized.frame,
                                                    harmonized.conversion_failures,
                                                    shipped_survey.project,
                                                    shipped_survey.codebook))
            for round_name, (_, harmonized) in harmonized_sample.items()}


def test_sample_baseline_quarantines_exactly_the_planted_defects(sample):
    harmonized, result = sample["baseline"]
    assert len(harmonized.frame) == 598
    assert len(result.quarantine) == 4
    assert len(result.clean) == 598 - 4
    assert set(result.failures[SOURCE_FILE]) == {"khatlon_baseline_2021.sav"}
    assert sorted(zip(result.failures["respondent_id"], result.failures["column"],
                      result.failures["rule"], result.failures["value"], strict=True)) == [
        ("B0058", "row", DUPLICATE_RULE, "B0058"),
        ("B0383", "pwi_achieving", RANGE_RULE, "15"),
        ("B0384", "respondent_id", "unique respondent id", "B0384"),
        ("B0384", "respondent_id", "unique respondent id", "B0384"),
    ]
    # The first copy of the duplicated interview stays clean; both B0384 rows go.
    clean_ids = result.clean["respondent_id"].tolist()
    assert clean_ids.count("B0058") == 1
    assert "B0383" not in clean_ids
    assert "B0384" not in clean_ids
    duplicate = result.failures[result.failures["rule"] == DUPLICATE_RULE]
    original = harmonized.frame[harmonized.frame["respondent_id"] == "B0058"]
    assert original[SOURCE_ROW].tolist() == [58, int(duplicate[SOURCE_ROW].iloc[0])]
    assert result.clean["respondent_id"].is_unique


def test_sample_endline_quarantines_the_resubmission_and_the_negative_income(sample):
    harmonized, result = sample["endline"]
    assert len(harmonized.frame) == 456
    assert len(result.quarantine) == 2
    assert len(result.clean) == 456 - 2
    failures = result.failures.set_index("respondent_id")
    assert sorted(failures.index) == ["E0034", "E0279"]
    assert failures.loc["E0034", "rule"] == DUPLICATE_RULE
    assert failures.loc["E0279", "column"] == "household_income_month"
    assert failures.loc["E0279", "rule"] == "in range [0, 1e+06]"
    assert float(failures.loc["E0279", "value"]) == -1500
    # The resubmission is a later copy with its own submission id; the first copy stays clean.
    copies = harmonized.frame[harmonized.frame["respondent_id"] == "E0034"]
    assert len(copies) == 2
    assert copies["submission_id"].nunique() == 2
    assert failures.loc["E0034", SOURCE_ROW] == copies[SOURCE_ROW].max()
    assert result.clean["respondent_id"].tolist().count("E0034") == 1
    assert result.clean["respondent_id"].is_unique


def test_sample_quarantine_reasons_name_column_and_rule(sample):
    _, baseline = sample["baseline"]
    reasons = dict(zip(baseline.quarantine["respondent_id"], baseline.quarantine["reasons"],
                       strict=False))
    assert reasons["B0383"] == f"pwi_achieving: {RANGE_RULE}"
    assert reasons["B0058"] == f"row: {DUPLICATE_RULE}"
    assert reasons["B0384"] == "respondent_id: unique respondent id"


def test_row_accounting_balances_per_file_and_detects_a_lost_row(sample):
    harmonized, result = sample["baseline"]
    inventory = [{"file": "khatlon_baseline_2021.sav", "rows": len(harmonized.frame)}]
    table = row_accounting(inventory, result.clean, result.quarantine)
    assert table[["raw", "clean", "quarantined"]].iloc[0].tolist() == [598, 594, 4]
    assert table["balanced"].all()
    lost = row_accounting(inventory, result.clean.iloc[1:], result.quarantine)
    assert not lost["balanced"].any()


def test_failures_are_summarised_by_column_and_rule(sample):
    _, result = sample["endline"]
    summary = failures_by_rule(result.failures).set_index(["column", "rule"])["rows"]
    assert summary[("household_income_month", "in range [0, 1e+06]")] == 1
    assert failures_by_rule(result.failures.iloc[0:0]).empty


def test_a_round_with_zero_valid_rows_stops_with_one_message():
    from assets.validation_run import require_valid_rows

    failures = pd.DataFrame({"column": ["age", "age", "sex"], "rule": ["in range"] * 2 + ["x"]})
    empty = ValidatedRound(pd.DataFrame(), pd.DataFrame({"a": [1, 2]}), failures)
    with pytest.raises(RoundValidationError, match=r"round 'endline': no valid rows: all 2 rows "
                                                   r"failed validation; most frequent: "
                                                   r"\[\{'column': 'age'"):
        require_valid_rows(empty, "endline")
    require_valid_rows(ValidatedRound(pd.DataFrame({"a": [1]}), pd.DataFrame(), failures),
                       "endline")  # one valid row is enough
