"""Every round layout through the real Definitions gives the sample's comparison (issue #13).

Each shape is built by code from the shipped sample: every round's file on canonical names and
codes (the codebook's recodes applied, personal columns and the select_multiple dropped), then
pooled in one long CSV or Stata file, joined into one wide Stata panel, or written as archive
ASCII (whitespace-delimited, fixed-width). Declarations are derived from the shipped ones.
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path

import dagster as dg
import pandas as pd
import pyreadstat
import pytest
import yaml
from openpyxl import load_workbook

from assets.columns import resolve_column
from assets.defs.paths import SurveyPaths
from assets.readers import read_round_files
from pipelines.definitions import build_definitions
from pipelines.resources import PROJECT_ROOT
from pipelines.runner import materialise_all
from schemas.declarations import Codebook, Variable, load_survey
from schemas.yaml_source import load_yaml

pytestmark = pytest.mark.slow

SURVEY = PROJECT_ROOT / "schemas" / "survey"
SAMPLE = {"baseline": PROJECT_ROOT / "raw" / "baseline" / "khatlon_baseline_2021.sav",
          "endline": PROJECT_ROOT / "raw" / "endline" / "khatlon_endline_2023.csv"}
SUFFIX = {"baseline": "bl", "endline": "el"}
KEYS = ["comparison", "indicator", "group", "category"]
# p_adjusted is Benjamini-Hochberg across the whole table: equal only when the table is.
NUMBERS = ["n_base", "estimate_base", "ci_low_base", "ci_high_base", "n_end", "estimate_end",
           "ci_low_end", "ci_high_end", "change", "change_ci_low", "change_ci_high",
           "statistic", "p_value"]
PANEL = "baseline_to_endline_panel"
SHARED = ["respondent_id", "district", "respondent_type", "sex"]  # one column in the wide file
PWI = ["pwi_standard_of_living", "pwi_health", "pwi_achieving", "pwi_relationships",
       "pwi_safety", "pwi_community", "pwi_future_security"]
SUBSET = ["respondent_id", "district", "respondent_type", "sex", "age", "life_as_a_whole",
          *PWI, "happy_with_life"]
SUBSET_INDICATORS = ["pwi_women", "pwi_adolescents", "life_as_a_whole_women",
                     "happy_with_life_adolescents"]


# ------------------------------------------------------------------ building the shapes
@cache
def shipped_codebook() -> Codebook:
    """The shipped codebook, loaded once."""
    return load_survey(SURVEY / "project.yaml").codebook


def kept_variables() -> list[Variable]:
    """The codebook variables a derived file carries: neither personal nor select_multiple."""
    return [v for v in shipped_codebook().variables
            if not v.personal and v.type != "select_multiple"]


def canonical(round_name: str) -> pd.DataFrame:
    """The round's sample file on canonical names and codes (special codes stay codes)."""
    frame = read_round_files([SAMPLE[round_name]])[0]  # with the meta: columns
    columns = {}
    for variable in kept_variables():
        source = variable.sources[round_name]
        if source is not None:
            column = resolve_column(source.column, list(frame.columns))
            columns[variable.name] = frame[column].astype("string").replace(source.recode)
    return pd.DataFrame(columns)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    """round -> the canonical table of its sample file (index = source row - 1)."""
    return {round_name: canonical(round_name) for round_name in SAMPLE}


def stata_column(values: pd.Series, extended: bool = False) -> pd.Series:
    """Text as Stata holds it: numbers when every value is one, 98 / 99 as .a / .b if asked."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().sum() < values.notna().sum():
        return values.fillna("").astype(str)
    if not extended:
        return numbers.astype(float)
    dont_know = (values == "98").fillna(False).to_numpy(dtype=bool)  # NA is not a code
    refused = (values == "99").fillna(False).to_numpy(dtype=bool)
    # float64 first: pyreadstat writes a pd.NA object as garbage, np.nan as Stata missing
    return numbers.astype("float64").astype(object).mask(dont_know, "a").mask(refused, "b")


def write_dta(frame: pd.DataFrame, target: Path, name_of=lambda column: column,
              extended: bool = False, labels: dict | None = None) -> None:
    """Write canonical text as a Stata file with value labels (and extended missing values)."""
    variables = {v.name: v for v in kept_variables()}
    data, value_labels, missing = {}, dict(labels or {}), {}
    for column in frame.columns:
        variable = variables.get(name_of(column))
        special = bool(extended and variable and variable.missing_codes == "dk_refused")
        data[column] = stata_column(frame[column], special)
        if special:
            missing[column] = ["a", "b"]
        if variable and variable.type == "category":
            labels_of = shipped_codebook().labels_of(variable)
            value_labels[column] = {int(k): v for k, v in labels_of.items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_dta(pd.DataFrame(data), str(target), variable_value_labels=value_labels,
                         missing_user_values=missing)


def wide_name(name: str, round_name: str) -> str:
    """A variable's column in the wide file: shared, or suffixed and short enough for Stata."""
    return name if name in SHARED else f"{name[:25]}_{SUFFIX[round_name]}"


def wide_panel(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per respondent of both rounds: shared columns once, the others suffixed."""
    sides = [table.rename(columns={c: wide_name(c, r) for c in table if c not in SHARED})
             for r, table in tables.items()]
    return sides[0].merge(sides[1], on=SHARED, how="inner")


def fixed_width(frame: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    """Lines of right-aligned fields (missing numbers as -9) and the layout (1-based, inclusive)."""
    cells = {c: frame[c].fillna("" if c == "respondent_id" else "-9") for c in frame}
    widths = {c: max(len(c), int(cells[c].str.len().max())) + 1 for c in frame}
    ends = pd.Series(widths).cumsum()
    layout = pd.DataFrame({"name": list(frame.columns), "start": ends - pd.Series(widths) + 1,
                           "end": ends, "type": ["string" if c == "respondent_id" else "numeric"
                                                 for c in frame]})
    lines = ["".join(cells[c].iloc[i].rjust(widths[c]) for c in frame) for i in range(len(frame))]
    return lines, layout


# ------------------------------------------------------------------ declarations and runs
def declare(root: Path, rounds: dict[str, dict], column_of=None, keep: list[str] | None = None,
            indicators: list[str] | None = None, comparisons: list[dict] | None = None,
            special: dict | None = None, changes: dict | None = None) -> SurveyPaths:
    """Derived declarations in root/survey: rounds updated, sources renamed by column_of."""
    folder = root / "survey"
    folder.mkdir(parents=True)
    project = load_yaml(SURVEY / "project.yaml").data
    project["rounds"] = [{**r, **rounds[r["name"]]} for r in project["rounds"]]
    if comparisons is not None:
        project["comparisons"] = comparisons
    project["special_codes"].update(special or {})
    codebook = load_yaml(SURVEY / "codebook.yaml").data
    names = keep or [v.name for v in kept_variables()]
    if keep is not None:  # a subset of variables: the shipped rules and checks name others
        project.pop("validation", None)
    if column_of is not None:
        codebook["variables"] = [v for v in codebook["variables"] if v["name"] in names]
        for variable in codebook["variables"]:
            variable["sources"] = {r: None if s is None else column_of(variable["name"], r)
                                   for r, s in variable["sources"].items()}
    for variable in codebook["variables"]:
        variable.update((changes or {}).get(variable["name"], {}))
    catalogue = load_yaml(SURVEY / "indicators.yaml").data
    if indicators is not None:
        catalogue["indicators"] = [i for i in catalogue["indicators"] if i["id"] in indicators]
    for name, doc in (("project", project), ("codebook", codebook), ("indicators", catalogue)):
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False),
                                             encoding="utf-8")
    return SurveyPaths(project_file=str(folder / "project.yaml"), raw_dir=str(root / "raw"),
                       work_dir=str(root / "work"), outputs_dir=str(root / "outputs"))


def materialise(paths: SurveyPaths, root: Path):
    """Every round, then the publication, through the real Definitions on a temporary instance."""
    home = root / "dagster_home"
    home.mkdir(exist_ok=True)
    instance = dg.DagsterInstance.local_temp(str(home), overrides={"telemetry": {"enabled": False}})
    try:
        return materialise_all(build_definitions(paths), instance)
    finally:
        instance.dispose()


def published(paths: SurveyPaths, name: str = "comparison.csv") -> pd.DataFrame:
    """A published CSV of a successful run."""
    return pd.read_csv(Path(paths.outputs_dir) / name)


def assert_same_rows(expected: pd.DataFrame, actual: pd.DataFrame,
                     numbers: list[str] = NUMBERS) -> None:
    """The same comparison rows (by comparison, indicator, group, category), equal numbers."""
    merged = expected.merge(actual, on=KEYS, how="outer", suffixes=("", "_other"),
                            indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", KEYS]
    assert len(merged) > 20
    for column in numbers:
        pd.testing.assert_series_equal(merged[column], merged[f"{column}_other"],
                                       check_names=False, rtol=1e-12)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The comparison and validation failures of the shipped sample (one file per round)."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(PROJECT_ROOT / "raw", root / "raw")
    shutil.copytree(SURVEY, root / "survey")  # the shipped declarations, as they are
    paths = SurveyPaths(project_file=str(root / "survey" / "project.yaml"),
                        raw_dir=str(root / "raw"), work_dir=str(root / "work"),
                        outputs_dir=str(root / "outputs"))
    summary = materialise(paths, root)
    assert summary.success, summary.failed
    return {"comparison": published(paths), "failures": published(paths,
                                                                   "validation_failures.csv")}


def same_name(name: str, round_name: str) -> str:
    """The source column of a canonical file: the variable's own name."""
    return name


# ------------------------------------------------------------------ the tests
def test_a_pooled_long_csv_gives_the_same_comparison(shipped, tables, tmp_path):
    pooled = pd.concat([t.assign(wave=r) for r, t in tables.items()], ignore_index=True)
    (tmp_path / "raw" / "pooled").mkdir(parents=True)
    pooled.to_csv(tmp_path / "raw" / "pooled" / "survey.csv", index=False)
    rounds = {r: {"layout": "long", "files": ["pooled/*.csv"], "round_column": "wave",
                  "round_value": r} for r in SAMPLE}
    paths = declare(tmp_path, rounds, same_name)
    summary = materialise(paths, tmp_path)
    assert summary.success, summary.failed
    assert_same_rows(shipped["comparison"], published(paths), [*NUMBERS, "p_adjusted"])


def test_a_pooled_stata_file_is_split_by_code_or_label_and_parsed_once(shipped, tables,
                                                                       tmp_path):
    pooled = pd.concat([t.assign(round=str(i)) for i, t in enumerate(tables.values(), 1)],
                       ignore_index=True)
    write_dta(pooled, tmp_path / "raw" / "pooled" / "survey.dta",
              labels={"round": {1: "baseline", 2: "endline"}})
    values = {"baseline": "1", "endline": "endline"}  # a code and a value label
    rounds = {r: {"layout": "long", "files": ["pooled/*.dta"], "round_column": "round",
                  "round_value": values[r]} for r in SAMPLE}
    paths = declare(tmp_path, rounds, same_name)
    summary = materialise(paths, tmp_path)
    assert summary.success, summary.failed
    assert_same_rows(shipped["comparison"], published(paths), [*NUMBERS, "p_adjusted"])
    inventory = {r: json.loads((tmp_path / "work" / "raw_responses" / f"{r}.json").read_text())
                 for r in SAMPLE}
    assert [entry["cached"] for entry in inventory["baseline"]] == [False]
    assert [entry["cached"] for entry in inventory["endline"]] == [True]  # parsed once
    [endline] = inventory["endline"]
    assert (endline["rows"], endline["rows_of_other_rounds"]) == (456, 598)
    assert endline["rows_of_no_declared_round"] == 0


def test_a_wide_stata_panel_gives_the_panel_comparison(shipped, tables, tmp_path):
    wide = wide_panel(tables)
    assert len(wide) == wide["respondent_id"].nunique() == 140  # the sample's panel
    assert wide.columns.is_unique
    names = {wide_name(v.name, r): v.name for v in kept_variables() for r in SAMPLE}
    write_dta(wide, tmp_path / "raw" / "panel" / "panel.dta", extended=True, name_of=names.get)
    assert {"98", "99"} <= set(wide[[f"{v}_bl" for v in PWI]].stack())  # become .a and .b
    rounds = {r: {"layout": "wide", "files": ["panel/*.dta"]} for r in SAMPLE}
    paths = declare(tmp_path, rounds, wide_name,
                    comparisons=[{"name": PANEL, "first": "baseline", "second": "endline"}],
                    special={"dk_refused": {"98": "dont_know", "99": "refused",
                                            ".a": "dont_know", ".b": "refused"}})
    summary = materialise(paths, tmp_path)
    assert summary.success, summary.failed
    comparison = published(paths)
    assert (comparison["design"] == "panel").all()  # the default between rounds of one file
    # The sample's panel comparison matches the same 140 respondents by id: none of them was
    # quarantined in either round (the planted defects are not in the panel), so the pairs are
    # the same. p_adjusted differs: the sample's table also holds the independent comparison.
    assert not set(wide["respondent_id"]) & set(shipped["failures"]["respondent_id"])
    expected = shipped["comparison"]
    assert_same_rows(expected[expected["comparison"] == PANEL], comparison)


def plain_text_tables(shipped, tables) -> dict[str, pd.DataFrame]:
    """The SUBSET columns of each round, without the rows quarantined for other columns."""
    failures = shipped["failures"]
    elsewhere = failures[~failures["column"].isin([*SUBSET, "row"])]
    # Such a row (E0279, a negative income) would pass without its column and change n.
    assert set(elsewhere["respondent_id"]) == {"E0279"}
    out = {}
    for round_name, table in tables.items():
        rows = elsewhere.loc[elsewhere["round"] == round_name, "source_row"] - 1
        out[round_name] = table.drop(index=rows)[SUBSET]
    return out


def subset_rows(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison rows of the indicators the plain-text files cover."""
    return comparison[comparison["indicator"].isin(SUBSET_INDICATORS)]


def test_whitespace_ascii_with_dots_gives_the_same_comparison(shipped, tables, tmp_path):
    for round_name, table in plain_text_tables(shipped, tables).items():
        lines = [" ".join(table.columns)] + [" ".join(row) for row in
                                             table.fillna(".").itertuples(index=False)]
        target = tmp_path / "raw" / round_name / f"{round_name}.txt"
        target.parent.mkdir(parents=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rounds = {r: {"files": ["*.txt"], "plain_text": {"format": "whitespace"}} for r in SAMPLE}
    paths = declare(tmp_path, rounds, same_name, keep=SUBSET, indicators=SUBSET_INDICATORS)
    summary = materialise(paths, tmp_path)
    assert summary.success, summary.failed
    assert_same_rows(subset_rows(shipped["comparison"]), published(paths))


def fixed_width_project(shipped, tables, root: Path) -> SurveyPaths:
    """Both rounds as fixed-width ASCII with one layout file beside project.yaml."""
    layouts = []
    for round_name, table in plain_text_tables(shipped, tables).items():
        lines, layout = fixed_width(table)
        layouts.append(layout)
        target = root / "raw" / round_name / f"{round_name}.dat"
        target.parent.mkdir(parents=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plain = {"format": "fixed_width", "missing": [".", "", "-9"], "layout_file": "layout.csv"}
    rounds = {r: {"files": ["*.dat"], "plain_text": plain} for r in SAMPLE}
    paths = declare(root, rounds, same_name, keep=SUBSET, indicators=SUBSET_INDICATORS)
    pd.testing.assert_frame_equal(*layouts)  # the column names set the widths
    layout.to_csv(root / "survey" / "layout.csv", index=False)
    return paths


def test_fixed_width_ascii_with_a_layout_file_gives_the_same_comparison(shipped, tables,
                                                                        tmp_path):
    paths = fixed_width_project(shipped, tables, tmp_path)
    summary = materialise(paths, tmp_path)
    assert summary.success, summary.failed
    assert_same_rows(subset_rows(shipped["comparison"]), published(paths))


def test_a_short_fixed_width_line_fails_its_round_only(shipped, tables, tmp_path):
    paths = fixed_width_project(shipped, tables, tmp_path)
    endline = tmp_path / "raw" / "endline" / "endline.dat"
    lines = endline.read_text(encoding="utf-8").splitlines()
    lines[99] = lines[99][:-1]  # line 100, one character short
    endline.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = materialise(paths, tmp_path)
    assert set(summary.failed) == {"endline"}
    assert "endline.dat" in summary.failed["endline"]
    assert "line 100" in summary.failed["endline"]
    assert (tmp_path / "work" / "validated_responses" / "baseline.parquet").exists()
    assert not (tmp_path / "outputs" / "comparison.csv").exists()


def test_a_variable_not_comparable_keeps_its_indicators_out_of_the_comparison(shipped,
                                                                              tmp_path):
    shutil.copytree(PROJECT_ROOT / "raw", tmp_path / "raw")
    note = "Asked as 'how safe you feel at home' at endline"
    paths = declare(tmp_path, {"baseline": {}, "endline": {}},
                    changes={"pwi_safety": {"comparable": "false", "comparability_note": note}})
    summary = materialise(paths, tmp_path)
    assert summary.success, summary.failed
    out = ["pwi_women", "pwi_adolescents"]
    comparison = published(paths)
    assert not comparison["indicator"].isin(out).any()
    expected = shipped["comparison"]
    # Fewer rows, so p_adjusted (BH over the table) moves; the rest stays.
    assert_same_rows(expected[~expected["indicator"].isin(out)], comparison)
    estimates = published(paths, "indicator_estimates.csv")
    assert {(i, r) for i in out for r in SAMPLE} <= set(zip(estimates["indicator"],
                                                            estimates["round"], strict=True))
    sheet = load_workbook(Path(paths.outputs_dir) / "comparison.xlsx", read_only=True)["Notes"]
    notes = [row for row in sheet.iter_rows(values_only=True)
             if str(row[0]).startswith("Not compared:")]
    assert len(notes) == 2
    assert all("pwi_safety" in rule and note in rule for _, rule in notes)
