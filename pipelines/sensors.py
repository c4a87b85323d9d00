"""Watch raw/<round>/: a new or changed file (stable, by sha256) re-runs its round.

A file is considered only once it has settled: the same size and modification time as at the
previous tick, and older than SETTLE_SECONDS, so a half-copied file is never read. The cursor
keeps every file's fingerprint; a run key per (round, file, sha256) means one run per file
version, even if a tick is repeated. Deleted files are reported in the tick's log.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from assets.defs.paths import SurveyPaths
from assets.fingerprint import sha256_of
from pipelines.jobs import round_job
from schemas.declarations import load_project

SETTLE_SECONDS = 10.0


@dataclass
class WatchResult:
    """What one look at raw/ found: files to run, files still settling, files deleted."""

    changed: list[tuple[str, str, str]] = field(default_factory=list)  # round, file, sha256
    settling: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    state: dict = field(default_factory=dict)


def watch_raw_files(files: dict[str, list[Path]], raw_dir: Path, state: dict, now: float,
                    settle_seconds: float = SETTLE_SECONDS) -> WatchResult:
    """Compare the round files on disk with the previous state (the sensor's cursor)."""
    known: dict = state.get("files", {})
    seen: dict = state.get("seen", {})
    result = WatchResult(state={"files": dict(known), "seen": {}})
    present = set()
    for round_name, paths in files.items():
        for path in paths:
            name = str(path.relative_to(raw_dir))
            present.add(name)
            stat = path.stat()
            signature = [stat.st_size, stat.st_mtime_ns]
            result.state["seen"][name] = signature
            if known.get(name, {}).get("signature") == signature:
                continue  # unchanged since it was last run
            if seen.get(name) != signature or now - stat.st_mtime < settle_seconds:
                result.settling.append(name)  # new, still growing, or too fresh
                continue
            digest = sha256_of(path)
            if known.get(name, {}).get("sha256") != digest:
                result.changed.append((round_name, name, digest))
            result.state["files"][name] = {"sha256": digest, "signature": signature}
    for name in sorted(set(known) - present):
        result.deleted.append(name)
        del result.state["files"][name]
    return result


def _round_files(paths: SurveyPaths) -> dict[str, list[Path]]:
    files = {}
    project, _ = load_project(paths.project_file)  # the rounds only: cheap on every tick
    for round_decl in project.rounds:
        try:
            files[round_decl.name] = paths.round_files(round_decl)
        except FileNotFoundError:
            files[round_decl.name] = []
    return files


@dg.sensor(job=round_job, minimum_interval_seconds=30,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Runs a round when a file in raw/<round>/ is new or changed (settled).")
def raw_files_sensor(context: dg.SensorEvaluationContext,
                     paths: SurveyPaths) -> dg.SensorResult | dg.SkipReason:
    """Request a run of a round's partition for every new or changed raw file."""
    state = json.loads(context.cursor) if context.cursor else {}
    result = watch_raw_files(_round_files(paths), Path(paths.raw_dir), state, time.time())
    for name in result.deleted:
        context.log.warning(f"raw file deleted: {name} (its round keeps the last results)")
    requests = [dg.RunRequest(run_key=f"{round_name}:{name}:{digest}", partition_key=round_name,
                              tags={"raw_file": name, "raw_sha256": digest})
                for round_name, name, digest in result.changed]
    cursor = json.dumps(result.state, sort_keys=True)
    if requests:
        return dg.SensorResult(run_requests=requests, cursor=cursor)
    reason = (f"waiting for {len(result.settling)} file(s) to settle" if result.settling
              else "no new or changed raw files")
    if result.deleted:
        reason += f"; deleted: {', '.join(result.deleted)}"
    return dg.SensorResult(skip_reason=reason, cursor=cursor)


# Declarative automation is evaluated by a sensor. Dagster's own default one starts switched
# off; this one starts on, so a round re-run by the raw/ sensor refreshes the publication.
publication_automation = dg.AutomationConditionSensorDefinition(
    "publication_automation", target=dg.AssetSelection.groups("comparison"),
    default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=30,
    description="Refreshes estimates, comparison and outputs/ when a round has been re-run.")
