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
        from assets.round_files import round_files

        return round_files(Path(self.raw_dir), round_decl)

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

    def read_respondents(self, rounds: list[str]) -> pd.DataFrame:
        """The respondent_indicators tables of the given rounds, stacked (categoricals kept)."""
        from assets.scoring import stack_respondent_tables

        return stack_respondent_tables(self.read_rounds("respondent_indicators", rounds).values())

    def completion_stamp(self, round_name: str) -> Path:
        """The stamp a round's last asset writes: the raw files its tables were computed from."""
        return Path(self.work_dir) / "round_complete" / f"{round_name}.json"

    def completed_files(self, round_name: str) -> dict[str, str] | None:
        """file -> sha256 of the round's last completed run, None if it never completed."""
        stamp = self.completion_stamp(round_name)
        return json.loads(stamp.read_text(encoding="utf-8")) if stamp.exists() else None

    def ingested_files(self, round_name: str) -> dict[str, str]:
        """file -> sha256 of the round's latest ingest."""
        return {f["file"]: f["sha256"] for f in self.read_json("raw_responses", round_name)}

    def require_complete(self, rounds: list[str]) -> None:
        """Refuse to combine rounds whose tables come from an interrupted run (a mixed set)."""
        incomplete = [r for r in rounds if not self.table("raw_responses", r, "json").exists()
                      or self.completed_files(r) != self.ingested_files(r)]
        if incomplete:
            raise RuntimeError(
                f"round(s) {incomplete} did not complete their last run (stopped or failed "
                "after ingest), so their tables may mix old and new data; re-run them: "
                + " ".join(f"python -m pipelines run --round {r}" for r in incomplete))

    def read_json(self, asset: str, partition: str | None = None) -> list | dict:
        """Read a working JSON sidecar."""
        return json.loads(self.table(asset, partition, "json").read_text(encoding="utf-8"))
