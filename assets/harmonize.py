"""Harmonise a round's raw text table to canonical variables through the declared codebook.

Source columns are renamed, values recoded to canonical codes, declared special codes turned
into kinds (kept beside the value in `<name>__kind`), and types applied. Personal variables are
never read. A value that does not convert is not dropped: it becomes a conversion failure that
validation sends to quarantine with the row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from assets.readers import SOURCE_FILE, SOURCE_ROW
from schemas.declarations import Codebook, Project, Variable

ROUND = "round"
PROVENANCE = [ROUND, SOURCE_FILE, SOURCE_ROW]
KIND_SUFFIX = "__kind"
MAX_EXACT_INTEGER = 2.0**53  # beyond this a float no longer holds every integer exactly
FAILURE_COLUMNS = [ROUND, SOURCE_FILE, SOURCE_ROW, "respondent_id", "column", "rule", "value"]


class HarmonizationError(ValueError):
    """The codebook does not fit a round's files (a file-level failure)."""


@dataclass(frozen=True)
class Harmonized:
    """A round on canonical variables, plus the cells that failed to convert."""

    frame: pd.DataFrame
    conversion_failures: pd.DataFrame
    absent_variables: list[str]
    personal_columns_dropped: list[str]


def kind_column(name: str) -> str:
    """Name of the column that holds the kind (valid, dont_know, ...) of variable `name`."""
    return name + KIND_SUFFIX


def published_variables(codebook: Codebook) -> list[Variable]:
    """The codebook variables that travel past harmonisation (all but personal data)."""
    return [v for v in codebook.variables if not v.personal]


def harmonize_round(raw: pd.DataFrame, round_name: str, project: Project,
                    codebook: Codebook) -> Harmonized:
    """Map one round's raw text table onto the codebook's canonical variables."""
    columns: dict[str, pd.Series] = {
        ROUND: pd.Series(round_name, index=raw.index, dtype="string"),
        SOURCE_FILE: raw[SOURCE_FILE].astype("string"),
        SOURCE_ROW: raw[SOURCE_ROW].astype("Int64"),
    }
    failures: list[pd.DataFrame] = []
    absent: list[str] = []
    id_source = codebook.variable(project.respondent_id).sources[round_name]
    ids = raw[id_source.column] if id_source and id_source.column in raw else None
    for variable in published_variables(codebook):
        source = variable.sources[round_name]
        if source is None:
            absent.append(variable.name)
            text = pd.Series(pd.NA, index=raw.index, dtype="string")
        elif source.column not in raw.columns:
            raise HarmonizationError(
                f"round {round_name!r}: codebook variable {variable.name!r} expects column "
                f"{source.column!r}, which is not in {sorted(set(raw[SOURCE_FILE]))}")
        else:
            text = raw[source.column].astype("string")
            if source.recode:
                text = text.replace(source.recode)
        codes = project.special_codes.get(variable.missing_codes or "", {})
        kind = _kinds(text, codes)
        valid_text = text.where(kind == "valid")
        values, bad = _convert(valid_text, variable)
        columns[variable.name] = values
        if codes:
            columns[kind_column(variable.name)] = kind
        if bad.any():
            failures.append(pd.DataFrame({
                ROUND: round_name, SOURCE_FILE: raw.loc[bad, SOURCE_FILE],
                SOURCE_ROW: raw.loc[bad, SOURCE_ROW],
                "respondent_id": ids[bad] if ids is not None else pd.NA,
                "column": variable.name, "rule": f"convertible to {variable.type}",
                "value": text[bad],
            }))
    personal = [v.sources[round_name].column for v in codebook.variables
                if v.personal and v.sources[round_name] is not None]
    failure_frame = (pd.concat(failures, ignore_index=True) if failures
                     else pd.DataFrame(columns=FAILURE_COLUMNS))
    return Harmonized(pd.DataFrame(columns), failure_frame.astype({"value": "string"}),
                      absent, [c for c in personal if c in raw.columns])


def _kinds(text: pd.Series, codes: dict[str, str]) -> pd.Series:
    kind = pd.Series("valid", index=text.index, dtype="string")
    kind[text.isna()] = "missing"
    for code, code_kind in codes.items():
        kind[text == code] = code_kind
    return kind


def _convert(text: pd.Series, variable: Variable) -> tuple[pd.Series, pd.Series]:
    """Typed values of `text` and a mask of cells that were present but did not convert."""
    if variable.type in ("string", "category"):
        return text.astype("string"), pd.Series(False, index=text.index)
    if variable.type == "date":
        # Offsets (Kobo's "+05:00") are converted to UTC; dates without one are taken as UTC.
        values = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        values = values.dt.tz_localize(None).astype("datetime64[us]")
        return values, text.notna() & values.isna()
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    unusable = ~np.isfinite(numbers) | (numbers.abs() > MAX_EXACT_INTEGER)
    numbers = numbers.where(~unusable)
    bad = text.notna() & numbers.isna()
    if variable.type == "integer":
        fractional = numbers.notna() & (np.floor(numbers) != numbers)
        numbers = numbers.where(~fractional)
        bad |= fractional
        return numbers.astype("Int64"), bad
    return numbers.astype("Float64"), bad
