"""Ingest through the real Definitions: other formats give the same tables, a bad file stops
only its own round, and an unchanged file is read from the Parquet cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pyreadstat
import pytest
from openpyxl import Workbook

from assets.defs.paths import SurveyPaths
from pipelines.definitions import build_definitions
from pipelines.resources import PROJECT_ROOT
from pipelines.runner import materialise_all

pytestmark = pytest.mark.slow

SURVEY = PROJECT_ROOT / "schemas" / "survey"
BASELINE = PROJECT_ROOT / "raw" / "baseline" / "khatlon_baseline_2021.sav"
ENDLINE = PROJECT_ROOT / "raw" / "endline" / "khatlon_endline_2023.csv"
NUMBERS = ["n_base", "estimate_base", "ci_low_base", "n_end", "estimate_end", "change",
           "change_ci_low", "change_ci_high", "statistic", "p_value", "p_adjusted"]


def make_project(root: Path, baseline_glob: str, endline_glob: str) -> SurveyPaths:
    """A copy of the shipped declarations whose rounds read the given file globs."""
    declarations = root / "survey"
    shutil.copytree(SURVEY, declarations)
    project = declarations / "project.yaml"
    text = project.read_text(encoding="utf-8")
    text = text.replace('files: ["*.sav"]', f'files: ["{baseline_glob}"]')
    text = text.replace('files: ["*.csv"]', f'files: ["{endline_glob}"]')
    project.write_text(text, encoding="utf-8")
    return SurveyPaths(project_file=str(project), raw_dir=str(root / "raw"),
                       work_dir=str(root / "work"), outputs_dir=str(root / "outputs"))


def materialise(paths: SurveyPaths, root: Path):
    home = root / "dagster_home"
    home.mkdir(exist_ok=True)
    instance = dg.DagsterInstance.local_temp(str(home), overrides={"telemetry": {"enabled": False}})
    return materialise_all(build_definitions(paths), instance), instance


def sav_as_dta(target: Path) -> None:
    """The sample baseline as Stata would hold it: same values, labels and variable labels."""
    frame, meta = pyreadstat.read_sav(str(BASELINE), user_missing=True)
    labels = {col: {int(k): v for k, v in lab.items()}
              for col, lab in meta.variable_value_labels.items()}
    pyreadstat.write_dta(frame, str(target), file_label=meta.file_label or "",
                         column_labels=meta.column_names_to_labels,
                         variable_value_labels=labels)


def csv_as_xlsx(target: Path) -> None:
    """The sample endline as a KoboToolbox XLSX export: numbers as numbers, text as text."""
    frame = pd.read_csv(ENDLINE, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([_cell(v) for v in row])
    workbook.create_sheet("repeat_members").append(["_parent_index", "age"])
    workbook.save(target)


def _cell(text: str) -> object:
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and not text.startswith("0") else number


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The comparison table of the shipped sample (one .sav and one Kobo CSV)."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(PROJECT_ROOT / "raw", root / "raw")
    paths = make_project(root, "*.sav", "*.csv")
    summary, instance = materialise(paths, root)
    assert summary.success, summary.failed
    yield pd.read_csv(root / "outputs" / "comparison.csv")
    instance.dispose()


def test_stata_and_xlsx_exports_give_the_same_comparison_as_spss_and_csv(shipped, tmp_path):
    (tmp_path / "raw" / "baseline").mkdir(parents=True)
    (tmp_path / "raw" / "endline").mkdir(parents=True)
    sav_as_dta(tmp_path / "raw" / "baseline" / "baseline.dta")
    csv_as_xlsx(tmp_path / "raw" / "endline" / "endline.xlsx")
    paths = make_project(tmp_path, "*.dta", "*.xlsx")
    summary, instance = materialise(paths, tmp_path)
    instance.dispose()
    assert summary.success, summary.failed
    other = pd.read_csv(tmp_path / "outputs" / "comparison.csv")
    keys = ["comparison", "indicator", "group", "category"]
    merged = shipped.merge(other, on=keys, how="outer", suffixes=("", "_other"),
                           indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) > 100
    for column in NUMBERS:
        pd.testing.assert_series_equal(merged[column], merged[f"{column}_other"],
                                       check_names=False, rtol=1e-12)


def test_a_ragged_file_stops_its_round_only_and_names_file_and_line(tmp_path):
    shutil.copytree(PROJECT_ROOT / "raw", tmp_path / "raw")
    endline = tmp_path / "raw" / "endline" / ENDLINE.name
    lines = endline.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    lines[41] = lines[41].rstrip("\r\n") + ';"extra"\r\n'  # data row 41 is line 42
    endline.write_text("".join(lines), encoding="utf-8-sig")
    paths = make_project(tmp_path, "*.sav", "*.csv")
    summary, instance = materialise(paths, tmp_path)
    instance.dispose()
    assert set(summary.failed) == {"endline"}
    assert ENDLINE.name in summary.failed["endline"]
    assert "line 42" in summary.failed["endline"]
    assert (tmp_path / "work" / "validated_responses" / "baseline.parquet").exists()
    assert not (tmp_path / "outputs" / "comparison.csv").exists()  # nothing half published


def test_an_unchanged_file_is_read_from_the_cache_on_the_next_run(tmp_path):
    shutil.copytree(PROJECT_ROOT / "raw", tmp_path / "raw")
    paths = make_project(tmp_path, "*.sav", "*.csv")
    defs = build_definitions(paths)
    (tmp_path / "home").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "home"),
                                             overrides={"telemetry": {"enabled": False}})
    job = defs.resolve_job_def("round_job")

    def cached_files(round_name: str) -> int:
        result = job.execute_in_process(partition_key=round_name, instance=instance)
        assert result.success
        [raw] = [e.materialization for e in result.get_asset_materialization_events()
                 if e.materialization.asset_key == dg.AssetKey("raw_responses")]
        return raw.metadata["parsed_from_cache"].value

    assert cached_files("endline") == 0
    assert cached_files("endline") == 1
    endline = tmp_path / "raw" / "endline" / ENDLINE.name
    endline.write_bytes(endline.read_bytes() + b"\r\n")  # new bytes, same rows
    assert cached_files("endline") == 0
    instance.dispose()
