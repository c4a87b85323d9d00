"""Atomic publication: a complete new set or the previous one, never a mixture."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assets.publish import PublicationError, exchange_directories, publish_set

ROOT = Path(__file__).resolve().parents[1]


def text_writer(content: str):
    return lambda path: path.write_text(content, encoding="utf-8")


def previous_set(outputs: Path) -> dict[str, str]:
    publish_set(outputs, {"comparison.csv": text_writer("old table\n"),
                          "microdata/a.parquet": text_writer("old data\n")},
                manifest=lambda files: {"outputs": [{"file": f} for f in files]})
    (outputs / "README.md").write_text("kept\n")
    return snapshot(outputs)


def snapshot(outputs: Path) -> dict[str, str]:
    return {str(p.relative_to(outputs)): p.read_text() for p in sorted(outputs.rglob("*"))
            if p.is_file()}


def test_a_new_set_replaces_the_old_one_and_keeps_foreign_files(tmp_path):
    outputs = tmp_path / "outputs"
    previous_set(outputs)
    digests = publish_set(outputs, {"comparison.csv": text_writer("new table\n")},
                          manifest=lambda files: {"outputs": [{"file": f} for f in files]})
    assert snapshot(outputs)["comparison.csv"] == "new table\n"
    assert not (outputs / "microdata" / "a.parquet").exists()  # not in the new set
    assert (outputs / "README.md").read_text() == "kept\n"
    listed = [e["file"] for e in json.loads((outputs / "manifest.json").read_text())["outputs"]]
    assert listed == sorted(digests)
    assert "README.md" not in digests  # not an output: it must survive every later run
    publish_set(outputs, {"comparison.csv": text_writer("newer\n")},
                manifest=lambda files: {"outputs": [{"file": f} for f in files]})
    assert (outputs / "README.md").read_text() == "kept\n"
    assert not list(tmp_path.glob(".outputs.staging-*"))


@pytest.mark.parametrize("failure", ["writer", "check"])
def test_a_failed_publication_leaves_the_previous_set_intact(tmp_path, failure):
    outputs = tmp_path / "outputs"
    before = previous_set(outputs)

    def broken(path):
        path.write_text("half")
        raise OSError("No space left on device")

    def refuse(staging):
        raise PublicationError("personal data found")

    writers = {"comparison.csv": text_writer("new\n"), "report.html": broken}
    if failure == "check":
        writers["report.html"] = text_writer("<html></html>")
    with pytest.raises((OSError, PublicationError)):
        publish_set(outputs, writers, check=refuse if failure == "check" else None)
    assert snapshot(outputs) == before
    assert not list(tmp_path.glob(".outputs.staging-*"))


def test_the_directory_exchange_is_atomic_on_this_system(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "x").write_text("a"), (b / "x").write_text("b")
    if not exchange_directories(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) unavailable: publish_set falls back to renames")
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


KILLED_WRITER = """
import sys, time
from pathlib import Path
from assets.publish import publish_set

def slow(path):
    path.write_text("partial")
    Path(sys.argv[2]).write_text("writing")  # tell the test we are midway
    time.sleep(60)

publish_set(Path(sys.argv[1]), {"comparison.csv": lambda p: p.write_text("new"),
                                "report.html": slow})
"""


def test_a_publication_killed_midway_leaves_the_previous_set_and_the_next_run_succeeds(
        tmp_path):
    outputs = tmp_path / "outputs"
    before = previous_set(outputs)
    marker = tmp_path / "midway"
    process = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(outputs), str(marker)],
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), "the publication never started"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert snapshot(outputs) == before  # the half-written set never became visible
    assert list(tmp_path.glob(".outputs.staging-*"))  # what the killed run left behind
    publish_set(outputs, {"comparison.csv": text_writer("after\n")})
    assert (outputs / "comparison.csv").read_text() == "after\n"
    assert not list(tmp_path.glob(".outputs.staging-*"))


@pytest.mark.parametrize(("code", "words"), [(28, "No space left on device"),
                                             (13, "Permission denied")])
def test_disk_full_or_permission_denied_while_writing_is_a_clear_error(tmp_path, code, words):
    outputs = tmp_path / "outputs"
    before = previous_set(outputs)

    def failing(path):
        path.write_text("half")
        raise OSError(code, os.strerror(code))

    with pytest.raises(PublicationError) as info:
        publish_set(outputs, {"comparison.csv": text_writer("new\n"), "report.html": failing})
    assert str(info.value) == (f"cannot write report.html for {outputs.resolve()}: {words}; "
                               "outputs/ keeps the previous set")
    assert snapshot(outputs) == before
    assert not list(tmp_path.glob(".outputs.staging-*"))


def test_an_output_folder_that_cannot_be_written_is_a_clear_error(tmp_path, monkeypatch):
    import tempfile

    outputs = tmp_path / "outputs"
    before = previous_set(outputs)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", denied)  # as root, chmod would not stop us
    with pytest.raises(PublicationError, match=r"cannot write in .*: Permission denied; "
                                               r"outputs/ keeps the previous set"):
        publish_set(outputs, {"comparison.csv": text_writer("new\n")})
    assert snapshot(outputs) == before
