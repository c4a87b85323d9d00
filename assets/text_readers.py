"""Delimited text exports (KoboToolbox, ODK Central, SurveyCTO, Excel "CSV"): sniffed and checked.

The encoding is sniffed (a BOM, else UTF-8, else a single-byte Windows code page told apart by
how its high bytes cluster), the delimiter is sniffed from the header, and every row must have
as many fields as the header: a ragged row is an error naming its line, never a silent shift.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from assets.cells import blank_to_na

CSV_DELIMITERS = ";,\t|"
BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16")]
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TRAILING = "\x00trailing"


class TextFileError(ValueError):
    """A delimited file that cannot be read; the message names the file (and line)."""


@dataclass(frozen=True)
class TextFile:
    """A parsed delimited file: text cells, its header, encoding and delimiter."""

    frame: pd.DataFrame
    columns: list[str]
    encoding: str
    delimiter: str


def sniff_encoding(data: bytes, declared: str | None = None) -> str:
    """The encoding of a text export: declared, BOM, UTF-8, or a Windows code page."""
    if declared:
        return declared
    for bom, name in BOMS:
        if data.startswith(bom):
            return name
    sample = data[:1 << 20]
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        cut_short = len(data) > len(sample) and exc.start >= len(sample) - 4
        if not cut_short:  # (a multi-byte character cut by the sample's end is fine)
            return _single_byte_code_page(sample)
    return "utf-8"


def _single_byte_code_page(sample: bytes) -> str:
    if CONTROL_BYTES.search(sample):
        raise UnicodeError("not UTF-8, and control bytes rule out a text code page")
    high = [i for i, b in enumerate(sample) if b >= 0x80]
    # Cyrillic words are runs of high bytes (cp1251); accented Latin letters sit alone
    # between ASCII letters (cp1252).
    runs = sum(1 for i in high if i + 1 < len(sample) and sample[i + 1] >= 0x80)
    encoding = "cp1251" if high and runs / len(high) > 0.5 else "cp1252"
    try:
        sample.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnicodeError(f"not UTF-8 and not {encoding}") from exc
    return encoding


def read_header(path: Path, encoding: str | None = None) -> tuple[list[str], str, str]:
    """The header of a delimited file, with the sniffed encoding and delimiter."""
    with path.open("rb") as handle:
        data = handle.read(1 << 20)
    if not data.strip():
        raise TextFileError(f"{path}: empty file")
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE,
                                                       codecs.BOM_UTF32_LE)):
        raise TextFileError(f"{path}: binary content, not a delimited text export")
    try:
        encoding = sniff_encoding(data, encoding)
        text = data.decode(encoding, errors="strict" if len(data) < 1 << 20 else "ignore")
    except (UnicodeError, LookupError) as exc:
        raise TextFileError(f"{path}: unknown text encoding ({exc}); declare the round's "
                            "`encoding` in project.yaml") from exc
    first_line = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    header = next(csv.reader([first_line], delimiter=delimiter))
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise TextFileError(f"{path}: line 1: duplicate column names in the header: {repeated}")
    return header, encoding, delimiter


def read_delimited(path: Path, usecols: list[str] | None = None,
                   encoding: str | None = None) -> TextFile:
    """Read a delimited export into text cells (NA for blank), checking every row's width."""
    header, encoding, delimiter = read_header(path, encoding)
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise TextFileError(f"{path}: line {line}: bytes that are not {encoding}; declare the "
                            "round's `encoding` in project.yaml") from exc
    utf8 = text.lstrip("\ufeff").encode("utf-8")
    frame, ragged = _parse(utf8, header, delimiter, usecols)
    if ragged and all(r[2] == len(header) + 1 and r[3].endswith(delimiter) for r in ragged):
        # Some tools end every row with a delimiter: an empty last field, not a shift.
        frame, ragged = _parse(utf8, [*header, TRAILING], delimiter, usecols)
    if ragged:
        line, expected, actual, _ = _first_ragged(utf8, delimiter, len(header))
        raise TextFileError(f"{path}: line {line}: {actual} fields where the header has "
                            f"{expected} ({len(ragged)} ragged row(s)); a row never shifts "
                            "into the next column")
    return TextFile(frame, header, encoding, delimiter)


def _parse(data: bytes, names: list[str], delimiter: str,
           usecols: list[str] | None) -> tuple[pd.DataFrame, list[tuple]]:
    import pyarrow as pa
    import pyarrow.csv as pv

    ragged: list[tuple] = []

    def keep_ragged(row) -> str:
        ragged.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    wanted = [n for n in names if n != TRAILING and (usecols is None or n in usecols)]
    table = pv.read_csv(
        io.BytesIO(data),
        read_options=pv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
        parse_options=pv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                      invalid_row_handler=keep_ragged),
        convert_options=pv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), include_columns=wanted,
            strings_can_be_null=False),
    )
    frame = pd.DataFrame({name: blank_to_na(pd.Series(table.column(name).to_pandas(
        types_mapper=pd.ArrowDtype)).astype("string").str.strip()) for name in wanted})
    return frame, ragged


def _first_ragged(data: bytes, delimiter: str, width: int) -> tuple[int, int, int, str]:
    reader = csv.reader(io.StringIO(data.decode("utf-8")), delimiter=delimiter)
    for row in reader:
        if len(row) != width:
            return reader.line_num, width, len(row), delimiter.join(row)
    return 0, width, 0, ""
