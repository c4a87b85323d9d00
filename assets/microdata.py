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


LINKING_SOURCES = {"meta:submission_id"}  # a platform's own record id of the interview


def linking_columns(codebook: Codebook, columns: list[str]) -> list[str]:
    """Columns that would link a pseudonymised row back to its raw record: row, submission id."""
    linked = {v.name for v in codebook.variables
              if any(s is not None and s.column in LINKING_SOURCES for s in v.sources.values())}
    return [c for c in columns if c == "source_row" or c in linked]


def data_dictionary(project: Project, codebook: Codebook, pseudonymised: bool = False,
                    omitted: list[str] | None = None) -> pd.DataFrame:
    """One row per published variable: label, type, value labels, special codes, rounds."""
    omitted = omitted or []
    rows = [dict(variable=name, label=label, type="string", value_labels="", special_codes="",
                 kind_column="", absent_in="") for name, label in PROVENANCE_COLUMNS.items()
            if name not in omitted]
    for variable in published_variables(codebook):
        if variable.name in omitted:
            continue
        codes = project.special_codes.get(variable.missing_codes or "", {})
        labels = codebook.labels_of(variable)
        rows.append(dict(
            variable=variable.name, label=variable.label, type=variable.type,
            value_labels="; ".join(f"{code}={label}" for code, label in labels.items()),
            special_codes="; ".join(f"{code}={kind}" for code, kind in codes.items()),
            kind_column=variable.name + KIND_SUFFIX if codes else "",
            absent_in=", ".join(r for r, source in variable.sources.items() if source is None),
        ))
    dictionary = pd.DataFrame(rows)
    if pseudonymised:
        is_id = dictionary["variable"] == project.respondent_id
        dictionary.loc[is_id, "label"] += " (pseudonym: keyed hash, HMAC-SHA256, 16 hex digits)"
    return dictionary

