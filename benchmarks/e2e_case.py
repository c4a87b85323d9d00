"""One end-to-end case in a fresh process, run by benchmarks.run (prints one JSON line).

Usage: python -m benchmarks.e2e_case '{"case": "cli", "argv": ["run"], "project_dir": ...,
"work": ..., "outputs": ...}'

Cases: `floor` reads every raw file with the bare library reader (pyreadstat.read_sav, pandas
read_csv); `cli` runs the command line (`run`, `run --stale`) on the generated project, its
paths pointed at the case's work and outputs directories; `plain` runs benchmarks.plain_loop.
The heavy libraries are imported before the clock starts; `seconds` covers the call only, and
the runner records the process's wall time as well. Peak RSS is this process's VmHWM.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.ingest_case import memory_mib


def floor(project_dir: Path) -> dict:
    """Read every raw file with the bare library reader; the frames' in-memory size."""
    import pandas as pd
    import pyreadstat

    start, frames = time.perf_counter(), []
    for path in sorted((project_dir / "raw").rglob("*.*")):
        if path.suffix == ".sav":
            frames.append(pyreadstat.read_sav(str(path))[0])
        elif path.suffix == ".csv":
            frames.append(pd.read_csv(path, sep=";", dtype=str))
    seconds = time.perf_counter() - start
    size = sum(int(f.memory_usage(deep=True).sum()) for f in frames) / 2**20
    return {"seconds": seconds, "frames_mib": size, "rows": sum(len(f) for f in frames)}


def cli(spec: dict) -> dict:
    """Run the command line with its default paths pointed at the case's directories."""
    import dagster  # noqa: F401  (imported before the clock, as by a warm shell)

    if spec.get("preload", True):
        import benchmarks.plain_loop  # noqa: F401  (the modules the plain case imports)
    import pipelines.resources
    from assets.defs.paths import SurveyPaths

    project_dir = Path(spec["project_dir"])
    paths = SurveyPaths(project_file=str(project_dir / "survey" / "project.yaml"),
                        raw_dir=str(spec.get("raw_dir") or project_dir / "raw"),
                        work_dir=spec["work"], outputs_dir=spec["outputs"])
    pipelines.resources.default_paths = lambda: paths  # before the code location is built
    from pipelines import cli as command

    start = time.perf_counter()
    code = command.main(spec["argv"])
    return {"seconds": time.perf_counter() - start, "exit_code": code}


def plain(spec: dict) -> dict:
    """The same pure functions in one loop, frames in memory."""
    from benchmarks.plain_loop import run_plain
    from schemas.declarations import load_survey

    project_dir = Path(spec["project_dir"])
    survey = load_survey(project_dir / "survey" / "project.yaml")
    start = time.perf_counter()
    result = run_plain(survey, Path(spec.get("raw_dir") or project_dir / "raw"),
                       Path(spec["work"]), Path(spec["outputs"]))
    return {"seconds": time.perf_counter() - start, **result}


def main() -> None:
    """Run the case given as JSON on the command line; print its measurements as JSON."""
    spec = json.loads(sys.argv[1])
    if spec["case"] == "floor":
        result = floor(Path(spec["project_dir"]))
    elif spec["case"] == "cli":
        result = cli(spec)
    else:
        result = plain(spec)
    print(json.dumps({**result, "peak_rss_mib": memory_mib("VmHWM")}))


if __name__ == "__main__":
    main()
