"""A round through the pipeline's pure functions: read, harmonise, validate (no Dagster)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assets.harmonize import harmonize_with_inventory, needed_columns
from assets.readers import read_round_files
from assets.round_files import round_files as files_of_round
from assets.validate import ValidatedRound, validate_round
from schemas.declarations import Survey


def round_files(survey: Survey, raw_dir: Path, round_name: str) -> list[Path]:
    """The raw files of a round, as the pipeline finds them under `raw_dir`."""
    declaration = next(r for r in survey.project.rounds if r.name == round_name)
    return files_of_round(raw_dir, declaration)


def read_round(survey: Survey, round_name: str, files: list[Path], only_needed: bool = True,
               cache_dir: Path | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Read a round's files as the `raw_responses` asset does (needed columns only by default)."""
    usecols_of = None
    if only_needed:
        def usecols_of(header: list[str]) -> list[str]:
            return needed_columns(survey.codebook, round_name, header)
    return read_round_files(files, usecols_of=usecols_of, cache_dir=cache_dir)


def validate_files(survey: Survey, round_name: str, files: list[Path],
                   only_needed: bool = True) -> ValidatedRound:
    """Read, harmonise and validate a round's files as the round assets do."""
    raw, inventory = read_round(survey, round_name, files, only_needed)
    harmonized = harmonize_with_inventory(raw, inventory, round_name, survey.project,
                                          survey.codebook)
    return validate_round(harmonized.frame, harmonized.conversion_failures, survey.project,
                          survey.codebook)
