"""The benchmark runner: end-to-end cases at each size, the ratios of issue #10, results files.

Usage: python -m benchmarks.run [--sizes 10000 100000 1000000] [--repeats 3]

For each size (respondents per round) it generates the synthetic project once (benchmarks/.data,
git-ignored), then, each case in a fresh process and repeated: the bare read of the raw files
(the floor), a cold run of the command line through Dagster (empty cache, new instance), a re-run
after only the endline file changed, a no-op `run --stale`, the same pure functions in a plain
loop, and `python -c "import dagster"`. Then the validation benchmark and the design-based
estimates against R `survey`, each in its own process. Writes benchmarks/results/bench.json, .md
and .png (medians, wall times, peak RSS, ratios with their goals).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assets.publish import atomic_write
from benchmarks.generate import ensure
from benchmarks.ingest import machine, warm_page_cache, write_results

HERE = Path(__file__).resolve().parent
ROOT, DATA, RESULTS = HERE.parent, HERE / ".data", HERE / "results"
SIZES = (10_000, 100_000, 1_000_000)
LARGE = 1_000_000
CASES = ("floor", "cold", "rerun", "noop", "plain", "import_dagster")
GOALS = {  # ratio -> (description, goal, larger is worse)
    "cold_vs_floor": ("end-to-end cold run / bare read of the raw files", 1.3),
    "dagster_vs_plain": ("Dagster run / the same pure functions in a plain loop", 1.15),
    "endline_rerun_vs_cold": ("re-run after only the endline changed / cold run", 0.6),
    "noop_vs_import_dagster": ("no-op `run --stale` / `python -c 'import dagster'` (wall)", 3.0),
    "validation_vs_numpy": ("validation / the same rules as numpy masks", 2.0),
    "peak_rss_vs_raw_frames": ("peak RSS of the cold run / raw DataFrames in memory", 2.5),
    "scaling_vs_10x_fewer": ("cold run at the largest size / at the size before (10x)", 11.0),
    "design_vs_r_survey": ("design-based estimates / R survey (svyby)", 0.1),
}


def run_case(spec: dict, env: dict[str, str]) -> dict:
    """Run one case in a fresh process; its JSON result plus the process's wall time."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "benchmarks.e2e_case", json.dumps(spec)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"case {spec['case']} {spec.get('argv', '')} failed:\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "wall_seconds": wall, "stdout": done.stdout}


def endline_variant(source: Path, target: Path, repeat: int) -> None:
    """A copy of the endline CSV whose last respondent answers one question differently."""
    data = source.read_bytes()
    head, _, last = data.rstrip(b"\n").rpartition(b"\n")
    header = data.split(b"\n", 1)[0].decode("utf-8-sig").split(";")
    cells = last.split(b";")
    cells[header.index('"wellbeing/life_whole"')] = f'"{repeat % 11}"'.encode()
    target.unlink(missing_ok=True)
    target.write_bytes(head + b"\n" + b";".join(cells) + b"\n")


def link_raw(source: Path, target: Path) -> None:
    """The raw files under `target`, hard-linked (the pipeline never writes to raw/)."""
    for path in source.rglob("*"):
        if path.is_file():
            (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target / path.relative_to(source))


def measure_repeat(generated: dict, scratch: Path, repeat: int) -> dict[str, dict]:
    """Every end-to-end case once, each in a fresh process, on a fresh copy of the project."""
    project_dir = Path(generated["dir"])
    raw = scratch / "raw"
    link_raw(project_dir / "raw", raw)
    env = {**os.environ, "SURVEY_PROJECT_FILE": generated["project_file"],
           "DAGSTER_HOME": str(scratch / "dagster"), "PYTHONPATH": str(ROOT)}
    (scratch / "dagster").mkdir()
    base = {"project_dir": str(project_dir), "raw_dir": str(raw),
            "work": str(scratch / "work"), "outputs": str(scratch / "outputs")}
    results = {"floor": run_case({"case": "floor", "project_dir": str(project_dir)}, env)}
    results["cold"] = run_case({**base, "case": "cli", "argv": ["run"]}, env)
    endline = raw / "endline" / "endline.csv"
    endline_variant(project_dir / "raw" / "endline" / "endline.csv", endline, repeat + 1)
    results["rerun"] = run_case({**base, "case": "cli", "argv": ["run", "--stale"]}, env)
    if "['endline']" not in results["rerun"]["stdout"]:
        raise RuntimeError("the re-run did not select the endline only:\n"
                           + results["rerun"]["stdout"])
    # What a user or the sensor starts: nothing is imported beyond what the command needs.
    results["noop"] = run_case({**base, "case": "cli", "argv": ["run", "--stale"],
                                "preload": False}, env)
    if "nothing is stale" not in results["noop"]["stdout"]:
        raise RuntimeError("the no-op run did work:\n" + results["noop"]["stdout"])
    results["plain"] = run_case({**base, "case": "plain", "work": str(scratch / "plain-work"),
                                 "outputs": str(scratch / "plain-outputs")}, env)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import dagster"], check=True, env=env)
    results["import_dagster"] = {"seconds": time.perf_counter() - start,
                                 "wall_seconds": time.perf_counter() - start}
    for result in results.values():
        result.pop("stdout", None)
    return results


def measure_size(rows: int, repeats: int) -> dict:
    """All end-to-end cases at one size: runs and medians."""
    generated = ensure(rows, DATA / f"survey-{rows}")
    for round_info in generated["rounds"].values():
        warm_page_cache(Path(round_info["path"]))
    runs: dict[str, list[dict]] = {case: [] for case in CASES}
    for repeat in range(repeats):
        scratch = Path(tempfile.mkdtemp(prefix=f"bench-{rows}-", dir=DATA))
        try:
            for case, result in measure_repeat(generated, scratch, repeat).items():
                runs[case].append(result)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        print(f"  {rows:,} rows, repeat {repeat + 1}: " + ", ".join(
            f"{c} {runs[c][-1]['seconds']:.2f}s" for c in CASES), flush=True)
    medians = {case: {key: statistics.median(r[key] for r in results)
                      for key in ("seconds", "wall_seconds", "peak_rss_mib")
                      if all(key in r for r in results)}
               for case, results in runs.items()}
    medians["floor"]["frames_mib"] = statistics.median(r["frames_mib"] for r in runs["floor"])
    return {"rows": rows, "repeats": repeats, "medians": medians,
            "runs": {c: [{k: v for k, v in r.items()} for r in rs] for c, rs in runs.items()}}


def run_module(module: str, args: list[str]) -> None:
    """Run another benchmark (it writes its own results file)."""
    subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


def ratios(sizes: list[dict], validation: dict, design: dict) -> dict[str, dict]:
    """The ratios of issue #10 at the largest size measured (scaling: largest / the one before)."""
    largest = sizes[-1]["medians"]
    values = {
        "cold_vs_floor": largest["cold"]["seconds"] / largest["floor"]["seconds"],
        "dagster_vs_plain": largest["cold"]["seconds"] / largest["plain"]["seconds"],
        "endline_rerun_vs_cold": largest["rerun"]["seconds"] / largest["cold"]["seconds"],
        "noop_vs_import_dagster": (largest["noop"]["wall_seconds"]
                                   / largest["import_dagster"]["wall_seconds"]),
        "validation_vs_numpy": validation["sizes"][-1]["ratio"],
        "peak_rss_vs_raw_frames": largest["cold"]["peak_rss_mib"] / largest["floor"]["frames_mib"],
        "design_vs_r_survey": design["sizes"][-1]["ratio"] if design.get("sizes") else None,
    }
    if len(sizes) > 1:
        values["scaling_vs_10x_fewer"] = (largest["cold"]["seconds"]
                                        / sizes[-2]["medians"]["cold"]["seconds"])
    return {name: {"value": value, "goal": GOALS[name][1], "what": GOALS[name][0],
                   "met": value is not None and value <= GOALS[name][1],
                   "rows": sizes[-1]["rows"]}
            for name, value in values.items()}


def markdown(report: dict) -> str:
    """The results as Markdown: ratios with goals, then each size's medians."""
    sizes = " ".join(str(s["rows"]) for s in report["sizes"])
    lines = ["# End-to-end benchmark", "",
             f"`python -m benchmarks.run --sizes {sizes}"
             f" --repeats {report['repeats']} --large-repeats {report['large_repeats']}`"
             f" (`make bench`), {report['machine']['date']}, "
             f"commit {report['machine']['commit']}, {report['machine']['cores']} cores, "
             f"Python {report['machine']['python']}. Each case in a fresh process; medians of "
             "the repeats; seconds exclude imports (wall includes them). Total "
             f"{report['total_seconds'] / 60:.1f} min.", "",
             "## Ratios (largest size)", "",
             "| ratio | value | goal | met |", "|---|---:|---:|---|"]
    for ratio in report["ratios"].values():
        value = "n/a" if ratio["value"] is None else f"{ratio['value']:.2f}"
        lines.append(f"| {ratio['what']} | {value} | <= {ratio['goal']} | "
                     f"{'yes' if ratio['met'] else 'no'} |")
    lines += ["", "## Cases", "",
              "| rows per round | case | median s | median wall s | peak RSS MiB |",
              "|---:|---|---:|---:|---:|"]
    for size in report["sizes"]:
        for case, median in size["medians"].items():
            rss = f"{median['peak_rss_mib']:.0f}" if "peak_rss_mib" in median else ""
            lines.append(f"| {size['rows']:,} | {case} | {median['seconds']:.2f} | "
                         f"{median['wall_seconds']:.2f} | {rss} |")
        lines.append(f"| {size['rows']:,} | raw DataFrames in memory | | | "
                     f"{size['medians']['floor']['frames_mib']:.0f} |")
    return "\n".join(lines) + "\n"


def chart(report: dict, path: Path) -> None:
    """Median seconds of each case by size, log-log, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    rows = [s["rows"] for s in report["sizes"]]
    for case in CASES:
        axes.plot(rows, [s["medians"][case]["seconds"] for s in report["sizes"]], marker="o",
                  label=case)
    axes.set(xscale="log", yscale="log", xlabel="respondents per round",
             ylabel="median seconds", title="End-to-end cases by survey size")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=110))
    plt.close(figure)


def main() -> None:
    """Command line: python -m benchmarks.run [--sizes N ...] [--repeats K]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="respondents per round")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each case (median)")
    parser.add_argument("--large-repeats", type=int, default=1,
                        help="runs of each case at 1M rows and more (the 20-minute budget)")
    args = parser.parse_args()
    started = time.perf_counter()
    sizes = []
    for rows in sorted(args.sizes):
        print(f"{rows:,} respondents per round", flush=True)
        sizes.append(measure_size(rows, args.large_repeats if rows >= LARGE else args.repeats))
        atomic_write(RESULTS / "bench.partial.json", lambda tmp: tmp.write_text(  # if stopped
            json.dumps({"sizes": sizes}, indent=2) + "\n", encoding="utf-8"))
    sizes_text = [str(r) for r in sorted(args.sizes)]
    largest = max(args.sizes)
    run_module("benchmarks.validation", ["--rows", str(largest), "--repeats", str(
        args.large_repeats if largest >= LARGE else args.repeats)])
    run_module("benchmarks.design_vs_r", ["--rows", *sizes_text, "--repeats",
                                          str(args.repeats), "--large-repeats",
                                          str(args.large_repeats)])
    validation = json.loads((RESULTS / "validation.json").read_text(encoding="utf-8"))
    design = json.loads((RESULTS / "design_vs_r.json").read_text(encoding="utf-8"))
    report = {"repeats": args.repeats, "large_repeats": args.large_repeats,
              "machine": machine(), "sizes": sizes,
              "ratios": ratios(sizes, validation, design),
              "total_seconds": time.perf_counter() - started}
    text = markdown(report)
    write_results("bench", report, text)
    chart(report, RESULTS / "bench.png")
    print(text)


if __name__ == "__main__":
    main()
