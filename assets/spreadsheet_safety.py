"""Text that a spreadsheet would execute is neutralised before it is published as CSV.

A cell starting with `=`, `+`, `-`, `@` (or a tab or carriage return) is a formula to Excel and
LibreOffice (CSV injection). Such text cells get a leading apostrophe, the OWASP advice; numbers
(a negative change, -1.5) are left as they are, so the CSV stays machine-readable.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def neutralise_text(values: pd.Series) -> pd.Series:
    """Text cells that would start a formula, prefixed with an apostrophe."""
    text = values.astype("string")
    risky = (text.str.match(FORMULA_START) & ~text.str.match(NUMBER)).fillna(False)
    if not risky.any():
        return values
    return values.astype(object).mask(risky.to_numpy(dtype=bool), "'" + text)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns can be opened in a spreadsheet without executing anything."""
    text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
                    and not pd.api.types.is_datetime64_any_dtype(frame[c])]
    if not text_columns:
        return frame
    safe = frame.copy()
    for column in text_columns:
        safe[column] = neutralise_text(safe[column])
    safe.columns = [neutralise_text(pd.Series([str(c)])).iloc[0] for c in safe.columns]
    return safe


def write_safe_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a published CSV with formula-like text neutralised."""
    safe_frame(frame).to_csv(path, index=False)
