"""Ingest of every raw format from real files (pyreadstat, openpyxl) built in the tests."""

from __future__ import annotations

import codecs
import re
import zipfile
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from openpyxl import Workbook

import assets.stat_readers
import assets.text_readers
from assets.inspection import inspect_file
from assets.readers import (
    SOURCE_FILE,
    SOURCE_ROW,
    RawFileError,
    detect_format,
    read_raw_file,
    read_round_files,
)

HEBREW, TELUGU, GERMAN = "שלום", "తెలుగు", "Größe"
CYRILLIC, TOWN = "Зарина Саидова, Душанбе", "Душанбе"


def cells(raw):
    """The frame without the provenance columns, as {column: list}."""
    return raw.frame.drop(columns=[SOURCE_FILE, SOURCE_ROW]).astype(object).where(
        raw.frame.notna(), None).to_dict("list")


def write_dta(path):
    q1 = pd.Series([1.0, "a", "b", np.nan], dtype=object)  # .a / .b: Stata extended missing
    frame = pd.DataFrame({"id": ["D1", "D2", "D3", "D4"], "q1": q1,
                          "name": [HEBREW, TELUGU, GERMAN, ""]})
    pyreadstat.write_dta(frame, str(path), file_label="Stata round",
                         column_labels={"q1": "Question one", "name": "Name"},
                         variable_value_labels={"q1": {1: "Yes", 2: "No"}},
                         missing_user_values={"q1": ["a", "b"]})
    return path


def write_sav(path, compress=False):
    frame = pd.DataFrame({"größe": [170.0, 999.0, 5.0], "reason": ["ok", "DK", GERMAN],
                          "q": [1.0, 95.0, -9.0]})
    pyreadstat.write_sav(frame, str(path), compress=compress,
                         note=["First note", "Zweite Notiz: Größe"],
                         missing_ranges={"reason": ["DK", "RF"], "größe": [999],
                                         "q": [{"lo": 90, "hi": 99}, -9]})
    return path


def write_por(path):
    frame = pd.DataFrame({"RESPID": [1.0, 2.0], "LIFE": [7.0, 3.5], "NAME": ["AB", "CD"]})
    pyreadstat.write_por(frame, str(path), file_label="Portable round",
                         column_labels={"LIFE": "Life satisfaction"})
    return path


def write_xlsx(path, blank_first=False):
    book = Workbook()
    if blank_first:
        book.active.title = "cover"
        sheet = book.create_sheet("survey")
    else:
        sheet = book.active
        sheet.title = "survey"
    sheet.append(["id", "when", "n", "code", "at"])
    sheet.append(["R1", date(2023, 5, 4), 1.0, "007", datetime(2023, 5, 4, 10, 11, 12)])
    sheet.append(["R2", datetime(2023, 5, 5), 2.5, "010", None])
    members = book.create_sheet("members")
    members.append(["id", "member"])
    members.append(["R1", "Ali"])
    members.append(["R1", "Zarina"])
    book.save(path)
    return path


def write_csv(path):
    path.write_text('a,b,c\n1,"x, y",3\n4,"line1\nline2",6\n', encoding="utf-8")
    return path


# ------------------------------------------------------------------- formats


@pytest.mark.parametrize(("writer", "name", "fmt", "column", "values"), [
    (write_sav, "round.dta", "spss", "reason", ["ok", "DK", GERMAN]),
    (lambda p: write_sav(p, compress=True), "round.sav", "spss_compressed", "q",
     ["1", "95", "-9"]),
    (write_por, "round.sav", "spss_portable", "LIFE", ["7", "3.5"]),
    (write_dta, "round.csv", "stata", "id", ["D1", "D2", "D3", "D4"]),
    (write_xlsx, "round.csv", "xlsx", "id", ["R1", "R2"]),
    (write_csv, "round.sav", "csv", "a", ["1", "4"]),
], ids=["sav-as-dta", "zsav-as-sav", "por-as-sav", "dta-as-csv", "xlsx-as-csv", "csv-as-sav"])
def test_format_comes_from_content_when_the_extension_lies(tmp_path, writer, name, fmt,
                                                           column, values):
    path = writer(tmp_path / name)
    assert detect_format(path) == fmt
    raw = read_raw_file(path)
    assert raw.format == fmt
    assert cells(raw)[column] == values


def test_por_keeps_upper_case_names_values_and_labels(tmp_path):
    raw = read_raw_file(write_por(tmp_path / "round.por"))
    assert raw.format == "spss_portable"
    assert raw.columns == ["RESPID", "LIFE", "NAME"]
    assert cells(raw) == {"RESPID": ["1", "2"], "LIFE": ["7", "3.5"], "NAME": ["AB", "CD"]}
    assert raw.variable_labels == {"LIFE": "Life satisfaction"}
    assert raw.file_label == "Portable round"


def test_dta_labels_extended_missing_and_non_ascii(tmp_path):
    raw = read_raw_file(write_dta(tmp_path / "round.dta"))
    assert raw.format == "stata"
    assert raw.file_label == "Stata round"
    assert raw.variable_labels == {"q1": "Question one", "name": "Name"}
    assert raw.value_labels == {"q1": {"1": "Yes", "2": "No"}}
    assert raw.user_missing == {"q1": [".a", ".b"]}
    assert cells(raw)["q1"] == ["1", ".a", ".b", None]  # extended missing is text, system is NA
    assert cells(raw)["name"] == [HEBREW, TELUGU, GERMAN, None]
    assert raw.variable_types == {"id": "string", "q1": "numeric", "name": "string"}


def test_sav_string_missing_ranges_notes_and_non_ascii_names(tmp_path):
    raw = read_raw_file(write_sav(tmp_path / "round.sav"))
    assert raw.columns == ["größe", "reason", "q"]
    assert raw.user_missing == {"reason": ["DK", "RF"], "größe": ["999"], "q": ["90..99", "-9"]}
    assert raw.notes == ["First note", "Zweite Notiz: Größe"]
    assert cells(raw) == {"größe": ["170", "999", "5"], "reason": ["ok", "DK", GERMAN],
                          "q": ["1", "95", "-9"]}


@pytest.mark.parametrize(("suffix", "date_format"), [("sav", "DATETIME20"), ("dta", "%tc")])
def test_date_beyond_9999_is_read_unconverted_with_a_warning(tmp_path, suffix, date_format):
    path = tmp_path / f"far.{suffix}"
    frame = pd.DataFrame({"id": [1.0, 2.0], "d": [1e15, 5.0],
                          "ok": [pd.Timestamp("2021-05-10"), pd.Timestamp("2021-05-11 10:30")]})
    writer = pyreadstat.write_sav if suffix == "sav" else pyreadstat.write_dta
    writer(frame, str(path), variable_format={"d": date_format})
    raw = read_raw_file(path)
    assert cells(raw) == {"id": ["1", "2"], "d": ["1000000000000000", "5"],
                          "ok": ["2021-05-10", "2021-05-11T10:30:00"]}
    assert len(raw.warnings) == 1
    assert "'d'" in raw.warnings[0] and "unconverted" in raw.warnings[0]


# -------------------------------------------------------------------- usecols

USECOLS = {  # writer, file name, columns read, full header
    "sav": (write_sav, "u.sav", ["größe", "q"], ["größe", "reason", "q"]),
    "dta": (write_dta, "u.dta", ["id", "name"], ["id", "q1", "name"]),
    "csv": (write_csv, "u.csv", ["a", "c"], ["a", "b", "c"]),
    "xlsx": (write_xlsx, "u.xlsx", ["id", "n"], ["id", "when", "n", "code", "at"]),
}


@pytest.mark.parametrize("kind", list(USECOLS))
def test_usecols_reads_only_the_named_columns(tmp_path, kind):
    writer, name, usecols, _ = USECOLS[kind]
    raw = read_raw_file(writer(tmp_path / name), usecols=usecols)
    assert list(raw.frame.columns) == [SOURCE_FILE, SOURCE_ROW, *usecols]


@pytest.mark.parametrize("kind", ["sav", "dta", "csv", "xlsx"])
def test_usecols_keeps_the_full_header_in_columns(tmp_path, kind):
    writer, name, usecols, header = USECOLS[kind]
    assert read_raw_file(writer(tmp_path / name), usecols=usecols).columns == header


def test_csv_usecols_come_in_header_order_like_other_formats(tmp_path):
    raw = read_raw_file(write_csv(tmp_path / "u.csv"), usecols=["c", "a"])
    assert list(raw.frame.columns) == [SOURCE_FILE, SOURCE_ROW, "a", "c"]


# ---------------------------------------------------------------------- cache

META = ("format", "file_label", "variable_labels", "user_missing", "value_labels",
        "variable_types", "columns", "notes", "mr_sets", "warnings", "encoding", "sheet", "sha256")


def refuse(*args, **kwargs):
    raise AssertionError("parsed although the cache holds this file")


@pytest.mark.parametrize(("writer", "name", "parser"), [
    (write_sav, "c.sav", (assets.stat_readers, "read_stat_file")),
    (write_csv, "c.csv", (assets.text_readers, "read_delimited")),
])
def test_cache_hit_does_not_parse_and_gives_the_same_result(tmp_path, monkeypatch, writer,
                                                            name, parser):
    path, cache = writer(tmp_path / name), tmp_path / "cache"
    first = read_raw_file(path, cache_dir=cache)
    assert not first.cached
    monkeypatch.setattr(*parser, refuse)
    second = read_raw_file(path, cache_dir=cache)
    assert second.cached
    pd.testing.assert_frame_equal(first.frame, second.frame)
    assert {k: getattr(first, k) for k in META} == {k: getattr(second, k) for k in META}


def test_cache_keeps_the_unconverted_date_warning(tmp_path, monkeypatch):
    path = tmp_path / "far.sav"
    pyreadstat.write_sav(pd.DataFrame({"d": [1e15]}), str(path),
                         variable_format={"d": "DATETIME20"})
    first = read_raw_file(path, cache_dir=tmp_path / "cache")
    monkeypatch.setattr(assets.stat_readers, "read_stat_file", refuse)
    second = read_raw_file(path, cache_dir=tmp_path / "cache")
    assert second.cached and second.warnings == first.warnings != []
    assert cells(second) == {"d": ["1000000000000000"]}


def test_cache_misses_when_bytes_or_usecols_change(tmp_path):
    path, cache = write_csv(tmp_path / "c.csv"), tmp_path / "cache"
    read_raw_file(path, cache_dir=cache)
    assert not read_raw_file(path, usecols=["a"], cache_dir=cache).cached
    assert read_raw_file(path, usecols=["a"], cache_dir=cache).cached
    path.write_text("a,b,c\n9,8,7\n", encoding="utf-8")
    changed = read_raw_file(path, cache_dir=cache)
    assert not changed.cached
    assert cells(changed) == {"a": ["9"], "b": ["8"], "c": ["7"]}


@pytest.mark.parametrize("damage", ["truncate", "empty"])
def test_damaged_cache_entry_is_parsed_again(tmp_path, damage):
    path, cache = write_sav(tmp_path / "c.sav"), tmp_path / "cache"
    first = read_raw_file(path, cache_dir=cache)
    [entry] = cache.glob("*.parquet")
    entry.write_bytes(entry.read_bytes()[:entry.stat().st_size // 2] if damage == "truncate"
                      else b"")
    again = read_raw_file(path, cache_dir=cache)
    assert not again.cached
    pd.testing.assert_frame_equal(first.frame, again.frame)
    assert read_raw_file(path, cache_dir=cache).cached  # the entry was written anew


# -------------------------------------------------------------------- CSV text


@pytest.mark.parametrize(("data", "declared", "encoding", "expected"), [
    ("name;town\nJürgen;Душанбе\n".encode("utf-8-sig"), None, "utf-8-sig", ["Jürgen", "Душанбе"]),
    ("name;town\nJürgen;Душанбе\n".encode("utf-16"), None, "utf-16", ["Jürgen", "Душанбе"]),
    (codecs.BOM_UTF16_BE + "name;town\nJürgen;Душанбе\n".encode("utf-16-be"), None, "utf-16",
     ["Jürgen", "Душанбе"]),
    ('name,town\n"Jürgen Größe, café",München\n'.encode("cp1252"), None, "cp1252",
     ["Jürgen Größe, café", "München"]),
    (f'name,town\n"{CYRILLIC}",{TOWN}\n'.encode("cp1251"), None, "cp1251", [CYRILLIC, TOWN]),
    (f'name,town\n"{CYRILLIC}",{TOWN}\n'.encode("koi8-r"), "koi8-r", "koi8-r", [CYRILLIC, TOWN]),
    ("town,name\nBerlin,café\n".encode("cp1252"), None, "cp1252", ["Berlin", "café"]),
], ids=["utf8-bom", "utf16-le-bom", "utf16-be-bom", "cp1252", "cp1251", "declared",
        "cp1252-only-at-end"])
def test_csv_encodings(tmp_path, data, declared, encoding, expected):
    path = tmp_path / "enc.csv"
    path.write_bytes(data)
    raw = read_raw_file(path, encoding=declared)
    assert raw.encoding == encoding
    assert [values[0] for values in cells(raw).values()] == expected


@pytest.mark.parametrize("body", [b"\x98\x98\x98,x\n", b"\x01\xff\xfe,x\n"],
                         ids=["undefined-in-cp1251", "control-bytes"])
def test_csv_garbage_bytes_raise_naming_file_and_encoding(tmp_path, body):
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"name,town\n" + body)
    with pytest.raises(RawFileError, match=re.escape(str(path))) as info:
        read_raw_file(path)
    assert "encoding" in str(info.value)


@pytest.mark.parametrize(("body", "line", "fields"), [
    (b"1,2,3\n4,5,6\n7,8,9,10\n", 4, 4),
    (b"1,2,3\n4,5,6\n7,8\n", 4, 2),
    (b'1,"x, y",3\n4,"a\nb",6\n7,8\n', 5, 2),  # line counts the quoted newline
], ids=["too-many", "too-few", "after-quoted-newline"])
def test_csv_ragged_row_names_file_and_line(tmp_path, body, line, fields):
    path = tmp_path / "ragged.csv"
    path.write_bytes(b"a,b,c\n" + body)
    with pytest.raises(RawFileError, match=re.escape(str(path))) as info:
        read_raw_file(path)
    assert f"line {line}:" in str(info.value)
    assert f"{fields} fields where the header has 3" in str(info.value)


def test_csv_quoted_delimiters_and_newlines_are_not_ragged(tmp_path):
    raw = read_raw_file(write_csv(tmp_path / "q.csv"))
    assert cells(raw) == {"a": ["1", "4"], "b": ["x, y", "line1\nline2"], "c": ["3", "6"]}


# ----------------------------------------------------------------------- XLSX


def test_xlsx_first_sheet_with_canonical_cells(tmp_path):
    raw = read_raw_file(write_xlsx(tmp_path / "book.xlsx"))
    assert (raw.format, raw.sheet) == ("xlsx", "survey")
    assert cells(raw) == {"id": ["R1", "R2"], "when": ["2023-05-04", "2023-05-05"],
                          "n": ["1", "2.5"], "code": ["007", "010"],
                          "at": ["2023-05-04T10:11:12", None]}


def test_xlsx_named_repeat_sheet(tmp_path):
    raw = read_raw_file(write_xlsx(tmp_path / "book.xlsx"), sheet="members")
    assert raw.sheet == "members"
    assert cells(raw) == {"id": ["R1", "R1"], "member": ["Ali", "Zarina"]}


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx")
    with pytest.raises(RawFileError, match=re.escape(str(path))) as info:
        read_raw_file(path, sheet="household")
    assert "'household'" in str(info.value) and "['survey', 'members']" in str(info.value)


def test_round_with_unknown_sheet_lists_the_sheets(tmp_path):
    with pytest.raises(RawFileError, match=r"\['survey', 'members'\]"):
        read_round_files([write_xlsx(tmp_path / "book.xlsx")], sheet="household")


def test_xlsx_empty_first_sheet_raises_naming_file_and_sheet(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", blank_first=True)
    with pytest.raises(RawFileError, match=re.escape(str(path))) as info:
        read_raw_file(path)
    assert "'cover'" in str(info.value) and "no data" in str(info.value)


# ------------------------------------------------------------------ bad input


def damaged_sav(path, how, start=176, stop=192):
    good = bytearray(write_sav(path).read_bytes())
    if how == "truncated":
        return bytes(good[:300])
    for i in range(start, stop):  # the dictionary: first variable record at byte 176
        good[i] ^= 0xFF
    return bytes(good)


def zip_not_xlsx(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return path.read_bytes()


@pytest.mark.parametrize(("name", "make", "says"), [
    ("empty.csv", lambda p: b"", "empty"),
    ("cut.sav", lambda p: damaged_sav(p, "truncated"), "spss"),
    ("flipped.sav", lambda p: damaged_sav(p, "flipped"), "spss"),
    ("cut.dta", lambda p: write_dta(p).read_bytes()[:200], "stata"),
    ("archive.xlsx", zip_not_xlsx, "not an XLSX"),
    ("legacy.xls", lambda p: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "legacy .xls"),
])
def test_bad_input_raises_naming_the_file(tmp_path, name, make, says):
    path = tmp_path / name
    path.write_bytes(make(path))
    with pytest.raises(RawFileError, match=re.escape(str(path))) as info:
        read_raw_file(path)
    assert says in str(info.value)


def test_sav_with_a_bit_flipped_variable_name_raises(tmp_path):
    path = tmp_path / "flipped_name.sav"
    path.write_bytes(damaged_sav(path, "flipped", 200, 208))  # the 8-byte name of variable 1
    with pytest.raises(RawFileError, match=re.escape(str(path))):
        read_raw_file(path)


# ------------------------------------------------------------ platform meta


def write_kobo(path):
    path.write_text(
        "\ufeffintro/resp_id;wellbeing/life;_uuid;_submission_time;__version__;_submitted_by\n"
        "E1;7;uuid-1;2023-05-04T10:11:12;vAbc;enum1\n"
        "E2;8;uuid-2;2023-05-05T01:02:03+05:00;vXyz;enum2\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("usecols_of", [None, lambda header: ["intro/resp_id"]],
                         ids=["all", "usecols"])
def test_kobo_meta_columns_are_canonical(tmp_path, usecols_of):
    frame, [entry] = read_round_files([write_kobo(tmp_path / "kobo.csv")], usecols_of=usecols_of)
    assert entry["platform"] == "kobotoolbox"
    assert frame["intro/resp_id"].tolist() == ["E1", "E2"]
    assert frame["meta:submission_id"].tolist() == ["uuid-1", "uuid-2"]
    assert frame["meta:submitted_at"].tolist() == ["2023-05-04T10:11:12Z", "2023-05-04T20:02:03Z"]
    assert frame["meta:form_version"].tolist() == ["vAbc", "vXyz"]
    assert frame["meta:enumerator"].tolist() == ["enum1", "enum2"]
    assert ("wellbeing/life" in frame.columns) is (usecols_of is None)


# ------------------------------------------------------------------ inspection

KEYS = {"file", "format", "platform", "n_rows", "file_label", "variables"}


def variable(report, name):
    return next(v for v in report["variables"] if v["name"] == name)


def test_inspect_dta(tmp_path):
    report = inspect_file(write_dta(tmp_path / "round.dta"))
    assert set(report) >= KEYS
    assert (report["format"], report["platform"], report["n_rows"], report["file_label"]) == (
        "stata", "generic", 4, "Stata round")
    assert [v["name"] for v in report["variables"]] == ["id", "q1", "name"]
    assert variable(report, "q1") == {
        "name": "q1", "label": "Question one", "type": "numeric",
        "value_labels": {"1": "Yes", "2": "No"}, "missing_values": [".a", ".b"],
        "n_missing": {"empty": 1, "user_missing": 2, "unanswered": 0}}
    assert variable(report, "name")["type"] == "string"
    assert variable(report, "name")["n_missing"]["empty"] == 1


def test_inspect_por_and_xlsx(tmp_path):
    por = inspect_file(write_por(tmp_path / "round.por"))
    assert (por["format"], por["n_rows"], por["file_label"]) == ("spss_portable", 2,
                                                                 "Portable round")
    assert variable(por, "LIFE") == {
        "name": "LIFE", "label": "Life satisfaction", "type": "numeric", "value_labels": {},
        "missing_values": [], "n_missing": {"empty": 0, "user_missing": 0, "unanswered": 0}}
    assert variable(por, "NAME")["type"] == "string"
    book = inspect_file(write_xlsx(tmp_path / "book.xlsx"))
    assert set(book) >= KEYS
    assert (book["format"], book["platform"], book["n_rows"], book["file_label"]) == (
        "xlsx", "generic", 2, "")
    assert [v["name"] for v in book["variables"]] == ["id", "when", "n", "code", "at"]
    assert variable(book, "n")["type"] == "numeric"
    assert variable(book, "at")["n_missing"]["empty"] == 1


def test_inspect_counts_values_inside_a_missing_range(tmp_path):
    report = inspect_file(write_sav(tmp_path / "round.sav"))
    assert variable(report, "q")["missing_values"] == ["90..99", "-9"]
    assert variable(report, "q")["n_missing"]["user_missing"] == 2  # 95 and -9
