"""Publish the outputs evaluators read, atomically, with a manifest that makes them traceable.

A run writes the complete set (tables, workbook, report, microdata, manifest) to a staging
directory beside outputs/, checks it, and swaps it in with one atomic directory exchange: a
reader sees the old set or the new one, never a mixture, and a failed or killed run leaves the
previous set intact. Single working files are written through a temporary name and a rename.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

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


def write_json(path: Path, data: dict | list) -> str:
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




STAGING_PREFIX = ".staging-"
RENAME_EXCHANGE = 2  # linux/fs.h: swap two paths atomically (renameat2, Linux >= 3.15)


class PublicationError(RuntimeError):
    """The new set was not published; the previous set in outputs/ is untouched."""


def exchange_directories(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2); False where it is not supported."""
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE)
    return result == 0


def publish_set(outputs: Path, writers: dict[str, Callable[[Path], None]],
                manifest: Callable[[dict[str, str]], dict] | None = None,
                check: Callable[[Path], None] | None = None) -> dict[str, str]:
    """Write a complete set of files to a staging directory, check it, then swap it in.

    `writers` maps a relative file name to a function writing that file. Files already in
    `outputs` that the set does not produce and the previous manifest does not list (a README)
    are carried over. `manifest`, given the sha256 of every file, returns the manifest, written
    last as manifest.json. `check` may raise to refuse the set (e.g. personal data found). A
    failed or killed run leaves the previous set intact; its staging directory is removed next
    time. Returns relative name -> sha256 of every file in the new set but the manifest.
    """
    outputs = outputs.resolve()
    parent = outputs.parent
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.glob(f".{outputs.name}{STAGING_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a killed run
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{outputs.name}{STAGING_PREFIX}", dir=parent))
    except OSError as exc:
        raise PublicationError(f"cannot write in {parent}: {exc.strerror}; {outputs.name}/ "
                               "keeps the previous set") from exc
    try:
        for name, write in writers.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                write(target)
            except OSError as exc:  # disk full, permission denied: say which file and why
                raise PublicationError(f"cannot write {name} for {outputs}: {exc.strerror or exc}"
                                       f"; {outputs.name}/ keeps the previous set") from exc
        carried = _carried_over(outputs, set(writers))
        for kept in carried:
            shutil.copy2(outputs / kept, staging / kept)
        # The manifest lists what this run produced; a carried file (a README) is not an output.
        digests = {name: _fsync_and_hash(p) for p in sorted(staging.rglob("*"))
                   if p.is_file() and (name := str(p.relative_to(staging))) not in carried}
        if manifest is not None:
            write_json(staging / "manifest.json", manifest(digests))
        if check is not None:
            check(staging)
        _swap_in(staging, outputs)
    except OSError as exc:  # the manifest, a carried file or the swap: disk full, permissions
        shutil.rmtree(staging, ignore_errors=True)
        raise PublicationError(f"cannot publish to {outputs}: {exc.strerror or exc}; "
                               f"{outputs.name}/ keeps the previous set") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)  # now holds the previous set
    return digests


def _carried_over(outputs: Path, produced: set[str]) -> list[str]:
    if not outputs.is_dir():
        return []
    listed = set(produced) | {"manifest.json"}
    manifest = outputs / "manifest.json"
    if manifest.exists():
        previous = json.loads(manifest.read_text(encoding="utf-8"))
        listed |= {entry["file"] for entry in previous.get("outputs", [])}
    return [p.name for p in outputs.iterdir() if p.is_file() and p.name not in listed]


def _fsync_and_hash(path: Path) -> str:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
        return hashlib.sha256(handle.read()).hexdigest()


def _swap_in(staging: Path, outputs: Path) -> None:
    """Make `staging` the published directory; afterwards `staging` holds the previous set."""
    if not outputs.exists():
        os.rename(staging, outputs)
        staging.mkdir()
        return
    if not exchange_directories(staging, outputs):
        # No atomic exchange on this system: two renames, a moment without outputs/.
        previous = staging.with_name(staging.name + "-previous")
        os.rename(outputs, previous)
        os.rename(staging, outputs)
        os.rename(previous, staging)
