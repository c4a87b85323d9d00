"""What `run` says when the instance database goes away: one message, no SQL, no password.

The real restart, against a PostgreSQL server, is in tests/test_postgres_instance.py; these
tests raise what the storage raises and need no server.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import psycopg2
import pytest
import sqlalchemy.exc
from dagster_postgres.utils import DagsterPostgresException

from assets.defs.paths import SurveyPaths
from pipelines import cli
from pipelines.runner import InstanceUnavailableError, instance_errors
from schemas.declarations import DEFAULT_PROJECT_FILE

TEAM = SimpleNamespace(run_storage=SimpleNamespace(
    postgres_url="postgresql+psycopg2://survey_team:s3cret@db.example:5433/survey_dagster"))
LOCATION = "the Dagster instance PostgreSQL database survey_dagster at db.example:5433"


def dropped(reason: str) -> sqlalchemy.exc.OperationalError:
    """What SQLAlchemy raises when the server goes away under a statement."""
    return sqlalchemy.exc.OperationalError("SELECT runs.id FROM runs WHERE runs.run_id = %(id)s",
                                           {"id": "abc"}, psycopg2.OperationalError(reason))


def test_a_statement_cut_off_by_a_restart_names_the_database_not_the_sql():
    with pytest.raises(InstanceUnavailableError) as raised, instance_errors(TEAM):
        raise dropped("server closed the connection unexpectedly\n\tThis probably means the "
                      "server terminated abnormally\n")
    assert str(raised.value) == (f"{LOCATION} is unreachable: server closed the connection "
                                 "unexpectedly")
    assert isinstance(raised.value.__cause__, sqlalchemy.exc.OperationalError)


def test_retries_given_up_report_the_drivers_reason():
    with pytest.raises(InstanceUnavailableError) as raised, instance_errors(TEAM):
        try:
            raise dropped('connection to server at "db.example", port 5433 failed: '
                          "Connection refused\n\tIs the server running on that host?")
        except sqlalchemy.exc.OperationalError as refused:
            raise DagsterPostgresException("too many retries for DB connection") from refused
    assert str(raised.value) == (f'{LOCATION} is unreachable: connection to server at '
                                 '"db.example", port 5433 failed: Connection refused')


def test_the_password_is_never_shown_even_when_the_driver_echoes_it():
    with pytest.raises(InstanceUnavailableError) as raised, instance_errors(TEAM):
        raise dropped('invalid connection option "s3cret"')
    assert "s3cret" not in str(raised.value) and '"***"' in str(raised.value)


def test_a_local_instance_is_named_by_its_folder():
    local = SimpleNamespace(run_storage=object(), root_directory="/srv/survey/.dagster")
    with pytest.raises(InstanceUnavailableError) as raised, instance_errors(local):
        raise dropped("database is locked")
    assert str(raised.value) == ("the Dagster instance database in /srv/survey/.dagster is "
                                 "unreachable: database is locked")


def test_other_errors_pass_through_unchanged():
    with pytest.raises(ValueError, match="not a storage problem"), instance_errors(TEAM):
        raise ValueError("not a storage problem")


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """cli.run pointed at a temporary project whose outputs/ holds a publication of run 'old'."""
    paths = SurveyPaths(project_file=str(DEFAULT_PROJECT_FILE), raw_dir=str(tmp_path / "raw"),
                        work_dir=str(tmp_path / "work"), outputs_dir=str(tmp_path / "outputs"))
    paths.outputs.mkdir()
    (paths.outputs / "manifest.json").write_text(json.dumps({"run_id": "old"}))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("pipelines.resources.default_paths", lambda: paths)
    monkeypatch.setattr("pipelines.runner.open_instance", lambda: TEAM)
    return paths.outputs


def fail_after(outputs: Path, publish_as: str | None):
    """A materialise_all that loses the database, after publishing as run `publish_as` if given."""
    def materialise_all(defs, instance, rounds, log_level):
        if publish_as:
            (outputs / "manifest.json").write_text(json.dumps({"run_id": publish_as}))
        raise InstanceUnavailableError(f"{LOCATION} is unreachable: Connection refused")
    return materialise_all


def test_an_outage_before_the_publication_keeps_the_previous_one(project, monkeypatch, capsys):
    monkeypatch.setattr("pipelines.runner.materialise_all", fail_after(project, None))
    assert cli.run(["baseline"]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"{LOCATION} is unreachable: Connection refused; outputs/ keeps the previous "
        "publication; re-run when it is back")


def test_an_outage_after_the_swap_says_the_new_set_is_published(project, monkeypatch, capsys):
    monkeypatch.setattr("pipelines.runner.materialise_all", fail_after(project, "new"))
    assert cli.run(["baseline"]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"{LOCATION} is unreachable: Connection refused; outputs/ holds the complete new "
        "publication of run new, which the instance could not record; re-run when it is back")
