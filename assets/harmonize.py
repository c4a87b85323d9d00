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

from assets.columns import resolve_column
from assets.platforms import SURVEY_SOLUTIONS_UNANSWERED
from assets.readers import SOURCE_FILE, SOURCE_ROW
from schemas.declarations import CHOICE_SEPARATOR, Codebook, Project, SourceColumn, Variable

ROUND = "round"
PROVENANCE = [ROUND, SOURCE_FILE, SOURCE_ROW]
KIND_SUFFIX = "__kind"
MAX_EXACT_INTEGER = 2.0**53  # beyond this a float no longer holds every integer exactly
META_PREFIX = "meta:"  # canonical platform meta columns added by the reader (meta:submitted_at)
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
    """The harmonised columns that travel on (all but personal data), select_multiple expanded."""
    return [v for v in codebook.columns() if not v.personal]


def needed_columns(codebook: Codebook, round_name: str, header: list[str]) -> list[str]:
    """The columns of a file that harmonisation reads: declared sources, never personal ones.

    A select_multiple needs its summary column and its split columns; the canonical platform
    meta columns (`meta:...`) are added by the reader, not read from the file.
    """
    wanted: list[str] = []
    for variable in codebook.variables:
        source = variable.sources.get(round_name)
        if variable.personal or source is None:
            continue
        column = resolve_column(source.column, header)
        if column is not None:
            wanted.append(column)
        if variable.type == "select_multiple":
            base = column or source.column
            separators = [source.choice_separator] if source.choice_separator else ["/", "_"]
            wanted += [c for c in header
                       if any(c.startswith(base + sep) for sep in separators)]
    return [c for c in dict.fromkeys(wanted) if not c.startswith(META_PREFIX)]


def harmonize_round(raw: pd.DataFrame, round_name: str, project: Project, codebook: Codebook,
                    file_missing: dict[str, list[str]] | None = None,
                    header: list[str] | None = None) -> Harmonized:
    """Map one round's raw text table onto the codebook's canonical variables.

    `file_missing` holds the user-missing values the files declare per source column (SPSS
    user-missing, Stata .a-.z): a value there that no special-code set names is kind `missing`.
    `header` lists every column of the files (also those not read), to report personal ones.
    """
    columns: dict[str, pd.Series] = {
        ROUND: pd.Series(round_name, index=raw.index, dtype="string"),
        SOURCE_FILE: raw[SOURCE_FILE].astype("string"),
        SOURCE_ROW: raw[SOURCE_ROW].astype("Int64"),
    }
    failures: list[pd.DataFrame] = []
    absent: list[str] = []
    present = list(raw.columns)
    ids = _ids(raw, round_name, project, codebook)

    def fail(mask: pd.Series, name: str, rule: str, values: pd.Series) -> None:
        failures.append(pd.DataFrame({
            ROUND: round_name, SOURCE_FILE: raw.loc[mask, SOURCE_FILE],
            SOURCE_ROW: raw.loc[mask, SOURCE_ROW],
            "respondent_id": ids[mask] if ids is not None else pd.NA,
            "column": name, "rule": rule, "value": values[mask]}))

    for variable in codebook.variables:
        if variable.personal:
            continue
        source = variable.sources[round_name]
        column = resolve_column(source.column, present) if source is not None else None
        if source is None:
            absent.append(variable.name)
        elif column is None:
            raise HarmonizationError(
                f"round {round_name!r}: codebook variable {variable.name!r} expects column "
                f"{source.column!r}, which is not in {sorted(set(raw[SOURCE_FILE]))}")
        if variable.type == "select_multiple":
            columns.update(_choices(raw, variable, source, column, codebook, fail))
            continue
        if column is None:
            text = pd.Series(pd.NA, index=raw.index, dtype="string")
        else:
            text = raw[column].astype("string")
            if source.recode:
                text = text.replace(source.recode)
        codes = project.special_codes.get(variable.missing_codes or "", {})
        declared_by_file = (file_missing or {}).get(column or "", [])
        kind = _kinds(text, codes, declared_by_file)
        values, bad = _convert(text.where(kind == "valid"), variable)
        columns[variable.name] = values
        if codes or (text.notna() & (kind != "valid")).any():  # never a silent NA
            columns[kind_column(variable.name)] = kind
        if bad.any():
            fail(bad, variable.name, f"convertible to {variable.type}", text)
    everything = header if header is not None else present
    personal = [resolve_column(v.sources[round_name].column, everything)
                for v in codebook.variables if v.personal and v.sources[round_name] is not None]
    failure_frame = (pd.concat(failures, ignore_index=True) if failures
                     else pd.DataFrame(columns=FAILURE_COLUMNS))
    return Harmonized(pd.DataFrame(columns), failure_frame.astype({"value": "string"}),
                      absent, [c for c in personal if c is not None])


def harmonize_with_inventory(raw: pd.DataFrame, inventory: list[dict], round_name: str,
                             project: Project, codebook: Codebook) -> Harmonized:
    """Harmonise a round read by `read_round_files`, with its files' missing codes and headers."""
    file_missing: dict[str, list[str]] = {}
    for entry in inventory:
        for column, codes in entry["user_missing"].items():
            file_missing.setdefault(column, []).extend(codes)
    header = list(dict.fromkeys(c for entry in inventory for c in entry["header"]))
    return harmonize_round(raw, round_name, project, codebook, file_missing=file_missing,
                           header=header)


def variable_kinds(frame: pd.DataFrame, variable: str) -> pd.Series:
    """The kind of each value of a harmonised variable (valid/missing when it has no kinds)."""
    column = kind_column(variable)
    if column in frame:
        return frame[column].astype("string")
    return frame[variable].isna().map({True: "missing", False: "valid"}).astype("string")


def _ids(raw: pd.DataFrame, round_name: str, project: Project,
         codebook: Codebook) -> pd.Series | None:
    source = codebook.variable(project.respondent_id).sources[round_name]
    column = resolve_column(source.column, list(raw.columns)) if source else None
    return raw[column] if column is not None else None


def _choices(raw: pd.DataFrame, variable: Variable, source: SourceColumn | None,
             column: str | None, codebook: Codebook, fail) -> dict[str, pd.Series]:
    """The summary and 0/1 columns of a select_multiple (all NA when absent in the round)."""
    from assets.select_multiple import rebuild_choices

    choices = list(codebook.labels_of(variable))
    names = [f"{variable.name}{CHOICE_SEPARATOR}{code}" for code in choices]
    if source is None:
        empty = {variable.name: pd.Series(pd.NA, index=raw.index, dtype="string")}
        return empty | {n: pd.Series(pd.NA, index=raw.index, dtype="Int64") for n in names}
    rebuilt = rebuild_choices(raw, column or source.column, choices,
                              separator=source.choice_separator or "/",
                              recode=dict(source.recode) or None)
    if len(rebuilt.undeclared):
        rows = raw.index.isin(rebuilt.undeclared["row"])
        values = pd.Series(pd.NA, index=raw.index, dtype="string")
        found = rebuilt.undeclared.groupby("row")["value"].agg(" ".join)
        values[found.index] = found.to_numpy()
        fail(pd.Series(rows, index=raw.index), variable.name,
             f"choices declared for {variable.name}", values)
    return {variable.name: rebuilt.summary.astype("string"),
            **{n: rebuilt.matrix[code].astype("Int64") for n, code in zip(names, choices,
                                                                          strict=True)}}


def _kinds(text: pd.Series, codes: dict[str, str], declared_by_file: list[str]) -> pd.Series:
    kind = pd.Series("valid", index=text.index, dtype="string")
    kind[text.isna()] = "missing"
    # Codes the file itself marks missing (SPSS user-missing, Stata .a-.z, Survey Solutions'
    # unanswered) are missing unless a declared special-code set gives them a kind.
    unanswered = sorted(SURVEY_SOLUTIONS_UNANSWERED)
    kind[file_missing_mask(text, [*declared_by_file, *unanswered])] = "missing"
    for code, code_kind in codes.items():
        kind[text == code] = code_kind
    return kind


def file_missing_mask(text: pd.Series, specs: list[str]) -> pd.Series:
    """Cells equal to a declared missing value, or within a declared range `lo..hi`."""
    ranges = [bounds for s in specs if len(bounds := s.split("..", 1)) == 2
              and all(_is_number(b) for b in bounds)]
    mask = text.isin([s for s in specs if s.split("..", 1) not in ranges]).fillna(False)
    if ranges:
        numbers = pd.to_numeric(text, errors="coerce")
        for low, high in ranges:
            mask |= numbers.between(float(low), float(high)).fillna(False)
    return mask.astype(bool)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
