"""Validation through the real Definitions: planted defects found and attributed, a declared
correction and a duplicate resolution applied on the next run, nothing lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from openpyxl import load_workbook

from assets.defs.paths import SurveyPaths
from pipelines.definitions import build_definitions
from pipelines.resources import PROJECT_ROOT
from pipelines.runner import materialise_all

pytestmark = pytest.mark.slow

BASELINE, ENDLINE = "khatlon_baseline_2021.sav", "khatlon_endline_2023.csv"


def run(root: Path) -> pd.DataFrame:
    """Materialise everything once; return the published failures."""
    paths = SurveyPaths(project_file=str(root / "survey" / "project.yaml"),
                        raw_dir=str(root / "raw"), work_dir=str(root / "work"),
                        outputs_dir=str(root / "outputs"))
    (root / "home").mkdir(exist_ok=True)
    instance = dg.DagsterInstance.local_temp(str(root / "home"),
                                             overrides={"telemetry": {"enabled": False}})
    summary = materialise_all(build_definitions(paths), instance)
    instance.dispose()
    assert summary.success, summary.failed
    return pd.read_csv(root / "outputs" / "validation_failures.csv", dtype=str)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the shipped project, run once before any correction is declared."""
    root = tmp_path_factory.mktemp("validation")
    shutil.copytree(PROJECT_ROOT / "raw", root / "raw")
    shutil.copytree(PROJECT_ROOT / "schemas" / "survey", root / "survey")
    before = run(root)
    return root, before


def cells(failures: pd.DataFrame) -> set[tuple[str, str, str, str]]:
    return set(zip(failures["source_file"], failures["source_row"], failures["respondent_id"],
                   failures["column"], strict=True))


def test_planted_defects_are_found_at_their_file_row_and_column(project):
    _, failures = project
    assert cells(failures) == {
        (BASELINE, "201", "B0058", "row"),               # exact duplicate of row 58
        (BASELINE, "596", "B0383", "pwi_achieving"),     # 15 on a 0-10 item
        (BASELINE, "597", "B0384", "respondent_id"),     # two interviews, one id
        (BASELINE, "598", "B0384", "respondent_id"),
        (ENDLINE, "455", "E0034", "row"),                # resubmission
        (ENDLINE, "456", "E0279", "household_income_month"),  # -1500
    }
    summary = pd.read_csv(project[0] / "outputs" / "validation_summary.csv")
    assert (summary["raw"] == summary["clean"] + summary["quarantined"]).all()


def test_the_report_lists_duplicates_and_fieldwork_quality(project):
    book = load_workbook(project[0] / "outputs" / "validation_report.xlsx", read_only=True)
    assert {"Summary", "Failures", "Quarantine", "Duplicates", "Fieldwork quality"} <= set(
        book.sheetnames)
    duplicates = [row for row in book["Duplicates"].iter_rows(min_row=2, values_only=True)]
    kinds = sorted((r[0], r[1]) for r in duplicates)
    assert kinds == [("conflicting", "B0384"), ("conflicting", "B0384"), ("exact", "B0058"),
                     ("exact", "E0034")]
    enumerators = [r[1] for r in book["Fieldwork quality"].iter_rows(min_row=2, values_only=True)]
    assert "enum01" in enumerators and "(not recorded)" in enumerators


def test_a_correction_and_a_resolution_apply_on_the_next_run(project):
    root, _ = project
    (root / "survey" / "corrections.csv").write_text(
        "round,source_file,source_row,respondent_id,column,old_value,new_value,reason,who\n"
        f"endline,{ENDLINE},456,E0279,household_income_month,,1500,"
        "sign typed by mistake (paper form says 1500),M&E officer\n", encoding="utf-8")
    (root / "survey" / "duplicates.csv").write_text(
        "round,source_file,source_row,action,new_id,reason,who\n"
        f"baseline,{BASELINE},598,new_id,B0384-2,a second woman in the household,field lead\n",
        encoding="utf-8")
    project_file = root / "survey" / "project.yaml"
    text = project_file.read_text(encoding="utf-8")
    project_file.write_text(text.replace("validation:\n", "validation:\n  corrections: "
                                         "corrections.csv\n  duplicates: duplicates.csv\n", 1),
                            encoding="utf-8")
    after = run(root)
    assert (ENDLINE, "456", "E0279", "household_income_month") not in cells(after)
    assert not any(r == "B0384" or r == "B0384-2" for r in after["respondent_id"])
    clean = pd.read_parquet(root / "work" / "validated_responses" / "endline.parquet")
    corrected = clean[clean["respondent_id"] == "E0279"]
    assert corrected["household_income_month"].tolist() == [1500.0]
    baseline = pd.read_parquet(root / "work" / "validated_responses" / "baseline.parquet")
    assert {"B0384", "B0384-2"} <= set(baseline["respondent_id"])
    log = pd.read_parquet(root / "work" / "corrections_log" / "endline.parquet")
    assert log["status"].tolist() == ["applied"]
    summary = pd.read_csv(root / "outputs" / "validation_summary.csv")
    assert (summary["raw"] == summary["clean"] + summary["quarantined"]).all()
    assert summary["quarantined"].sum() == 3  # B0058, B0383, E0034 remain
