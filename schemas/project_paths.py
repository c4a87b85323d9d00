"""Paths a declaration may name: relative, inside the project, never `../` or absolute.

A declared file (codebook, layout, corrections) is read relative to project.yaml and a round's
file globs relative to raw/; a path that could reach outside them is refused at load.
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated

from pydantic import AfterValidator


def inside_project(value: str) -> str:
    """The path, if it is relative and has no `..` part; else a ValueError saying why."""
    posix, windows = PurePosixPath(value), PureWindowsPath(value)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or value.startswith("~"):
        raise ValueError(f"{value!r} is an absolute path; give a path relative to the project")
    if ".." in posix.parts or ".." in windows.parts:
        raise ValueError(f"{value!r} leaves the project folder (`..`); keep files inside it")
    return value


ProjectPath = Annotated[str, AfterValidator(inside_project)]
