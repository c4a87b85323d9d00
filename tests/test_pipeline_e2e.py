"""End to end: materialise the real Definitions on the shipped sample and read what it publishes."""

import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.defs.paths import SurveyPaths
from pipelines.definitions import build_definitions
from pipelines.resources import PROJECT_ROOT
from pipelines.runner import materialise_all
from schemas.declarations import DEFAULT_PROJECT_FILE

pytestmark = pytest.mark.slow

# spec/reference_figures.md: the seed report's published figures, to the precision published.
PUBLISHED = {
    ("pwi_women", "", 1): (58.1, 64.8),
    ("pwi_adolescents", "", 1): (69.4, 83.2),
    ("self_esteem_women", "", 1): (68.5, 71.3),
    ("self_esteem_adolescents", "", 1): (70.2, 75.5),
    ("happy_with_life_adolescents", "", 0): (68, 83),
    ("household_income_band", "<=500", 0): (42, 18),
    ("household_income_band", "501-1000", 0): (26, 25),
    ("household_income_band", "1001-3000", 0): (4, 41),
    ("saves_for_business_women", "", 1): (1.2, 10.8),
    ("no_monthly_budget_women", "", 0): (95, 64),
    ("paid_job_women", "", 0): (26, 31),
    ("aware_of_rights_women", "", 0): (40, 65),
    ("willing_to_act_women", "", 0): (65, 75),
    ("satisfactory_access_service_users", "", 0): (49, 83),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project directory with a copy of raw/, its own working tables, outputs and instance."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(PROJECT_ROOT / "raw", root / "raw")
    paths = SurveyPaths(project_file=str(DEFAULT_PROJECT_FILE), raw_dir=str(root / "raw"),
                        work_dir=str(root / "work"), outputs_dir=str(root / "outputs"))
    defs = build_definitions(paths)
    (root / "dagster_home").mkdir()
    instance = dg.DagsterInstance.local_temp(str(root / "dagster_home"),
                                             overrides={"telemetry": {"enabled": False}})
    summary = materialise_all(defs, instance)
    assert summary.success, summary.failed
    yield dict(root=root, paths=paths, defs=defs, instance=instance, summary=summary)
    instance.dispose()


def test_the_pwi_rows_reproduce_the_published_figures(project):
    table = pd.read_csv(project["root"] / "outputs" / "comparison.csv")
    full = table[table["comparison"] == "baseline_to_endline"].fillna({"category": ""})
    cells = full[full["group"] == "all"].set_index(["indicator", "category"])
    overall = cells.xs("", level="category")
    for (indicator, category, digits), (base, end) in PUBLISHED.items():
        row = cells.loc[(indicator, category)]
        assert round(row["estimate_base"], digits) == base, indicator
        assert round(row["estimate_end"], digits) == end, indicator
        assert row["change"] == pytest.approx(row["estimate_end"] - row["estimate_base"])
    assert "plausibility_warning" in overall.loc["pwi_adolescents", "flags"]
    assert "plausibility_warning" not in overall.loc["pwi_women", "flags"]
    assert overall.loc["pwi_women", "test"].startswith("Welch")
    assert set(table["group"]) >= {"all", "district=Dusti", "district=Kulob", "sex=Female"}
    assert overall.loc["pwi_women", "target_met"] == "no"  # 64.8 < the declared 70
    received = overall.loc["received_social_service_women"]
    assert round(received["estimate_end"]) == 70  # "about 70%"
    assert received["n_base"] == 382
    assert overall.loc["satisfactory_access_service_users", "n_base"] == 80  # the 80 users


def test_every_distribution_sums_to_100_percent(project):
    estimates = pd.read_csv(project["root"] / "outputs" / "indicator_estimates.csv")
    bands = estimates[estimates["indicator"] == "household_income_band"]
    totals = bands.groupby(["round", "group"])["estimate"].sum()
    assert totals.to_numpy() == pytest.approx(100.0)
    assert set(bands["median_category"]) == {"<=500", "501-1000"}


def test_an_indicator_declared_only_in_yaml_appears_in_the_table(project, tmp_path):
    survey = tmp_path / "survey"
    shutil.copytree(DEFAULT_PROJECT_FILE.parent, survey)
    with (survey / "indicators.yaml").open("a", encoding="utf-8") as declarations:
        declarations.write(
            "\n  - id: older_women_share\n    kind: prevalence\n"
            "    label: \"Women aged 45 or more\"\n    variable: respondent_type\n"
            "    yes: [\"1\"]\n    eligible: {respondent_type: [\"1\"]}\n"
            "    groups: [age_group]\n")
    paths = SurveyPaths(project_file=str(survey / "project.yaml"),
                        raw_dir=project["paths"].raw_dir, work_dir=str(tmp_path / "work"),
                        outputs_dir=str(tmp_path / "outputs"))
    summary = materialise_all(build_definitions(paths), project["instance"])
    assert summary.success, summary.failed
    table = pd.read_csv(tmp_path / "outputs" / "comparison.csv")
    new = table[table["indicator"] == "older_women_share"]
    assert set(new["group"]) >= {"all", "age_group=45+"}
    assert new[new["group"] == "all"]["estimate_base"].iloc[0] == pytest.approx(100.0)

def test_the_panel_rows_use_matched_pairs_and_paired_tests(project):
    table = pd.read_csv(project["root"] / "outputs" / "comparison.csv")
    panel = table[(table["comparison"] == "baseline_to_endline_panel") & (table["group"] == "all")
                  & table["category"].isna()].set_index("indicator")
    assert (panel["design"] == "panel").all()
    assert panel.loc["pwi_women", "test"] == "paired t"
    assert panel.loc["pwi_women", "n_base"] == panel.loc["pwi_women", "n_end"] <= 90
    assert panel.loc["pwi_adolescents", "n_base"] <= 50
    assert panel.loc["happy_with_life_adolescents", "test"].startswith("McNemar")


def test_every_asset_check_passed_and_quarantine_accounts_for_every_raw_row(project):
    instance = project["instance"]
    for run_id in project["summary"].run_ids:
        evaluations = [e for e in instance.all_logs(run_id)
                       if e.dagster_event and e.dagster_event.event_type_value
                       == "ASSET_CHECK_EVALUATION"]
        for event in evaluations:
            data = event.dagster_event.event_specific_data
            assert data.passed or data.severity == dg.AssetCheckSeverity.WARN, data.check_name
    failures = pd.read_csv(project["root"] / "outputs" / "validation_failures.csv")
    assert failures.drop_duplicates(["source_file", "source_row"]).groupby("round").size(
    ).to_dict() == {"baseline": 4, "endline": 2}
    work = Path(project["paths"].work_dir)
    for round_name, raw_rows in (("baseline", 598), ("endline", 456)):
        clean = pd.read_parquet(work / "validated_responses" / f"{round_name}.parquet")
        quarantine = pd.read_parquet(work / "quarantine" / f"{round_name}.parquet")
        assert len(clean) + len(quarantine) == raw_rows
        assert quarantine["reasons"].str.len().gt(0).all()


def test_the_manifest_traces_inputs_code_and_outputs(project):
    outputs = project["root"] / "outputs"
    manifest = json.loads((outputs / "manifest.json").read_text())
    by_file = {i["file"]: i for i in manifest["inputs"]}
    raw = project["root"] / "raw"
    assert by_file["khatlon_baseline_2021.sav"]["sha256"] == sha256(
        raw / "baseline" / "khatlon_baseline_2021.sav")
    assert by_file["khatlon_baseline_2021.sav"]["rows"] == 598
    assert by_file["khatlon_endline_2023.csv"]["rows"] == 456
    for output in manifest["outputs"]:
        assert output["sha256"] == sha256(outputs / output["file"])
    assert manifest["run_id"] == project["summary"].run_ids[-1]
    assert manifest["packages"]["pandas"].startswith("3.")
    assert manifest["code_version"]


def test_ingest_never_reads_personal_columns(project):
    raw = pd.read_parquet(Path(project["paths"].work_dir) / "raw_responses" / "baseline.parquet")
    assert "resp_id" in raw.columns
    assert not {"resp_name", "phone"} & set(raw.columns)


def test_no_personal_value_reaches_the_outputs(project):
    import pyreadstat

    sav = PROJECT_ROOT / "raw" / "baseline" / "khatlon_baseline_2021.sav"
    raw, _ = pyreadstat.read_sav(str(sav), usecols=["resp_name", "phone"])
    names = set(raw["resp_name"].dropna()) | set(raw["phone"].dropna())
    assert len(names) > 500
    published = [p for p in (project["root"] / "outputs").rglob("*") if p.is_file()]
    assert {p.name for p in published} >= {"comparison.xlsx", "report.html",
                                           "responses.parquet", "data_dictionary.csv"}
    for path in published:
        data = path.read_bytes()
        if path.suffix == ".xlsx":  # a zip: look inside its XML parts
            import zipfile

            with zipfile.ZipFile(path) as workbook:
                data = b"".join(workbook.read(n) for n in workbook.namelist())
        text = data.decode("utf-8", errors="ignore")
        assert not any(name in text for name in names), path.name


def reproducible_files(outputs: Path) -> dict[str, str]:
    """sha256 of the CSV and Parquet outputs (the files promised byte-identical)."""
    return {str(p.relative_to(outputs)): sha256(p) for p in sorted(outputs.rglob("*"))
            if p.suffix in (".csv", ".parquet")}


def test_a_second_run_without_changes_publishes_byte_identical_tables(project):
    outputs = project["root"] / "outputs"
    before = reproducible_files(outputs)
    assert len(before) >= 7
    summary = materialise_all(project["defs"], project["instance"])
    assert summary.success, summary.failed
    assert reproducible_files(outputs) == before
    manifest = json.loads((outputs / "manifest.json").read_text())
    assert manifest["run_id"] == summary.run_ids[-1]  # the run differs, the numbers do not


def pseudonymised_project(project, tmp_path: Path, with_key: bool) -> tuple[dg.Definitions, Path]:
    """The sample's declarations with pseudonymised ids declared, on the project's tables."""
    survey_dir = tmp_path / "survey"
    shutil.copytree(DEFAULT_PROJECT_FILE.parent, survey_dir)
    with (survey_dir / "project.yaml").open("a", encoding="utf-8") as declaration:
        declaration.write("\npublication:\n  pseudonymise_ids: {key_file: secrets/id.key}\n")
    if with_key:
        (survey_dir / "secrets").mkdir()
        (survey_dir / "secrets" / "id.key").write_text("a-team-secret-of-32-characters!!\n")
    outputs = tmp_path / "outputs"
    paths = SurveyPaths(project_file=str(survey_dir / "project.yaml"),
                        raw_dir=project["paths"].raw_dir, work_dir=project["paths"].work_dir,
                        outputs_dir=str(outputs))
    return build_definitions(paths), outputs


def test_declared_pseudonymisation_replaces_ids_in_microdata_with_a_keyed_hash(project,
                                                                              tmp_path):
    import hmac

    defs, outputs = pseudonymised_project(project, tmp_path, with_key=True)
    result = defs.resolve_job_def("publication_job").execute_in_process(
        instance=project["instance"], raise_on_error=False)
    assert result.success
    plain = pd.read_parquet(project["root"] / "outputs" / "microdata" / "responses.parquet")
    hashed = pd.read_parquet(outputs / "microdata" / "responses.parquet")
    key = b"a-team-secret-of-32-characters!!"
    expected = [hmac.new(key, i.encode(), "sha256").hexdigest()[:16]
                for i in plain["respondent_id"]]
    assert hashed["respondent_id"].tolist() == expected
    assert "source_row" not in hashed.columns and "source_row" in plain.columns
    # Panel linkage survives: the same people are in both rounds.
    def both_rounds(frame: pd.DataFrame) -> int:
        return int((frame.groupby("respondent_id")["round"].nunique() == 2).sum())
    assert both_rounds(hashed) == both_rounds(plain) > 100
    indicators = pd.read_parquet(outputs / "microdata" / "respondent_indicators.parquet")
    assert set(indicators["respondent_id"]) <= set(hashed["respondent_id"])
    dictionary = pd.read_csv(outputs / "microdata" / "data_dictionary.csv")
    assert "pseudonym" in dictionary.set_index("variable").loc["respondent_id", "label"]
    assert "source_row" not in set(dictionary["variable"])
    for path in (p for p in outputs.rglob("*") if p.is_file()):
        assert b"a-team-secret" not in path.read_bytes(), path.name


def test_a_missing_pseudonymisation_key_stops_the_publication_naming_the_file(project,
                                                                             tmp_path):
    defs, outputs = pseudonymised_project(project, tmp_path, with_key=False)
    result = defs.resolve_job_def("publication_job").execute_in_process(
        instance=project["instance"], raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "id.key" in str(failure.step_failure_data.error.to_string())
    assert not outputs.exists()


def test_no_personal_value_reaches_the_dagster_event_log(project):
    """Logs, metadata and check results of every run, as stored by the instance."""
    import pyreadstat
    from dagster._serdes import serialize_value

    from assets.privacy import LOOKS_PERSONAL

    sav = PROJECT_ROOT / "raw" / "baseline" / "khatlon_baseline_2021.sav"
    base, _ = pyreadstat.read_sav(str(sav), usecols=["resp_name", "phone"])
    end = pd.read_csv(PROJECT_ROOT / "raw" / "endline" / "khatlon_endline_2023.csv", sep=";",
                      dtype=str, encoding="utf-8-sig")
    values = {v for column in ("resp_name", "phone") for v in base[column].dropna()}
    values |= {v for column in ("intro/resp_name", "intro/phone", "gps")
               for v in end[column].dropna()}
    assert len(values) > 1000
    instance = project["instance"]
    text = "\n".join(serialize_value(entry) for run in instance.get_runs()
                     for entry in instance.all_logs(run.run_id))
    assert "ASSET_MATERIALIZATION" in text and "quarantined_rows" in text  # the log is there
    assert not [v for v in values if v in text]
    assert not [kind for kind, pattern in LOOKS_PERSONAL.items() if pattern.search(text)]


def test_a_round_that_does_not_fit_the_codebook_fails_clearly_and_keeps_the_outputs(project):
    # Last in this module: it leaves the endline incomplete, so nothing publishes after it.
    outputs = project["root"] / "outputs"
    before = {p.name: p.read_bytes() for p in outputs.rglob("*") if p.is_file()}
    endline = project["root"] / "raw" / "endline" / "khatlon_endline_2023.csv"
    original = endline.read_bytes()
    text = original.decode("utf-8-sig").replace('"intro/district"', '"intro/distrikt"', 1)
    endline.write_text(text, encoding="utf-8-sig")
    try:
        summary = materialise_all(project["defs"], project["instance"])
    finally:
        endline.write_bytes(original)
    assert set(summary.failed) == {"endline"}
    assert "'intro/district'" in summary.failed["endline"]
    assert "district" in summary.failed["endline"]
    assert {p.name: p.read_bytes() for p in outputs.rglob("*") if p.is_file()} == before
