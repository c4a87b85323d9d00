"""Duplicate submissions: finding exact and conflicting ones, applying a declared resolution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assets.duplicates import (
    DROP_REASON,
    DUPLICATE_COLUMNS,
    RESOLUTION_COLUMNS,
    RESOLUTION_LOG_COLUMNS,
    apply_resolution,
    find_duplicates,
    load_resolution,
)
from assets.readers import SOURCE_FILE, SOURCE_ROW
from schemas.yaml_source import DeclarationError

ROUNDS = ["baseline", "endline"]
HEADER = ",".join(RESOLUTION_COLUMNS)
IGNORE = ["submission_id"]


def person(i, **changes):
    """One harmonised respondent; `changes` overrides answers."""
    record = {"respondent_id": f"E{i:04d}", "submission_id": f"uuid-{i}",
              "meta:submitted_at": f"2023-06-{i:02d}T10:00:00", "district": "1",
              "age": 20 + i, "life": i % 11, "life__kind": "valid"}
    record.update(changes)
    return record


def frame_of(records, file="endline.csv"):
    frame = pd.DataFrame(records).astype({"respondent_id": "string", "submission_id": "string",
                                          "meta:submitted_at": "string", "district": "string",
                                          "age": "Int64", "life": "Int64",
                                          "life__kind": "string"})
    frame.insert(0, SOURCE_ROW, pd.array(range(1, len(frame) + 1), dtype="Int64"))
    frame.insert(0, SOURCE_FILE, pd.array([file] * len(frame), dtype="string"))
    frame.insert(0, "round", pd.array(["endline"] * len(frame), dtype="string"))
    return frame


def listed(table):
    """(kind, id, row, group, first row, differing variables) of every listed duplicate."""
    return list(zip(table["kind"], table["respondent_id"], table[SOURCE_ROW].astype(int),
                    table["group"].astype(int), table["first_source_row"].astype(int),
                    table["differing_variables"], strict=True))


# -------------------------------------------------------------------------------- finding


def test_exact_copies_list_only_the_later_ones():
    records = [person(i) for i in range(1, 5)]
    records.append(person(2, submission_id="uuid-again", **{"meta:submitted_at": "later"}))
    records.append(person(2, submission_id="uuid-third"))
    table = find_duplicates(frame_of(records), "respondent_id", IGNORE)
    assert list(table.columns) == DUPLICATE_COLUMNS
    assert listed(table) == [("exact", "E0002", 5, 1, 2, ""), ("exact", "E0002", 6, 1, 2, "")]
    assert table["first_source_file"].tolist() == ["endline.csv", "endline.csv"]


def test_conflicting_rows_are_all_listed_with_what_differs():
    records = [person(i) for i in range(1, 5)]
    records.append(person(3, age=61, district="2"))  # row 5
    records.append(person(3, life=None, life__kind="dont_know"))  # row 6
    table = find_duplicates(frame_of(records), "respondent_id", IGNORE)
    assert listed(table) == [("conflicting", "E0003", 3, 1, 3, ""),
                             ("conflicting", "E0003", 5, 1, 3, "district;age"),
                             ("conflicting", "E0003", 6, 1, 3, "life")]


def test_the_ignore_list_decides_what_counts_as_content():
    records = [person(1), person(2), person(1, submission_id="uuid-x")]
    assert listed(find_duplicates(frame_of(records), "respondent_id", IGNORE)) == [
        ("exact", "E0001", 3, 1, 1, "")]
    assert listed(find_duplicates(frame_of(records), "respondent_id", [])) == [
        ("conflicting", "E0001", 1, 1, 1, ""),
        ("conflicting", "E0001", 3, 1, 1, "submission_id")]


def test_meta_columns_are_not_content():
    records = [person(1), person(1, **{"meta:submitted_at": "2024-01-01T00:00:00"})]
    table = find_duplicates(frame_of(records), "respondent_id", IGNORE)
    assert listed(table) == [("exact", "E0001", 2, 1, 1, "")]


def test_provenance_is_not_content():
    records = [person(1), person(2)]
    frame = pd.concat([frame_of(records, "a.csv"), frame_of(records[:1], "b.csv")],
                      ignore_index=True)
    table = find_duplicates(frame, "respondent_id", IGNORE)
    assert listed(table) == [("exact", "E0001", 1, 1, 1, "")]
    assert (table[SOURCE_FILE].tolist(), table["first_source_file"].tolist()) == (
        ["b.csv"], ["a.csv"])


def test_exact_and_conflicting_groups_of_one_respondent_are_numbered_apart():
    records = [person(1), person(2, age=50), person(2), person(2, age=50), person(3),
               person(3)]
    table = find_duplicates(frame_of(records), "respondent_id", IGNORE)
    assert listed(table) == [("conflicting", "E0002", 2, 1, 2, ""),
                             ("conflicting", "E0002", 3, 1, 2, "age"),
                             ("exact", "E0002", 4, 2, 2, ""),
                             ("exact", "E0003", 6, 3, 5, "")]


def test_missing_ids_never_make_a_conflict():
    records = [person(1, respondent_id=None), person(2, respondent_id=None), person(3)]
    assert find_duplicates(frame_of(records), "respondent_id", IGNORE).empty


def test_no_duplicates_give_an_empty_typed_table():
    table = find_duplicates(frame_of([person(i) for i in range(1, 4)]), "respondent_id", IGNORE)
    assert table.empty and list(table.columns) == DUPLICATE_COLUMNS
    assert table[SOURCE_ROW].dtype == "Int64"


def test_finding_is_vectorised_at_scale():
    n = 200_000
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "round": pd.array(["endline"] * n, dtype="string"),
        SOURCE_FILE: pd.array(["big.csv"] * n, dtype="string"),
        SOURCE_ROW: pd.array(np.arange(1, n + 1), dtype="Int64"),
        "respondent_id": pd.array([f"R{i}" for i in range(n)], dtype="string"),
        "submission_id": pd.array([f"u{i}" for i in range(n)], dtype="string"),
        "age": pd.array(rng.integers(10, 90, n), dtype="Int64"),
        "life": pd.array(rng.integers(0, 11, n), dtype="Int64"),
    })
    frame.loc[n - 1, ["respondent_id", "age", "life"]] = frame.loc[5, ["respondent_id", "age",
                                                                      "life"]].to_numpy()
    frame.loc[n - 2, ["respondent_id", "age"]] = [frame.loc[7, "respondent_id"], 999]
    table = find_duplicates(frame, "respondent_id", IGNORE)
    assert listed(table) == [("exact", "R5", n, 1, 6, ""),
                             ("conflicting", "R7", 8, 2, 8, ""),
                             ("conflicting", "R7", n - 1, 2, 8, "age;life")]


# ------------------------------------------------------------------------------ resolving


def write(tmp_path, *rows, header=HEADER):
    path = tmp_path / "duplicates.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def resolution(source_row, action, new_id="", round_name="endline", source_file="endline.csv",
               reason="same household, second visit", who="AK"):
    cells = [round_name, source_file, str(source_row), action, new_id, reason, who]
    return ",".join(f'"{c}"' if "," in c else c for c in cells)


def resolve(tmp_path, records, *rows, round_name="endline"):
    frame = frame_of(records)
    table = load_resolution(write(tmp_path, *rows), ROUNDS)
    return frame, apply_resolution(frame, table, round_name, "respondent_id")


def test_load_returns_a_typed_frame(tmp_path):
    table = load_resolution(write(tmp_path, resolution(3, "drop"), resolution(4, "new_id", "E9")),
                            ROUNDS)
    assert list(table.columns) == ["line", *RESOLUTION_COLUMNS]
    assert table["line"].tolist() == [2, 3]
    assert table[SOURCE_ROW].tolist() == [3, 4]
    assert pd.isna(table["new_id"].iloc[0]) and table["new_id"].iloc[1] == "E9"


@pytest.mark.parametrize(("rows", "header", "line", "key", "text"), [
    ([], "round,source_file,source_row,new_id,reason,who", 1, "action", "missing column"),
    ([resolution(2, "keep"), resolution(3, "remove")], HEADER, 3, "action", "'remove'"),
    ([resolution(2, "new_id")], HEADER, 2, "new_id", "needs the new id"),
    ([resolution(2, "drop", "E5")], HEADER, 2, "new_id", "use action new_id"),
    ([resolution(2, "drop", round_name="midline")], HEADER, 2, "round", "unknown round"),
    ([resolution(-2, "drop")], HEADER, 2, SOURCE_ROW, "positive whole number"),
    ([resolution(2, "drop", reason="")], HEADER, 2, "reason", "required"),
    ([resolution(2, "drop", who="")], HEADER, 2, "who", "required"),
    ([resolution(2, "drop"), resolution(2, "keep")], HEADER, 3, SOURCE_ROW, "first on line 2"),
])
def test_loading_errors_name_file_line_and_column(tmp_path, rows, header, line, key, text):
    path = write(tmp_path, *rows, header=header)
    with pytest.raises(DeclarationError) as caught:
        load_resolution(path, ROUNDS)
    error = caught.value
    assert (error.path, error.line, error.key) == (path, line, key)
    assert str(error).startswith(f"{path}:{line}: ")
    assert text in str(error)


def test_drop_keep_and_new_id(tmp_path):
    records = [person(1), person(2), person(3), person(2, age=60), person(2, age=70),
               person(4)]
    frame, result = resolve(tmp_path, records,
                            resolution(2, "keep"),
                            resolution(4, "drop", reason="interview broken off"),
                            resolution(5, "new_id", "E0099", reason="sister, same phone"))
    assert result.frame[SOURCE_ROW].tolist() == [1, 2, 3, 5, 6]
    assert result.frame["respondent_id"].tolist() == ["E0001", "E0002", "E0003", "E0099",
                                                      "E0004"]
    assert result.dropped[SOURCE_ROW].tolist() == [4]
    assert result.dropped["reasons"].tolist() == [
        "dropped by duplicate resolution: interview broken off (AK)"]
    assert len(frame) == len(result.frame) + len(result.dropped)
    assert list(result.log.columns) == RESOLUTION_LOG_COLUMNS
    assert result.log[["line", "respondent_id", "action", "status"]].to_dict("records") == [
        {"line": 2, "respondent_id": "E0002", "action": "keep", "status": "applied"},
        {"line": 3, "respondent_id": "E0002", "action": "drop", "status": "applied"},
        {"line": 4, "respondent_id": "E0002", "action": "new_id", "status": "applied"}]
    assert find_duplicates(result.frame, "respondent_id", IGNORE).empty
    assert frame["respondent_id"].tolist()[4] == "E0002"  # the input frame is untouched


def test_keep_leaves_unresolved_rows_of_the_group_in_place(tmp_path):
    records = [person(1), person(1, age=60), person(1, age=70)]
    _, result = resolve(tmp_path, records, resolution(1, "keep"), resolution(3, "drop"))
    assert result.frame[SOURCE_ROW].tolist() == [1, 2]  # row 2 stays for validation to flag
    assert listed(find_duplicates(result.frame, "respondent_id", IGNORE)) == [
        ("conflicting", "E0001", 1, 1, 1, ""), ("conflicting", "E0001", 2, 1, 1, "age")]


def test_unknown_rows_and_other_rounds(tmp_path):
    records = [person(1), person(1, age=60)]
    frame, result = resolve(tmp_path, records, resolution(9, "drop"),
                            resolution(2, "drop", source_file="other.csv"),
                            resolution(2, "drop", round_name="baseline"))
    assert result.log["status"].tolist() == ["row_not_found", "row_not_found"]
    assert result.log["line"].tolist() == [2, 3]
    pd.testing.assert_frame_equal(result.frame, frame)
    assert result.dropped.empty and "reasons" in result.dropped.columns


def test_a_new_id_the_id_type_cannot_hold_is_logged(tmp_path):
    frame = frame_of([person(1), person(1, age=60)])
    frame["respondent_id"] = pd.array([7, 7], dtype="Int64")
    table = load_resolution(write(tmp_path, resolution(1, "new_id", "8"),
                                  resolution(2, "new_id", "E8")), ROUNDS)
    result = apply_resolution(frame, table, "endline", "respondent_id")
    assert result.log["status"].tolist() == ["applied", "not_convertible"]
    assert result.log["respondent_id"].tolist() == ["7", "7"]
    assert result.frame["respondent_id"].tolist() == [8, 7]
    assert result.frame["respondent_id"].dtype == "Int64"


def test_drop_reason_format():
    assert DROP_REASON.format(reason="r", who="w") == "dropped by duplicate resolution: r (w)"


def test_a_resolution_of_other_rounds_only_changes_nothing(tmp_path):
    frame, result = resolve(tmp_path, [person(1), person(2)],
                            resolution(1, "drop", round_name="baseline"))
    pd.testing.assert_frame_equal(result.frame, frame)
    assert result.log.empty and list(result.log.columns) == RESOLUTION_LOG_COLUMNS
    assert len(result.dropped) == 0
