"""Validate a harmonised round with Pandera; split it into clean rows and quarantine.

Validation is lazy: every failure becomes one row of the failure table (round, source file,
source row, respondent id, column, rule, value). A row with any failure goes to quarantine with
its reasons; nothing is dropped silently. Failures that concern the whole frame (a required
column missing) are file-level and stop the round.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.config import ValidationDepth, config_context

from assets.cells import as_text
from assets.cross_field import cross_field_failures
from assets.harmonize import FAILURE_COLUMNS, PROVENANCE, ROUND, published_variables
from assets.readers import SOURCE_FILE, SOURCE_ROW
from schemas.declarations import Codebook, Project
from schemas.tables import ResponseProvenance

DUPLICATE_RULE = "exact duplicate of an earlier submission"
PANDAS_DTYPES = {"string": "string", "category": "string", "integer": "Int64",
                 "number": "Float64", "date": "datetime64[us]"}


def full_validation():
    """Pandera on, schema and data checks, whatever PANDERA_* environment variables say."""
    return config_context(validation_enabled=True,
                          validation_depth=ValidationDepth.SCHEMA_AND_DATA)


class RoundValidationError(ValueError):
    """A failure of the whole round (file level): the round stops with this message."""


@dataclass(frozen=True)
class ValidatedRound:
    """Clean rows, quarantined rows (with reasons) and the failure table of one round."""

    clean: pd.DataFrame
    quarantine: pd.DataFrame
    failures: pd.DataFrame


def response_schema(project: Project, codebook: Codebook) -> pa.DataFrameSchema:
    """The Pandera schema of a harmonised round, generated from the declared codebook."""
    columns: dict[str, pa.Column] = {}
    for variable in published_variables(codebook):
        checks = []
        if variable.range is not None:
            low, high = variable.range
            checks.append(pa.Check.in_range(low, high, error=f"in range [{low:g}, {high:g}]"))
        if variable.type == "category":
            allowed = sorted(codebook.labels_of(variable))
            checks.append(pa.Check.isin(allowed, error=f"one of the codes {allowed}"))
        columns[variable.name] = pa.Column(
            PANDAS_DTYPES[variable.type], checks=checks, nullable=not variable.required,
            unique=variable.name == project.respondent_id, required=True,
        )
    return ResponseProvenance.to_schema().add_columns(columns)


def exact_duplicates(frame: pd.DataFrame, ignore: list[str],
                     id_column: str | None = None) -> pd.Series:
    """Mask of rows whose content repeats an earlier row (submission ids ignored)."""
    content = [c for c in frame.columns if c not in set(PROVENANCE) | set(ignore)]
    # The copy kept is the first in file order (source file, row), whatever the frame's order.
    order = frame.sort_values([SOURCE_FILE, SOURCE_ROW], kind="stable").index
    if not order.equals(frame.index):
        return exact_duplicates(frame.loc[order], ignore, id_column).reindex(frame.index)
    if id_column in content:
        # A copy repeats its respondent id, so only rows sharing an id need the full compare
        # (seconds at 1M rows saved).
        shared = frame[id_column].duplicated(keep=False).to_numpy(dtype=bool)
        mask = pd.Series(False, index=frame.index)
        if shared.any():
            mask[shared] = frame.loc[shared, content].duplicated(keep="first").to_numpy()
        return mask
    return frame.duplicated(subset=content, keep="first")


def validate_round(harmonized: pd.DataFrame, conversion_failures: pd.DataFrame,
                   project: Project, codebook: Codebook) -> ValidatedRound:
    """Validate one harmonised round lazily and split it into clean and quarantined rows."""
    frame = harmonized.reset_index(drop=True)
    if project.respondent_id not in frame.columns:
        raise RoundValidationError(
            f"{_where(frame)}: respondent id column {project.respondent_id!r} is missing")
    ids = frame[project.respondent_id]
    duplicate = exact_duplicates(frame, ignore=["submission_id"],
                                 id_column=project.respondent_id)
    failures = [conversion_failures, _failure_rows(frame, duplicate, ids, "row", DUPLICATE_RULE)]
    candidates = frame[~duplicate]
    with full_validation():
        try:
            response_schema(project, codebook).validate(candidates, lazy=True)
        except pa.errors.SchemaErrors as errors:
            failures.append(_pandera_failures(errors.failure_cases, frame, ids))
    failures.append(cross_field_failures(candidates, project.validation.rules,
                                         project.respondent_id))
    found = [f for f in failures if len(f)]
    table = (pd.concat(found, ignore_index=True).reindex(columns=FAILURE_COLUMNS) if found
             else _empty_failures())
    row_key = pd.MultiIndex.from_arrays([frame[SOURCE_FILE].astype(str),
                                         frame[SOURCE_ROW].astype("int64")])
    failed_key = pd.MultiIndex.from_arrays([table[SOURCE_FILE].astype(str),
                                            table[SOURCE_ROW].astype("int64")])
    bad = pd.Series(row_key.isin(failed_key), index=frame.index)
    quarantine = frame[bad].copy()
    reasons: dict[tuple[str, int], list[str]] = {}
    for key, column, rule in zip(failed_key, table["column"], table["rule"], strict=True):
        reasons.setdefault(key, []).append(f"{column}: {rule}")
    quarantine["reasons"] = ["; ".join(reasons.get(key, [])) for key in row_key[bad.to_numpy()]]
    table = table.astype({"value": "string", "respondent_id": "string", "column": "string"})
    return ValidatedRound(frame[~bad].reset_index(drop=True), quarantine.reset_index(drop=True),
                          table.sort_values([SOURCE_FILE, SOURCE_ROW]).reset_index(drop=True))


def _where(frame: pd.DataFrame) -> str:
    rounds = sorted(set(frame[ROUND])) if len(frame) else ["(no rows)"]
    return f"round {', '.join(map(repr, rounds))} ({sorted(set(frame[SOURCE_FILE]))})"


def _empty_failures() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == SOURCE_ROW else "string")
                         for c in FAILURE_COLUMNS})


def _failure_rows(frame: pd.DataFrame, mask: pd.Series, ids: pd.Series, column: str,
                  rule: str) -> pd.DataFrame:
    rows = frame[mask]
    return pd.DataFrame({ROUND: rows[ROUND], SOURCE_FILE: rows[SOURCE_FILE],
                         SOURCE_ROW: rows[SOURCE_ROW], "respondent_id": ids[mask],
                         "column": column, "rule": rule, "value": ids[mask]})


def _pandera_failures(cases: pd.DataFrame, frame: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """Turn Pandera's failure cases into failure rows; frame-level ones stop the round."""
    frame_level = cases[cases["index"].isna()]
    if len(frame_level):
        problems = "; ".join(f"{c['check']}: {c['failure_case']}"
                             for _, c in frame_level.iterrows())
        raise RoundValidationError(f"{_where(frame)}: {problems}")
    index = cases["index"].astype(int).to_numpy()
    rule = cases["check"].astype(str).replace({"field_uniqueness": "unique respondent id"})
    return pd.DataFrame({
        ROUND: frame[ROUND].to_numpy()[index], SOURCE_FILE: frame[SOURCE_FILE].to_numpy()[index],
        SOURCE_ROW: frame[SOURCE_ROW].to_numpy()[index], "respondent_id": ids.to_numpy()[index],
        "column": cases["column"].astype(str).to_numpy(), "rule": rule.to_numpy(),
        # as_text: 999 stays "999" even when Pandera's column of cases became float
        "value": cases["failure_case"].map(as_text).to_numpy(),
    })


def row_accounting(inventory: list[dict], clean: pd.DataFrame,
                   quarantine: pd.DataFrame) -> pd.DataFrame:
    """Per raw file: raw rows, clean rows, quarantined rows and whether they balance."""
    table = pd.DataFrame({"file": [f["file"] for f in inventory],
                          "raw": [int(f["rows"]) for f in inventory]})
    for name, rows in (("clean", clean), ("quarantined", quarantine)):
        table[name] = table["file"].map(rows[SOURCE_FILE].value_counts()).fillna(0).astype(int)
    table["balanced"] = table["raw"] == table["clean"] + table["quarantined"]
    return table


def failures_by_rule(failures: pd.DataFrame) -> pd.DataFrame:
    """Number of failing rows per column and rule."""
    if failures.empty:
        return pd.DataFrame(columns=["column", "rule", "rows"])
    return failures.groupby(["column", "rule"]).size().rename("rows").reset_index()
