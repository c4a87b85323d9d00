"""Canonical text of raw cells: what every reader turns its values into.

Rounds from different formats meet on equal terms when every cell is text in one canonical
form: missing is NA, integral numbers have no decimal part ("1", not "1.0"), dates are ISO-8601,
surrounding blanks are stripped and a blank cell is missing.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd


def as_text(value: object) -> str | None:
    """Canonical text of a cell: None for missing, '1' for 1.0, ISO for dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 2.0**63 else repr(value)
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def text_column(values: pd.Series) -> pd.Series:
    """A column as canonical text (dtype "string"), vectorised for the common dtypes."""
    if pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
        return _number_text(values)
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(
            values.dtype):
        return blank_to_na(values.astype("string").str.strip())
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _datetime_text(values)
    return pd.Series(pd.array([as_text(v) for v in values], dtype="string"), index=values.index)


def blank_to_na(text: pd.Series) -> pd.Series:
    """Blank text cells become NA (the series must already be stripped)."""
    return text.mask(text == "")


def _number_text(values: pd.Series) -> pd.Series:
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = values.astype("float64").to_numpy()
    integral = np.isfinite(numbers) & (np.floor(numbers) == numbers) & (np.abs(numbers) < 2.0**63)
    # Integral cells (the bulk of survey data: codes, counts) go through int64 in one Arrow
    # cast; the few fractional cells take Python's repr, the same text as as_text gives.
    ints = np.where(integral, numbers, 0).astype(np.int64)
    text = pc.cast(pa.array(ints, mask=~integral), pa.string())
    other = np.flatnonzero(~integral & ~np.isnan(numbers))
    if len(other):
        filled = text.to_numpy(zero_copy_only=False)
        filled[other] = [repr(float(x)) for x in numbers[other]]
        text = pa.array(filled, type=pa.string())
    return pd.Series(pd.array(text, dtype="string"), index=values.index)


def _datetime_text(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    at_midnight = stamps.dt.normalize() == stamps
    text = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").where(~at_midnight,
                                                         stamps.dt.strftime("%Y-%m-%d"))
    return text.astype("string").mask(stamps.isna())
