"""Duplicate submissions, and the consultant's declared resolution of them.

`find_duplicates` lists two kinds of duplicates in a harmonised round. `exact`: a row whose
content (every column but provenance, `meta:` platform columns and the `ignore` list, e.g.
submission ids) repeats an earlier row; only the later copies are listed, each pointing at the
first. `conflicting`: rows (exact copies set aside, missing ids never grouped) that share a
respondent id but differ in content; every row of the group is listed, the group's first row too
(pointing at itself, with empty `differing_variables`), so the table shows every candidate to
keep. `differing_variables` names, `;`-joined in column order, the variables where a row
differs from its group's first row; a column `<variable>__<suffix>` (a kind, a select_multiple
choice) is folded into its variable. `group` numbers the groups 1, 2, ... in the order of their
first row (an exact and a conflicting group of the same respondent are different groups).

The resolution is a CSV next to project.yaml (UTF-8, comma-separated), one row per submission:

    round, source_file, source_row, action, new_id, reason, who

`drop` removes the row from the round: it is returned with its reason so the caller quarantines
it (nothing is lost; rows in = rows out + dropped). `new_id` gives the row another respondent id
(a different person interviewed under a reused id). `keep` only records the decision: the other
rows of the group are not touched, so a conflicting row without its own `drop` or `new_id` stays
and validation flags it as a repeated id again. Every problem of the file names file, line and
column; applying logs each resolution as `applied`, `row_not_found` or `not_convertible` (a
new id the id column's type cannot hold).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from assets.corrections import (
    declaration_error,
    known_round,
    positive_row,
    read_declared_csv,
    required_cell,
    row_positions,
    typed_table,
)
from assets.harmonize import META_PREFIX, PROVENANCE, ROUND, kind_column
from assets.readers import SOURCE_FILE, SOURCE_ROW

DUPLICATE_COLUMNS = ["kind", "respondent_id", SOURCE_FILE, SOURCE_ROW, "group",
                     "first_source_file", "first_source_row", "differing_variables"]
RESOLUTION_COLUMNS = [ROUND, SOURCE_FILE, SOURCE_ROW, "action", "new_id", "reason", "who"]
RESOLUTION_LOG_COLUMNS = ["line", ROUND, SOURCE_FILE, SOURCE_ROW, "respondent_id", "action",
                          "new_id", "status", "reason", "who"]
ACTIONS = ("keep", "drop", "new_id")
EXACT, CONFLICTING = "exact", "conflicting"
DROP_REASON = "dropped by duplicate resolution: {reason} ({who})"


@dataclass(frozen=True)
class ResolvedDuplicates:
    """A round after its duplicate resolution, the rows it dropped (with reasons), the log."""

    frame: pd.DataFrame
    dropped: pd.DataFrame
    log: pd.DataFrame


# -------------------------------------------------------------------------------- finding
def content_columns(frame: pd.DataFrame, ignore: list[str]) -> list[str]:
    """The columns that make a row's content: not provenance, not `meta:`, not ignored."""
    skip = set(PROVENANCE) | set(ignore)
    return [c for c in frame.columns if c not in skip and not str(c).startswith(META_PREFIX)]


def find_duplicates(frame: pd.DataFrame, id_column: str, ignore: list[str]) -> pd.DataFrame:
    """Exact repeats (later copies) and conflicting rows sharing a respondent id, one row each."""
    if id_column not in frame.columns:
        raise KeyError(f"respondent id column {id_column!r} is not in the frame")
    data = frame.reset_index(drop=True)
    content = content_columns(data, ignore)
    rows = np.flatnonzero(data.duplicated(subset=content, keep=False).to_numpy())
    exact = np.zeros(len(data), bool)
    parts = []
    if len(rows):  # one pass over the whole frame; the rest works on the repeated rows only
        repeated = data.iloc[rows]
        later = repeated.duplicated(subset=content, keep="first").to_numpy()
        exact[rows[later]] = True
        first = _first_of_groups(repeated.groupby(content, dropna=False, sort=False)
                                 .ngroup().to_numpy(), rows)
        parts.append((EXACT, rows[later], first[later], None))
    ids = data[id_column]
    candidates = np.flatnonzero(~exact & ids.notna().to_numpy())
    repeated = ids.iloc[candidates].duplicated(keep=False).to_numpy()
    if repeated.any():
        rows = candidates[repeated]
        keys = pd.factorize(ids.iloc[rows])[0]
        first = _first_of_groups(keys, rows)
        parts.append((CONFLICTING, rows, first, _differing(data, content, rows, first)))
    if not parts:
        return _empty_duplicates()
    kind = np.concatenate([np.full(len(p[1]), p[0], dtype=object) for p in parts])
    rows = np.concatenate([p[1] for p in parts])
    first = np.concatenate([p[2] for p in parts])
    differing = np.concatenate([p[3] if p[3] is not None else np.full(len(p[1]), "", object)
                                for p in parts])
    groups = pd.DataFrame({"first": first, "kind": kind})
    numbers = groups.drop_duplicates().sort_values(["first", "kind"]).reset_index(drop=True)
    numbers["group"] = np.arange(1, len(numbers) + 1)
    group = groups.merge(numbers, on=["first", "kind"], how="left")["group"].to_numpy()
    order = np.lexsort((rows, group))
    table = pd.DataFrame({
        "kind": kind[order],
        "respondent_id": ids.astype("string").to_numpy()[rows[order]],
        SOURCE_FILE: data[SOURCE_FILE].to_numpy()[rows[order]],
        SOURCE_ROW: data[SOURCE_ROW].to_numpy()[rows[order]],
        "group": group[order],
        "first_source_file": data[SOURCE_FILE].to_numpy()[first[order]],
        "first_source_row": data[SOURCE_ROW].to_numpy()[first[order]],
        "differing_variables": differing[order],
    })
    return table.astype(_DUPLICATE_TYPES)


_DUPLICATE_TYPES = {c: "Int64" if c in (SOURCE_ROW, "group", "first_source_row") else "string"
                    for c in DUPLICATE_COLUMNS}


def _empty_duplicates() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _DUPLICATE_TYPES.items()})


def _first_of_groups(keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each row (positions in ascending order), the position of its group's first row."""
    firsts = pd.Series(rows).groupby(keys, sort=False).transform("min")
    return firsts.to_numpy(dtype=np.int64)


def _differing(data: pd.DataFrame, content: list[str], rows: np.ndarray,
               first: np.ndarray) -> np.ndarray:
    """`;`-joined variables where each row differs from its group's first row."""
    present = set(content)
    variables: dict[str, np.ndarray] = {}
    for column in content:
        base = column.split("__", 1)[0] if "__" in column else column
        variable = base if base in present else column
        a = data[column].iloc[rows].reset_index(drop=True)
        b = data[column].iloc[first].reset_index(drop=True)
        same = (a == b).fillna(False).to_numpy(bool) | (a.isna() & b.isna()).to_numpy(bool)
        variables[variable] = variables.get(variable, np.zeros(len(rows), bool)) | ~same
    if not variables:
        return np.full(len(rows), "", dtype=object)
    names = np.array([name + ";" for name in variables], dtype=object)
    flags = np.column_stack(list(variables.values()))
    joined = (flags.astype(object) * names).sum(axis=1)
    return np.array([text.rstrip(";") if isinstance(text, str) else "" for text in joined],
                    dtype=object)


# ------------------------------------------------------------------------------ resolving
def load_resolution(path: Path, rounds: list[str]) -> pd.DataFrame:
    """Read and check a duplicate-resolution CSV; every problem names file, line and column."""
    path = Path(path)
    required = [c for c in RESOLUTION_COLUMNS if c != "new_id"]
    first_line: dict[tuple[str, str, int], int] = {}
    rows: list[dict[str, object]] = []
    for line, cells in read_declared_csv(path, required, ["new_id"]):
        round_name = known_round(path, line, cells, rounds)
        source_file = required_cell(path, line, cells, SOURCE_FILE)
        source_row = positive_row(path, line, cells)
        action = required_cell(path, line, cells, "action")
        if action not in ACTIONS:
            raise declaration_error(path, line, "action", f"{action!r} is not one of "
                                    f"{', '.join(ACTIONS)}")
        if action == "new_id" and not cells["new_id"]:
            raise declaration_error(path, line, "new_id", "action new_id needs the new id")
        if action != "new_id" and cells["new_id"]:
            raise declaration_error(path, line, "new_id", f"a new id is given, but the action "
                                    f"is {action!r} (use action new_id)")
        required_cell(path, line, cells, "reason")
        required_cell(path, line, cells, "who")
        key = (round_name, source_file, source_row)
        if key in first_line:
            raise declaration_error(path, line, SOURCE_ROW, f"{source_file} row {source_row} is "
                                    f"resolved twice (first on line {first_line[key]})")
        first_line[key] = line
        rows.append({**cells, "line": line, SOURCE_ROW: source_row})
    return typed_table(rows, RESOLUTION_COLUMNS)


def apply_resolution(frame: pd.DataFrame, resolution: pd.DataFrame, round_name: str,
                     id_column: str) -> ResolvedDuplicates:
    """Apply this round's resolutions: drop rows (returned with reasons), give new ids, log."""
    if id_column not in frame.columns:
        raise KeyError(f"respondent id column {id_column!r} is not in the frame")
    todo = resolution[resolution[ROUND].eq(round_name).fillna(False).to_numpy(bool)]
    todo = todo.sort_values("line").reset_index(drop=True)
    data = frame.reset_index(drop=True)
    position = row_positions(data, todo)
    status = np.where(position < 0, "row_not_found", "applied").astype(object)
    ids = data[id_column]
    current = [str(ids.iloc[p]) if p >= 0 and not pd.isna(ids.iloc[p]) else None
               for p in position]
    out = data.copy()
    change = (todo["action"].eq("new_id").fillna(False).to_numpy(bool)) & (position >= 0)
    if change.any():
        new_ids = todo.loc[change, "new_id"].reset_index(drop=True)
        try:
            typed = new_ids.astype(out[id_column].dtype)
        except (TypeError, ValueError):
            typed = None
        if typed is None:  # one by one, to log the ids the column cannot hold
            cast = [_cast(v, out[id_column].dtype) for v in new_ids]
            fits = np.array([c is not _UNFIT for c in cast])
            status[np.flatnonzero(change)[~fits]] = "not_convertible"
            change[np.flatnonzero(change)[~fits]] = False
            typed = pd.Series([c for c in cast if c is not _UNFIT], dtype=out[id_column].dtype)
        updated = out[id_column].copy()
        updated.iloc[position[change]] = typed.array
        out[id_column] = updated
        if kind_column(id_column) in out.columns:
            kinds = out[kind_column(id_column)].copy()
            kinds.iloc[position[change]] = "valid"
            out[kind_column(id_column)] = kinds
    drop = todo["action"].eq("drop").fillna(False).to_numpy(bool) & (position >= 0)
    dropped = out.iloc[position[drop]].copy()
    dropped["reasons"] = [DROP_REASON.format(reason=r, who=w) for r, w in
                          zip(todo.loc[drop, "reason"], todo.loc[drop, "who"], strict=True)]
    kept = np.ones(len(out), bool)
    kept[position[drop]] = False
    log = todo.assign(respondent_id=pd.array(current, dtype="string"),
                      status=pd.array(status.tolist(), dtype="string"))
    log = log.reindex(columns=RESOLUTION_LOG_COLUMNS)
    return ResolvedDuplicates(out[kept].reset_index(drop=True), dropped.reset_index(drop=True),
                              log)


_UNFIT = object()


def _cast(value: str, dtype: object) -> object:
    try:
        return pd.Series([value]).astype(dtype).iloc[0]
    except (TypeError, ValueError):
        return _UNFIT
