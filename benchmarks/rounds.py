"""A round through the pipeline's pure functions: read, harmonise, validate (no Dagster)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assets.harmonize import harmonize_with_inventory, needed_columns
from assets.readers import read_round_files
from assets.validate import ValidatedRound, validate_round
from schemas.declarations import Survey


def round_files(survey: Survey, raw_dir: Path, round_name: str) -> list[Path]:
    """The raw files of a round: its declared globs under `raw_dir/<round>/`, sorted."""
    declaration = next(r for r in survey.project.rounds if r.name == round_name)
    folder = raw_dir / round_name
    return sorted({p for pattern in declaration.files for p in folder.glob(pattern)})


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
