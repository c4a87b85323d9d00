"""The Dagster code location: the assets and checks of assets/defs plus resources and jobs."""

import dagster as dg

import assets.defs
from assets.defs.paths import SurveyPaths
from pipelines.jobs import publication_job, round_job, validation_job
from pipelines.resources import default_paths
from pipelines.schedules import nightly_rerun
from pipelines.sensors import publication_automation, raw_files_sensor


def build_definitions(paths: SurveyPaths) -> dg.Definitions:
    """The code location with the given paths (tests point it at temporary directories)."""
    return dg.Definitions(
        assets=dg.load_assets_from_package_module(assets.defs),
        asset_checks=dg.load_asset_checks_from_package_module(assets.defs),
        resources={"paths": paths},
        # Small data runs fastest in one process; rounds still run in parallel, as one run
        # (partition) each. Use the multiprocess executor in run config to parallelise steps.
        executor=dg.in_process_executor,
        jobs=[round_job, validation_job, publication_job],
        sensors=[raw_files_sensor, publication_automation],
        schedules=[nightly_rerun],
    )


defs = build_definitions(default_paths())
