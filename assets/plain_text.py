"""Plain-text data from older systems and archives: whitespace-delimited or fixed-width ASCII.

Such files come with a separate codebook (or a CSPro-style layout): a header line names the
columns of a whitespace file; a fixed-width file takes its column positions from the declared
layout. Declared missing tokens (`.`, empty, `NA`, `-9`) become missing. A line of the wrong
length or with the wrong number of fields, or a token that does not parse as the layout's
declared number, is an error naming the file, line and column: the columns after it never shift.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pandas as pd

DEFAULT_MISSING = (".", "")


class PlainTextError(ValueError):
    """A plain-text file that does not fit its layout; the message names file, line, column."""


@dataclass(frozen=True)
class FixedColumn:
    """One field of a fixed-width record: 1-based first and last character, inclusive."""

    name: str
    start: int
    end: int
    numeric: bool = False


def read_layout_file(path: Path) -> list[FixedColumn]:
    """A layout file: CSV with columns `name, start, end` and optionally `type` (numeric)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = []
    for number, row in enumerate(rows, start=2):
        try:
            columns.append(FixedColumn(row["name"].strip(), int(row["start"]), int(row["end"]),
                                       (row.get("type") or "").strip() == "numeric"))
        except (KeyError, TypeError, ValueError) as exc:
            raise PlainTextError(f"{path}: line {number}: a layout row needs name, start and "
                                 f"end as whole numbers ({exc})") from exc
    check_layout(columns, str(path))
    return columns


def check_layout(columns: list[FixedColumn], where: str) -> None:
    """Positions start at 1, end at or after their start, and never overlap."""
    ordered = sorted(columns, key=lambda c: c.start)
    for column in ordered:
        if column.start < 1 or column.end < column.start:
            raise PlainTextError(f"{where}: column {column.name!r}: positions {column.start}-"
                                 f"{column.end} are not a range starting at 1 or later")
    for first, second in pairwise(ordered):
        if second.start <= first.end:
            raise PlainTextError(f"{where}: columns {first.name!r} and {second.name!r} overlap")


def _lines(path: Path, encoding: str) -> pd.Series:
    text = path.read_text(encoding=encoding).lstrip("\ufeff")
    lines = pd.Series(text.splitlines(), dtype="string")
    while len(lines) and not lines.iloc[-1].strip():
        lines = lines.iloc[:-1]  # trailing blank lines are not records
    return lines


def _as_missing(frame: pd.DataFrame, missing: tuple[str, ...]) -> pd.DataFrame:
    return frame.apply(lambda col: col.mask(col.isin(missing) | col.isna()))


def read_whitespace(path: Path, missing: tuple[str, ...] = DEFAULT_MISSING,
                    usecols: list[str] | None = None, encoding: str = "utf-8") -> pd.DataFrame:
    """A whitespace-delimited file with a header line; every line must have every field."""
    lines = _lines(path, encoding)
    if lines.empty:
        raise PlainTextError(f"{path}: empty file")
    header = lines.iloc[0].split()
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise PlainTextError(f"{path}: line 1: duplicate column names {repeated}")
    body = lines.iloc[1:]
    fields = body.str.split()
    counts = fields.str.len()
    wrong = counts != len(header)
    if wrong.any():
        first = int(wrong.to_numpy().argmax())
        raise PlainTextError(f"{path}: line {first + 2}: {int(counts.iloc[first])} fields where "
                             f"the header has {len(header)} ({int(wrong.sum())} such line(s))")
    split = body.str.split(expand=True) if len(body) else pd.DataFrame(columns=range(len(header)))
    split.columns = header
    wanted = [h for h in header if usecols is None or h in usecols]
    frame = split[wanted].astype("string").reset_index(drop=True)
    return _as_missing(frame, missing)


def read_fixed_width(path: Path, columns: list[FixedColumn],
                     missing: tuple[str, ...] = DEFAULT_MISSING, usecols: list[str] | None = None,
                     encoding: str = "utf-8") -> pd.DataFrame:
    """A fixed-width file cut at the layout's positions; every line must reach the last one."""
    check_layout(columns, str(path))
    lines = _lines(path, encoding)
    width = max(c.end for c in columns)
    lengths = lines.str.len()
    short = lengths < width
    if short.any():
        first = int(short.to_numpy().argmax())
        raise PlainTextError(f"{path}: line {first + 1}: {int(lengths.iloc[first])} characters, "
                             f"the layout needs {width} ({int(short.sum())} such line(s))")
    beyond = lines.str.slice(width).str.strip() != ""
    if beyond.any():
        first = int(beyond.to_numpy().argmax())
        raise PlainTextError(f"{path}: line {first + 1}: characters beyond the layout's last "
                             f"position {width} ({int(beyond.sum())} such line(s))")
    wanted = [c for c in columns if usecols is None or c.name in usecols]
    frame = pd.DataFrame({c.name: lines.str.slice(c.start - 1, c.end).str.strip()
                          for c in wanted}).reset_index(drop=True)
    frame = _as_missing(frame.astype("string"), missing)
    for column in wanted:
        if column.numeric:
            values = frame[column.name]
            bad = values.notna() & pd.to_numeric(values, errors="coerce").isna()
            if bad.any():
                first = int(bad.to_numpy().argmax())
                raise PlainTextError(
                    f"{path}: line {first + 1}, column {column.name!r} (characters "
                    f"{column.start}-{column.end}): {values.iloc[first]!r} is not a number")
    return frame


@dataclass(frozen=True)
class PlainTextSpec:
    """A resolved plain-text declaration: format, missing tokens and fixed-width positions."""

    format: str  # "whitespace" or "fixed_width"
    missing: tuple[str, ...] = DEFAULT_MISSING
    columns: tuple[FixedColumn, ...] = ()

    def cache_id(self) -> str:
        """A stable text identity of the spec (part of the parse cache key)."""
        return repr((self.format, self.missing, self.columns))


def plain_text_spec(declaration, project_dir: Path) -> PlainTextSpec:
    """Resolve a round's `plain_text` declaration (reading its layout file, if any)."""
    if declaration.layout_file:
        columns = read_layout_file(project_dir / declaration.layout_file)
    else:
        columns = [FixedColumn(c.name, c.start, c.end, c.type == "numeric")
                   for c in declaration.columns]
    return PlainTextSpec(declaration.format, tuple(declaration.missing), tuple(columns))


def header_of(path: Path, spec: PlainTextSpec, encoding: str = "utf-8") -> list[str]:
    """The column names of a plain-text file: its header line, or the layout's names."""
    if spec.format == "fixed_width":
        return [c.name for c in spec.columns]
    with path.open(encoding=encoding) as handle:
        return handle.readline().lstrip("\ufeff").split()


def read_plain_text(path: Path, spec: PlainTextSpec, usecols: list[str] | None = None,
                    encoding: str = "utf-8") -> pd.DataFrame:
    """Read a plain-text file as its spec says."""
    if spec.format == "fixed_width":
        return read_fixed_width(path, list(spec.columns), spec.missing, usecols, encoding)
    return read_whitespace(path, spec.missing, usecols, encoding)
