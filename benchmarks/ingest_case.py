"""One timed ingest case, run in a fresh process by benchmarks.ingest (prints one JSON line).

Usage: python -m benchmarks.ingest_case '{"case": "cold", "path": ..., "cache_dir": ...,
"project_file": ..., "round": ...}'

Everything is imported before the clock starts; the time covers the call only. Peak RSS is the
high-water mark of this process's memory (VmHWM, imports included) and `rss_before_mib` its
resident size just before the call. (getrusage's ru_maxrss is not used: Linux carries the
parent's high-water mark over fork and exec, so a child reports at least its parent's size.)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet  # noqa: F401  (imported by the cache; loaded before the clock starts)
import pyreadstat

import assets.raw_cache
import assets.stat_readers
import assets.text_readers  # noqa: F401  (the readers import these lazily)
from assets.harmonize import needed_columns
from assets.platforms import detect_platform, meta_columns
from assets.readers import file_columns, read_round_files
from schemas.declarations import load_survey


def memory_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise KeyError(field)


def prepare(spec: dict):
    """The call to time for one case: a bare library read or the pipeline's reader."""
    path = Path(spec["path"])
    if spec["case"] == "bare":
        if path.suffix == ".sav":
            return lambda: pyreadstat.read_sav(str(path))[0]
        return lambda: pd.read_csv(path, sep=";", dtype=str)
    codebook, round_name = load_survey(spec["project_file"]).codebook, spec["round"]
    if spec["case"] == "bare_needed":  # the library read of what the pipeline reads
        header = file_columns(path)
        wanted = [*needed_columns(codebook, round_name, header),
                  *meta_columns(detect_platform(header), header).values()]
        if path.suffix == ".sav":
            return lambda: pyreadstat.read_sav(str(path), usecols=wanted, user_missing=True)[0]
        return lambda: pd.read_csv(path, sep=";", dtype=str, usecols=wanted)
    cache_dir = Path(spec["cache_dir"])

    def read() -> pd.DataFrame:
        frame, inventory = read_round_files(
            [path], usecols_of=lambda header: needed_columns(codebook, round_name, header),
            cache_dir=cache_dir)
        read.cached = inventory[0]["cached"]
        return frame

    return read


def main() -> None:
    """Run the case given as JSON on the command line; print its measurements as JSON."""
    spec = json.loads(sys.argv[1])
    call = prepare(spec)
    rss_before = memory_mib("VmRSS")
    start = time.perf_counter()
    frame = call()
    seconds = time.perf_counter() - start
    peak = memory_mib("VmHWM")
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak, "rss_before_mib": rss_before,
                      "rows": len(frame), "columns": frame.shape[1],
                      "cached": getattr(call, "cached", None)}))


if __name__ == "__main__":
    main()
