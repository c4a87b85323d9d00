"""The raw/ sensor and the nightly schedule: which files lead to which run requests."""

import json
import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest

from assets.defs.paths import SurveyPaths
from pipelines.schedules import nightly_rerun
from pipelines.sensors import SETTLE_SECONDS, raw_files_sensor
from schemas.declarations import DEFAULT_PROJECT_FILE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def raw(tmp_path):
    """An empty raw/ with the declared round folders."""
    (tmp_path / "raw" / "baseline").mkdir(parents=True)
    (tmp_path / "raw" / "endline").mkdir(parents=True)
    return tmp_path / "raw"


def tick(raw: Path, cursor: str | None):
    """Evaluate the sensor once, as the daemon would; return (requests, skip reason, cursor)."""
    paths = SurveyPaths(project_file=str(DEFAULT_PROJECT_FILE), raw_dir=str(raw),
                        work_dir=str(raw.parent / "work"), outputs_dir=str(raw.parent / "out"))
    context = dg.build_sensor_context(cursor=cursor, resources={"paths": paths})
    result = raw_files_sensor(context)
    reason = result.skip_reason.skip_message if result.skip_reason else None
    return result.run_requests or [], reason, result.cursor


def settle(path: Path) -> None:
    """Pretend the file was last written long enough ago."""
    past = time.time() - SETTLE_SECONDS - 5
    os.utime(path, (past, past))


def copy_sample(raw: Path, name: str) -> Path:
    source = next((ROOT / "raw" / name).iterdir())
    target = raw / name / source.name
    shutil.copy(source, target)
    return target


def test_a_new_file_runs_its_round_once_it_has_settled(raw):
    settle(copy_sample(raw, "endline"))
    requests, reason, cursor = tick(raw, None)
    assert requests == [] and "settle" in reason  # first sighting: could still be copying
    requests, _, cursor = tick(raw, cursor)  # same size and mtime as seen: stable
    assert len(requests) == 1
    assert requests[0].partition_key == "endline"
    assert requests[0].run_key.startswith("endline:endline/khatlon_endline_2023.csv:")
    requests, reason, _ = tick(raw, cursor)
    assert requests == [] and reason == "no new or changed raw files"


def test_a_half_written_file_is_not_read_until_it_stops_growing(raw):
    growing = raw / "baseline" / "incoming.sav"
    growing.write_bytes(b"$FL2" + b"\0" * 100)
    settle(growing)
    _, _, cursor = tick(raw, None)
    with growing.open("ab") as handle:  # the copy goes on between ticks
        handle.write(b"\0" * 100)
    settle(growing)
    requests, reason, cursor = tick(raw, cursor)
    assert requests == [] and "settle" in reason
    requests, _, _ = tick(raw, cursor)
    assert [r.partition_key for r in requests] == ["baseline"]


def test_a_changed_file_runs_again_with_a_new_run_key_and_a_touch_does_not(raw):
    endline = copy_sample(raw, "endline")
    settle(endline)
    _, _, cursor = tick(raw, None)
    first, _, cursor = tick(raw, cursor)
    os.utime(endline)  # touched, same content
    _, _, cursor = tick(raw, cursor)
    settle(endline)
    requests, _, cursor = tick(raw, cursor)
    assert requests == []
    endline.write_bytes(endline.read_bytes().replace(b'"kulob"', b'"dusti"', 1))
    settle(endline)
    _, _, cursor = tick(raw, cursor)
    second, _, _ = tick(raw, cursor)
    assert len(second) == 1 and second[0].run_key != first[0].run_key


def test_a_deleted_file_is_reported_and_forgotten(raw):
    endline = copy_sample(raw, "endline")
    settle(endline)
    _, _, cursor = tick(raw, None)
    _, _, cursor = tick(raw, cursor)
    endline.unlink()
    requests, reason, cursor = tick(raw, cursor)
    assert requests == [] and "deleted: endline/khatlon_endline_2023.csv" in reason
    assert json.loads(cursor)["files"] == {}


def test_the_nightly_schedule_is_off_by_default_and_runs_every_round():
    assert nightly_rerun.default_status == dg.DefaultScheduleStatus.STOPPED
    requests = nightly_rerun(dg.build_schedule_context())
    assert [r.partition_key for r in requests] == ["baseline", "endline"]
