"""The Dagster code location: the assets of assets/defs plus resources and jobs."""

import dagster as dg

import assets.defs
from pipelines.jobs import publication_job, round_job
from pipelines.resources import default_paths

defs = dg.Definitions.merge(
    dg.load_defs(assets.defs),
    dg.Definitions(resources={"paths": default_paths()}, jobs=[round_job, publication_job]),
)
