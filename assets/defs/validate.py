"""Validate: harmonized_responses -> validated_responses + quarantine, with blocking checks."""

import dagster as dg

from assets.defs.partitions import round_partitions
from assets.defs.paths import SurveyPaths
from assets.defs.storage import markdown, table_metadata, write_table

ROW_ACCOUNTING = "row_accounting"
UNIQUE_IDS = "unique_respondent_ids"
CLEAN_SCHEMA = "clean_rows_match_schema"
DUPLICATES = "duplicate_submissions"
OUT_OF_RANGE = "out_of_range_share"
STRAIGHTLINING = "straightlining_share"


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
        dg.AssetCheckSpec(DUPLICATES, asset="validated_responses", blocking=False,
                          description="Exact and conflicting duplicate submissions (warns)."),
        dg.AssetCheckSpec(OUT_OF_RANGE, asset="validated_responses", blocking=False,
                          description="Share of rows with an out-of-range value (warns above "
                                      "the declared share)."),
        dg.AssetCheckSpec(STRAIGHTLINING, asset="validated_responses", blocking=False,
                          description="Share of interviews answering a whole scale with one "
                                      "value (warns above the declared share)."),
    ],
)
def validated_responses(context: dg.AssetExecutionContext,
                        paths: SurveyPaths) -> dg.MaterializeResult:
    """Clean rows of one round; failing rows go to quarantine with their reasons."""
    import pandas as pd
    import pandera.pandas as pa

    from assets.validate import failures_by_rule, full_validation, response_schema, row_accounting
    from assets.validation_run import require_valid_rows, validate_with_declarations

    survey = paths.survey()
    project = survey.project
    round_name = context.partition_key
    harmonized = paths.read_table("harmonized_responses", round_name)
    conversion = paths.read_table("harmonized_responses", f"{round_name}.conversion_failures")
    run = validate_with_declarations(harmonized, conversion, round_name, project,
                                     survey.codebook, survey.project_file.parent)
    result = run.validated
    path = paths.table("validated_responses", round_name)
    write_table(result.clean, path)
    write_table(result.quarantine, paths.table("quarantine", round_name))
    write_table(result.failures, paths.table("validation_failures", round_name))
    tables = {"duplicates": run.duplicates, "corrections_log": run.corrections_log,
              "duplicate_resolution_log": run.resolution_log,
              "fieldwork_by_enumerator": run.fieldwork.by_enumerator,
              "fieldwork_by_form_version": run.fieldwork.by_form_version,
              "fieldwork_flags": run.fieldwork.flags}
    for name, table in tables.items():
        write_table(table.astype({c: "string" for c in table.columns
                                  if table[c].dtype == object}), paths.table(name, round_name))
    require_valid_rows(result, round_name)  # after the quarantine is written, to read it

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
    rows = max(len(harmonized), 1)
    in_range = result.failures["rule"].astype(str).str.startswith("in range")
    out_of_range = result.failures.loc[in_range, ["source_file", "source_row"]].drop_duplicates()
    out_share = len(out_of_range) / rows
    straight = run.fieldwork.summary.get(round_name, {}).get("straightlining_share")
    straight = 0.0 if straight is None or straight != straight else float(straight)
    duplicate_counts = run.duplicates["kind"].value_counts().to_dict()
    metadata.update({
        "corrections_applied": dg.MetadataValue.int(
            int((run.corrections_log.get("status", pd.Series(dtype=str)) == "applied").sum())),
        "fieldwork_flags": dg.MetadataValue.int(len(run.fieldwork.flags)),
        "by_enumerator": markdown(run.fieldwork.by_enumerator.head(30), digits=3),
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
            dg.AssetCheckResult(
                check_name=DUPLICATES, passed=run.duplicates.empty,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"exact": int(duplicate_counts.get("exact", 0)),
                          "conflicting": int(duplicate_counts.get("conflicting", 0)),
                          "sample": markdown(run.duplicates.head(10))}),
            dg.AssetCheckResult(
                check_name=OUT_OF_RANGE, severity=dg.AssetCheckSeverity.WARN,
                passed=out_share <= project.validation.out_of_range_warn_share,
                metadata={"rows_out_of_range": len(out_of_range), "share": round(out_share, 4),
                          "sample": markdown(result.failures[in_range].head(10))}),
            dg.AssetCheckResult(
                check_name=STRAIGHTLINING, severity=dg.AssetCheckSeverity.WARN,
                passed=straight <= project.validation.straightlining_warn_share,
                metadata={"share": round(straight, 4), "sample": markdown(
                    run.fieldwork.flags[run.fieldwork.flags["check"] == "straightlining"]
                    .head(10))}),
        ],
    )
