"""Statistics for baseline/endline comparisons: intervals, two-group tests, p-value adjustment.

Sign convention: every difference is **second minus first** (endline minus baseline), and
every test statistic carries the sign of that difference.

Depends only on numpy, scipy and the standard library (no Dagster, no statsmodels), so it can
be imported and tested on its own. Results are frozen dataclasses; the method actually used is
named in the ``test`` field, using the module constants below.
"""

from assets.statistics.design import (
    DESIGN_DIFFERENCE_TEST,
    DESIGN_LOGIT_INTERVAL,
    DESIGN_T_INTERVAL,
    LONELY_PSU_RULES,
    DesignEstimate,
    compare_design_estimates,
    design_mean,
    design_proportion,
)
from assets.statistics.effect_sizes import cohens_d, cohens_h
from assets.statistics.means import compare_means, compare_means_from_stats, t_interval
from assets.statistics.multiplicity import adjust_pvalues
from assets.statistics.paired import (
    MCNEMAR_CC_TEST,
    MCNEMAR_EXACT_TEST,
    MCNEMAR_TEST,
    MIN_DISCORDANT_PAIRS,
    PAIRED_T_TEST,
    McNemarResult,
    compare_paired_means,
    compare_paired_proportions,
    mcnemar_test,
    paired_newcombe_difference_interval,
)
from assets.statistics.proportions import (
    compare_proportions,
    newcombe_difference_interval,
    wilson_interval,
)
from assets.statistics.results import (
    FISHER_TEST,
    MIN_EXPECTED_COUNT,
    STUDENT_TEST,
    WELCH_TEST,
    Z_TEST,
    ComparisonResult,
    Interval,
)

__all__ = [
    "DESIGN_DIFFERENCE_TEST",
    "DESIGN_LOGIT_INTERVAL",
    "DESIGN_T_INTERVAL",
    "FISHER_TEST",
    "LONELY_PSU_RULES",
    "MCNEMAR_CC_TEST",
    "MCNEMAR_EXACT_TEST",
    "MCNEMAR_TEST",
    "MIN_DISCORDANT_PAIRS",
    "MIN_EXPECTED_COUNT",
    "PAIRED_T_TEST",
    "STUDENT_TEST",
    "WELCH_TEST",
    "Z_TEST",
    "ComparisonResult",
    "DesignEstimate",
    "Interval",
    "McNemarResult",
    "adjust_pvalues",
    "cohens_d",
    "cohens_h",
    "compare_design_estimates",
    "compare_means",
    "compare_means_from_stats",
    "compare_paired_means",
    "compare_paired_proportions",
    "compare_proportions",
    "design_mean",
    "design_proportion",
    "mcnemar_test",
    "newcombe_difference_interval",
    "paired_newcombe_difference_interval",
    "t_interval",
    "wilson_interval",
]
