"""Validate: harmonized_responses -> validated_responses + quarantine, with blocking checks."""

import dagster as dg

from assets.defs.partitions import round_partitions
from assets.defs.paths import SurveyPaths
from assets.defs.storage import markdown, table_metadata, write_table

ROW_ACCOUNTING = "row_accounting"
UNIQUE_IDS = "unique_respondent_ids"
CLEAN_SCHEMA = "clean_rows_match_schema"


@dg.asset(
    partitions_def=round_partitions, group_name="rounds", kinds={"pandera", "parquet"},
    deps=["harmonized_responses"],
    check_specs=[
        dg.AssetCheckSpec(ROW_ACCOUNTING, asset="validated_responses", blocking=True,
                          description="Raw rows = clean + quarantined, per file."),
        dg.AssetCheckSpec(UNIQUE_IDS, asset="validated_responses", blocking=True,
                          description="No respondent id appears twice among clean rows."),
        dg.AssetCheckSpec(CLEAN_SCHEMA, asset="validated_responses", blocking=True,
                          description="Clean rows pass the codebook's Pandera schema."),
    ],
)
def validated_responses(context: dg.AssetExecutionContext,
                        paths: SurveyPaths) -> dg.MaterializeResult:
    """Clean rows of one round; failing rows go to quarantine with their reasons."""
    import pandera.pandas as pa

    from assets.validate import (
        failures_by_rule,
        full_validation,
        response_schema,
        row_accounting,
        validate_round,
    )

    survey = paths.survey()
    round_name = context.partition_key
    harmonized = paths.read_table("harmonized_responses", round_name)
    conversion = paths.read_table("harmonized_responses", f"{round_name}.conversion_failures")
    result = validate_round(harmonized, conversion, survey.project, survey.codebook)
    path = paths.table("validated_responses", round_name)
    write_table(result.clean, path)
    write_table(result.quarantine, paths.table("quarantine", round_name))
    write_table(result.failures, paths.table("validation_failures", round_name))

    accounting = row_accounting(paths.read_json("raw_responses", round_name), result.clean,
                                result.quarantine)
    ids = result.clean[survey.project.respondent_id]
    with full_validation():
        try:
            response_schema(survey.project, survey.codebook).validate(result.clean, lazy=True)
            schema_ok, schema_note = True, "ok"
        except pa.errors.SchemaErrors as errors:
            schema_ok, schema_note = False, f"{len(errors.failure_cases)} failure cases"

    metadata = table_metadata(result.clean, path)
    metadata.update({
        "quarantined_rows": dg.MetadataValue.int(len(result.quarantine)),
        "failures_by_rule": markdown(failures_by_rule(result.failures)),
        # Harmonised data holds no personal column, so a failure's value is never personal.
        "failures_sample": markdown(result.failures.head(10)),
    })
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(check_name=ROW_ACCOUNTING,
                                passed=bool(accounting["balanced"].all()),
                                metadata={"per_file": markdown(accounting)}),
            dg.AssetCheckResult(check_name=UNIQUE_IDS, passed=bool(ids.is_unique),
                                metadata={"duplicated": int(ids.duplicated().sum())}),
            dg.AssetCheckResult(check_name=CLEAN_SCHEMA, passed=schema_ok,
                                metadata={"result": schema_note}),
        ],
    )
