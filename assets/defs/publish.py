"""Publish: round_comparison and the round tables -> outputs/ (one complete set, swapped in)."""

import json
from pathlib import Path

import dagster as dg

from assets.defs.paths import SurveyPaths
from assets.defs.storage import markdown
from assets.privacy import scan_for_personal_data
from assets.publish import PublicationError, build_manifest, code_version, publish_set

HEADLINE = ["indicator", "group", "n_base", "estimate_base", "n_end", "estimate_end", "change",
            "p_value", "flags"]


def personal_probe(paths: SurveyPaths) -> tuple[set[str], set[str]]:
    """The raw files' personal values and personal column names (read through the cache)."""
    from assets.publication import personal_probe as probe

    survey = paths.survey()
    files = {r.name: paths.round_files(r) for r in survey.project.rounds}
    return probe(survey, files, paths.raw_cache)


@dg.asset(group_name="comparison", kinds={"csv", "excel", "html", "parquet"},
          deps=["round_comparison", "indicator_estimates", "validated_responses",
                "respondent_indicators"],
          automation_condition=dg.AutomationCondition.eager())
def published_outputs(context: dg.AssetExecutionContext,
                      paths: SurveyPaths) -> dg.MaterializeResult:
    """The files evaluators read in outputs/: tables, workbook, report, microdata, manifest."""
    import pandas as pd

    from assets.comparison import headline_rows
    from assets.publication import CHECK_TABLES, RoundTables, build_publication

    survey = paths.survey()
    rounds = survey.project.round_names
    paths.require_complete(rounds)

    def stacked(asset: str) -> pd.DataFrame:
        frames = [f for f in paths.read_rounds(asset, rounds).values() if len(f.columns)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    comparison = paths.read_table("round_comparison")
    tables = RoundTables(
        clean=paths.read_rounds("validated_responses", rounds),
        quarantine=paths.read_rounds("quarantine", rounds),
        failures=paths.read_rounds("validation_failures", rounds),
        inventories={r: paths.read_json("raw_responses", r) for r in rounds},
        checks={name: stacked(name) for name in CHECK_TABLES},
        respondents=paths.read_respondents(rounds),
        estimates=paths.read_table("indicator_estimates"), comparison=comparison)
    publication = build_publication(
        survey, tables, run_id=context.run.run_id,
        code=code_version(survey.project_file.parent),
        not_under=(paths.outputs, Path(paths.raw_dir)))
    values, names = personal_probe(paths)

    def refuse_personal_data(staging) -> None:
        hits = scan_for_personal_data(staging, values, names)
        if hits:  # counts per file only: the values themselves never reach a log
            raise PublicationError(f"personal data found in the new set {hits}; "
                                   "outputs/ keeps the previous set")

    digests = publish_set(
        paths.outputs, publication.writers, check=refuse_personal_data,
        manifest=lambda files: build_manifest(
            run_id=context.run.run_id, inputs=publication.inputs,
            declarations=publication.declarations, outputs=files,
            code=publication.provenance["code_version"]))
    return dg.MaterializeResult(metadata={
        "outputs_dir": dg.MetadataValue.path(str(paths.outputs)),
        "report": dg.MetadataValue.path(str(paths.outputs / "report.html")),
        "workbook": dg.MetadataValue.path(str(paths.outputs / "comparison.xlsx")),
        "files": dg.MetadataValue.json(json.loads(json.dumps(digests))),
        "headline": markdown(headline_rows(comparison)[HEADLINE]),
        **{name: dg.MetadataValue.int(count) for name, count in publication.summary.items()},
    })


@dg.asset_check(asset=published_outputs, blocking=True,
                description="No personal value (name, phone, GPS) or personal column in outputs/.")
def no_personal_data_in_outputs(paths: SurveyPaths) -> dg.AssetCheckResult:
    """Scan every published file for personal values, column names and look-alike values."""
    values, names = personal_probe(paths)
    hits = scan_for_personal_data(paths.outputs, values, names)
    return dg.AssetCheckResult(
        passed=not hits, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"personal_values_checked": len(values), "files_with_hits": hits})
