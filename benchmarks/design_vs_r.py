"""Design-based estimates benchmark: the pipeline against R ``survey`` on the same data, as a ratio.

Usage: python -m benchmarks.design_vs_r [--rows 10000 100000 1000000] [--repeats 3]
[--large-repeats 1]

Per size, generates (once, deterministically) two rounds of N respondents each and writes them
to benchmarks/.data/design_vs_r/ (git-ignored) as one CSV both sides read. Each round is a
stratified cluster sample: 2 districts x 4 strata, PSUs of 20-40 respondents nested in the
strata (stratum and PSU ids distinct per round), unequal weights; sex of each respondent; 10
indicators: score_1..score_5 (0-100, means with SE and a t interval) and share_1..share_5 (0/1,
proportions with the logit interval). About 3% (scores) and 5% (shares) of the values are
missing at random, and in 1% of the PSUs an indicator is missing for everyone (a module not
administered): such a PSU holds domain rows but no value, which decides the design df below.

- ours, in a fresh Python process, after the CSV read (timed apart):
  - estimator: the 80 compared cells from assets.estimates.design_estimate_values, called as
    estimates.py calls it (per round the round's whole design, values NaN outside the domain);
  - pipeline: assets.estimates.estimate_indicators with the declared design (weights, strata,
    clusters) on the respondent x indicator table scoring would build (its construction not
    timed): every indicator x round x group, `all` and a 4-level district x sex group, i.e.
    the production path (only the 80 domain cells are compared). The headline ratio.
- R, in a fresh Rscript process (benchmarks/design_vs_r.R): read.csv (timed apart), then
  svydesign(ids=~psu, strata=~stratum, weights=~w, data, nest=TRUE) over both rounds and per
  indicator svyby(~y, ~round+district+sex, svymean, na.rm=TRUE) or svyby(..., svyciprop,
  method="logit", vartype=c("se","ci"), na.rm=TRUE), timed by system.time() inside R.

Medians of the repeats (gc before each; --large-repeats at 1,000,000 rows per round and more);
ratio = ours / R, on wall time and on process CPU time. Peak RSS is each process's maximum
resident set (os.wait4), reading included; wall is the whole process.

Every number is compared, per indicator x round x district x sex: estimate, SE, CI low and high
(proportions: svyciprop's logit interval; means: coef +/- qt(0.975, df) SE, computed in R after
the timing) and the df (equal). The largest relative difference |ours - R| / |R| must be <= 1e-6
or the run exits non-zero naming the cell. df: both sides use the domain's PSUs minus strata
among rows with a value (assets.statistics.design's documented convention; R gets the design
without the indicator's missing rows, design[!is.na(y), ], which leaves every variance as
na.rm=TRUE has it). svyciprop on the full design would also count PSUs whose domain rows are
all missing: the report counts the cells where that gives another df (`df_with_missing`).

Writes benchmarks/results/design_vs_r.json and design_vs_r.md. A measurement, never an
assertion on time; measure(rows, repeats) is the entry point for benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from assets.publish import atomic_write
from benchmarks.ingest import machine, write_results

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data" / "design_vs_r"
R_SCRIPT = HERE / "design_vs_r.R"
SEED = 20261123
VERSION = 1  # bump when the generated data change for the same size
ROUNDS = ("baseline", "endline")
DISTRICTS, SEXES = {"1": "Dusti", "2": "Kulob"}, {"1": "male", "2": "female"}
STRATUM_SHARES = np.array([0.16, 0.12, 0.12, 0.10, 0.16, 0.12, 0.12, 0.10])  # district 1: 0-3
SCORES = [f"score_{k}" for k in range(1, 6)]
SHARES = [f"share_{k}" for k in range(1, 6)]
MISSING_SCORE, MISSING_SHARE, MISSING_MODULE = 0.03, 0.05, 0.01
TOLERANCE = 1e-6
LARGE = 1_000_000  # sizes from here on use --large-repeats
COMPARED = ("estimate", "se", "ci_low", "ci_high")
PACKAGES = ("pandas", "numpy", "scipy")
DOMAIN_LABELS = {d + s: f"{district} {sex}" for d, district in DISTRICTS.items()
                 for s, sex in SEXES.items()}


def generate(rows: int, seed: int = SEED) -> pd.DataFrame:
    """Both rounds of `rows` respondents each, one row per respondent (see the module doc)."""
    rng = np.random.default_rng([seed, rows])
    parts, first_psu = [], 1
    for r, round_name in enumerate(ROUNDS):
        sizes = rng.integers(20, 41, size=rows // 20 + 1)
        sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), rows)) + 1]
        sizes[-1] -= sizes.sum() - rows
        n_psu = len(sizes)
        counts = np.maximum(2, np.floor(STRATUM_SHARES * n_psu).astype(int))
        counts[0] += n_psu - counts.sum()
        if counts.min() < 2:
            raise ValueError(f"{rows} rows per round are too few for 2 PSUs in each of 8 strata")
        psu_stratum = np.repeat(np.arange(8), counts)
        psu = np.repeat(np.arange(n_psu), sizes)
        stratum = psu_stratum[psu]
        district = stratum // 4 + 1
        sex = rng.integers(1, 3, size=rows)
        stratum_weight = np.array([120, 260, 410, 800, 150, 300, 520, 900])[stratum]
        weight = (stratum_weight * np.exp(rng.normal(0, 0.25, n_psu))[psu]
                  * np.exp(rng.normal(0, 0.15, rows)))
        frame = {"round": round_name, "district": district.astype(str), "sex": sex.astype(str),
                 "stratum": 8 * r + stratum + 1, "psu": first_psu + psu,
                 "w": np.round(weight, 3)}
        for k, name in enumerate(SCORES):
            level = 45 + 6 * k + 4 * r + 3 * (district - 1) - 2 * (sex - 1)
            value = level + rng.normal(0, 8, n_psu)[psu] + rng.normal(0, 15, rows)
            frame[name] = _with_missing(rng, np.round(np.clip(value, 0, 100), 2),
                                        MISSING_SCORE, psu, n_psu)
        for k, name in enumerate(SHARES):
            logit = -1.6 + 0.6 * k + 0.4 * r + 0.3 * (district - 1) - 0.2 * (sex - 1)
            chance = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.5, n_psu)[psu])))
            frame[name] = _with_missing(rng, (rng.random(rows) < chance).astype(float),
                                        MISSING_SHARE, psu, n_psu)
        parts.append(pd.DataFrame(frame))
        first_psu += n_psu
    return pd.concat(parts, ignore_index=True)


def _with_missing(rng: np.random.Generator, values: np.ndarray, share: float, psu: np.ndarray,
                  n_psu: int) -> np.ndarray:
    """Values with `share` missing at random and every value of 1% of the PSUs missing."""
    gone = (rng.random(len(values)) < share) | (rng.random(n_psu) < MISSING_MODULE)[psu]
    return np.where(gone, np.nan, values)


def ensure_data(rows: int, folder: Path = DATA) -> Path:
    """The CSV of this size, generated and written once (atomically) under `folder`."""
    path = folder / f"design_v{VERSION}_seed{SEED}_{rows}.csv"
    if not path.exists():
        frame = generate(rows)
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, na_rep="NA"))
    return path


def read_data(path: Path) -> pd.DataFrame:
    """The benchmark CSV as our side reads it (district and sex as text codes)."""
    return pd.read_csv(path, engine="pyarrow", dtype={"district": str, "sex": str})


def declarations():
    """Project, indicator catalogue and codebook of the benchmark data (a `domain` group)."""
    from schemas.declarations import Codebook, Project
    from schemas.indicators import IndicatorCatalogue

    project = Project.model_validate({
        "name": "design_vs_r", "respondent_id": "rid",
        "rounds": [{"name": name, "label": name, "files": ["*"]} for name in ROUNDS],
        "sampling_design": {"weights": "w", "strata": "stratum", "clusters": "psu"}})
    scores = [{"id": name, "label": name, "kind": "mean_score", "items": [name],
               "scale": {"min": 0, "max": 100}, "groups": ["domain"]} for name in SCORES]
    shares = [{"id": name, "label": name, "kind": "prevalence", "variable": name, "yes": ["1"],
               "groups": ["domain"]} for name in SHARES]
    catalogue = IndicatorCatalogue.model_validate({"indicators": scores + shares})
    codebook = Codebook.model_validate({"variables": [{
        "name": "domain", "label": "District x sex", "type": "category",
        "labels": DOMAIN_LABELS, "sources": {name: "domain" for name in ROUNDS}}]})
    return project, catalogue, codebook


def respondent_indicators(wide: pd.DataFrame) -> pd.DataFrame:
    """The long respondent x indicator table that scoring builds, with design_* columns.

    One block of rows per indicator, as score_respondents concatenates them (its string
    columns are Arrow chunked arrays, one chunk per block; here chunks share their buffers).
    """
    def text(values: object) -> pa.Array:
        return pa.array(values, type=pa.large_string())

    def strings(chunks: list[pa.Array]) -> pd.arrays.ArrowStringArray:
        return pd.arrays.ArrowStringArray(pa.chunked_array(chunks))

    def constant(value: str) -> pa.Array:
        return text([value]).take(np.zeros(n, dtype=np.int64))

    n, blocks = len(wide), SCORES + SHARES
    rounds = text(wide["round"].to_numpy(dtype=object))
    ids = pc.binary_join_element_wise(rounds, text(np.arange(n).astype(str)),
                                      pa.scalar("-", pa.large_string()))
    empty = constant("")
    domain = (wide["district"].astype(str) + wide["sex"].astype(str)).to_numpy(object)
    values = [wide[name].to_numpy(dtype=float) for name in blocks]
    missing = [pa.array(np.isnan(v)) for v in values]
    k = len(blocks)
    table = pd.DataFrame({
        "round": strings([rounds] * k),
        "respondent_id": strings([ids] * k),
        "indicator": strings([constant(name) for name in blocks]),
        "category": strings([empty] * k),
        "value": pd.array(np.concatenate(values), dtype="Float64"),
        "status": strings([pc.if_else(m, text(["missing"])[0], text(["counted"])[0])
                           for m in missing]),
        "detail": strings([pc.if_else(m, text(["missing"])[0], text(["valid"])[0])
                           for m in missing]),
        "flag": strings([empty] * k), "band": strings([empty] * k),
        "domain": np.tile(domain, k),
        "design_weights": np.tile(wide["w"].to_numpy(dtype=float), k),
        "design_strata": np.tile(wide["stratum"].to_numpy(), k),
        "design_clusters": np.tile(wide["psu"].to_numpy(), k),
    })
    return table


def estimator_cells(wide: pd.DataFrame) -> pd.DataFrame:
    """The 80 compared cells straight from design_estimate_values, as estimates.py calls it.

    Per round, the round's rows with design_* columns; per indicator and district x sex domain,
    the values on the round's whole design with the rows outside the domain NaN.
    """
    from assets.estimates import design_estimate_values

    design = declarations()[0].sampling_design
    rows = []
    for round_name in ROUNDS:
        people = wide[wide["round"] == round_name].rename(columns={
            "w": "design_weights", "stratum": "design_strata", "psu": "design_clusters"})
        codes = people["district"] + people["sex"]
        domains = {code: codes == code for code in DOMAIN_LABELS}
        for name in SCORES + SHARES:
            unit = "%" if name in SHARES else "points"
            for code, domain in domains.items():
                stats = design_estimate_values(people, people[name], domain, unit, design, 0.95)
                scale = 100.0 if unit == "%" else 1.0
                rows.append({"indicator": name, "round": round_name, "district": code[0],
                             "sex": code[1], "n": stats["n"], "df": stats["df"],
                             **{c: stats[c] / scale for c in COMPARED}})
    return pd.DataFrame(rows)


def pipeline_cells(estimates: pd.DataFrame) -> pd.DataFrame:
    """The district x sex cells of estimate_indicators' table, proportions as fractions."""
    cells = estimates[estimates["group"].str.startswith("domain=")].copy()
    domain = cells["group"].str.removeprefix("domain=").map(
        {label: code for code, label in DOMAIN_LABELS.items()})
    cells["district"], cells["sex"] = domain.str[0], domain.str[1]
    scale = np.where(cells["unit"] == "%", 100.0, 1.0)
    for column in COMPARED:
        cells[column] = cells[column] / scale
    return cells[["indicator", "round", "district", "sex", "n", *COMPARED, "df"]]


def _timed(run: Callable[[], object], repeats: int) -> tuple[object, list[float], list[float]]:
    """The last result of `repeats` runs (gc.collect() before each), wall and CPU seconds."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return result, walls, cpus


def ours(data: Path, repeats: int) -> dict:
    """Read, prepare and time both of our paths `repeats` times (run in a fresh process)."""
    from assets.estimates import estimate_indicators

    project, catalogue, codebook = declarations()
    started = time.perf_counter()
    wide = read_data(data)
    read_s = time.perf_counter() - started
    cells, estimator_s, estimator_cpu = _timed(partial(estimator_cells, wide), repeats)
    started = time.perf_counter()
    table = respondent_indicators(wide)
    prepare_s = time.perf_counter() - started
    del wide
    estimates, pipeline_s, pipeline_cpu = _timed(
        partial(estimate_indicators, table, project, catalogue, codebook), repeats)
    return {"read_s": read_s, "prepare_s": prepare_s, "long_rows": len(table),
            "estimates_rows": len(estimates),
            "pipeline": {"runs_s": pipeline_s, "cpu_s": pipeline_cpu,
                         "cells": pipeline_cells(estimates).to_dict(orient="records")},
            "estimator": {"runs_s": estimator_s, "cpu_s": estimator_cpu,
                          "cells": cells.to_dict(orient="records")}}


def run_process(command: list[str], log: Path) -> dict:
    """Run a command to completion: its wall seconds and peak RSS (MiB); raise if it fails."""
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=HERE.parent)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({process.returncode}):\n{log.read_text()}")
    return {"wall_s": wall, "peak_rss_mib": round(usage.ru_maxrss / 1024)}


def r_available() -> str | None:
    """Why R survey cannot run here, or None when it can."""
    if shutil.which("Rscript") is None:
        return "Rscript is not installed"
    found = subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True, text=True,
                           check=False)
    return None if found.returncode == 0 else "the R package survey is not installed"


def run_r(data: Path, out: Path, repeats: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """R's estimates and timings on `data` (benchmarks/design_vs_r.R), with its process stats."""
    out.mkdir(parents=True, exist_ok=True)
    process = run_process(["Rscript", str(R_SCRIPT), str(data), str(out), str(repeats)],
                          out / "r.log")
    cells = pd.read_csv(out / "estimates.csv", dtype={"district": str, "sex": str})
    return cells, pd.read_csv(out / "timings.csv"), process


def compare(mine: pd.DataFrame, theirs: pd.DataFrame) -> dict:
    """Largest relative difference over every compared number and its cell; df mismatches."""
    keys = ["indicator", "round", "district", "sex"]
    both = mine.merge(theirs, on=keys, how="outer", suffixes=("", "_r"), indicator=True)
    unmatched = both[both["_merge"] != "both"]
    if len(unmatched) or len(both) != len(SCORES + SHARES) * len(ROUNDS) * len(DOMAIN_LABELS):
        raise ValueError(f"cells missing on one side:\n{unmatched[[*keys, '_merge']]}")
    worst, by_column = {"relative_difference": -1.0}, {}
    for column in COMPARED:
        ours_, r = both[column].to_numpy(float), both[column + "_r"].to_numpy(float)
        if not (np.isfinite(ours_).all() and np.isfinite(r).all()):
            raise ValueError(f"{column}: a missing value (ours or R)")
        difference = np.abs(ours_ - r) / np.abs(r)
        at = int(np.argmax(difference))
        by_column[column] = {kind: float(difference[both["indicator"].isin(names)].max())
                             for kind, names in (("means", SCORES), ("proportions", SHARES))}
        if difference[at] > worst["relative_difference"]:
            worst = {"relative_difference": float(difference[at]), "column": column,
                     **{k: str(both.iloc[at][k]) for k in keys}, "ours": float(ours_[at]),
                     "r": float(r[at])}
    df_differs = both[both["df"].astype(int) != both["df_r"].astype(int)]
    return {"cells": len(both), "max_relative_difference": worst["relative_difference"],
            "worst": worst, "by_column": by_column, "df_differs": len(df_differs),
            "df_differs_first": df_differs[[*keys, "df", "df_r"]].head(1).to_dict("records"),
            "df_range": [int(both["df"].min()), int(both["df"].max())],
            "n_range": [int(both["n"].min()), int(both["n"].max())]}


def measure(rows: int, repeats: int, r_repeats: int | None = None) -> dict:
    """Time both sides on `rows` respondents per round, each in a fresh process; compare all."""
    reason = r_available()
    if reason:
        raise RuntimeError(reason)
    r_repeats = repeats if r_repeats is None else r_repeats
    data = ensure_data(rows)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="design_vs_r.") as scratch:
        work = Path(scratch)
        mine = run_process([sys.executable, "-m", "benchmarks.design_vs_r", "--ours", str(data),
                            str(work / "ours.json"), "--repeats", str(repeats)],
                           work / "ours.log")
        found = json.loads((work / "ours.json").read_text(encoding="utf-8"))
        r_cells, timings, theirs = run_r(data, work / "r", r_repeats)
    runs = timings[timings["step"] == "estimate"]
    r_s = statistics.median(runs["elapsed"])
    r_cpu = statistics.median(runs["user"] + runs["system"])
    result = {
        "rows": rows, "respondents": 2 * rows, "repeats": repeats, "r_repeats": r_repeats,
        "data": str(data.relative_to(HERE.parent)),
        "data_mib": round(data.stat().st_size / 2**20),
        "load_average": [load_before, os.getloadavg()[0]],
        "ours": {"read_s": found["read_s"], "prepare_s": found["prepare_s"],
                 "long_rows": found["long_rows"], "estimates_rows": found["estimates_rows"],
                 **mine},
        "r": {"median_s": r_s, "cpu_s": r_cpu, "runs_s": runs["elapsed"].tolist(),
              "read_s": float(timings.loc[timings["step"] == "read", "elapsed"].iloc[0]),
              **theirs},
        "df_with_missing_differs": int((r_cells["df_with_missing"] != r_cells["df"]).sum()),
    }
    for path in ("pipeline", "estimator"):
        side = found[path]
        median, cpu = statistics.median(side["runs_s"]), statistics.median(side["cpu_s"])
        result[path] = {"median_s": median, "cpu_s": cpu, "runs_s": side["runs_s"],
                        "ratio": median / r_s, "cpu_ratio": cpu / r_cpu,
                        **compare(pd.DataFrame(side["cells"]), r_cells)}
    # The headline: the production path (estimate_indicators) over R.
    result["ratio"] = result["pipeline"]["ratio"]
    result["max_relative_difference"] = max(result[path]["max_relative_difference"]
                                            for path in ("pipeline", "estimator"))
    return result


def r_version() -> str:
    """R and survey versions, as "4.2.2 4.1.1"."""
    found = subprocess.run(
        ["Rscript", "-e", 'cat(R.version$major, ".", R.version$minor, " ", '
         'as.character(packageVersion("survey")), sep="")'],
        capture_output=True, text=True, check=False)
    return found.stdout.strip()


def markdown(report: dict) -> str:
    """The results as Markdown tables with the machine they ran on."""
    info, sizes = report["machine"], report["sizes"]
    r, survey = report["r_version"].split()
    lines = [
        "# Design-based estimates: the pipeline against R survey",
        "",
        f"`{report['command']}`. Two rounds of N respondents each (2 districts x 4 strata, PSUs "
        "of 20-40 nested in strata, unequal weights, sex; 5 scores 0-100 and 5 0/1 indicators "
        "with 3-5% missing values and 1% of PSUs missing an indicator entirely), one CSV both "
        "sides read. Each side runs in a fresh process; file reading is excluded (shown apart). "
        "pipeline = assets.estimates.estimate_indicators with the declared design (weights, "
        "strata, clusters) on the respondent x indicator table: 10 indicators x 2 rounds x "
        "(`all` + 4 district x sex domains) = 100 design-based cells; estimator = the 80 "
        "domain cells from design_estimate_values as estimates.py calls it (the round's whole "
        "design, values NaN outside the domain); R = svydesign(ids=~psu, strata=~stratum, "
        "weights=~w, nest=TRUE) + per indicator svyby(~y, ~round+district+sex, svymean) or "
        "svyby(..., svyciprop, method=\"logit\", vartype=c(\"se\",\"ci\")), timed with "
        "system.time() in R (80 cells). Medians of the repeats (gc before each); ratio = ours / "
        "R, CPU ratio = the same on process CPU time (user + system), steadier when the machine "
        "is busy.",
        "",
        f"{info['date']}, {info['cores']} cores, {info['platform']}, Python {info['python']}, "
        + ", ".join(f"{p} {info[p]}" for p in PACKAGES)
        + f", R {r}, survey {survey}, commit {info['commit']}"
        + (f" with uncommitted changes to {', '.join(report['uncommitted'])}"
           if report["uncommitted"] else "")
        + f". Whole run {report['total_s']:.0f} s.",
        "",
        "| respondents per round | repeats (ours, R) | pipeline s | estimator s | R s "
        "| pipeline / R | estimator / R | CPU: pipeline / R | CPU: estimator / R | load avg |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        p, e, t = s["pipeline"], s["estimator"], s["r"]
        lines.append(
            f"| {s['rows']:,} | {s['repeats']}, {s['r_repeats']} | {p['median_s']:.3f} | "
            f"{e['median_s']:.3f} | {t['median_s']:.3f} | {p['ratio']:.3f} | {e['ratio']:.3f} "
            f"| {p['cpu_ratio']:.3f} | {e['cpu_ratio']:.3f} | "
            f"{s['load_average'][0]:.1f}-{s['load_average'][1]:.1f} |")
    lines += [
        "",
        "Every number compared for each indicator x round x district x sex: estimate, SE, CI "
        "low and high (proportions: svyciprop's logit interval; means: coef +/- qt(0.975, df) "
        "SE in R) and the design df (equal on every cell, both paths). max rel diff = max "
        "|ours - R| / |R| over all of them; the run fails above 1e-6. df is the domain's PSUs "
        "minus strata among rows with a value on both sides (R gets design[!is.na(y), ]); "
        "svyciprop on the full design would also count PSUs whose domain rows are all missing, "
        "a different df on the cells counted in `df differs on full design`.",
        "",
        "| respondents per round | cells | max rel diff pipeline | max rel diff estimator "
        "| df (min-max) | df differs on full design | read s (ours, R) | prepare s "
        "| peak RSS MiB (ours, R) | process wall s (ours, R) |",
        "|---:|---:|---:|---:|---|---:|---|---:|---|---|",
    ]
    for s in sizes:
        p, e, o, t = s["pipeline"], s["estimator"], s["ours"], s["r"]
        lines.append(
            f"| {s['rows']:,} | {p['cells']} | {p['max_relative_difference']:.1e} | "
            f"{e['max_relative_difference']:.1e} | {p['df_range'][0]}-{p['df_range'][1]} | "
            f"{s['df_with_missing_differs']} | {o['read_s']:.2f}, {t['read_s']:.2f} | "
            f"{o['prepare_s']:.1f} | {o['peak_rss_mib']:,}, {t['peak_rss_mib']:,} | "
            f"{o['wall_s']:.0f}, {t['wall_s']:.0f} |")
    means = max(v["means"] for s in sizes for v in s["pipeline"]["by_column"].values())
    shares = max(v["proportions"] for s in sizes for v in s["pipeline"]["by_column"].values())
    lines += ["", f"Means (estimate, SE, interval) agree to {means:.0e} and proportions to "
              f"{shares:.0e}: svyciprop's estimate and logit interval start from expit(coef) "
              "of an intercept-only svyglm, whose IRLS stops at glm's epsilon = 1e-8; the "
              "exact weighted mean (svymean) is ours to 1e-15, and so is svyglm's with "
              "glm.control(epsilon = 1e-14).", ""]
    for s in sizes:
        w = s["pipeline"]["worst"]
        lines.append(f"- {s['rows']:,}: largest difference in {w['column']} of {w['indicator']}, "
                     f"{w['round']}, district {w['district']}, sex {w['sex']}: ours "
                     f"{w['ours']!r}, R {w['r']!r}.")
    return "\n".join(lines) + "\n"


def failures(size: dict) -> list[str]:
    """What differs beyond the tolerance at one size (empty when everything agrees)."""
    found = []
    for path in ("pipeline", "estimator"):
        side = size[path]
        if side["max_relative_difference"] > TOLERANCE:
            found.append(f"{size['rows']:,} rows, {path}: relative difference "
                         f"{side['max_relative_difference']:.2e} > {TOLERANCE} at {side['worst']}")
        if side["df_differs"]:
            found.append(f"{size['rows']:,} rows, {path}: df differs on {side['df_differs']} "
                         f"cells, first {side['df_differs_first']}")
    return found


def main() -> None:
    """Command line: measure each size, write the results, fail on a difference above 1e-6."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="respondents per round")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large-repeats", type=int, default=1,
                        help="repeats (both sides) at 1,000,000 rows per round or more")
    parser.add_argument("--ours", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours:
        data, out = args.ours
        out.write_text(json.dumps(ours(data, args.repeats)), encoding="utf-8")
        return
    started = time.perf_counter()
    sizes, problems = [], []
    for rows in args.rows:
        size = measure(rows, args.large_repeats if rows >= LARGE else args.repeats)
        sizes.append(size)
        problems += failures(size)
        print(f"{rows:,} per round: pipeline {size['pipeline']['median_s']:.3f} s, estimator "
              f"{size['estimator']['median_s']:.3f} s, R {size['r']['median_s']:.3f} s; max "
              f"relative difference {size['pipeline']['max_relative_difference']:.1e}",
              flush=True)
    command = (f"python -m benchmarks.design_vs_r --rows {' '.join(map(str, args.rows))} "
               f"--repeats {args.repeats} --large-repeats {args.large_repeats}")
    changed = subprocess.run(["git", "status", "--porcelain", "--", "assets", "schemas"],
                             cwd=HERE.parent, capture_output=True, text=True, check=False)
    report = {"command": command, "tolerance": TOLERANCE,
              "machine": {**machine(), **{p: version(p) for p in PACKAGES}},
              "uncommitted": sorted(line[3:] for line in changed.stdout.splitlines()),
              "r_version": r_version(), "total_s": time.perf_counter() - started,
              "sizes": sizes}
    text = markdown(report)
    write_results("design_vs_r", report, text)
    print(text)
    for problem in problems:
        print(f"DIFFERENCE: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
