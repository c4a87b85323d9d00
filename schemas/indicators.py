"""Typed models of indicators.yaml: indicator kinds declared, not coded.

Kinds: `mean_score` (a scale on 0-100), `prevalence` (a percentage, optionally "at least k of m
items"), `count` (mean number of items answered yes), `ratio` (a per-person ratio in percent,
mean and median), `distribution` (shares of categories or declared bins, with don't-know /
refused / zero rows, summing to 100%).
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
SpecialKind = Literal["dont_know", "refused", "not_applicable", "missing"]
Direction = Literal["higher_is_better", "lower_is_better", "neutral"]


class Strict(BaseModel):
    """Unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(Strict):
    """Response scale of items (min and max codes)."""

    min: float
    max: float


class Plausibility(Strict):
    """Warn (never fail) when a group estimate moves or sits beyond what is plausible."""

    max_change: float | None = None
    max_estimate: float | None = None


class Band(Strict):
    """A named band of person scores from `min` (inclusive) up to the next band's min."""

    label: str
    min: float = -math.inf


class IndicatorBase(Strict):
    """Fields every indicator declares."""

    id: Identifier
    label: str
    family: str = "Indicators"
    direction: Direction = "higher_is_better"
    eligible: dict[str, list[str]] = {}
    groups: list[str] = []
    source: str = ""
    plausibility: Plausibility = Plausibility()
    targets: dict[str, float] = {}

    def variables(self) -> dict[str, list[str]]:
        """Codebook variables this indicator reads, by declaration key."""
        return {"eligible": list(self.eligible)}


class MeanScore(IndicatorBase):
    """A scale score on 0-100: mean of answered items, scored when few enough are missing.

    conversion: `pomp` = (mean - min) / (max - min) * 100 (percent of scale maximum, %SM);
    `pct_of_max` = mean / max * 100 (the sum over its maximum). Reverse items are recoded
    (min + max) - x before scoring.
    """

    kind: Literal["mean_score"]
    unit: Literal["points"] = "points"
    items: list[str] = Field(min_length=1)
    scale: Scale
    reverse: list[str] = []
    conversion: Literal["pomp", "pct_of_max"] = "pomp"
    max_missing: int = Field(1, ge=0)
    response_set_flags: bool = False
    response_set_threshold: float = Field(2.0, ge=0, le=100)
    item_rows: bool = False
    check_item_total: bool = False
    bands: list[Band] = []

    @model_validator(mode="after")
    def _reverse_items_are_items(self) -> MeanScore:
        unknown = sorted(set(self.reverse) - set(self.items))
        if unknown:
            raise ValueError(f"reverse items {unknown} are not among the items")
        return self

    def variables(self) -> dict[str, list[str]]:
        """Codebook variables this indicator reads."""
        return {**super().variables(), "items": self.items}


class Prevalence(IndicatorBase):
    """A percentage: respondents whose answer is in `yes`, among the denominator.

    With `items` and `at_least`: respondents with at least k of the items answered yes
    (don't know counts as not yes; excluded kinds on any item take the person out).
    """

    kind: Literal["prevalence"]
    unit: Literal["%"] = "%"
    variable: str | None = None
    items: list[str] = []
    at_least: int | None = Field(None, ge=1)
    yes: list[str] = Field(min_length=1)
    denominator_excludes: list[SpecialKind] = ["refused", "missing", "not_applicable"]

    @model_validator(mode="after")
    def _one_source(self) -> Prevalence:
        if (self.variable is None) == (not self.items):
            raise ValueError("declare either `variable` or `items` (with `at_least`)")
        if self.items and (self.at_least is None or self.at_least > len(self.items)):
            raise ValueError("`items` needs `at_least` between 1 and the number of items")
        return self

    def variables(self) -> dict[str, list[str]]:
        """Codebook variables this indicator reads."""
        source = {"variable": [self.variable]} if self.variable else {"items": self.items}
        return {**super().variables(), **source}


class Count(IndicatorBase):
    """Mean number of items answered yes (e.g. rights known, 0 to m); don't know = not yes."""

    kind: Literal["count"]
    unit: Literal["count"] = "count"
    items: list[str] = Field(min_length=1)
    yes: list[str] = Field(min_length=1)
    denominator_excludes: list[SpecialKind] = ["refused", "missing", "not_applicable"]

    def variables(self) -> dict[str, list[str]]:
        """Codebook variables this indicator reads."""
        return {**super().variables(), "items": self.items}


class Ratio(IndicatorBase):
    """A per-respondent ratio in percent, numerator / denominator * 100, among respondents whose
    denominator is above zero (e.g. the savings rate: amount saved / household income).

    Published as two rows: `mean` (t interval, compared with Welch / paired t) and `median`
    (estimate only; no interval or test).
    """

    kind: Literal["ratio"]
    unit: Literal["%"] = "%"
    numerator: str
    denominator: str

    def variables(self) -> dict[str, list[str]]:
        """Codebook variables this indicator reads."""
        return {**super().variables(), "numerator": [self.numerator],
                "denominator": [self.denominator]}


class Distribution(IndicatorBase):
    """Shares of categories (codes) or of declared bins of an amount, summing to 100%.

    Bins: edges with the boundary rule `closed` (right: (a, b], the first bin includes its
    lower edge). `zero_row` gives exactly 0 its own row (e.g. "No income"). Special kinds named
    in `special_rows` get their own rows; kinds in `denominator_excludes` leave the table.
    Pre-coded bands (`precoded`: per round, code -> [lower, upper]) that differ between rounds
    are published on the boundaries common to every round; a band is never split.
    """

    kind: Literal["distribution"]
    unit: Literal["%"] = "%"
    variable: str
    bins: list[float] | None = None
    bin_labels: list[str] | None = None
    closed: Literal["right", "left"] = "right"
    categories: dict[str, str] | None = None
    precoded: dict[str, dict[str, tuple[float, float]]] | None = None
    zero_row: str | None = None
    special_rows: dict[SpecialKind, str] = {"dont_know": "Don't know", "refused": "Refused"}
    denominator_excludes: list[SpecialKind] = ["missing", "not_applicable"]

    @model_validator(mode="after")
    def _bins_or_categories(self) -> Distribution:
        sources = [self.bins is not None, self.categories is not None, self.precoded is not None]
        if sum(sources) != 1:
            raise ValueError("declare one of `bins` (with `bin_labels`), `categories` or "
                             "`precoded`")
        for round_name, bands in (self.precoded or {}).items():
            for code, (low, high) in bands.items():
                if not low < high:
                    raise ValueError(f"precoded.{round_name}.{code}: lower must be below upper")
        if self.bins is not None:
            if sorted(self.bins) != list(self.bins) or len(set(self.bins)) != len(self.bins):
                raise ValueError("bins must be strictly increasing edges")
            if self.bin_labels is None or len(self.bin_labels) != len(self.bins) - 1:
                raise ValueError("bin_labels needs one label per bin (len(bins) - 1)")
        return self

    def variables(self) -> dict[str, list[str]]:
        """Codebook variables this indicator reads."""
        return {**super().variables(), "variable": [self.variable]}

    def common_bands(self) -> list[tuple[float, float, str]]:
        """(lower, upper, label) of the bands on the boundaries every round's codes share."""
        bounds = [{edge for band in bands.values() for edge in band}
                  for bands in (self.precoded or {}).values()]
        edges = sorted(set.intersection(*bounds)) if bounds else []
        return [(low, high, f">{low:g}" if math.isinf(high) else f"{low:g}-{high:g}")
                for low, high in pairwise(edges)]

    def precoded_labels(self, round_name: str) -> dict[str, str]:
        """Code -> common band label for one round's pre-coded bands."""
        labels = {}
        for code, (low, high) in (self.precoded or {}).get(round_name, {}).items():
            for common_low, common_high, label in self.common_bands():
                if common_low <= low and high <= common_high:
                    labels[code] = label
        return labels

    def row_labels(self) -> list[str]:
        """Category rows in publication order: zero row, bins or categories, special rows."""
        rows = [self.zero_row] if self.zero_row else []
        rows += list(self.bin_labels or []) + list((self.categories or {}).values())
        rows += [label for _, _, label in self.common_bands()]
        return rows + list(self.special_rows.values())


class DerivedGroup(Strict):
    """A grouping made from a numeric variable by declared bins (e.g. age groups)."""

    variable: str
    bins: list[float] = Field(min_length=2)
    labels: list[str]
    closed: Literal["right", "left"] = "left"

    @model_validator(mode="after")
    def _one_label_per_bin(self) -> DerivedGroup:
        if len(self.labels) != len(self.bins) - 1:
            raise ValueError("labels needs one label per bin (len(bins) - 1)")
        return self


Indicator = Annotated[MeanScore | Prevalence | Count | Ratio | Distribution,
                      Field(discriminator="kind")]


class IndicatorCatalogue(Strict):
    """All declared indicators, and the derived groups they may be disaggregated by."""

    derived_groups: dict[Identifier, DerivedGroup] = {}
    indicators: list[Indicator] = Field(min_length=1)
