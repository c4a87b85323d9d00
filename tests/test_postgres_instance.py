"""The team instance: pipelines/dagster_postgres.yaml against a real PostgreSQL server."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from assets.defs.paths import SurveyPaths
from assets.publish import STAGING_PREFIX
from pipelines.definitions import build_definitions
from pipelines.resources import PROJECT_ROOT
from pipelines.runner import RunSummary, materialise_all
from schemas.declarations import DEFAULT_PROJECT_FILE

pytestmark = pytest.mark.slow

INSTANCE_FILE = PROJECT_ROOT / "pipelines" / "dagster_postgres.yaml"
SYSTEM_USER = "survey_pg"  # the account the server runs as when the tests run as root
DB_USER = "survey_team"
DB_PASSWORD = "team-secret-42"
DB_NAME = "survey_dagster"
COMMAND_TIMEOUT = 60
CLI_TIMEOUT = 240  # one CLI run takes about a minute on a busy two-core machine


def pg_bin_dir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres (PATH first, then Debian's layout)."""
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                            key=lambda p: int(Path(p).parent.name), reverse=True)
                   if Path(p).parent.name.isdigit()]
    for folder in candidates:
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def install_postgresql() -> None:
    """Install Debian's postgresql package (root only), refreshing the index if needed."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=900)
        subprocess.run(install, env=env, capture_output=True, timeout=900)


def ensure_system_user() -> str:
    """The unprivileged account PostgreSQL runs as (it refuses to run as root)."""
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        SYSTEM_USER], check=True, capture_output=True, timeout=COMMAND_TIMEOUT)
    return SYSTEM_USER


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster in a temporary directory, listening on 127.0.0.1."""

    bin_dir: Path
    root: Path
    port: int
    run_as: str | None  # the system account when the tests run as root

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    def command(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> None:
        """Run a PostgreSQL program (as the unprivileged account if root); raise on failure."""
        argv = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            argv = ["runuser", "-u", self.run_as, "--", *argv]
        done = subprocess.run(argv, cwd=self.root, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.root / "server.log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stdout}"
                               f"{done.stderr}\n{detail}")

    def init(self) -> None:
        """Create the cluster: a password-protected superuser, TCP with scram-sha-256."""
        password_file = self.root / "password"
        password_file.write_text(DB_PASSWORD + "\n", encoding="utf-8")
        if self.run_as:
            shutil.chown(password_file, self.run_as)
        self.command("initdb", "-D", str(self.data_dir), "-U", DB_USER, "--pwfile",
                     str(password_file), "--auth-local=trust", "--auth-host=scram-sha-256",
                     "-E", "UTF8", "--no-locale", "--no-sync")
        password_file.unlink()

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self.command("pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data_dir),
                     "-l", str(self.root / "server.log"), "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: roll back open transactions; immediate: no checkpoint)."""
        self.command("pg_ctl", "stop", "-w", "-t", "30", "-m", mode, "-D", str(self.data_dir))

    def kill(self) -> None:
        """Last resort when pg_ctl could not stop it: SIGQUIT to the postmaster we started."""
        pid_file = self.data_dir / "postmaster.pid"
        if pid_file.exists():
            lines = pid_file.read_text().splitlines()
            if lines and lines[0].strip().isdigit():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(lines[0]), signal.SIGQUIT)

    def connect(self, dbname: str = DB_NAME) -> psycopg2.extensions.connection:
        """A direct psycopg2 connection over TCP with the password."""
        return psycopg2.connect(host="127.0.0.1", port=self.port, user=DB_USER,
                                password=DB_PASSWORD, dbname=dbname, connect_timeout=10)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of one query, on a fresh connection."""
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server owned by this module, with an empty database for Dagster."""
    bin_dir = pg_bin_dir()
    is_root = os.geteuid() == 0
    if bin_dir is None and is_root and shutil.which("apt-get"):
        install_postgresql()
        bin_dir = pg_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl, postgres) not found on PATH or "
                    "in /usr/lib/postgresql/*/bin, and they could not be installed with apt-get "
                    "(needs root): install Debian's `postgresql` package to run this test")
    run_as = ensure_system_user() if is_root else None
    root = Path(tempfile.mkdtemp(prefix="survey-pg-"))  # under /tmp: reachable by run_as
    if run_as:
        shutil.chown(root, run_as)
    server = PostgresServer(bin_dir=bin_dir, root=root, port=free_port(), run_as=run_as)
    try:
        server.init()
        server.start()
        connection = server.connect("postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {DB_NAME}")
        connection.close()
        yield server
    finally:
        try:
            server.stop("immediate")
        except (RuntimeError, subprocess.TimeoutExpired):
            server.kill()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def dagster_home(postgres: PostgresServer, tmp_path_factory) -> Iterator[Path]:
    """A DAGSTER_HOME holding the shipped file as dagster.yaml, with its variables set."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copyfile(INSTANCE_FILE, home / "dagster.yaml")  # what a team does, byte for byte
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        patch.setenv("DAGSTER_PG_USERNAME", DB_USER)
        patch.setenv("DAGSTER_PG_PASSWORD", DB_PASSWORD)
        patch.setenv("DAGSTER_PG_HOST", "127.0.0.1")
        patch.setenv("DAGSTER_PG_DB", DB_NAME)
        patch.setenv("DAGSTER_PG_PORT", str(postgres.port))
        yield home


@pytest.fixture(scope="module")
def instance(dagster_home: Path) -> Iterator[dg.DagsterInstance]:
    """The instance the webserver and daemon would load from $DAGSTER_HOME."""
    with dg.DagsterInstance.get() as loaded:
        yield loaded


def build_project(root: Path) -> SurveyPaths:
    """A project like tests/test_pipeline_e2e.py's: a copy of raw/, its own work and outputs."""
    shutil.copytree(PROJECT_ROOT / "raw", root / "raw")
    return SurveyPaths(project_file=str(DEFAULT_PROJECT_FILE), raw_dir=str(root / "raw"),
                       work_dir=str(root / "work"), outputs_dir=str(root / "outputs"))


@pytest.fixture(scope="module")
def pipeline(instance: dg.DagsterInstance, tmp_path_factory) -> dict:
    """Every round, then the publication, materialised with the PostgreSQL instance."""
    root = tmp_path_factory.mktemp("project")
    paths = build_project(root)
    summary = materialise_all(build_definitions(paths), instance, log_level="WARNING")
    return {"root": root, "paths": paths, "summary": summary}


def test_the_shipped_file_configures_postgres_a_run_queue_and_no_telemetry(instance):
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
    url = instance.run_storage.postgres_url
    assert url.startswith(f"postgresql+psycopg2://{DB_USER}:{DB_PASSWORD}@127.0.0.1:")
    assert url.endswith(f"/{DB_NAME}")
    assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
    assert isinstance(instance.run_launcher, DefaultRunLauncher)
    run_queue = instance.get_concurrency_config().run_queue_config
    assert run_queue is not None and run_queue.max_concurrent_runs == 1
    assert instance.run_monitoring_enabled
    assert not instance.telemetry_enabled


def test_the_pipeline_succeeds_and_publishes(pipeline):
    summary: RunSummary = pipeline["summary"]
    assert summary.success, summary.failed
    assert len(summary.run_ids) == 3
    assert (pipeline["root"] / "outputs" / "comparison.csv").stat().st_size > 0


def test_another_instance_reads_the_runs_and_materialisations_back(pipeline, dagster_home):
    with dg.DagsterInstance.get() as reader:  # a second process's view: nothing in memory
        runs = reader.get_runs()
        assert {run.run_id for run in runs} == set(pipeline["summary"].run_ids)
        assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
        assert sorted(run.job_name for run in runs) == ["publication_job", "round_job",
                                                        "round_job"]
        assert {run.tags.get("dagster/partition") for run in runs
                if run.job_name == "round_job"} == {"baseline", "endline"}
        latest = reader.get_latest_materialization_event(dg.AssetKey("round_comparison"))
        assert latest is not None
        assert latest.run_id == pipeline["summary"].run_ids[-1]
        assert reader.get_materialized_partitions(dg.AssetKey("validated_responses")) == {
            "baseline", "endline"}


def test_the_rows_are_in_the_postgresql_database(pipeline, postgres):
    runs = postgres.query("SELECT run_id, status FROM runs")
    assert sorted(runs) == sorted((run_id, "SUCCESS") for run_id in pipeline["summary"].run_ids)
    assert postgres.query("SELECT count(*) FROM event_logs")[0][0] > 0
    partitions = postgres.query(
        "SELECT DISTINCT partition FROM event_logs WHERE dagster_event_type = %s "
        "AND asset_key = %s", ("ASSET_MATERIALIZATION", dg.AssetKey("validated_responses")
                               .to_string()))
    assert sorted(p for (p,) in partitions) == ["baseline", "endline"]


def file_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under a folder, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def checkout(pipeline: dict, tmp_path_factory) -> Path:
    """A copy of the code and raw/ holding the pipeline fixture's publication and working tables.

    The CLI publishes to its own checkout's outputs/ (pipelines/resources.py), so it runs here.
    """
    root = tmp_path_factory.mktemp("checkout")
    for folder in ("assets", "pipelines", "schemas", "raw"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(pipeline["root"] / "work", root / ".work")
    shutil.copytree(pipeline["root"] / "outputs", root / "outputs")
    return root


def run_statuses(postgres: PostgresServer) -> dict[str, str]:
    """Every run in the instance database: run id -> status."""
    return dict(postgres.query("SELECT run_id, status FROM runs"))


def wait_for_a_started_run(postgres: PostgresServer, known: set[str],
                           process: subprocess.Popen) -> str:
    """The id of the first run not in `known` once the database records it as STARTED."""
    deadline = time.monotonic() + CLI_TIMEOUT
    while time.monotonic() < deadline:
        started = [run_id for run_id, status in run_statuses(postgres).items()
                   if run_id not in known and status == "STARTED"]
        if started:
            return started[0]
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the run ended ({process.returncode}) before it started:\n{out}\n{err}")
        time.sleep(0.1)
    pytest.fail(f"no run started within {CLI_TIMEOUT} s")


def test_a_postgres_restart_during_a_cli_run_fails_it_cleanly_and_a_rerun_publishes(
        checkout, dagster_home, postgres):
    outputs = checkout / "outputs"
    published = file_digests(outputs)
    known = set(run_statuses(postgres))
    command = [sys.executable, "-m", "pipelines.cli", "run", "--round", "baseline"]
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home),
           "SURVEY_PROJECT_FILE": str(checkout / DEFAULT_PROJECT_FILE.relative_to(PROJECT_ROOT))}
    process = subprocess.Popen(command, cwd=checkout, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    restart = False
    try:
        interrupted = wait_for_a_started_run(postgres, known, process)
        # A quick `pg_ctl restart` between two statements is ridden through: dagster_postgres
        # retries a refused connection for about 12 s. Stay down until the run gives up.
        restart = True
        postgres.stop("fast")
        out, err = process.communicate(timeout=CLI_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        if restart:
            postgres.start()

    assert process.returncode == 1, err
    message = err.strip().splitlines()[-1]
    assert message.startswith(f"the Dagster instance PostgreSQL database {DB_NAME} at "
                              f"127.0.0.1:{postgres.port} is unreachable: "), err
    assert message.endswith("; outputs/ keeps the previous publication; re-run when it is back")
    assert "Traceback" not in err
    assert DB_PASSWORD not in out + err
    assert file_digests(outputs) == published
    assert not list(checkout.glob(f".outputs{STAGING_PREFIX}*"))
    assert run_statuses(postgres)[interrupted] != "SUCCESS"  # never recorded as a success

    rerun = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True,
                           timeout=CLI_TIMEOUT)
    assert rerun.returncode == 0, rerun.stderr
    assert "Outputs in" in rerun.stdout
    statuses = run_statuses(postgres)
    rerun_ids = set(statuses) - known - {interrupted}
    assert sorted(statuses[run_id] for run_id in rerun_ids) == ["SUCCESS", "SUCCESS"]
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] in rerun_ids
    assert set(file_digests(outputs)) == set(published)
    assert not list(checkout.glob(f".outputs{STAGING_PREFIX}*"))
