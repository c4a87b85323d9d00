"""SPSS (.sav, .zsav, .por) and Stata (.dta) files through pyreadstat, metadata kept.

User-missing values (SPSS discrete values and ranges, string missings) are read as values, and
Stata's extended missing values become ".a" ... ".z" text, so that harmonisation can give each
its kind. A date column that pyreadstat cannot convert (a year beyond 9999) is read unconverted
and reported; it never aborts the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from assets.cells import as_text, text_column

STATA_EXTENDED = re.compile(r"^[a-z]$")


@dataclass
class StatFile:
    """What pyreadstat gave us, as text cells and plain metadata."""

    frame: pd.DataFrame
    columns: list[str]
    file_label: str = ""
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    user_missing: dict[str, list[str]] = field(default_factory=dict)
    variable_types: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mr_sets: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""


def stat_columns(path: Path, fmt: str) -> list[str]:
    """The variable names of a statistical file, read from its dictionary only."""
    _, meta = _reader(fmt)(str(path), metadataonly=True)
    return list(meta.column_names)


def read_stat_file(path: Path, fmt: str, usecols: list[str] | None = None) -> StatFile:
    """Read an SPSS or Stata file into text cells with its labels and missing-value rules."""
    read = _reader(fmt)
    options: dict = {"user_missing": True} if fmt != "spss_portable" else {}
    if usecols is not None:
        options["usecols"] = usecols
    warnings: list[str] = []
    try:
        frame, meta = read(str(path), **options)
    except (OverflowError, ValueError) as exc:
        if "date" not in str(exc).lower() and "days" not in str(exc).lower():
            raise
        frame, meta = read(str(path), disable_datetime_conversion=True, **options)
        frame, warnings = _convert_dates_one_by_one(path, read, frame, meta, options)
    unnamed = [i + 1 for i, name in enumerate(meta.column_names) if not name]
    if unnamed:
        raise ValueError(f"variables {unnamed} have no name: the file's dictionary is damaged")
    header = stat_columns(path, fmt) if usecols is not None else list(meta.column_names)
    text = pd.DataFrame({col: text_column(frame[col]) for col in frame.columns})
    types = {col: "string" if kind == "string" else "numeric"
             for col, kind in (meta.readstat_variable_types or {}).items()}
    if fmt == "stata":
        text = _stata_extended_missing(text, types)
    return StatFile(
        frame=text, columns=header,
        file_label=meta.file_label or "",
        variable_labels={k: v for k, v in meta.column_names_to_labels.items() if v},
        value_labels={col: {as_text(code) or "": label for code, label in labels.items()}
                      for col, labels in (meta.variable_value_labels or {}).items()},
        user_missing=_user_missing(meta, fmt), variable_types=types,
        notes=list(meta.notes or []), mr_sets=dict(getattr(meta, "mr_sets", None) or {}),
        warnings=warnings, encoding=meta.file_encoding or "",
    )


def _reader(fmt: str):
    import pyreadstat  # heavy import, only when a statistical file is read

    return {"spss": pyreadstat.read_sav, "spss_compressed": pyreadstat.read_sav,
            "spss_portable": pyreadstat.read_por, "stata": pyreadstat.read_dta}[fmt]


def _user_missing(meta, fmt: str) -> dict[str, list[str]]:
    if fmt == "stata":
        return {col: [f".{code}" for code in codes]
                for col, codes in (meta.missing_user_values or {}).items()}
    return {col: [as_text(r["lo"]) if r["lo"] == r["hi"] else f"{as_text(r['lo'])}.."
                  f"{as_text(r['hi'])}" for r in ranges]
            for col, ranges in (meta.missing_ranges or {}).items()}


def _stata_extended_missing(text: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """Numeric Stata cells holding 'a'...'z' are extended missing values: write them '.a'."""
    for col in text.columns:
        if types.get(col) == "numeric":
            letters = text[col].str.fullmatch(STATA_EXTENDED.pattern).fillna(False)
            if letters.any():
                text[col] = text[col].mask(letters, "." + text[col])
    return text


def _convert_dates_one_by_one(path: Path, read, frame: pd.DataFrame, meta,
                              options: dict) -> tuple[pd.DataFrame, list[str]]:
    """Convert each date column on its own; one that fails stays unconverted and is reported."""
    warnings = []
    formats = meta.original_variable_types or {}
    for col in frame.columns:
        fmt = str(formats.get(col, "")).upper()
        if not any(tag in fmt for tag in ("DATE", "TIME", "%T", "%D")):
            continue
        single = {**options, "usecols": [col]}
        try:
            converted, _ = read(str(path), **single)
        except (OverflowError, ValueError) as exc:
            warnings.append(f"column {col!r} (format {formats.get(col)}): values cannot be "
                            f"converted to dates ({exc}); read unconverted")
            continue
        frame[col] = converted[col].to_numpy()
    return frame, warnings
