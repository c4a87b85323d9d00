"""Read raw survey exports into text tables with file and row provenance.

Every cell is kept as canonical text (integral numbers as "1", dates as ISO) so that rounds from
different formats meet on equal terms; harmonisation then applies the declared types.
User-missing codes (SPSS don't know / refused) are read as values, never as NaN.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from assets.fingerprint import sha256_of

SOURCE_FILE, SOURCE_ROW = "source_file", "source_row"
SPSS_MAGIC = (b"$FL2", b"$FL3")
CSV_DELIMITERS = ";,\t|"


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


def as_text(value: object) -> str | None:
    """Canonical text of a cell: None for missing, '1' for 1.0, ISO for dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def detect_format(path: Path) -> str:
    """The file's format from its content (not its extension): 'spss' or 'csv'."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head in SPSS_MAGIC:
        return "spss"
    return "csv"


def read_raw_file(path: Path, name: str | None = None) -> RawFile:
    """Parse one raw export into a text table with `source_file` and `source_row` columns."""
    fmt = detect_format(path)
    reader = {"spss": _read_spss, "csv": _read_csv}[fmt]
    try:
        raw = reader(path)
    except RawFileError:
        raise
    except Exception as exc:  # the reader libraries raise many types; name the file
        raise RawFileError(f"{path}: cannot read as {fmt}: {exc}") from exc
    frame = raw.frame
    clash = [c for c in (SOURCE_FILE, SOURCE_ROW) if c in frame.columns]
    if clash:
        raise RawFileError(f"{path}: columns {clash} clash with the provenance columns we add")
    frame.insert(0, SOURCE_ROW, pd.array(range(1, len(frame) + 1), dtype="Int64"))
    frame.insert(0, SOURCE_FILE, name or path.name)
    return raw


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {col: pd.array([as_text(v) for v in frame[col]], dtype="string") for col in frame.columns}
    )


def _read_spss(path: Path) -> RawFile:
    import pyreadstat  # heavy import, only when an SPSS file is read

    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    user_missing = {
        col: [as_text(r["lo"]) if r["lo"] == r["hi"] else f"{r['lo']}..{r['hi']}" for r in ranges]
        for col, ranges in (meta.missing_ranges or {}).items()
    }
    return RawFile(
        path=path, sha256=sha256_of(path), format="spss", frame=_text_frame(frame),
        file_label=meta.file_label or "",
        variable_labels={k: v for k, v in meta.column_names_to_labels.items() if v},
        user_missing=user_missing,
        value_labels={col: {as_text(code): label for code, label in labels.items()}
                      for col, labels in (meta.variable_value_labels or {}).items()},
        variable_types={col: "string" if kind == "string" else "numeric"
                        for col, kind in (meta.readstat_variable_types or {}).items()},
    )


def _read_csv(path: Path) -> RawFile:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise RawFileError(f"{path}: binary content, not a CSV export")
    text = data.decode("utf-8-sig")  # strips a BOM; other encodings come with the ingest issue
    first_line = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    frame = pd.read_csv(
        path, sep=delimiter, dtype="string", keep_default_na=False, na_values=[""],
        encoding="utf-8-sig", index_col=False,  # a trailing delimiter never shifts a row
    )
    header = next(csv.reader([first_line.rstrip("\r")], delimiter=delimiter))
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise RawFileError(f"{path}: duplicate column names in the header: {repeated}")
    return RawFile(path=path, sha256=sha256_of(path), format="csv", frame=_text_frame(frame))


PLATFORM_MARKERS = [  # (platform, columns that together identify its exports), most specific first
    ("surveycto", {"KEY", "SubmissionDate", "formdef_version"}),
    ("odk_central", {"SubmissionDate", "KEY", "ReviewState"}),
    ("odk_central", {"SubmissionDate", "meta-instanceID"}),
    ("kobotoolbox", {"_uuid", "_submission_time"}),
    ("survey_solutions", {"interview__id"}),
    ("survey_solutions", {"ssSys_IRnd"}),
]


def detect_platform(columns: list[str]) -> str:
    """The data collection platform an export comes from, recognised by its meta columns."""
    present = set(columns)
    for platform, markers in PLATFORM_MARKERS:
        if markers <= present:
            return platform
    return "generic"


def read_round_files(files: list[Path]) -> tuple[pd.DataFrame, list[dict]]:
    """Parse a round's files into one text table; also return each file's name, sha256, rows."""
    if not files:
        raise RawFileError("no raw files to read")
    parsed = [read_raw_file(path) for path in files]
    inventory = [dict(file=p.path.name, sha256=p.sha256, format=p.format, rows=len(p.frame),
                      columns=p.frame.shape[1] - 2, file_label=p.file_label) for p in parsed]
    frame = pd.concat([p.frame for p in parsed], ignore_index=True)
    return frame, inventory
