"""Tests for the codebook's Excel round trip (YAML -> XLSX -> YAML)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assets.codebook_xlsx import codebook_from_xlsx, codebook_to_xlsx
from schemas.declarations import Codebook
from schemas.yaml_source import DeclarationError, load_yaml, validate_document

SHIPPED = Path(__file__).resolve().parents[1] / "schemas" / "survey" / "codebook.yaml"

RICH = """
value_labels:
  region: {"01": "Душанбе", "02": "Хатлон", "10": "Суғд"}
  yes_no: {"1": "Yes", "0": "No"}
  sources_fielded: {"a": "Radio", "b": "TV"}
  empty_list: {}
variables:
  - {name: hh_id, label: "Household ID", type: string, required: true,
     sources: {baseline: hhid, midline: hh/id, endline: "0012"}}
  - name: region
    label: "Вилоят (region) — אזור"
    type: category
    labels: region
    sources:
      baseline: {column: region, recode: {"1": "01", "2": "02", "010": "10"}}
      midline: null
      endline: {column: intro/region, recode: {dushanbe: "01", khatlon: "02"},
                labels: {"dushanbe": "Душанбе", "khatlon": "Хатлон"}}
  - name: info_sources
    label: "Sources of information"
    type: select_multiple
    labels: {radio: "Radio; FM", tv: "TV = television", web: "\\"Web\\" sites", none: " padded "}
    personal: false
    sources:
      baseline: {column: info, labels: sources_fielded, choice_separator: "_"}
      midline: {column: info/src, choice_separator: "/"}
      endline: {column: info/src, recode: {"a;b": "radio", "x=y": "tv"}}
  - name: score
    label: "Score"
    type: number
    range: [-0.5, 12.25]
    missing_codes: dk_refused
    sources: {baseline: score, midline: null, endline: score}
  - name: consent
    label: "=Consent given"
    type: category
    labels: {"1": "Yes", "0": "No", "9": ""}
    personal: true
    sources: {baseline: null, midline: null, endline: consent}
"""


def model(path: Path) -> Codebook:
    return validate_document(load_yaml(path), Codebook)


def round_trip(tmp_path: Path, source: Path) -> Codebook:
    xlsx = tmp_path / "codebook.xlsx"
    codebook_to_xlsx(source, xlsx)
    out = tmp_path / "roundtrip.yaml"
    out.write_text(codebook_from_xlsx(xlsx), encoding="utf-8")
    return model(out)


@pytest.fixture
def rich(tmp_path: Path) -> Path:
    path = tmp_path / "rich.yaml"
    path.write_text(textwrap.dedent(RICH).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def workbook(tmp_path: Path, rich: Path) -> Path:
    xlsx = tmp_path / "codebook.xlsx"
    codebook_to_xlsx(rich, xlsx)
    return xlsx


def edit(xlsx: Path, sheet: str, row: int, header: str, value: object) -> None:
    """Set the cell of `header` in `row` (1-based, Excel's) of `sheet`."""
    book = load_workbook(xlsx)
    ws = book[sheet]
    columns = {cell.value: cell.column for cell in ws[1]}
    column = columns[header] if header in columns else ws.max_column + 1
    ws.cell(row=row, column=column).value = value  # ws.cell(value=None) would keep the value
    book.save(xlsx)


def fails(xlsx: Path, match: str) -> DeclarationError:
    with pytest.raises(DeclarationError, match=match) as info:
        codebook_from_xlsx(xlsx)
    return info.value


def test_shipped_codebook_round_trips(tmp_path: Path) -> None:
    assert round_trip(tmp_path, SHIPPED) == model(SHIPPED)


def test_rich_codebook_round_trips(tmp_path: Path, rich: Path) -> None:
    back = round_trip(tmp_path, rich)
    assert back == model(rich)
    assert back.variable("region").sources["baseline"].recode["010"] == "10"
    assert back.value_labels["region"]["01"] == "Душанбе"
    assert back.variable("region").sources["midline"] is None
    assert back.variable("hh_id").sources["endline"].column == "0012"
    assert back.value_labels["empty_list"] == {}


def test_layout(workbook: Path) -> None:
    book = load_workbook(workbook)
    assert book.sheetnames == ["variables", "value_labels", "README"]
    ws = book["variables"]
    header = [cell.value for cell in ws[1]]
    assert header == ["name", "label", "type", "personal", "required", "labels", "range",
                      "missing_codes", "baseline:column", "baseline:recode", "baseline:labels",
                      "baseline:choice_separator", "midline:column", "midline:recode",
                      "midline:choice_separator", "endline:column", "endline:recode",
                      "endline:labels"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(2, values_only=True)}
    assert rows["region"]["baseline:recode"] == "1=01; 2=02; 010=10"
    assert rows["region"]["midline:column"] is None
    assert rows["info_sources"]["labels"] == (
        'radio="Radio; FM"; tv="TV = television"; web="""Web"" sites"; none=" padded "')
    assert rows["info_sources"]["endline:recode"] == '"a;b"=radio; "x=y"=tv'
    assert rows["score"]["range"] == "-0.5..12.25"
    assert rows["hh_id"]["required"] == "yes" and rows["hh_id"]["personal"] is None
    assert rows["consent"]["label"] == "=Consent given"  # text, not a formula
    assert ws.cell(row=6, column=2).data_type == "s"
    labels = list(book["value_labels"].iter_rows(2, values_only=True))
    assert ("region", "01", "Душанбе") in labels and ("empty_list", None, None) in labels


def test_excel_typed_cells_are_normalised(tmp_path: Path, workbook: Path) -> None:
    edit(workbook, "value_labels", 5, "code", 1.0)  # yes_no "1" retyped as a number
    edit(workbook, "variables", 2, "personal", True)
    edit(workbook, "variables", 2, "required", "FALSE")
    edit(workbook, "variables", 2, "baseline:column", 12)
    edit(workbook, "variables", 5, "range", "0 .. 10")
    out = tmp_path / "edited.yaml"
    out.write_text(codebook_from_xlsx(workbook), encoding="utf-8")
    back = model(out)
    assert back.value_labels["yes_no"] == {"1": "Yes", "0": "No"}
    hh = back.variable("hh_id")
    assert hh.personal and not hh.required and hh.sources["baseline"].column == "12"
    assert back.variable("score").range == (0, 10)


def test_absent_round_with_details_is_an_error(workbook: Path) -> None:
    edit(workbook, "variables", 3, "baseline:column", None)
    fails(workbook, r"sheet variables, row 3, column baseline:recode: baseline:column is empty")


@pytest.mark.parametrize(("sheet", "row", "header", "value", "message"), [
    ("variables", 4, "type", "multiple", r"row 4, column type: Input should be 'string'"),
    ("variables", 3, "endline:recode", "dushanbe=01; khatlon",
     r"row 3, column endline:recode: 'khatlon' has no '='"),
    ("variables", 3, "endline:recode", 'a="01; b=2', r"column endline:recode: unclosed double"),
    ("variables", 3, "endline:recode", "a=1; a=2", r"endline:recode: code 'a' appears twice"),
    ("variables", 3, "endline:recode", "a=1; =2",
     r"column endline:recode: '=2' has an empty code"),
    ("variables", 5, "range", "0-10", r"row 5, column range: '0-10' is not a range"),
    ("variables", 5, "range", 10, r"row 5, column range: '10' is not a range"),
    ("variables", 5, "range", "a..b", r"row 5, column range: 'a..b' is not a range"),
    ("variables", 2, "range", "1..2", r"row 2, column range: range applies to integer/number"),
    ("variables", 3, "labels", None, r"row 3, column labels: a category variable needs labels"),
    ("variables", 3, "labels", "regions", r"row 3, column labels: unknown value label list"),
    ("variables", 4, "baseline:labels", "nope", r"row 4, column baseline:labels: unknown value"),
    ("variables", 6, "name", "hh_id", r"row 6, column name: variable 'hh_id' is declared twice "
     r"\(first on row 2\)"),
    ("variables", 6, "name", "Consent", r"row 6, column name: String should match pattern"),
    ("variables", 6, "label", None, r"row 6, column label: the cell is empty"),
    ("variables", 6, "personal", "maybe", r"row 6, column personal: 'maybe' is not yes/no"),
    ("variables", 1, "notes", "notes", r"row 1, column notes: unknown column header"),
    ("variables", 1, "type", None, r"row 1: missing column header 'type'"),
    ("variables", 1, "endline:column", None, r"row 1: missing column header 'endline:column'"),
    ("variables", 1, "label", "name", r"row 1, column name: duplicate column header"),
    ("variables", 9, "zz", "x", r"row 9, column T: a value under an empty header"),
    ("value_labels", 3, "code", "01", r"sheet value_labels, row 3, column code: code '01' of "
     r"list 'region' is declared twice \(first on row 2\)"),
    ("value_labels", 3, "list", "Region", r"sheet value_labels, row 3, column list: String"),
    ("value_labels", 3, "label", None, r"sheet value_labels, row 3, column label: the cell is"),
])
def test_workbook_errors_name_sheet_row_and_column(
        workbook: Path, sheet: str, row: int, header: str, value: object, message: str) -> None:
    if header == "zz":  # a value in a column without a header
        book = load_workbook(workbook)
        book[sheet].cell(row=row, column=20, value=value)
        book.save(workbook)
    else:
        edit(workbook, sheet, row, header, value)
    error = fails(workbook, message)
    assert str(error).startswith(f"{workbook}: sheet {sheet}, row {row}")
    assert error.path == workbook and error.line == row


def test_missing_sheet_and_unreadable_file(tmp_path: Path, workbook: Path) -> None:
    book = load_workbook(workbook)
    book["variables"].title = "vars"
    book.save(workbook)
    fails(workbook, r"no sheet 'variables'")
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    fails(bad, r"bad.xlsx: cannot read the workbook")
    fails(tmp_path / "none.xlsx", r"none.xlsx: file not found")
