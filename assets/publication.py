"""The published set: every file evaluators read, built from the rounds' tables (no Dagster).

The Dagster asset (assets/defs/publish.py) reads the working tables and calls this; a notebook
or the benchmarks' plain loop can call it with frames in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from assets.columns import resolve_column
from assets.fingerprint import sha256_of
from assets.harmonization_report import RoundSource, label_differences, variable_mapping
from assets.microdata import data_dictionary, linking_columns
from assets.notes import method_notes
from assets.plain_text import plain_text_spec
from assets.privacy import personal_values, redact_look_alikes
from assets.pseudonymise import load_key, pseudonymise_frame
from assets.readers import file_columns, read_raw_file
from assets.report import render_report
from assets.spreadsheet_safety import write_safe_csv
from assets.validate import failures_by_rule, row_accounting
from assets.validation_report import validation_summary_html, write_validation_report
from assets.workbook import write_workbook
from schemas.declarations import Survey

INVENTORY_KEYS = ("file", "sha256", "format", "platform", "rows", "columns", "file_label",
                  "encoding")
CHECK_TABLES = ("duplicates", "corrections_log", "duplicate_resolution_log",
                "fieldwork_by_enumerator", "fieldwork_flags")


@dataclass
class RoundTables:
    """What a publication reads: each round's tables and the cross-round results."""

    clean: dict[str, pd.DataFrame]
    quarantine: dict[str, pd.DataFrame]
    failures: dict[str, pd.DataFrame]
    inventories: dict[str, list[dict]]
    checks: dict[str, pd.DataFrame]  # CHECK_TABLES, each stacked over the rounds
    respondents: pd.DataFrame
    estimates: pd.DataFrame
    comparison: pd.DataFrame


@dataclass
class Publication:
    """The writers of every published file, what the manifest records, and a summary."""

    writers: dict[str, Callable[[Path], None]]
    inputs: list[dict]
    declarations: dict[str, str]
    provenance: dict
    summary: dict[str, int] = field(default_factory=dict)


def build_publication(survey: Survey, tables: RoundTables, *, run_id: str, code: str,
                      not_under: tuple[Path, ...] = ()) -> Publication:
    """Every file of the published set, as writers; look-alikes redacted, ids pseudonymised."""
    project, rounds = survey.project, survey.project.round_names
    inventories = tables.inventories
    failures, failure_redactions = redact_look_alikes(
        pd.concat([tables.failures[r] for r in rounds], ignore_index=True))
    quarantined, quarantine_redactions = redact_look_alikes(
        pd.concat([tables.quarantine[r] for r in rounds], ignore_index=True))
    microdata, microdata_redactions = redact_look_alikes(
        pd.concat([tables.clean[r] for r in rounds], ignore_index=True))
    respondents = tables.respondents
    pseudonymise = project.publication.pseudonymise_ids
    omitted: list[str] = []
    if pseudonymise is not None:
        # Checked before any file is written: a missing key stops the publication.
        key = load_key(survey.project_file.parent / pseudonymise.key_file, not_under=not_under)
        # The source row or a platform's submission id would link a pseudonym back to the raw
        # file, so pseudonymised microdata leaves them out.
        omitted = linking_columns(survey.codebook, list(microdata.columns))
        microdata = pseudonymise_frame(microdata.drop(columns=omitted), project.respondent_id,
                                       key)
        respondents = pseudonymise_frame(respondents, "respondent_id", key)
    validation = pd.concat([row_accounting(inventories[r], tables.clean[r], tables.quarantine[r])
                            .assign(round=r) for r in rounds], ignore_index=True)
    validation = validation[["round", "file", "raw", "clean", "quarantined", "balanced"]]
    project_dir = survey.project_file.parent
    declarations = {name: sha256_of(project_dir / name) for name in
                    (survey.project_file.name, project.codebook, project.indicators)}
    inputs = [{"round": r, **{k: f[k] for k in INVENTORY_KEYS}}
              for r in rounds for f in inventories[r]]
    provenance = dict(run_id=run_id, code_version=code,
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
    checks = tables.checks
    validation_html = validation_summary_html(validation, failures_by_rule(failures),
                                              checks["fieldwork_by_enumerator"])
    corrections = pd.concat([checks["corrections_log"], checks["duplicate_resolution_log"]],
                            ignore_index=True)
    comparison, estimates = tables.comparison, tables.estimates
    shared = dict(comparison=comparison, estimates=estimates, families=families, notes=notes,
                  validation=validation, provenance=provenance)
    writers: dict[str, Callable[[Path], None]] = {
        "harmonisation.csv": lambda p: write_safe_csv(mapping, p),
        "label_differences.csv": lambda p: write_safe_csv(labels, p),
        "comparison.csv": lambda p: write_safe_csv(comparison, p),
        "indicator_estimates.csv": lambda p: write_safe_csv(estimates, p),
        "validation_failures.csv": lambda p: write_safe_csv(failures, p),
        "validation_summary.csv": lambda p: write_safe_csv(validation, p),
        "comparison.xlsx": lambda p: write_workbook(
            p, **shared, harmonisation={"mapping": mapping, "labels": labels}),
        "report.html": lambda p: p.write_text(render_report(
            **shared, title=project.name, validation_html=validation_html), encoding="utf-8"),
        "validation_report.xlsx": lambda p: write_validation_report(
            p, summary=validation, failures=failures, quarantine=quarantined,
            duplicates=checks["duplicates"], fieldwork=checks["fieldwork_by_enumerator"],
            fieldwork_flags=checks["fieldwork_flags"], corrections=corrections,
            personal_columns=personal),
        "validation/failures.parquet": lambda p: failures.to_parquet(p, index=False),
        "validation/quarantine.parquet": lambda p: quarantined.to_parquet(p, index=False),
        "validation/duplicates.parquet": lambda p: checks["duplicates"].to_parquet(
            p, index=False),
        "validation/fieldwork_flags.parquet": lambda p: checks["fieldwork_flags"].to_parquet(
            p, index=False),
        "microdata/responses.parquet": lambda p: microdata.to_parquet(p, index=False),
        "microdata/respondent_indicators.parquet": lambda p: respondents.to_parquet(
            p, index=False),
        "microdata/data_dictionary.csv": lambda p: write_safe_csv(data_dictionary(
            project, survey.codebook, pseudonymised=pseudonymise is not None,
            omitted=omitted), p),
    }
    redacted = {kind: failure_redactions[kind] + quarantine_redactions[kind]
                + microdata_redactions[kind] for kind in failure_redactions}
    summary = {"quarantined_rows": int(validation["quarantined"].sum()),
               "label_differences": len(labels),
               "unmapped_source_columns": int((mapping["status"] == "unmapped_source").sum()),
               **{f"redacted {kind}s": count for kind, count in redacted.items()}}
    return Publication(writers, inputs, declarations, provenance, summary)


def personal_probe(survey: Survey, files_of: dict[str, list[Path]],
                   cache_dir: Path | None) -> tuple[set[str], set[str]]:
    """The raw files' personal values and the personal column names (source and canonical)."""
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
        for path in files_of[round_decl.name]:
            header = file_columns(path, round_decl.encoding, round_decl.sheet, spec)
            columns = [c for d in declared if (c := resolve_column(d, header))]
            if columns:
                raw = read_raw_file(path, usecols=columns, encoding=round_decl.encoding,
                                    sheet=round_decl.sheet, cache_dir=cache_dir,
                                    plain_text=spec)
                values |= personal_values(raw.frame, columns)
    return values, names
