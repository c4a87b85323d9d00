"""High-frequency fieldwork checks (the ipacheck idea): flags, never deletions.

Per round and enumerator: interviews, median duration, don't-know and refusal rates,
straightlining share, outlier cells and form versions seen. Every flagged interview or cell is
listed with its provenance so a supervisor can call the team back. Nothing is removed or changed:
the checks read the frame and report. Everything is vectorised over rows (a loop runs only over
rounds, declared variables and scales).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from schemas.validation_rules import Fieldwork

ROUND, SOURCE_FILE, SOURCE_ROW = "round", "source_file", "source_row"
KIND_SUFFIX = "__kind"
NOT_RECORDED = "(not recorded)"
MAX_DURATION_MIN = 24 * 60.0
OUTLIER_IQR_FACTOR = 3.0
CHECKS = ("straightlining", "outlier", "duration")
ENUMERATOR_COLUMNS = [ROUND, "enumerator", "interviews", "median_duration_min", "dont_know_rate",
                      "refusal_rate", "straightlining_share", "outliers", "form_versions"]
FORM_VERSION_COLUMNS = [ROUND, "form_version", "interviews"]
FLAG_COLUMNS = [ROUND, SOURCE_FILE, SOURCE_ROW, "respondent_id", "enumerator", "check", "column",
                "value", "detail"]
SUMMARY_KEYS = ("interviews", "enumerators", "straightlining_share", "outlier_share",
                "dont_know_rate", "refusal_rate")


@dataclass(frozen=True)
class FieldworkQuality:
    """Fieldwork-quality tables of one or more harmonised rounds."""

    by_enumerator: pd.DataFrame
    by_form_version: pd.DataFrame
    flags: pd.DataFrame
    summary: dict[str, dict[str, float | int]]


def fieldwork_quality(frame: pd.DataFrame, fieldwork: Fieldwork,
                      id_column: str) -> FieldworkQuality:
    """High-frequency checks of harmonised rows per round x enumerator, plus every flag raised."""
    n = len(frame)
    rounds = _text(frame, ROUND, fill=None)
    enumerators = _text(frame, fieldwork.enumerator, fill=NOT_RECORDED)
    versions = _text(frame, fieldwork.form_version, fill=None)
    context = _Rows(frame, rounds, enumerators, id_column)

    duration, duration_flags = _durations(frame, fieldwork, context)
    straight, scales_checked, straight_flags = _straightlining(frame, fieldwork, context)
    outlier_cells, checked_cells, outlier_flags = _outliers(frame, fieldwork, context)
    dont_know, refused, answered = _kind_counts(frame)

    rows = pd.DataFrame({
        ROUND: rounds, "enumerator": enumerators,
        "duration": np.where(_usable_duration(duration), duration, np.nan),
        "dont_know": dont_know, "refused": refused, "answered": answered,
        "straight": straight, "outliers": outlier_cells, "checked": checked_cells,
    }, index=pd.RangeIndex(n))
    by_enumerator = _by_enumerator(rows, versions, scales_checked)
    by_form_version = _by_form_version(rounds, versions)
    flag_parts = [f for f in (straight_flags, outlier_flags, duration_flags) if len(f)]
    flags = (pd.concat(flag_parts, ignore_index=True) if flag_parts else _empty_flags())
    flags = flags.astype(_FLAG_TYPES)
    return FieldworkQuality(by_enumerator, by_form_version, flags,
                            _summary(rows, scales_checked))


# ---------------------------------------------------------------- row context and text columns
_FLAG_TYPES = {ROUND: "string", SOURCE_FILE: "string", SOURCE_ROW: "Int64",
               "respondent_id": "string", "enumerator": "string", "check": "string",
               "column": "string", "value": "string", "detail": "string"}


class _Rows:
    """Provenance of every row, to build flag tables from positional row numbers."""

    def __init__(self, frame: pd.DataFrame, rounds: pd.Series, enumerators: pd.Series,
                 id_column: str) -> None:
        self.rounds = rounds
        self.enumerators = enumerators
        self.files = _text(frame, SOURCE_FILE, fill=None)
        self.source_rows = (frame[SOURCE_ROW].astype("Int64").reset_index(drop=True)
                            if SOURCE_ROW in frame.columns
                            else pd.Series(pd.NA, index=rounds.index, dtype="Int64"))
        self.ids = _text(frame, id_column, fill=None)

    def flags(self, positions: np.ndarray, check: str, column: str, value: pd.Series,
              detail: pd.Series | str) -> pd.DataFrame:
        """Flag rows at `positions` (value and detail aligned with positions)."""
        take = pd.Index(positions)
        return pd.DataFrame({
            ROUND: self.rounds.iloc[take].to_numpy(),
            SOURCE_FILE: self.files.iloc[take].to_numpy(),
            SOURCE_ROW: self.source_rows.iloc[take].to_numpy(),
            "respondent_id": self.ids.iloc[take].to_numpy(),
            "enumerator": self.enumerators.iloc[take].to_numpy(),
            "check": check, "column": column,
            "value": np.asarray(value, dtype=object),
            "detail": np.asarray(detail, dtype=object) if not isinstance(detail, str) else detail,
        }, index=pd.RangeIndex(len(positions)))


def _text(frame: pd.DataFrame, column: str | None, fill: str | None) -> pd.Series:
    """A column as trimmed text on a positional index; blank or absent cells become `fill`."""
    index = pd.RangeIndex(len(frame))
    if column is None or column not in frame.columns:
        return pd.Series(pd.NA if fill is None else fill, index=index, dtype="string")
    values = frame[column].reset_index(drop=True)
    if pd.api.types.is_float_dtype(values):
        finite = values.dropna()
        if len(finite) and bool((np.floor(finite) == finite).all()):
            values = values.astype("Int64")  # enumerator 12.0 reads as "12"
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    return text.fillna(fill) if fill is not None else text


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as float64 with NaN for NA."""
    return frame[column].to_numpy(dtype="float64", na_value=np.nan)


def _as_text(values: np.ndarray) -> pd.Series:
    """Float values as text, integral ones without a decimal point."""
    series = pd.Series(values, dtype="float64")
    finite = series.dropna()
    if len(finite) and bool((np.floor(finite) == finite).all()):
        return series.astype("Int64").astype("string")
    return series.astype("string")


# ---------------------------------------------------------------- durations
def _durations(frame: pd.DataFrame, fieldwork: Fieldwork,
               rows: _Rows) -> tuple[np.ndarray, pd.DataFrame]:
    """Interview minutes (NaN without start or end) and the flags of implausible durations."""
    n = len(frame)
    start, end = fieldwork.start, fieldwork.end
    if start is None or end is None or start not in frame.columns or end not in frame.columns:
        return np.full(n, np.nan), _empty_flags()
    began = pd.to_datetime(frame[start], errors="coerce").reset_index(drop=True)
    ended = pd.to_datetime(frame[end], errors="coerce").reset_index(drop=True)
    minutes = ((ended - began) / pd.Timedelta(minutes=1)).to_numpy("float64", na_value=np.nan)
    known = ~np.isnan(minutes)
    negative = known & (minutes < 0)
    zero = known & (minutes == 0)
    long = known & (minutes > MAX_DURATION_MIN)
    positions = np.flatnonzero(negative | zero | long)
    if not len(positions):
        return minutes, _empty_flags()
    found = minutes[positions]
    reason = np.select([negative[positions], zero[positions]], ["negative duration",
                       "zero duration"], "over 24 h")
    value = pd.Series(found).round(1).astype("string")
    detail = (pd.Series(reason, dtype="string") + ": " + value + " min from " + start
              + " to " + end)
    return minutes, rows.flags(positions, "duration", f"{start}/{end}", value, detail)


def _usable_duration(minutes: np.ndarray) -> np.ndarray:
    """Durations that enter the median: known, positive and at most 24 h."""
    with np.errstate(invalid="ignore"):
        return (minutes > 0) & (minutes <= MAX_DURATION_MIN)


# ---------------------------------------------------------------- straightlining
def _straightlining(frame: pd.DataFrame, fieldwork: Fieldwork,
                    rows: _Rows) -> tuple[np.ndarray, bool, pd.DataFrame]:
    """Interviews straightlining any scale, whether any scale was checked, and their flags."""
    n = len(frame)
    any_scale = np.zeros(n, dtype=bool)
    checked = False
    parts: list[pd.DataFrame] = []
    for scale, declared in fieldwork.scales.items():
        items = [c for c in dict.fromkeys(declared) if c in frame.columns]
        if not items:
            continue
        checked = True
        answered, same, value = _same_answers(frame, items)
        hit = same & (answered >= fieldwork.min_straightline_items)
        any_scale |= hit
        positions = np.flatnonzero(hit)
        if len(positions):
            shown = value.iloc[positions].reset_index(drop=True)
            if not isinstance(shown.dtype, pd.StringDtype):
                shown = _as_text(shown.to_numpy(dtype="float64"))
            detail = (f"scale {scale}: " + pd.Series(answered[positions]).astype("string")
                      + f" of {len(items)} items answered, all " + shown)
            parts.append(rows.flags(positions, "straightlining", scale, shown, detail))
    flags = pd.concat(parts, ignore_index=True) if parts else _empty_flags()
    return any_scale, checked, flags


def _same_answers(frame: pd.DataFrame, items: list[str]) -> tuple[np.ndarray, np.ndarray,
                                                                   pd.Series]:
    """Per row: answered items, whether all answered items are equal, and that first answer.

    Each item is compared with the row's first answered item (numbers as float64, anything
    else as text), column by column: no row-wise Python.
    """
    numeric = all(pd.api.types.is_numeric_dtype(frame[c]) for c in items)
    answered = np.zeros(len(frame), dtype=np.int64)
    differ = np.zeros(len(frame), dtype=bool)
    if numeric:
        block = [_numbers(frame, c) for c in items]
        first = block[0].copy()
        for values in block[1:]:
            first = np.where(np.isnan(first), values, first)
        for values in block:
            given = ~np.isnan(values)
            answered += given
            differ |= given & (values != first)
        return answered, (answered > 0) & ~differ, pd.Series(first)
    texts = [frame[c].astype("string").reset_index(drop=True) for c in items]
    first = texts[0]
    for text in texts[1:]:
        first = first.fillna(text)
    for text in texts:
        given = text.notna().to_numpy(dtype=bool)
        answered += given
        differ |= given & text.ne(first).to_numpy(dtype=bool, na_value=False)
    return answered, (answered > 0) & ~differ, first


# ---------------------------------------------------------------- outliers
def _outliers(frame: pd.DataFrame, fieldwork: Fieldwork,
              rows: _Rows) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Per row: outlier cells and checked valid cells; flags outside [Q1 - 3 IQR, Q3 + 3 IQR].

    Quartiles are per round and variable, on valid values only (special codes are NA in the
    value column, so they never enter the quartiles and are never flagged). IQR 0: no flags.
    """
    n = len(frame)
    outliers = np.zeros(n, dtype=np.int64)
    checked = np.zeros(n, dtype=np.int64)
    parts: list[pd.DataFrame] = []
    round_codes, round_names = pd.factorize(rows.rounds, use_na_sentinel=False)
    for variable in dict.fromkeys(fieldwork.outliers):
        if variable not in frame.columns:
            continue
        if not pd.api.types.is_numeric_dtype(frame[variable]):
            raise ValueError(f"fieldwork outlier variable {variable!r} is not numeric "
                             f"({frame[variable].dtype})")
        values = _numbers(frame, variable)
        valid = ~np.isnan(values)
        checked += valid
        for code, round_name in enumerate(round_names):
            positions = np.flatnonzero((round_codes == code) & valid)
            if not len(positions):
                continue
            q1, q3 = np.quantile(values[positions], [0.25, 0.75])
            iqr = q3 - q1
            if iqr <= 0:
                continue
            low, high = q1 - OUTLIER_IQR_FACTOR * iqr, q3 + OUTLIER_IQR_FACTOR * iqr
            found = values[positions]
            positions = positions[(found < low) | (found > high)]
            if not len(positions):
                continue
            outliers[positions] += 1
            detail = (f"outside [{low:g}, {high:g}] = [Q1 - 3 IQR, Q3 + 3 IQR] of {variable} "
                      f"in round {round_name} (Q1 {q1:g}, Q3 {q3:g})")
            parts.append(rows.flags(positions, "outlier", variable,
                                    _as_text(values[positions]), detail))
    flags = pd.concat(parts, ignore_index=True) if parts else _empty_flags()
    return outliers, checked, flags


# ---------------------------------------------------------------- kinds
def _kind_counts(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row over all `__kind` columns: dont_know cells, refused cells, cells not n/a."""
    n = len(frame)
    dont_know = np.zeros(n, dtype=np.int64)
    refused = np.zeros(n, dtype=np.int64)
    answered = np.zeros(n, dtype=np.int64)
    for column in (c for c in frame.columns if str(c).endswith(KIND_SUFFIX)):
        kinds = frame[column].astype("string")
        dont_know += kinds.eq("dont_know").to_numpy(dtype=bool, na_value=False)
        refused += kinds.eq("refused").to_numpy(dtype=bool, na_value=False)
        answered += kinds.ne("not_applicable").to_numpy(dtype=bool, na_value=False)
    return dont_know, refused, answered


# ---------------------------------------------------------------- tables
def _share(numerator: pd.Series | float, denominator: pd.Series | float) -> pd.Series | float:
    """numerator / denominator, NaN where the denominator is 0."""
    if isinstance(denominator, pd.Series):
        return (numerator / denominator.where(denominator > 0)).astype("float64")
    return float(numerator) / float(denominator) if denominator > 0 else float("nan")


def _by_enumerator(rows: pd.DataFrame, versions: pd.Series, scales_checked: bool) -> pd.DataFrame:
    keys = [ROUND, "enumerator"]
    grouped = rows.groupby(keys, sort=True, dropna=False).agg(
        interviews=("enumerator", "size"), median_duration_min=("duration", "median"),
        dont_know=("dont_know", "sum"), refused=("refused", "sum"),
        answered=("answered", "sum"), straight=("straight", "sum"),
        outliers=("outliers", "sum"))
    seen = pd.DataFrame({ROUND: rows[ROUND], "enumerator": rows["enumerator"],
                         "form_version": versions}).dropna(subset=["form_version"])
    seen = seen.drop_duplicates().sort_values("form_version")
    joined = seen.groupby(keys, sort=False, dropna=False)["form_version"].agg(";".join)
    table = grouped.join(joined.rename("form_versions")).reset_index()
    table["dont_know_rate"] = _share(table["dont_know"], table["answered"])
    table["refusal_rate"] = _share(table["refused"], table["answered"])
    table["straightlining_share"] = (_share(table["straight"], table["interviews"])
                                     if scales_checked else np.nan)
    table["form_versions"] = table["form_versions"].fillna("")
    return table[ENUMERATOR_COLUMNS].astype({
        ROUND: "string", "enumerator": "string", "interviews": "int64",
        "median_duration_min": "float64", "dont_know_rate": "float64",
        "refusal_rate": "float64", "straightlining_share": "float64", "outliers": "int64",
        "form_versions": "string"})


def _by_form_version(rounds: pd.Series, versions: pd.Series) -> pd.DataFrame:
    table = (pd.DataFrame({ROUND: rounds, "form_version": versions.fillna(NOT_RECORDED)})
             .groupby([ROUND, "form_version"], sort=True, dropna=False).size()
             .rename("interviews").reset_index())
    return table[FORM_VERSION_COLUMNS].astype({ROUND: "string", "form_version": "string",
                                               "interviews": "int64"})


def _summary(rows: pd.DataFrame, scales_checked: bool) -> dict[str, dict[str, float | int]]:
    summary: dict[str, dict[str, float | int]] = {}
    for round_name, part in rows.groupby(ROUND, sort=False, dropna=False):
        interviews = len(part)
        recorded = part["enumerator"][part["enumerator"] != NOT_RECORDED]
        summary[str(round_name)] = {
            "interviews": int(interviews),
            "enumerators": int(recorded.nunique()),
            "straightlining_share": (_share(part["straight"].sum(), interviews)
                                     if scales_checked else float("nan")),
            "outlier_share": _share(part["outliers"].sum(), part["checked"].sum()),
            "dont_know_rate": _share(part["dont_know"].sum(), part["answered"].sum()),
            "refusal_rate": _share(part["refused"].sum(), part["answered"].sum()),
        }
    return summary


def _empty_flags() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _FLAG_TYPES.items()})
