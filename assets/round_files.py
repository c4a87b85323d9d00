"""Which raw files a round has (cheap to import: the no-op run and the sensor use it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.declarations import RoundDeclaration


def round_files(raw_dir: Path, round_decl: RoundDeclaration) -> list[Path]:
    """The raw files of a round: its globs under raw/<round>/ (raw/ for long, wide), sorted."""
    shared = round_decl.layout in ("long", "wide")
    folder = raw_dir if shared else raw_dir / round_decl.name
    files = sorted({p for pattern in round_decl.files for p in folder.glob(pattern)
                    if p.is_file() and not p.name.startswith(".")})
    if not files:
        raise FileNotFoundError(
            f"round {round_decl.name!r}: no file matches {round_decl.files} in {folder}")
    return files
