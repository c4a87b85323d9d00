"""Publish the outputs evaluators read, atomically, with a manifest that makes them traceable.

Each file is written to a temporary name in the same directory, flushed to disk and renamed over
the old one; the manifest is written last, so a reader never sees a half-written file, and a
failed run leaves the previous set in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

PACKAGES = ["dagster", "pandas", "pandera", "pyreadstat", "scipy", "numpy", "pyarrow", "pydantic"]


def atomic_write(path: Path, write: Callable[[Path], None]) -> str:
    """Write `path` through a temporary sibling and an atomic rename; return its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(temporary)
    try:
        write(tmp)
        with tmp.open("rb") as written:
            os.fsync(written.fileno())
            digest = hashlib.sha256(written.read()).hexdigest()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return digest


def write_csv(path: Path, frame: pd.DataFrame) -> str:
    """Write a DataFrame as UTF-8 CSV atomically (unrounded numbers); return its sha256."""
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8"))


def write_json(path: Path, data: dict) -> str:
    """Write JSON atomically; return its sha256."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def code_version(repo: Path) -> str:
    """The git commit of the code (with '-dirty' when uncommitted changes exist), or 'unknown'."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=repo, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty.strip() else "")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the numbers."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def build_manifest(*, run_id: str, inputs: list[dict], declarations: dict[str, str],
                   outputs: dict[str, str], code: str) -> dict:
    """The manifest: inputs with sha256 and rows, code and package versions, run, outputs."""
    return {
        "run_id": run_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": code,
        "packages": package_versions(),
        "inputs": inputs,
        "declarations": declarations,
        "outputs": [{"file": name, "sha256": digest} for name, digest in sorted(outputs.items())],
    }


