"""Hostile inputs in one place: a bad-file and bad-declaration corpus, one case per row.

Every file case either fails with a RawFileError that names the file (and the line, column or
key where there is one), or reads; a file that reads is harmonised and validated, and every row
read is accounted for: rows read = clean + quarantined, each source row exactly once. A file of
no rows reads, but a round of nothing else is refused with a message naming it. Every
declaration case fails with a DeclarationError naming file, line and key. Pure functions only.
"""

from __future__ import annotations

import csv
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from assets.harmonize import harmonize_round
from assets.readers import SOURCE_FILE, SOURCE_ROW, RawFileError, read_raw_file, read_round_files
from assets.validate import validate_round
from schemas.declarations import DEFAULT_PROJECT_FILE, Codebook, Project, load_project, load_survey
from schemas.yaml_source import DeclarationError

ROUND = "r1"
NUMERIC = {"age": ("integer", [10, 100]), "income": ("number", [0, 1_000_000])}
BASE = pd.DataFrame({"id": ["A1", "A2", "A3"], "age": [30.0, 40.0, 50.0],
                     "income": [1.5, 2.0, 3.0]})
BASE_CELLS = [["A1", "30", "1.5"], ["A2", "40", "2"], ["A3", "50", "3"]]


# ------------------------------------------------------------------------------ helpers


def survey_for(columns: list[str]) -> tuple[Project, Codebook]:
    """One round; a variable per column: the first is the required id, age/income numeric."""
    project = Project.model_validate({
        "name": "hostile", "respondent_id": "respondent_id",
        "rounds": [{"name": ROUND, "label": "Round 1", "files": ["*"]}]})
    variables = []
    for i, column in enumerate(columns):
        name = "respondent_id" if i == 0 else (column if column in NUMERIC else f"col{i}")
        variable = {"name": name, "label": column, "type": "string",
                    "required": i == 0, "sources": {ROUND: column}}
        if column in NUMERIC:
            variable["type"], variable["range"] = NUMERIC[column]
        variables.append(variable)
    return project, Codebook.model_validate({"variables": variables})


def data_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in (SOURCE_FILE, SOURCE_ROW)
            and not c.startswith("meta:")]


def account(frame: pd.DataFrame):
    """Harmonise and validate a read table; every row read is clean or quarantined, once."""
    project, codebook = survey_for(data_columns(frame))
    harmonized = harmonize_round(frame, ROUND, project, codebook)
    assert len(harmonized.frame) == len(frame)
    validated = validate_round(harmonized.frame, harmonized.conversion_failures, project,
                               codebook)
    assert len(frame) == len(validated.clean) + len(validated.quarantine)
    seen = pd.concat([validated.clean, validated.quarantine])
    assert sorted(zip(seen[SOURCE_FILE], seen[SOURCE_ROW].astype(int), strict=True)) == sorted(
        zip(frame[SOURCE_FILE], frame[SOURCE_ROW].astype(int), strict=True))
    return harmonized, validated


def cells(frame: pd.DataFrame) -> list[list]:
    return [[None if pd.isna(v) else v for v in row]
            for row in frame[data_columns(frame)].itertuples(index=False)]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def stat_bytes(tmp_path: Path, ext: str) -> bytes:
    path = tmp_path / f"source.{ext}"
    (pyreadstat.write_sav if ext == "sav" else pyreadstat.write_dta)(BASE, str(path))
    data = path.read_bytes()
    path.unlink()
    return data


def data_offset(data: bytes, ext: str) -> int:
    """Where the data rows start: after the SPSS dictionary terminator, or Stata's <data>."""
    if ext == "dta":
        return data.index(b"<data>") + len(b"<data>")
    return data.index((999).to_bytes(4, "little") + bytes(4)) + 8


# ------------------------------------------------------------------------ file corpus


@dataclass(frozen=True)
class FileCase:
    """Writes a file into a folder; `error` = fragments of the expected message, or None."""

    write: Callable[[Path], Path]
    error: tuple[str, ...] | None = None
    check: Callable[[pd.DataFrame, object, object], None] | None = None
    read_or_error: bool = False  # damaged binary: a clear error, or the original data intact
    round_error: tuple[str, ...] | None = None  # the file reads, a round of it alone does not


def zero_bytes(name: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        (folder / name).write_bytes(b"")
        return folder / name
    return write


def truncated(ext: str, where: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        data = stat_bytes(folder, ext)
        start = data_offset(data, ext)
        cut = {"magic": 3, "header": 40, "dictionary": start // 2, "data_start": start + 4,
               "mid_data": (start + len(data)) // 2, "last_byte": len(data) - 1}[where]
        (folder / f"cut.{ext}").write_bytes(data[:cut])
        return folder / f"cut.{ext}"
    return write


def flipped(ext: str, offset: int | str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        data = bytearray(stat_bytes(folder, ext))
        at = data_offset(bytes(data), ext) - 12 if offset == "before_data" else offset
        data[at] ^= 0xFF
        (folder / f"flip.{ext}").write_bytes(bytes(data))
        return folder / f"flip.{ext}"
    return write


def csv_named_sav(folder: Path) -> Path:
    return write_csv(folder / "really_a_csv.sav", [["id", "age", "income"], *BASE_CELLS])


def check_csv_named_sav(frame, harmonized, validated) -> None:
    assert cells(frame) == BASE_CELLS
    assert len(validated.clean) == 3


def garbage_csv(folder: Path) -> Path:
    noise = random.Random(20240501).randbytes(4096)
    (folder / "garbage.csv").write_bytes(b"\x00\x01" + noise)
    return folder / "garbage.csv"


def mixed_delimiters(folder: Path) -> Path:
    path = folder / "mixed.csv"
    path.write_text("id;age;income\nA1;30;1.5\nA2,40,2\nA3;50;3\n", encoding="utf-8")
    return path


def latin1(folder: Path) -> Path:
    return write_csv(folder / "latin1.csv", [["id", "Größe", "ort"], ["A1", "groß", "café"],
                                             ["A2", "Straße", "naïve Zoë"]], "latin-1")


def check_latin1(frame, harmonized, validated) -> None:
    assert data_columns(frame) == ["id", "Größe", "ort"]
    assert cells(frame) == [["A1", "groß", "café"], ["A2", "Straße", "naïve Zoë"]]
    assert harmonized.frame["col2"].tolist() == ["café", "naïve Zoë"]


def duplicate_csv(folder: Path) -> Path:
    return write_csv(folder / "dup.csv", [["id", "age", "age"], ["A1", "30", "31"]])


def duplicate_xlsx(folder: Path) -> Path:
    return write_xlsx(folder / "dup.xlsx", [["id", "age", "age"], ["A1", 30, 31]])


def header_only(name: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        if name.endswith(".xlsx"):
            return write_xlsx(folder / name, [["id", "age", "income"]])
        if name.endswith((".sav", ".dta")):
            path = folder / name
            empty = BASE.iloc[:0]
            (pyreadstat.write_sav if name.endswith(".sav") else pyreadstat.write_dta)(
                empty, str(path))
            return path
        return write_csv(folder / name, [["id", "age", "income"]])
    return write


def check_no_rows(frame, harmonized, validated) -> None:
    assert len(frame) == 0
    assert data_columns(frame) == ["id", "age", "income"]
    assert len(validated.clean) == len(validated.quarantine) == 0


def all_missing(folder: Path) -> Path:
    return write_csv(folder / "all_missing.csv", [["id", "age", "note"], ["A1", "", ""],
                                                  ["A2", "", ""], ["A3", "", ""]])


def check_all_missing(frame, harmonized, validated) -> None:
    assert frame["age"].isna().all() and frame["note"].isna().all()
    assert harmonized.frame["age"].isna().all()
    assert len(validated.clean) == 3  # optional variables: missing is not a failure


LONG = ('Lorem, "ipsum"; dolor\tsit é\n' * 1200)[:32_766] + "."
assert len(LONG) == 32_767


def long_string(ext: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / f"long.{ext}"
        rows = [["id", "note"], ["A1", LONG], ["A2", "short"]]
        if ext == "csv":
            return write_csv(path, rows)
        if ext == "xlsx":
            return write_xlsx(path, rows)
        frame = pd.DataFrame(rows[1:], columns=rows[0])
        (pyreadstat.write_sav if ext == "sav" else pyreadstat.write_dta)(frame, str(path))
        return path
    return write


def check_long(frame, harmonized, validated) -> None:
    assert frame["note"].iloc[0] == LONG
    assert harmonized.frame["col1"].iloc[0] == LONG
    assert validated.clean["col1"].iloc[0] == LONG


def extremes(ext: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / f"extremes.{ext}"
        rows = [["R1", 30, 1e308], ["R2", 30, -1], ["R3", 999, 500], ["R4", 40, 1000]]
        if ext == "csv":
            return write_csv(path, [["id", "age", "income"], *[map(str, r) for r in rows]])
        frame = pd.DataFrame(rows, columns=["id", "age", "income"]).astype(
            {"age": float, "income": float})
        (pyreadstat.write_sav if ext == "sav" else pyreadstat.write_dta)(frame, str(path))
        return path
    return write


def check_extremes(frame, harmonized, validated) -> None:
    typed = harmonized.frame.set_index("respondent_id")
    assert typed.loc["R2", "income"] == -1 and typed.loc["R3", "age"] == 999
    assert validated.clean["respondent_id"].tolist() == ["R4"]
    reasons = dict(zip(validated.quarantine["respondent_id"], validated.quarantine["reasons"],
                       strict=True))
    assert set(reasons) == {"R1", "R2", "R3"}
    assert reasons["R2"].startswith("income: in range [0, 1e+06]")
    assert reasons["R3"].startswith("age: in range [10, 100]")
    # 1e308 is beyond exact floats: a conversion failure or out of range, never lost
    assert reasons["R1"] in ("income: convertible to number", "income: in range [0, 1e+06]")
    failures = validated.failures.set_index("respondent_id")
    assert failures.loc["R2", "column"] == "income" and float(failures.loc["R2", "value"]) == -1
    assert failures.loc["R3", "column"] == "age" and float(failures.loc["R3", "value"]) == 999
    assert (failures.loc[["R1", "R2", "R3"], SOURCE_FILE] == frame[SOURCE_FILE].iloc[0]).all()
    assert failures.loc["R3", SOURCE_ROW] == 3


UNICODE_HEADER = ["id", "ном_насаб", "שם", "పేరు", "emoji_😀"]
UNICODE_ROWS = [["T1", "Зарина Раҳимова", "שָׁלוֹם עולם", "తెలుగు భాష", "👩🏽‍🌾 ok"],
                ["T2", "Ҷамшед Қодирӣ", "דָּוִד", "శ్రీనివాస్", "🇹🇯✨"]]


def unicode_file(ext: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        rows = [UNICODE_HEADER, *UNICODE_ROWS]
        if ext == "xlsx":
            return write_xlsx(folder / "unicode.xlsx", rows)
        return write_csv(folder / "unicode.csv", rows)
    return write


def check_unicode(frame, harmonized, validated) -> None:
    assert data_columns(frame) == UNICODE_HEADER
    assert cells(frame) == UNICODE_ROWS
    published = [f"col{i}" for i in range(1, len(UNICODE_HEADER))]
    assert validated.clean[["respondent_id", *published]].values.tolist() == UNICODE_ROWS


FILE_CASES: dict[str, FileCase] = {
    "zero_byte_csv": FileCase(zero_bytes("empty.csv"), ("empty.csv", "empty file (0 bytes)")),
    "zero_byte_sav": FileCase(zero_bytes("empty.sav"), ("empty.sav", "empty file (0 bytes)")),
    "zero_byte_dta": FileCase(zero_bytes("empty.dta"), ("empty.dta", "empty file (0 bytes)")),
    "zero_byte_xlsx": FileCase(zero_bytes("empty.xlsx"), ("empty.xlsx", "empty file (0 bytes)")),
    **{f"truncated_{ext}_{where}": FileCase(truncated(ext, where), read_or_error=True)
       for ext in ("sav", "dta")
       for where in ("magic", "header", "dictionary", "data_start", "mid_data", "last_byte")},
    **{f"bitflip_{ext}_{offset}": FileCase(flipped(ext, offset), read_or_error=True)
       for ext in ("sav", "dta") for offset in (0, 2, 8, 40, 64, 100, 180, 200, "before_data")},
    "sav_that_is_a_csv": FileCase(csv_named_sav, check=check_csv_named_sav),
    "binary_garbage_named_csv": FileCase(garbage_csv, ("garbage.csv", "binary content")),
    "mixed_delimiters_ragged": FileCase(mixed_delimiters, (
        "mixed.csv", "line 3: 1 fields where the header has 3", "never shifts")),
    "latin1_without_bom": FileCase(latin1, check=check_latin1),
    "duplicate_columns_csv": FileCase(duplicate_csv, (
        "dup.csv", "line 1", "duplicate column names", "'age'")),
    "duplicate_columns_xlsx": FileCase(duplicate_xlsx, (
        "dup.xlsx", "row 1", "duplicate column names", "'age'")),
    **{f"header_only_{ext}": FileCase(header_only(f"none.{ext}"), check=check_no_rows,
                                      round_error=("no data rows", "at least one row"))
       for ext in ("csv", "xlsx", "sav", "dta")},
    "all_missing_column": FileCase(all_missing, check=check_all_missing),
    **{f"string_32767_{ext}": FileCase(long_string(ext), check=check_long)
       for ext in ("csv", "xlsx", "sav", "dta")},
    **{f"extreme_numbers_{ext}": FileCase(extremes(ext), check=check_extremes)
       for ext in ("csv", "sav")},  # Stata cannot store 1e308 (max ~8.99e307)
    **{f"unicode_{ext}": FileCase(unicode_file(ext), check=check_unicode)
       for ext in ("csv", "xlsx")},
}


@pytest.mark.parametrize("case", FILE_CASES.values(), ids=FILE_CASES.keys())
def test_hostile_file(case: FileCase, tmp_path: Path):
    path = case.write(tmp_path)
    try:
        raw = read_raw_file(path)
    except RawFileError as error:
        message = str(error)
        assert str(path) in message, message
        assert case.error is not None or case.read_or_error, f"unexpected error: {message}"
        for fragment in case.error or ():
            assert fragment in message, message
        with pytest.raises(RawFileError, match="^" + str(path).replace("\\", r"\\")):
            read_round_files([path])  # the round reader names the file the same way
        return
    assert case.error is None, f"read {len(raw.frame)} rows, expected {case.error}"
    if case.round_error is not None:
        with pytest.raises(RawFileError, match="^" + str(path).replace("\\", r"\\")) as info:
            read_round_files([path])
        for fragment in case.round_error:
            assert fragment in str(info.value), str(info.value)
        frame = raw.frame  # harmonising and validating it still account for every row
    else:
        frame, inventory = read_round_files([path])
        assert inventory[0]["rows"] == len(frame) == len(raw.frame)
        assert data_columns(frame) == data_columns(raw.frame)
    harmonized, validated = account(frame)
    if case.read_or_error:  # damaged but readable: the original data, nothing garbled
        assert cells(frame) == BASE_CELLS
        assert len(validated.clean) == 3
    if case.check is not None:
        case.check(frame, harmonized, validated)


# ------------------------------------------------------------------- declaration corpus


@dataclass(frozen=True)
class DeclCase:
    file: str  # which declaration is edited
    old: str
    new: str
    key: str  # the dotted key the error must name
    message: str  # a fragment of the message
    loader: str = "survey"  # or "project"
    at: str | None = None  # the text on the line the error must name (default: new's 1st)


TAG = '!!python/object/apply:os.system ["touch {marker}"]'
DECL_CASES: dict[str, DeclCase] = {
    "codebook_unknown_key": DeclCase(
        "codebook.yaml", '    label: "District"\n', '    label: "District"\n    colour: red\n',
        "variables.2.colour", "Extra inputs are not permitted", at="colour: red"),
    "codebook_wrong_type": DeclCase(
        "codebook.yaml", "    required: true\n    sources: {baseline: resp_id",
        "    required: maybe\n    sources: {baseline: resp_id",
        "variables.0.required", "boolean"),
    "codebook_wrong_type_range": DeclCase(
        "codebook.yaml", "range: [10, 100]", "range: [ten, 100]",
        "variables.5.range.0", "number"),
    "codebook_missing_round_in_sources": DeclCase(
        "codebook.yaml", "sources: {baseline: age, endline: intro/age}",
        "sources: {baseline: age}", "variables.5.sources", "missing ['endline']"),
    "codebook_unknown_label_list": DeclCase(
        "codebook.yaml", "    labels: district\n", "    labels: districts\n",
        "variables.2.labels", "unknown value label list 'districts'"),
    "codebook_python_tag": DeclCase(
        "codebook.yaml", '    label: "District"', f"    label: {TAG}",
        "variables.2.label", "is not allowed"),
    "indicators_unknown_key": DeclCase(
        "indicators.yaml", "    max_missing: 1\n", "    max_missng: 1\n",
        "max_missng", "Extra inputs are not permitted"),
    "indicators_wrong_type": DeclCase(
        "indicators.yaml", "    max_missing: 1\n", "    max_missing: one\n",
        "max_missing", "integer"),
    "indicators_unknown_variable": DeclCase(
        "indicators.yaml", "variable: happy_with_life", "variable: happy_life",
        "indicators.3.variable", "unknown codebook variable 'happy_life'"),
    "indicators_unknown_round": DeclCase(
        "indicators.yaml", "targets: {endline: 70}", "targets: {midline: 70}",
        "indicators.0.targets.midline", "unknown round 'midline'"),
    "indicators_python_tag": DeclCase(
        "indicators.yaml", "    family: Wellbeing\n", f"    family: {TAG}\n",
        "indicators.0.family", "is not allowed"),
    "project_wrong_type": DeclCase(
        "project.yaml", "confidence: 0.95", "confidence: high", "confidence", "number",
        loader="project"),
    "project_python_tag": DeclCase(
        "project.yaml", 'name: "Families', f'tag: {TAG}\nname: "Families', "tag",
        "is not allowed", loader="project"),
    "project_rule_names_unknown_variable": DeclCase(
        "project.yaml", "then: {age: {range: [10, 19]}}", "then: {agee: {range: [10, 19]}}",
        "validation.rules.0.then.agee", "'agee' is not a (non-personal) codebook variable"),
}
KNOWN_GAPS: dict[str, str] = {}  # all fixed: tags name their key, union and rule lines


DECL_PARAMS = [pytest.param(case, id=name, marks=[pytest.mark.xfail(
    strict=True, reason=KNOWN_GAPS[name])] if name in KNOWN_GAPS else [])
    for name, case in DECL_CASES.items()]


@pytest.mark.parametrize("case", DECL_PARAMS)
def test_hostile_declaration(case: DeclCase, tmp_path: Path):
    folder = tmp_path / "survey"
    shutil.copytree(DEFAULT_PROJECT_FILE.parent, folder)
    marker = tmp_path / "pwned"
    target = folder / case.file
    text = target.read_text(encoding="utf-8")
    assert case.old in text, f"fixture text not found: {case.old!r}"
    new = case.new.replace("{marker}", str(marker))
    target.write_text(text.replace(case.old, new, 1), encoding="utf-8")
    edited = target.read_text(encoding="utf-8")
    line = edited[:edited.index(case.at or new)].count("\n") + 1
    with pytest.raises(DeclarationError) as caught:
        if case.loader == "project":
            load_project(folder / "project.yaml")
        else:
            load_survey(folder / "project.yaml")
    error, message = caught.value, str(caught.value)
    assert not marker.exists(), "a YAML tag executed code"
    assert error.path.name == case.file and case.file in message, message
    assert case.message in message, message
    assert f"{case.file}:{error.line}: " in message, message
    assert error.key is not None and case.key in error.key, (error.key, message)
    assert case.key in message, message
    assert error.line == line, (error.line, line, message)


def test_an_integer_failure_value_keeps_its_text_beside_a_float_failure(tmp_path: Path):
    path = write_csv(tmp_path / "values.csv", [["id", "age", "income"], ["R1", "999", "5"],
                                               ["R2", "30", "-1"]])
    frame, _ = read_round_files([path])
    _, validated = account(frame)
    values = dict(zip(validated.failures["column"], validated.failures["value"], strict=True))
    assert values == {"age": "999", "income": "-1"}
