"""One round's validation, in order: declared corrections, duplicate resolution, Pandera and
cross-field rules, fieldwork quality.

Corrections and duplicate resolutions are declared files re-applied on every run, so resolving
quarantine never edits raw data. A row dropped by a resolution is quarantined with that reason:
raw rows = clean + quarantined still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from assets.corrections import apply_corrections, load_corrections, uncorrected_failures
from assets.duplicates import apply_resolution, find_duplicates, load_resolution
from assets.fieldwork_quality import FieldworkQuality, fieldwork_quality
from assets.harmonize import FAILURE_COLUMNS, ROUND
from assets.readers import SOURCE_FILE, SOURCE_ROW
from assets.validate import (
    RoundValidationError,
    ValidatedRound,
    failures_by_rule,
    validate_round,
)
from schemas.declarations import Codebook, Project

RESOLUTION_RULE = "dropped by duplicate resolution"


@dataclass(frozen=True)
class ValidationRun:
    """Everything validation found for a round."""

    validated: ValidatedRound
    duplicates: pd.DataFrame
    corrections_log: pd.DataFrame
    resolution_log: pd.DataFrame
    fieldwork: FieldworkQuality


def validate_with_declarations(harmonized: pd.DataFrame, conversion_failures: pd.DataFrame,
                               round_name: str, project: Project, codebook: Codebook,
                               project_dir: Path) -> ValidationRun:
    """Apply corrections and duplicate resolutions, validate, and run fieldwork checks."""
    declared = project.validation
    frame, failures = harmonized, conversion_failures
    corrections_log = pd.DataFrame()
    if declared.corrections:
        corrections = load_corrections(project_dir / declared.corrections, codebook,
                                       project.round_names)
        applied = apply_corrections(frame, corrections, round_name, project, codebook,
                                    conversion_failures=failures)
        frame, corrections_log = applied.frame, applied.log
        failures = uncorrected_failures(failures, applied.cells)
    ignore = [c for c in ("submission_id",) if c in frame.columns]
    duplicates = find_duplicates(frame, project.respondent_id, ignore)
    resolution_log = pd.DataFrame()
    if declared.duplicates:
        resolution = load_resolution(project_dir / declared.duplicates, project.round_names)
        resolved = apply_resolution(frame, resolution, round_name, project.respondent_id)
        resolution_log = resolved.log
        if len(resolved.dropped):
            dropped = resolved.dropped
            failures = pd.concat([failures, pd.DataFrame({
                ROUND: dropped[ROUND], SOURCE_FILE: dropped[SOURCE_FILE],
                SOURCE_ROW: dropped[SOURCE_ROW],
                "respondent_id": dropped[project.respondent_id], "column": "row",
                "rule": RESOLUTION_RULE, "value": dropped["reasons"]})[FAILURE_COLUMNS]],
                ignore_index=True)
            frame = pd.concat([resolved.frame, dropped.drop(columns=["reasons"])],
                              ignore_index=True)
        else:
            frame = resolved.frame
    validated = validate_round(frame, failures, project, codebook)
    quality = fieldwork_quality(frame, declared.fieldwork, project.respondent_id)
    return ValidationRun(validated, duplicates, corrections_log, resolution_log, quality)


def require_valid_rows(validated: ValidatedRound, round_name: str) -> None:
    """A round whose every row failed is a file-level failure: stop it with one message."""
    if validated.clean.empty and len(validated.quarantine):
        common = failures_by_rule(validated.failures).nlargest(3, "rows").to_dict("records")
        raise RoundValidationError(
            f"round {round_name!r}: no valid rows: all {len(validated.quarantine)} rows failed "
            f"validation; most frequent: {common} (see the quarantine table)")
