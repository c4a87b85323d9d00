"""Pandera models of the pipeline's tables (the shape each asset promises).

Response tables get their survey columns from the codebook (see `assets.validate`); the fixed
provenance columns and the computed tables are declared here.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

KINDS = ["valid", "dont_know", "refused", "not_applicable", "missing"]


class ResponseProvenance(pa.DataFrameModel):
    """Where every response row came from: round, file and 1-based row in that file."""

    round: Series[str] = pa.Field(nullable=False)
    source_file: Series[str] = pa.Field(nullable=False)
    source_row: Series[pa.typing.Int64] = pa.Field(ge=1, nullable=False)

    class Config:
        strict = False
        unique = ["source_file", "source_row"]


class RespondentIndicators(pa.DataFrameModel):
    """One row per respondent x indicator: the person's value and how it was obtained.

    The repeated text columns are categoricals (see `assets.scoring.score_respondents`).
    """

    round: Series[pd.CategoricalDtype]
    respondent_id: Series[str]
    indicator: Series[pd.CategoricalDtype]
    category: Series[pd.CategoricalDtype]
    value: Series[float] = pa.Field(nullable=True)
    status: Series[pd.CategoricalDtype] = pa.Field(
        isin=["scored", "too_many_missing", "counted", "excluded"])
    detail: Series[pd.CategoricalDtype] = pa.Field(nullable=True)
    flag: Series[pd.CategoricalDtype] = pa.Field(isin=["", "identical_all", "identical_extreme"])
    band: Series[pd.CategoricalDtype]

    class Config:
        strict = False
        unique = ["round", "respondent_id", "indicator", "category"]


class IndicatorEstimates(pa.DataFrameModel):
    """One row per indicator x category x group x round: n, estimate and its interval."""

    indicator: Series[str]
    category: Series[str]
    round: Series[str]
    group: Series[str]
    unit: Series[str] = pa.Field(isin=["points", "%", "count"])
    n: Series[int] = pa.Field(ge=0)
    estimate: Series[float] = pa.Field(nullable=True, ge=0, le=100)
    ci_low: Series[float] = pa.Field(nullable=True)
    ci_high: Series[float] = pa.Field(nullable=True)

    class Config:
        strict = False
        unique = ["indicator", "category", "round", "group"]


class RoundComparison(pa.DataFrameModel):
    """The published comparison contract: one row per indicator x group x comparison."""

    indicator: Series[str]
    label: Series[str]
    group: Series[str]
    comparison: Series[str]
    unit: Series[str] = pa.Field(isin=["points", "%", "count"])
    direction: Series[str] = pa.Field(isin=["higher_is_better", "lower_is_better", "neutral"])
    n_base: Series[int] = pa.Field(ge=0)
    estimate_base: Series[float] = pa.Field(nullable=True)
    ci_low_base: Series[float] = pa.Field(nullable=True)
    ci_high_base: Series[float] = pa.Field(nullable=True)
    n_end: Series[int] = pa.Field(ge=0)
    estimate_end: Series[float] = pa.Field(nullable=True)
    ci_low_end: Series[float] = pa.Field(nullable=True)
    ci_high_end: Series[float] = pa.Field(nullable=True)
    change: Series[float] = pa.Field(nullable=True)
    change_ci_low: Series[float] = pa.Field(nullable=True)
    change_ci_high: Series[float] = pa.Field(nullable=True)
    relative_change: Series[float] = pa.Field(nullable=True)
    test: Series[str] = pa.Field(nullable=True)
    statistic: Series[float] = pa.Field(nullable=True)
    p_value: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    p_adjusted: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    flags: Series[str] = pa.Field(nullable=True)
    category: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = False
        unique = ["indicator", "category", "group", "comparison"]


COMPARISON_COLUMNS = list(RoundComparison.to_schema().columns)
