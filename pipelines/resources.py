"""Resources of the code location: the embedded defaults for paths."""

from pathlib import Path

from assets.defs.paths import SurveyPaths
from schemas.declarations import configured_project_file

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def default_paths() -> SurveyPaths:
    """Paths of this checkout: raw/ inputs, .work/ working tables, outputs/ publications."""
    return SurveyPaths(
        project_file=str(configured_project_file()),
        raw_dir=str(PROJECT_ROOT / "raw"),
        work_dir=str(PROJECT_ROOT / ".work"),
        outputs_dir=str(PROJECT_ROOT / "outputs"),
    )
