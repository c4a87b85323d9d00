"""Materialise a code location's assets: every round (partition), then the cross-round assets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg
import sqlalchemy.exc
from dagster_postgres.utils import DagsterPostgresException
from sqlalchemy.engine import make_url

# What the instance's storage raises when its database is down or goes away mid-run. Dagster's
# PostgreSQL storage retries a refused connection for about 12 s, then raises
# DagsterPostgresException; a statement cut off by a restart fails at once (OperationalError).
STORAGE_ERRORS: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError,
    DagsterPostgresException,
)


class InstanceUnavailableError(RuntimeError):
    """The Dagster instance's database is unreachable, or went away during a run."""


def instance_location(instance: dg.DagsterInstance | None) -> str:
    """Where the instance keeps its runs, for a message: host:port and database, no password."""
    url = getattr(instance.run_storage, "postgres_url", None) if instance else None
    if url:
        parsed = make_url(url)
        return f"PostgreSQL database {parsed.database} at {parsed.host}:{parsed.port or 5432}"
    if instance is not None:
        return f"database in {instance.root_directory}"
    return f"database configured in {os.environ.get('DAGSTER_HOME', '$DAGSTER_HOME')}/dagster.yaml"


def _driver_message(error: BaseException, instance: dg.DagsterInstance | None) -> str:
    """The database driver's own first line (e.g. "Connection refused"), not SQL or traceback."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, sqlalchemy.exc.DBAPIError):
        cause = cause.__cause__ or cause.__context__
    source = cause.orig if isinstance(cause, sqlalchemy.exc.DBAPIError) else error
    lines = [line.strip() for line in str(source).splitlines() if line.strip()]
    message = lines[0] if lines else type(source).__name__
    url = getattr(instance.run_storage, "postgres_url", None) if instance else None
    password = make_url(url).password if url else None
    return message.replace(password, "***") if password else message


@contextmanager
def instance_errors(instance: dg.DagsterInstance | None = None) -> Iterator[None]:
    """Re-raise the storage's connection errors as InstanceUnavailableError naming the database."""
    try:
        yield
    except STORAGE_ERRORS as error:
        raise InstanceUnavailableError(
            f"the Dagster instance {instance_location(instance)} is unreachable: "
            f"{_driver_message(error, instance)}") from error


def open_instance() -> dg.DagsterInstance:
    """The instance of $DAGSTER_HOME; InstanceUnavailableError if its database is unreachable."""
    with instance_errors():
        return dg.DagsterInstance.get()


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
    """Run each round's round_job, then publication_job; InstanceUnavailableError on an outage."""
    with instance_errors(instance):
        return _materialise(defs, instance, rounds, log_level)


def _materialise(defs: dg.Definitions, instance: dg.DagsterInstance, rounds: list[str] | None,
                 log_level: str) -> RunSummary:
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
