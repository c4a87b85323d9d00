"""Cross-field rules: what must hold on the rows where a condition holds.

"Adolescents are 10-19" (`when: {respondent_type: ["2"]}, then: {age: {range: [10, 19]}}`), or a
skip pattern: "satisfaction is not applicable unless services were used" (`when: {used_services:
["0"]}, then: {satisfied_with_services: {kinds: [not_applicable, missing]}}`). Every failing cell
becomes one failure row (round, file, row, respondent, column, rule, value), so the row goes to
quarantine with its reason like any other failure.
"""

from __future__ import annotations

import pandas as pd

from assets.harmonize import FAILURE_COLUMNS, ROUND, variable_kinds
from assets.readers import SOURCE_FILE, SOURCE_ROW
from schemas.validation_rules import CrossFieldRule, Requirement


def rule_applies(frame: pd.DataFrame, rule: CrossFieldRule) -> pd.Series:
    """Rows where every `when` condition holds (a missing value never satisfies a condition)."""
    applies = pd.Series(True, index=frame.index)
    for variable, codes in rule.when.items():
        applies &= frame[variable].astype("string").isin(codes).fillna(False).astype(bool)
    return applies


def requirement_fails(frame: pd.DataFrame, variable: str, requirement: Requirement) -> pd.Series:
    """Cells of `variable` that break the requirement (on every row; the caller masks)."""
    values = frame[variable]
    if requirement.range is not None:
        low, high = requirement.range
        numbers = pd.to_numeric(values, errors="coerce")
        return (values.notna() & ~numbers.between(low, high)).fillna(False).astype(bool)
    if requirement.codes is not None:
        codes = values.astype("string")
        return (codes.notna() & ~codes.isin(requirement.codes)).fillna(False).astype(bool)
    return ~variable_kinds(frame, variable).isin(requirement.kinds or []).fillna(False).astype(bool)


def describe(rule: CrossFieldRule, variable: str, requirement: Requirement) -> str:
    """The rule as one line, for the failure table."""
    when = ", ".join(f"{v} in {codes}" for v, codes in rule.when.items())
    if requirement.range is not None:
        must = f"{variable} in [{requirement.range[0]:g}, {requirement.range[1]:g}]"
    elif requirement.codes is not None:
        must = f"{variable} one of {requirement.codes}"
    else:
        must = f"{variable} is {' or '.join(requirement.kinds or [])}"
    return f"{rule.name}: when {when}, {must}"


def cross_field_failures(frame: pd.DataFrame, rules: list[CrossFieldRule],
                         id_column: str) -> pd.DataFrame:
    """One failure row per cell that breaks a declared cross-field rule."""
    found = []
    for rule in rules:
        applies = rule_applies(frame, rule)
        if not applies.any():
            continue
        for variable, requirement in rule.then.items():
            bad = applies & requirement_fails(frame, variable, requirement)
            if not bad.any():
                continue
            rows = frame[bad]
            shown = rows[variable].astype("string")
            if requirement.kinds is not None:
                shown = shown.fillna(variable_kinds(frame, variable)[bad])
            found.append(pd.DataFrame({
                ROUND: rows[ROUND], SOURCE_FILE: rows[SOURCE_FILE], SOURCE_ROW: rows[SOURCE_ROW],
                "respondent_id": rows[id_column], "column": variable,
                "rule": describe(rule, variable, requirement), "value": shown}))
    if not found:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    return pd.concat(found, ignore_index=True)[FAILURE_COLUMNS]
