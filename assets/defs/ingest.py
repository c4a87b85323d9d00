"""Ingest: raw exports of a round -> raw_responses (text cells, file and row provenance)."""

import dagster as dg

from assets.defs.partitions import round_partitions
from assets.defs.paths import SurveyPaths
from assets.defs.storage import table_metadata, write_table
from assets.publish import write_json


@dg.asset(partitions_def=round_partitions, group_name="rounds", kinds={"pandas", "parquet"})
def raw_responses(context: dg.AssetExecutionContext, paths: SurveyPaths) -> dg.MaterializeResult:
    """Raw survey exports of one round, every cell as text, with source file and row."""
    # Only the columns the codebook needs are read (never personal ones), and each file's
    # parse is cached as Parquet by content, so an unchanged file is not parsed again.
    from assets.plain_text import plain_text_spec
    from assets.readers import read_round_files
    from assets.round_layout import round_rows, rounds_sharing, shared_usecols

    survey = paths.survey()
    codebook = survey.codebook
    round_decl = next(r for r in survey.project.rounds if r.name == context.partition_key)
    # From here until its scores are written the round is incomplete: a run killed or failed
    # in between leaves no stamp, so it is stale and never published half-updated.
    paths.completion_stamp(round_decl.name).unlink(missing_ok=True)
    sharing = rounds_sharing(survey.project, round_decl)
    frame, inventory = read_round_files(
        paths.round_files(round_decl),
        usecols_of=lambda header: shared_usecols(codebook, sharing, header),
        encoding=round_decl.encoding, sheet=round_decl.sheet, cache_dir=paths.raw_cache,
        plain_text=(plain_text_spec(round_decl.plain_text, survey.project_file.parent)
                    if round_decl.plain_text else None),
        row_filter=lambda rows, raw: round_rows(rows, round_decl, sharing, codebook,
                                                raw.value_labels, raw.path.name))
    path = paths.table("raw_responses", round_decl.name)
    write_table(frame, path)
    write_json(paths.table("raw_responses", round_decl.name, "json"), inventory)
    for entry in inventory:
        for warning in entry["warnings"]:
            context.log.warning(f"{entry['file']}: {warning}")
    metadata = table_metadata(frame, path)
    metadata["files"] = dg.MetadataValue.json(
        [{k: f[k] for k in ("file", "sha256", "format", "platform", "rows", "columns",
                            "encoding", "cached")} for f in inventory])
    metadata["parsed_from_cache"] = dg.MetadataValue.int(sum(f["cached"] for f in inventory))
    metadata["reader_warnings"] = dg.MetadataValue.int(sum(len(f["warnings"]) for f in inventory))
    return dg.MaterializeResult(metadata=metadata)
