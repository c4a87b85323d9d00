"""Clean respondent-level microdata for re-analysis, and its data dictionary."""

from __future__ import annotations

import pandas as pd

from assets.harmonize import KIND_SUFFIX, published_variables
from schemas.declarations import Codebook, Project

PROVENANCE_COLUMNS = {
    "round": "Survey round",
    "source_file": "Raw file the row came from",
    "source_row": "Row of that file (1-based data row)",
}


def data_dictionary(project: Project, codebook: Codebook) -> pd.DataFrame:
    """One row per published variable: label, type, value labels, special codes, rounds."""
    rows = [dict(variable=name, label=label, type="string", value_labels="", special_codes="",
                 kind_column="", absent_in="") for name, label in PROVENANCE_COLUMNS.items()]
    for variable in published_variables(codebook):
        codes = project.special_codes.get(variable.missing_codes or "", {})
        labels = codebook.labels_of(variable)
        rows.append(dict(
            variable=variable.name, label=variable.label, type=variable.type,
            value_labels="; ".join(f"{code}={label}" for code, label in labels.items()),
            special_codes="; ".join(f"{code}={kind}" for code, kind in codes.items()),
            kind_column=variable.name + KIND_SUFFIX if codes else "",
            absent_in=", ".join(r for r, source in variable.sources.items() if source is None),
        ))
    return pd.DataFrame(rows)

