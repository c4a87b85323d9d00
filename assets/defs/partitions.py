"""Rounds are partitions: one per round declared in the project file."""

import dagster as dg

from schemas.declarations import configured_project_file, load_project

round_partitions = dg.StaticPartitionsDefinition(
    load_project(configured_project_file())[0].round_names
)
