"""Personal data: which values are personal, and whether any reached the published files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

MIN_LENGTH = 4  # shorter values ("1", "yes") are not identifying and would match anything
# Values that look personal whatever the survey declares: an international phone number with
# separators (+992 91 551 8712) and a GPS point written as "latitude longitude".
LOOKS_PERSONAL = {
    "phone number": re.compile(r"(?<![\w+])\+\d{1,3}[ -]\d{2,3}[ -]\d{3}[ -]\d{2,4}(?![\w])"),
    "GPS point": re.compile(r"(?<![\w.])-?\d{1,2}\.\d{4,8} -?\d{1,3}\.\d{4,8}(?![\w.])"),
}


def personal_values(raw: pd.DataFrame, columns: list[str]) -> set[str]:
    """Distinct non-trivial text values of the personal columns of a raw table."""
    values: set[str] = set()
    for column in columns:
        if column in raw:
            values.update(v for v in raw[column].dropna().astype(str) if len(v) >= MIN_LENGTH)
    return values


def personal_pattern(values: set[str]) -> re.Pattern[str] | None:
    """One regex finding any of the values as a whole token.

    Whole tokens, because a GPS coordinate such as 37.333 is also the start of an honest
    estimate such as 37.333333: only the coordinate standing on its own is a leak.
    """
    if not values:
        return None
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w]|\.\d)")


def scan_for_personal_data(directory: Path, values: set[str],
                           column_names: set[str]) -> dict[str, int]:
    """Count, per published file, personal values or personal column names found in it."""
    pattern = personal_pattern(values)
    hits: dict[str, int] = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="ignore")
        found = len(pattern.findall(text)) if pattern else 0
        found += sum(len(p.findall(text)) for p in LOOKS_PERSONAL.values())
        header = text.split("\n", 1)[0]
        found += sum(1 for c in column_names if c in header.replace('"', "").split(","))
        if found:
            hits[str(path.relative_to(directory))] = found
    return hits
