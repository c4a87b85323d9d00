"""The validation workbook (validation_report.xlsx) and the validation section of the HTML report.

The workbook is what a data manager works from: rows per round and file, every failed check,
the quarantined rows with their reasons, duplicates, fieldwork quality per enumerator and its
flags, and the corrections applied. Conventions:

- Numbers stay numbers. A column whose name has the word `share`, `rate` or `proportion`
  (`straightlining_share`) holds a fraction 0-1 and is shown as a percentage ("12.5%"); one with
  `pct` or `percent` holds 0-100 and is shown with a "%" sign. Neither changes the stored value.
- Text is always text: a cell starting with "=", "+", "-" or "@" is stored as a string with
  Excel's quote prefix, never as a formula (CSV/formula injection).
- Personal columns never leak: values in a column named in `personal_columns`, and the values
  of a failure or correction whose `column` is personal, are written as "***".
"""

from __future__ import annotations

import datetime as dt
import html
import math
import numbers
import re
from collections.abc import Set
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from assets.harmonize import FAILURE_COLUMNS, PROVENANCE
from assets.workbook import table_sheet_setup

MASK = "***"
# A sheet lists at most this many rows: past it a workbook is slow to write and no one reads
# it row by row; the complete tables are published as Parquet and CSV beside it.
MAX_SHEET_ROWS = 10_000
COMPLETE_TABLES = {"Failures": "validation_failures.csv", "Quarantine":
                   "validation/quarantine.parquet", "Duplicates": "validation/duplicates.parquet",
                   "Fieldwork flags": "validation/fieldwork_flags.parquet"}
PERCENT_FORMAT = "0.0%"  # fractions 0-1
PERCENT_POINTS_FORMAT = '0.0"%"'  # values already on 0-100
COUNT_FORMAT = "0"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
DURATION_FORMAT = "[h]:mm:ss"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FRACTION_COLUMN = re.compile(r"(?:^|_)(?:share|rate|proportion)(?:_|$)", re.IGNORECASE)
POINTS_COLUMN = re.compile(r"(?:^|_)(?:pct|percent)(?:_|$)", re.IGNORECASE)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
MIN_WIDTH, MAX_WIDTH = 8, 50

SUMMARY_COLUMNS = ["round", "file", "raw", "clean", "quarantined", "balanced"]
QUARANTINED_SHARE = "quarantined_share"
RULE_COUNT_COLUMNS = ["round", "column", "rule", "failures"]
DEFAULT_COLUMNS = {
    "Summary": [*SUMMARY_COLUMNS, QUARANTINED_SHARE],
    "Failures": FAILURE_COLUMNS,
    "Quarantine": [*PROVENANCE, "reasons"],
    "Duplicates": [*PROVENANCE, "respondent_id"],
    "Fieldwork quality": ["round", "enumerator", "interviews"],
    "Fieldwork flags": [*PROVENANCE, "respondent_id", "enumerator", "flag"],
    "Corrections": [*PROVENANCE, "respondent_id", "column", "old_value", "new_value", "reason"],
}
SHEETS = [
    ("Summary", "Per round and raw file: rows read, clean, quarantined, whether they balance "
                "(raw = clean + quarantined) and the share quarantined; below it, the number of "
                "failures per round, column and rule."),
    ("Failures", "Every failed check: round, source file, source row, respondent id, column, "
                 "rule and the offending value. One quarantined row can fail several checks."),
    ("Quarantine", "The rows kept out of the analysis, as read, with their reasons (column: rule) "
                   "right after the provenance columns. Nothing is dropped silently."),
    ("Duplicates", "Duplicate submissions and duplicate respondent ids, and how each was "
                   "resolved."),
    ("Fieldwork quality", "High-frequency checks per enumerator: interviews, durations, "
                          "straightlining, outliers, don't-know and refusal shares."),
    ("Fieldwork flags", "Each interview a fieldwork check flagged, with the check that fired."),
    ("Corrections", "The corrections log: every correction applied from the corrections file, "
                    "with the value before and after."),
]
RESOLVE = [
    ("1. Find the row", "Look it up in Quarantine (reasons) and Failures (rule and value) by "
                        "source file and source row; the provenance columns point to the raw "
                        "file."),
    ("2. Correct a value", "Add a line to the corrections file (CSV declared under validation: "
                           "corrections: in project.yaml): which row (source file and row or "
                           "respondent id), which column, the corrected value and why. It is "
                           "re-applied on every run and listed in Corrections."),
    ("3. Resolve a duplicate", "Add a line to the duplicates resolution file (CSV declared "
                               "under validation: duplicates: in project.yaml) saying which "
                               "submission to keep or drop and why."),
    ("4. Re-run", "Run the pipeline again: the row leaves quarantine once it passes every "
                  "check. Raw files are never edited."),
    ("Masked values", f"{MASK} marks a personal value that is never written to outputs."),
]

Cell = tuple[object, str | None]


def _missing(value: object) -> bool:
    if value is None or isinstance(value, str) or not pd.api.types.is_scalar(value):
        return value is None
    return bool(pd.isna(value))


def _percent_format(column: object) -> str | None:
    name = str(column)
    if FRACTION_COLUMN.search(name):
        return PERCENT_FORMAT
    return PERCENT_POINTS_FORMAT if POINTS_COLUMN.search(name) else None


def excel_cell(value: object, percent: str | None = None) -> Cell:
    """The value to store in a cell and its number format (None: General or text)."""
    if _missing(value):
        return None, None
    if isinstance(value, bool | np.bool_):
        return bool(value), None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # Excel has no time zones: store UTC
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        stamp = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
        return stamp, DATETIME_FORMAT
    if isinstance(value, dt.date):
        return value, DATE_FORMAT
    if isinstance(value, dt.timedelta):
        delta = value.to_pytimedelta() if isinstance(value, pd.Timedelta) else value
        return delta, DURATION_FORMAT
    if isinstance(value, numbers.Integral):
        return int(value), percent or COUNT_FORMAT
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            return str(number), None
        return number, percent
    return ILLEGAL_CHARACTERS_RE.sub("", str(value)), None


# Shared style objects: openpyxl interns styles, but building one per cell dominated the
# time of writing a large quarantine sheet.
_TOP, _WRAPPED = Alignment(vertical="top"), Alignment(vertical="top", wrap_text=True)


def _put(ws: Worksheet, row: int, column: int, cell: Cell) -> None:
    value, fmt = cell
    target = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        target.data_type = "s"  # never a formula, whatever the text starts with
        if value.startswith(FORMULA_PREFIXES):
            target.quotePrefix = True
        target.alignment = _WRAPPED if len(value) > MAX_WIDTH else _TOP
    elif fmt:
        target.number_format = fmt


def _width(cell: Cell) -> int:
    value, fmt = cell
    if value is None:
        return 0
    if fmt in (PERCENT_FORMAT, PERCENT_POINTS_FORMAT):
        return 7
    if fmt in (DATETIME_FORMAT, DURATION_FORMAT):
        return 19
    if isinstance(value, float):
        return len(f"{value:.6g}")
    return len(str(value))


def _header(ws: Worksheet, row: int, headers: list[str]) -> None:
    for column, header in enumerate(headers, start=1):
        _put(ws, row, column, (header, None))
        cell = ws.cell(row=row, column=column)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)


def _cells(frame: pd.DataFrame) -> list[list[Cell]]:
    formats = [_percent_format(c) for c in frame.columns]
    return [[excel_cell(v, f) for v, f in zip(record, formats, strict=True)]
            for record in frame.itertuples(index=False, name=None)]


def _block(ws: Worksheet, start: int, frame: pd.DataFrame,
           widths: dict[int, int]) -> list[list[Cell]]:
    """Write a header at row `start` and the frame's rows below it; return the cells."""
    headers = [str(c) for c in frame.columns]
    _header(ws, start, headers)
    rows = _cells(frame)
    for r, cells in enumerate(rows, start=start + 1):
        for c, cell in enumerate(cells, start=1):
            _put(ws, r, c, cell)
    for c, header in enumerate(headers, start=1):
        longest = max([len(header), *(_width(cells[c - 1]) for cells in rows)])
        widths[c] = max(widths.get(c, 0), longest)
    return rows


def _finish(ws: Worksheet, columns: int, rows: int, widths: dict[int, int]) -> None:
    """Freeze and filter the header in row 1, set widths and print setup."""
    table_sheet_setup(ws, columns, rows)
    for c, width in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, MIN_WIDTH),
                                                               MAX_WIDTH)


def _with_columns(frame: pd.DataFrame, sheet: str) -> pd.DataFrame:
    if len(frame.columns):
        return frame.reset_index(drop=True)
    return pd.DataFrame(columns=DEFAULT_COLUMNS[sheet])


def _table_sheet(workbook: Workbook, title: str, frame: pd.DataFrame) -> int:
    ws = workbook.create_sheet(title)
    widths: dict[int, int] = {}
    _block(ws, 1, frame, widths)
    _finish(ws, len(frame.columns), len(frame), widths)
    return len(frame)


def mask_personal(frame: pd.DataFrame, personal_columns: Set[str]) -> pd.DataFrame:
    """A copy with personal values as "***": personal columns, and values of personal `column`s."""
    personal = {str(c).casefold() for c in personal_columns}
    out = frame.copy()
    if not personal or out.empty:
        return out

    def masked(name: str, where: pd.Series) -> None:
        values = out[name].astype(object)
        hide = where & values.map(lambda v: not _missing(v))
        out[name] = values.where(~hide, MASK)

    everywhere = pd.Series(True, index=out.index)
    for name in out.columns:
        if str(name).casefold() in personal:
            masked(name, everywhere)
    if "column" in out.columns:
        about = out["column"].map(lambda v: not _missing(v) and str(v).casefold() in personal)
        for name in out.columns:
            if "value" in str(name).casefold():
                masked(name, about.astype(bool))
    return out


def quarantine_layout(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows with provenance first, then `reasons`, then the data columns."""
    first = [c for c in [*PROVENANCE, "reasons"] if c in quarantine.columns]
    return quarantine[first + [c for c in quarantine.columns if c not in first]]


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Rows per round and file with the quarantined share (0-1) added."""
    table = summary.reset_index(drop=True).copy()
    if {"raw", "quarantined"} <= set(table.columns) and QUARANTINED_SHARE not in table.columns:
        raw = pd.to_numeric(table["raw"], errors="coerce").astype("float64")
        quarantined = pd.to_numeric(table["quarantined"], errors="coerce").astype("float64")
        table[QUARANTINED_SHARE] = (quarantined / raw).where(raw > 0)
    return table


def failure_counts(failures: pd.DataFrame) -> pd.DataFrame:
    """Number of failures per round, column and rule (most frequent first)."""
    keys = [c for c in RULE_COUNT_COLUMNS[:-1] if c in failures.columns]
    if failures.empty or "rule" not in keys:
        return pd.DataFrame(columns=RULE_COUNT_COLUMNS)
    counts = (failures.astype({k: "string" for k in keys}).groupby(keys, dropna=False).size()
              .rename("failures").reset_index())
    return counts.sort_values(["failures", *keys], ascending=[False] + [True] * len(keys),
                              kind="stable").reset_index(drop=True)


def _summary_sheet(workbook: Workbook, summary: pd.DataFrame, counts: pd.DataFrame) -> None:
    ws = workbook.create_sheet("Summary")
    widths: dict[int, int] = {}
    _block(ws, 1, summary, widths)
    below = len(summary) + 3
    ws.cell(row=below, column=1, value="Failures by rule").font = Font(bold=True, size=12)
    _block(ws, below + 1, counts, widths)
    _finish(ws, len(summary.columns), len(summary), widths)


def _contents_sheet(ws: Worksheet, rows: dict[str, int]) -> None:
    ws.title = "Contents"
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 24, 100
    ws.cell(row=1, column=1, value="Validation report").font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value="What each sheet holds and how to resolve quarantined rows.")
    line = 4

    def table(title: str, header: list[str], body: list[list[object]]) -> None:
        nonlocal line
        ws.cell(row=line, column=1, value=title).font = Font(bold=True, size=12)
        _header(ws, line + 1, header)
        for offset, values in enumerate(body, start=line + 2):
            for column, value in enumerate(values, start=1):
                _put(ws, offset, column, excel_cell(value))
                ws.cell(row=offset, column=column).alignment = Alignment(
                    vertical="top", wrap_text=True)
        line += len(body) + 3

    def shown(name: str) -> int | str:
        total = rows[name]
        if total <= MAX_SHEET_ROWS or name not in COMPLETE_TABLES:
            return total
        return f"first {MAX_SHEET_ROWS:,} of {total:,} (all in {COMPLETE_TABLES[name]})"

    table("Sheets", ["Sheet", "What it holds", "Rows"],
          [[name, text, shown(name)] for name, text in SHEETS])
    table("How to resolve quarantine", ["Step", "What to do"], [list(r) for r in RESOLVE])
    ws.column_dimensions["C"].width = 40


def write_validation_report(path: Path, *, summary: pd.DataFrame, failures: pd.DataFrame,
                            quarantine: pd.DataFrame, duplicates: pd.DataFrame,
                            fieldwork: pd.DataFrame, fieldwork_flags: pd.DataFrame,
                            corrections: pd.DataFrame,
                            personal_columns: Set[str] = frozenset()) -> None:
    """Write validation_report.xlsx: contents, summary, failures, quarantine, fieldwork, fixes."""
    totals = {"Failures": len(failures), "Quarantine": len(quarantine),
              "Duplicates": len(duplicates), "Fieldwork flags": len(fieldwork_flags)}

    def prepared(frame: pd.DataFrame, sheet: str) -> pd.DataFrame:
        if sheet in COMPLETE_TABLES:
            frame = frame.head(MAX_SHEET_ROWS)
        return mask_personal(_with_columns(frame, sheet), personal_columns)

    failures = prepared(failures, "Failures")
    frames = {
        "Failures": failures,
        "Quarantine": quarantine_layout(prepared(quarantine, "Quarantine")),
        "Duplicates": prepared(duplicates, "Duplicates"),
        "Fieldwork quality": prepared(fieldwork, "Fieldwork quality"),
        "Fieldwork flags": prepared(fieldwork_flags, "Fieldwork flags"),
        "Corrections": prepared(corrections, "Corrections"),
    }
    table = summary_table(prepared(summary, "Summary"))
    workbook = Workbook()
    contents = workbook.active
    _summary_sheet(workbook, table, failure_counts(failures))
    rows = {"Summary": len(table)}
    for title, frame in frames.items():
        rows[title] = _table_sheet(workbook, title, frame)
    _contents_sheet(contents, rows | totals)
    workbook.save(path)


def _esc(value: object) -> str:
    return "" if _missing(value) else html.escape(str(value))


def _html_value(value: object, percent: str | None) -> tuple[str, bool]:
    """Display text (escaped) of a value and whether it is numeric."""
    if _missing(value):
        return "", False
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), False
    if isinstance(value, numbers.Integral):
        number: float = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(float(value)):
        number = float(value)
    else:
        return _esc(value), False
    if percent == PERCENT_FORMAT:
        text = f"{number * 100:.1f}%"
    elif percent == PERCENT_POINTS_FORMAT:
        text = f"{number:.1f}%"
    elif isinstance(number, int) or float(number).is_integer():
        text = f"{int(number)}"
    else:
        text = f"{number:.2f}"
    return html.escape(text.replace("-", "\u2212")), True


def _html_table(frame: pd.DataFrame, caption: str) -> str:
    if frame.empty:
        return f"<h3>{_esc(caption)}</h3><p>None.</p>"
    formats = [_percent_format(c) for c in frame.columns]
    head = "".join(f'<th scope="col">{_esc(c)}</th>' for c in frame.columns)
    body = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for value, fmt in zip(record, formats, strict=True):
            text, numeric = _html_value(value, fmt)
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="table-scroll"><table><caption>{_esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def validation_summary_html(summary: pd.DataFrame, failures_by_rule: pd.DataFrame,
                            fieldwork_summary: pd.DataFrame) -> str:
    """The report's validation section: rows per file, failures by rule, fieldwork quality."""
    parts = [
        '<section id="validation"><h2>Validation</h2>',
        "<p>Rows that fail a check are kept out of the analysis, in quarantine with their "
        "reasons; validation_failures.csv lists every failure, validation_report.xlsx explains "
        "them and how to resolve them.</p>",
        _html_table(summary_table(summary), "Rows read, clean and quarantined per round and file"),
        _html_table(failures_by_rule, "Failures by rule"),
    ]
    if len(fieldwork_summary.columns):
        parts.append(_html_table(fieldwork_summary, "Fieldwork quality per enumerator"))
    parts.append("</section>")
    return "".join(parts)
