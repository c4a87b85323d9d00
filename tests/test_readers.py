"""Reading raw exports (SPSS and KoboToolbox-style CSV) into text tables with provenance."""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from assets.readers import (
    SOURCE_FILE,
    SOURCE_ROW,
    RawFileError,
    as_text,
    detect_format,
    read_raw_file,
    read_round_files,
)

TAJIK = "Зарина Раҳимова"  # Tajik Cyrillic, including the Tajik letter ҳ
HEBREW = "שלום כהן"
GERMAN = "Jürgen Größe"


def write_spss(path, compress=False):
    """A small baseline-like .sav: value labels, user-missing 98/99, dates, non-ASCII text."""
    frame = pd.DataFrame({
        "resp_id": ["B0001", "B0002", "B0003"],
        "resp_name": [TAJIK, HEBREW, GERMAN],
        "q10_life": [1.0, 98.0, 99.0],
        "q30_income": [6.5, np.nan, 0.0],
        "intdate": [date(2021, 5, 10), None, date(2021, 5, 12)],
    })
    pyreadstat.write_sav(
        frame, str(path), file_label="Khatlon baseline (test)",
        column_labels={"resp_id": "Respondent ID", "resp_name": "Имя респондента",
                       "q10_life": "Satisfied with life"},
        variable_value_labels={"q10_life": {0: "Not at all", 10: "Completely",
                                            98: "Don't know", 99: "Refused"}},
        missing_ranges={"q10_life": [98, 99]},
        compress=compress,
    )
    return path


def write_kobo_csv(path, rows, header=("intro/resp_id", "intro/resp_name", "wellbeing/life")):
    """A KoboToolbox-style export: ';' delimited, every cell quoted, UTF-8 with BOM, CRLF."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


KOBO_ROWS = [["E0001", TAJIK, "7"], ["E0002", HEBREW, "98"], ["E0003", "", "10"]]


# ------------------------------------------------------------------------- SPSS


def test_spss_user_missing_codes_are_kept_as_text_values(tmp_path):
    raw = read_raw_file(write_spss(tmp_path / "baseline.sav"))
    assert raw.format == "spss"
    assert raw.frame["q10_life"].tolist() == ["1", "98", "99"]
    assert raw.frame["q10_life"].notna().all()


def test_spss_reports_user_missing_file_label_and_variable_labels(tmp_path):
    raw = read_raw_file(write_spss(tmp_path / "baseline.sav"))
    assert raw.user_missing == {"q10_life": ["98", "99"]}
    assert raw.file_label == "Khatlon baseline (test)"
    assert raw.variable_labels == {"resp_id": "Respondent ID", "resp_name": "Имя респондента",
                                   "q10_life": "Satisfied with life"}


def test_spss_missing_range_is_reported_with_both_ends(tmp_path):
    path = tmp_path / "ranges.sav"
    pyreadstat.write_sav(pd.DataFrame({"q": [1.0, 95.0]}), str(path),
                         missing_ranges={"q": [{"lo": 90, "hi": 99}]})
    raw = read_raw_file(path)
    assert len(raw.user_missing["q"]) == 1
    low, high = raw.user_missing["q"][0].split("..")
    assert (float(low), float(high)) == (90, 99)
    assert raw.frame["q"].tolist() == ["1", "95"]


def test_spss_numbers_are_canonical_text_and_system_missing_is_na(tmp_path):
    frame = read_raw_file(write_spss(tmp_path / "baseline.sav")).frame
    assert frame["q30_income"].tolist()[0] == "6.5"
    assert pd.isna(frame["q30_income"].iloc[1])
    assert frame["q30_income"].iloc[2] == "0"
    assert not any(str(v).endswith(".0") for v in frame["q10_life"])


def test_spss_dates_become_iso_text(tmp_path):
    frame = read_raw_file(write_spss(tmp_path / "baseline.sav")).frame
    assert frame["intdate"].iloc[0] == "2021-05-10"
    assert pd.isna(frame["intdate"].iloc[1])
    assert frame["intdate"].iloc[2] == "2021-05-12"


def test_spss_non_ascii_text_survives(tmp_path):
    frame = read_raw_file(write_spss(tmp_path / "baseline.sav")).frame
    assert frame["resp_name"].tolist() == [TAJIK, HEBREW, GERMAN]


def test_spss_cells_are_string_dtype_with_1_based_provenance(tmp_path):
    frame = read_raw_file(write_spss(tmp_path / "baseline.sav")).frame
    assert list(frame.columns[:2]) == [SOURCE_FILE, SOURCE_ROW]
    assert frame[SOURCE_FILE].tolist() == ["baseline.sav"] * 3
    assert frame[SOURCE_ROW].tolist() == [1, 2, 3]
    assert frame[SOURCE_ROW].dtype == "Int64"
    assert all(frame[c].dtype == "string" for c in ["resp_id", "q10_life", "intdate"])


def test_source_file_name_can_be_given(tmp_path):
    raw = read_raw_file(write_spss(tmp_path / "baseline.sav"), name="round1/baseline.sav")
    assert set(raw.frame[SOURCE_FILE]) == {"round1/baseline.sav"}


@pytest.mark.parametrize(("compress", "fmt"), [(False, "spss"), (True, "spss_compressed")],
                         ids=["sav", "zsav"])
def test_format_is_detected_from_content_not_extension(tmp_path, compress, fmt):
    """An SPSS file renamed to .csv is still read as SPSS ($FL2 and compressed $FL3)."""
    path = write_spss(tmp_path / "renamed.csv", compress=compress)
    assert detect_format(path) == fmt
    raw = read_raw_file(path)
    assert raw.format == fmt
    assert raw.frame["resp_id"].tolist() == ["B0001", "B0002", "B0003"]
    assert raw.frame["q10_life"].tolist() == ["1", "98", "99"]


def test_a_csv_named_sav_is_read_as_csv(tmp_path):
    path = tmp_path / "mislabelled.sav"
    path.write_text("resp_id,q1\nT1,5\n", encoding="utf-8")
    raw = read_raw_file(path)
    assert raw.format == "csv"
    assert raw.frame["q1"].tolist() == ["5"]


# -------------------------------------------------------------------------- CSV


def test_kobo_csv_is_sniffed_and_read_with_the_bom_stripped(tmp_path):
    path = write_kobo_csv(tmp_path / "endline.csv", KOBO_ROWS)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf\"intro/resp_id\";")  # the fixture is real
    raw = read_raw_file(path)
    assert raw.format == "csv"
    assert list(raw.frame.columns) == [SOURCE_FILE, SOURCE_ROW, "intro/resp_id",
                                       "intro/resp_name", "wellbeing/life"]
    assert raw.frame["intro/resp_id"].tolist() == ["E0001", "E0002", "E0003"]
    assert raw.frame["wellbeing/life"].tolist() == ["7", "98", "10"]


def test_kobo_csv_empty_cells_are_na_and_non_ascii_survives(tmp_path):
    raw = read_raw_file(write_kobo_csv(tmp_path / "endline.csv", KOBO_ROWS))
    names = raw.frame["intro/resp_name"]
    assert names.iloc[:2].tolist() == [TAJIK, HEBREW]
    assert pd.isna(names.iloc[2])


def test_kobo_csv_has_1_based_provenance(tmp_path):
    raw = read_raw_file(write_kobo_csv(tmp_path / "endline.csv", KOBO_ROWS))
    assert raw.frame[SOURCE_FILE].tolist() == ["endline.csv"] * 3
    assert raw.frame[SOURCE_ROW].tolist() == [1, 2, 3]


def test_comma_csv_with_quoted_commas_and_umlauts(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text(f'resp_id,name,q1\nT1,"Smith, Ann",1\nT2,{GERMAN},NA\n', encoding="utf-8")
    frame = read_raw_file(path).frame
    assert frame["name"].tolist() == ["Smith, Ann", GERMAN]
    assert frame["q1"].tolist() == ["1", "NA"]  # "NA" is an answer, not a missing value


def test_csv_cells_are_stripped_and_blank_is_na(tmp_path):
    path = tmp_path / "spaces.csv"
    path.write_text("a;b\n  x  ;   \n", encoding="utf-8")
    frame = read_raw_file(path).frame
    assert frame["a"].iloc[0] == "x"
    assert pd.isna(frame["b"].iloc[0])


def test_duplicate_csv_column_name_raises_naming_the_file(tmp_path):
    path = write_kobo_csv(tmp_path / "dupes.csv", [["E1", "x", "1"]],
                          header=("intro/resp_id", "wellbeing/life", "wellbeing/life"))
    with pytest.raises(RawFileError, match=re.escape(path.name)) as info:
        read_raw_file(path)
    assert "wellbeing/life" in str(info.value)


@pytest.mark.parametrize("content", [
    bytes(range(256)) * 8,  # NUL bytes
    b"\x89PNG\r\n\x1a\n" + b"\xff\xfe\xfa\xc3" * 64,  # no NUL byte, not UTF-8
], ids=["with-nul", "invalid-utf8"])
def test_binary_garbage_named_csv_raises_naming_the_file(tmp_path, content):
    path = tmp_path / "garbage.csv"
    path.write_bytes(content)
    with pytest.raises(RawFileError, match=re.escape(path.name)):
        read_raw_file(path)


def test_empty_file_raises_naming_the_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(RawFileError, match=re.escape(path.name)):
        read_raw_file(path)


def test_row_with_a_trailing_delimiter_is_not_silently_shifted(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("resp_id;age;q1\nT1;34;7;\nT2;41;98;\n", encoding="utf-8")
    try:
        frame = read_raw_file(path).frame
    except RawFileError as exc:  # refusing the file is acceptable too
        assert "ragged.csv" in str(exc)
    else:
        assert frame["resp_id"].tolist() == ["T1", "T2"]
        assert frame["age"].tolist() == ["34", "41"]


def test_raw_column_named_like_provenance_raises_naming_the_file(tmp_path):
    path = tmp_path / "clash.csv"
    path.write_text("resp_id,source_row\nT1,1\n", encoding="utf-8")
    with pytest.raises(RawFileError, match=re.escape(path.name)):
        read_raw_file(path)


# ------------------------------------------------------------------------ round


def test_read_round_files_inventory_and_concatenation(tmp_path):
    sav = write_spss(tmp_path / "a_baseline.sav")
    kobo = write_kobo_csv(tmp_path / "b_endline.csv", KOBO_ROWS[:2])
    frame, inventory = read_round_files([sav, kobo])
    keys = ("file", "sha256", "format", "rows", "columns", "file_label")
    assert [{k: entry[k] for k in keys} for entry in inventory] == [
        dict(file="a_baseline.sav", sha256=hashlib.sha256(sav.read_bytes()).hexdigest(),
             format="spss", rows=3, columns=5, file_label="Khatlon baseline (test)"),
        dict(file="b_endline.csv", sha256=hashlib.sha256(kobo.read_bytes()).hexdigest(),
             format="csv", rows=2, columns=3, file_label=""),
    ]
    assert len(frame) == 5
    assert frame[SOURCE_FILE].tolist() == ["a_baseline.sav"] * 3 + ["b_endline.csv"] * 2
    assert frame[SOURCE_ROW].tolist() == [1, 2, 3, 1, 2]
    assert frame["resp_id"].iloc[:3].tolist() == ["B0001", "B0002", "B0003"]
    assert frame["resp_id"].iloc[3:].isna().all()
    assert frame["intro/resp_name"].iloc[3:].tolist() == [TAJIK, HEBREW]
    assert list(frame.index) == list(range(5))


def test_read_round_files_sha256_changes_with_content(tmp_path):
    first = tmp_path / "x.csv"
    first.write_text("a\n1\n", encoding="utf-8")
    before = read_round_files([first])[1][0]["sha256"]
    first.write_text("a\n2\n", encoding="utf-8")
    after = read_round_files([first])[1][0]["sha256"]
    assert before != after
    assert after == hashlib.sha256(b"a\n2\n").hexdigest()


def test_read_round_files_needs_at_least_one_file():
    with pytest.raises(RawFileError):
        read_round_files([])


# ---------------------------------------------------------------------- as_text


@pytest.mark.parametrize(("value", "expected"), [
    (None, None),
    (pd.NA, None),
    (pd.NaT, None),
    (float("nan"), None),
    (np.nan, None),
    (1.0, "1"),
    (98.0, "98"),
    (-9.0, "-9"),
    (-0.0, "0"),
    (np.float64(2.0), "2"),
    (6.5, "6.5"),
    (0.1, "0.1"),
    (7, "7"),
    (np.int64(7), "7"),
    (datetime(2021, 5, 10), "2021-05-10"),
    (datetime(2021, 5, 10, 10, 30), "2021-05-10T10:30:00"),
    (pd.Timestamp("2021-05-10"), "2021-05-10"),
    (date(2021, 5, 10), "2021-05-10"),
    ("  E0001 ", "E0001"),
    ("", None),
    ("   ", None),
    (TAJIK, TAJIK),
])
def test_as_text(value, expected):
    assert as_text(value) == expected
