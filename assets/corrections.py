"""Declared corrections: a consultant's CSV of cell fixes, re-applied on every run.

The ipacheck / iefieldkit idea: quarantine is resolved not by editing raw files but by a
corrections table (UTF-8 CSV, comma-separated: Excel's "CSV UTF-8"), one row per cell:

    round, source_file, source_row, respondent_id, column, old_value, new_value, reason, who

`column` is a canonical codebook variable (never a personal one, so the log holds no personal
data); values are canonical codes, as in the harmonised data. `respondent_id` and `old_value`
are optional safety checks: a correction is skipped (`id_mismatch`, `stale`) when its row no
longer holds that respondent or that value, so a fix written against older data never lands on
the wrong cell. `old_value` matches the current value (compared typed: `3.50` matches 3.5), a
special code of the cell's kind (`98` for dont_know) or, when the cell failed to convert, its raw
text. An empty `new_value` sets the cell missing; a special code of the variable's
`missing_codes` set sets its kind with no value; a select_multiple takes its chosen codes
space-separated (or `(none)`) and its 0/1 columns follow. A category value must be a declared
code (else `not_convertible`); ranges are left to validation.

Loading checks the whole file and every problem names file, line (the header is line 1) and
column. Applying never fails on one correction: each gets a status in the log (`applied`,
`row_not_found`, `column_not_found`, `id_mismatch`, `stale`, `not_convertible`, checked in this
order). Within a round, (source_file, source_row) identifies one row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from assets.harmonize import FAILURE_COLUMNS, ROUND, _convert, _kinds, kind_column
from assets.readers import SOURCE_FILE, SOURCE_ROW
from assets.select_multiple import NOTHING_CHOSEN
from schemas.declarations import Codebook, Project, Variable
from schemas.yaml_source import DeclarationError

CORRECTION_COLUMNS = [ROUND, SOURCE_FILE, SOURCE_ROW, "respondent_id", "column", "old_value",
                      "new_value", "reason", "who"]
OPTIONAL_CORRECTION_COLUMNS = ["respondent_id", "old_value"]  # the header may leave them out
LOG_COLUMNS = ["line", ROUND, SOURCE_FILE, SOURCE_ROW, "respondent_id", "column", "old_value",
               "new_value", "status", "reason", "who"]
APPLIED, ROW_NOT_FOUND, COLUMN_NOT_FOUND = "applied", "row_not_found", "column_not_found"
ID_MISMATCH, STALE, NOT_CONVERTIBLE = "id_mismatch", "stale", "not_convertible"

Cell = tuple[str, int, str]  # (source_file, source_row, column)


@dataclass(frozen=True)
class AppliedCorrections:
    """A round with its corrections applied, the log of every correction, the changed cells."""

    frame: pd.DataFrame
    log: pd.DataFrame
    cells: set[Cell]


# ------------------------------------------------------------------ declared CSV tables
def declaration_error(path: Path, line: int, column: str | None, problem: str) -> DeclarationError:
    """A DeclarationError located at `path`, `line` and `column`."""
    where = f"{path}:{line}: {column}: " if column else f"{path}:{line}: "
    return DeclarationError(where + problem, path=path, line=line, key=column)


def read_declared_csv(path: Path, required: Sequence[str],
                      optional: Sequence[str] = ()) -> list[tuple[int, dict[str, str]]]:
    """The rows of a declared CSV table as (line, stripped cells by column); header checked.

    Header names are case-insensitive; unknown or repeated columns are errors, as are cells
    beyond the header. Empty rows (Excel leaves `,,,,` lines) are skipped; a missing optional
    column reads as empty cells.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DeclarationError(f"{path}: file not found", path=path) from None
    except OSError as exc:
        raise DeclarationError(f"{path}: cannot read file ({exc.strerror})", path=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise declaration_error(path, line, None, "not valid UTF-8 (save the table as "
                                "'CSV UTF-8')") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    previous = 0
    try:
        for row in reader:
            records.append((previous + 1, row))
            previous = reader.line_num
    except csv.Error as exc:
        raise declaration_error(path, previous + 1, None, f"not a readable CSV row ({exc})"
                                ) from None
    if not records or not any(c.strip() for c in records[0][1]):
        raise declaration_error(path, 1, None, "missing header (expected the columns "
                                f"{', '.join(required)})")
    header = [c.strip().lower() for c in records[0][1]]
    while header[-1] == "":  # Excel keeps empty columns right of the table
        header.pop()
    allowed = [*required, *optional]
    if len(header) == 1 and (separator := next((s for s in ";\t" if s in header[0]), None)):
        raise declaration_error(path, 1, None, f"the header is split by {separator!r}: the "
                                "table must be comma-separated (save it as 'CSV UTF-8')")
    for i, name in enumerate(header):
        if name not in allowed:
            raise declaration_error(path, 1, name or f"column {i + 1}", "unknown column; "
                                    f"expected {', '.join(allowed)}")
        if name in header[:i]:
            raise declaration_error(path, 1, name, "column appears twice in the header")
    for name in required:
        if name not in header:
            raise declaration_error(path, 1, name, "missing column in the header")
    rows = []
    for line, row in records[1:]:
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if any(cells[len(header):]):
            raise declaration_error(path, line, None, f"{len(cells)} cells, but the header "
                                    f"has {len(header)} columns")
        values = dict.fromkeys(allowed, "")
        values.update(zip(header, cells, strict=False))
        rows.append((line, values))
    return rows


def required_cell(path: Path, line: int, cells: dict[str, str], column: str) -> str:
    """The non-empty cell `column` of a row, else a DeclarationError."""
    if not cells[column]:
        raise declaration_error(path, line, column, "is required (empty cell)")
    return cells[column]


def known_round(path: Path, line: int, cells: dict[str, str], rounds: Sequence[str]) -> str:
    """The row's declared round, else a DeclarationError."""
    name = required_cell(path, line, cells, ROUND)
    if name not in rounds:
        raise declaration_error(path, line, ROUND, f"unknown round {name!r} (declared: "
                                f"{', '.join(rounds)})")
    return name


def positive_row(path: Path, line: int, cells: dict[str, str]) -> int:
    """The row's source_row as a positive whole number, else a DeclarationError."""
    text = required_cell(path, line, cells, SOURCE_ROW)
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise declaration_error(path, line, SOURCE_ROW,
                                f"{text!r} is not a positive whole number (a row of the file)")
    return int(text)


def typed_table(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    """A declared table as a frame: `line` and source_row Int64, every other column string."""
    cleaned = [{k: None if v == "" else v for k, v in row.items()} for row in rows]
    table = pd.DataFrame(cleaned, columns=["line", *columns])
    return table.astype({c: "Int64" if c in ("line", SOURCE_ROW) else "string"
                         for c in table.columns})


# ------------------------------------------------------------------------- typing values
def convert_text(text: pd.Series, variable: Variable) -> tuple[pd.Series, pd.Series]:
    """Canonical text typed as the variable (as harmonisation does) and a not-convertible mask."""
    return _convert(text.astype("string"), variable)


def kinds_of(text: pd.Series, codes: dict[str, str]) -> pd.Series:
    """Kind of each canonical text cell: a special code's kind, missing when empty, else valid."""
    return _kinds(text.astype("string"), codes, [])


# ------------------------------------------------------------------------------ loading
def load_corrections(path: Path, codebook: Codebook, rounds: list[str]) -> pd.DataFrame:
    """Read and check a corrections CSV; every problem names file, line and column."""
    path = Path(path)
    required = [c for c in CORRECTION_COLUMNS if c not in OPTIONAL_CORRECTION_COLUMNS]
    variables = {v.name: v for v in codebook.variables}
    choice_columns = {choice.name: v.name for v in codebook.variables
                      if v.type == "select_multiple"
                      for choice in v.choice_variables(codebook.labels_of(v))}
    first_line: dict[tuple[str, str, int, str], int] = {}
    rows: list[dict[str, object]] = []
    for line, cells in read_declared_csv(path, required, OPTIONAL_CORRECTION_COLUMNS):
        round_name = known_round(path, line, cells, rounds)
        source_file = required_cell(path, line, cells, SOURCE_FILE)
        source_row = positive_row(path, line, cells)
        name = required_cell(path, line, cells, "column")
        if name in choice_columns:
            raise declaration_error(path, line, "column", f"{name!r} is a 0/1 column of the "
                                    f"select_multiple {choice_columns[name]!r}: correct "
                                    f"{choice_columns[name]!r} with its chosen codes instead")
        if name not in variables:
            raise declaration_error(path, line, "column",
                                    f"unknown codebook variable {name!r}")
        if variables[name].personal:
            raise declaration_error(path, line, "column", f"{name!r} is personal data: "
                                    "personal variables are never read, so never corrected")
        required_cell(path, line, cells, "reason")
        required_cell(path, line, cells, "who")
        key = (round_name, source_file, source_row, name)
        if key in first_line:
            raise declaration_error(path, line, "column", f"a second correction of {name!r} in "
                                    f"{source_file} row {source_row} (first on line "
                                    f"{first_line[key]})")
        first_line[key] = line
        rows.append({**cells, "line": line, SOURCE_ROW: source_row})
    return typed_table(rows, CORRECTION_COLUMNS)


# ----------------------------------------------------------------------------- applying
def apply_corrections(frame: pd.DataFrame, corrections: pd.DataFrame, round_name: str,
                      project: Project, codebook: Codebook,
                      conversion_failures: pd.DataFrame | None = None) -> AppliedCorrections:
    """Apply this round's corrections to a copy of its harmonised frame and log every one.

    Pass harmonisation's `conversion_failures` so that an `old_value` may name the raw text of a
    cell that failed to convert, and such a cell counts as changed once corrected (the caller
    then drops its failure: see `uncorrected_failures`).
    """
    todo = corrections[corrections[ROUND].eq(round_name).fillna(False).to_numpy(bool)]
    todo = todo.sort_values("line").reset_index(drop=True)
    out = frame.copy()
    status = pd.Series("", index=todo.index, dtype=object)
    position = row_positions(frame, todo)
    status[position < 0] = ROW_NOT_FOUND
    status[(status == "") & ~todo["column"].isin(frame.columns)] = COLUMN_NOT_FOUND
    status[(status == "") & ~_same_ids(frame, todo, position, project, codebook)] = ID_MISMATCH
    failed = _failure_texts(conversion_failures, round_name)
    cells: set[Cell] = set()
    for name, group in todo[status == ""].groupby("column", sort=False):
        variable = codebook.variable(str(name))
        rows = position[group.index]
        current = frame[name].iloc[rows].reset_index(drop=True)
        kind = _current_kinds(frame, str(name), rows)
        raw = pd.Series([failed.get((f, int(r), name), pd.NA) for f, r in
                         zip(group[SOURCE_FILE], group[SOURCE_ROW], strict=True)], dtype="string")
        old = group["old_value"].reset_index(drop=True)
        fresh = old.isna() | _old_matches(old, current, kind, raw, variable, project, codebook)
        new = _new_values(group["new_value"].reset_index(drop=True), variable, project, codebook)
        ok = fresh & ~new.bad
        status[group.index[~fresh.to_numpy()]] = STALE
        status[group.index[(fresh & new.bad).to_numpy()]] = NOT_CONVERTIBLE
        status[group.index[ok.to_numpy()]] = APPLIED
        if not ok.any():
            continue
        rows, new = rows[ok.to_numpy()], new.subset(ok.to_numpy())
        changed = (~_same(current[ok], new.values) | ~_same(kind[ok], new.kinds)
                   | raw[ok].notna().to_numpy())
        _write(out, str(name), rows, new)
        cells.update((f, int(r), str(name)) for f, r in zip(
            out[SOURCE_FILE].to_numpy()[rows[changed]], out[SOURCE_ROW].to_numpy()[rows[changed]],
            strict=True))
    log = todo.assign(status=status.astype("string")).reindex(columns=LOG_COLUMNS)
    return AppliedCorrections(out, log, cells)


def uncorrected_failures(failures: pd.DataFrame, cells: set[Cell]) -> pd.DataFrame:
    """The conversion failures whose cell no applied correction replaced."""
    if failures.empty or not cells:
        return failures
    keys = zip(failures[SOURCE_FILE], failures[SOURCE_ROW], failures["column"], strict=True)
    keep = [(f, int(r), c) not in cells for f, r, c in keys]
    return failures[keep].reset_index(drop=True)


@dataclass(frozen=True)
class _NewValues:
    """Typed new values of one variable's corrections (extra: a select_multiple's 0/1 columns)."""

    values: pd.Series
    kinds: pd.Series
    bad: pd.Series
    extra: dict[str, pd.Series]

    def subset(self, mask: np.ndarray) -> _NewValues:
        def pick(s: pd.Series) -> pd.Series:
            return s[mask].reset_index(drop=True)
        return _NewValues(pick(self.values), pick(self.kinds), pick(self.bad),
                          {k: pick(v) for k, v in self.extra.items()})


def row_positions(frame: pd.DataFrame, todo: pd.DataFrame) -> np.ndarray:
    """Position in `frame` of each (source_file, source_row) of `todo`, -1 when absent."""
    hit = (frame[SOURCE_FILE].isin(todo[SOURCE_FILE].dropna().unique())
           & frame[SOURCE_ROW].isin(todo[SOURCE_ROW].dropna().unique())).to_numpy(bool)
    found: dict[tuple[str, int], int] = {}
    for pos, f, r in zip(np.flatnonzero(hit), frame[SOURCE_FILE].to_numpy()[hit],
                         frame[SOURCE_ROW].to_numpy()[hit], strict=True):
        found.setdefault((str(f), int(r)), int(pos))
    return np.array([found.get((str(f), int(r)), -1) for f, r in
                     zip(todo[SOURCE_FILE], todo[SOURCE_ROW], strict=True)], dtype=np.int64)


def _same_ids(frame: pd.DataFrame, todo: pd.DataFrame, position: np.ndarray, project: Project,
              codebook: Codebook) -> pd.Series:
    """True where no respondent id is given or it equals the row's id (compared typed)."""
    given = todo["respondent_id"]
    same = pd.Series(True, index=todo.index)
    check = given.notna().to_numpy() & (position >= 0)
    if not check.any():
        return same
    if project.respondent_id not in frame.columns:
        same[check] = False
        return same
    current = frame[project.respondent_id].iloc[position[check]].reset_index(drop=True)
    typed, _ = convert_text(given[check].reset_index(drop=True),
                            codebook.variable(project.respondent_id))
    same[check] = _same(current, typed) & current.notna().to_numpy()
    return same


def _failure_texts(failures: pd.DataFrame | None, round_name: str) -> dict[Cell, str]:
    if failures is None or failures.empty:
        return {}
    rows = failures[failures[ROUND].astype("string").eq(round_name).fillna(False).to_numpy(bool)]
    rows = rows.reindex(columns=FAILURE_COLUMNS)
    return {(str(f), int(r), str(c)): v for f, r, c, v in zip(
        rows[SOURCE_FILE], rows[SOURCE_ROW], rows["column"], rows["value"], strict=True)
        if not pd.isna(v)}


def _current_kinds(frame: pd.DataFrame, name: str, rows: np.ndarray) -> pd.Series:
    """Kinds of the cells: the kind column, or valid/missing by the value when there is none."""
    if kind_column(name) in frame.columns:
        return frame[kind_column(name)].iloc[rows].astype("string").reset_index(drop=True)
    present = frame[name].iloc[rows].notna().to_numpy()
    return pd.Series(np.where(present, "valid", "missing"), dtype="string")


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Elementwise: equal values, or both missing."""
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    equal = (a == b).fillna(False).to_numpy(bool) if len(a) else np.zeros(0, bool)
    return equal | (a.isna().to_numpy() & b.isna().to_numpy())


def _codes(variable: Variable, project: Project) -> dict[str, str]:
    return project.special_codes.get(variable.missing_codes or "", {})


def _old_matches(old: pd.Series, current: pd.Series, kind: pd.Series, raw: pd.Series,
                 variable: Variable, project: Project, codebook: Codebook) -> pd.Series:
    """Where the given old value still describes the cell."""
    codes = _codes(variable, project)
    match = old.eq(raw).fillna(False).to_numpy(bool)
    special = old.isin(list(codes)).to_numpy(bool)
    match |= special & kind.eq(old.map(codes)).fillna(False).to_numpy(bool)
    if variable.type == "select_multiple":
        typed, bad = _choice_summary(old, list(codebook.labels_of(variable)))
        match |= ~bad.to_numpy() & _same(typed, current) & old.notna().to_numpy()
    else:
        typed, bad = convert_text(old.where(~special), variable)
        valid = kind.eq("valid").fillna(False).to_numpy(bool)
        match |= (~special & valid & ~bad.to_numpy() & _same(typed, current)
                  & typed.notna().to_numpy())
    return pd.Series(match, index=old.index)


def _new_values(text: pd.Series, variable: Variable, project: Project,
                codebook: Codebook) -> _NewValues:
    if variable.type == "select_multiple":
        choices = list(codebook.labels_of(variable))
        summary, bad = _choice_summary(text, choices)
        chosen = summary.str.split(" ")
        extra = {}
        for code, choice in zip(choices, variable.choice_variables(codebook.labels_of(variable)),
                                strict=True):
            flags = chosen.map(lambda c, code=code: pd.NA if not isinstance(c, list)
                               else int(code in c))
            extra[choice.name] = flags.astype("Int64")
        kinds = pd.Series(np.where(summary.notna(), "valid", "missing"), dtype="string")
        return _NewValues(summary, kinds, bad, extra)
    kinds = kinds_of(text, _codes(variable, project))
    values, bad = convert_text(text.where(kinds == "valid"), variable)
    if variable.type == "category":
        declared = list(codebook.labels_of(variable))
        bad = bad | (values.notna() & ~values.isin(declared)).fillna(False)
    return _NewValues(values, kinds, bad.astype(bool), {})


def _choice_summary(text: pd.Series, choices: list[str]) -> tuple[pd.Series, pd.Series]:
    """Chosen codes in declared order (NOTHING_CHOSEN kept), and where a code is undeclared."""
    summary, bad = [], []
    for cell in text:
        tokens = [] if pd.isna(cell) else str(cell).split()
        if not tokens:
            summary.append(pd.NA)
            bad.append(False)
        elif tokens == [NOTHING_CHOSEN]:
            summary.append(NOTHING_CHOSEN)
            bad.append(False)
        else:
            wrong = any(t not in choices for t in tokens) or len(set(tokens)) != len(tokens)
            summary.append(pd.NA if wrong else " ".join(c for c in choices if c in tokens))
            bad.append(wrong)
    return pd.Series(summary, dtype="string"), pd.Series(bad, dtype=bool)


def _write(out: pd.DataFrame, name: str, rows: np.ndarray, new: _NewValues) -> None:
    """Write typed values (and kinds, and 0/1 columns) into `out` at positions `rows`."""
    for column, values in [(name, new.values), *new.extra.items()]:
        if column in out.columns:
            updated = out[column].copy()
            updated.iloc[rows] = values.astype(updated.dtype).array
            out[column] = updated
    kinds = kind_column(name)
    if kinds not in out.columns:
        if new.kinds.isin(["valid", "missing"]).all():
            return
        present = out[name].notna().to_numpy()
        out.insert(out.columns.get_loc(name) + 1, kinds,
                   pd.Series(np.where(present, "valid", "missing"), index=out.index,
                             dtype="string"))
    updated = out[kinds].copy()
    updated.iloc[rows] = new.kinds.array
    out[kinds] = updated
