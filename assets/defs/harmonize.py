"""Harmonise: raw_responses -> harmonized_responses (canonical names, codes, kinds, no PII)."""

import dagster as dg

from assets.defs.partitions import round_partitions
from assets.defs.paths import SurveyPaths
from assets.defs.storage import table_metadata, write_table


@dg.asset(partitions_def=round_partitions, group_name="rounds", kinds={"pandas", "parquet"},
          deps=["raw_responses"])
def harmonized_responses(context: dg.AssetExecutionContext,
                         paths: SurveyPaths) -> dg.MaterializeResult:
    """One round on the codebook's canonical variables, personal data removed."""
    from assets.harmonize import harmonize_with_inventory

    survey = paths.survey()
    round_name = context.partition_key
    raw = paths.read_table("raw_responses", round_name)
    result = harmonize_with_inventory(raw, paths.read_json("raw_responses", round_name),
                                      round_name, survey.project, survey.codebook)
    path = paths.table("harmonized_responses", round_name)
    write_table(result.frame, path)
    write_table(result.conversion_failures,
                paths.table("harmonized_responses", f"{round_name}.conversion_failures"))
    metadata = table_metadata(result.frame, path)
    metadata.update({
        "absent_variables": dg.MetadataValue.json(result.absent_variables),
        "personal_columns_removed": dg.MetadataValue.json(result.personal_columns_dropped),
        "conversion_failures": dg.MetadataValue.int(len(result.conversion_failures)),
    })
    return dg.MaterializeResult(metadata=metadata)
