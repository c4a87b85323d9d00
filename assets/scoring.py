"""Score each respondent on each declared indicator (PWI per its manuals, prevalences).

Scale items are converted to percent of scale maximum, %SM = (x - min) / (max - min) * 100, and a
person is scored as the unweighted mean of answered items when at most `max_missing` are missing
(PWI manual, 5th ed.). Special codes (don't know, refused) are never averaged in: harmonisation
has already set them aside as kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from assets.harmonize import ROUND, kind_column
from schemas.declarations import Project
from schemas.indicators import IndicatorCatalogue, MeanScore, Prevalence

DESIGN_PREFIX = "design_"  # design_weights, design_strata, ... when a sampling design is declared
INDICATOR_COLUMNS = [ROUND, "respondent_id", "indicator", "value", "status", "detail"]


@dataclass(frozen=True)
class ScaleScores:
    """Person scores on 0-100 with the number of items used and a status per person."""

    score: pd.Series
    items_used: pd.Series
    status: pd.Series
    response_set: pd.Series


def score_scale(items: pd.DataFrame, scale_min: float, scale_max: float,
                max_missing: int) -> ScaleScores:
    """Mean %SM of the answered items; no score when more than `max_missing` are missing."""
    values = items.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    percent = (values - scale_min) / (scale_max - scale_min) * 100
    answered = np.isfinite(percent).sum(axis=1)
    scored = (answered >= items.shape[1] - max_missing) & (answered > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.nansum(percent, axis=1) / answered
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


def eligible_rows(frame: pd.DataFrame, eligible: dict[str, list[str]]) -> pd.Series:
    """Mask of respondents in an indicator's population."""
    mask = pd.Series(True, index=frame.index)
    for variable, codes in eligible.items():
        mask &= frame[variable].isin(codes).fillna(False).astype(bool)
    return mask


def score_prevalence(frame: pd.DataFrame, indicator: Prevalence) -> pd.DataFrame:
    """1/0 per respondent in the denominator; excluded kinds get no value and say why."""
    answer = frame[indicator.variable]
    kinds_col = kind_column(indicator.variable)
    kind = (frame[kinds_col] if kinds_col in frame
            else answer.isna().map({True: "missing", False: "valid"}).astype("string"))
    excluded = kind.isin(indicator.denominator_excludes).fillna(False).astype(bool)
    value = answer.isin(indicator.yes).fillna(False).astype(float).where(~excluded)
    return pd.DataFrame({
        "value": value.astype("Float64"),
        "status": np.where(excluded, "excluded", "counted"),
        "detail": kind.astype("string"),
    }, index=frame.index)


def score_respondents(clean: pd.DataFrame, project: Project,
                      catalogue: IndicatorCatalogue) -> pd.DataFrame:
    """Long table of every eligible respondent's value on every declared indicator."""
    parts = []
    for indicator in catalogue.indicators:
        people = clean[eligible_rows(clean, indicator.eligible)]
        if isinstance(indicator, MeanScore):
            items = people[indicator.items]
            scored = score_scale(items, indicator.scale.min, indicator.scale.max,
                                 indicator.max_missing)
            detail = (scored.items_used.astype(str) + " items"
                      + np.where(scored.response_set != "", "; " + scored.response_set, ""))
            part = pd.DataFrame({"value": scored.score, "status": scored.status,
                                 "detail": detail}, index=people.index)
        else:
            part = score_prevalence(people, indicator)
        part.insert(0, "indicator", indicator.id)
        part.insert(0, "respondent_id", people[project.respondent_id])
        part.insert(0, ROUND, people[ROUND])
        for group in indicator.groups:
            part[group] = people[group]
        if project.sampling_design is not None:
            for role, variable in project.sampling_design.roles().items():
                part[DESIGN_PREFIX + role] = people[variable]
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    return table.astype({ROUND: "string", "respondent_id": "string", "indicator": "string",
                         "status": "string", "detail": "string", "value": "Float64"})
