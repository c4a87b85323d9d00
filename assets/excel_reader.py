"""XLSX exports: the first sheet by default (KoboToolbox puts repeat groups on later sheets)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from assets.cells import as_text


class WorkbookError(ValueError):
    """A workbook that cannot be read; the message names the file and sheet."""


@dataclass(frozen=True)
class Sheet:
    """One sheet's cells as text, its header and the workbook's sheet names."""

    frame: pd.DataFrame
    columns: list[str]
    sheet: str
    sheets: list[str]


def read_xlsx(path: Path, sheet: str | None = None, usecols: list[str] | None = None) -> Sheet:
    """Read one sheet (the first unless named) with row 1 as the header."""
    from openpyxl import load_workbook

    handle = path.open("rb")  # a handle: openpyxl refuses a workbook named .csv or .dat
    book = load_workbook(handle, read_only=True, data_only=True)
    try:
        names = list(book.sheetnames)
        name = sheet or names[0]
        if name not in names:
            raise WorkbookError(f"{path}: no sheet {name!r}; the workbook has {names}")
        rows = book[name].iter_rows(values_only=True)
        header_cells = next(rows, None)
        if header_cells is None or all(as_text(c) is None for c in header_cells):
            raise WorkbookError(f"{path}: sheet {name!r} has no data (row 1 must be the header)")
        header = [as_text(c) or "" for c in header_cells]
        while header and not header[-1]:
            header.pop()
        unnamed = [i + 1 for i, h in enumerate(header) if not h]
        if unnamed:
            raise WorkbookError(f"{path}: sheet {name!r}, row 1: columns {unnamed} have no name")
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise WorkbookError(f"{path}: sheet {name!r}, row 1: duplicate column names "
                                f"{repeated}")
        wanted = [i for i, h in enumerate(header) if usecols is None or h in usecols]
        body = []
        for number, cells in enumerate(rows, start=2):
            extra = [c for c in cells[len(header):] if as_text(c) is not None]
            if extra:
                raise WorkbookError(f"{path}: sheet {name!r}, row {number}: values beyond the "
                                    f"last named column ({len(header)})")
            padded = list(cells) + [None] * (len(header) - len(cells))
            body.append([as_text(padded[i]) for i in wanted])
    finally:
        book.close()
        handle.close()
    while body and all(v is None for v in body[-1]):
        body.pop()  # Excel keeps formatted empty rows at the end
    columns = [header[i] for i in wanted]
    frame = pd.DataFrame(body, columns=columns, dtype="string") if body else pd.DataFrame(
        {c: pd.Series(dtype="string") for c in columns})
    return Sheet(frame, header, name, names)


def xlsx_columns(path: Path, sheet: str | None = None) -> list[str]:
    """The header of a sheet."""
    from openpyxl import load_workbook

    with path.open("rb") as handle:
        book = load_workbook(handle, read_only=True)
        try:
            names = list(book.sheetnames)
            if sheet is not None and sheet not in names:
                raise WorkbookError(f"{path}: no sheet {sheet!r}; the workbook has {names}")
            first = next(book[sheet or names[0]].iter_rows(max_row=1, values_only=True), ())
        finally:
            book.close()
    header = [as_text(c) or "" for c in first]
    while header and not header[-1]:
        header.pop()
    return header
