"""Read raw survey exports into text tables with file and row provenance.

Every cell is kept as canonical text (integral numbers as "1", dates as ISO; see assets.cells)
so that rounds from different formats meet on equal terms; harmonisation then applies the
declared types. User-missing codes (SPSS don't know / refused, Stata .a-.z) are read as values,
never as NaN. The format comes from the file's content, not its extension. Each parse is cached
as Parquet keyed by the file's sha256 (and the columns read), so an unchanged file is parsed once.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from assets.cells import as_text
from assets.fingerprint import sha256_of
from assets.platforms import canonical_meta, detect_platform, meta_columns

if TYPE_CHECKING:
    from assets.plain_text import PlainTextSpec

__all__ = ["SOURCE_FILE", "SOURCE_ROW", "RawFile", "RawFileError", "as_text", "detect_format",
           "detect_platform", "file_columns", "read_raw_file", "read_round_files"]

SOURCE_FILE, SOURCE_ROW = "source_file", "source_row"
META_PREFIX = "meta:"  # the canonical platform meta columns: meta:submission_id, ...
STAT_FORMATS = ("spss", "spss_compressed", "spss_portable", "stata")


class RawFileError(ValueError):
    """A raw file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class RawFile:
    """One parsed raw export: text cells plus what the format told us about them."""

    path: Path
    sha256: str
    format: str
    frame: pd.DataFrame
    file_label: str = ""
    variable_labels: dict[str, str] = field(default_factory=dict)
    user_missing: dict[str, list[str]] = field(default_factory=dict)
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    variable_types: dict[str, str] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mr_sets: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""
    sheet: str = ""
    cached: bool = False


def detect_format(path: Path) -> str:
    """The file's format from its content (not its extension)."""
    with path.open("rb") as handle:
        head = handle.read(1024)
    if not head:
        raise RawFileError(f"{path}: empty file (0 bytes)")
    if head[:4] == b"$FL2":
        return "spss"
    if head[:4] == b"$FL3":
        return "spss_compressed"
    if b"SPSSPORT" in head:
        return "spss_portable"
    if head.startswith(b"<stata_dta>") or (
            len(head) > 3 and 102 <= head[0] <= 115 and head[1] in (1, 2) and head[2] == 1):
        return "stata"
    if head.startswith(b"PK\x03\x04"):
        if _is_xlsx(path):
            return "xlsx"
        raise RawFileError(f"{path}: a zip archive that is not an XLSX workbook; unpack it")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RawFileError(f"{path}: a legacy .xls (OLE) workbook; save it as .xlsx or CSV")
    return "csv"


def _is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def file_columns(path: Path, encoding: str | None = None, sheet: str | None = None,
                 plain_text: PlainTextSpec | None = None) -> list[str]:
    """The column names of a raw file, from its header or dictionary only (cheap)."""
    fmt = plain_text.format if plain_text else detect_format(path)
    try:
        if plain_text:
            from assets.plain_text import header_of

            return header_of(path, plain_text, _text_encoding(path, encoding))
        if fmt in STAT_FORMATS:
            from assets.stat_readers import stat_columns

            return stat_columns(path, fmt)
        if fmt == "xlsx":
            from assets.excel_reader import xlsx_columns

            return xlsx_columns(path, sheet)
        from assets.text_readers import read_header

        if looks_whitespace_delimited(path, encoding):
            from assets.plain_text import PlainTextSpec, header_of

            return header_of(path, PlainTextSpec("whitespace"), _text_encoding(path, encoding))
        return read_header(path, encoding)[0]
    except RawFileError:
        raise
    except Exception as exc:  # the reader libraries raise many types; name the file
        raise RawFileError(_message(path, fmt, exc)) from exc


def read_raw_file(path: Path, name: str | None = None, usecols: list[str] | None = None,
                  encoding: str | None = None, sheet: str | None = None,
                  cache_dir: Path | None = None,
                  plain_text: PlainTextSpec | None = None) -> RawFile:
    """Parse one raw export into a text table with `source_file` and `source_row` columns.

    `usecols` limits the columns read (None: all); with `cache_dir`, a file already parsed
    with the same content and columns is loaded from the Parquet cache instead.
    """
    from assets import raw_cache

    digest = sha256_of(path)
    key = raw_cache.cache_key(digest, usecols, encoding, sheet,
                              plain_text.cache_id() if plain_text else None)
    raw = raw_cache.load(cache_dir, key, path) if cache_dir else None
    if raw is None:
        raw = _parse(path, digest, usecols, encoding, sheet, plain_text)
        if cache_dir:
            raw_cache.store(cache_dir, key, raw)
    frame = raw.frame
    clash = [c for c in (SOURCE_FILE, SOURCE_ROW) if c in frame.columns]
    if clash:
        raise RawFileError(f"{path}: columns {clash} clash with the provenance columns we add")
    frame.insert(0, SOURCE_ROW, pd.array(range(1, len(frame) + 1), dtype="Int64"))
    frame.insert(0, SOURCE_FILE, name or path.name)
    return raw


def _parse(path: Path, digest: str, usecols: list[str] | None, encoding: str | None,
           sheet: str | None, plain_text: PlainTextSpec | None = None) -> RawFile:
    fmt = plain_text.format if plain_text else detect_format(path)
    try:
        if plain_text:
            from assets.plain_text import header_of, read_plain_text

            used = _text_encoding(path, encoding)
            frame = read_plain_text(path, plain_text, usecols, used)
            return RawFile(path=path, sha256=digest, format=fmt, frame=frame,
                           columns=header_of(path, plain_text, used), encoding=used)
        if fmt in STAT_FORMATS:
            from assets.stat_readers import read_stat_file

            stat = read_stat_file(path, fmt, usecols)
            return RawFile(
                path=path, sha256=digest, format=fmt, frame=stat.frame,
                file_label=stat.file_label, variable_labels=stat.variable_labels,
                user_missing=stat.user_missing, value_labels=stat.value_labels,
                variable_types=stat.variable_types, columns=stat.columns, notes=stat.notes,
                mr_sets=stat.mr_sets, warnings=stat.warnings, encoding=stat.encoding)
        if fmt == "xlsx":
            from assets.excel_reader import read_xlsx

            book = read_xlsx(path, sheet, usecols)
            return RawFile(path=path, sha256=digest, format=fmt, frame=book.frame,
                           columns=book.columns, sheet=book.sheet)
        from assets.text_readers import read_delimited

        if looks_whitespace_delimited(path, encoding):
            from assets.plain_text import PlainTextSpec

            return _parse(path, digest, usecols, encoding, sheet, PlainTextSpec("whitespace"))
        text = read_delimited(path, usecols, encoding)
        return RawFile(path=path, sha256=digest, format=fmt, frame=text.frame,
                       columns=text.columns, encoding=text.encoding)
    except RawFileError:
        raise
    except Exception as exc:  # the reader libraries raise many types; name the file
        raise RawFileError(_message(path, fmt, exc)) from exc


def _text_encoding(path: Path, declared: str | None) -> str:
    from assets.text_readers import sniff_encoding

    with path.open("rb") as handle:
        return sniff_encoding(handle.read(1 << 20), declared)


def looks_whitespace_delimited(path: Path, encoding: str | None = None) -> bool:
    """A text file whose header has no delimiter but several blank-separated names."""
    from assets.text_readers import CSV_DELIMITERS

    with path.open("rb") as handle:
        first = handle.readline(1 << 16).decode(encoding or "utf-8", "replace")
    first = first.lstrip("\ufeff").strip()
    return (len(first.split()) > 1 and not any(d in first for d in CSV_DELIMITERS)
            and '"' not in first)


def _message(path: Path, fmt: str, exc: Exception) -> str:
    text = str(exc)
    if text.startswith(str(path)):
        return text
    return f"{path}: cannot read as {fmt}: {text}"


def read_round_files(files: list[Path], usecols_of=None, encoding: str | None = None,
                     sheet: str | None = None, cache_dir: Path | None = None,
                     plain_text: PlainTextSpec | None = None,
                     row_filter=None) -> tuple[pd.DataFrame, list[dict]]:
    """Parse a round's files into one text table; also return each file's inventory entry.

    `usecols_of(columns)` chooses the columns to read from a file's header (None: all); the
    platform's meta columns are always read and added as canonical `meta:` columns.
    `row_filter(frame, raw)` -> (mask, counts) keeps the round's rows of a shared file; the
    inventory's `rows` are then the round's rows and the counts say where the others went.
    """
    if not files:
        raise RawFileError("no raw files to read")
    parsed, frames = [], []
    for path in files:
        header = file_columns(path, encoding, sheet, plain_text)
        platform = detect_platform(header)
        meta_sources = meta_columns(platform, header)
        usecols = None
        if usecols_of is not None:
            usecols = list(dict.fromkeys([*usecols_of(header), *meta_sources.values()]))
        raw = read_raw_file(path, usecols=usecols, encoding=encoding, sheet=sheet,
                            cache_dir=cache_dir, plain_text=plain_text)
        meta = canonical_meta(raw.frame, platform)
        for row, value in zip(meta.unparsed["row"], meta.unparsed["value"], strict=True):
            raw.warnings.append(f"row {int(raw.frame.loc[row, SOURCE_ROW])}: submission time "
                                f"{value!r} is not a date; meta:submitted_at left empty")
        frame = pd.concat([raw.frame, meta.frame.add_prefix(META_PREFIX)], axis=1)
        counts: dict = {}
        if row_filter is not None:
            try:
                mask, counts = row_filter(frame, raw)
            except ValueError as exc:
                raise RawFileError(str(exc)) from exc
            frame = frame[mask.to_numpy()]
        frames.append(frame)
        parsed.append((raw, platform, len(frame), counts))
    if not any(rows for _, _, rows, _ in parsed):  # nothing to validate, score or compare
        raise RawFileError(_no_rows(parsed))
    frame = pd.concat(frames, ignore_index=True)
    return frame, [inventory_entry(raw) | {"platform": platform, "rows": rows} | counts
                   for raw, platform, rows, counts in parsed]


def _no_rows(parsed: list[tuple[RawFile, str, int, dict]]) -> str:
    """Why a round read no rows: each file named, and where a shared file's rows went."""
    reasons = []
    for raw, _, _, counts in parsed:
        if counts:  # a shared (long or wide) file: its rows belong to other rounds or none
            where = ", ".join(f"{key} {value}" for key, value in counts.items())
            reasons.append(f"{raw.path}: no rows of this round ({where})")
        else:
            reasons.append(f"{raw.path}: no data rows (a header but no records)")
    return "; ".join(reasons) + "; a round needs at least one row"


def inventory_entry(raw: RawFile) -> dict:
    """What the run records about one parsed file (no cell values: no personal data)."""
    return dict(file=raw.path.name, sha256=raw.sha256, format=raw.format, rows=len(raw.frame),
                columns=len([c for c in raw.frame.columns if c not in (SOURCE_FILE, SOURCE_ROW)]),
                file_label=raw.file_label,
                header=raw.columns, columns_read=[c for c in raw.frame.columns
                                                  if c not in (SOURCE_FILE, SOURCE_ROW)],
                encoding=raw.encoding, sheet=raw.sheet, cached=raw.cached,
                warnings=raw.warnings, user_missing=raw.user_missing,
                value_labels=raw.value_labels, variable_labels=raw.variable_labels,
                notes=raw.notes, mr_sets=raw.mr_sets)
