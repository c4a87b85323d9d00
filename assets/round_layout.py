"""Rounds as they arrive: their own files, one pooled (long) file, or one wide panel file.

A pooled file holds several rounds, told apart by a round column (`wave` = 1 / 2, or its
labels); a wide file holds one row per respondent and a column per round, which the codebook
names. Every round sharing a file reads the same columns, so the file is parsed once (the Parquet
cache) and split, never re-parsed per round.
"""

from __future__ import annotations

import pandas as pd

from assets.columns import resolve_column
from assets.harmonize import needed_columns
from schemas.declarations import Codebook, Project, RoundDeclaration


def rounds_sharing(project: Project, round_decl: RoundDeclaration) -> list[RoundDeclaration]:
    """The rounds read from the same files as `round_decl` (itself only when separate)."""
    if round_decl.layout == "separate":
        return [round_decl]
    return [r for r in project.rounds
            if r.layout == round_decl.layout and r.files == round_decl.files]


def shared_usecols(codebook: Codebook, rounds: list[RoundDeclaration],
                   header: list[str]) -> list[str]:
    """The columns every round of a shared file needs, plus the round columns: one parse."""
    wanted = [c for r in rounds for c in needed_columns(codebook, r.name, header)]
    wanted += [c for r in rounds if r.round_column
               and (c := resolve_column(r.round_column, header)) is not None]
    return [c for c in header if c in set(wanted)]


def round_rows(frame: pd.DataFrame, round_decl: RoundDeclaration, sharing: list[RoundDeclaration],
               codebook: Codebook, value_labels: dict[str, dict[str, str]],
               file: str) -> tuple[pd.Series, dict]:
    """Which rows of a shared file belong to the round, and the counts that account for all."""
    everything = pd.Series(True, index=frame.index)
    if round_decl.layout == "long":
        return _pooled_rows(frame, round_decl, sharing, value_labels, file)
    if round_decl.layout == "wide":
        return _wide_rows(frame, round_decl, sharing, codebook)
    return everything, {}


def _pooled_rows(frame: pd.DataFrame, round_decl: RoundDeclaration,
                 sharing: list[RoundDeclaration], value_labels: dict[str, dict[str, str]],
                 file: str) -> tuple[pd.Series, dict]:
    column = resolve_column(round_decl.round_column or "", list(frame.columns))
    if column is None:
        raise ValueError(f"{file}: round {round_decl.name!r}: no round column "
                         f"{round_decl.round_column!r} in the pooled file")
    values = frame[column]
    labels = value_labels.get(column, {})

    def matches(decl: RoundDeclaration) -> pd.Series:
        wanted = {decl.round_value} | {code for code, label in labels.items()
                                       if label == decl.round_value}
        return values.isin(wanted).fillna(False).astype(bool)

    mine = matches(round_decl)
    claimed = pd.Series(False, index=frame.index)
    for decl in sharing:
        claimed |= matches(decl)
    unclaimed = sorted(set(values[~claimed].fillna("(empty)")))
    counts = {"rows_in_file": len(frame), "rows_of_other_rounds": int((claimed & ~mine).sum()),
              "rows_of_no_declared_round": int((~claimed).sum())}
    if unclaimed:
        counts["round_values_not_declared"] = unclaimed[:20]
    return mine, counts


def _wide_rows(frame: pd.DataFrame, round_decl: RoundDeclaration,
               sharing: list[RoundDeclaration], codebook: Codebook) -> tuple[pd.Series, dict]:
    columns = list(frame.columns)
    own = set(needed_columns(codebook, round_decl.name, columns))
    for other in sharing:
        if other.name != round_decl.name:
            own -= set(needed_columns(codebook, other.name, columns))
    if not own:
        return pd.Series(True, index=frame.index), {"rows_in_file": len(frame)}
    # A respondent with every round-specific column empty was not interviewed in this round
    # (attrition, or a later entry into the panel): counted, not validated as a bad row.
    present = frame[sorted(own)].notna().any(axis=1)
    return present, {"rows_in_file": len(frame),
                     "rows_not_interviewed": int((~present).sum())}
