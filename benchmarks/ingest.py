"""Ingest benchmark: the pipeline's reader against a bare library read of the same raw file.

Usage: python -m benchmarks.ingest [--rows 100000] [--repeat 5] [--data DIR]

Generates (or reuses) a synthetic project with `--rows` rows per round under
benchmarks/.data/ (git-ignored) and times, for the baseline .sav and the endline CSV:

- bare: pyreadstat.read_sav(path), or pandas.read_csv(path, sep=";", dtype=str): the floor;
- cold: assets.readers.read_round_files([path], usecols_of=<the codebook's needed columns>,
  cache_dir=<an empty directory>): parse, text conversion and cache write;
- cached: the same call with the cache warm (the second read of an unchanged file);
- bare_needed (an extra, for reading the others): the bare read of only the columns the
  pipeline reads (needed and platform meta columns), user-missing kept for the .sav.

Each measurement runs in a fresh Python process (benchmarks.ingest_case), with imports done
before the clock starts and the file already in the OS page cache; the cases of a repetition run
one after another, `--repeat` times, and the median is reported with its ratio to bare, which
is measured in the same run (timings on one machine are only comparable with each other).
Writes benchmarks/results/ingest.json and ingest.md and prints the Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from assets.publish import atomic_write
from benchmarks.generate import ensure

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA, RESULTS = HERE / ".data", HERE / "results"
CASES = ("bare", "bare_needed", "cold", "cached")
PACKAGES = ("pandas", "pyreadstat", "pyarrow", "numpy")


def run_case(spec: dict) -> dict:
    """Run one case in a fresh Python process and return its measurements."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.ingest_case", json.dumps(spec)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"case {spec['case']} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def warm_page_cache(path: Path) -> None:
    """Read a file once so every case finds it in the OS page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def measure_round(generated: dict, round_name: str, repeat: int, work: Path) -> dict:
    """Time bare, cold and cached reads of one round's file; return the runs and medians."""
    path = Path(generated["rounds"][round_name]["path"])
    base = {"path": str(path), "project_file": generated["project_file"], "round": round_name}
    warm_page_cache(path)
    warm_cache = work / f"{round_name}-warm"
    run_case({**base, "case": "cold", "cache_dir": str(warm_cache)})  # fills the cache, untimed
    runs: dict[str, list[dict]] = {case: [] for case in CASES}
    for _ in range(repeat):
        for case in CASES:
            cache = warm_cache if case == "cached" else Path(tempfile.mkdtemp(dir=work))
            result = run_case({**base, "case": case, "cache_dir": str(cache)})
            if case in ("cold", "cached") and result["cached"] != (case == "cached"):
                raise RuntimeError(f"{round_name} {case}: cache hit was {result['cached']}")
            runs[case].append(result)
    bare = statistics.median(r["seconds"] for r in runs["bare"])
    summary = {}
    for case, results in runs.items():
        median = statistics.median(r["seconds"] for r in results)
        summary[case] = {
            "median_seconds": median, "ratio_to_bare": median / bare,
            "peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in results),
            "rss_before_mib": statistics.median(r["rss_before_mib"] for r in results),
            "rows": results[0]["rows"], "columns": results[0]["columns"],
            "seconds": [r["seconds"] for r in results]}
    return {"file": path.name, "bytes": path.stat().st_size, "cases": summary}


def machine() -> dict:
    """Where and with what the benchmark ran."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True, check=False).stdout.strip()
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "commit": commit or "unknown", **{p: version(p) for p in PACKAGES}}


def write_results(stem: str, report: dict, text: str) -> None:
    """Write benchmarks/results/<stem>.json (the report) and <stem>.md (its table), atomically."""
    atomic_write(RESULTS / f"{stem}.json", lambda tmp: tmp.write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8"))
    atomic_write(RESULTS / f"{stem}.md", lambda tmp: tmp.write_text(text, encoding="utf-8"))


def markdown(report: dict) -> str:
    """The results as a Markdown table with the machine it ran on."""
    info = report["machine"]
    lines = [
        f"# Ingest benchmark: {report['rows']:,} rows per round",
        "",
        f"`python -m benchmarks.ingest --rows {report['rows']} --repeat {report['repeat']}`; "
        f"median of {report['repeat']} runs, each in a fresh process (imports not timed, file "
        "in the OS page cache). bare = pyreadstat.read_sav / pandas.read_csv(sep=';', "
        "dtype=str) of the whole file; cold = read_round_files with the codebook's needed "
        "columns and an empty cache; cached = the same with the cache warm; bare_needed = the "
        "bare read of only the columns the pipeline reads (user_missing=True for the .sav). "
        "Peak RSS includes "
        "the imports (the same in every case); RSS growth is peak minus RSS just before "
        "the call.",
        "",
        f"{info['date']}, {info['cores']} cores, {info['platform']}, Python {info['python']}, "
        + ", ".join(f"{p} {info[p]}" for p in PACKAGES) + f", commit {info['commit']}.",
        "",
        "| file | case | median s | ratio to bare | peak RSS MiB | RSS growth MiB | columns out |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for entry in report["files"]:
        for case, result in entry["cases"].items():
            lines.append(f"| {entry['file']} ({entry['bytes'] / 2**20:.0f} MiB) | {case} | "
                         f"{result['median_seconds']:.3f} | {result['ratio_to_bare']:.2f} | "
                         f"{result['peak_rss_mib']:.0f} | "
                         f"{result['peak_rss_mib'] - result['rss_before_mib']:.0f} | "
                         f"{result['columns']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Command line: python -m benchmarks.ingest [--rows N] [--repeat K] [--data DIR]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows per round")
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (median)")
    parser.add_argument("--data", type=Path, default=DATA, help="where the survey is generated")
    args = parser.parse_args()
    generated = ensure(args.rows, args.data / f"survey-{args.rows}")
    args.data.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.data, prefix="caches-") as work:
        files = [measure_round(generated, name, args.repeat, Path(work))
                 for name in ("baseline", "endline")]
    report = {"rows": args.rows, "repeat": args.repeat, "machine": machine(), "files": files}
    text = markdown(report)
    write_results("ingest", report, text)
    print(text)


if __name__ == "__main__":
    main()
