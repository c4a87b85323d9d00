"""Publish: round_comparison and the round tables -> outputs/ (one complete set, swapped in)."""

import json
from datetime import UTC, datetime

import dagster as dg

from assets.defs.paths import SurveyPaths
from assets.defs.storage import markdown
from assets.fingerprint import sha256_of
from assets.privacy import personal_values, scan_for_personal_data
from assets.publish import PublicationError, build_manifest, code_version, publish_set
from schemas.declarations import Survey

HEADLINE = ["indicator", "group", "n_base", "estimate_base", "n_end", "estimate_end", "change",
            "p_value", "flags"]


INVENTORY_KEYS = ("file", "sha256", "format", "platform", "rows", "columns", "file_label",
                  "encoding")


def personal_probe(paths: SurveyPaths, survey: Survey) -> tuple[set[str], set[str]]:
    """The raw files' personal values and the personal column names (source and canonical)."""
    from assets.columns import resolve_column
    from assets.plain_text import plain_text_spec
    from assets.readers import file_columns, read_raw_file

    values: set[str] = set()
    names = {v.name for v in survey.codebook.variables if v.personal}
    for round_decl in survey.project.rounds:
        declared = [v.sources[round_decl.name].column for v in survey.codebook.variables
                    if v.personal and v.sources[round_decl.name] is not None]
        names.update(declared)
        # Ingest never reads personal columns; the probe reads them (through the cache) only
        # to know which values must not appear in outputs/.
        spec = (plain_text_spec(round_decl.plain_text, survey.project_file.parent)
                if round_decl.plain_text else None)
        for path in paths.round_files(round_decl):
            header = file_columns(path, round_decl.encoding, round_decl.sheet, spec)
            columns = [c for d in declared if (c := resolve_column(d, header))]
            if columns:
                raw = read_raw_file(path, usecols=columns, encoding=round_decl.encoding,
                                    sheet=round_decl.sheet, cache_dir=paths.raw_cache,
                                    plain_text=spec)
                values |= personal_values(raw.frame, columns)
    return values, names


@dg.asset(group_name="comparison", kinds={"csv", "excel", "html", "parquet"},
          deps=["round_comparison", "indicator_estimates", "validated_responses",
                "respondent_indicators"],
          automation_condition=dg.AutomationCondition.eager())
def published_outputs(context: dg.AssetExecutionContext,
                      paths: SurveyPaths) -> dg.MaterializeResult:
    """The files evaluators read in outputs/: tables, workbook, report, microdata, manifest."""
    import pandas as pd

    from assets.comparison import headline_rows
    from assets.harmonization_report import RoundSource, label_differences, variable_mapping
    from assets.microdata import data_dictionary
    from assets.notes import method_notes
    from assets.report import render_report
    from assets.spreadsheet_safety import write_safe_csv
    from assets.validate import failures_by_rule, row_accounting
    from assets.validation_report import validation_summary_html, write_validation_report
    from assets.workbook import write_workbook

    survey = paths.survey()
    project, rounds = survey.project, survey.project.round_names
    comparison = paths.read_table("round_comparison")
    estimates = paths.read_table("indicator_estimates")
    clean = paths.read_rounds("validated_responses", rounds)
    quarantine = paths.read_rounds("quarantine", rounds)
    inventories = {r: paths.read_json("raw_responses", r) for r in rounds}
    failures = pd.concat(paths.read_rounds("validation_failures", rounds).values(),
                         ignore_index=True)

    def stacked(asset: str) -> pd.DataFrame:
        frames = [f for f in paths.read_rounds(asset, rounds).values() if len(f.columns)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    quarantined = pd.concat(quarantine.values(), ignore_index=True)
    checks = {name: stacked(name) for name in (
        "duplicates", "corrections_log", "duplicate_resolution_log", "fieldwork_by_enumerator",
        "fieldwork_flags")}
    validation = pd.concat([row_accounting(inventories[r], clean[r], quarantine[r])
                            .assign(round=r) for r in rounds], ignore_index=True)
    validation = validation[["round", "file", "raw", "clean", "quarantined", "balanced"]]
    respondents = pd.concat(paths.read_rounds("respondent_indicators", rounds).values(),
                            ignore_index=True)
    project_dir = survey.project_file.parent
    declarations = {name: sha256_of(project_dir / name) for name in
                    (survey.project_file.name, project.codebook, project.indicators)}
    inputs = [{"round": r, **{k: f[k] for k in INVENTORY_KEYS}}
              for r in rounds for f in inventories[r]]
    provenance = dict(run_id=context.run.run_id, code_version=code_version(project_dir),
                      created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                      inputs=inputs, declarations=declarations)
    sources = {r: RoundSource(columns=list(dict.fromkeys(c for f in inventories[r]
                                                         for c in f["header"])),
                              value_labels={k: v for f in inventories[r]
                                            for k, v in f["value_labels"].items()})
               for r in rounds}
    mapping = variable_mapping(survey.codebook, sources)
    # Declared personal columns are named nowhere in outputs/, not even in this report.
    personal_rows = mapping["status"] == "personal_dropped"
    mapping.loc[personal_rows, "source_column"] = "(personal, not read)"
    labels = label_differences(survey.codebook, sources, project.special_codes)
    families = {i.id: i.family for i in survey.catalogue.indicators}
    notes = method_notes(project, survey.catalogue, survey.codebook)
    personal = {v.name for v in survey.codebook.variables if v.personal}
    validation_html = validation_summary_html(validation, failures_by_rule(failures),
                                              checks["fieldwork_by_enumerator"])
    corrections = pd.concat([checks["corrections_log"], checks["duplicate_resolution_log"]],
                            ignore_index=True)
    tables = dict(comparison=comparison, estimates=estimates, families=families, notes=notes,
                  validation=validation, provenance=provenance)
    writers = {
        "harmonisation.csv": lambda p: write_safe_csv(mapping, p),
        "label_differences.csv": lambda p: write_safe_csv(labels, p),
        "comparison.csv": lambda p: write_safe_csv(comparison, p),
        "indicator_estimates.csv": lambda p: write_safe_csv(estimates, p),
        "validation_failures.csv": lambda p: write_safe_csv(failures, p),
        "validation_summary.csv": lambda p: write_safe_csv(validation, p),
        "comparison.xlsx": lambda p: write_workbook(
            p, **tables, harmonisation={"mapping": mapping, "labels": labels}),
        "report.html": lambda p: p.write_text(render_report(
            **tables, title=project.name, validation_html=validation_html), encoding="utf-8"),
        "validation_report.xlsx": lambda p: write_validation_report(
            p, summary=validation, failures=failures, quarantine=quarantined,
            duplicates=checks["duplicates"], fieldwork=checks["fieldwork_by_enumerator"],
            fieldwork_flags=checks["fieldwork_flags"], corrections=corrections,
            personal_columns=personal),
        "validation/failures.parquet": lambda p: failures.to_parquet(p, index=False),
        "validation/quarantine.parquet": lambda p: quarantined.to_parquet(p, index=False),
        "microdata/responses.parquet": lambda p: pd.concat(
            clean.values(), ignore_index=True).to_parquet(p, index=False),
        "microdata/respondent_indicators.parquet": lambda p: respondents.to_parquet(
            p, index=False),
        "microdata/data_dictionary.csv": lambda p: write_safe_csv(data_dictionary(
            project, survey.codebook), p),
    }
    values, names = personal_probe(paths, survey)

    def refuse_personal_data(staging) -> None:
        hits = scan_for_personal_data(staging, values, names)
        if hits:  # counts per file only: the values themselves never reach a log
            raise PublicationError(f"personal data found in the new set {hits}; "
                                   "outputs/ keeps the previous set")

    digests = publish_set(
        paths.outputs, writers, check=refuse_personal_data,
        manifest=lambda files: build_manifest(run_id=context.run.run_id, inputs=inputs,
                                              declarations=declarations, outputs=files,
                                              code=provenance["code_version"]))
    headline = headline_rows(comparison)[HEADLINE]
    return dg.MaterializeResult(metadata={
        "outputs_dir": dg.MetadataValue.path(str(paths.outputs)),
        "report": dg.MetadataValue.path(str(paths.outputs / "report.html")),
        "workbook": dg.MetadataValue.path(str(paths.outputs / "comparison.xlsx")),
        "files": dg.MetadataValue.json(json.loads(json.dumps(digests))),
        "headline": markdown(headline),
        "quarantined_rows": dg.MetadataValue.int(int(validation["quarantined"].sum())),
        "label_differences": dg.MetadataValue.int(len(labels)),
        "unmapped_source_columns": dg.MetadataValue.int(
            int((mapping["status"] == "unmapped_source").sum())),
    })


@dg.asset_check(asset=published_outputs, blocking=True,
                description="No personal value (name, phone, GPS) or personal column in outputs/.")
def no_personal_data_in_outputs(paths: SurveyPaths) -> dg.AssetCheckResult:
    """Scan every published file for personal values, column names and look-alike values."""
    values, names = personal_probe(paths, paths.survey())
    hits = scan_for_personal_data(paths.outputs, values, names)
    return dg.AssetCheckResult(
        passed=not hits, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"personal_values_checked": len(values), "files_with_hits": hits})
