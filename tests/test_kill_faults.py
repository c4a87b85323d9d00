"""Issue #11: a run killed (SIGKILL) at any point leaves the published set intact, and the next
run completes; no half-written working file is ever read as valid.

A copy of the project (code, declarations, raw/) publishes once. Its endline file is then
changed and runs are killed one after the other, each at a different point of ingest,
harmonisation, validation, scoring, comparison and publication; every run starts from what the
killed ones left behind. Finally a run completes on it and publishes the changed endline.

Every killed run is a fork of one server process that imported the pipeline once: the kill
points cost seconds instead of a full interpreter start each (this venv has no bytecode, so
imports are slow). Each fork runs `cli.main` exactly as `python -m pipelines run` does, with
one function patched to SIGKILL its process; the last one runs unpatched to completion.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.lock import ProjectBusyError, project_lock
from pipelines.resources import PROJECT_ROOT

pytestmark = pytest.mark.slow

ENDLINE = Path("raw") / "endline" / "khatlon_endline_2023.csv"
KILL_ARGV = ["run", "--round", "endline"]  # the killed runs: the changed round, then publication
RUN_TIMEOUT = 240  # seconds, for one run on a loaded machine

SERVER = r'''
"""Fork one `cli.main` run per request line `POINT ARG...`, with POINT's function patched."""
import importlib
import json
import os
import pkgutil
import signal
import sys
import threading
import traceback

import assets
import pipelines.definitions  # noqa: F401  (the imports are what a fork saves)
from pipelines import cli

for module in pkgutil.walk_packages(assets.__path__, "assets."):
    importlib.import_module(module.name)


def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def patch(point: str) -> None:
    import assets.comparison
    import assets.defs.publish
    import assets.defs.validate
    import assets.harmonize
    import assets.publish
    import assets.raw_cache
    import assets.scoring
    import assets.validation_run

    real_write = assets.publish.atomic_write
    if point == "ingest_cache_tmp":  # the cache's Parquet is in its temporary file, not renamed
        def killing_write(path, write):
            return real_write(path, lambda tmp: (write(tmp), die()))
        assets.raw_cache.atomic_write = killing_write
    elif point == "ingest_cache_pair":  # the cache's Parquet is renamed, its JSON not written
        def killing_write(path, write):
            if path.suffix == ".json":
                die()
            return real_write(path, write)
        assets.raw_cache.atomic_write = killing_write
    elif point == "harmonise":
        assets.harmonize.harmonize_with_inventory = die
    elif point == "validation":
        assets.validation_run.validate_with_declarations = die
    elif point == "validated_before_quarantine":
        real_table = assets.defs.validate.write_table

        def killing_table(frame, path):
            if path.parent.name == "quarantine":
                die()
            return real_table(frame, path)
        assets.defs.validate.write_table = killing_table
    elif point == "scoring":
        assets.scoring.score_respondents = die
    elif point == "comparison":
        assets.comparison.compare_rounds = die
    elif point == "publication_third_writer":
        real_publish = assets.defs.publish.publish_set

        def killing_publish(outputs, writers, **options):
            name, write = list(writers.items())[2]
            writers = {**writers, name: lambda target: (write(target), die())}
            return real_publish(outputs, writers, **options)
        assets.defs.publish.publish_set = killing_publish
    elif point != "none":
        raise ValueError(f"unknown kill point {point}")


def warm(modules_file: str) -> None:
    """Import what a completed run imported (the venv has no bytecode: imports are slow)."""
    if os.path.exists(modules_file):
        with open(modules_file, encoding="utf-8") as names:
            for name in names.read().split():
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001  (a module only importable in context)
                    pass


print(json.dumps({"ready": str(cli.PROJECT_ROOT), "threads": threading.active_count()}),
      flush=True)
while line := sys.stdin.readline():
    point, log, *argv = line.split()
    pid = os.fork()
    if pid == 0:
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        imported = set(sys.modules)
        try:
            patch(point)
            code = cli.main(argv)
        except BaseException:
            traceback.print_exc()
            code = 70
        with open(log + ".modules", "w", encoding="utf-8") as names:
            names.write("\n".join(sorted(set(sys.modules) - imported)))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    warm(log + ".modules")
    print(json.dumps({"returncode": os.waitstatus_to_exitcode(status),
                      "threads": threading.active_count()}), flush=True)
'''


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(directory: Path) -> dict[str, str]:
    """sha256 of every file under a directory (hidden ones included), by relative path."""
    return {str(p.relative_to(directory)): sha256(p) for p in sorted(directory.rglob("*"))
            if p.is_file()}


def project_env(root: Path) -> dict[str, str]:
    """The copy's environment: its own .dagster/ and imports; no bytecode into the venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DAGSTER_HOME", "SURVEY_PROJECT_FILE", "PYTHONPATH")}
    return {**env, "PYTHONDONTWRITEBYTECODE": "1"}


class KillServer:
    """The forking server: one killed (or normal) CLI run per request, in the project copy."""

    def __init__(self, root: Path) -> None:
        self.root, self.logs = root, root.parent / "logs"
        self.logs.mkdir(exist_ok=True)
        (root / "_kill_server.py").write_text(SERVER, encoding="utf-8")
        self.process = subprocess.Popen([sys.executable, str(root / "_kill_server.py")],
                                        cwd=root, env=project_env(root), text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        start_new_session=True)
        ready = self._reply(RUN_TIMEOUT, "the server's start")
        assert ready["ready"] == str(root.resolve()), "the server imported another checkout"
        assert ready["threads"] == 1, "a thread started at import: forking would be unsafe"

    def run(self, point: str, argv: list[str]) -> tuple[int, str]:
        """Run `cli.main(argv)` with `point` patched; its return code (-9: killed) and log."""
        log = self.logs / f"{len(list(self.logs.glob('*.log'))):02d}-{point}.log"
        self.process.stdin.write(f"{point} {log} {' '.join(argv)}\n")
        self.process.stdin.flush()
        reply = self._reply(RUN_TIMEOUT, f"the run at kill point {point}")
        assert reply["threads"] == 1, "a thread started in the server: forking would be unsafe"
        return reply["returncode"], log.read_text(encoding="utf-8", errors="replace")

    def _reply(self, timeout: float, what: str) -> dict:
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.close()
            pytest.fail(f"{what}: no answer from the kill server within {timeout} s")
        return json.loads(line)

    def close(self) -> None:
        """Stop the server (it exits at the end of its input)."""
        if not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a hung run: stop the server and its forks
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process.stdout.close()


def copy_project(root: Path) -> None:
    """The checkout's code, declarations, raw files and outputs README; no working state."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("assets", "pipelines", "schemas", "raw"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder, ignore=ignore)
    for name in ("pyproject.toml", "workspace.yaml"):
        shutil.copy2(PROJECT_ROOT / name, root / name)
    (root / "outputs").mkdir()
    shutil.copy2(PROJECT_ROOT / "outputs" / "README.md", root / "outputs" / "README.md")


def change_endline(path: Path, shift: int = 0) -> None:
    """Give the first endline respondent other valid answers (0-2) on every wellbeing item."""
    text = path.read_bytes().decode("utf-8-sig")
    header_line, first_line, rest = text.split("\r\n" if "\r\n" in text else "\n", 2)
    newline = "\r\n" if "\r\n" in text else "\n"
    header = next(csv.reader([header_line], delimiter=";"))
    row = next(csv.reader([first_line], delimiter=";"))
    items = [c for c in header if c.startswith("wellbeing/")]
    before = list(row)
    for i, column in enumerate(items):
        row[header.index(column)] = str((i + shift) % 3)
    assert items and row != before
    out = io.StringIO()
    csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="").writerow(row)
    path.write_bytes(("\ufeff" + newline.join([header_line, out.getvalue(), rest]))
                     .encode("utf-8"))


# ------------------------------------------------------------------ what each kill leaves
def cache_entries(work: Path, digest: str) -> dict[str, list[Path]]:
    """The raw cache's files for one file content: complete Parquet, JSON, temporary files."""
    cache = work / "raw_cache"
    return {"parquet": list(cache.glob(f"{digest}-*.parquet")),
            "json": list(cache.glob(f"{digest}-*.json")),
            "tmp": [p for p in cache.glob(f".{digest}-*.tmp") if p.stat().st_size > 0]}


def endline_inventory(work: Path) -> dict:
    """The endline file's entry in raw_responses' JSON inventory."""
    entries = json.loads((work / "raw_responses" / "endline.json").read_text(encoding="utf-8"))
    return next(e for e in entries if e["file"] == ENDLINE.name)


def after_cache_tmp(root: Path, digest: str, started: float) -> None:
    entries = cache_entries(root / ".work", digest)
    assert entries["tmp"], "no temporary cache file with content was left: the kill missed"
    assert not entries["parquet"] and not entries["json"], "an entry was completed"


def after_cache_pair(root: Path, digest: str, started: float) -> None:
    entries = cache_entries(root / ".work", digest)
    assert entries["parquet"] and not entries["json"], "expected a Parquet without its JSON"
    inventory = root / ".work" / "raw_responses" / "endline.json"
    assert not inventory.exists() or endline_inventory(root / ".work")["sha256"] != digest


def after_harmonise(root: Path, digest: str, started: float) -> None:
    # The half entries left by the two kills before were parsed again, never loaded.
    entry = endline_inventory(root / ".work")
    assert entry["sha256"] == digest and not entry["cached"], entry
    entries = cache_entries(root / ".work", digest)
    assert len(entries["parquet"]) == len(entries["json"]) == 1, "the entry is not a pair"


def after_validation(root: Path, digest: str, started: float) -> None:
    entry = endline_inventory(root / ".work")
    assert entry["sha256"] == digest and entry["cached"], "the complete entry was not used"
    harmonized = root / ".work" / "harmonized_responses" / "endline.parquet"
    assert harmonized.stat().st_mtime >= started


def after_validated_before_quarantine(root: Path, digest: str, started: float) -> None:
    work = root / ".work"
    assert (work / "validated_responses" / "endline.parquet").stat().st_mtime >= started
    assert (work / "quarantine" / "endline.parquet").stat().st_mtime < started


def after_scoring(root: Path, digest: str, started: float) -> None:
    quarantine = root / ".work" / "quarantine" / "endline.parquet"
    assert quarantine.stat().st_mtime >= started


def after_comparison(root: Path, digest: str, started: float) -> None:
    assert (root / ".work" / "indicator_estimates" / "indicator_estimates.parquet"
            ).stat().st_mtime >= started


def after_publication(root: Path, digest: str, started: float) -> None:
    staged = [p for p in root.glob(".outputs.staging-*") if p.stat().st_mtime >= started]
    assert len(staged) == 1, "the killed publication left no staging directory beside outputs/"
    assert len([p for p in staged[0].rglob("*") if p.is_file()]) == 3
    assert not (staged[0] / "manifest.json").exists()


KILL_POINTS: list[tuple[str, Callable[[Path, str, float], None]]] = [
    ("ingest_cache_tmp", after_cache_tmp),
    ("ingest_cache_pair", after_cache_pair),
    ("harmonise", after_harmonise),
    ("validation", after_validation),
    ("validated_before_quarantine", after_validated_before_quarantine),
    ("scoring", after_scoring),
    ("comparison", after_comparison),
    ("publication_third_writer", after_publication),
]


def test_runs_killed_anywhere_keep_the_published_set_and_the_next_run_completes(tmp_path):
    root = tmp_path / "project"
    copy_project(root)
    server = KillServer(root)
    try:
        code, log = server.run("none", ["run"])
        assert code == 0, f"the first publication failed:\n{log}"
        published = snapshot(root / "outputs")
        assert "manifest.json" in published
        change_endline(root / ENDLINE)
        digest = sha256(root / ENDLINE)
        for point, check in KILL_POINTS:
            started = time.time() - 1  # file times come from a coarser clock than time()
            code, log = server.run(point, KILL_ARGV)
            assert code == -signal.SIGKILL, f"{point}: not killed (returncode {code}):\n{log}"
            assert snapshot(root / "outputs") == published, f"{point}: outputs/ changed"
            try:
                with project_lock(root / ".work"):  # the killed run's lock is not held
                    pass
                check(root, digest, started)
            except (AssertionError, ProjectBusyError) as error:
                pytest.fail(f"after the kill at {point}: {error}")
        # A run killed after ingest leaves the round incomplete: publishing the other round
        # would mix the endline's new inventory with its old scores, so it is refused...
        change_endline(root / ENDLINE, shift=1)
        digest = sha256(root / ENDLINE)
        code, log = server.run("scoring", KILL_ARGV)
        assert code == -signal.SIGKILL, log
        code, log = server.run("none", ["run", "--round", "baseline"])
        assert code == 1 and "['endline'] did not complete their last run" in log, log
        assert snapshot(root / "outputs") == published, "a mixed set was published"
        # ...and `run --stale` sees the incomplete round as stale and completes it.
        code, log = server.run("none", ["run", "--stale"])
        assert code == 0, f"the run after the killed ones failed:\n{log}"
        assert "Materialising ['endline']" in log, log
    finally:
        server.close()

    outputs = root / "outputs"
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    endline = next(e for e in manifest["inputs"] if e["file"] == ENDLINE.name)
    assert endline["sha256"] == digest, "the new set does not come from the changed endline"
    now = snapshot(outputs)
    assert now["comparison.csv"] != published["comparison.csv"]
    listed = {e["file"]: e["sha256"] for e in manifest["outputs"]}
    assert {name: now.get(name) for name in listed} == listed, "a file differs from its manifest"
    assert set(now) == {*listed, "manifest.json", "README.md"}, "a file the manifest omits"
    assert not list(root.glob(".outputs.staging-*")), "the killed run's staging was not removed"
