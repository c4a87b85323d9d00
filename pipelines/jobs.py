"""Jobs: one round at a time (a partition), then everything that compares rounds."""

import dagster as dg

round_job = dg.define_asset_job(
    "round_job", selection=dg.AssetSelection.groups("rounds"),
    description="Ingest, harmonise, validate and score one round (partition).",
)
validation_job = dg.define_asset_job(
    "validation_job",
    selection=dg.AssetSelection.assets("raw_responses", "harmonized_responses",
                                       "validated_responses"),
    description="Ingest, harmonise and validate one round; no scoring, no publication.",
)
publication_job = dg.define_asset_job(
    "publication_job", selection=dg.AssetSelection.groups("comparison"),
    description="Estimate, compare and publish across all rounds.",
)
