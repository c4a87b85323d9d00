"""Personal data: which values are personal, and whether any reached the published files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

MIN_LENGTH = 4  # shorter values ("1", "yes") are not identifying and would match anything


def personal_values(raw: pd.DataFrame, columns: list[str]) -> set[str]:
    """Distinct non-trivial text values of the personal columns of a raw table."""
    values: set[str] = set()
    for column in columns:
        if column in raw:
            values.update(v for v in raw[column].dropna().astype(str) if len(v) >= MIN_LENGTH)
    return values


def scan_for_personal_data(directory: Path, values: set[str],
                           column_names: set[str]) -> dict[str, int]:
    """Count, per published file, personal values or personal column names found in it."""
    hits: dict[str, int] = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="ignore")
        found = sum(1 for v in values if v in text)
        header = text.split("\n", 1)[0]
        found += sum(1 for c in column_names if c in header.replace('"', "").split(","))
        if found:
            hits[str(path.relative_to(directory))] = found
    return hits
