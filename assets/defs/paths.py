"""The paths resource: where declarations, raw files, working tables and outputs live."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from schemas.declarations import RoundDeclaration, Survey, load_survey

if TYPE_CHECKING:
    import pandas as pd


class SurveyPaths(dg.ConfigurableResource):
    """Locations of the project declaration, raw/, the working tables and outputs/."""

    project_file: str
    raw_dir: str
    work_dir: str
    outputs_dir: str

    @property
    def outputs(self) -> Path:
        """The directory of published files."""
        return Path(self.outputs_dir)

    @property
    def raw_cache(self) -> Path:
        """The Parquet cache of parsed raw files (keyed by content)."""
        return Path(self.work_dir) / "raw_cache"

    def survey(self) -> Survey:
        """The loaded, cross-checked declarations."""
        return load_survey(self.project_file)

    def round_files(self, round_decl: RoundDeclaration) -> list[Path]:
        """The raw files of a round: its globs under raw/<round>/ (raw/ for long, wide), sorted."""
        shared = round_decl.layout in ("long", "wide")
        folder = Path(self.raw_dir) if shared else Path(self.raw_dir) / round_decl.name
        files = sorted({p for pattern in round_decl.files for p in folder.glob(pattern)
                        if p.is_file() and not p.name.startswith(".")})
        if not files:
            raise FileNotFoundError(
                f"round {round_decl.name!r}: no file matches {round_decl.files} in {folder}")
        return files

    def table(self, asset: str, partition: str | None = None, suffix: str = "parquet") -> Path:
        """Path of a working table (git-ignored, never published)."""
        name = f"{partition}.{suffix}" if partition else f"{asset}.{suffix}"
        return Path(self.work_dir) / asset / name

    def read_table(self, asset: str, partition: str | None = None) -> pd.DataFrame:
        """Read a working table, with a clear message when it has not been materialised."""
        import pandas as pd

        path = self.table(asset, partition)
        if not path.exists():
            which = f"{asset}[{partition}]" if partition else asset
            raise FileNotFoundError(f"{path} does not exist: materialise {which} first")
        return pd.read_parquet(path)

    def read_rounds(self, asset: str, rounds: list[str]) -> dict[str, pd.DataFrame]:
        """A working table of every given round, by round name."""
        return {round_name: self.read_table(asset, round_name) for round_name in rounds}

    def read_json(self, asset: str, partition: str | None = None) -> list | dict:
        """Read a working JSON sidecar."""
        return json.loads(self.table(asset, partition, "json").read_text(encoding="utf-8"))
