"""Estimate every indicator per round, group and category: n, estimate, SE and 95% CI.

Scores and counts: mean with a t interval. Percentages: Wilson score interval (never Wald), in
percent; a distribution has one row per category, summing to 100%. Groups: the indicator's
whole population ("all") and each level of its declared groups ("district=Dusti"). With a
declared sampling design, estimates are design-based (see `assets.statistics.design`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from assets.scoring import DESIGN_PREFIX
from assets.statistics import design_mean, design_proportion, t_interval, wilson_interval
from schemas.declarations import Codebook, Project, SamplingDesign
from schemas.indicators import Distribution, IndicatorCatalogue, MeanScore, Prevalence, Ratio

ALL = "all"
WITHOUT_RESPONSE_SETS = "all, excluding response sets"
SUPPRESSED_VALUES = ["numerator", "estimate", "sd", "se", "ci_low", "ci_high", "dont_know_share",
                     "median_category"]
ESTIMATE_COLUMNS = ["indicator", "category", "round", "group", "unit", "n", "numerator",
                    "denominator", "estimate", "sd", "se", "ci_low", "ci_high", "not_scored",
                    "dont_know_share", "median_category", "flags", "weighted", "df", "deff",
                    "kish_deff", "n_eff"]


def group_labels(codebook: Codebook, catalogue: IndicatorCatalogue) -> dict[str, dict[str, str]]:
    """Code -> label of every variable an indicator may be grouped by (derived groups too)."""
    labels = {v.name: codebook.labels_of(v) for v in codebook.variables if v.type == "category"}
    labels.update({name: {label: label for label in group.labels}
                   for name, group in catalogue.derived_groups.items()})
    return labels


def group_slices(people: pd.DataFrame, groups: list[str],
                 labels: dict[str, dict[str, str]]) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ("all", everyone) then ("<variable>=<label>", members) for each group level."""
    yield ALL, people
    for variable in groups:
        for code, label in labels[variable].items():
            yield f"{variable}={label}", people[people[variable] == code]


def split_by(frame: pd.DataFrame, column: str) -> dict[str, pd.DataFrame]:
    """The rows of each value of `column`, in one pass (a mask per value scans every row)."""
    if frame.empty:
        return {}
    groups = frame.groupby(column, sort=False, observed=True, dropna=True).indices
    return {str(key): frame.take(positions) for key, positions in groups.items()}


def estimate_values(values: pd.Series, unit: str, confidence: float) -> dict[str, float]:
    """n, estimate, SD, SE and CI of person values (scores, counts, or 1/0 for percentages)."""
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


def design_estimate_values(people: pd.DataFrame, values: pd.Series, domain: pd.Series,
                           unit: str, design: SamplingDesign,
                           confidence: float) -> dict[str, float]:
    """Design-based n, estimate, SE, CI, df and design effects of a domain (a group).

    The domain is part of the whole design (R `survey`): rows outside it, or without a value,
    contribute zero but their PSUs stay in the design.
    """
    values = values.astype(float).where(domain)
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


def estimation_unit(indicator) -> str:
    """'%' when person values are 1/0 (prevalence, distribution), else 'points' (means)."""
    return "%" if isinstance(indicator, Prevalence | Distribution) else "points"


def median_values(values: pd.Series) -> dict[str, float]:
    """n and median of person values (no interval: the table shows the median as a level)."""
    clean = values.dropna().to_numpy(dtype=float)
    return dict(n=len(clean), count=np.nan, estimate=float(np.median(clean)) if len(clean)
                else np.nan, sd=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan)


def cells(indicator, people: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame, pd.Series]]:
    """(category, rows, person values) of each published cell of an indicator in one round."""
    if isinstance(indicator, Distribution):
        counted = people["value"].notna()
        for label in indicator.row_labels():
            yield label, people, (people["category"] == label).astype(float).where(counted)
        return
    if isinstance(indicator, Ratio):
        values = people["value"].astype(float)
        yield "mean", people, values
        yield "median", people, values
        return
    categories = [""] + (indicator.items if isinstance(indicator, MeanScore)
                         and indicator.item_rows else [])
    for category in categories:
        rows = people[people["category"] == category]
        yield category, rows, rows["value"].astype(float)


def median_category(people: pd.DataFrame, indicator: Distribution) -> str:
    """The category holding the median respondent, over the ordered (non-special) rows."""
    ordered = [label for label in indicator.row_labels()
               if label not in indicator.special_rows.values()]
    counts = people["category"].value_counts().reindex(ordered, fill_value=0)
    if counts.sum() == 0:
        return ""
    cumulative = counts.cumsum() / counts.sum()
    return str(cumulative[cumulative >= 0.5].index[0])


def estimate_indicators(respondents: pd.DataFrame, project: Project,
                        catalogue: IndicatorCatalogue, codebook: Codebook) -> pd.DataFrame:
    """One row per indicator x category x round x group, from the respondent-level table.

    Unweighted (simple random sample) unless a sampling design is declared.
    """
    labels = group_labels(codebook, catalogue)
    rounds, design = project.round_names, project.sampling_design
    rows = []
    by_indicator = split_by(respondents, "indicator")
    for indicator in catalogue.indicators:
        mine = by_indicator.get(indicator.id, respondents.iloc[:0])
        extra = _response_set_variant(mine, indicator, rounds)
        unit = estimation_unit(indicator)
        by_round = split_by(mine, "round")
        for round_name in rounds:
            people = by_round.get(round_name, mine.iloc[:0])
            slices = list(group_slices(people, indicator.groups, labels))
            if extra:
                slices.insert(1, (WITHOUT_RESPONSE_SETS, people[people["flag"] == ""]))
            for group, members in slices:
                median = (median_category(members[members["value"].notna()], indicator)
                          if isinstance(indicator, Distribution) else "")
                for category, frame, values in cells(indicator, people):
                    domain = pd.Series(frame.index.isin(members.index), index=frame.index)
                    if category == "median":
                        stats = median_values(values[domain])
                    elif design is None:
                        stats = estimate_values(values[domain], unit, project.confidence)
                    else:
                        stats = design_estimate_values(frame, values, domain, unit, design,
                                                       project.confidence)
                    in_domain = frame[domain]
                    rows.append(dict(
                        indicator=indicator.id, category=category, round=round_name,
                        group=group, unit=indicator.unit, median_category=median,
                        not_scored=int(in_domain["value"].isna().sum()),
                        dont_know_share=_dont_know_share(in_domain, indicator),
                        flags=_small_cell(stats["n"], project), **stats))
    table = pd.DataFrame(rows).rename(columns={"count": "numerator"})
    table["denominator"] = np.where(table["unit"] == "%", table["n"], np.nan)
    table = table.reindex(columns=ESTIMATE_COLUMNS)
    # DHS: a suppressed cell shows n only (the comparison table does the same).
    suppressed = table["flags"] == "suppressed"
    table.loc[suppressed, SUPPRESSED_VALUES] = np.nan
    table["weighted"] = table["weighted"].eq(True)
    return table.astype({"n": "int64", "not_scored": "int64"})


def _response_set_variant(mine: pd.DataFrame, indicator, rounds: list[str]) -> bool:
    """True when flagged response sets exceed the declared share of some round."""
    if not (isinstance(indicator, MeanScore) and indicator.response_set_flags):
        return False
    main = mine[mine["category"] == ""]
    shares = [(main[main["round"] == r]["flag"] != "").mean() * 100 for r in rounds
              if (main["round"] == r).any()]
    return any(share > indicator.response_set_threshold for share in shares)


def _dont_know_share(rows: pd.DataFrame, indicator) -> float:
    """Share (%) of the denominator that answered don't know (prevalences only)."""
    if not isinstance(indicator, Prevalence):
        return np.nan
    counted = rows[rows["value"].notna()]
    return float((counted["detail"] == "dont_know").mean() * 100) if len(counted) else np.nan


def _small_cell(n: int, project: Project) -> str:
    if n < project.suppression.suppress_below:
        return "suppressed"
    return "caution" if n < project.suppression.caution_below else ""
