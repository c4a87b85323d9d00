"""Rebuild select_multiple answers as a 0/1 matrix over all declared choices.

Exports carry a select_multiple question `q` as a summary column of space-separated choice codes,
as one 0/1 column per choice (`q/choice`; `q_choice` for SurveyCTO), or both; see
../shared/spec/inputs.md. The summary is authoritative when present: ODK Central fills the split
columns with 0 even when the question was skipped. Without a summary, an empty split cell means
"not asked" (KoboToolbox).

Conventions: a row not asked is <NA> in the matrix and the summary; a row asked with no declared
choice chosen is all 0 in the matrix and NOTHING_CHOSEN in the summary (never "", which text
files cannot tell from missing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NOTHING_CHOSEN = "(none)"  # not a valid XML name, so never a choice code
CHOSEN_CELLS = frozenset({"1", "True", "true", "TRUE"})
NOT_CHOSEN_CELLS = frozenset({"0", "False", "false", "FALSE"})
_NA = -1  # "no information" in the int8 working arrays (0 and 1 keep their meaning)


class QuestionNotFoundError(KeyError):
    """A select_multiple question with neither a summary column nor split columns."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ChoiceMatrix:
    """A select_multiple question rebuilt over its declared choices, plus what did not fit."""

    matrix: pd.DataFrame  # Int64 column per declared choice: 1 chosen, 0 not, <NA> not asked
    summary: pd.Series  # "string": chosen codes in declared order, NOTHING_CHOSEN, or <NA>
    undeclared: pd.DataFrame  # row, value: chosen codes not declared (after recode)
    disagreements: pd.DataFrame  # row, summary, split: rows where the split columns contradict
    invalid: pd.DataFrame  # row, column, value: split cells that are not 0/1
    source: str  # "summary", "split" or "summary+split"

    @property
    def asked(self) -> pd.Series:
        """True on rows where the question was asked."""
        return self.matrix.notna().all(axis=1)


@dataclass(frozen=True)
class _Layout:
    codes: list[str]  # canonical code of each column of `values`
    values: np.ndarray  # int8 (rows, codes): 1, 0 or _NA
    asked: np.ndarray  # bool per row


def rebuild_choices(
    raw: pd.DataFrame,
    column: str,
    choices: list[str],
    separator: str = "/",
    recode: dict[str, str] | None = None,
) -> ChoiceMatrix:
    """Rebuild question `column` from its summary and/or split columns over declared `choices`."""
    declared = list(choices)
    if not declared or len(set(declared)) != len(declared) or NOTHING_CHOSEN in declared:
        raise ValueError(f"{column}: choices must be distinct codes, got {declared}")
    recode = recode or {}
    split_names = _split_columns(raw, column, separator, recode, set(declared))
    has_summary = column in raw.columns
    if not has_summary and not split_names:
        raise QuestionNotFoundError(
            f"select_multiple {column!r}: no summary column {column!r} and no split columns "
            f"'{column}{separator}<choice>'")
    summary = _summary_layout(raw[column], recode) if has_summary else None
    split, invalid = _split_layout(raw, split_names)
    summary_codes = summary.codes if summary is not None else []
    universe = list(dict.fromkeys(declared + summary_codes + split.codes))
    authority = summary if summary is not None else split
    values = _align(authority, universe)
    final = np.where(authority.asked[:, None], np.maximum(values, 0), _NA).astype(np.int8)
    chosen = final[:, : len(declared)]
    text = raw[column] if has_summary else pd.Series(pd.NA, index=raw.index, dtype="string")
    # with a single layout the split view equals the final one, so nothing is reported
    disagreements = _disagreements(raw.index, text, authority.asked, final,
                                   _align(split, universe), universe)
    return ChoiceMatrix(
        matrix=_int_frame(chosen, declared, raw.index),
        summary=pd.Series(_joined(chosen, declared), index=raw.index, name=column,
                          dtype="string"),
        undeclared=_undeclared(raw.index, final, universe, len(declared)),
        disagreements=disagreements,
        invalid=invalid,
        source="+".join(name for name, present in (("summary", has_summary),
                                                   ("split", bool(split_names))) if present),
    )


def _split_columns(
    raw: pd.DataFrame, column: str, separator: str, recode: dict[str, str], declared: set[str],
) -> dict[str, list[str]]:
    """Canonical code -> split columns holding it (several when versions renamed a code)."""
    prefix = column + separator
    found: dict[str, list[str]] = {}
    for name in raw.columns:
        if not isinstance(name, str) or not name.startswith(prefix) or name == prefix:
            continue
        code = recode.get(name[len(prefix):], name[len(prefix):])
        # with "_" as separator `q_other_text` may be another question: an undeclared suffix
        # counts only when its cells look like 0/1 dummies (it is then reported as undeclared)
        if code in declared or _dummy_like(raw[name]):
            found.setdefault(code, []).append(name)
    return found


def _dummy_like(cells: pd.Series) -> bool:
    return set(cells.dropna().unique()) <= CHOSEN_CELLS | NOT_CHOSEN_CELLS


def _summary_layout(text: pd.Series, recode: dict[str, str]) -> _Layout:
    """Parse each distinct summary text once, then spread by row (few distinct combinations)."""
    per_row, distinct = pd.factorize(text.astype("string"), use_na_sentinel=True)
    parsed = [list(dict.fromkeys(recode.get(t, t) for t in str(u).split())) for u in distinct]
    codes = list(dict.fromkeys(code for tokens in parsed for code in tokens))
    position = {code: j for j, code in enumerate(codes)}
    table = np.full((len(distinct) + 1, len(codes)), _NA, dtype=np.int8)
    for i, tokens in enumerate(parsed):
        if tokens:  # a whitespace-only cell is as empty as an empty one
            table[i, :] = 0
            table[i, [position[c] for c in tokens]] = 1
    # factorize gives -1 for a missing cell, which picks the last (all _NA) row of the table
    asked = np.array([bool(tokens) for tokens in parsed] + [False])[per_row]
    return _Layout(codes, table[per_row], asked)


def _split_layout(
    raw: pd.DataFrame, names: dict[str, list[str]],
) -> tuple[_Layout, pd.DataFrame]:
    """Split columns as 1/0/_NA per canonical code, and the cells that are not 0/1."""
    values = np.full((len(raw), len(names)), _NA, dtype=np.int8)
    rows, columns, texts = [], [], []
    for j, sources in enumerate(names.values()):
        for name in sources:
            cells = raw[name]
            chosen = cells.isin(CHOSEN_CELLS).to_numpy(dtype=bool, na_value=False)
            not_chosen = cells.isin(NOT_CHOSEN_CELLS).to_numpy(dtype=bool, na_value=False)
            cell = np.where(chosen, 1, np.where(not_chosen, 0, _NA)).astype(np.int8)
            values[:, j] = np.maximum(values[:, j], cell)  # any 1 wins, then any 0
            bad = np.flatnonzero(cells.notna().to_numpy(dtype=bool) & (cell == _NA))
            rows.append(bad)
            columns.extend([name] * len(bad))
            texts.append(cells.to_numpy()[bad])
    positions = np.concatenate(rows) if rows else np.zeros(0, dtype=int)
    invalid = pd.DataFrame({
        "row": raw.index[positions],
        "column": pd.array(columns, dtype="string"),
        "value": pd.array(np.concatenate(texts) if texts else [], dtype="string"),
    })
    return _Layout(list(names), values, (values != _NA).any(axis=1)), invalid


def _align(layout: _Layout, universe: list[str]) -> np.ndarray:
    """The layout's values with one column per universe code, _NA where it has none."""
    out = np.full((layout.values.shape[0], len(universe)), _NA, dtype=np.int8)
    where = {code: j for j, code in enumerate(layout.codes)}
    for k, code in enumerate(universe):
        if code in where:
            out[:, k] = layout.values[:, where[code]]
    return out


def _joined(values: np.ndarray, codes: list[str]) -> np.ndarray:
    """Space-joined chosen codes per row, built once per distinct row pattern."""
    pattern_of_row = np.zeros(len(values), dtype=np.int64)
    for j in range(values.shape[1]):  # renumbering after each column keeps the keys small
        pattern_of_row = pd.factorize(pattern_of_row * 3 + values[:, j] + 1)[0]
    first_row = np.zeros(pattern_of_row.max() + 1 if len(values) else 0, dtype=np.int64)
    first_row[pattern_of_row[::-1]] = np.arange(len(values))[::-1]
    texts = []
    for pattern in values[first_row]:
        if (pattern == _NA).all():
            texts.append(None)
        else:
            chosen = [codes[j] for j in np.flatnonzero(pattern == 1)]
            texts.append(" ".join(chosen) or NOTHING_CHOSEN)
    return np.array(texts, dtype=object)[pattern_of_row]


def _int_frame(values: np.ndarray, codes: list[str], index: pd.Index) -> pd.DataFrame:
    mask = values == _NA
    return pd.DataFrame(
        {code: pd.arrays.IntegerArray(values[:, j].astype("int64"), mask[:, j].copy())
         for j, code in enumerate(codes)},
        index=index,
    )


def _undeclared(
    index: pd.Index, final: np.ndarray, universe: list[str], n_declared: int,
) -> pd.DataFrame:
    rows, cols = np.nonzero(final[:, n_declared:] == 1)
    return pd.DataFrame({
        "row": index[rows],
        "value": pd.array(np.array(universe[n_declared:], dtype=object)[cols], dtype="string"),
    })


def _disagreements(
    index: pd.Index, text: pd.Series, asked: np.ndarray, summary: np.ndarray,
    split: np.ndarray, universe: list[str],
) -> pd.DataFrame:
    """Rows where the split columns contradict the summary (a 1 on a not-asked row counts)."""
    contradicts = ((split != _NA) & (split != summary)).any(axis=1)
    chose_anyway = (split == 1).any(axis=1)
    rows = np.flatnonzero(np.where(asked, contradicts, chose_anyway))
    return pd.DataFrame({
        "row": index[rows],
        "summary": pd.array(text.to_numpy()[rows], dtype="string"),
        "split": pd.array(_joined(split[rows], universe), dtype="string"),
    })
