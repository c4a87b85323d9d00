"""The notes on methods: every rule the tables used, written from the declarations themselves."""

from __future__ import annotations

from schemas.declarations import Codebook, Project
from schemas.indicators import (
    Count,
    Distribution,
    IndicatorCatalogue,
    MeanScore,
    Prevalence,
    Ratio,
)

GENERAL = [
    ("Change", "Change is always endline minus baseline (second round minus first), in points "
               "for scores and in percentage points (pp) for percentages, computed from "
               "unrounded estimates. Relative change ((end - base) / base) is shown only in its "
               "own column, blank when the base is below 5."),
    ("Intervals", "95% confidence intervals: t interval for means and scores; Wilson score "
                  "interval for a percentage; Newcombe's hybrid score interval (method 10) for "
                  "a change in percentage points, its paired version for panel comparisons."),
    ("Tests, independent rounds", "Scores and counts: Welch's t test (unequal variances). "
                                  "Percentages: pooled two-proportion z test without continuity "
                                  "correction; Fisher's exact test when an expected count is "
                                  "below 5."),
    ("Tests, panel", "Only respondents interviewed in both rounds (matched by respondent id) "
                     "enter. Scores: paired t test. Percentages: McNemar test without "
                     "continuity correction, exact binomial when fewer than 25 discordant "
                     "pairs."),
    ("Multiple comparisons", "Adjusted p-values use the Benjamini-Hochberg procedure across "
                             "the whole comparison table."),
    ("Special codes", "Don't know, refused and similar codes are kept as kinds beside the "
                      "values; they are never averaged into a score."),
    ("Validation", "Rows failing a rule (range, allowed codes, unique id, conversion, exact "
                   "duplicate submission) are quarantined with their reasons, never dropped: "
                   "for every file, raw rows = clean rows + quarantined rows."),
]


def method_notes(project: Project, catalogue: IndicatorCatalogue,
                 codebook: Codebook | None = None) -> list[tuple[str, str]]:
    """(topic, rule) pairs: general rules, the project's settings, each indicator's rules."""
    notes = list(GENERAL)
    small = project.suppression
    notes.append(("Small cells", f"DHS convention: estimates from fewer than "
                                 f"{small.suppress_below} respondents are suppressed (*); "
                                 f"{small.suppress_below}-{small.caution_below - 1} are shown "
                                 "in parentheses, to be read with caution."))
    notes.append(("Significance", f"The assessment column reads adjusted p at alpha = "
                                  f"{project.alpha:g} together with the indicator's direction."))
    if project.sampling_design is None:
        notes.append(("Weights", "Unweighted: each round is treated as a simple random "
                                 "sample."))
    else:
        roles = ", ".join(f"{k} = {v}" for k, v in project.sampling_design.roles().items())
        notes.append(("Weights", f"Design-based estimates (Taylor linearisation, as R survey): "
                                 f"{roles}; lonely PSU rule: "
                                 f"{project.sampling_design.lonely_psu}."))
    for name, codes in project.special_codes.items():
        notes.append((f"Special codes '{name}'", ", ".join(f"{c} = {k.replace('_', ' ')}"
                                                         for c, k in codes.items())))
    for indicator in catalogue.indicators:
        notes.append((indicator.label, indicator_rule(indicator)))
    if codebook is not None:
        notes += comparability_notes(catalogue, codebook)
    return notes


def comparability_notes(catalogue: IndicatorCatalogue,
                        codebook: Codebook) -> list[tuple[str, str]]:
    """A note per indicator kept out of the comparison table: which variable changed, and how."""
    notes = []
    changed = {v.name: v for v in codebook.variables if not v.comparable}
    for indicator in catalogue.indicators:
        used = {n for names in indicator.variables().values() for n in names}
        for name in sorted(used & set(changed)):
            why = changed[name].comparability_note or "its scale or wording changed"
            notes.append((f"Not compared: {indicator.label}",
                          f"Estimated per round but not compared: variable {name!r} is "
                          f"declared not comparable between rounds ({why})."))
    return notes


def indicator_rule(indicator) -> str:
    """How one indicator is computed, in a sentence or two."""
    who = ", ".join(f"{k} in {v}" for k, v in indicator.eligible.items()) or "all respondents"
    excluded = ", ".join(getattr(indicator, "denominator_excludes", [])).replace("_", " ")
    if isinstance(indicator, MeanScore):
        conversion = ("percent of scale maximum, (x - min) / (max - min) * 100"
                      if indicator.conversion == "pomp" else "sum over its maximum * 100")
        reverse = (f"; reversed items: {', '.join(indicator.reverse)}"
                   if indicator.reverse else "")
        return (f"Mean of {len(indicator.items)} items ({indicator.scale.min:g}-"
                f"{indicator.scale.max:g}) on 0-100 by {conversion}{reverse}; scored when at "
                f"most {indicator.max_missing} item(s) are missing. Population: {who}.")
    if isinstance(indicator, Prevalence):
        what = (f"{indicator.variable} in {indicator.yes}" if indicator.variable else
                f"at least {indicator.at_least} of {len(indicator.items)} items in "
                f"{indicator.yes}")
        return (f"Percentage with {what}. Denominator: {who}, excluding {excluded}; "
                "don't know stays in the denominator (counted as not yes).")
    if isinstance(indicator, Count):
        return (f"Mean number of {len(indicator.items)} items answered {indicator.yes}; don't "
                f"know counts as not yes; excluded: {excluded}. Population: {who}.")
    if isinstance(indicator, Ratio):
        return (f"{indicator.numerator} / {indicator.denominator} * 100 per respondent whose "
                f"{indicator.denominator} is above 0; published as mean and median. "
                f"Population: {who}.")
    if isinstance(indicator, Distribution):
        if indicator.bins is not None:
            closed = "(a, b]" if indicator.closed == "right" else "[a, b)"
            how = (f"bins {list(indicator.bin_labels or [])} on edges "
                   f"{[f'{b:g}' for b in indicator.bins]}, each {closed}, the first including "
                   "its lower edge")
        elif indicator.precoded is not None:
            how = "pre-coded bands, published on the boundaries common to every round"
        else:
            how = f"categories {list((indicator.categories or {}).values())}"
        zero = f"; exactly 0 is its own row '{indicator.zero_row}'" if indicator.zero_row else ""
        return (f"Shares of {how}{zero}; rows for {', '.join(indicator.special_rows.values())}; "
                f"each round sums to 100% of {who}, excluding {excluded}. Bands are nominal.")
    return ""
