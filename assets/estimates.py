"""Estimate every indicator per round and group: n, estimate, SD and 95% confidence interval.

Scores: mean with a t interval. Percentages: Wilson score interval (never Wald), in percent.
Groups: the indicator's whole population ("all") and each level of its declared groups
("district=Dusti"), labelled through the codebook.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from assets.scoring import DESIGN_PREFIX
from assets.statistics import design_mean, design_proportion, t_interval, wilson_interval
from schemas.declarations import Codebook, SamplingDesign
from schemas.indicators import IndicatorCatalogue

ALL = "all"
ESTIMATE_COLUMNS = ["indicator", "round", "group", "unit", "n", "count", "estimate", "sd", "se",
                    "ci_low", "ci_high", "not_scored", "weighted", "df", "deff", "kish_deff",
                    "n_eff"]


def group_slices(people: pd.DataFrame, groups: list[str],
                 codebook: Codebook) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ("all", everyone) then ("<variable>=<label>", members) for each group level."""
    yield ALL, people
    for variable in groups:
        labels = codebook.labels_of(codebook.variable(variable))
        for code, label in labels.items():
            yield f"{variable}={label}", people[people[variable] == code]


def estimate_values(values: pd.Series, unit: str, confidence: float) -> dict[str, float]:
    """n, estimate, SD, SE and CI of person values (scores 0-100, or 1/0 for percentages)."""
    clean = values.dropna().to_numpy(dtype=float)
    n = len(clean)
    if n == 0:
        return dict(n=0, count=np.nan, estimate=np.nan, sd=np.nan, se=np.nan, ci_low=np.nan,
                    ci_high=np.nan)
    if unit == "%":
        count = float(clean.sum())
        share = count / n
        interval = wilson_interval(count, n, confidence)
        return dict(n=n, count=count, estimate=share * 100, sd=np.nan,
                    se=float(np.sqrt(share * (1 - share) / n)) * 100,
                    ci_low=interval.low * 100, ci_high=interval.high * 100)
    mean = float(clean.mean())
    sd = float(clean.std(ddof=1)) if n > 1 else np.nan
    interval = t_interval(mean, sd, n, confidence)
    return dict(n=n, count=np.nan, estimate=mean, sd=sd, se=sd / np.sqrt(n),
                ci_low=interval.low, ci_high=interval.high)


def design_estimate_values(people: pd.DataFrame, domain: pd.Series, unit: str,
                           design: SamplingDesign, confidence: float) -> dict[str, float]:
    """Design-based n, estimate, SE, CI, df and design effects of a domain (a group).

    The domain is part of the whole design (R `survey`): rows outside it, or without a value,
    contribute zero but their PSUs stay in the design.
    """
    values = people["value"].astype(float).where(domain)
    arguments = {role: people[DESIGN_PREFIX + role].to_numpy()
                 for role in ("strata", "clusters", "fpc") if DESIGN_PREFIX + role in people}
    weights = people[DESIGN_PREFIX + "weights"].astype(float).to_numpy()
    n = int(values.notna().sum())
    if n == 0:
        return dict(n=0, weighted=True)
    estimator = design_proportion if unit == "%" else design_mean
    result = estimator(values.to_numpy(), weights, confidence=confidence,
                       lonely_psu=design.lonely_psu, **arguments)
    scale = 100.0 if unit == "%" else 1.0
    return dict(n=n, count=float(values.sum()) if unit == "%" else np.nan,
                estimate=result.estimate * scale, sd=np.nan, se=result.se * scale,
                ci_low=result.ci_low * scale, ci_high=result.ci_high * scale, weighted=True,
                df=result.df, deff=result.deff, kish_deff=result.kish_deff, n_eff=result.n_eff)


def estimate_indicators(respondents: pd.DataFrame, catalogue: IndicatorCatalogue,
                        codebook: Codebook, rounds: list[str], confidence: float,
                        design: SamplingDesign | None = None) -> pd.DataFrame:
    """One row per indicator x round x group, from the respondent-level indicator table.

    Unweighted (simple random sample) unless a sampling design is declared.
    """
    rows = []
    for indicator in catalogue.indicators:
        unit = indicator.unit
        mine = respondents[respondents["indicator"] == indicator.id]
        for round_name in rounds:
            people = mine[mine["round"] == round_name]
            for group, members in group_slices(people, indicator.groups, codebook):
                if design is None:
                    stats = estimate_values(members["value"], unit, confidence)
                else:
                    domain = pd.Series(people.index.isin(members.index), index=people.index)
                    stats = design_estimate_values(people, domain, unit, design, confidence)
                not_scored = int(members["value"].isna().sum())
                rows.append(dict(indicator=indicator.id, round=round_name, group=group,
                                 unit=unit, not_scored=not_scored, **stats))
    table = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
    table["weighted"] = table["weighted"].eq(True)
    return table.astype({"n": "int64", "not_scored": "int64"})

