"""The Dagster UI: the real webserver serves the code location and the browser renders it (slow)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ("raw_responses", "harmonized_responses", "validated_responses",
          "respondent_indicators", "indicator_estimates", "round_comparison",
          "published_outputs")
STARTUP_TIMEOUT = 90.0  # seconds until the webserver answers with the code location loaded
CATALOG_ROUTE = "/assets"  # dagster 1.13: the asset catalog, one row (a link) per asset
WORKSPACE_QUERY = """{ workspaceOrError { __typename
  ... on PythonError { message }
  ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } } } } } }"""

pytestmark = pytest.mark.slow


# ------------------------------------------------------------------ webserver
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _webserver_command() -> list[str] | None:
    candidates = [ROOT / ".venv" / "bin" / "dagster-webserver",
                  Path(sys.executable).parent / "dagster-webserver"]
    for candidate in candidates:
        if candidate.exists():
            return [str(candidate)]
    found = shutil.which("dagster-webserver")
    return [found] if found else None


def _graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body["errors"]
    return body["data"]


def _log_tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_until_ready(base: str, process: subprocess.Popen, log: Path) -> None:
    """Poll /server_info, then the workspace, until the code location has finished loading."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    answered = False
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {process.returncode}; log tail:\n"
                        f"{_log_tail(log)}")
        try:
            if not answered:
                with urllib.request.urlopen(f"{base}/server_info", timeout=5) as response:
                    answered = response.status == 200
            if answered:
                workspace = _graphql(base, WORKSPACE_QUERY)["workspaceOrError"]
                entries = workspace.get("locationEntries") or []
                if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"dagster-webserver did not become ready within {STARTUP_TIMEOUT:.0f} s; "
                f"log tail:\n{_log_tail(log)}")


def _stop(process: subprocess.Popen) -> None:
    """Terminate the webserver (it shuts its code server down), then kill what is left."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # The webserver was started in its own session: reap a code server it may have left behind.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def webserver(tmp_path_factory) -> Iterator[str]:
    """The real dagster-webserver on a free port, with a fresh DAGSTER_HOME; yields its URL."""
    command = _webserver_command()
    if command is None:
        pytest.skip("dagster-webserver is not installed")
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    log = home / "webserver.log"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    try:
        _wait_until_ready(base, process, log)
        yield base
    finally:
        _stop(process)
        print(f"dagster-webserver log: {log}")


def test_graphql_lists_the_assets_and_the_location_loads(webserver):
    nodes = _graphql(webserver, "{ assetNodes { assetKey { path } } }")["assetNodes"]
    keys = {"/".join(node["assetKey"]["path"]) for node in nodes}
    assert set(ASSETS) <= keys, sorted(set(ASSETS) - keys)

    workspace = _graphql(webserver, WORKSPACE_QUERY)["workspaceOrError"]
    assert workspace["__typename"] == "Workspace", workspace
    entries = workspace["locationEntries"]
    assert entries, "no code location in the workspace"
    for entry in entries:
        loaded = entry["locationOrLoadError"]
        assert loaded is not None, entry
        assert loaded["__typename"] != "PythonError", (entry["name"], loaded.get("message"))
        assert loaded["__typename"] == "RepositoryLocation", entry


# ------------------------------------------------------------------ browser


def _is_local(url: str, base: str) -> bool:
    return not url or url.startswith(base) or urlparse(url).scheme in ("data", "blob", "about")


def test_asset_catalog_renders_in_chromium(webserver, chromium, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    # On a first visit from localhost the UI opens a "Join the Dagster community" dialog; mark
    # it seen (kept in the temporary DAGSTER_HOME) so it neither covers the page nor loads
    # dagster.io.
    assert _graphql(webserver, "mutation { setNuxSeen }")["setNuxSeen"] is True

    screenshot = tmp_path / "dagster_ui.png"
    console_errors: list[tuple[str, str]] = []  # (text, url of the source)
    page_errors: list[str] = []
    remote: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.on("console", lambda m: console_errors.append((m.text, m.location.get("url", "")))
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("request", lambda r: None if _is_local(r.url, webserver)
                    else remote.append(r.url))
            page.goto(f"{webserver}{CATALOG_ROUTE}", wait_until="domcontentloaded")
            for name in ASSETS:
                page.get_by_text(name, exact=True).filter(visible=True).first.wait_for(
                    state="visible", timeout=60_000)
            # Let late requests (and their console errors) arrive; the UI polls, so best effort.
            with contextlib.suppress(sync_api.TimeoutError):
                page.wait_for_load_state("networkidle", timeout=10_000)
            missing = [name for name in ASSETS
                       if page.get_by_text(name, exact=True).filter(visible=True).count() == 0]
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()

    if os.environ.get("UI_SCREENSHOT"):
        shutil.copyfile(screenshot, os.environ["UI_SCREENSHOT"])
    print(f"screenshot: {screenshot}")
    assert missing == []
    assert screenshot.stat().st_size > 0
    assert page_errors == []
    # The test network is closed: a request that leaves the local webserver (fonts, telemetry,
    # dagster.io) fails with "Failed to load resource: net::ERR_..." and says nothing about the
    # UI. Such errors are filtered (and printed); every error raised by the UI itself counts.
    harmless = [(text, url) for text, url in console_errors
                if not _is_local(url, webserver) and "Failed to load resource" in text]
    for text, url in harmless:
        print(f"filtered console error from {url}: {text}")
    if remote:
        print("requests that left the local webserver:", *remote, sep="\n  ")
    assert [e for e in console_errors if e not in harmless] == []
