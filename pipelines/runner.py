"""Materialise a code location's assets: every round (partition), then the cross-round assets."""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg


@dataclass
class RunSummary:
    """Which runs were launched and which failed, with their error messages."""

    run_ids: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        """True when every run succeeded."""
        return not self.failed


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            cause = error.cause.message if error and error.cause else ""
            detail = (error.message if error else event.message).strip()
            messages.append(f"{event.step_key}: {detail} {cause}".strip())
    return "\n".join(messages) or "run failed"


def materialise_all(defs: dg.Definitions, instance: dg.DagsterInstance,
                    rounds: list[str] | None = None, log_level: str = "INFO") -> RunSummary:
    """Run round_job per round, then publication_job if every round succeeded."""
    summary = RunSummary()
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    round_job = defs.resolve_job_def("round_job")
    for round_name in rounds or round_job.partitions_def.get_partition_keys():
        result = round_job.execute_in_process(partition_key=round_name, instance=instance,
                                              run_config=run_config, raise_on_error=False)
        summary.run_ids.append(result.run_id)
        if not result.success:
            summary.failed[round_name] = _failure_message(result)
    if summary.failed:
        return summary
    result = defs.resolve_job_def("publication_job").execute_in_process(
        instance=instance, run_config=run_config, raise_on_error=False)
    summary.run_ids.append(result.run_id)
    if not result.success:
        summary.failed["publication"] = _failure_message(result)
    return summary
