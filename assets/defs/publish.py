"""Publish: round_comparison -> outputs/ (comparison.csv, estimates, failures, manifest.json)."""

import dagster as dg
import pandas as pd

from assets.defs.paths import SurveyPaths
from assets.defs.storage import markdown
from assets.estimates import ALL
from assets.privacy import personal_values, scan_for_personal_data
from assets.publish import build_manifest, code_version, write_csv, write_json
from assets.readers import sha256_of

HEADLINE = ["indicator", "group", "n_base", "estimate_base", "n_end", "estimate_end", "change",
            "p_value", "flags"]


@dg.asset(group_name="comparison", kinds={"csv", "json"},
          deps=["round_comparison", "indicator_estimates", "validated_responses"])
def published_outputs(context: dg.AssetExecutionContext,
                      paths: SurveyPaths) -> dg.MaterializeResult:
    """The files evaluators read in outputs/, written atomically, manifest last."""
    survey = paths.survey()
    rounds = survey.project.round_names
    outputs = paths.outputs
    comparison = paths.read_table("round_comparison")
    failures = pd.concat([paths.read_table("validation_failures", r) for r in rounds],
                         ignore_index=True)
    written = {
        "comparison.csv": write_csv(outputs / "comparison.csv", comparison),
        "indicator_estimates.csv": write_csv(outputs / "indicator_estimates.csv",
                                             paths.read_table("indicator_estimates")),
        "validation_failures.csv": write_csv(outputs / "validation_failures.csv", failures),
    }
    inputs = [{"round": r, **f} for r in rounds for f in paths.read_json("raw_responses", r)]
    project_dir = survey.project_file.parent
    declarations = {name: sha256_of(project_dir / name) for name in
                    (survey.project_file.name, survey.project.codebook, survey.project.indicators)}
    manifest = build_manifest(run_id=context.run.run_id, inputs=inputs, declarations=declarations,
                              outputs=written, code=code_version(project_dir))
    write_json(outputs / "manifest.json", manifest)
    return dg.MaterializeResult(metadata={
        "outputs_dir": dg.MetadataValue.path(str(outputs)),
        "comparison_csv": dg.MetadataValue.path(str(outputs / "comparison.csv")),
        "manifest": dg.MetadataValue.path(str(outputs / "manifest.json")),
        "headline": markdown(comparison[(comparison["group"] == ALL)
                                        & (comparison["category"].fillna("") == "")][HEADLINE]),
        "quarantined_rows": dg.MetadataValue.int(
            int(failures.drop_duplicates(["source_file", "source_row"]).shape[0])),
    })


@dg.asset_check(asset=published_outputs, blocking=True,
                description="No personal value (name, phone, GPS) or personal column in outputs/.")
def no_personal_data_in_outputs(paths: SurveyPaths) -> dg.AssetCheckResult:
    """Scan every published file for the raw files' personal values and column names."""
    survey = paths.survey()
    values: set[str] = set()
    names = {v.name for v in survey.codebook.variables if v.personal}
    for round_name in survey.project.round_names:
        columns = [v.sources[round_name].column for v in survey.codebook.variables
                   if v.personal and v.sources[round_name] is not None]
        names.update(columns)
        values |= personal_values(paths.read_table("raw_responses", round_name), columns)
    hits = scan_for_personal_data(paths.outputs, values, names)
    return dg.AssetCheckResult(
        passed=not hits, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"personal_values_checked": len(values), "files_with_hits": hits})
