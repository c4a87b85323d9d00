"""The whole pipeline as the same pure functions in a plain Python loop (no Dagster).

The baseline of the orchestration-overhead ratio: every stage the assets run (read through
the raw cache, harmonise, validate with the declared rules, the schema checks, score, estimate,
compare, publish with the personal-data scan), with frames passed in memory instead of
working tables, in one process.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from assets.comparison import compare_rounds
from assets.estimates import estimate_indicators
from assets.harmonize import harmonize_with_inventory
from assets.plain_text import plain_text_spec
from assets.privacy import scan_for_personal_data
from assets.publication import CHECK_TABLES, RoundTables, build_publication, personal_probe
from assets.publish import PublicationError, build_manifest, publish_set
from assets.readers import read_round_files
from assets.round_files import round_files
from assets.round_layout import round_rows, rounds_sharing, shared_usecols
from assets.scoring import reversal_warnings, score_respondents, stack_respondent_tables
from assets.validate import full_validation, response_schema
from assets.validation_run import require_valid_rows, validate_with_declarations
from schemas.declarations import Survey
from schemas.tables import IndicatorEstimates, RespondentIndicators, RoundComparison


def _checked(schema, frame: pd.DataFrame) -> None:
    """Run a Pandera check as the assets do (lazily, every row), failures tolerated."""
    # The asset records a failure as a check result; here it is only computed.
    with full_validation(), contextlib.suppress(pa.errors.SchemaErrors):
        schema.validate(frame, lazy=True)


def run_plain(survey: Survey, raw_dir: Path, work: Path, outputs: Path) -> dict[str, int]:
    """Materialise everything with the pure functions; return the published files' count."""
    project, codebook = survey.project, survey.codebook
    cache = work / "raw_cache"
    files = {r.name: round_files(raw_dir, r) for r in project.rounds}
    clean, quarantine, failures, inventories, respondents = {}, {}, {}, {}, {}
    checks: dict[str, list[pd.DataFrame]] = {name: [] for name in CHECK_TABLES}
    for round_decl in project.rounds:
        name, sharing = round_decl.name, rounds_sharing(project, round_decl)
        spec = (plain_text_spec(round_decl.plain_text, survey.project_file.parent)
                if round_decl.plain_text else None)
        frame, inventory = read_round_files(
            files[name], usecols_of=lambda header, s=sharing: shared_usecols(codebook, s, header),
            encoding=round_decl.encoding, sheet=round_decl.sheet, cache_dir=cache,
            plain_text=spec,
            row_filter=lambda rows, raw, d=round_decl, s=sharing: round_rows(
                rows, d, s, codebook, raw.value_labels, raw.path.name))
        harmonized = harmonize_with_inventory(frame, inventory, name, project, codebook)
        run = validate_with_declarations(harmonized.frame, harmonized.conversion_failures, name,
                                         project, codebook, survey.project_file.parent)
        require_valid_rows(run.validated, name)
        _checked(response_schema(project, codebook), run.validated.clean)
        clean[name], quarantine[name] = run.validated.clean, run.validated.quarantine
        failures[name], inventories[name] = run.validated.failures, inventory
        for table_name, table in (("duplicates", run.duplicates),
                                  ("corrections_log", run.corrections_log),
                                  ("duplicate_resolution_log", run.resolution_log),
                                  ("fieldwork_by_enumerator", run.fieldwork.by_enumerator),
                                  ("fieldwork_flags", run.fieldwork.flags)):
            checks[table_name].append(table)
        respondents[name] = score_respondents(run.validated.clean, project, survey.catalogue)
        reversal_warnings(run.validated.clean, survey.catalogue)
        _checked(RespondentIndicators, respondents[name])
    stacked = stack_respondent_tables(respondents.values())
    estimates = estimate_indicators(stacked, project, survey.catalogue, codebook)
    _checked(IndicatorEstimates, estimates)
    comparison = compare_rounds(estimates, stacked, project, survey.catalogue, codebook)
    _checked(RoundComparison, comparison)
    tables = RoundTables(
        clean=clean, quarantine=quarantine, failures=failures, inventories=inventories,
        checks={k: pd.concat([f for f in v if len(f.columns)] or [pd.DataFrame()],
                             ignore_index=True) for k, v in checks.items()},
        respondents=stacked, estimates=estimates, comparison=comparison)
    publication = build_publication(survey, tables, run_id="plain-loop", code="plain-loop",
                                    not_under=(outputs, raw_dir))
    values, names = personal_probe(survey, files, cache)

    def refuse_personal_data(staging: Path) -> None:
        hits = scan_for_personal_data(staging, values, names)
        if hits:
            raise PublicationError(f"personal data found in the new set {hits}")

    digests = publish_set(outputs, publication.writers, check=refuse_personal_data,
                          manifest=lambda produced: build_manifest(
                              run_id="plain-loop", inputs=publication.inputs,
                              declarations=publication.declarations, outputs=produced,
                              code="plain-loop"))
    return {"published_files": len(digests)}
