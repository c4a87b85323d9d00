"""Estimate and compare: respondent_indicators -> indicator_estimates -> round_comparison."""

import dagster as dg

from assets.defs.paths import SurveyPaths
from assets.defs.storage import markdown, table_metadata, write_table

HEADLINE = ["indicator", "group", "estimate_base", "estimate_end", "change", "p_adjusted", "flags"]


@dg.asset(group_name="comparison", kinds={"pandas", "parquet"}, deps=["respondent_indicators"],
          automation_condition=dg.AutomationCondition.eager())
def indicator_estimates(paths: SurveyPaths) -> dg.MaterializeResult:
    """n, estimate and 95% CI of every indicator per round and group."""

    from assets.estimates import ALL, estimate_indicators
    from assets.validate import full_validation
    from schemas.tables import IndicatorEstimates

    survey = paths.survey()
    rounds = survey.project.round_names
    paths.require_complete(rounds)
    respondents = paths.read_respondents(rounds)
    table = estimate_indicators(respondents, survey.project, survey.catalogue, survey.codebook)
    with full_validation():
        IndicatorEstimates.validate(table, lazy=True)
    path = paths.table("indicator_estimates")
    write_table(table, path)
    metadata = table_metadata(table, path)
    metadata["overall"] = markdown(table[table["group"] == ALL][
        ["indicator", "category", "round", "n", "estimate", "ci_low", "ci_high"]])
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    group_name="comparison", kinds={"pandas", "parquet"},
    deps=[indicator_estimates, "respondent_indicators"],
    automation_condition=dg.AutomationCondition.eager(),
    check_specs=[
        dg.AssetCheckSpec("comparison_contract", asset="round_comparison", blocking=True,
                          description="The table has the published columns and valid values."),
        dg.AssetCheckSpec("plausible_changes", asset="round_comparison", blocking=False,
                          description="Warns when a change or level is beyond the declared "
                                      "plausibility rule (e.g. PWI moving > 10 points)."),
    ],
)
def round_comparison(paths: SurveyPaths) -> dg.MaterializeResult:
    """Baseline-versus-endline comparison: change, its CI, the test used, flags."""
    import pandera.pandas as pa

    from assets.comparison import compare_rounds, headline_rows
    from assets.validate import full_validation
    from schemas.tables import RoundComparison

    survey = paths.survey()
    respondents = paths.read_respondents(survey.project.round_names)
    table = compare_rounds(paths.read_table("indicator_estimates"), respondents,
                           survey.project, survey.catalogue, survey.codebook)
    path = paths.table("round_comparison")
    write_table(table, path)
    with full_validation():
        try:
            RoundComparison.validate(table, lazy=True)
            contract_ok, note = True, "ok"
        except pa.errors.SchemaErrors as errors:
            contract_ok, note = False, str(errors.failure_cases.head(10).to_dict("records"))
    implausible = table[table["flags"].str.contains("plausibility_warning", na=False)]
    metadata = table_metadata(table, path)
    metadata["headline"] = markdown(headline_rows(table)[HEADLINE])
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(check_name="comparison_contract", passed=contract_ok,
                                metadata={"result": note}),
            dg.AssetCheckResult(
                check_name="plausible_changes", passed=implausible.empty,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"rows": markdown(implausible[HEADLINE])}),
        ],
    )
