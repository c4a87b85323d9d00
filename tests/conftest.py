"""Shared fixtures: the shipped sample, read and harmonised once per test session."""

from pathlib import Path

import pytest

from assets.harmonize import harmonize_round
from assets.readers import read_round_files
from schemas.declarations import DEFAULT_PROJECT_FILE, load_survey

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FILES = {"baseline": "raw/baseline/khatlon_baseline_2021.sav",
                "endline": "raw/endline/khatlon_endline_2023.csv"}


@pytest.fixture(scope="session")
def shipped_survey():
    """The shipped declarations."""
    return load_survey(DEFAULT_PROJECT_FILE)


@pytest.fixture(scope="session")
def harmonized_sample(shipped_survey):
    """round -> (raw text table, Harmonized) for the shipped sample files."""
    out = {}
    for round_name, path in SAMPLE_FILES.items():
        raw, _ = read_round_files([ROOT / path])
        out[round_name] = (raw, harmonize_round(raw, round_name, shipped_survey.project,
                                                shipped_survey.codebook))
    return out
