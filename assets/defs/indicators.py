"""Score: validated_responses -> respondent_indicators (PWI, prevalences, per person)."""

import dagster as dg

from assets.defs.partitions import round_partitions
from assets.defs.paths import SurveyPaths
from assets.defs.storage import markdown, table_metadata, write_table
from assets.publish import write_json

SCORES_IN_RANGE = "values_within_0_100"
REVERSALS = "item_total_correlations_positive"


@dg.asset(
    partitions_def=round_partitions, group_name="rounds", kinds={"pandas", "parquet"},
    deps=["validated_responses"],
    check_specs=[
        dg.AssetCheckSpec(SCORES_IN_RANGE, asset="respondent_indicators", blocking=True,
                          description="Scores lie in 0-100; percentages are 0 or 1."),
        dg.AssetCheckSpec(REVERSALS, asset="respondent_indicators", blocking=False,
                          description="Every scale item correlates positively with the rest "
                                      "of its scale after reversal (else: a reversal error)."),
    ],
)
def respondent_indicators(context: dg.AssetExecutionContext,
                          paths: SurveyPaths) -> dg.MaterializeResult:
    """Every eligible respondent's value on every declared indicator, with status and detail."""
    import pandera.pandas as pa

    from assets.scoring import reversal_warnings, score_respondents
    from assets.validate import full_validation
    from schemas.tables import RespondentIndicators

    survey = paths.survey()
    clean = paths.read_table("validated_responses", context.partition_key)
    table = score_respondents(clean, survey.project, survey.catalogue)
    reversals = reversal_warnings(clean, survey.catalogue)
    path = paths.table("respondent_indicators", context.partition_key)
    write_table(table, path)
    write_json(paths.completion_stamp(context.partition_key),
               paths.ingested_files(context.partition_key))
    values = table["value"].dropna()
    with full_validation():
        try:
            RespondentIndicators.validate(table, lazy=True)
            shape_ok = True
        except pa.errors.SchemaErrors:
            shape_ok = False
    in_range = bool(values.between(0, 100).all()) and shape_ok
    summary = table.groupby(["indicator", "status"]).size().unstack(fill_value=0).reset_index()
    metadata = table_metadata(table, path)
    metadata["status_by_indicator"] = markdown(summary)
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name=SCORES_IN_RANGE, passed=in_range,
                metadata={"min": float(values.min()) if len(values) else 0.0,
                          "max": float(values.max()) if len(values) else 0.0}),
            dg.AssetCheckResult(check_name=REVERSALS, passed=reversals.empty,
                                severity=dg.AssetCheckSeverity.WARN,
                                metadata={"negative_items": markdown(reversals)}),
        ],
    )
