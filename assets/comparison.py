"""Compare rounds: change (second minus first) with its CI, the right test, flags.

Independent design (full samples): Welch t for scores, pooled two-proportion z for percentages
(Fisher's exact test when an expected count is below 5), Newcombe's hybrid score interval for
the change of a percentage. Panel design (respondents in both rounds, matched by respondent id;
only matched pairs enter): paired t for scores, McNemar with Newcombe's paired interval for
percentages. Benjamini-Hochberg adjusted p-values across the whole table. Small cells follow
the DHS convention: suppressed below 25 respondents (pairs), caution below 50.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.estimates import (
    ALL,
    estimate_values,
    estimation_unit,
    group_labels,
    group_slices,
    split_by,
)
from assets.statistics import (
    FISHER_TEST,
    ComparisonResult,
    DesignEstimate,
    adjust_pvalues,
    cohens_d,
    cohens_h,
    compare_design_estimates,
    compare_means_from_stats,
    compare_paired_means,
    compare_paired_proportions,
    compare_proportions,
)
from schemas.declarations import (
    Codebook,
    ComparisonDeclaration,
    Project,
)
from schemas.indicators import Distribution, IndicatorCatalogue, Ratio
from schemas.tables import COMPARISON_COLUMNS

EXTRA_COLUMNS = ["design", "assessment", "target", "target_met", "effect_size",
                 "effect_size_kind", "base_round", "end_round"]
NUMERIC_PREFIXES = ("estimate_", "ci_", "change", "relative_", "statistic", "p_")
RELATIVE_CHANGE_MIN_BASE = 5.0  # relative change is blank below a 5% (or 5-point) base


def not_comparable(indicator, codebook: Codebook) -> list[str]:
    """The variables of an indicator that the codebook declares not comparable between rounds."""
    names = {name for names in indicator.variables().values() for name in names}
    return [v.name for v in codebook.variables if v.name in names and not v.comparable]


def compare_rounds(estimates: pd.DataFrame, respondents: pd.DataFrame, project: Project,
                   catalogue: IndicatorCatalogue, codebook: Codebook) -> pd.DataFrame:
    """One row per comparison x indicator x category x group, in the published contract."""
    rows = []
    labels = group_labels(codebook, catalogue)
    by_indicator = split_by(respondents, "indicator")
    for comparison in project.comparisons:
        for indicator in catalogue.indicators:
            if not_comparable(indicator, codebook):
                continue  # kept out of the table; the notes say why
            if comparison.design == "panel":
                cells = _panel_cells(by_indicator.get(indicator.id, respondents.iloc[:0]),
                                     indicator, comparison, labels, project)
            else:
                cells = _independent_cells(estimates, indicator, comparison, project)
            for category, group, base, end, result in cells:
                row = _row(base, end, result, estimation_unit(indicator), project,
                           comparison.design)
                row.update(indicator=indicator.id, label=indicator.label, group=group,
                           category=category, comparison=comparison.name,
                           unit=indicator.unit, direction=indicator.direction,
                           design=comparison.design, base_round=comparison.first,
                           end_round=comparison.second)
                if not category:  # targets and plausibility concern the headline value
                    row.update(_target(row, indicator.targets.get(comparison.second),
                                       indicator.direction))
                    row["_flags"] += _plausibility(row, indicator)
                row["flags"] = ";".join(row.pop("_flags"))
                rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=COMPARISON_COLUMNS + EXTRA_COLUMNS)
    numeric = [c for c in COMPARISON_COLUMNS if c.startswith(NUMERIC_PREFIXES)]
    table = table.astype({c: "float64" for c in numeric} | {"n_base": "int64", "n_end": "int64",
                                                            "target": "float64",
                                                            "effect_size": "float64"})
    table["target_met"] = table["target_met"].fillna("")
    table["p_adjusted"] = adjust_pvalues(table["p_value"].to_numpy(dtype=float), "fdr_bh")
    table["assessment"] = [_assess(r, project.alpha) for r in table.itertuples()]
    return table


def _independent_cells(estimates: pd.DataFrame, indicator, comparison: ComparisonDeclaration,
                       project: Project):
    """(category, group, base stats, end stats, test) for the full samples of two rounds."""
    mine = estimates[estimates["indicator"] == indicator.id]
    proportion = estimation_unit(indicator) == "%"
    keyed = mine.set_index(["round", "category", "group"])
    for category, group in mine[mine["round"] == comparison.first][["category", "group"]].values:
        base = keyed.loc[(comparison.first, category, group)].to_dict()
        end = keyed.loc[(comparison.second, category, group)].to_dict()
        test = None if category == "median" else (
            lambda b=base, e=end: _independent_test(b, e, proportion, project))
        yield category, group, base, end, test


def _independent_test(base: dict, end: dict, proportion: bool,
                      project: Project) -> ComparisonResult:
    if base.get("weighted"):
        return compare_design_estimates(_design(base, proportion), _design(end, proportion),
                                        confidence=project.confidence)
    if proportion:
        return compare_proportions(base["numerator"], base["n"], end["numerator"], end["n"],
                                   test="auto", confidence=project.confidence)
    return compare_means_from_stats(base["estimate"], base["sd"], base["n"], end["estimate"],
                                    end["sd"], end["n"], confidence=project.confidence)


def _design(stats: dict, proportion: bool) -> DesignEstimate:
    """The design estimate of an estimates row, on the estimator's own scale."""
    scale = 100.0 if proportion else 1.0
    return DesignEstimate(stats["estimate"] / scale, stats["se"] / scale, stats["ci_low"] / scale,
                          stats["ci_high"] / scale, int(stats["df"]), stats["deff"],
                          stats["kish_deff"], stats["n_eff"], int(stats["n"]), "")


def matched_pairs(respondents: pd.DataFrame, indicator_id: str, first: str, second: str,
                  category: str | None = "") -> pd.DataFrame:
    """Respondents counted in both rounds: value_first/second (and category_*), first groups.

    `category=None` pairs whole respondents (a distribution: their category may change).
    """
    mine = respondents[(respondents["indicator"] == indicator_id) & respondents["value"].notna()]
    if category is not None:
        mine = mine[mine["category"] == category]
    before = mine[mine["round"] == first]
    after = mine[mine["round"] == second][["respondent_id", "value", "category"]]
    pairs = before.merge(after, on="respondent_id", suffixes=("_first", "_second"))
    return pairs.drop(columns=["round", "status", "detail", "indicator", "flag", "band"],
                      errors="ignore")


def _panel_cells(respondents: pd.DataFrame, indicator, comparison: ComparisonDeclaration,
                 labels: dict[str, dict[str, str]], project: Project):
    """(category, group, base stats, end stats, paired test) for matched respondents."""
    unit, confidence = estimation_unit(indicator), project.confidence
    if isinstance(indicator, Distribution):
        pairs = matched_pairs(respondents, indicator.id, comparison.first, comparison.second,
                              category=None)
        categories = [(c, (pairs["category_first"] == c).astype(float),
                       (pairs["category_second"] == c).astype(float))
                      for c in indicator.row_labels()]
        frames = [(c, pairs.assign(value_first=a, value_second=b)) for c, a, b in categories]
    elif isinstance(indicator, Ratio):  # the mean of the ratio; a median has no paired test
        frames = [("mean", matched_pairs(respondents, indicator.id, comparison.first,
                                         comparison.second, ""))]
    else:
        frames = [(c, matched_pairs(respondents, indicator.id, comparison.first,
                                    comparison.second, c))
                  for c in [""] + (indicator.items if getattr(indicator, "item_rows", False)
                                   else [])]
    for category, pairs in frames:
        for group, members in group_slices(pairs, indicator.groups, labels):
            first = members["value_first"].astype(float).to_numpy()
            second = members["value_second"].astype(float).to_numpy()
            base = estimate_values(pd.Series(first), unit, confidence)
            end = estimate_values(pd.Series(second), unit, confidence)
            yield (category, group, base, end,
                   lambda a=first, b=second: _paired_test(a, b, unit, confidence))


def _paired_test(first: np.ndarray, second: np.ndarray, unit: str,
                 confidence: float) -> ComparisonResult:
    if unit != "%":
        return compare_paired_means(first, second, confidence=confidence)
    yes_first, yes_second = first == 1, second == 1
    return compare_paired_proportions(
        int((yes_first & yes_second).sum()), int((yes_first & ~yes_second).sum()),
        int((~yes_first & yes_second).sum()), int((~yes_first & ~yes_second).sum()),
        confidence=confidence)


def _row(base: dict, end: dict, test, unit: str, project: Project, design: str) -> dict:
    n_base, n_end = int(base["n"]), int(end["n"])
    flags = [design] + (["weighted"] if base.get("weighted") else [])
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
    if test is None:  # a level without a test (a median): the change only
        flags.append("no_test")
        return {**row, "change": end["estimate"] - base["estimate"], "_flags": flags}
    result = test()
    scale = 100.0 if unit == "%" else 1.0
    if result.test == FISHER_TEST:
        flags.append("fisher")
    row.update(change=result.difference * scale, change_ci_low=result.ci_low * scale,
               change_ci_high=result.ci_high * scale, test=result.test,
               statistic=result.statistic, p_value=result.p_value)
    row["relative_change"] = (row["change"] / base["estimate"] * 100
                              if base["estimate"] >= RELATIVE_CHANGE_MIN_BASE else np.nan)
    if unit == "%" and 0 <= base["estimate"] <= 100 and 0 <= end["estimate"] <= 100:
        row["effect_size"] = cohens_h(base["estimate"] / 100, end["estimate"] / 100)
        row["effect_size_kind"] = "Cohen's h"
    else:
        row["effect_size"] = cohens_d(base["estimate"], base["sd"], n_base, end["estimate"],
                                      end["sd"], n_end)
        row["effect_size_kind"] = "Cohen's d"
    return {**row, "_flags": flags}


def _target(row: dict, target: float | None, direction: str) -> dict:
    if target is None or row.get("estimate_end") is None:
        return {"target": target, "target_met": ""}
    end = row["estimate_end"]
    met = end >= target if direction == "higher_is_better" else end <= target
    return {"target": target, "target_met": "yes" if met else "no"}


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
    if row.direction == "neutral":
        return "increased" if row.change > 0 else "decreased"
    better = (row.change > 0) == (row.direction == "higher_is_better")
    return "improved" if better else "worsened"


def headline_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The headline rows of a comparison table: whole population, no category or item row."""
    return table[(table["group"] == ALL) & (table["category"].fillna("") == "")]
