"""Shared fixtures: the shipped sample read and harmonised once; the system Chromium."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from assets.harmonize import harmonize_round
from assets.readers import read_round_files
from schemas.declarations import DEFAULT_PROJECT_FILE, load_survey

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FILES = {"baseline": "raw/baseline/khatlon_baseline_2021.sav",
                "endline": "raw/endline/khatlon_endline_2023.csv"}


@pytest.fixture(scope="session")
def shipped_survey():
    """The shipped declarations."""
    return load_survey(DEFAULT_PROJECT_FILE)


@pytest.fixture(scope="session")
def harmonized_sample(shipped_survey):
    """round -> (raw text table, Harmonized) for the shipped sample files."""
    out = {}
    for round_name, path in SAMPLE_FILES.items():
        raw, _ = read_round_files([ROOT / path])
        out[round_name] = (raw, harmonize_round(raw, round_name, shipped_survey.project,
                                                shipped_survey.codebook))
    return out


# Headless Chromium as the machine allows it: no sandbox as root, no background networking
# (the network is closed; Chromium would otherwise retry Google's hosts at every start).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _find_chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="session")
def chromium() -> dict:
    """Playwright launch arguments for the system Chromium (Debian), installed with apt-get
    when missing and running as root; Playwright never downloads a browser of its own."""
    path = _find_chromium()
    if path is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True)
            subprocess.run(install, env=env, capture_output=True)
        path = _find_chromium()
    if path is None:
        pytest.skip("chromium not found and could not be installed (needs root and apt-get)")
    return {"executable_path": path, "args": CHROMIUM_ARGS}
