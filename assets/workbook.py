"""The evaluator-facing Excel workbook: contents, one sheet per indicator family, notes, checks.

Display conventions (DHS): numbers are stored unrounded and shown to one decimal by their number
format; a suppressed estimate is the text "*" (n is still shown); an estimate of a row flagged
`caution` keeps its value but shows in parentheses through the number format CAUTION_FORMAT, e.g.
"(45.2)"; confidence intervals are text, "low to high" joined by an en dash, in parentheses for
`caution` rows. A p-value below 0.001 is the text "<0.001".
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

ONE_DECIMAL = "0.0"
CAUTION_FORMAT = '"("0.0")";"(-"0.0")"'
P_FORMAT = "0.000"
COUNT_FORMAT = "0"
SUPPRESSED = "*"
EN_DASH = "\u2013"
OTHER_FAMILY = "Other indicators"
FIXED_SHEETS = ["Contents", "Estimates", "Notes", "Validation", "Harmonisation",
                "Label differences"]
Cell = tuple[object, str | None]

FAMILY_COLUMNS = [("Indicator", 42), ("Group", 18), ("Category", 18), ("Comparison", 22),
                  ("Unit", 7), ("n (baseline)", 9), ("Baseline", 9), ("95% CI (baseline)", 14),
                  ("n (endline)", 9), ("Endline", 9), ("95% CI (endline)", 14),
                  ("Change (pts or pp)", 10), ("95% CI of change", 14),
                  ("Relative change (%)", 10), ("Test", 24), ("p", 8), ("Adjusted p (BH)", 9),
                  ("Target", 8), ("Target met", 8), ("Assessment", 16), ("Flags", 22)]
ESTIMATE_COLUMNS = [("Indicator", 42), ("Category", 18), ("Round", 10), ("Group", 18),
                    ("Unit", 7), ("n", 8), ("Numerator", 10), ("Denominator", 11),
                    ("Estimate", 9), ("95% CI", 14), ("Don't know (%)", 10),
                    ("Median category", 12), ("Flags", 16)]
WRAPPED = {"Indicator", "Flags", "Test", "Rule"}
CONVENTIONS = [
    ("*", "Estimate withheld: too few respondents in a round (small-cell rule); n is shown."),
    ("(45.2)", "Estimate from a small sample (flag 'caution'): interpret with caution."),
    ("0.0", "Numbers are shown to one decimal; each cell holds the unrounded value."),
    ("<0.001", "p-value below 0.001. Adjusted p: Benjamini-Hochberg across the whole table."),
    ("Change", "Endline minus baseline, in points (scores) or percentage points (%)."),
]


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _text(value: object) -> str | None:
    return None if _missing(value) else str(value)


def _flags(value: object) -> list[str]:
    return [] if _missing(value) else [f.strip() for f in str(value).split(";") if f.strip()]


def format_one_decimal(value: float) -> str:
    """Round half away from zero to one decimal, as Excel displays "0.0"."""
    rounded = Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return str(abs(rounded) if rounded == 0 else rounded)


def _number(value: object, caution: bool = False, fmt: str = ONE_DECIMAL) -> Cell:
    if _missing(value):
        return None, None
    return float(value), CAUTION_FORMAT if caution else fmt


def _count(value: object) -> Cell:
    if _missing(value):
        return None, None
    number = float(value)
    return (int(number), COUNT_FORMAT) if number.is_integer() else (number, ONE_DECIMAL)


def _interval(low: object, high: object, caution: bool) -> Cell:
    if _missing(low) or _missing(high):
        return None, None
    text = f"{format_one_decimal(low)} {EN_DASH} {format_one_decimal(high)}"
    return (f"({text})" if caution else text), None


def _p(value: object) -> Cell:
    if _missing(value):
        return None, None
    return ("<0.001", None) if float(value) < 0.001 else (float(value), P_FORMAT)


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name (<= 31 chars, none of []:*?/\\) for `name`."""
    base = re.sub(r"\s+", " ", re.sub(r"[\[\]:*?/\\]", "-", str(name))).strip().strip("'")
    base = base[:31].rstrip() or "Indicators"
    title, number = base, 1
    while title.lower() in {u.lower() for u in used} | {"history"}:
        number += 1
        suffix = f" ({number})"
        title = base[: 31 - len(suffix)].rstrip() + suffix
    used.add(title)
    return title


def _comparison_cells(row: pd.Series) -> list[Cell]:
    flags = _flags(row.get("flags"))
    caution, star = "caution" in flags, (SUPPRESSED, None)
    head = [(_text(row.get("label")) or _text(row.get("indicator")), None),
            (_text(row.get("group")), None), (_text(row.get("category")), None),
            (_text(row.get("comparison")), None), (_text(row.get("unit")), None)]
    if "suppressed" in flags:
        base = [_count(row.get("n_base")), star, star, _count(row.get("n_end")), star, star]
        change = [star, star, star, (_text(row.get("test")), None), star, star]
    else:
        base = [_count(row.get("n_base")), _number(row.get("estimate_base"), caution),
                _interval(row.get("ci_low_base"), row.get("ci_high_base"), caution),
                _count(row.get("n_end")), _number(row.get("estimate_end"), caution),
                _interval(row.get("ci_low_end"), row.get("ci_high_end"), caution)]
        change = [_number(row.get("change"), caution),
                  _interval(row.get("change_ci_low"), row.get("change_ci_high"), caution),
                  _number(row.get("relative_change"), caution), (_text(row.get("test")), None),
                  _p(row.get("p_value")), _p(row.get("p_adjusted"))]
    tail = [_number(row.get("target")), (_text(row.get("target_met")), None),
            (_text(row.get("assessment")), None), ("; ".join(flags) or None, None)]
    return head + base + change + tail


def _estimate_cells(row: pd.Series, labels: dict[str, str]) -> list[Cell]:
    flags = _flags(row.get("flags"))
    caution, indicator = "caution" in flags, str(row.get("indicator"))
    head = [(labels.get(indicator, indicator), None), (_text(row.get("category")), None),
            (_text(row.get("round")), None), (_text(row.get("group")), None),
            (_text(row.get("unit")), None), _count(row.get("n"))]
    if "suppressed" in flags:
        star = (SUPPRESSED, None)
        body = [star, _count(row.get("denominator")), star, star, star, star]
    else:
        body = [_count(row.get("numerator")), _count(row.get("denominator")),
                _number(row.get("estimate"), caution),
                _interval(row.get("ci_low"), row.get("ci_high"), caution),
                _number(row.get("dont_know_share")), (_text(row.get("median_category")), None)]
    return [*head, *body, ("; ".join(flags) or None, None)]


def _style_header(ws: Worksheet, columns: list[tuple[str, float]], rows: int) -> None:
    for index, (header, width) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(index)].width = width
    table_sheet_setup(ws, len(columns), rows)


def table_sheet_setup(ws: Worksheet, columns: int, rows: int) -> None:
    """Header row frozen, filtered and repeated on every printed page; landscape, fit to width."""
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(max(columns, 1))}{max(rows, 0) + 1}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _write_table(ws: Worksheet, columns: list[tuple[str, float]],
                 rows: list[list[Cell]]) -> None:
    _style_header(ws, columns, len(rows))
    for r, cells in enumerate(rows, start=2):
        for c, ((value, fmt), (header, _)) in enumerate(zip(cells, columns, strict=True), 1):
            cell = ws.cell(row=r, column=c, value=value)
            if fmt:
                cell.number_format = fmt
            numeric = fmt is not None or "CI" in header or value in (SUPPRESSED, "<0.001")
            cell.alignment = Alignment(horizontal="right" if numeric else "left",
                                       vertical="top", wrap_text=header in WRAPPED)


def _frame_rows(frame: pd.DataFrame) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for record in frame.itertuples(index=False):
        row: list[Cell] = []
        for value in record:
            if _missing(value):
                row.append((None, None))
            elif pd.api.types.is_bool(value):
                row.append((bool(value), None))
            elif pd.api.types.is_number(value):
                row.append(_count(value) if float(value).is_integer() else (float(value), None))
            else:
                row.append((str(value), None))
        rows.append(row)
    return rows


def _write_contents(ws: Worksheet, provenance: dict, sheets: list[tuple[str, str]]) -> None:
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 24, 70
    ws.column_dimensions["C"].width, ws.column_dimensions["D"].width = 68, 10
    ws.append(["Baseline / endline survey comparison"])
    ws["A1"].font = Font(bold=True, size=14)
    for key, label in [("run_id", "Run id"), ("created_at", "Created at"),
                       ("code_version", "Code version")]:
        ws.append([label, _text(provenance.get(key))])

    def table(title: str, header: list[str], rows: list[list[object]]) -> None:
        ws.append([])
        ws.append([title])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=12)
        ws.append(header)
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
            for cell in ws[ws.max_row]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")

    table("Sheets", ["Sheet", "What it holds"], [list(pair) for pair in sheets])
    table("How to read the numbers", ["Shown as", "Meaning"], [list(c) for c in CONVENTIONS])
    inputs = provenance.get("inputs") or []
    table("Input files", ["Round", "File", "sha256", "Rows"],
          [[_text(i.get("round")), _text(i.get("file")), _text(i.get("sha256")), i.get("rows")]
           for i in inputs])
    declarations = provenance.get("declarations") or {}
    table("Declarations", ["File", "sha256"], [[f, _text(h)] for f, h in declarations.items()])


def _write_frame(ws, frame: pd.DataFrame) -> None:
    widths = [min(max(len(str(c)), *(len(str(v)) for v in frame[c]), 8) + 2, 50)
              for c in frame.columns]
    _write_table(ws, [(str(c), w) for c, w in zip(frame.columns, widths, strict=True)],
                 _frame_rows(frame))


def write_workbook(path: Path, *, comparison: pd.DataFrame, estimates: pd.DataFrame,
                   families: dict[str, str], notes: list[tuple[str, str]],
                   validation: pd.DataFrame, provenance: dict,
                   harmonisation: dict[str, pd.DataFrame] | None = None) -> None:
    """Write comparison.xlsx: contents, one sheet per indicator family, notes, validation."""
    family_of = comparison["indicator"].astype(str).map(lambda i: families.get(i, OTHER_FAMILY))
    present = set(family_of)
    order = [f for f in dict.fromkeys([*families.values(), OTHER_FAMILY]) if f in present]
    used = set(FIXED_SHEETS)
    titles = {family: sheet_title(family, used) for family in order}
    labels = {str(i): str(lbl) for i, lbl in zip(comparison["indicator"], comparison["label"],
                                                  strict=True) if not _missing(lbl)}
    workbook = Workbook()
    contents = workbook.active
    contents.title = "Contents"
    sheets = [("Contents", "This page: run, sheets, how to read the numbers, input hashes.")]
    for family in order:
        rows = comparison[family_of == family]
        ws = workbook.create_sheet(titles[family])
        _write_table(ws, FAMILY_COLUMNS, [_comparison_cells(r) for _, r in rows.iterrows()])
        sheets.append((titles[family], f"{family}: baseline vs endline, "
                       f"{rows['indicator'].nunique()} indicators, {len(rows)} rows"))
    ws = workbook.create_sheet("Estimates")
    _write_table(ws, ESTIMATE_COLUMNS,
                 [_estimate_cells(r, labels) for _, r in estimates.iterrows()])
    sheets.append(("Estimates", "Every estimate per round, group and category, with n and CI."))
    ws = workbook.create_sheet("Notes")
    _write_table(ws, [("Topic", 30), ("Rule", 110)],
                 [[(str(t), None), (str(r), None)] for t, r in notes])
    sheets.append(("Notes", "Every rule used: denominators, scoring, bands, tests, suppression."))
    _write_frame(workbook.create_sheet("Validation"), validation)
    sheets.append(("Validation", "Rows read, clean and quarantined per round and file."))
    if harmonisation is not None:
        _write_frame(workbook.create_sheet("Harmonisation"), harmonisation["mapping"])
        sheets.append(("Harmonisation", "How each round's columns map onto the codebook: "
                       "matched, renamed, recoded, absent, dropped, unmapped."))
        _write_frame(workbook.create_sheet("Label differences"), harmonisation["labels"])
        sheets.append(("Label differences", "Value labels that differ between rounds or from "
                       "the codebook (same code, different label; new codes)."))
    _write_contents(contents, provenance, sheets)
    workbook.save(path)
