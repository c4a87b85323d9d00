"""Generate a realistic synthetic survey project of any size for benchmarks (deterministic).

Usage: python -m benchmarks.generate --rows N --out DIR [--seed S]

Writes DIR/raw/baseline/baseline.sav (SPSS: value labels, user-missing 98/99 and -8/-9, a file
label and note), DIR/raw/endline/endline.csv (KoboToolbox: ';', UTF-8 with BOM, quoted cells,
group paths, choice names, `_id`/`_uuid`/`_submission_time`, a select_multiple with summary and
split columns), with N rows in each round, and copies the shipped declarations
(schemas/survey/*.yaml) to DIR/survey/, so the project's real codebook and indicators run on it
(`SURVEY_PROJECT_FILE=DIR/survey/project.yaml`, raw files under DIR/raw/).

The rows are the shipped sample's clean rows (those that pass validation) resampled with
replacement: each gets a fresh respondent id, a new name, phone and GPS point; about the
sample's share of endline respondents are re-interviews that carry a baseline id (same type,
district, sex, name, phone and GPS point). Free-text and extra labelled columns bring each round
to about 60 columns. Defects are planted at about the sample's rates (one in 600 rows each):
baseline exact duplicates, a 15 on a 0-10 item and two interviews under one id; endline
resubmissions (same answers, new `_id`/`_uuid`) and negative incomes. DIR/generated.json
records the paths, row counts and planted defects. A million rows per round take well under a
minute and about 2 GiB of memory.
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pv
import pyreadstat

from benchmarks import synthetic as syn
from benchmarks.rounds import round_files, validate_files
from schemas.declarations import Survey, load_survey

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PROJECT = ROOT / "schemas" / "survey" / "project.yaml"
SEED = 20240601
VERSION = 1  # bump when the generated data changes for the same arguments
DEFECT_RATE = 1 / 600  # the sample: one of each defect in 598 (baseline) and 456 (endline) rows
MIN_ROWS = 100
BASELINE_FILE, ENDLINE_FILE = Path("baseline/baseline.sav"), Path("endline/endline.csv")
SAV_DATE = b"03 Jun 2110:00:00"  # header creation stamp, fixed so the file is reproducible
# Baseline codes -> endline choice names (the inverse of the codebook's endline recodes).
RESPONDENT_TYPES = {1: "woman", 2: "adolescent"}
DISTRICTS, SEXES = {1: "dusti", 2: "kulob"}, {1: "male", 2: "female"}
# What an endline re-interview takes over from the baseline respondent.
PANEL_COLUMNS = ["resp_id", "resp_type", "district", "sex", "age", "resp_name", "phone",
                 "gps_lat", "gps_lon"]


@dataclass(frozen=True)
class Extra:
    """An extra labelled baseline column: codes drawn with weights, for one respondent type."""

    name: str
    label: str
    codes: list[float]
    weights: list[float]
    labels: dict[float, str] | None = None
    only_type: int | None = None  # 1 women, 2 adolescents, None everyone
    user_missing: tuple[float, ...] = ()


YES_NO = {1: "Yes", 2: "No"}
EXTRAS = [
    Extra("hh_size", "Household members", list(range(1, 13)),
          [1, 3, 6, 10, 13, 14, 13, 11, 9, 8, 7, 5]),
    Extra("hh_head_sex", "Sex of the household head", [1, 2], [0.35, 0.65], {1: "Male",
                                                                             2: "Female"}),
    Extra("marital", "Marital status", [1, 2, 3, 99], [0.86, 0.06, 0.06, 0.02],
          {1: "Married", 2: "Widowed", 3: "Divorced or separated", 99: "Refused"},
          only_type=1, user_missing=(98, 99)),
    Extra("education", "Highest level of education completed", [0, 1, 2, 3, 4, 5],
          [0.03, 0.1, 0.3, 0.35, 0.14, 0.08],
          {0: "None", 1: "Primary", 2: "Basic secondary", 3: "General secondary",
           4: "Vocational", 5: "Higher"}),
    Extra("language", "Language of the interview", [1, 2, 3], [0.8, 0.15, 0.05],
          {1: "Tajik", 2: "Uzbek", 3: "Russian"}),
    Extra("water_source", "Main source of drinking water", [1, 2, 3, 4, 5],
          [0.45, 0.2, 0.15, 0.12, 0.08],
          {1: "Piped into the yard", 2: "Public tap", 3: "Well", 4: "Spring",
           5: "River or canal"}),
    Extra("remit_freq", "How often remittances arrive", [1, 2, 3, 4, 98],
          [0.3, 0.3, 0.15, 0.2, 0.05],
          {1: "Monthly", 2: "Every few months", 3: "Once a year or less", 4: "Never",
           98: "Don't know"}, only_type=1, user_missing=(98, 99)),
    Extra("q53_minutes", "Minutes to the nearest service point", list(range(5, 125, 5)),
          [24 - i for i in range(24)]),
    Extra("q61_school", "Attends school this year", [1, 2], [0.93, 0.07], YES_NO, only_type=2),
    Extra("consent", "Consent to the interview", [1], [1], {1: "Yes"}),
    Extra("int_result", "Result of the interview", [1, 2], [0.97, 0.03],
          {1: "Completed", 2: "Partly completed"}),
    Extra("enumerator", "Enumerator", list(range(1, 13)), [1] * 12,
          {i: f"Enumerator {i:02d}" for i in range(1, 13)}),
]
BASELINE_TEXT = {"q54_other": ("Other service used, specify", syn.OTHER_SERVICES, 0.06),
                 "q90_comments": ("Enumerator's comments", syn.COMMENTS, 0.25)}
ENDLINE_TEXT = {"support/other_service": (syn.OTHER_SERVICES, 0.06),
                "end/comments": (syn.COMMENTS, 0.25)}


def defect_count(rows: int) -> int:
    """How many of each planted defect a round of `rows` rows gets (at least one)."""
    return max(1, round(rows * DEFECT_RATE))


def clean_sample(survey: Survey) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """The shipped sample's rows that pass validation: baseline (with its metadata), endline."""
    raw_dir = ROOT / "raw"
    (sav,) = round_files(survey, raw_dir, "baseline")
    (csv,) = round_files(survey, raw_dir, "endline")
    baseline, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    endline = pd.read_csv(csv, sep=";", dtype=str, keep_default_na=False,
                          encoding="utf-8-sig")
    kept = []
    for frame, name, path in ((baseline, "baseline", sav), (endline, "endline", csv)):
        quarantined = validate_files(survey, name, [path], only_needed=False).quarantine
        bad = quarantined["source_row"].astype(int).to_numpy() - 1
        kept.append(frame.drop(index=bad).reset_index(drop=True))
    labels = dict(file_label=meta.file_label, column_labels=meta.column_names_to_labels,
                  variable_value_labels=meta.variable_value_labels,
                  missing_ranges=meta.missing_ranges)
    return kept[0], labels, kept[1]


def with_copies(frame: pd.DataFrame, copies: pd.DataFrame, after: np.ndarray) -> pd.DataFrame:
    """`frame` with `copies` inserted, each right after row `after[i]`."""
    position = np.concatenate([np.arange(len(frame)), after])
    order = np.argsort(position, kind="stable")
    return pd.concat([frame, copies], ignore_index=True).iloc[order].reset_index(drop=True)


def build_baseline(sample: pd.DataFrame, rows: int, rng: np.random.Generator,
                   width: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The baseline table, the respondents an endline may re-interview, planted defects."""
    k = defect_count(rows)
    n = rows - 2 * k  # exact duplicates and second interviews under one id are extra rows
    frame = sample.iloc[rng.integers(len(sample), size=n)].reset_index(drop=True)
    frame["resp_id"] = syn.ids("B", 1, n, width)
    frame["resp_name"] = syn.names(rng, frame["sex"].to_numpy() == 2)
    frame["phone"] = syn.phones(rng, n)
    frame["gps_lat"], frame["gps_lon"] = syn.gps(rng, frame["district"].to_numpy())
    kind = frame["resp_type"].to_numpy()
    for extra in EXTRAS:
        values = syn.coded(rng, extra.codes, extra.weights, n)
        frame[extra.name] = values if extra.only_type is None else np.where(
            kind == extra.only_type, values, np.nan)
    for name, (_, pool, share) in BASELINE_TEXT.items():
        frame[name] = syn.free_text(rng, pool, n, share)

    chosen = rng.permutation(n)[:3 * k]
    typo, duplicated, reused = chosen[:k], chosen[k:2 * k], chosen[2 * k:]
    frame.loc[typo, "q11_3"] = 15.0
    second = frame.iloc[reused].copy()
    second["q11_1"] = np.where(second["q11_1"] > 5, 0.0, 10.0)
    panel_pool = frame.drop(index=chosen)[PANEL_COLUMNS]
    copies = pd.concat([frame.iloc[duplicated], second], ignore_index=True)
    frame = with_copies(frame, copies, np.concatenate([duplicated, reused]))
    defects = {"exact duplicate": k, "out of range (q11_3 = 15)": k,
               "two interviews under one id": 2 * k}
    return frame, panel_pool, defects


def write_baseline(frame: pd.DataFrame, labels: dict, path: Path) -> None:
    """Write the .sav with the sample's labels and user-missing codes plus the extra columns."""
    column_labels = dict(labels["column_labels"])
    value_labels = dict(labels["variable_value_labels"])
    missing = dict(labels["missing_ranges"])
    for extra in EXTRAS:
        column_labels[extra.name] = extra.label
        if extra.labels:
            value_labels[extra.name] = extra.labels
        if extra.user_missing:
            missing[extra.name] = list(extra.user_missing)
    column_labels.update({name: spec[0] for name, spec in BASELINE_TEXT.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    # pyreadstat walks the rows in Python; plain object columns iterate twice as fast as Arrow.
    text = frame.select_dtypes(include="str").columns
    frame = frame.astype(dict.fromkeys(text, object))
    pyreadstat.write_sav(
        frame, str(path), file_label=labels["file_label"], column_labels=column_labels,
        variable_value_labels=value_labels, missing_ranges=missing,
        note="Synthetic benchmark data generated by benchmarks/generate.py")
    with path.open("r+b") as handle:  # the header's creation time, fixed (as raw/ does)
        handle.seek(92)
        handle.write(SAV_DATE)


def _panel(frame: pd.DataFrame, pool: pd.DataFrame, share: float,
           rng: np.random.Generator) -> int:
    """Make about `share` of the endline rows re-interviews of baseline respondents."""
    linked = 0
    kind = frame["intro/resp_type"].to_numpy()
    for code, choice in RESPONDENT_TYPES.items():
        rows = np.flatnonzero(kind == choice)
        candidates = np.flatnonzero(pool["resp_type"].to_numpy() == code)
        k = min(round(share * len(rows)), len(candidates))
        at = rng.choice(rows, size=k, replace=False)
        before = pool.iloc[rng.choice(candidates, size=k, replace=False)]
        columns = {"intro/resp_id": before["resp_id"].to_numpy(),
                   "intro/district": before["district"].map(DISTRICTS).to_numpy(),
                   "intro/sex": before["sex"].map(SEXES).to_numpy(),
                   "intro/resp_name": before["resp_name"].to_numpy(),
                   "intro/phone": before["phone"].to_numpy(),
                   "_gps_latitude": before["gps_lat"].astype(str).to_numpy(),
                   "_gps_longitude": before["gps_lon"].astype(str).to_numpy()}
        if code == 1:  # a woman two years on; adolescents keep their endline age and grade
            columns["intro/age"] = (before["age"] + 2).astype(int).astype(str).to_numpy()
        for column, values in columns.items():
            frame.loc[at, column] = values
        linked += k
    return linked


def build_endline(sample: pd.DataFrame, rows: int, pool: pd.DataFrame, share: float,
                  rng: np.random.Generator, width: int) -> tuple[pd.DataFrame, int, dict]:
    """The endline table (all text), the number of panel re-interviews, planted defects."""
    k = defect_count(rows)
    n = rows - k  # resubmissions are extra rows
    frame = sample.iloc[rng.integers(len(sample), size=n)].reset_index(drop=True)
    frame["intro/resp_id"] = syn.ids("E", 1, n, width)
    frame["intro/resp_name"] = syn.names(rng, frame["intro/sex"].to_numpy() == "female")
    frame["intro/phone"] = syn.phones(rng, n)
    district = np.where(frame["intro/district"].to_numpy() == "kulob", 2, 1)
    lat, lon = syn.gps(rng, district)
    frame["_gps_latitude"], frame["_gps_longitude"] = lat.astype(str), lon.astype(str)
    linked = _panel(frame, pool, share, rng)
    rest = frame["gps"].str.replace(r"^\S+ \S+ ", "", regex=True)  # altitude and precision
    frame["gps"] = frame["_gps_latitude"] + " " + frame["_gps_longitude"] + " " + rest
    meta_at = frame.columns.get_loc("_id")
    for offset, (name, (pool_text, text_share)) in enumerate(ENDLINE_TEXT.items()):
        frame.insert(meta_at + offset, name, syn.free_text(rng, pool_text, n, text_share))

    chosen = rng.permutation(n)
    resubmitted = chosen[:k]
    answered = chosen[k:][frame["economy/income_month"].to_numpy()[chosen[k:]] != ""]
    negative = answered[:k]
    frame.loc[negative, "economy/income_month"] = (rng.integers(10, 300, size=k) * -10).astype(
        str)
    frame = pd.concat([frame, frame.iloc[resubmitted]], ignore_index=True)
    frame["_index"] = np.arange(1, rows + 1).astype(str)
    frame["_id"] = np.arange(48_213_001, 48_213_001 + rows).astype(str)
    frame["_uuid"] = syn.uuid4_strings(rng, rows)
    defects = {"exact duplicate (resubmission)": k, "negative income": len(negative)}
    return frame, linked, defects


def write_endline(frame: pd.DataFrame, path: Path) -> None:
    """Write the CSV as KoboToolbox exports it: ';', every cell quoted, CRLF, UTF-8 with BOM."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
    options = pv.WriteOptions(delimiter=";", quoting_style="all_valid", eol="\r\n")
    with path.open("wb") as handle:
        handle.write("\ufeff".encode())
        pv.write_csv(table, handle, write_options=options)


def generate(rows: int, out: Path, seed: int = SEED) -> dict:
    """Write a synthetic project with `rows` rows per round under `out`; return what it wrote."""
    if rows < MIN_ROWS:
        raise ValueError(f"--rows must be at least {MIN_ROWS}")
    out = Path(out)
    survey = load_survey(SAMPLE_PROJECT)
    baseline_sample, labels, endline_sample = clean_sample(survey)
    share = float(endline_sample["intro/resp_id"].isin(baseline_sample["resp_id"]).mean())
    rng = np.random.default_rng(seed)
    width = max(4, len(str(rows)))
    survey_dir = copy_declarations(out)
    sav, csv = out / "raw" / BASELINE_FILE, out / "raw" / ENDLINE_FILE
    baseline, pool, base_defects = build_baseline(baseline_sample, rows, rng, width)
    write_baseline(baseline, labels, sav)
    base_shape = baseline.shape
    del baseline  # one round in memory at a time
    endline, linked, end_defects = build_endline(endline_sample, rows, pool, share, rng, width)
    write_endline(endline, csv)
    result = {
        "version": VERSION, "seed": seed, "rows": rows, "dir": str(out),
        "project_file": str(survey_dir / "project.yaml"), "raw_dir": str(out / "raw"),
        "panel_respondents": linked,
        "rounds": {
            "baseline": {"path": str(sav), "rows": base_shape[0],
                         "columns": base_shape[1], "defects": base_defects,
                         "quarantined_rows": sum(base_defects.values())},
            "endline": {"path": str(csv), "rows": len(endline), "columns": endline.shape[1],
                        "defects": end_defects, "quarantined_rows": sum(end_defects.values())},
        },
    }
    (out / "generated.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def copy_declarations(out: Path) -> Path:
    """Copy the shipped declarations (project, codebook, indicators) to out/survey/."""
    survey = load_survey(SAMPLE_PROJECT)
    survey_dir = Path(out) / "survey"
    survey_dir.mkdir(parents=True, exist_ok=True)
    for name in ("project.yaml", survey.project.codebook, survey.project.indicators):
        shutil.copyfile(SAMPLE_PROJECT.parent / name, survey_dir / name)
    return survey_dir


def ensure(rows: int, out: Path, seed: int = SEED) -> dict:
    """The project under `out` if it was generated with these arguments, else generate it."""
    marker = Path(out) / "generated.json"
    if marker.exists():
        found = json.loads(marker.read_text(encoding="utf-8"))
        same = (found.get("version"), found.get("rows"), found.get("seed")) == (
            VERSION, rows, seed)
        if same and all(Path(r["path"]).exists() for r in found["rounds"].values()):
            copy_declarations(Path(out))  # the data stay valid; the declarations may have moved
            return found
    return generate(rows, out, seed)


def main() -> None:
    """Command line: python -m benchmarks.generate --rows N --out DIR."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="rows per round")
    parser.add_argument("--out", type=Path, required=True, help="project directory to write")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    result = generate(args.rows, args.out, args.seed)
    for name, info in result["rounds"].items():
        print(f"{name}: {info['path']} ({info['rows']} rows, {info['columns']} columns, "
              f"{info['quarantined_rows']} planted defect rows)")
    print(f"panel respondents: {result['panel_respondents']}; "
          f"declarations: {result['project_file']}")


if __name__ == "__main__":
    main()
