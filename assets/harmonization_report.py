"""What harmonisation did to each round, so nobody compares apples with oranges.

`variable_mapping` says, per round and codebook variable, where the values came from:

- `matched`: the source column has the canonical name;
- `renamed`: another source name (`from X`), also when found only by ignoring case or group path;
- `recoded`: the variable has a recode; this wins over `renamed`, and the detail names both;
- `absent`: declared null in that round; `not_found`: declared, but no file column fits;
- `personal_dropped`: personal data, dropped at harmonisation (names only, never values);
- `unmapped_source`: a raw column no variable maps to (the variable is empty).

A select_multiple's split columns (`q/choice`, or the declared `choice_separator`) belong to `q`.

`label_differences` compares the value labels each round fielded for its category and
select_multiple variables, on canonical codes (source codes mapped through the round's recode):
between every pair of rounds (`label_changed`, `new_code`) and against the codebook's labels
(other_round `codebook`: `label_changed`, `not_in_codebook`). Special codes are compared too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from assets.columns import last_part, resolve_column
from assets.readers import SOURCE_FILE, SOURCE_ROW, RawFile
from schemas.declarations import Codebook, SourceColumn, Variable

MAPPING_COLUMNS = ["round", "variable", "source_column", "status", "detail"]
DIFFERENCE_COLUMNS = ["variable", "code", "round", "label", "other_round", "other_label",
                      "difference"]
STATUSES = ["matched", "renamed", "recoded", "absent", "not_found", "personal_dropped",
            "unmapped_source"]
DIFFERENCES = ["label_changed", "new_code", "not_in_codebook"]
CODEBOOK = "codebook"
DEFAULT_CHOICE_SEPARATORS = ("/", "__", "_", ".", "-", ":")  # Kobo/ODK, Survey Solutions, CTO
MAX_RECODES_SHOWN = 10
LABELLED_TYPES = ("category", "select_multiple")


@dataclass(frozen=True)
class RoundSource:
    """A round's raw columns (without provenance) and its files' value labels by column."""

    columns: list[str]
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)


def round_source(files: Iterable[RawFile]) -> RoundSource:
    """The RoundSource of a round's parsed files (first file wins on conflicting labels)."""
    columns: dict[str, None] = {}
    labels: dict[str, dict[str, str]] = {}
    for raw in files:
        columns.update(dict.fromkeys(c for c in raw.frame.columns
                                     if c not in (SOURCE_FILE, SOURCE_ROW)))
        for column, mapping in raw.value_labels.items():
            labels.setdefault(column, dict(mapping))
    return RoundSource(list(columns), labels)


# ------------------------------------------------------------------ variable mapping
def variable_mapping(codebook: Codebook, rounds: dict[str, RoundSource]) -> pd.DataFrame:
    """One row per (round, codebook variable) and per unmapped raw column, with its status."""
    rows: list[dict[str, str]] = []
    for round_name, source in rounds.items():
        columns = [c for c in source.columns if c not in (SOURCE_FILE, SOURCE_ROW)]
        mapped: set[str] = set()
        for variable in codebook.variables:
            row, used = _map_variable(codebook, variable, variable.sources.get(round_name),
                                      columns)
            rows.append({"round": round_name, "variable": variable.name, **row})
            mapped.update(used)
        rows.extend({"round": round_name, "variable": "", "source_column": column,
                     "status": "unmapped_source", "detail": "no codebook variable maps it"}
                    for column in columns if column not in mapped)
    return pd.DataFrame(rows, columns=MAPPING_COLUMNS)


def _map_variable(codebook: Codebook, variable: Variable, source: SourceColumn | None,
                  columns: list[str]) -> tuple[dict[str, str], list[str]]:
    """The mapping row (without round and variable) and the raw columns it accounts for."""
    if source is None:
        return _row("", "absent", "declared null in this round"), []
    if source.column.startswith("meta:"):  # added by the reader from the platform's columns
        return _row(source.column, "renamed", "canonical platform meta column"), []
    found = resolve_column(source.column, columns)
    if variable.personal:
        detail = ("dropped at harmonisation" if found else
                  f"declared column {source.column!r} not in the files; dropped at harmonisation")
        return _row(found or source.column, "personal_dropped", detail), [found] if found else []
    if found is None:
        return _row(source.column, "not_found", _not_found(source.column, columns)), []
    parts: list[str] = []
    if found != variable.name:
        parts.append(f"from {found}" + _fallback(source.column, found))
    if source.recode:
        parts.append(_recode_text(source.recode))
    used = [found]
    if variable.type == "select_multiple":
        split = _split_columns(found, source, columns)
        used += list(split)
        if split:
            parts.append("split columns: " + ", ".join(split.values()))
        unknown = [c for c in split.values() if c not in codebook.labels_of(variable)]
        if unknown:
            parts.append("choices not in the codebook: " + ", ".join(unknown))
    status = "recoded" if source.recode else "renamed" if found != variable.name else "matched"
    return _row(found, status, "; ".join(parts)), used


def _row(source_column: str, status: str, detail: str) -> dict[str, str]:
    return {"source_column": source_column, "status": status, "detail": detail}


def _fallback(declared: str, found: str) -> str:
    """How resolve_column found `declared` when not exactly."""
    if found == declared:
        return ""
    how = "ignoring case" if found.casefold() == declared.casefold() else "by group path"
    return f" (declared {declared!r}, found {how})"


def _not_found(declared: str, columns: list[str]) -> str:
    """Why a declared column was not found: absent, or ambiguous between several columns."""
    for key in (str.casefold, lambda n: last_part(n).casefold()):
        fits = [c for c in columns if key(c) == key(declared)]
        if len(fits) > 1:
            return f"declared column {declared!r} is ambiguous: {', '.join(fits)}"
    return f"declared column {declared!r} is not in the round's files"


def _recode_text(recode: dict[str, str]) -> str:
    shown = [f"{k}→{v}" for k, v in list(recode.items())[:MAX_RECODES_SHOWN]]
    more = len(recode) - len(shown)
    return "recode " + ", ".join(shown) + (f" (+{more} more)" if more else "")


def _split_columns(found: str, source: SourceColumn, columns: list[str]) -> dict[str, str]:
    """Split 0/1 columns of select_multiple column `found`: raw column -> choice."""
    separators = ((source.choice_separator,) if source.choice_separator
                  else DEFAULT_CHOICE_SEPARATORS)
    split: dict[str, str] = {}
    for column in columns:
        for separator in separators:
            prefix = found + separator
            if column.startswith(prefix) and len(column) > len(prefix):
                split[column] = column[len(prefix):]
                break
    return split


# ------------------------------------------------------------------ label differences
def label_differences(codebook: Codebook, rounds: dict[str, RoundSource],
                      special_codes: dict[str, dict[str, str]] | None = None) -> pd.DataFrame:
    """Value labels that differ between rounds, or from the codebook, on canonical codes.

    A variable's declared special codes (`special_codes[variable.missing_codes]`, e.g. 98 don't
    know) are labelled by the project, not the codebook: they are compared between rounds but
    never reported as `not_in_codebook`.
    """
    rows: list[dict[str, str]] = []
    order = {name: i for i, name in enumerate(rounds)}
    for variable in codebook.variables:
        if variable.personal or variable.type not in LABELLED_TYPES:
            continue
        fielded = {name: labels for name, source in rounds.items()
                   if (labels := _fielded_labels(codebook, variable.sources.get(name), source))}
        names = list(fielded)
        found: list[dict[str, str]] = []
        for i, first in enumerate(names):
            for second in names[i + 1:]:
                found += _compare(first, fielded[first], second, fielded[second], "new_code")
        canonical = codebook.labels_of(variable)
        special = (special_codes or {}).get(variable.missing_codes or "", {})
        for name in names:
            found += [r for r in _compare(name, fielded[name], CODEBOOK, canonical,
                                          "not_in_codebook")
                      if r["round"] == name and not (r["difference"] == "not_in_codebook"
                                                     and r["code"] in special)]
        found.sort(key=lambda r: (_code_key(r["code"]), order[r["round"]],
                                  order.get(r["other_round"], len(order))))
        rows += [{"variable": variable.name, **r} for r in found]
    return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)


def _fielded_labels(codebook: Codebook, source: SourceColumn | None,
                    round_source: RoundSource) -> dict[str, str]:
    """Labels a round fielded, on canonical codes: declared ones, else the file's."""
    if source is None:
        return {}
    if source.labels is not None:
        labels = codebook.resolve_labels(source.labels)
    else:
        found = resolve_column(source.column, round_source.columns)
        labels = round_source.value_labels.get(found, {}) if found else {}
    canonical: dict[str, list[str]] = {}
    for code, label in labels.items():
        texts = canonical.setdefault(source.recode.get(code, code), [])
        if label not in texts:
            texts.append(label)
    return {code: " / ".join(texts) for code, texts in canonical.items()}


def _compare(first: str, labels: dict[str, str], second: str, other: dict[str, str],
             missing: str) -> list[dict[str, str]]:
    """Changed labels of shared codes, and codes only one side labels (`missing`)."""
    rows = [_diff(code, first, labels[code], second, other[code], "label_changed")
            for code in labels if code in other and _norm(labels[code]) != _norm(other[code])]
    rows += [_diff(code, first, labels[code], second, "", missing)
             for code in labels if code not in other]
    rows += [_diff(code, second, other[code], first, "", missing)
             for code in other if code not in labels]
    return rows


def _diff(code: str, round_name: str, label: str, other_round: str, other_label: str,
          difference: str) -> dict[str, str]:
    return {"code": code, "round": round_name, "label": label, "other_round": other_round,
            "other_label": other_label, "difference": difference}


def _norm(label: str) -> str:
    return " ".join(label.split()).casefold()


def _code_key(code: str) -> tuple[int, float, str]:
    """Numeric codes in numeric order, then text codes."""
    if re.fullmatch(r"-?\d+(\.\d+)?", code):
        return (0, float(code), code)
    return (1, 0.0, code)


# ------------------------------------------------------------------ summary
def harmonization_summary(mapping: pd.DataFrame, differences: pd.DataFrame) -> pd.DataFrame:
    """Per round: how many variables had each status, and label differences involving it."""
    names = list(dict.fromkeys([*mapping["round"],
                                *(r for r in differences["round"] if r != CODEBOOK)]))
    rows = []
    for name in names:
        statuses = mapping.loc[mapping["round"] == name, "status"].value_counts()
        involved = differences[(differences["round"] == name)
                               | (differences["other_round"] == name)]
        kinds = involved["difference"].value_counts()
        rows.append({"round": name, **{s: int(statuses.get(s, 0)) for s in STATUSES},
                     **{d: int(kinds.get(d, 0)) for d in DIFFERENCES}})
    return pd.DataFrame(rows, columns=["round", *STATUSES, *DIFFERENCES])
