"""Declared corrections: loading the consultant's CSV and applying it to a harmonised round."""

from __future__ import annotations

import pandas as pd
import pytest

from assets.corrections import (
    CORRECTION_COLUMNS,
    LOG_COLUMNS,
    apply_corrections,
    load_corrections,
    uncorrected_failures,
)
from assets.harmonize import harmonize_round
from assets.readers import SOURCE_FILE, SOURCE_ROW
from schemas.declarations import Codebook, Project
from schemas.yaml_source import DeclarationError

ROUNDS = ["baseline", "endline"]
PROJECT = Project.model_validate({
    "name": "test survey",
    "respondent_id": "respondent_id",
    "rounds": [{"name": r, "label": r.title(), "files": ["*.csv"]} for r in ROUNDS],
    "special_codes": {"dk_refused": {"98": "dont_know", "99": "refused"},
                      "income_codes": {"-8": "dont_know", "-9": "refused"}},
})


def _source(column):
    return dict.fromkeys(ROUNDS, column)


CODEBOOK = Codebook.model_validate({
    "value_labels": {"district": {"1": "Dusti", "2": "Kulob"},
                     "services": {"health": "Health", "school": "School", "water": "Water"}},
    "variables": [
        {"name": "respondent_id", "label": "ID", "type": "string", "required": True,
         "sources": _source("rid")},
        {"name": "district", "label": "District", "type": "category", "labels": "district",
         "sources": _source("district")},
        {"name": "age", "label": "Age", "type": "integer", "range": [10, 100],
         "sources": _source("age")},
        {"name": "life", "label": "Life (0-10)", "type": "integer", "range": [0, 10],
         "missing_codes": "dk_refused", "sources": _source("life")},
        {"name": "income", "label": "Income", "type": "number",
         "missing_codes": "income_codes", "sources": _source("income")},
        {"name": "interview_date", "label": "Date", "type": "date",
         "sources": _source("today")},
        {"name": "services", "label": "Services used", "type": "select_multiple",
         "labels": "services", "sources": _source("services")},
        {"name": "respondent_name", "label": "Name", "type": "string", "personal": True,
         "sources": _source("name")},
    ],
})
HEADER = ",".join(CORRECTION_COLUMNS)


def person(i, **changes):
    """One raw respondent (text cells); `changes` overrides answers."""
    record = {"rid": f"E{i:04d}", "district": "1" if i % 2 else "2", "age": str(20 + i),
              "life": str(i % 11), "income": f"{100 * i}.5", "today": f"2023-06-{i:02d}",
              "services": "health water" if i % 2 else "school", "name": f"Person {i}"}
    record.update(changes)
    return record


def harmonize(records, round_name="endline", file="endline.csv"):
    frame = pd.DataFrame(records, dtype="string")
    frame.insert(0, SOURCE_ROW, pd.array(range(1, len(frame) + 1), dtype="Int64"))
    frame.insert(0, SOURCE_FILE, file)
    return harmonize_round(frame, round_name, PROJECT, CODEBOOK)


def write(tmp_path, *rows, header=HEADER, name="corrections.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def row(source_row, column, new_value, old_value="", respondent_id="", round_name="endline",
        source_file="endline.csv", reason="checked with the enumerator", who="AK"):
    cells = [round_name, source_file, str(source_row), respondent_id, column, old_value,
             new_value, reason, who]
    return ",".join(f'"{c}"' if "," in c else c for c in cells)


def apply(tmp_path, *rows, records=None, failures=True):
    harmonized = harmonize(records or [person(i) for i in range(1, 6)])
    corrections = load_corrections(write(tmp_path, *rows), CODEBOOK, ROUNDS)
    result = apply_corrections(harmonized.frame, corrections, "endline", PROJECT, CODEBOOK,
                               harmonized.conversion_failures if failures else None)
    return harmonized, result


def statuses(result):
    return dict(zip(result.log["line"].astype(int), result.log["status"], strict=True))


# ------------------------------------------------------------------------------ loading


def test_load_returns_a_typed_frame_with_line_numbers(tmp_path):
    path = write(tmp_path, row(3, "age", "45", old_value="23", respondent_id="E0003"),
                 "", row(4, "life", "98"))
    table = load_corrections(path, CODEBOOK, ROUNDS)
    assert list(table.columns) == ["line", *CORRECTION_COLUMNS]
    assert table["line"].tolist() == [2, 4]  # the empty line 3 is skipped, numbering kept
    assert table[SOURCE_ROW].dtype == "Int64"
    assert table[SOURCE_ROW].tolist() == [3, 4]
    assert table["respondent_id"].tolist()[0] == "E0003"
    assert pd.isna(table["respondent_id"].iloc[1]) and pd.isna(table["old_value"].iloc[1])


def test_optional_columns_may_be_left_out_of_the_header(tmp_path):
    header = "round,source_file,source_row,column,new_value,reason,who"
    path = write(tmp_path, "endline,endline.csv,2,age,30,typo,AK", header=header)
    table = load_corrections(path, CODEBOOK, ROUNDS)
    assert table["respondent_id"].isna().all() and table["old_value"].isna().all()
    assert table["new_value"].tolist() == ["30"]


def test_excel_bom_and_header_case_are_accepted(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(("\ufeff" + HEADER.upper() + "\r\n" + row(2, "age", "30") + "\r\n,,,,,,,,\r\n")
                     .encode("utf-8"))
    assert load_corrections(path, CODEBOOK, ROUNDS)["column"].tolist() == ["age"]


@pytest.mark.parametrize(("rows", "header", "line", "key", "text"), [
    ([], "round,source_file,source_row,column,new_value,reason", 1, "who", "missing column"),
    ([], "", 1, None, "missing header"),
    ([], HEADER + ",notes", 1, "notes", "unknown column"),
    ([], HEADER.replace(",", ";"), 1, None, "comma-separated"),
    ([row(2, "age", "30"), row(2, "age", "30", round_name="midline")], HEADER, 3, "round",
     "unknown round 'midline'"),
    ([row(2, "agee", "30")], HEADER, 2, "column", "unknown codebook variable 'agee'"),
    ([row(2, "respondent_name", "X")], HEADER, 2, "column", "personal data"),
    ([row(2, "services__water", "1")], HEADER, 2, "column", "select_multiple 'services'"),
    ([row(0, "age", "30")], HEADER, 2, SOURCE_ROW, "positive whole number"),
    ([row("2.5", "age", "30")], HEADER, 2, SOURCE_ROW, "positive whole number"),
    ([row("", "age", "30")], HEADER, 2, SOURCE_ROW, "required"),
    ([row(2, "age", "30", reason="")], HEADER, 2, "reason", "required"),
    ([row(2, "age", "30", who=" ")], HEADER, 2, "who", "required"),
    ([row(2, "age", "30"), row(3, "age", "31"), row(2, "age", "32")], HEADER, 4, "column",
     "first on line 2"),
    ([row(2, "age", "30") + ",extra"], HEADER, 2, None, "10 cells"),
])
def test_loading_errors_name_file_line_and_column(tmp_path, rows, header, line, key, text):
    path = write(tmp_path, *rows, header=header)
    with pytest.raises(DeclarationError) as caught:
        load_corrections(path, CODEBOOK, ROUNDS)
    error = caught.value
    assert (error.path, error.line, error.key) == (path, line, key)
    assert str(error).startswith(f"{path}:{line}: ")
    assert text in str(error)


def test_the_same_cell_in_two_rounds_is_not_a_repeat(tmp_path):
    path = write(tmp_path, row(2, "age", "30"), row(2, "age", "30", round_name="baseline"))
    assert len(load_corrections(path, CODEBOOK, ROUNDS)) == 2


def test_a_file_that_is_not_utf8_is_located(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes((HEADER + "\n" + row(2, "age", "30", who="Jos\xe9")).encode("cp1252"))
    with pytest.raises(DeclarationError, match="CSV UTF-8") as caught:
        load_corrections(path, CODEBOOK, ROUNDS)
    assert caught.value.line == 2


def test_a_missing_file_is_a_declaration_error(tmp_path):
    with pytest.raises(DeclarationError, match="file not found"):
        load_corrections(tmp_path / "absent.csv", CODEBOOK, ROUNDS)


# ----------------------------------------------------------------------------- applying


def test_each_status(tmp_path):
    records = [person(i) for i in range(1, 6)]
    records[1] = person(2, age="abc")  # a conversion failure
    harmonized, result = apply(
        tmp_path,
        row(1, "age", "40", old_value="21", respondent_id="E0001"),  # line 2
        row(9, "age", "40"),  # line 3: no such row
        row(3, "age", "40", respondent_id="E0004"),  # line 4: another respondent
        row(4, "age", "40", old_value="30"),  # line 5: the data say 24
        row(5, "age", "forty"),  # line 6
        row(2, "age", "22", old_value="abc"),  # line 7: the raw text of a failed cell
        records=records)
    assert statuses(result) == {2: "applied", 3: "row_not_found", 4: "id_mismatch",
                                5: "stale", 6: "not_convertible", 7: "applied"}
    assert list(result.log.columns) == LOG_COLUMNS
    assert result.frame["age"].tolist() == [40, 22, 23, 24, 25]
    assert harmonized.frame["age"].tolist()[0] == 21  # the input frame is untouched
    assert result.cells == {("endline.csv", 1, "age"), ("endline.csv", 2, "age")}
    assert uncorrected_failures(harmonized.conversion_failures, result.cells).empty
    assert len(harmonized.conversion_failures) == 1


def test_a_failed_cell_is_stale_by_its_raw_text_without_the_failure_table(tmp_path):
    records = [person(i) for i in range(1, 4)]
    records[1] = person(2, age="abc")
    _, result = apply(tmp_path, row(2, "age", "22", old_value="abc"), records=records,
                      failures=False)
    assert statuses(result) == {2: "stale"}
    assert pd.isna(result.frame["age"].iloc[1])


def test_log_values_are_the_declared_texts(tmp_path):
    _, result = apply(tmp_path, row(1, "income", "150", old_value="100.50", respondent_id="E0001"))
    entry = result.log.iloc[0]
    assert (entry["line"], entry[SOURCE_ROW], entry["respondent_id"], entry["old_value"],
            entry["new_value"], entry["status"], entry["reason"], entry["who"]) == (
        2, 1, "E0001", "100.50", "150", "applied", "checked with the enumerator", "AK")


@pytest.mark.parametrize(("column", "old", "new", "expected"), [
    ("age", "21", "45", 45),
    ("income", "100.5", "1234.25", 1234.25),
    ("income", "100.50", "-3", -3.0),
    ("district", "1", "2", "2"),
    ("interview_date", "2023-06-01", "2023-07-15", pd.Timestamp("2023-07-15")),
    ("interview_date", "2023-06-01T00:00:00", "2023-07-15T10:30:00+02:00",
     pd.Timestamp("2023-07-15 08:30")),
    ("respondent_id", "E0001", "E0101", "E0101"),
])
def test_new_values_are_typed_like_harmonisation(tmp_path, column, old, new, expected):
    harmonized, result = apply(tmp_path, row(1, column, new, old_value=old))
    assert statuses(result) == {2: "applied"}
    assert result.frame[column].iloc[0] == expected
    assert result.frame[column].dtype == harmonized.frame[column].dtype
    assert result.cells == {("endline.csv", 1, column)}


@pytest.mark.parametrize(("column", "new"), [
    ("age", "45.5"), ("age", "45 years"), ("income", "1,234"), ("district", "3"),
    ("interview_date", "15/07/2023"), ("services", "health cinema"),
])
def test_values_that_do_not_fit_the_type_are_not_applied(tmp_path, column, new):
    harmonized, result = apply(tmp_path, row(1, column, new))
    assert statuses(result) == {2: "not_convertible"}
    pd.testing.assert_frame_equal(result.frame, harmonized.frame)
    assert result.cells == set()


def test_a_special_code_sets_the_kind_with_no_value(tmp_path):
    _, result = apply(tmp_path, row(1, "life", "98", old_value="1"),
                      row(2, "income", "-9", old_value="200.5"))
    assert statuses(result) == {2: "applied", 3: "applied"}
    frame = result.frame
    assert pd.isna(frame["life"].iloc[0]) and frame["life__kind"].iloc[0] == "dont_know"
    assert pd.isna(frame["income"].iloc[1]) and frame["income__kind"].iloc[1] == "refused"
    assert frame["life__kind"].iloc[1] == "valid"
    assert result.cells == {("endline.csv", 1, "life"), ("endline.csv", 2, "income")}


def test_a_valid_value_replaces_a_special_code_and_its_kind(tmp_path):
    records = [person(i) for i in range(1, 4)]
    records[2] = person(3, life="99")
    _, result = apply(tmp_path, row(3, "life", "7", old_value="99"), records=records)
    assert statuses(result) == {2: "applied"}
    assert result.frame["life"].iloc[2] == 7
    assert result.frame["life__kind"].iloc[2] == "valid"


def test_old_value_of_a_special_code_must_name_the_cells_kind(tmp_path):
    records = [person(i) for i in range(1, 4)]
    records[2] = person(3, life="99")
    _, result = apply(tmp_path, row(3, "life", "7", old_value="98"), records=records)
    assert statuses(result) == {2: "stale"}
    assert result.frame["life__kind"].iloc[2] == "refused"


def test_an_empty_new_value_sets_the_cell_missing(tmp_path):
    _, result = apply(tmp_path, row(2, "age", "", old_value="22"))
    assert statuses(result) == {2: "applied"}
    assert pd.isna(result.frame["age"].iloc[1])
    assert "age__kind" not in result.frame.columns  # NA is missing without a kind column


def test_a_special_code_adds_the_kind_column_when_the_frame_has_none(tmp_path):
    harmonized = harmonize([person(i) for i in range(1, 4)])
    frame = harmonized.frame.drop(columns="life__kind")
    corrections = load_corrections(write(tmp_path, row(2, "life", "99")), CODEBOOK, ROUNDS)
    result = apply_corrections(frame, corrections, "endline", PROJECT, CODEBOOK)
    assert result.frame["life__kind"].tolist() == ["valid", "refused", "valid"]
    columns = list(result.frame.columns)
    assert columns.index("life__kind") == columns.index("life") + 1


def test_a_select_multiple_correction_sets_its_choice_columns(tmp_path):
    _, result = apply(tmp_path, row(1, "services", "water school", old_value="water health"),
                      row(2, "services", "(none)", old_value="school"))
    assert statuses(result) == {2: "applied", 3: "applied"}
    frame = result.frame
    assert frame["services"].tolist()[:2] == ["school water", "(none)"]
    assert frame["services__health"].tolist()[:2] == [0, 0]
    assert frame["services__school"].tolist()[:2] == [1, 0]
    assert frame["services__water"].tolist()[:2] == [1, 0]


def test_only_the_rounds_corrections_apply(tmp_path):
    _, result = apply(tmp_path, row(1, "age", "40"),
                      row(1, "age", "50", round_name="baseline"),
                      row(2, "age", "60", round_name="baseline"))
    assert result.log["line"].tolist() == [2]
    assert result.frame["age"].tolist()[:2] == [40, 22]
    corrections = load_corrections(tmp_path / "corrections.csv", CODEBOOK, ROUNDS)
    baseline = harmonize([person(i) for i in range(1, 3)], round_name="baseline",
                         file="endline.csv")
    other = apply_corrections(baseline.frame, corrections, "baseline", PROJECT, CODEBOOK)
    assert other.frame["age"].tolist() == [50, 60]
    assert other.log["line"].tolist() == [3, 4]


def test_an_unchanged_value_is_applied_but_not_a_changed_cell(tmp_path):
    _, result = apply(tmp_path, row(1, "age", "21"), row(2, "age", "23"))
    assert statuses(result) == {2: "applied", 3: "applied"}
    assert result.cells == {("endline.csv", 2, "age")}


def test_rows_are_matched_by_file_and_row(tmp_path):
    harmonized = harmonize([person(i) for i in range(1, 4)], file="a.csv")
    other = harmonize([person(i) for i in range(11, 14)], file="b.csv")
    frame = pd.concat([harmonized.frame, other.frame], ignore_index=True)
    path = write(tmp_path, row(2, "age", "77", source_file="b.csv"),
                 row(2, "age", "78", source_file="c.csv"))
    result = apply_corrections(frame, load_corrections(path, CODEBOOK, ROUNDS), "endline",
                               PROJECT, CODEBOOK)
    assert statuses(result) == {2: "applied", 3: "row_not_found"}
    assert result.frame["age"].tolist() == [21, 22, 23, 31, 77, 33]
    assert result.cells == {("b.csv", 2, "age")}


def test_no_corrections_leave_the_frame_as_it_was(tmp_path):
    harmonized, result = apply(tmp_path)
    pd.testing.assert_frame_equal(result.frame, harmonized.frame)
    assert result.log.empty and list(result.log.columns) == LOG_COLUMNS
    assert result.cells == set()


def test_empty_columns_right_of_the_table_are_ignored(tmp_path):
    path = write(tmp_path, row(2, "age", "30") + ",,", header=HEADER + ",,")
    assert load_corrections(path, CODEBOOK, ROUNDS)["new_value"].tolist() == ["30"]
