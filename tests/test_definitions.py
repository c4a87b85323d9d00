"""The code location: its asset graph, its checks, and `dg check defs`."""

import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[1]


def test_the_asset_graph_is_the_designed_slice():
    graph = defs.resolve_asset_graph()
    assert sorted(k.to_user_string() for k in graph.get_all_asset_keys()) == [
        "harmonized_responses", "indicator_estimates", "published_outputs", "raw_responses",
        "respondent_indicators", "round_comparison", "validated_responses"]
    assert sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys) == [
        "published_outputs:no_personal_data_in_outputs",
        "respondent_indicators:item_total_correlations_positive",
        "respondent_indicators:values_within_0_100",
        "round_comparison:comparison_contract",
        "round_comparison:plausible_changes",
        "validated_responses:clean_rows_match_schema",
        "validated_responses:duplicate_submissions",
        "validated_responses:out_of_range_share",
        "validated_responses:row_accounting",
        "validated_responses:straightlining_share",
        "validated_responses:unique_respondent_ids"]


def test_round_level_assets_are_partitioned_by_the_declared_rounds():
    graph = defs.resolve_asset_graph()
    for name in ["raw_responses", "harmonized_responses", "validated_responses",
                 "respondent_indicators"]:
        node = graph.get(dg_key(name))
        assert node.partitions_def.get_partition_keys() == ["baseline", "endline"]
    assert graph.get(dg_key("round_comparison")).partitions_def is None


def test_every_asset_has_a_one_line_docstring_description():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        description = graph.get(key).description
        assert description and "\n" not in description.strip(), key


def test_dg_check_defs_passes():
    dg_cli = Path(sys.executable).parent / "dg"
    result = subprocess.run([str(dg_cli), "check", "defs"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def dg_key(name: str):
    import dagster as dg

    return dg.AssetKey(name)


def test_the_sensor_schedule_jobs_and_automation_are_declared():
    assert [s.name for s in defs.sensors] == ["raw_files_sensor", "publication_automation"]
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in defs.sensors)
    assert [s.name for s in defs.schedules] == ["nightly_rerun"]
    for job in ("round_job", "validation_job", "publication_job"):
        assert defs.resolve_job_def(job) is not None
    graph = defs.resolve_asset_graph()
    for name in ["indicator_estimates", "round_comparison", "published_outputs"]:
        assert graph.get(dg_key(name)).automation_condition is not None, name
    assert graph.get(dg_key("raw_responses")).automation_condition is None  # the sensor's job


def test_loading_the_code_location_does_not_import_the_computation_libraries():
    # Dagster imports the code location for every run and every sensor tick: keep it light.
    code = ("import sys, pipelines.definitions; heavy = {'pandas', 'scipy', 'pandera', "
            "'matplotlib', 'pyreadstat', 'openpyxl'}; print(sorted(heavy & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
