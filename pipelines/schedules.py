"""A nightly re-run of every round, for teams that prefer it; off by default."""

import dagster as dg

from assets.defs.partitions import round_partitions
from pipelines.jobs import round_job


@dg.schedule(job=round_job, cron_schedule="0 2 * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Re-run every round at 02:00 UTC (turn on in the UI).")
def nightly_rerun(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    """One run per round partition; the cross-round assets follow by automation."""
    return [dg.RunRequest(partition_key=key) for key in round_partitions.get_partition_keys()]
