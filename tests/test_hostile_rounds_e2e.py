"""Issue #11, end to end: one round's file replaced by a hostile one, through the real Definitions.

The bad round fails with a message naming the file (and row and column where they exist), the
other round still materialises with every raw row accounted for (raw = clean + quarantined, per
file), and nothing is published: the previous set in outputs/ stays byte for byte.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.defs.paths import SurveyPaths
from assets.readers import SOURCE_FILE, SOURCE_ROW
from assets.validate import row_accounting
from pipelines.definitions import build_definitions
from pipelines.resources import PROJECT_ROOT
from pipelines.runner import materialise_all
from schemas.declarations import DEFAULT_PROJECT_FILE

pytestmark = pytest.mark.slow

FILES = {"baseline": Path("baseline") / "khatlon_baseline_2021.sav",
         "endline": Path("endline") / "khatlon_endline_2023.csv"}
RAW_ROWS = {"baseline": 598, "endline": 456}
LONG = ('Lorem, "ipsum"; dolor\tsit é\n' * 1200)[:32_766] + "."  # Excel's longest cell


def zero_bytes(path: Path) -> None:
    path.write_bytes(b"")


def truncated_mid_file(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def binary_garbage(path: Path) -> None:
    path.write_bytes(b"\x00\x01" + random.Random(20240501).randbytes(4096))


def header_only(path: Path) -> None:
    text = path.read_bytes().decode("utf-8-sig")
    path.write_bytes(("\ufeff" + text.splitlines()[0] + "\r\n").encode("utf-8"))


def kobo_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the sample's KoboToolbox CSV (';'-delimited, every cell quoted)."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""),
                           delimiter=";"))
    return rows[0], rows[1:]


def write_kobo(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write rows back the way KoboToolbox exports them."""
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
        [header, *rows])
    path.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))


CASES: dict[str, tuple[str, Callable[[Path], None], tuple[str, ...]]] = {
    # case: (the round whose file is replaced, how, fragments of the message besides the path)
    "zero_byte_sav": ("baseline", zero_bytes, ("empty file (0 bytes)",)),
    "sav_truncated_mid_file": ("baseline", truncated_mid_file, ("cannot read as spss",)),
    "binary_garbage_named_csv": ("endline", binary_garbage, ("binary content",)),
    "csv_header_only": ("endline", header_only, ("no data rows", "at least one row")),
}


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """One Dagster instance for the module's runs (each case has its own project paths)."""
    home = tmp_path_factory.mktemp("dagster_home")
    with dg.DagsterInstance.local_temp(str(home),
                                       overrides={"telemetry": {"enabled": False}}) as local:
        yield local


def project(root: Path) -> SurveyPaths:
    """A copy of raw/ with its own working tables, and a previous publication in outputs/."""
    shutil.copytree(PROJECT_ROOT / "raw", root / "raw")
    outputs = root / "outputs"
    (outputs / "microdata").mkdir(parents=True)
    (outputs / "manifest.json").write_text('{"run_id": "previous"}\n', encoding="utf-8")
    (outputs / "comparison.csv").write_text("indicator\nprevious\n", encoding="utf-8")
    (outputs / "microdata" / "responses.parquet").write_bytes(b"previous")
    return SurveyPaths(project_file=str(DEFAULT_PROJECT_FILE), raw_dir=str(root / "raw"),
                       work_dir=str(root / "work"), outputs_dir=str(outputs))


def snapshot(directory: Path) -> dict[str, str]:
    """sha256 of every file under a directory, by relative path."""
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def assert_accounted(paths: SurveyPaths, round_name: str) -> pd.DataFrame:
    """The round materialised: per file, raw rows = clean + quarantined; return its accounting."""
    clean = paths.read_table("validated_responses", round_name)
    quarantine = paths.read_table("quarantine", round_name)
    accounting = row_accounting(paths.read_json("raw_responses", round_name), clean, quarantine)
    assert accounting["balanced"].all(), accounting
    assert accounting["raw"].sum() == RAW_ROWS[round_name] == len(clean) + len(quarantine)
    assert paths.table("respondent_indicators", round_name).exists()  # scored too
    return accounting


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_a_hostile_file_fails_its_round_only_naming_the_file(case, tmp_path, instance):
    bad, damage, fragments = CASES[case]
    good = next(r for r in FILES if r != bad)
    paths = project(tmp_path)
    broken = tmp_path / "raw" / FILES[bad]
    damage(broken)
    published = snapshot(paths.outputs)

    summary = materialise_all(build_definitions(paths), instance, log_level="ERROR")

    assert set(summary.failed) == {bad}, summary.failed
    message = summary.failed[bad]
    assert f"{broken}:" in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert not paths.table("raw_responses", bad).exists()  # stopped at ingest, nothing half-read
    assert_accounted(paths, good)
    assert snapshot(paths.outputs) == published  # no publication when a round fails


def test_a_32767_character_cell_is_kept_whole_or_quarantined_naming_row_and_column(
        tmp_path, instance):
    paths = project(tmp_path)
    endline = tmp_path / "raw" / FILES["endline"]
    header, rows = kobo_rows(endline)
    rows[2][header.index("intro/district")] = LONG  # a labelled cell: not one of the codes
    rows[4][header.index("__version__")] = LONG  # a free-text cell (the form version)
    write_kobo(endline, header, rows)

    result = build_definitions(paths).resolve_job_def("round_job").execute_in_process(
        partition_key="endline", instance=instance, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})

    assert result.success
    assert_accounted(paths, "endline")
    failures = paths.read_table("validation_failures", "endline")
    failure = failures[failures[SOURCE_ROW] == 3].iloc[0]
    assert (failure[SOURCE_FILE], failure["column"]) == (endline.name, "district")
    assert failure["value"] == LONG  # the value a consultant must fix, whole
    quarantine = paths.read_table("quarantine", "endline")
    assert quarantine.loc[quarantine[SOURCE_ROW] == 3, "reasons"].str.startswith(
        "district:").all()
    clean = paths.read_table("validated_responses", "endline").set_index(SOURCE_ROW)
    assert clean.loc[5, "form_version"] == LONG
