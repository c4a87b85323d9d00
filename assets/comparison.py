"""Compare rounds: change (second minus first) with its CI, the right test, flags.

Independent rounds: Welch t for scores, pooled two-proportion z for percentages (Fisher's exact
test when an expected count is below 5), Newcombe's hybrid score interval for the change of a
percentage. Benjamini-Hochberg adjusted p-values across the whole table. Small cells follow
the DHS convention: suppressed below 25 respondents, flagged for caution below 50.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.statistics import (
    FISHER_TEST,
    adjust_pvalues,
    compare_means_from_stats,
    compare_proportions,
)
from schemas.declarations import IndicatorCatalogue, Project
from schemas.tables import COMPARISON_COLUMNS

EXTRA_COLUMNS = ["design", "assessment", "base_round", "end_round"]
NUMERIC_PREFIXES = ("estimate_", "ci_", "change", "relative_", "statistic", "p_")
RELATIVE_CHANGE_MIN_BASE = 5.0  # relative change is blank below a 5% (or 5-point) base


def compare_rounds(estimates: pd.DataFrame, project: Project,
                   catalogue: IndicatorCatalogue) -> pd.DataFrame:
    """One row per comparison x indicator x group, in the published column contract."""
    rows = []
    indexed = estimates.set_index(["indicator", "round", "group"])
    for comparison in project.comparisons:
        for indicator in catalogue.indicators:
            groups = estimates.loc[estimates["indicator"] == indicator.id, "group"].unique()
            for group in groups:
                base = indexed.loc[(indicator.id, comparison.first, group)]
                end = indexed.loc[(indicator.id, comparison.second, group)]
                row = _compare_cell(base, end, indicator.unit, project, comparison.design)
                row.update(indicator=indicator.id, label=indicator.label, group=group,
                           comparison=comparison.name, unit=indicator.unit,
                           direction=indicator.direction, design=comparison.design,
                           base_round=comparison.first, end_round=comparison.second)
                row["flags"] = ";".join(row.pop("_flags") + _plausibility(row, indicator))
                rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=COMPARISON_COLUMNS + EXTRA_COLUMNS)
    numeric = [c for c in COMPARISON_COLUMNS if c.startswith(NUMERIC_PREFIXES)]
    table = table.astype({c: "float64" for c in numeric} | {"n_base": "int64", "n_end": "int64"})
    table["p_adjusted"] = adjust_pvalues(table["p_value"].to_numpy(dtype=float), "fdr_bh")
    table["assessment"] = [_assess(r, project.alpha) for r in table.itertuples()]
    return table


def _compare_cell(base: pd.Series, end: pd.Series, unit: str, project: Project,
                  design: str) -> dict:
    n_base, n_end = int(base["n"]), int(end["n"])
    flags = [design]
    row: dict = dict(n_base=n_base, n_end=n_end)
    smallest = min(n_base, n_end)
    if smallest < project.suppression.suppress_below:
        flags.append("suppressed")
        return {**row, "_flags": flags}
    if smallest < project.suppression.caution_below:
        flags.append("caution")
    for side, est in (("base", base), ("end", end)):
        row.update({f"estimate_{side}": est["estimate"], f"ci_low_{side}": est["ci_low"],
                    f"ci_high_{side}": est["ci_high"]})
    if unit == "%":
        result = compare_proportions(base["count"], n_base, end["count"], n_end,
                                     test="auto", confidence=project.confidence)
        scale = 100.0
        if result.test == FISHER_TEST:
            flags.append("fisher")
    else:
        result = compare_means_from_stats(base["estimate"], base["sd"], n_base, end["estimate"],
                                          end["sd"], n_end, confidence=project.confidence)
        scale = 1.0
    row.update(change=result.difference * scale, change_ci_low=result.ci_low * scale,
               change_ci_high=result.ci_high * scale, test=result.test,
               statistic=result.statistic, p_value=result.p_value)
    base_value = base["estimate"]
    row["relative_change"] = (row["change"] / base_value * 100
                              if base_value >= RELATIVE_CHANGE_MIN_BASE else np.nan)
    return {**row, "_flags": flags}


def _plausibility(row: dict, indicator) -> list[str]:
    rule = indicator.plausibility
    change, estimates = row.get("change"), [row.get("estimate_base"), row.get("estimate_end")]
    too_far = rule.max_change is not None and change is not None and abs(change) > rule.max_change
    too_high = rule.max_estimate is not None and any(
        e is not None and e > rule.max_estimate for e in estimates)
    return ["plausibility_warning"] if too_far or too_high else []


def _assess(row, alpha: float) -> str:
    if "suppressed" in row.flags or pd.isna(row.p_adjusted):
        return "not assessed"
    if row.p_adjusted >= alpha:
        return "no significant change"
    better = (row.change > 0) == (row.direction == "higher_is_better")
    return "improved" if better else "worsened"
