"""Validation benchmark: validate_round against the same rules as numpy masks, as a ratio.

Usage: python -m benchmarks.validation [--rows 100000 1000000] [--repeats 3] [--data DIR]

For each size, generates (or reuses) a synthetic project with that many rows per round under
benchmarks/.data/ (git-ignored), reads and harmonises each round with the pipeline's own
functions (the codebook's needed columns, as the round assets read them; not timed) and then
times, on the same harmonised frame in the same process:

- pipeline: assets.validate.validate_round (exact duplicates, the codebook's Pandera schema run
  lazily, the declared cross-field rules, the quarantine split and the failure table);
- numpy: the same rules written by hand as numpy masks over the same frame (the columns' types
  taken as given, since harmonisation typed them; codes checked with np.isin on each column's
  distinct values, pd.factorize mapping them back to the rows; exact duplicates and repeated ids
  with pandas' duplicated, as the pipeline) with the same outputs: the bad-row mask, clean and
  quarantined rows (with reasons) and a failure table with one row per failing cell.

Both must find the same failing cells (file, row, column and rule) on every round, and on a
slice of the first size with a defect of every rule kind planted (missing required values,
codes, ranges, ids, provenance, each cross-field rule, a conversion failure), or the benchmark
stops: the ratio compares the same work. Each is timed `--repeats` times (gc.collect() before
every run) and the median is reported with the ratio pipeline / numpy, measured in the same run;
validate_round is then profiled once per round at the largest size. Writes
benchmarks/results/validation.json and validation.md and prints the Markdown. A measurement,
never an assertion on time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from assets.cross_field import describe
from assets.harmonize import (
    FAILURE_COLUMNS,
    ROUND,
    Harmonized,
    harmonize_with_inventory,
    kind_column,
    published_variables,
)
from assets.readers import SOURCE_FILE, SOURCE_ROW
from assets.validate import DUPLICATE_RULE, ValidatedRound, exact_duplicates, validate_round
from benchmarks.generate import ensure
from benchmarks.ingest import machine, write_results
from benchmarks.rounds import read_round, round_files
from schemas.declarations import Codebook, Project, Survey, load_survey
from schemas.tables import KINDS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
ROUNDS = ("baseline", "endline")
PLANTED_ROWS = 2_000  # the slice that gets a defect of every rule kind
TOP = 10  # profile rows reported
# Pandera's names for the rules of schemas.tables.ResponseProvenance (the provenance columns).
NOT_NULL, AT_LEAST_ONE = "not_nullable", "greater_than_or_equal_to(1)"
SHARED_PROVENANCE, UNIQUE_ID = "multiple_fields_uniqueness", "unique respondent id"


@dataclass(frozen=True)
class Masked:
    """What the numpy baseline builds: the bad-row mask and the pipeline's three outputs."""

    bad: np.ndarray
    clean: pd.DataFrame
    quarantine: pd.DataFrame
    failures: pd.DataFrame


@dataclass
class Cells:
    """Failing cells found so far: frame positions, column, rule and shown value per group."""

    groups: list[tuple[np.ndarray, str, str, np.ndarray]]

    def add(self, mask: np.ndarray, column: str, rule: str,
            shown: pd.Series | None = None) -> np.ndarray:
        """Record the cells where `mask` holds, showing `shown` (None: no value)."""
        positions = np.flatnonzero(mask)
        if len(positions):
            values = (np.full(len(positions), None, dtype=object) if shown is None
                      else _text(shown.take(positions)))
            self.groups.append((positions, column, rule, values))
        return positions


def current_project(rows: int, out: Path) -> dict:
    """The project generated under `out`; ensure() refreshes its copied declarations."""
    return ensure(rows, out)


def harmonized_round(survey: Survey, raw_dir: Path, round_name: str) -> Harmonized:
    """Read and harmonise one round as the round assets do (needed columns, file missing)."""
    raw, inventory = read_round(survey, round_name, round_files(survey, raw_dir, round_name))
    return harmonize_with_inventory(raw, inventory, round_name, survey.project, survey.codebook)


def _text(column: pd.Series) -> np.ndarray:
    """A column's values as an object array of text, None where missing."""
    if not isinstance(column.dtype, pd.StringDtype):
        column = column.astype("string")
    return column.to_numpy(dtype=object, na_value=None)


def _among(column: pd.Series, allowed: list[str]) -> np.ndarray:
    """Cells whose text is one of `allowed` (np.isin on the column's distinct values)."""
    codes, distinct = pd.factorize(column if isinstance(column.dtype, pd.StringDtype)
                                   else column.astype("string"))
    known = np.isin(np.asarray(distinct, dtype=object), allowed)
    return np.append(known, False)[codes]  # a missing cell (code -1) is never among them


def _numbers(column: pd.Series) -> np.ndarray:
    """A column's values as float64, NaN where missing or not a number."""
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _row_keys(files: pd.Series, rows: pd.Series, names: pd.Index, stride: int) -> np.ndarray:
    """One int64 per (source_file, source_row): the file's position in `names`, then the row."""
    codes = names.get_indexer(files)
    codes = np.where(codes < 0, -2 - pd.isna(files.to_numpy()), codes).astype(np.int64)
    return codes * stride + rows.to_numpy(dtype="int64", na_value=-1) + 1


def schema_cells(frame: pd.DataFrame, candidate: np.ndarray, keys: np.ndarray, cells: Cells,
                 project: Project, codebook: Codebook) -> None:
    """The codebook's rules (the Pandera schema's) as masks over the candidate rows."""
    for name in (ROUND, SOURCE_FILE, SOURCE_ROW):
        cells.add(candidate & frame[name].isna().to_numpy(), name, NOT_NULL)
    rows = frame[SOURCE_ROW].to_numpy(dtype="float64", na_value=np.nan)
    cells.add(candidate & (rows < 1), SOURCE_ROW, AT_LEAST_ONE, frame[SOURCE_ROW])
    shared = np.zeros(len(frame), dtype=bool)
    shared[candidate] = pd.Series(keys[candidate]).duplicated(keep=False).to_numpy()
    for name in (SOURCE_FILE, SOURCE_ROW):
        cells.add(shared, name, SHARED_PROVENANCE, frame[name])
    for variable in published_variables(codebook):
        column = frame[variable.name]
        present = candidate & column.notna().to_numpy()
        if variable.required:
            cells.add(candidate & ~present, variable.name, NOT_NULL)
        if variable.range is not None:
            low, high = variable.range
            values = _numbers(column)
            cells.add(present & ((values < low) | (values > high)), variable.name,
                      f"in range [{low:g}, {high:g}]", column)
        if variable.type == "category":
            allowed = sorted(codebook.labels_of(variable))
            cells.add(present & ~_among(column, allowed), variable.name,
                      f"one of the codes {allowed}", column)
        if variable.name == project.respondent_id:
            repeated = np.zeros(len(frame), dtype=bool)
            repeated[present] = column[present].duplicated(keep=False).to_numpy()
            cells.add(repeated, variable.name, UNIQUE_ID, column)


def cross_field_cells(frame: pd.DataFrame, candidate: np.ndarray, cells: Cells,
                      project: Project) -> None:
    """The project's cross-field rules as masks over the candidate rows."""
    for rule in project.validation.rules:
        applies = candidate.copy()
        for variable, codes in rule.when.items():
            applies &= _among(frame[variable], codes)
        if not applies.any():
            continue
        for variable, requirement in rule.then.items():
            column = frame[variable]
            rule_text = describe(rule, variable, requirement)
            if requirement.range is not None:
                low, high = requirement.range
                values = _numbers(column)
                cells.add(applies & ((values < low) | (values > high)), variable, rule_text,
                          column)
            elif requirement.codes is not None:
                cells.add(applies & column.notna().to_numpy() & ~_among(column, requirement.codes),
                          variable, rule_text, column)
            else:
                if kind_column(variable) in frame:
                    kinds = frame[kind_column(variable)]
                else:
                    kinds = pd.Series(np.where(column.isna().to_numpy(), "missing", "valid"),
                                      dtype="string")
                positions = cells.add(applies & ~_among(kinds, requirement.kinds or []),
                                      variable, rule_text, column)
                if len(positions):  # a missing value is shown as its kind
                    shown = cells.groups[-1][3]
                    shown[:] = np.where(pd.isna(shown), _text(kinds.take(positions)), shown)


def numpy_validate(harmonized: pd.DataFrame, conversion_failures: pd.DataFrame,
                   project: Project, codebook: Codebook) -> Masked:
    """validate_round's rules and outputs, written by hand as numpy masks."""
    frame = harmonized.reset_index(drop=True)
    ids = frame[project.respondent_id]
    duplicate = exact_duplicates(frame, ignore=["submission_id"]).to_numpy()
    candidate = ~duplicate
    names = pd.Index(pd.unique(frame[SOURCE_FILE].dropna()))
    rows = frame[SOURCE_ROW].to_numpy(dtype="int64", na_value=-1)
    converted = pd.to_numeric(conversion_failures[SOURCE_ROW]).to_numpy(
        dtype="float64", na_value=np.nan)
    stride = int(np.nanmax([rows.max(initial=0), *converted])) + 2
    keys = _row_keys(frame[SOURCE_FILE], frame[SOURCE_ROW], names, stride)
    cells = Cells([])
    cells.add(duplicate, "row", DUPLICATE_RULE, ids)
    schema_cells(frame, candidate, keys, cells, project, codebook)
    cross_field_cells(frame, candidate, cells, project)

    positions = np.concatenate([g[0] for g in cells.groups] or [np.empty(0, dtype=np.intp)])
    sizes = [len(g[0]) for g in cells.groups]
    found = pd.DataFrame({
        ROUND: frame[ROUND].array.take(positions),
        SOURCE_FILE: frame[SOURCE_FILE].array.take(positions),
        SOURCE_ROW: frame[SOURCE_ROW].array.take(positions),
        "respondent_id": pd.array(_text(ids.take(positions)), dtype="string"),
        "column": pd.array(np.repeat(np.array([g[1] for g in cells.groups], dtype=object),
                                     sizes), dtype="string"),
        "rule": np.repeat(np.array([g[2] for g in cells.groups], dtype=object), sizes),
        "value": pd.array(np.concatenate([g[3] for g in cells.groups] or [[]]),
                          dtype="string"),
    })
    failing = keys[positions]
    if len(conversion_failures):
        conversions = conversion_failures.reindex(columns=FAILURE_COLUMNS).astype(
            {"respondent_id": "string", "column": "string", "value": "string"})
        found = pd.concat([conversions, found], ignore_index=True)
        failing = np.concatenate([failing, _row_keys(conversions[SOURCE_FILE],
                                                     conversions[SOURCE_ROW], names, stride)])
    bad = np.isin(keys, failing)

    reasons: dict[tuple, list[str]] = {}
    for file, row, column, rule in zip(found[SOURCE_FILE], found[SOURCE_ROW], found["column"],
                                       found["rule"], strict=True):
        reasons.setdefault((file, row), []).append(f"{column}: {rule}")
    quarantine = frame[bad].copy()
    quarantine["reasons"] = ["; ".join(reasons.get((file, row), [])) for file, row in
                             zip(quarantine[SOURCE_FILE], quarantine[SOURCE_ROW], strict=True)]
    table = found.sort_values([SOURCE_FILE, SOURCE_ROW], kind="stable").reset_index(drop=True)
    return Masked(bad, frame[~bad].reset_index(drop=True), quarantine.reset_index(drop=True),
                  table)


def failing_cells(failures: pd.DataFrame) -> set[tuple[str, int, str, str]]:
    """(source_file, source_row, column, rule) of every failure row."""
    return set(zip(failures[SOURCE_FILE].astype(str), failures[SOURCE_ROW].astype(int),
                   failures["column"].astype(str), failures["rule"].astype(str), strict=True))


def compare(label: str, pipeline: ValidatedRound, masked: Masked) -> dict:
    """Stop unless both found the same failing cells and rows; return the counts."""
    ours, theirs = failing_cells(pipeline.failures), failing_cells(masked.failures)
    cells = {c[:3] for c in ours}
    if cells != {c[:3] for c in theirs}:
        raise SystemExit(f"{label}: numpy and pipeline disagree on (source_file, source_row, "
                         f"column); only pipeline: {sorted(ours - theirs)[:10]}, only numpy: "
                         f"{sorted(theirs - ours)[:10]}")
    if ours != theirs:
        raise SystemExit(f"{label}: the same cells fail under different rules: "
                         f"{sorted(ours ^ theirs)[:10]}")
    quarantined = [set(zip(q[SOURCE_FILE], q[SOURCE_ROW], strict=True))
                   for q in (pipeline.quarantine, masked.quarantine)]
    if quarantined[0] != quarantined[1] or len(pipeline.clean) != len(masked.clean):
        raise SystemExit(f"{label}: numpy and pipeline quarantine different rows")
    counts = {"pipeline_failures": len(pipeline.failures), "numpy_failures": len(masked.failures),
              "failing_cells": len(cells), "quarantined_rows": len(pipeline.quarantine),
              "clean_rows": len(pipeline.clean)}
    print(f"  {label}: failure rows pipeline {counts['pipeline_failures']}, numpy "
          f"{counts['numpy_failures']}; {counts['failing_cells']} failing cells alike; "
          f"{counts['quarantined_rows']} quarantined rows alike")
    return counts


def _put(frame: pd.DataFrame, row: int, column: str, value: object) -> None:
    """Set one cell, a code given as text converted to the column's numeric type."""
    if isinstance(value, str) and not isinstance(frame[column].dtype, pd.StringDtype):
        value = pd.to_numeric(value)
    frame.loc[row, column] = value


def planted(frame: pd.DataFrame, project: Project,
            codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first rows of `frame` with a defect of every rule kind, and a conversion failure."""
    part = frame.iloc[:PLANTED_ROWS].reset_index(drop=True).copy()
    free = iter(range(3, PLANTED_ROWS, 7))
    variables = published_variables(codebook)
    id_name = project.respondent_id
    required = next(v for v in variables if v.required and v.name != id_name)
    category = next(v for v in variables if v.type == "category")
    ranged = next(v for v in variables if v.range is not None)
    above = ranged.range[1] + 1
    for column, value in ((required.name, pd.NA), (id_name, pd.NA),
                          (id_name, part.loc[0, id_name]), (category.name, "bogus"),
                          (ranged.name, int(above) if ranged.type == "integer" else above),
                          (SOURCE_ROW, 0), (SOURCE_ROW, part.loc[1, SOURCE_ROW]),
                          (ROUND, pd.NA)):
        _put(part, next(free), column, value)
    for rule in project.validation.rules:
        for variable, requirement in rule.then.items():
            row = next(free)
            for when, codes in rule.when.items():
                _put(part, row, when, codes[0])
            if requirement.range is not None:
                _put(part, row, variable, str(int(requirement.range[1]) + 1))
            elif requirement.codes is not None:
                _put(part, row, variable, "bogus")
            elif kind_column(variable) in part:
                kind = next(k for k in KINDS if k not in (requirement.kinds or []))
                part.loc[row, kind_column(variable)] = kind
            elif "missing" not in (requirement.kinds or []):
                part.loc[row, variable] = pd.NA
    row = next(free)
    conversion = pd.DataFrame({
        ROUND: [part.loc[row, ROUND]], SOURCE_FILE: [part.loc[row, SOURCE_FILE]],
        SOURCE_ROW: pd.array([part.loc[row, SOURCE_ROW]], dtype="Int64"),
        "respondent_id": [part.loc[row, id_name]], "column": [ranged.name],
        "rule": [f"convertible to {ranged.type}"], "value": pd.array(["ten"], dtype="string")})
    return part, conversion


def check_planted(survey: Survey, round_name: str, harmonized: Harmonized) -> dict:
    """Both find the same cells on a slice with a defect of every rule kind planted."""
    part, conversion = planted(harmonized.frame, survey.project, survey.codebook)
    pipeline = validate_round(part, conversion, survey.project, survey.codebook)
    masked = numpy_validate(part, conversion, survey.project, survey.codebook)
    counts = compare(f"{round_name} planted ({PLANTED_ROWS} rows)", pipeline, masked)
    return counts | {"rules": sorted({r for *_, r in failing_cells(pipeline.failures)})}


def time_once(run: Callable[[], object]) -> tuple[float, object]:
    """Seconds one call takes after a full collection, and what it returned."""
    gc.collect()
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def _where(file_name: str) -> str:
    """A profiled function's file, shortened to the package path or the repository path."""
    if "site-packages/" in file_name:
        return file_name.split("site-packages/", 1)[1]
    if file_name.startswith(str(ROOT)):
        return str(Path(file_name).relative_to(ROOT))
    return Path(file_name).name or file_name


def profile(run: Callable[[], object]) -> dict:
    """cProfile one call: the top functions by cumulative and by own time."""
    gc.collect()
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler).get_stats_profile()
    rows = [{"function": f"{_where(p.file_name)}:{p.line_number}({name})", "calls": p.ncalls,
             "tottime": round(p.tottime, 3), "cumtime": round(p.cumtime, 3)}
            for name, p in stats.func_profiles.items()]
    return {"total_seconds": round(stats.total_tt, 3),
            "cumulative": sorted(rows, key=lambda r: -r["cumtime"])[:TOP],
            "own": sorted(rows, key=lambda r: -r["tottime"])[:TOP]}


def measure_round(survey: Survey, generated: dict, round_name: str, repeats: int,
                  planted_check: bool, profiled: bool) -> dict:
    """Time validate_round and the numpy baseline on one harmonised round."""
    harmonized = harmonized_round(survey, Path(generated["raw_dir"]), round_name)
    gc.collect()
    frame, conversions = harmonized.frame, harmonized.conversion_failures
    args = (frame, conversions, survey.project, survey.codebook)
    entry: dict = {"round": round_name, "rows": len(frame), "columns": frame.shape[1],
                   "frame_mib": round(frame.memory_usage(deep=True).sum() / 2**20)}
    if planted_check:
        entry["planted"] = check_planted(survey, round_name, harmonized)
    del harmonized
    pipeline_s, numpy_s, shared_s = [], [], []
    for repeat in range(repeats):
        seconds, pipeline = time_once(lambda: validate_round(*args))
        pipeline_s.append(seconds)
        seconds, masked = time_once(lambda: numpy_validate(*args))
        numpy_s.append(seconds)
        if repeat == 0:
            entry |= compare(f"{round_name} ({len(frame):,} rows)", pipeline, masked)
        del pipeline, masked
        seconds, _ = time_once(lambda: exact_duplicates(frame, ignore=["submission_id"]))
        shared_s.append(seconds)
    entry |= {"pipeline_seconds": pipeline_s, "numpy_seconds": numpy_s,
              "exact_duplicates_seconds": shared_s,
              "pipeline_median": statistics.median(pipeline_s),
              "numpy_median": statistics.median(numpy_s),
              "exact_duplicates_median": statistics.median(shared_s)}
    entry["ratio"] = entry["pipeline_median"] / entry["numpy_median"]
    entry["ratio_without_exact_duplicates"] = (
        (entry["pipeline_median"] - entry["exact_duplicates_median"])
        / (entry["numpy_median"] - entry["exact_duplicates_median"]))
    print(f"  {round_name}: pipeline {entry['pipeline_median']:.3f} s, numpy "
          f"{entry['numpy_median']:.3f} s, ratio {entry['ratio']:.1f} (exact duplicates, in "
          f"both: {entry['exact_duplicates_median']:.3f} s)")
    if profiled:
        entry["profile"] = profile(lambda: validate_round(*args))
    return entry


def peak_rss_mib() -> float:
    """The process's peak resident memory so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_size(rows: int, repeats: int, data: Path, first: bool, largest: bool) -> dict:
    """Generate (or reuse) a project of `rows` rows per round and measure both rounds."""
    generated = current_project(rows, data / f"survey-{rows}")
    survey = load_survey(generated["project_file"])
    print(f"{rows:,} rows per round ({generated['dir']})")
    rounds = []
    for name in ROUNDS:
        rounds.append(measure_round(survey, generated, name, repeats, first, largest))
        gc.collect()
    pipeline = sum(r["pipeline_median"] for r in rounds)
    numpy_total = sum(r["numpy_median"] for r in rounds)
    return {"rows": rows, "rounds": rounds, "pipeline_median": pipeline,
            "numpy_median": numpy_total, "ratio": pipeline / numpy_total,
            "peak_rss_mib_so_far": round(peak_rss_mib())}


def _profile_table(rows: list[dict]) -> list[str]:
    lines = ["| function | calls | own s | cumulative s |", "|---|---:|---:|---:|"]
    lines += [f"| `{r['function']}` | {r['calls']} | {r['tottime']:.3f} | {r['cumtime']:.3f} |"
              for r in rows]
    return lines


def markdown(report: dict) -> str:
    """The results as Markdown: the table, the fairness checks and the profile."""
    info = report["machine"]
    sizes = " ".join(str(s["rows"]) for s in report["sizes"])
    lines = [
        "# Validation benchmark: validate_round against the same rules as numpy masks",
        "",
        f"`python -m benchmarks.validation --rows {sizes} --repeats {report['repeats']}`; "
        f"median of {report['repeats']} runs of each, in one process (gc.collect() before "
        "each run), on the same harmonised frame (read and harmonised by the pipeline's own "
        "functions, not timed). pipeline = assets.validate.validate_round (exact duplicates, "
        "the codebook's Pandera schema run lazily, cross-field rules, quarantine split with "
        "reasons, failure table); numpy = the same rules written by hand as numpy masks "
        "(column types taken as given; codes by np.isin on each column's distinct values, "
        "mapped back with pd.factorize; duplicates with pandas' duplicated, as the pipeline), "
        "building the same outputs. ratio = pipeline / numpy. "
        "Both found the same failing cells (source_file, source_row, column, rule) and "
        "quarantined the same rows on every round, and on a "
        f"{PLANTED_ROWS:,}-row slice with a defect of every rule kind planted.",
        "",
        f"{info['date']}, {info['cores']} cores, {info['platform']}, Python {info['python']}, "
        + ", ".join(f"{p} {info[p]}" for p in ("pandas", "pandera", "numpy", "pyarrow"))
        + f", commit {info['commit']}. Peak RSS of the whole run (generation included): "
        f"{report['peak_rss_mib']:,.0f} MiB.",
        "",
        "exact duplicates s = the exact_duplicates call alone (the same pandas call in both "
        "paths), timed in the same repeats; the last ratio leaves it out of both.",
        "",
        "| rows per round | round | columns | pipeline s | numpy s | ratio | exact duplicates "
        "s | ratio without it | failure rows (pipeline / numpy) | quarantined rows |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in report["sizes"]:
        for r in size["rounds"]:
            lines.append(f"| {r['rows']:,} | {r['round']} | {r['columns']} | "
                         f"{r['pipeline_median']:.3f} | {r['numpy_median']:.3f} | "
                         f"{r['ratio']:.1f} | {r['exact_duplicates_median']:.3f} | "
                         f"{r['ratio_without_exact_duplicates']:.1f} | "
                         f"{r['pipeline_failures']} / {r['numpy_failures']} | "
                         f"{r['quarantined_rows']} |")
        lines.append(f"| {size['rows']:,} | both | | {size['pipeline_median']:.3f} | "
                     f"{size['numpy_median']:.3f} | {size['ratio']:.1f} | | | | |")
    planted_rounds = [r for s in report["sizes"] for r in s["rounds"] if "planted" in r]
    if planted_rounds:
        lines += ["", "Planted-defect check (rules that failed, same cells in both):", ""]
        lines += [f"- {r['round']}: {r['planted']['failing_cells']} failing cells; "
                  + "; ".join(f"`{rule}`" for rule in r["planted"]["rules"])
                  for r in planted_rounds]
    for r in report["sizes"][-1]["rounds"]:
        found = r["profile"]
        lines += ["", f"## Profile: validate_round, {r['round']}, {r['rows']:,} rows",
                  "", f"cProfile, one run ({found['total_seconds']:.2f} s under the "
                  f"profiler). Top {TOP} by cumulative time:", ""]
        lines += _profile_table(found["cumulative"])
        lines += ["", f"Top {TOP} by own time:", ""]
        lines += _profile_table(found["own"])
    return "\n".join(lines) + "\n"


def main() -> None:
    """Command line: python -m benchmarks.validation [--rows N ...] [--repeats K]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="rows per round, one or more sizes")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (median)")
    parser.add_argument("--data", type=Path, default=DATA, help="where the survey is generated")
    args = parser.parse_args()
    sizes = sorted(args.rows)
    measured = [measure_size(rows, args.repeats, args.data, i == 0, i == len(sizes) - 1)
                for i, rows in enumerate(sizes)]
    report = {"repeats": args.repeats, "machine": machine() | {"pandera": version("pandera")},
              "peak_rss_mib": round(peak_rss_mib()), "sizes": measured}
    text = markdown(report)
    write_results("validation", report, text)
    print(text)


if __name__ == "__main__":
    main()
