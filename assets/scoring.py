"""Score each respondent on each declared indicator, per the instruments' manuals.

Scale items are converted to 0-100 (PWI manual: percent of scale maximum, %SM =
(x - min) / (max - min) * 100; Rosenberg: POMP, the same formula on the sum, or the sum over its
maximum), reverse items recoded (min + max) - x, and a person is scored as the mean of answered
items when at most `max_missing` are missing (prorating). Special codes (don't know, refused)
are never averaged in: harmonisation has already set them aside as kinds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from assets.harmonize import KIND_SUFFIX, ROUND, variable_kinds
from schemas.declarations import Project
from schemas.indicators import (
    Count,
    DerivedGroup,
    Distribution,
    IndicatorCatalogue,
    MeanScore,
    Prevalence,
    Ratio,
)

DESIGN_PREFIX = "design_"  # design_weights, design_strata, ... when a sampling design is declared
OUTSIDE = "outside the declared bins or categories"


@dataclass(frozen=True)
class ScaleScores:
    """Person scores on 0-100 with the number of items used and a status per person."""

    score: pd.Series
    items_used: pd.Series
    status: pd.Series
    response_set: pd.Series


def score_scale(items: pd.DataFrame, scale_min: float, scale_max: float, max_missing: int,
                conversion: str = "pomp") -> ScaleScores:
    """Mean of the answered items on 0-100; no score when more than `max_missing` are missing.

    `pomp`: (mean - min) / (max - min) * 100 (= %SM of the PWI manual); `pct_of_max`:
    mean / max * 100 (the sum over its maximum).
    """
    values = items.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if conversion == "pomp":
        converted = (values - scale_min) / (scale_max - scale_min) * 100
    elif conversion == "pct_of_max":
        converted = values / scale_max * 100
    else:
        raise ValueError(f"unknown conversion {conversion!r}: use 'pomp' or 'pct_of_max'")
    answered = np.isfinite(converted).sum(axis=1)
    scored = (answered >= items.shape[1] - max_missing) & (answered > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.nansum(converted, axis=1) / answered
    return ScaleScores(
        score=pd.Series(np.where(scored, means, np.nan), index=items.index, dtype="Float64"),
        items_used=pd.Series(answered, index=items.index),
        status=pd.Series(np.where(scored, "scored", "too_many_missing"), index=items.index),
        response_set=response_set_flags(values, scale_min, scale_max, items.index),
    )


def response_set_flags(values: np.ndarray, scale_min: float, scale_max: float,
                       index: pd.Index) -> pd.Series:
    """'identical_extreme' (all min or all max), 'identical_all' (all the same), else ''."""
    complete = np.isfinite(values).all(axis=1)
    first = values[:, :1]
    identical = complete & (values == first).all(axis=1)
    extreme = identical & np.isin(first[:, 0], [scale_min, scale_max])
    return pd.Series(np.where(extreme, "identical_extreme",
                              np.where(identical, "identical_all", "")), index=index)


def reversed_items(items: pd.DataFrame, reverse: list[str], scale_min: float,
                   scale_max: float) -> pd.DataFrame:
    """Items with the declared negative ones recoded (min + max) - x."""
    recoded = items.astype("Float64").copy()
    for item in reverse:
        recoded[item] = scale_min + scale_max - recoded[item]
    return recoded


def item_total_correlations(items: pd.DataFrame) -> pd.Series:
    """Corrected item-total correlation of each item (with the sum of the other items)."""
    complete = items.astype("Float64").dropna().astype(float)
    total = complete.sum(axis=1)
    return pd.Series({item: complete[item].corr(total - complete[item])
                      for item in complete.columns}, dtype=float)


def person_band(scores: pd.Series, bands) -> pd.Series:
    """The band of each score: the one with the highest `min` at or below it ('' if none)."""
    labels = pd.Series("", index=scores.index, dtype="string")
    for band in sorted(bands, key=lambda b: b.min):
        labels[scores.notna() & (scores >= band.min)] = band.label
    return labels


def eligible_rows(frame: pd.DataFrame, eligible: dict[str, list[str]]) -> pd.Series:
    """Mask of respondents in an indicator's population."""
    mask = pd.Series(True, index=frame.index)
    for variable, codes in eligible.items():
        mask &= frame[variable].isin(codes).fillna(False).astype(bool)
    return mask


def score_mean(people: pd.DataFrame, indicator: MeanScore) -> pd.DataFrame:
    """Person scores (category ''), and each item on 0-100 (category = item) if declared."""
    raw = people[indicator.items]
    low, high = indicator.scale.min, indicator.scale.max
    items = reversed_items(raw, indicator.reverse, low, high)
    scored = score_scale(items, low, high, indicator.max_missing, indicator.conversion)
    flags = response_set_flags(raw.astype("Float64").to_numpy(dtype=float, na_value=np.nan),
                               low, high, raw.index)
    part = pd.DataFrame({
        "category": "", "value": scored.score, "status": scored.status,
        "detail": scored.items_used.astype(str) + " items",
        "flag": flags if indicator.response_set_flags else "",
        "band": person_band(scored.score, indicator.bands),
    }, index=people.index)
    if not indicator.item_rows:
        return part
    rows = [part]
    for item in indicator.items:
        one = score_scale(items[[item]], low, high, 0, indicator.conversion)
        rows.append(pd.DataFrame({"category": item, "value": one.score, "status": one.status,
                                  "detail": "", "flag": "", "band": ""}, index=people.index))
    return pd.concat(rows)


def first_excluding_kind(kinds: pd.DataFrame, excludes: list[str]) -> pd.Series:
    """Per person, the first item's kind that takes them out of the denominator (else NA)."""
    # Column by column: a row-wise bfill on text columns transposes the frame (minutes at 100k).
    masked = kinds.where(kinds.isin(excludes))
    first = masked.iloc[:, 0]
    for column in masked.columns[1:]:
        first = first.fillna(masked[column])
    return first


def score_prevalence(people: pd.DataFrame, indicator: Prevalence) -> pd.DataFrame:
    """1/0 per respondent in the denominator; excluded kinds get no value and say why."""
    names = [indicator.variable] if indicator.variable else indicator.items
    kinds = pd.DataFrame({n: variable_kinds(people, n) for n in names}, index=people.index)
    excluded_by = first_excluding_kind(kinds, indicator.denominator_excludes)
    yes = pd.DataFrame({n: people[n].isin(indicator.yes).fillna(False) for n in names})
    hits = yes.sum(axis=1) >= (indicator.at_least or 1)
    excluded = excluded_by.notna()
    detail = kinds.iloc[:, 0] if indicator.variable else kinds.eq("dont_know").any(axis=1).map(
        {True: "dont_know", False: "valid"})
    return pd.DataFrame({
        "category": "", "value": hits.astype(float).where(~excluded).astype("Float64"),
        "status": np.where(excluded, "excluded", "counted"),
        "detail": excluded_by.fillna(detail).astype("string"), "flag": "", "band": "",
    }, index=people.index)


def score_count(people: pd.DataFrame, indicator: Count) -> pd.DataFrame:
    """Number of items answered yes (don't know = not yes); excluded kinds take a person out."""
    kinds = pd.DataFrame({n: variable_kinds(people, n) for n in indicator.items},
                         index=people.index)
    excluded_by = first_excluding_kind(kinds, indicator.denominator_excludes)
    total = sum(people[n].isin(indicator.yes).fillna(False).astype(float)
                for n in indicator.items)
    excluded = excluded_by.notna()
    return pd.DataFrame({
        "category": "", "value": total.where(~excluded).astype("Float64"),
        "status": np.where(excluded, "excluded", "counted"),
        "detail": excluded_by.fillna("valid").astype("string"), "flag": "", "band": "",
    }, index=people.index)


def score_ratio(people: pd.DataFrame, indicator: Ratio) -> pd.DataFrame:
    """numerator / denominator * 100 where both are valid and the denominator is above zero."""
    top, bottom = indicator.numerator, indicator.denominator
    top_kind, bottom_kind = variable_kinds(people, top), variable_kinds(people, bottom)
    numerator = pd.to_numeric(people[top], errors="coerce").astype(float)
    denominator = pd.to_numeric(people[bottom], errors="coerce").astype(float)
    counted = (top_kind == "valid") & (bottom_kind == "valid") & (denominator > 0)
    detail = pd.Series("valid", index=people.index, dtype="string")
    detail[bottom_kind == "valid"] = detail[bottom_kind == "valid"].where(
        denominator[bottom_kind == "valid"] > 0, f"{bottom} not above zero")
    detail[bottom_kind != "valid"] = bottom + ": " + bottom_kind[bottom_kind != "valid"]
    detail[(top_kind != "valid") & (bottom_kind == "valid")] = top + ": " + top_kind
    return pd.DataFrame({
        "category": "", "value": (numerator / denominator * 100).where(counted).astype("Float64"),
        "status": np.where(counted, "counted", "excluded"), "detail": detail, "flag": "",
        "band": "",
    }, index=people.index)


def categorise(values: pd.Series, kinds: pd.Series, indicator: Distribution,
               rounds: pd.Series | None = None) -> pd.Series:
    """Each respondent's row label of a distribution (NA when outside or excluded)."""
    label = pd.Series(pd.NA, index=values.index, dtype="string")
    valid = kinds == "valid"
    if indicator.bins is not None:
        numbers = pd.to_numeric(values, errors="coerce")
        binned = pd.cut(numbers, indicator.bins, right=indicator.closed == "right",
                        include_lowest=True, labels=indicator.bin_labels)
        label[valid] = binned.astype("string")[valid]
        if indicator.zero_row:
            label[valid & (numbers == 0)] = indicator.zero_row
    elif indicator.categories is not None:
        label[valid] = values.astype("string").map(indicator.categories)[valid]
    else:  # pre-coded bands, mapped per round onto the common boundaries
        for round_name in (rounds.dropna().unique() if rounds is not None else []):
            mine = valid & (rounds == round_name)
            codes = values.astype("string")[mine]
            label[mine] = codes.map(indicator.precoded_labels(round_name))
    for kind, row in indicator.special_rows.items():
        label[kinds == kind] = row
    return label


def score_distribution(people: pd.DataFrame, indicator: Distribution) -> pd.DataFrame:
    """Each counted respondent's category (value 1); excluded kinds and strays say why."""
    kinds = variable_kinds(people, indicator.variable)
    label = categorise(people[indicator.variable], kinds, indicator, people.get(ROUND))
    excluded = kinds.isin(indicator.denominator_excludes) | label.isna()
    detail = kinds.where(~(label.isna() & ~kinds.isin(indicator.denominator_excludes)), OUTSIDE)
    return pd.DataFrame({
        "category": label.fillna(""), "value": pd.Series(1.0, index=people.index).where(
            ~excluded).astype("Float64"),
        "status": np.where(excluded, "excluded", "counted"), "detail": detail.astype("string"),
        "flag": "", "band": "",
    }, index=people.index)


SCORERS = {"mean_score": score_mean, "prevalence": score_prevalence, "count": score_count,
           "ratio": score_ratio, "distribution": score_distribution}


def add_derived_groups(frame: pd.DataFrame, groups: dict[str, DerivedGroup]) -> pd.DataFrame:
    """Add declared derived groupings (e.g. age groups) as label columns."""
    frame = frame.copy()
    for name, group in groups.items():
        numbers = pd.to_numeric(frame[group.variable], errors="coerce")
        frame[name] = pd.cut(numbers, group.bins, right=group.closed == "right",
                             include_lowest=True, labels=group.labels).astype("string")
    return frame


def score_respondents(clean: pd.DataFrame, project: Project,
                      catalogue: IndicatorCatalogue) -> pd.DataFrame:
    """Long table of every eligible respondent's value on every declared indicator."""
    clean = add_derived_groups(clean, catalogue.derived_groups)
    design = project.sampling_design.roles() if project.sampling_design is not None else {}
    parts = []
    for indicator in catalogue.indicators:
        carried = [ROUND, project.respondent_id, *indicator.groups, *design.values()]
        # Only the columns this indicator reads travel on: taking every column of a wide
        # round for each of dozens of indicators was the largest cost of scoring.
        people = clean.loc[eligible_rows(clean, indicator.eligible),
                           read_columns(clean, indicator, carried)]
        part = SCORERS[indicator.kind](people, indicator)
        part.insert(0, "indicator", indicator.id)
        rows = people[list(dict.fromkeys(carried))].loc[part.index]  # items repeat a person
        part.insert(0, "respondent_id", rows[project.respondent_id].to_numpy())
        part.insert(0, ROUND, rows[ROUND].to_numpy())
        for group in indicator.groups:
            part[group] = rows[group].to_numpy()
        for role, variable in design.items():
            part[DESIGN_PREFIX + role] = rows[variable].to_numpy()
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table = table.astype({"respondent_id": "string", "value": "Float64"})
    # One row per respondent x indicator (x item) makes a long table whose other text columns
    # hold a few distinct values: as categoricals they take a byte a cell instead of a string,
    # and splitting the table by indicator and round becomes cheap.
    repeated = [c for c in table.columns if c not in ("respondent_id", "value")
                and not c.startswith(DESIGN_PREFIX)]
    return table.astype({c: "string" for c in repeated}).astype(dict.fromkeys(repeated,
                                                                             "category"))


def stack_respondent_tables(tables: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Rows of several rounds' respondent tables, keeping the categorical columns categorical.

    pandas turns categoricals with different categories into text when concatenating, so each
    column's categories are united first.
    """
    tables = list(tables)
    if not tables:
        return pd.DataFrame()
    columns = {}
    for name in tables[0].columns:
        parts = [t[name] for t in tables]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            columns[name] = union_categoricals([p.array for p in parts])
        else:
            columns[name] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns)


def read_columns(clean: pd.DataFrame, indicator, carried: list[str]) -> list[str]:
    """The columns of `clean` an indicator reads: its variables with their kinds, and `carried`."""
    names = {name for names in indicator.variables().values() for name in names} | set(carried)
    return [c for c in clean.columns
            if c in names or (c.endswith(KIND_SUFFIX) and c[: -len(KIND_SUFFIX)] in names)]


def reversal_warnings(clean: pd.DataFrame, catalogue: IndicatorCatalogue) -> pd.DataFrame:
    """Items correlating negatively with the rest of their scale after reversal (a reversal
    error in the declaration or the questionnaire), for indicators that ask for the check."""
    rows = []
    for indicator in catalogue.indicators:
        if not (isinstance(indicator, MeanScore) and indicator.check_item_total):
            continue
        people = clean[eligible_rows(clean, indicator.eligible)]
        items = reversed_items(people[indicator.items], indicator.reverse,
                               indicator.scale.min, indicator.scale.max)
        for item, r in item_total_correlations(items).items():
            if r < 0:
                rows.append(dict(indicator=indicator.id, item=item, correlation=round(r, 3)))
    return pd.DataFrame(rows, columns=["indicator", "item", "correlation"])
