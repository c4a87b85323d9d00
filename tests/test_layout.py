"""The layering rule: schemas <- assets <- pipelines; only assets/defs imports dagster."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules("schemas"), ids=str)
def test_schemas_import_nothing_of_assets_pipelines_or_dagster(path):
    assert not imported_packages(path) & {"assets", "pipelines", "dagster"}


@pytest.mark.parametrize("path", [p for p in modules("assets") if "defs" not in p.parts], ids=str)
def test_pure_computation_does_not_import_dagster_or_pipelines(path):
    assert not imported_packages(path) & {"dagster", "pipelines"}


@pytest.mark.parametrize("path", modules("assets/defs"), ids=str)
def test_asset_definitions_do_not_import_pipelines(path):
    assert "pipelines" not in imported_packages(path)


def test_the_rule_detects_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import dagster as dg\nfrom pipelines.jobs import round_job\n")
    assert imported_packages(bad) == {"dagster", "pipelines"}
